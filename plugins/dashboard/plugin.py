"""Dashboard plugin (داشبورد مدیریتی): hook implementations only. It imports no other plugin:
every figure comes from the plugins' `dashboard_kpis` implementations (see `services/figures.py`)."""
from __future__ import annotations

import os

from core.plugins import MenuItem, PeriodicTask, Permission, Setting, hookimpl

HERE = os.path.dirname(os.path.abspath(__file__))


@hookimpl
def register_permissions():
    return [
        Permission("dashboard.view", "دیدن داشبورد مدیریتی", ("administrator", "manager", "inspector")),
        Permission("dashboard.scope_all", "داشبورد همهٔ دفترها و کارشناسان", ("administrator", "inspector")),
    ]


@hookimpl
def settings_schema():
    return [Setting("dashboard.cache_minutes", "اعتبار ارقام ذخیره‌شدهٔ داشبورد (دقیقه)", "int", 60, min=1, max=1440,
                    help="ارقامی که پیش‌تر محاسبه شده‌اند تا این مدت دوباره محاسبه نمی‌شوند (دکمهٔ «به‌روزرسانی» "
                         "همیشه از نو محاسبه می‌کند).", section="داشبورد", order=1)]


@hookimpl
def menu_items(user):
    return [MenuItem("dashboard.index", "داشبورد مدیریتی", "dashboard.index", "dashboard.view", icon="speedometer2",
                     order=1)]


@hookimpl
def periodic_tasks():
    from plugins.dashboard.services.figures import refresh_common
    return [PeriodicTask("dashboard.refresh", refresh_common, interval=1800,
                         description="به‌روزرسانی ارقام داشبورد برای این ماه، این سه‌ماهه و امسال (هر دفتر)")]


@hookimpl
def migration_locations():
    return [os.path.join(HERE, "migrations")]


@hookimpl
def register_blueprints(app):
    from plugins.dashboard.views import bp
    return [bp]
