"""Inventory demo data: a warehouse per office and opening stock of the demo products."""
from __future__ import annotations

from core.db import db
from plugins.inventory.models import ProductStockSetting, Warehouse
from plugins.inventory.services.ledger import lock, post


def load(context: dict) -> None:
    rng = context["rng"]
    warehouses = []
    for i, office in enumerate(context["offices"], start=1):
        warehouse = Warehouse(name=f"انبار {office.city}", code=f"W{i}", office_id=office.id)
        db.session.add(warehouse)
        warehouses.append(warehouse)
    db.session.flush()
    for product in context["products"]:
        if product.unit in ("سال", "روز", "خدمت", "مجوز"):
            # Services and licences are not stocked: their order lines reserve nothing.
            db.session.add(ProductStockSetting(product_id=product.id, reorder_level=0, tracked=False))
            continue
        db.session.add(ProductStockSetting(product_id=product.id, reorder_level=rng.choice([5, 10, 20])))
        stocks = lock([(product.id, w.id) for w in warehouses])
        for warehouse in warehouses:
            post(stocks[(product.id, warehouse.id)], "receipt", on_hand_delta=rng.randint(1, 60),
                 reason="موجودی اول دوره")
    db.session.flush()
