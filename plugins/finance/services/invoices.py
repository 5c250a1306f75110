"""Invoices from confirmed orders and credit notes from cancelled ones, inside the CRM's
confirming/cancelling transaction (the `order_confirmed` / `order_cancelled` hooks)."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from sqlalchemy import select, update

from core import settings
from core.db import db, insert_ignore
from core.jalali import to_tehran, utcnow
from core.payloads import Effect, OrderPayload, Veto
from core.persian import to_persian_digits
from plugins.finance.models import Entry, Invoice, InvoiceLine, NumberSequence
from plugins.finance.services.accounts import balance, fiscal_year, limit_for


def next_number(year: int, kind: str) -> int:
    """The next number of an unbroken per-year sequence: the row is locked by the UPDATE until
    the transaction ends, so concurrent confirmations queue and a rollback returns the number."""
    db.session.execute(insert_ignore(NumberSequence).values(fiscal_year=year, kind=kind, last_number=0)
                       .on_conflict_do_nothing())
    return db.session.execute(update(NumberSequence).where(NumberSequence.fiscal_year == year, NumberSequence.kind == kind)
                              .values(last_number=NumberSequence.last_number + 1)
                              .returning(NumberSequence.last_number)).scalar_one()


def invoice_order(order: OrderPayload) -> Effect | None:
    """The `order_confirmed` subscriber: check credit, issue the invoice, post it."""
    if db.session.scalar(select(Invoice.id).where(Invoice.kind == "invoice", Invoice.order_ref == order.ref)):
        return None  # already invoiced (a retry): the unique constraint would refuse a second one anyway
    limit = limit_for(order.party_id, order.category_id)
    owed = balance(order.party_id)
    if limit is not None and owed + order.total > limit and not order.override_credit:
        raise Veto(f"سقف اعتبار مشتری {_rials(limit)} است؛ بدهی فعلی {_rials(owed)} و این سفارش "
                   f"{_rials(order.total)} است. سفارش تأیید نشد (کاربر مجاز می‌تواند با «عبور از سقف اعتبار» تأیید کند).")
    now = order.confirmed_at or utcnow()
    year = fiscal_year(to_tehran(now))
    invoice = Invoice(kind="invoice", fiscal_year=year, number=next_number(year, "invoice"), order_ref=order.ref,
                      order_number=order.number, party_id=order.party_id, office_id=order.office_id, issued_at=now,
                      due_date=to_tehran(now).date() + dt.timedelta(days=int(settings.get("finance.payment_days"))),
                      subtotal=order.subtotal, discount=order.discount, tax=order.tax, total=order.total)
    invoice.lines = [InvoiceLine(position=li.position, product_id=li.product_id, quantity=li.quantity,
                                 unit_price=li.unit_price, net=li.net, tax=li.tax, total=li.total) for li in order.lines]
    db.session.add(invoice)
    db.session.flush()
    db.session.add(Entry(party_id=order.party_id, at=now, kind="invoice", debit=order.total, invoice_id=invoice.id,
                         description=f"فاکتور فروش {to_persian_digits(invoice.number)} (سفارش {to_persian_digits(order.number)})"))
    return Effect(f"finance.invoice:{invoice.id}", f"فاکتور فروش شمارهٔ {to_persian_digits(invoice.number)}/"
                  f"{to_persian_digits(year)}", _url("finance.invoice", invoice_id=invoice.id))


def credit_order(order: OrderPayload) -> Effect | None:
    """The `order_cancelled` subscriber: a credit note reversing the order's invoice."""
    invoice = db.session.scalar(select(Invoice).where(Invoice.kind == "invoice", Invoice.order_ref == order.ref))
    if invoice is None or invoice.credited:
        return None
    now = utcnow()
    year = fiscal_year(to_tehran(now))
    note = Invoice(kind="credit_note", fiscal_year=year, number=next_number(year, "credit_note"), order_ref=order.ref,
                   order_number=order.number, party_id=invoice.party_id, office_id=invoice.office_id, issued_at=now,
                   due_date=to_tehran(now).date(), subtotal=invoice.subtotal, discount=invoice.discount, tax=invoice.tax,
                   total=invoice.total, credit_of_id=invoice.id)
    note.lines = [InvoiceLine(position=li.position, product_id=li.product_id, quantity=li.quantity,
                              unit_price=li.unit_price, net=li.net, tax=li.tax, total=li.total) for li in invoice.lines]
    invoice.credited = True
    db.session.add(note)
    db.session.flush()
    db.session.add(Entry(party_id=invoice.party_id, at=now, kind="credit_note", credit=invoice.total, invoice_id=note.id,
                         description=f"برگشت از فروش {to_persian_digits(note.number)} برای فاکتور {to_persian_digits(invoice.number)}"))
    return Effect(f"finance.invoice:{note.id}", f"برگشت از فروش شمارهٔ {to_persian_digits(note.number)}",
                  _url("finance.invoice", invoice_id=note.id))


def _rials(amount: int) -> str:
    return to_persian_digits(f"{amount:,}".replace(",", "٬")) + " ریال"


def _url(endpoint: str, **values) -> str:
    try:
        return url_for(endpoint, **values)
    except Exception:  # noqa: BLE001 - no request (CLI, jobs): no link
        return ""
