"""Warehouses and per-product stock settings (reorder level, kept in stock or not)."""
from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from core.models.org import Office
from core.models.products import Product
from core.persian import to_persian_digits
from core.validation import Checker, ValidationError
from plugins.inventory.models import ProductStockSetting, Reservation, Warehouse
from plugins.inventory.services.ledger import MAX_QUANTITY


def save_warehouse(data: dict, warehouse: Warehouse | None = None) -> Warehouse:
    """Create or edit a warehouse: name and code unique (code compared without case), an
    optional office. A warehouse with open reservations stays active until they are issued or
    released, so no order is left waiting on a warehouse nobody serves."""
    c = Checker(data)
    name = c.text("name", "نام انبار", required=True, max_len=120)
    code = c.text("code", "کد انبار", required=True, max_len=20).upper()
    office_id = c.integer("office_id", "دفتر")
    active = bool(data.get("active", True))
    if office_id is not None and db.session.get(Office, office_id) is None:
        c.fail("office_id", "دفتر انتخاب‌شده وجود ندارد.")
    others = select(func.count()).select_from(Warehouse)
    if warehouse is not None:
        others = others.where(Warehouse.id != warehouse.id)
    if name and db.session.scalar(others.where(Warehouse.name == name)):
        c.fail("name", "انبار دیگری با این نام هست.")
    if code and db.session.scalar(others.where(func.upper(Warehouse.code) == code)):
        c.fail("code", "انبار دیگری با این کد هست.")
    if warehouse is not None and warehouse.active and not active:
        waiting = db.session.scalar(select(func.count(Reservation.id)).where(
            Reservation.warehouse_id == warehouse.id, Reservation.quantity > Reservation.issued + Reservation.released))
        if waiting:
            c.fail("active", f"{to_persian_digits(f'{waiting:,}'.replace(',', '٬'))} رزرو باز در این انبار منتظر خروج است؛ پیش از غیرفعال کردن، "
                             "آن‌ها را خارج یا آزاد کنید.")
    c.done()
    warehouse = warehouse or Warehouse()
    warehouse.name, warehouse.code, warehouse.office_id, warehouse.active = name, code, office_id, active
    db.session.add(warehouse)
    db.session.commit()
    return warehouse


def save_product_setting(product_id, data: dict) -> ProductStockSetting:
    """The reorder level (units; low stock is available ≤ it) and whether the product is kept in
    stock. Only the keys present in `data` change."""
    product = db.session.get(Product, int(product_id)) if str(product_id).isdigit() else None
    if product is None:
        raise ValidationError({"product_id": "کالا پیدا نشد."})
    c = Checker(data)
    level = c.integer("reorder_level", "نقطهٔ سفارش", minimum=0, maximum=MAX_QUANTITY) if "reorder_level" in data else None
    if "reorder_level" in data and level is None and "reorder_level" not in c.errors:
        c.fail("reorder_level", "«نقطهٔ سفارش» را وارد کنید.")
    c.done()
    setting = db.session.get(ProductStockSetting, product.id) or ProductStockSetting(product_id=product.id,
                                                                                      reorder_level=0, tracked=True)
    if level is not None:
        setting.reorder_level = level
    if "tracked" in data:
        setting.tracked = bool(data["tracked"])
    db.session.add(setting)
    db.session.commit()
    return setting
