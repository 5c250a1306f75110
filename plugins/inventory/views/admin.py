"""Warehouses (name, code, office, active) and per-product stock settings (reorder level, kept in
stock or not): the `inventory.warehouses` permission."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.access import permission_required
from core.audit import history
from core.db import db
from core.forms import apply_errors
from core.models.org import Office
from core.models.products import Product
from core.validation import ValidationError
from core.views.helpers import Page, page_args
from plugins.inventory.models import ProductStockSetting, Warehouse
from plugins.inventory.services import queries
from plugins.inventory.services import warehouses as warehouse_service
from plugins.inventory.views import bp
from plugins.inventory.views.forms import SettingForm, WarehouseForm


@bp.route("/warehouses")
@permission_required("inventory.warehouses")
def warehouses():
    houses = queries.warehouses()
    return render_template("inventory/warehouses.html", houses=houses, totals=queries.warehouse_totals(),
                           waiting={w.id: queries.waiting_count(w.id, current_user) for w in houses})


@bp.route("/warehouses/new", methods=["GET", "POST"])
@bp.route("/warehouses/<int:warehouse_id>/edit", methods=["GET", "POST"])
@permission_required("inventory.warehouses")
def warehouse_edit(warehouse_id=None):
    warehouse = db.session.get(Warehouse, warehouse_id) if warehouse_id else None
    if warehouse_id and warehouse is None:
        abort(404)
    form = WarehouseForm(obj=warehouse)
    form.office_id.choices = [("", "— بدون دفتر —")] + [
        (o.id, o.name) for o in db.session.scalars(select(Office).order_by(Office.name))]
    if form.validate_on_submit():
        data = {"name": form.name.data, "code": form.code.data, "office_id": form.office_id.data,
                "active": form.active.data}
        try:
            saved = warehouse_service.save_warehouse(data, warehouse)
        except ValidationError as exc:
            db.session.rollback()
            for message in apply_errors(form, exc):
                flash(message, "danger")
        else:
            flash(f"انبار «{saved.name}» ذخیره شد.", "success")
            return redirect(url_for("inventory.warehouses"))
    entries = history("inv_warehouses", warehouse.id) if warehouse else []
    return render_template("inventory/warehouse_edit.html", form=form, warehouse=warehouse, entries=entries)


@bp.route("/settings")
@permission_required("inventory.warehouses")
def product_settings():
    q = request.args.get("q", "").strip()[:100]
    stmt = queries.product_settings(q)
    page_no, size = page_args()
    total = queries.count(stmt)
    rows = db.session.execute(stmt.limit(size).offset((page_no - 1) * size)).all()
    return render_template("inventory/settings.html", page=Page(rows, total, page_no, size), q=q)


@bp.route("/settings/<int:product_id>", methods=["POST"])
@permission_required("inventory.warehouses")
def product_setting(product_id):
    """One product's row (htmx swaps it in place; without htmx, back to the list)."""
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    form = SettingForm()
    error = ""
    if not form.validate_on_submit():
        error = " ".join(e for errors in form.errors.values() for e in errors) or "فرم منقضی شده است؛ دوباره بفرستید."
    else:
        try:
            warehouse_service.save_product_setting(product.id, {"reorder_level": form.reorder_level.data,
                                                                "tracked": form.tracked.data})
        except ValidationError as exc:
            db.session.rollback()
            error = str(exc)
    setting = db.session.get(ProductStockSetting, product.id)
    level = setting.reorder_level if setting else 0
    tracked = setting.tracked if setting else True
    if request.headers.get("HX-Request") == "true":
        return render_template("inventory/_setting_row.html", product=product, level=level, tracked=tracked,
                               error=error, typed=request.form.get("reorder_level") if error else None, saved=not error)
    flash(error or f"تنظیمات «{product.name}» ذخیره شد.", "danger" if error else "success")
    return redirect(url_for("inventory.product_settings", q=request.args.get("q") or None))
