"""Receipts (دریافت): cash, card, bank transfer, cheque; allocation to invoices (partial
payments; what is left over stays as credit on the account); cheque statuses, where a bounce
reverses the receipt."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import settings
from core.db import begin_write, db
from core.jalali import TEHRAN, UTC, today_tehran
from core.persian import to_persian_digits
from core.validation import Checker, ValidationError
from plugins.finance.models import CHEQUE_STATUSES, METHODS, Allocation, Entry, Invoice, Receipt
from plugins.finance.services.accounts import fiscal_year, open_invoices
from plugins.finance.services.invoices import next_number
from plugins.finance.services.scope import may_see_party

MAX_AMOUNT = 10 ** 15
CHEQUE_FLOW = {"received": ("deposited", "bounced"), "deposited": ("cleared", "bounced"), "cleared": (), "bounced": ()}


def _closed_until() -> dt.date | None:
    value = settings.get("finance.closed_until")
    if not value:
        return None
    from core.jalali import JalaliDateError, parse_date
    try:
        return parse_date(value)
    except JalaliDateError:
        return None


def _allocations(raw: dict, c: Checker) -> dict[int, int]:
    out = {}
    for key, value in (raw or {}).items():
        if value in (None, "", 0, "0"):
            continue
        try:
            from core.persian import to_ascii_digits
            amount = int(to_ascii_digits(str(value)).replace("٬", "").replace(",", ""))
        except ValueError:
            c.fail("allocations", "مبلغ تخصیص باید عدد صحیح باشد.")
            continue
        if amount <= 0:
            c.fail("allocations", "مبلغ تخصیص باید بیشتر از صفر باشد.")
            continue
        out[int(key)] = amount
    return out


def _check_allocations(party_id: int, wanted: dict[int, int], available: int) -> list[Invoice]:
    invoices = db.session.scalars(select(Invoice).where(Invoice.id.in_(list(wanted))).with_for_update()).all()
    if len(invoices) != len(wanted) or any(i.party_id != party_id or i.kind != "invoice" for i in invoices):
        raise ValidationError({"allocations": "فاکتور انتخاب‌شده از این مشتری نیست."})
    for invoice in invoices:
        if wanted[invoice.id] > invoice.open_amount:
            raise ValidationError({"allocations": f"مبلغ تخصیص به فاکتور {to_persian_digits(invoice.number)} بیشتر از "
                                                  f"ماندهٔ آن ({to_persian_digits(f'{invoice.open_amount:,}'.replace(',', '٬'))} ریال) است."})
    if sum(wanted.values()) > available:
        raise ValidationError({"allocations": "جمع تخصیص‌ها بیشتر از مبلغ دریافت است."})
    return invoices


def create(data: dict, actor) -> Receipt:
    """Record a receipt and its allocations in one transaction (validated first)."""
    c = Checker(data)
    party_id = c.integer("party_id", "مشتری", required=True)
    method = c.text("method", "روش دریافت", required=True, max_len=10)
    if method and method not in METHODS:
        c.fail("method", "روش دریافت معتبر نیست.")
    amount = c.integer("amount", "مبلغ (ریال)", required=True, minimum=1, maximum=MAX_AMOUNT)
    received_on = c.date("received_on", "تاریخ دریافت") or today_tehran()
    reference = c.text("reference", "شمارهٔ پیگیری", max_len=120)
    notes = c.text("notes", "توضیح", max_len=400)
    cheque = {}
    if method == "cheque":
        cheque = {"cheque_number": c.text("cheque_number", "شمارهٔ چک", required=True, max_len=40),
                  "cheque_bank": c.text("cheque_bank", "بانک", required=True, max_len=80),
                  "cheque_due": c.date("cheque_due", "تاریخ سررسید چک"), "cheque_status": "received"}
        if cheque["cheque_due"] is None and "cheque_due" not in c.errors:
            c.fail("cheque_due", "تاریخ سررسید چک را وارد کنید.")
    if received_on > today_tehran():
        c.fail("received_on", "تاریخ دریافت نمی‌تواند در آینده باشد.")
    closed = _closed_until()
    if closed and received_on <= closed:
        c.fail("received_on", "این دوره بسته شده است؛ دریافت با تاریخ آن ثبت نمی‌شود.")
    wanted = _allocations(data.get("allocations") or {}, c)
    if party_id and not may_see_party(actor, party_id):  # missing, or outside the actor's books
        c.fail("party_id", "مشتری پیدا نشد.")
    c.done()
    begin_write()
    _check_allocations(party_id, wanted, amount)
    year = fiscal_year(received_on)
    receipt = Receipt(fiscal_year=year, number=next_number(year, "receipt"), party_id=party_id, method=method,
                      amount=amount, received_on=received_on, reference=reference, notes=notes,
                      created_by_id=actor.id, **cheque)
    receipt.allocations = [Allocation(invoice_id=i, amount=a) for i, a in wanted.items()]
    db.session.add(receipt)
    db.session.flush()
    for invoice_id, value in wanted.items():
        db.session.get(Invoice, invoice_id).paid += value
    at = dt.datetime.combine(received_on, dt.time(12), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)
    db.session.add(Entry(party_id=party_id, at=at, kind="receipt", credit=amount, receipt_id=receipt.id,
                         description=f"دریافت {METHODS[method]} شمارهٔ {to_persian_digits(receipt.number)}"))
    db.session.commit()
    return receipt


def allocate(receipt_id: int, allocations: dict, actor) -> Receipt:
    """Allocate what is left of a receipt to open invoices."""
    c = Checker({})
    wanted = _allocations(allocations, c)
    c.done()
    if not wanted:
        raise ValidationError({"allocations": "مبلغی برای تخصیص وارد نشده است."})
    begin_write()
    receipt = db.session.scalar(select(Receipt).where(Receipt.id == receipt_id).with_for_update())
    if receipt is None or not may_see_party(actor, receipt.party_id):
        raise ValidationError("دریافت پیدا نشد.")
    if receipt.cheque_status == "bounced":
        raise ValidationError("چک برگشتی تخصیص نمی‌گیرد.")
    _check_allocations(receipt.party_id, wanted, receipt.unallocated)
    for invoice_id, value in wanted.items():
        receipt.allocations.append(Allocation(invoice_id=invoice_id, amount=value))
        db.session.get(Invoice, invoice_id).paid += value
    db.session.commit()
    return receipt


def cheque_status(receipt_id: int, new: str, actor) -> Receipt:
    """received → deposited → cleared; received or deposited → bounced (reverses the receipt)."""
    if new not in CHEQUE_STATUSES:
        raise ValidationError("وضعیت چک معتبر نیست.")
    begin_write()
    receipt = db.session.scalar(select(Receipt).where(Receipt.id == receipt_id).with_for_update())
    if receipt is None or receipt.method != "cheque" or not may_see_party(actor, receipt.party_id):
        raise ValidationError("چک پیدا نشد.")
    if new not in CHEQUE_FLOW[receipt.cheque_status]:
        raise ValidationError(f"چکِ «{CHEQUE_STATUSES[receipt.cheque_status]}» را نمی‌توان «{CHEQUE_STATUSES[new]}» کرد.")
    receipt.cheque_status = new
    if new == "bounced":
        for allocation in list(receipt.allocations):
            db.session.get(Invoice, allocation.invoice_id).paid -= allocation.amount
            receipt.allocations.remove(allocation)
        db.session.add(Entry(party_id=receipt.party_id, kind="bounce", debit=receipt.amount, receipt_id=receipt.id,
                             description=f"برگشت چک {receipt.cheque_number} ({to_persian_digits(receipt.number)})"))
    db.session.commit()
    return receipt


def suggest_allocation(party_id: int, amount: int) -> dict[int, int]:
    """«تخصیص خودکار»: spread `amount` over the customer's open invoices, oldest due first, each
    up to its open amount; what does not fit stays unallocated (credit on the account). Writes
    nothing: the screens and the API show the proposal, and `create`/`allocate` check it again."""
    out: dict[int, int] = {}
    left = max(0, int(amount or 0))
    for invoice in db.session.scalars(open_invoices(party_id).order_by(Invoice.issued_at, Invoice.id)):
        if left <= 0:
            break
        share = min(left, invoice.open_amount)
        if share > 0:
            out[invoice.id] = share
            left -= share
    return out
