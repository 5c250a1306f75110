"""The inventory's figures for the managers' dashboard (`dashboard_kpis` hook), as set-based SQL.

Stock is the situation now (the period does not change it) and belongs to warehouses, not to
reps: an office filter keeps the warehouses of that office; a department or rep filter does not
apply (the figures say so with `extra["scope"] = "office"`). Products not kept in stock
(`tracked = False`) are left out, as on the stock screen.
"""
from __future__ import annotations

from flask import current_app, has_request_context, url_for
from sqlalchemy import case, func, or_, select

from core.access import can
from core.db import db
from core.models.org import User
from core.models.products import Product
from core.payloads import Kpi, Period, Scope
from core.persian import to_persian_digits
from plugins.inventory.models import ProductStockSetting, Stock, Warehouse

GROUP = "انبار"


def kpis(period: Period, scope: Scope) -> list[Kpi]:
    if not has_request_context():  # links are built with url_for
        with current_app.test_request_context("/"):
            return kpis(period, scope)
    viewer = db.session.get(User, scope.viewer_id)
    if viewer is None or not can(viewer, "inventory.view"):
        return []
    tracked = or_(ProductStockSetting.tracked.is_(None), ProductStockSetting.tracked.is_(True))
    warehouses = select(Warehouse.id).where(Warehouse.office_id == scope.office_id) \
        if scope.office_id is not None else None
    per_product = (select(Stock.product_id, func.sum(Stock.on_hand).label("on_hand"),
                          func.sum(Stock.on_hand - Stock.reserved).label("available"))
                   .group_by(Stock.product_id))
    if warehouses is not None:
        per_product = per_product.where(Stock.warehouse_id.in_(warehouses))
    per_product = per_product.subquery()
    reorder = func.coalesce(ProductStockSetting.reorder_level, 0)
    value, products, low = db.session.execute(
        select(func.coalesce(func.sum(per_product.c.on_hand * Product.cost_price), 0), func.count(),
               func.coalesce(func.sum(case((per_product.c.available <= reorder, 1), else_=0)), 0))
        .select_from(per_product).join(Product, Product.id == per_product.c.product_id)
        .outerjoin(ProductStockSetting, ProductStockSetting.product_id == Product.id).where(tracked)).one()
    only = None
    if scope.office_id is not None:
        ids = list(db.session.scalars(warehouses))
        only = ids[0] if len(ids) == 1 else None
    stock_url = url_for("inventory.stock", per="product", **({"warehouse": only} if only else {}))
    low_url = url_for("inventory.stock", per="product", low="1", **({"warehouse": only} if only else {}))
    extra = {"scope": "office"}
    return [
        Kpi("inventory.stock_value", "ارزش موجودی انبار", int(value), "rial", stock_url, order=50, group=GROUP,
            hint=f"جمع موجودی فعلی هر کالا × بهای تمام‌شدهٔ آن در کاتالوگ، {to_persian_digits(int(products))} کالای انباری"
                 + (" در انبارهای این دفتر" if scope.office_id is not None else " در همهٔ انبارها")
                 + "؛ به دوره و کارشناس بستگی ندارد.", extra=extra),
        Kpi("inventory.low_stock", "کالاهای زیر نقطهٔ سفارش", int(low), "count", low_url, order=51, group=GROUP,
            hint="کالاهایی که موجودی آزادشان (موجود منهای رزرو، جمع انبارها) به نقطهٔ سفارش یا کمتر رسیده است.",
            extra=extra),
    ]

