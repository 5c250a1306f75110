"""Receipts (دریافت): entry with allocation to the customer's open invoices on the same form
(htmx loads them when the customer is chosen; «تخصیص خودکار» fills the oldest first), the
list, the receipt page with its allocations and an allocate form for what is left."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from core.access import can, permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.forms import apply_errors, form_data
from core.jalali import today_tehran
from core.models.parties import Party
from core.persian import to_ascii_digits, to_persian_digits
from core.validation import ValidationError
from core.views.helpers import paginate
from plugins.finance.models import CHEQUE_STATUSES, METHODS, Allocation, Invoice, Receipt
from plugins.finance.services import accounts, queries
from plugins.finance.services import receipts as receipt_service
from plugins.finance.services.queries import RECEIPT_SORT
from plugins.finance.services.scope import invoice_condition, may_see_party, party_condition
from plugins.finance.views import bp
from plugins.finance.views.common import int_arg, period_args, sort_by
from plugins.finance.views.forms import ReceiptForm


def _amount(value) -> int | None:
    text = to_ascii_digits(str(value or "")).replace(",", "").replace("٬", "").strip()
    return int(text) if text.isdigit() and len(text) < 17 else None


def _posted_allocations() -> dict[str, str]:
    """`alloc-<invoice id>` inputs as typed (the service parses them)."""
    return {key[6:]: value for key, value in request.form.items()
            if key.startswith("alloc-") and key[6:].isdigit() and value.strip()}


def _allocation_context(party_id: int | None, values: dict, amount: int | None, receipt: Receipt | None = None,
                        error: str = "") -> dict:
    if party_id and not may_see_party(current_user, party_id):
        party_id = None  # a customer outside the viewer's books is not shown (nor said to exist)
    invoices = db.session.scalars(accounts.open_invoices(party_id).order_by(Invoice.issued_at, Invoice.id)).all() \
        if party_id else []
    return dict(alloc_party=db.session.get(Party, party_id) if party_id else None, alloc_invoices=invoices,
                alloc_values={str(k): v for k, v in values.items()}, alloc_amount=amount, alloc_receipt=receipt,
                alloc_error=error, alloc_balance=accounts.balance(party_id) if party_id else None)


# --- the customer search used by the receipt and credit-limit forms -------------------------------

@bp.route("/parties/options")
@permission_required("finance.receipts", "finance.credit")
def party_options():
    """`<option>`s of customers matching `q` (normalised name, organisation or national ID)."""
    q = request.args.get("q", "").strip()[:100]
    selected = int_arg(request.args.get("party_id"))
    parties = queries.find_parties(current_user, q, selected=None if q else selected)
    if q:
        selected = parties[0].id if len(parties) == 1 else None
    return render_template("finance/_party_options.html", parties=parties, selected=selected, searched=bool(q))


@bp.route("/receipts/allocations")
@permission_required("finance.receipts")
def receipt_allocations():
    """The allocation table for the chosen customer (htmx); `auto=1` fills it oldest first."""
    receipt = None
    receipt_id = int_arg(request.args.get("receipt"))
    if receipt_id:
        receipt = _receipt_or_404(receipt_id)
        party_id, amount = receipt.party_id, receipt.unallocated
    else:
        party_id, amount = int_arg(request.args.get("party_id")), _amount(request.args.get("amount"))
    values: dict = {}
    error = ""
    if request.args.get("auto"):
        if not amount:
            error = "برای تخصیص خودکار، نخست مبلغ دریافت را وارد کنید."
        elif party_id:
            values = receipt_service.suggest_allocation(party_id, amount)
    else:
        values = {key[6:]: value for key, value in request.args.items() if key.startswith("alloc-")}
    return render_template("finance/_allocations.html", **_allocation_context(party_id, values, amount, receipt, error))


# --- entry ----------------------------------------------------------------------------------------

@bp.route("/receipts/new", methods=["GET", "POST"])
@permission_required("finance.receipts")
def receipt_new():
    form = ReceiptForm()
    values: dict = {}
    loose: list[str] = []
    alloc_error = ""
    if request.method == "GET":
        form.received_on.data = today_tehran()
        form.party_id.data = int_arg(request.args.get("party"))
        invoice = db.session.scalar(select(Invoice).where(Invoice.id == (int_arg(request.args.get("invoice")) or 0),
                                                          invoice_condition(current_user)))
        if invoice is not None and invoice.open_amount > 0:
            form.party_id.data = invoice.party_id
            form.amount.data = invoice.open_amount
            values = {invoice.id: invoice.open_amount}
    elif form.validate_on_submit():
        values = _posted_allocations()
        data = {**form_data(form), "allocations": values}
        try:
            receipt = receipt_service.create(data, current_user)
        except ValidationError as exc:
            db.session.rollback()
            alloc_error = exc.errors.pop("allocations", "")
            loose = apply_errors(form, ValidationError(exc.errors)) if exc.errors else []
        else:
            left = receipt.unallocated
            flash(f"دریافت شمارهٔ {to_persian_digits(receipt.number)} ثبت شد"
                  + (f"؛ {_money(left)} تخصیص‌نیافته به‌عنوان بستانکاری مشتری ماند." if left else "."), "success")
            return redirect(url_for("finance.receipt", receipt_id=receipt.id))
    else:
        values = _posted_allocations()
    party_id = form.party_id.data
    return render_template("finance/receipt_new.html", form=form, loose=loose,
                           parties=queries.find_parties(current_user, "", selected=party_id),
                           **_allocation_context(party_id, values, form.amount.data, error=alloc_error))


def _money(value: int) -> str:
    from core.ui import money
    return money(value)


# --- list and page --------------------------------------------------------------------------------

@bp.route("/receipts")
@permission_required("finance.view")
def receipts():
    errors: list[str] = []
    start, end = period_args(errors)
    method = request.args.get("method", "")
    filters = dict(method=method if method in METHODS else "", start=start, end=end,
                   q=request.args.get("q", "").strip()[:100], party_id=int_arg(request.args.get("party")),
                   unallocated=request.args.get("unallocated") == "1")
    base = queries.receipts(current_user, **filters).options(contains_eager(Receipt.party), selectinload(Receipt.allocations))
    stmt, sort = sort_by(base, RECEIPT_SORT, "-received")
    stmt = stmt.order_by(Receipt.id.desc())
    fmt = request.args.get("export")
    if fmt:
        rows = db.session.scalars(stmt).unique().all()
        columns = [
            ("شماره", lambda r: r.number), ("سال مالی", lambda r: r.fiscal_year), ("تاریخ", lambda r: r.received_on),
            ("مشتری", lambda r: r.party.name), ("روش", lambda r: METHODS[r.method]), ("مبلغ (ریال)", lambda r: r.amount),
            ("تخصیص‌یافته (ریال)", lambda r: r.allocated), ("تخصیص‌نیافته (ریال)", lambda r: r.unallocated),
            ("شمارهٔ پیگیری", lambda r: r.reference), ("شمارهٔ چک", lambda r: r.cheque_number),
            ("بانک", lambda r: r.cheque_bank), ("سررسید چک", lambda r: r.cheque_due),
            ("وضعیت چک", lambda r: CHEQUE_STATUSES.get(r.cheque_status or "", "")), ("توضیح", lambda r: r.notes),
        ]
        return export_response("finance-receipts", columns, rows, fmt if fmt in FORMATS else "csv")
    page = paginate(stmt)
    filter_party = db.session.get(Party, filters["party_id"]) \
        if may_see_party(current_user, filters["party_id"]) else None
    return render_template("finance/receipts.html", page=page, filters=filters, sort=sort, errors=errors,
                           filter_party=filter_party, start_text=request.args.get("from", ""),
                           end_text=request.args.get("to", ""))


def _receipt_or_404(receipt_id: int) -> Receipt:
    receipt = db.session.scalar(select(Receipt).where(Receipt.id == receipt_id,
                                                      party_condition(current_user, Receipt.party_id))
                                .options(selectinload(Receipt.allocations).joinedload(Allocation.invoice)))
    if receipt is None:
        abort(404)
    return receipt


def _render_receipt(receipt: Receipt, values: dict | None = None, error: str = ""):
    from core.models.org import User
    may_allocate = can(current_user, "finance.receipts") and receipt.unallocated > 0
    context = _allocation_context(receipt.party_id, values or {}, receipt.unallocated, receipt, error) \
        if may_allocate else {}
    return render_template("finance/receipt.html", receipt=receipt, may_allocate=may_allocate,
                           created_by=db.session.get(User, receipt.created_by_id) if receipt.created_by_id else None,
                           **context)


@bp.route("/receipts/<int:receipt_id>")
@permission_required("finance.view")
def receipt(receipt_id):
    return _render_receipt(_receipt_or_404(receipt_id))


@bp.route("/receipts/<int:receipt_id>/allocate", methods=["POST"])
@permission_required("finance.receipts")
def receipt_allocate(receipt_id):
    receipt = _receipt_or_404(receipt_id)
    values = _posted_allocations()
    try:
        receipt_service.allocate(receipt.id, values, current_user)
    except ValidationError as exc:
        db.session.rollback()
        return _render_receipt(_receipt_or_404(receipt_id), values, " ".join(exc.errors.values())), 422
    flash("تخصیص ثبت شد.", "success")
    return redirect(url_for("finance.receipt", receipt_id=receipt_id))
