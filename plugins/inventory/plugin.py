"""Inventory plugin: hook implementations only. It subscribes to the CRM's order hooks and
answers availability questions; it imports nothing from the CRM."""
from __future__ import annotations

import os

from core.plugins import MenuItem, Permission, Setting, hookimpl

HERE = os.path.dirname(os.path.abspath(__file__))
STAFF = ("administrator", "warehouse")


@hookimpl
def register_permissions():
    return [
        Permission("inventory.view", "دیدن موجودی و گردش کالا", STAFF + ("manager", "inspector", "sales")),
        Permission("inventory.orders", "دیدن رزروهای سفارش‌ها و برگه‌های خروج (با نام مشتری)",
                   STAFF + ("manager", "inspector")),
        Permission("inventory.operate", "رسید، خروج کالا، شمارش و انتقال", STAFF),
        Permission("inventory.warehouses", "تعریف انبارها و نقطهٔ سفارش", ("administrator",)),
    ]


@hookimpl
def settings_schema():
    return [Setting("inventory.allow_partial", "رزرو بخشی برای سفارش‌هایی که آن را می‌پذیرند", "bool", False,
                    section="انبار", order=1)]


@hookimpl
def menu_items(user):
    section = "انبار"
    items = [
        ("stock", "موجودی کالا", "inventory.stock", "inventory.view", "boxes"),
        ("reservations", "رزروهای منتظر خروج", "inventory.reservations", "inventory.orders", "bookmark-check"),
        ("issues", "برگه‌های خروج کالا", "inventory.issues", "inventory.orders", "receipt"),
        ("receipt", "رسید کالا", "inventory.receipt", "inventory.operate", "box-arrow-in-down"),
        ("count", "شمارش و اصلاح موجودی", "inventory.count", "inventory.operate", "clipboard-check"),
        ("transfer", "انتقال بین انبارها", "inventory.transfer", "inventory.operate", "arrow-left-right"),
        ("moves", "گردش کالا", "inventory.moves", "inventory.view", "journal-text"),
        ("warehouses", "انبارها", "inventory.warehouses", "inventory.warehouses", "building"),
        ("settings", "نقطهٔ سفارش و کالاهای انباری", "inventory.product_settings", "inventory.warehouses", "sliders"),
    ]
    return [MenuItem(f"inventory.{key}", label, endpoint, permission, section=section, icon=icon, order=50 + i)
            for i, (key, label, endpoint, permission, icon) in enumerate(items)]


@hookimpl
def migration_locations():
    return [os.path.join(HERE, "migrations")]


@hookimpl
def register_blueprints(app):
    from plugins.inventory.api import api_bp
    from plugins.inventory.views import bp
    return [bp, api_bp]


def _actor(order):
    """The user who confirmed or cancelled (the payload's `actor_id`): the moves name them."""
    from core.db import db
    from core.models.org import User
    return db.session.get(User, order.actor_id) if order.actor_id else None


@hookimpl
def order_confirmed(order):
    from plugins.inventory.services.reservations import reserve
    return reserve(order, _actor(order))


@hookimpl
def order_cancelled(order):
    from plugins.inventory.services.reservations import release
    return release(order, _actor(order))


@hookimpl
def quote_line_availability(product_ids, office_id):
    from plugins.inventory.services.reservations import availability
    return availability(product_ids, office_id)


@hookimpl
def customer_panels(customer, user):
    from plugins.inventory.views import customer_panel
    return customer_panel(customer, user)


@hookimpl
def load_demo_data(context):
    from plugins.inventory.demo import load
    load(context)


@hookimpl
def dashboard_kpis(period, scope):
    from plugins.inventory.kpis import kpis
    return kpis(period, scope)
