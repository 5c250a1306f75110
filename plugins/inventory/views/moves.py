"""The movement ledger: every posted move, for one product, one warehouse or all, with kind,
warehouse, the change in on-hand and reserved units, what it refers to (the order, the slip,
the other warehouse of a transfer), the reason, who and when. Posted moves are never edited or
deleted (the model refuses too): a mistake is corrected by posting another move."""
from __future__ import annotations

from flask import abort, render_template, request

from core.access import permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.jalali import JalaliDateError, parse_date
from core.models.products import Product
from core.validation import ValidationError
from core.views.helpers import Page, page_args
from plugins.inventory.models import MOVE_KINDS, Warehouse
from plugins.inventory.services import queries
from plugins.inventory.views import bp, int_arg, order_label


def _date(name: str, errors: list):
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except JalaliDateError as exc:
        errors.append(str(exc))
        return None


def moves_page(product: Product | None = None, warehouse: Warehouse | None = None):
    errors: list[str] = []
    product_id = product.id if product else int_arg("product")
    if product is None and request.args.get("item", "").strip():
        try:
            product_id = queries.find_product(request.args["item"], tracked_only=False).id
        except ValidationError as exc:
            errors.extend(exc.errors.values())
            product_id = -1  # nothing matches what was typed
    filters = dict(product_id=product_id,
                   warehouse_id=warehouse.id if warehouse else int_arg("warehouse"),
                   kind=request.args.get("kind") if request.args.get("kind") in MOVE_KINDS else None,
                   date_from=_date("from", errors), date_to=_date("to", errors))
    stmt = queries.moves_query(**filters)
    fmt = request.args.get("export")
    if fmt:
        return _export(stmt, fmt if fmt in FORMATS else "csv")
    page_no, size = page_args()
    total = queries.count(stmt)
    moves = db.session.scalars(stmt.limit(size).offset((page_no - 1) * size)).all()
    stock = []
    if product is not None:  # the product's stock in every warehouse, above its history
        stock = queries.to_stock_rows(db.session.execute(
            queries.stock_query(per="warehouse")[0].where(Product.id == product.id)).all())
    chosen_product = product or (db.session.get(Product, product_id) if product_id and product_id > 0 else None)
    return render_template("inventory/moves.html", page=Page(moves, total, page_no, size), refs=queries.move_refs(moves),
                           product=product, warehouse=warehouse, chosen_product=chosen_product, filters=filters,
                           errors=errors, stock=stock, houses=queries.warehouses(), args=request.args)


def _export(stmt, fmt):
    moves = db.session.scalars(stmt).all()
    refs = queries.move_refs(moves)

    def reference(m):
        ref = refs[m.id]
        parts = []
        if ref.order_ref:
            parts.append(order_label(ref.order_ref, ref.order_number))
        if ref.slip_number:
            parts.append(f"برگهٔ خروج {ref.slip_number}")
        if ref.transfer:
            parts.append(("به " if m.kind == "transfer_out" else "از ") + ref.transfer)
        return "، ".join(parts) or m.ref
    return export_response("inventory-moves", [
        ("شناسه", lambda m: m.id), ("زمان", lambda m: m.at), ("نوع", lambda m: MOVE_KINDS.get(m.kind, m.kind)),
        ("کد کالا", lambda m: m.product.code), ("کالا", lambda m: m.product.name), ("انبار", lambda m: m.warehouse.name),
        ("تغییر موجودی", lambda m: m.on_hand_delta), ("تغییر رزرو", lambda m: m.reserved_delta),
        ("مرجع", reference), ("دلیل", lambda m: m.reason),
        ("کاربر", lambda m: m.created_by.full_name if m.created_by else "سامانه"),
    ], moves, fmt)


@bp.route("/moves")
@permission_required("inventory.view")
def moves():
    return moves_page()


@bp.route("/warehouses/<int:warehouse_id>/moves")
@permission_required("inventory.view")
def warehouse_moves(warehouse_id):
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None:
        abort(404)
    return moves_page(warehouse=warehouse)
