"""The master lists (category, activity field, acquaintance source, marketer): add, rename,
deactivate. Names are unique per list after Persian normalisation (ي/ی, ZWNJ, spacing)."""
from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.persian import normalize
from core.phones import PhoneError, canonical
from core.validation import Checker, ValidationError
from plugins.crm.models import LIST_KINDS, ListItem


def items(kind: str) -> list[ListItem]:
    """All items of one list, active first, then by name."""
    if kind not in LIST_KINDS:
        raise ValidationError(f"فهرست «{kind}» وجود ندارد.")
    return list(db.session.scalars(select(ListItem).where(ListItem.kind == kind)
                                   .order_by(ListItem.active.desc(), ListItem.name)))


def save_item(kind: str, data: dict, item: ListItem | None = None) -> ListItem:
    """Add an item to list `kind`, or rename `item` (and, for a marketer, change the phone)."""
    if kind not in LIST_KINDS:
        raise ValidationError(f"فهرست «{kind}» وجود ندارد.")
    if item is not None and item.kind != kind:
        raise ValidationError("این مورد از فهرست دیگری است.")
    c = Checker(data)
    name = " ".join(c.text("name", "نام", required=True, max_len=120).split())
    phone = c.text("phone", "تلفن", max_len=40) if kind == "marketer" else ""
    if phone:
        try:
            canonical(phone)
        except PhoneError as exc:
            c.fail("phone", str(exc))
    if name:
        key = normalize(name)
        for other in db.session.scalars(select(ListItem).where(ListItem.kind == kind)):
            if other is not item and normalize(other.name) == key:
                state = "" if other.active else " (غیرفعال)"
                c.fail("name", f"«{other.name}»{state} در فهرست {LIST_KINDS[kind]} هست؛ نام تکراری پذیرفته نیست.")
                break
    c.done()
    item = item or ListItem(kind=kind, active=True)
    item.name, item.phone = name, phone
    db.session.add(item)
    db.session.commit()
    return item


def set_active(item: ListItem, active: bool) -> ListItem:
    """Deactivate (no longer offered on forms; customers keep it) or reactivate an item."""
    item.active = bool(active)
    db.session.commit()
    return item
