"""The core's own contributions, made through the same hooks as any plugin.

Labels are lazy strings: they are declared once, when the app is created, and shown later in
the language of each request.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.plugins import MenuItem, PeriodicTask, Permission, Setting, hookimpl

ADMIN = ("administrator",)


@hookimpl
def register_permissions():
    return [
        Permission("core.organisation", _l("مدیریت دفترها، بخش‌ها و سمت‌ها"), ADMIN),
        Permission("core.users", _l("مدیریت کاربران"), ADMIN),
        Permission("core.users.scope_all", _l("دیدن کاربران همهٔ دفترها"), ADMIN + ("inspector",)),
        Permission("core.groups", _l("مدیریت گروه‌های کاربری و دسترسی‌ها"), ADMIN),
        Permission("core.settings", _l("ویرایش تنظیمات"), ADMIN),
        Permission("core.rules_edit", _l("ویرایش صفحهٔ قوانین و مقررات"), ADMIN),
        Permission("core.products", _l("دیدن کاتالوگ کالا"), ADMIN + ("manager", "sales", "warehouse", "finance", "support", "inspector")),
        Permission("core.products_manage", _l("مدیریت کاتالوگ کالا"), ADMIN),
        Permission("core.audit", _l("دیدن سابقهٔ تغییرات"), ADMIN + ("inspector",)),
        Permission("core.backup", _l("تهیه و بازگردانی پشتیبان"), ADMIN),
        Permission("core.plugins", _l("دیدن افزونه‌ها"), ADMIN),
    ]


@hookimpl
def menu_items(user):
    admin = _l("مدیریت سامانه")
    return [
        MenuItem("core.home", _l("کارتابل"), "core.home", None, icon="house", order=0),
        MenuItem("core.products", _l("کالاها"), "core_admin.products", "core.products", icon="box", order=80),
        MenuItem("core.offices", _l("دفترها و بخش‌ها"), "core_admin.offices", "core.organisation", section=admin, icon="building", order=910),
        MenuItem("core.positions", _l("سمت‌ها"), "core_admin.positions", "core.organisation", section=admin, icon="diagram-3", order=915),
        MenuItem("core.users", _l("کاربران"), "core_admin.users", "core.users", section=admin, icon="people", order=920),
        MenuItem("core.groups", _l("گروه‌های کاربری"), "core_admin.groups", "core.groups", section=admin, icon="shield-lock", order=930),
        MenuItem("core.settings", _l("تنظیمات"), "core_admin.settings", "core.settings", section=admin, icon="sliders", order=940),
        MenuItem("core.rules_edit", _l("ویرایش قوانین"), "core_admin.rules_edit", "core.rules_edit", section=admin, icon="journal-text", order=950),
        MenuItem("core.audit", _l("سابقهٔ تغییرات"), "core_admin.audit", "core.audit", section=admin, icon="clock-history", order=960),
        MenuItem("core.backup", _l("پشتیبان‌گیری"), "core_admin.backup", "core.backup", section=admin, icon="archive", order=970),
        MenuItem("core.plugins", _l("افزونه‌ها"), "core_admin.plugins", "core.plugins", section=admin, icon="puzzle", order=980),
        MenuItem("core.rules", _l("قوانین و مقررات"), "core.rules", None, icon="info-circle", order=990),
    ]


@hookimpl
def settings_schema():
    general = _l("عمومی")
    return [
        Setting("core.company_name", _l("نام سازمان"), "str", "شرکت نمونهٔ پیوند", section=general, order=1),  # a value, not a label
        Setting("core.money_unit", _l("واحد نمایش مبالغ"), "choice", "rial",
                choices=(("rial", _l("ریال")), ("toman", _l("تومان"))), section=general, order=2),
        Setting("core.mask_contacts", _l("نمایش شماره‌ها و نشانی‌ها به‌صورت پوشیده (حالت نمایشی)"), "bool", False,
                section=general, order=3),
        Setting("core.default_max_open_negotiations", _l("سقف پیش‌فرض مذاکرات باز کاربر جدید"), "int", 50,
                min=0, max=100000, section=general, order=4),
    ]


@hookimpl
def periodic_tasks():
    return [PeriodicTask("core.prune_login_attempts", _prune_path(), interval=3600,
                         description=_l("پاک‌کردن تلاش‌های ناموفق ورود قدیمی"))]


def _prune_path():
    from core.jobs import prune_login_attempts
    return prune_login_attempts


@hookimpl
def register_blueprints(app):
    from core.api import api_bp
    from core.views import admin_bp, core_bp
    return [core_bp, admin_bp, api_bp]
