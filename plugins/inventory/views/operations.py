"""Receipts into stock (رسید), stock counts (شمارش و اصلاح موجودی) and transfers between
warehouses (انتقال). Each: a form, the service, the Persian refusals on the fields, and the last
few moves of its kind below the form."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.access import permission_required
from core.db import db
from core.forms import apply_errors
from core.persian import to_persian_digits
from core.validation import ValidationError
from plugins.inventory.services import ledger, queries
from plugins.inventory.views import bp, int_arg
from plugins.inventory.views.forms import PRODUCT_HELP, CountForm, ReceiptForm, TransferForm

# The services name their fields after their arguments; the forms after what the user types.
FIELDS = {"product_id": "product"}


def _prefill(form):
    """Open a form from a stock row: `?product=<code>&warehouse_id=<id>`."""
    if request.method == "GET":
        if request.args.get("product"):
            form.product.data = request.args["product"][:100]
        if int_arg("warehouse_id"):
            form.warehouse_id.data = int_arg("warehouse_id")


def _show(form, exc: ValidationError, extra: dict | None = None):
    db.session.rollback()
    mapping = {**FIELDS, **(extra or {})}
    loose = apply_errors(form, ValidationError({mapping.get(k, k): v for k, v in exc.errors.items()}))
    for message in loose:
        flash(message, "danger")


def _n(value: int) -> str:
    return to_persian_digits(f"{value:,}".replace(",", "٬"))


def _render(template: str, form, kind, title: str, **extra):
    return render_template(template, form=form, title=title, recent=queries.recent_moves(kind),
                           product_help=PRODUCT_HELP, **extra)


@bp.route("/receipt", methods=["GET", "POST"])
@permission_required("inventory.operate")
def receipt():
    form = ReceiptForm().fill()
    _prefill(form)
    if form.validate_on_submit():
        try:
            product = queries.find_product(form.product.data)
            ledger.receipt(form.warehouse_id.data, product.id, form.quantity.data, current_user, form.reason.data or "")
        except ValidationError as exc:
            _show(form, exc)
        else:
            stock = queries.stock_of(product.id, form.warehouse_id.data)
            flash(f"رسید {_n(form.quantity.data)} «{product.name}» ثبت شد؛ موجودی این انبار: {_n(stock.on_hand)}.",
                  "success")
            return redirect(url_for("inventory.receipt", warehouse_id=form.warehouse_id.data))
    return _render("inventory/receipt.html", form, "receipt", "رسید کالا به انبار")


@bp.route("/count", methods=["GET", "POST"])
@permission_required("inventory.operate")
def count():
    form = CountForm().fill()
    _prefill(form)
    if form.validate_on_submit():
        try:
            product = queries.find_product(form.product.data)
            move = ledger.adjust(form.warehouse_id.data, product.id, form.counted.data, current_user,
                                 form.reason.data or "")
        except ValidationError as exc:
            _show(form, exc, {"quantity": "counted"})
        else:
            if move is None:
                flash(f"شمارش با دفاتر یکی است ({_n(form.counted.data)})؛ اصلاحی لازم نبود.", "info")
            else:
                sign = "+" if move.on_hand_delta > 0 else "−"
                flash(f"موجودی «{product.name}» به {_n(form.counted.data)} اصلاح شد "
                      f"({sign}{_n(abs(move.on_hand_delta))}).", "success")
            return redirect(url_for("inventory.count", warehouse_id=form.warehouse_id.data))
    return _render("inventory/count.html", form, "adjustment", "شمارش و اصلاح موجودی")


@bp.route("/transfer", methods=["GET", "POST"])
@permission_required("inventory.operate")
def transfer():
    form = TransferForm().fill()
    _prefill(form)
    if form.validate_on_submit():
        try:
            product = queries.find_product(form.product.data)
            if form.to_id.data is None:
                raise ValidationError({"to_id": "انبار مقصد را انتخاب کنید."})
            ledger.transfer(form.warehouse_id.data, form.to_id.data, product.id, form.quantity.data, current_user,
                            form.reason.data or "")
        except ValidationError as exc:
            _show(form, exc)
        else:
            flash(f"{_n(form.quantity.data)} «{product.name}» منتقل شد.", "success")
            return redirect(url_for("inventory.transfer", warehouse_id=form.warehouse_id.data))
    return _render("inventory/transfer.html", form, ("transfer_out",), "انتقال بین انبارها")
