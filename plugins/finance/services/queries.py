"""The finance lists, as SQL statements the screens, exports and API page through: invoices,
receipts, cheques due, customer accounts; and the customer search of the receipt form.

Filters are plain arguments (already parsed: Gregorian dates for Jalali periods, Tehran days).
Each list takes its viewer first and shows only the rows `scope` lets them read (finance staff:
the whole company's books; an office's manager: that office's)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, literal, or_, select

from core.db import db
from core.jalali import today_tehran
from core.models.parties import Party
from core.persian import like_pattern, to_ascii_digits
from plugins.finance.models import CHEQUE_STATUSES, Entry, Invoice, Receipt
from plugins.finance.services.accounts import utc_bounds
from plugins.finance.services.scope import invoice_condition, party_condition

INVOICE_STATUSES = {"open": "پرداخت‌نشده", "partly_paid": "پرداخت بخشی", "paid": "تسویه‌شده",
                    "credited": "برگشت‌شده", "credit_note": "برگشت از فروش"}
INVOICE_FILTERS = {**INVOICE_STATUSES, "unpaid": "مانده‌دار (باز یا بخشی)", "overdue": "سررسیدگذشته"}
CHEQUE_FILTERS = {"pending": "در جریان (دریافت‌شده یا خوابانده‌شده)", **CHEQUE_STATUSES, "all": "همه"}
ACCOUNT_FILTERS = {"open": "دارای مانده", "debtors": "بدهکار", "creditors": "بستانکار", "overdue": "سررسیدگذشته",
                   "all": "همه"}


def _party_search(stmt, q: str):
    """Normalised name/organisation (the party's `search_key`), or the national ID."""
    q = (q or "").strip()
    if not q:
        return stmt
    digits = to_ascii_digits(q).replace("-", "").strip()
    conditions = [Party.search_key.like(like_pattern(q), escape="\\")]
    if digits.isdigit():
        conditions.append(Party.national_id == digits)
    return stmt.where(or_(*conditions))


def invoice_status_condition(status: str, today: dt.date | None = None):
    is_invoice = and_(Invoice.kind == "invoice", Invoice.credited.is_(False))
    return {
        "open": and_(is_invoice, Invoice.paid == 0, Invoice.total > 0),
        "partly_paid": and_(is_invoice, Invoice.paid > 0, Invoice.paid < Invoice.total),
        "paid": and_(is_invoice, Invoice.paid >= Invoice.total),
        "credited": and_(Invoice.kind == "invoice", Invoice.credited.is_(True)),
        "credit_note": Invoice.kind == "credit_note",
        "unpaid": and_(is_invoice, Invoice.paid < Invoice.total),
        "overdue": and_(is_invoice, Invoice.paid < Invoice.total, Invoice.due_date < (today or today_tehran())),
    }.get(status)


def invoices(viewer, status: str = "", start: dt.date | None = None, end: dt.date | None = None, q: str = "",
             party_id: int | None = None, number: int | None = None):
    """Invoices and credit notes (with their customer joined, for sorting by name)."""
    stmt = select(Invoice).join(Party, Party.id == Invoice.party_id).where(invoice_condition(viewer))
    condition = invoice_status_condition(status)
    if condition is not None:
        stmt = stmt.where(condition)
    if start or end:
        lo, hi = utc_bounds(start or dt.date(1900, 1, 1), end or dt.date(2999, 12, 30))
        stmt = stmt.where(Invoice.issued_at >= lo, Invoice.issued_at < hi)
    if party_id:
        stmt = stmt.where(Invoice.party_id == party_id)
    if number:
        stmt = stmt.where(Invoice.number == number)
    return _party_search(stmt, q)


INVOICE_SORT = {"issued": Invoice.issued_at, "number": Invoice.number, "customer": Party.search_key,
                "due": Invoice.due_date, "total": Invoice.total, "open": Invoice.total - Invoice.paid}


def receipts(viewer, method: str = "", start: dt.date | None = None, end: dt.date | None = None, q: str = "",
             party_id: int | None = None, unallocated: bool = False):
    stmt = select(Receipt).join(Party, Party.id == Receipt.party_id).where(party_condition(viewer, Receipt.party_id))
    if method:
        stmt = stmt.where(Receipt.method == method)
    if start:
        stmt = stmt.where(Receipt.received_on >= start)
    if end:
        stmt = stmt.where(Receipt.received_on <= end)
    if party_id:
        stmt = stmt.where(Receipt.party_id == party_id)
    if unallocated:
        from plugins.finance.models import Allocation
        allocated = select(func.coalesce(func.sum(Allocation.amount), 0)).where(
            Allocation.receipt_id == Receipt.id).scalar_subquery()
        stmt = stmt.where(Receipt.amount > allocated, or_(Receipt.cheque_status.is_(None),
                                                          Receipt.cheque_status != "bounced"))
    return _party_search(stmt, q)


RECEIPT_SORT = {"received": Receipt.received_on, "number": Receipt.number, "customer": Party.search_key,
                "amount": Receipt.amount}


def cheques(viewer, status: str = "pending", start: dt.date | None = None, end: dt.date | None = None, q: str = ""):
    """Received cheques by due date (Tehran days `start`..`end`), soonest first."""
    stmt = select(Receipt).join(Party, Party.id == Receipt.party_id).where(
        Receipt.method == "cheque", party_condition(viewer, Receipt.party_id))
    if status == "pending":
        stmt = stmt.where(Receipt.cheque_status.in_(("received", "deposited")))
    elif status in CHEQUE_STATUSES:
        stmt = stmt.where(Receipt.cheque_status == status)
    if start:
        stmt = stmt.where(Receipt.cheque_due >= start)
    if end:
        stmt = stmt.where(Receipt.cheque_due <= end)
    return _party_search(stmt, q).order_by(Receipt.cheque_due, Receipt.id)


def cheque_totals(stmt) -> tuple[int, int]:
    sub = stmt.order_by(None).with_only_columns(Receipt.id, Receipt.amount).subquery()
    count, total = db.session.execute(select(func.count(), func.coalesce(func.sum(sub.c.amount), 0))).one()
    return int(count), int(total)


def accounts(viewer, which: str = "open", q: str = "", today: dt.date | None = None):
    """Customers with postings: `(Party, balance, overdue)` rows. `which`: open (balance not
    zero), debtors, creditors, overdue, all."""
    today = today or today_tehran()
    balances = select(Entry.party_id.label("party_id"), func.sum(Entry.debit - Entry.credit).label("balance"),
                      func.max(Entry.at).label("last_at")).group_by(Entry.party_id).subquery()
    overdue = select(Invoice.party_id.label("party_id"),
                     func.sum(Invoice.total - Invoice.paid).label("overdue")).where(
        Invoice.kind == "invoice", Invoice.credited.is_(False), Invoice.paid < Invoice.total,
        Invoice.due_date < today).group_by(Invoice.party_id).subquery()
    overdue_amount = func.coalesce(overdue.c.overdue, literal(0))
    stmt = (select(Party, balances.c.balance, overdue_amount.label("overdue"), balances.c.last_at)
            .join(balances, balances.c.party_id == Party.id)
            .outerjoin(overdue, overdue.c.party_id == Party.id)
            .where(party_condition(viewer, Party.id)))
    if which == "open":
        stmt = stmt.where(balances.c.balance != 0)
    elif which == "debtors":
        stmt = stmt.where(balances.c.balance > 0)
    elif which == "creditors":
        stmt = stmt.where(balances.c.balance < 0)
    elif which == "overdue":
        stmt = stmt.where(overdue_amount > 0)
    sort = {"customer": Party.search_key, "balance": balances.c.balance, "overdue": overdue_amount,
            "last": balances.c.last_at}
    return _party_search(stmt, q), sort


def account_totals(stmt) -> tuple[int, int, int]:
    """How many customers, what they owe in all, what they hold in credit in all."""
    sub = stmt.order_by(None).subquery()
    row = db.session.execute(select(
        func.count(), func.coalesce(func.sum(case((sub.c.balance > 0, sub.c.balance), else_=0)), 0),
        func.coalesce(func.sum(case((sub.c.balance < 0, -sub.c.balance), else_=0)), 0))).one()
    return int(row[0]), int(row[1]), int(row[2])


def find_parties(viewer, q: str, limit: int = 20, selected: int | None = None) -> list[Party]:
    """The receipt form's customer search: merged-away parties are not offered."""
    stmt = select(Party).where(Party.merged_into_id.is_(None), party_condition(viewer, Party.id))
    out = []
    if selected:
        chosen = db.session.scalar(select(Party).where(Party.id == selected, party_condition(viewer, Party.id)))
        if chosen is not None:
            out.append(chosen)
    if (q or "").strip():
        for party in db.session.scalars(_party_search(stmt, q).order_by(Party.search_key).limit(limit)):
            if party not in out:
                out.append(party)
    return out
