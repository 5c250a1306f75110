"""Invoices and credit notes: the list (status, Jalali period, customer, sort, page, CSV/XLSX),
the invoice page with its payments, and the printable invoice. Invoices are never deleted:
a mistake is reversed by a credit note (cancelling the order)."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager, selectinload

from core.access import permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.models.parties import Party
from core.views.helpers import paginate
from plugins.finance.models import Allocation, Invoice, Receipt
from plugins.finance.services import queries
from plugins.finance.services.queries import INVOICE_FILTERS, INVOICE_SORT, INVOICE_STATUSES
from plugins.finance.services.scope import invoice_condition, may_see_party
from plugins.finance.views import bp
from plugins.finance.views.common import int_arg, period_args, sort_by


def _kind_label(invoice: Invoice) -> str:
    return "فاکتور فروش" if invoice.kind == "invoice" else "برگشت از فروش"


@bp.route("/invoices")
@permission_required("finance.view")
def invoices():
    errors: list[str] = []
    start, end = period_args(errors)
    status = request.args.get("status", "")
    filters = dict(status=status if status in INVOICE_FILTERS else "", start=start, end=end,
                   q=request.args.get("q", "").strip()[:100], party_id=int_arg(request.args.get("party")),
                   number=int_arg(request.args.get("number")))
    base = queries.invoices(current_user, **filters).options(contains_eager(Invoice.party))
    stmt, sort = sort_by(base, INVOICE_SORT, "-issued")
    stmt = stmt.order_by(Invoice.id.desc())
    fmt = request.args.get("export")
    if fmt:
        rows = db.session.scalars(stmt).unique().all()
        columns = [
            ("نوع", _kind_label), ("شماره", lambda i: i.number), ("سال مالی", lambda i: i.fiscal_year),
            ("تاریخ صدور", lambda i: i.issued_at), ("سررسید", lambda i: i.due_date),
            ("مشتری", lambda i: i.party.name), ("کد ملی / شناسه", lambda i: i.party.national_id or ""),
            ("شمارهٔ سفارش", lambda i: i.order_number),
            ("جمع کالاها (ریال)", lambda i: i.subtotal), ("تخفیف (ریال)", lambda i: i.discount),
            ("مالیات (ریال)", lambda i: i.tax), ("مبلغ کل (ریال)", lambda i: i.total),
            ("دریافت‌شده (ریال)", lambda i: i.paid if i.kind == "invoice" else ""),
            ("مانده (ریال)", lambda i: i.open_amount if i.kind == "invoice" else ""),
            ("وضعیت", lambda i: INVOICE_STATUSES[i.status]),
        ]
        return export_response("finance-invoices", columns, rows, fmt if fmt in FORMATS else "csv")
    page = paginate(stmt)
    matched = base.order_by(None).with_only_columns(Invoice.kind, Invoice.total, Invoice.paid, Invoice.credited).subquery()
    totals = db.session.execute(select(
        func.count(),
        func.coalesce(func.sum(case((matched.c.kind == "invoice", matched.c.total), else_=0)), 0),
        func.coalesce(func.sum(case(((matched.c.kind == "invoice") & matched.c.credited.is_(False),
                                     matched.c.total - matched.c.paid), else_=0)), 0),
        func.coalesce(func.sum(case((matched.c.kind == "credit_note", matched.c.total), else_=0)), 0))).one()
    filter_party = db.session.get(Party, filters["party_id"]) \
        if may_see_party(current_user, filters["party_id"]) else None
    return render_template("finance/invoices.html", page=page, filters=filters, sort=sort, errors=errors,
                           totals=totals, filter_party=filter_party,
                           start_text=request.args.get("from", ""), end_text=request.args.get("to", ""))


def _invoice_or_404(invoice_id: int) -> Invoice:
    invoice = db.session.scalar(select(Invoice).where(Invoice.id == invoice_id, invoice_condition(current_user))
                                .options(selectinload(Invoice.lines), selectinload(Invoice.party)))
    if invoice is None:
        abort(404)
    return invoice


def _related(invoice: Invoice) -> dict:
    payments = db.session.execute(select(Allocation, Receipt).join(Receipt, Receipt.id == Allocation.receipt_id)
                                  .where(Allocation.invoice_id == invoice.id)
                                  .order_by(Receipt.received_on, Allocation.id)).all()
    credit_note = original = None
    if invoice.kind == "invoice" and invoice.credited:
        credit_note = db.session.scalar(select(Invoice).where(Invoice.credit_of_id == invoice.id))
    if invoice.credit_of_id:
        original = db.session.get(Invoice, invoice.credit_of_id)
    return dict(payments=payments, credit_note=credit_note, original=original)


@bp.route("/invoices/<int:invoice_id>")
@permission_required("finance.view")
def invoice(invoice_id):
    inv = _invoice_or_404(invoice_id)
    return render_template("finance/invoice.html", invoice=inv, **_related(inv))


@bp.route("/invoices/<int:invoice_id>/print")
@permission_required("finance.view")
def invoice_print(invoice_id):
    inv = _invoice_or_404(invoice_id)
    return render_template("finance/invoice_print.html", invoice=inv, **_related(inv))
