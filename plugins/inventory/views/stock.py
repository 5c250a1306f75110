"""Stock by product and warehouse: search, warehouse and low-stock filters, sorting, paging,
CSV/XLSX export; and the small fragments the forms fetch (product suggestions, a stock line)."""
from __future__ import annotations

from flask import abort, render_template, request

from core.access import permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.models.products import Product
from core.validation import ValidationError
from core.views.helpers import Page, page_args
from plugins.inventory.services import queries
from plugins.inventory.views import bp, int_arg

LEVEL_LABELS = {"out": "ناموجود", "low": "کمتر از نقطهٔ سفارش", "ok": ""}


def stock_filters() -> dict:
    args = request.args
    per = args.get("per", "warehouse")
    return dict(q=args.get("q", "").strip()[:100], warehouse_id=int_arg("warehouse"),
                low_only=args.get("low") == "1", sort=args.get("sort", "code"),
                per=per if per in ("warehouse", "product") else "warehouse")


@bp.route("/stock")
@permission_required("inventory.view")
def stock():
    filters = stock_filters()
    stmt, sort = queries.stock_query(**filters)
    fmt = request.args.get("export")
    if fmt:
        return _export(stmt, filters, fmt if fmt in FORMATS else "csv")
    page_no, size = page_args()
    total = queries.count(stmt)
    rows = queries.to_stock_rows(db.session.execute(stmt.limit(size).offset((page_no - 1) * size)).all())
    page = Page(rows, total, page_no, size)
    low_total = queries.count(queries.stock_query(**{**filters, "low_only": True})[0]) if not filters["low_only"] else total
    return render_template("inventory/stock.html", page=page, filters=filters, sort=sort, low_total=low_total,
                           warehouses=queries.warehouses(), LEVEL_LABELS=LEVEL_LABELS)


def _export(stmt, filters, fmt):
    rows = queries.to_stock_rows(db.session.execute(stmt).all())
    columns = [("کد کالا", lambda r: r.product.code), ("کالا", lambda r: r.product.name),
               ("واحد", lambda r: r.product.unit)]
    if filters["per"] != "product":
        columns.append(("انبار", lambda r: r.warehouse.name if r.warehouse else ""))
    columns += [("موجود", lambda r: r.on_hand), ("رزرو", lambda r: r.reserved), ("آزاد", lambda r: r.available),
                ("نقطهٔ سفارش", lambda r: r.reorder), ("وضعیت", lambda r: LEVEL_LABELS[r.level])]
    return export_response("inventory-stock", columns, rows, fmt)


@bp.route("/products/suggest")
@permission_required("inventory.view")
def product_suggest():
    """<option>s for the product inputs' datalist (htmx)."""
    return render_template("inventory/_product_options.html",
                           products=queries.product_suggestions(request.args.get("product") or request.args.get("item", "")))


@bp.route("/stock/line")
@permission_required("inventory.view")
def stock_line():
    """What the books hold for one product in one warehouse (htmx, beside the forms)."""
    warehouse_id = int_arg("warehouse_id")
    text = request.args.get("product", "").strip()
    product = stock = None
    if text and warehouse_id:
        try:
            product = queries.find_product(text)
        except ValidationError:  # a half-typed product: nothing to show yet
            product = None
        if product is not None:
            stock = queries.stock_of(product.id, warehouse_id)
    return render_template("inventory/_stock_line.html", product=product, stock=stock,
                           warehouse=next((w for w in queries.warehouses() if w.id == warehouse_id), None))


@bp.route("/products/<int:product_id>")
@permission_required("inventory.view")
def product(product_id):
    """A product's stock in every warehouse and its movement history."""
    item = db.session.get(Product, product_id)
    if item is None:
        abort(404)
    from plugins.inventory.views.moves import moves_page
    return moves_page(product=item)
