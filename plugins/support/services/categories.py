"""Ticket categories: a short list administrators manage (add, rename, reorder, deactivate)."""
from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from core.persian import normalize
from core.validation import Checker, ValidationError
from plugins.support.models import TicketCategory

DEFAULTS = ("نصب و راه‌اندازی", "خرابی و تعمیر", "آموزش و راهنمایی", "گارانتی و مرجوعی", "شکایت", "سایر")


def all_categories(active_only: bool = False) -> list[TicketCategory]:
    stmt = select(TicketCategory).order_by(TicketCategory.position, TicketCategory.name, TicketCategory.id)
    if active_only:
        stmt = stmt.where(TicketCategory.active.is_(True))
    return list(db.session.scalars(stmt))


def save(data: dict, category: TicketCategory | None = None) -> TicketCategory:
    c = Checker(data)
    name = c.text("name", "نام دسته", required=True, max_len=120)
    position = c.integer("position", "ترتیب", minimum=0, maximum=10000,
                         default=category.position if category else 100)
    c.done()
    key = normalize(name)
    for other in db.session.scalars(select(TicketCategory)):
        if other is not category and normalize(other.name) == key:
            raise ValidationError({"name": f"دسته‌ای به نام «{other.name}» هست."})
    category = category or TicketCategory()
    category.name, category.position = name, position
    db.session.add(category)
    db.session.commit()
    return category


def set_active(category: TicketCategory, active: bool) -> TicketCategory:
    category.active = bool(active)
    db.session.commit()
    return category


def ensure_defaults(commit: bool = True) -> int:
    """Add the suggested categories when there are none yet; returns how many were added."""
    if db.session.scalar(select(func.count(TicketCategory.id))):
        return 0
    db.session.add_all(TicketCategory(name=name, position=(i + 1) * 10) for i, name in enumerate(DEFAULTS))
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return len(DEFAULTS)
