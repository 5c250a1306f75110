"""Credit limits: a customer's own limit, and the limit of a customer category (the CRM's
category id; see `CategoryLimit`). A customer's own limit wins over their category's, which
wins over the `finance.default_credit_limit` setting (`accounts.limit_for`). Changes are audited."""
from __future__ import annotations

from sqlalchemy import select

from core.db import begin_write, db
from core.models.parties import Party
from core.validation import Checker, ValidationError
from plugins.finance.models import CategoryLimit, CreditLimit
from plugins.finance.services.scope import party_condition

MAX_LIMIT = 10 ** 15


def _limit(c: Checker) -> int | None:
    return c.integer("limit", "سقف اعتبار (ریال)", required=True, minimum=0, maximum=MAX_LIMIT)


def set_customer_limit(data: dict, actor=None) -> CreditLimit:
    """`{"party_id", "limit"}`: 0 means no credit at all (every order over the balance is refused)."""
    c = Checker(data)
    party_id = c.integer("party_id", "مشتری", required=True, minimum=1)
    limit = _limit(c)
    if party_id and "party_id" not in c.errors:
        party = db.session.get(Party, party_id)
        if party is None:
            c.fail("party_id", "مشتری پیدا نشد.")
        elif party.merged_into_id:
            c.fail("party_id", "این مشتری در مشتری دیگری ادغام شده است؛ سقف را برای مشتری ادغام‌شده تعیین کنید.")
    c.done()
    begin_write()
    row = db.session.get(CreditLimit, party_id)
    if row is None:
        row = CreditLimit(party_id=party_id, limit=limit)
        db.session.add(row)
    else:
        row.limit = limit
    db.session.commit()
    return row


def remove_customer_limit(party_id: int, actor=None) -> None:
    """The customer falls back to their category's limit (or the default)."""
    begin_write()
    row = db.session.get(CreditLimit, party_id)
    if row is None:
        raise ValidationError("این مشتری سقف اعتبار جداگانه ندارد.")
    db.session.delete(row)
    db.session.commit()


def set_category_limit(data: dict, actor=None) -> CategoryLimit:
    """`{"category_id", "limit", "name"}`: `name` is kept for the finance screens only."""
    c = Checker(data)
    category_id = c.integer("category_id", "شناسهٔ دسته‌بندی", required=True, minimum=1, maximum=2 ** 31 - 1)
    limit = _limit(c)
    name = c.text("name", "نام دسته‌بندی", max_len=120)
    c.done()
    begin_write()
    row = db.session.get(CategoryLimit, category_id)
    if row is None:
        row = CategoryLimit(category_id=category_id, limit=limit, name=name)
        db.session.add(row)
    else:
        row.limit = limit
        if name:
            row.name = name
    db.session.commit()
    return row


def remove_category_limit(category_id: int, actor=None) -> None:
    begin_write()
    row = db.session.get(CategoryLimit, category_id)
    if row is None:
        raise ValidationError("برای این دسته‌بندی سقفی تعیین نشده است.")
    db.session.delete(row)
    db.session.commit()


def customer_limits(viewer):
    """Customers' own limits, those of the customers whose books `viewer` reads."""
    return (select(CreditLimit, Party).join(Party, Party.id == CreditLimit.party_id)
            .where(party_condition(viewer, Party.id)).order_by(Party.search_key))


def category_limits():
    return select(CategoryLimit).order_by(CategoryLimit.name, CategoryLimit.category_id)
