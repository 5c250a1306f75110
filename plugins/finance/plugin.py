"""Finance plugin: hook implementations only. It subscribes to the CRM's order hooks and answers
`customer_credit`; it imports nothing from the CRM."""
from __future__ import annotations

import os

from core.plugins import MenuItem, Permission, Setting, hookimpl

HERE = os.path.dirname(os.path.abspath(__file__))
STAFF = ("administrator", "finance")


@hookimpl
def register_permissions():
    return [
        Permission("finance.view", "دیدن فاکتورها، دریافت‌ها و حساب مشتریان", STAFF + ("manager", "inspector")),
        # Without it, finance.view shows the user's own office's books (services/scope.py).
        Permission("finance.scope_all", "دیدن امور مالی همهٔ دفترها", STAFF + ("inspector",)),
        Permission("finance.receipts", "ثبت دریافت، تخصیص و وضعیت چک", STAFF),
        Permission("finance.credit", "تعیین سقف اعتبار مشتریان", ("administrator",)),
    ]


@hookimpl
def settings_schema():
    section = "مالی"
    return [
        Setting("finance.payment_days", "مهلت پرداخت فاکتور (روز)", "int", 30, min=0, max=3650, section=section, order=1),
        Setting("finance.default_credit_limit", "سقف اعتبار پیش‌فرض (ریال؛ ۰ یعنی بی‌سقف)", "int", 0, min=0,
                max=10 ** 15, section=section, order=2),
        Setting("finance.closed_until", "دوره بسته تا تاریخ (شمسی؛ خالی یعنی باز)", "str", "", section=section, order=3),
    ]


@hookimpl
def menu_items(user):
    section = "مالی"
    return [
        MenuItem("finance.invoices", "فاکتورها", "finance.invoices", "finance.view", section=section, icon="receipt", order=60),
        MenuItem("finance.receipt_new", "ثبت دریافت", "finance.receipt_new", "finance.receipts", section=section,
                 icon="cash-coin", order=61),
        MenuItem("finance.receipts", "دریافت‌ها", "finance.receipts", "finance.view", section=section, icon="cash-stack",
                 order=62),
        MenuItem("finance.cheques", "چک‌های دریافتی", "finance.cheques", "finance.view", section=section,
                 icon="calendar2-check", order=63),
        MenuItem("finance.accounts", "حساب مشتریان", "finance.accounts_list", "finance.view", section=section,
                 icon="people", order=64),
        MenuItem("finance.credit", "سقف اعتبار", "finance.credit", "finance.credit", section=section, icon="sliders",
                 order=65),
    ]


@hookimpl
def migration_locations():
    return [os.path.join(HERE, "migrations")]


@hookimpl
def register_blueprints(app):
    from plugins.finance.api import finance_api
    from plugins.finance.views import bp
    return [bp, finance_api]


@hookimpl
def order_confirmed(order):
    from plugins.finance.services.invoices import invoice_order
    return invoice_order(order)


@hookimpl
def order_cancelled(order):
    from plugins.finance.services.invoices import credit_order
    return credit_order(order)


@hookimpl
def customer_credit(party_id, category_id):
    from plugins.finance.services.accounts import credit_info
    return credit_info(party_id, category_id)


@hookimpl
def customer_panels(customer, user):
    from plugins.finance.views import customer_panel
    return customer_panel(customer, user)


@hookimpl
def load_demo_data(context):
    from plugins.finance.demo import load
    load(context)


@hookimpl
def party_merged(kept_party_id, merged_party_id):
    from plugins.finance.services.merge import move_party
    return move_party(kept_party_id, merged_party_id)


@hookimpl
def dashboard_kpis(period, scope):
    from plugins.finance.kpis import kpis
    return kpis(period, scope)
