"""Customer accounts: balances, statements and ageing, derived from the postings; credit limits."""
from __future__ import annotations

import datetime as dt

import jdatetime
from sqlalchemy import case, func, select

from core import settings
from core.db import db
from core.jalali import TEHRAN, UTC, to_jalali, today_tehran
from core.payloads import CreditInfo
from plugins.finance.models import CategoryLimit, CreditLimit, Entry, Invoice

AGEING = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def fiscal_year(moment: dt.datetime | dt.date) -> int:
    """The Iranian fiscal year starts on 1 Farvardin: it is the Jalali year of the day in Tehran."""
    return to_jalali(moment).year


def year_start(day: dt.date | None = None) -> dt.date:
    """1 Farvardin of the Jalali (fiscal) year of `day` (today in Tehran by default)."""
    return jdatetime.date(to_jalali(day or today_tehran()).year, 1, 1).togregorian()


def balance(party_id: int, until: dt.datetime | None = None) -> int:
    """What the customer owes (positive) or holds in credit (negative), from the postings."""
    stmt = select(func.coalesce(func.sum(Entry.debit - Entry.credit), 0)).where(Entry.party_id == party_id)
    if until is not None:
        stmt = stmt.where(Entry.at < until)
    return int(db.session.scalar(stmt) or 0)


def limit_for(party_id: int, category_id: int | None) -> int | None:
    own = db.session.get(CreditLimit, party_id)
    if own is not None:
        return own.limit
    if category_id is not None:
        by_category = db.session.get(CategoryLimit, category_id)
        if by_category is not None:
            return by_category.limit
    default = int(settings.get("finance.default_credit_limit"))
    return default if default > 0 else None


def open_invoices(party_id: int):
    return select(Invoice).where(Invoice.party_id == party_id, Invoice.kind == "invoice",
                                 Invoice.credited.is_(False), Invoice.paid < Invoice.total).order_by(Invoice.due_date)


def overdue(party_id: int, today: dt.date | None = None) -> int:
    today = today or today_tehran()
    return int(db.session.scalar(select(func.coalesce(func.sum(Invoice.total - Invoice.paid), 0)).where(
        Invoice.party_id == party_id, Invoice.kind == "invoice", Invoice.credited.is_(False),
        Invoice.due_date < today)) or 0)


def credit_info(party_id: int, category_id: int | None) -> CreditInfo:
    return CreditInfo(balance=balance(party_id), limit=limit_for(party_id, category_id), overdue=overdue(party_id))


def _days_past_due(today: dt.date):
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(today.isoformat()) - func.julianday(Invoice.due_date)
    return today - Invoice.due_date


def _bucket_sums(today: dt.date) -> list:
    days = _days_past_due(today)
    buckets = []
    for label, lo, hi in AGEING:
        cond = days >= lo if hi is None else (days <= hi) if lo == 0 else (days >= lo) & (days <= hi)
        buckets.append(func.coalesce(func.sum(case((cond, Invoice.total - Invoice.paid), else_=0)), 0))
    return buckets


OPEN_INVOICE = (Invoice.kind == "invoice", Invoice.credited.is_(False), Invoice.paid < Invoice.total)


def ageing(party_id: int | None = None, today: dt.date | None = None, within=None) -> dict[str, int]:
    """Open invoice amounts by days past due: 0–30, 31–60, 61–90, 90+ (not yet due counts as 0–30);
    `within`: a condition on `Invoice` (the viewer's scope, for the totals of every customer)."""
    stmt = select(*_bucket_sums(today or today_tehran())).where(*OPEN_INVOICE)
    if within is not None:
        stmt = stmt.where(within)
    if party_id is not None:
        stmt = stmt.where(Invoice.party_id == party_id)
    row = db.session.execute(stmt).one()
    return {label: int(v or 0) for (label, _lo, _hi), v in zip(AGEING, row)}


def ageing_by_party(party_ids: list[int] | None = None, today: dt.date | None = None) -> dict[int, dict[str, int]]:
    """`ageing()` for many customers in one grouped query: {party_id: {bucket: amount}} (only
    customers with open invoices appear)."""
    stmt = select(Invoice.party_id, *_bucket_sums(today or today_tehran())).where(*OPEN_INVOICE) \
        .group_by(Invoice.party_id)
    if party_ids is not None:
        stmt = stmt.where(Invoice.party_id.in_(list(party_ids) or [-1]))
    return {row[0]: {label: int(v or 0) for (label, _lo, _hi), v in zip(AGEING, row[1:])}
            for row in db.session.execute(stmt)}


def utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Tehran calendar days `start`..`end` (both included) as a naive UTC half-open range."""
    lo = dt.datetime.combine(start, dt.time(), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)
    return lo, hi


def statement(party_id: int, start: dt.date, end: dt.date) -> dict:
    """Statement of account for a Jalali period (Tehran days, both included)."""
    lo, hi = utc_bounds(start, end)
    opening = balance(party_id, until=lo)
    rows, running = [], opening
    for entry in db.session.scalars(select(Entry).where(Entry.party_id == party_id, Entry.at >= lo, Entry.at < hi)
                                    .order_by(Entry.at, Entry.id)):
        running += entry.debit - entry.credit
        rows.append((entry, running))
    return {"opening": opening, "rows": rows, "closing": running,
            "debits": sum(e.debit for e, _ in rows), "credits": sum(e.credit for e, _ in rows)}
