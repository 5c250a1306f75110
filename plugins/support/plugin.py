"""Support plugin (پشتیبانی و خدمات پس از فروش): hook implementations only.

It imports nothing from other plugins: customers are the core's `parties`, orders are references
such as `crm.order:42` carried by the CRM's pages and payloads.

Events it emits after commit (`after_commit_event`), each with the payload keys `ticket`
("support.ticket:<id>"), `ticket_id`, `assignee_id`, `office_id`, `party_id`, `status`/`priority`:
- `support.ticket_opened`; `support.ticket_assigned` (given to someone other than the actor);
- `support.ticket_status_changed` (+ `old`, `new`);
- `support.sla_breached` (+ `title`, `due_at`, `breached_at`), once per breach, from the sweep.

Slots it fills: `crm.customer.actions` (context `customer`) and `crm.order.actions` (context
`order`) with a «درخواست پشتیبانی تازه» button, `core.home` with the agent's open tickets.
"""
from __future__ import annotations

import os

from core.plugins import MenuItem, PeriodicTask, Permission, Setting, hookimpl

HERE = os.path.dirname(os.path.abspath(__file__))
STAFF = ("administrator", "support")
SLOTS = ("crm.customer.actions", "crm.order.actions")


@hookimpl
def register_permissions():
    return [
        Permission("support.view", "دیدن درخواست‌های پشتیبانی", STAFF + ("manager", "inspector", "sales")),
        Permission("support.create", "ثبت درخواست پشتیبانی برای مشتری و افزودن یادداشت",
                   STAFF + ("manager", "sales")),
        Permission("support.work", "رسیدگی به درخواست‌ها: وضعیت، واگذاری و ویرایش", STAFF),
        Permission("support.scope_all", "دیدن درخواست‌های همهٔ دفترها", ("administrator", "inspector")),
        Permission("support.admin", "مدیریت دسته‌بندی‌های پشتیبانی", ("administrator",)),
    ]


@hookimpl
def settings_schema():
    section = "پشتیبانی"
    hours = dict(type="int", min=1, max=24 * 90, section=section)
    return [
        Setting("support.sla_urgent_hours", "مهلت رسیدگی درخواست «فوری» (ساعت)", default=2, order=1, **hours),
        Setting("support.sla_high_hours", "مهلت رسیدگی درخواست «زیاد» (ساعت)", default=8, order=2, **hours),
        Setting("support.sla_normal_hours", "مهلت رسیدگی درخواست «عادی» (ساعت)", default=24, order=3, **hours),
        Setting("support.sla_low_hours", "مهلت رسیدگی درخواست «کم» (ساعت)", default=72, order=4, **hours),
        Setting("support.attachment_max_mb", "حداکثر حجم هر پیوست درخواست (مگابایت)", "int", 10, min=1, max=200,
                section=section, order=5),
        Setting("support.max_attachments", "حداکثر تعداد پیوست‌های هر درخواست", "int", 20, min=1, max=500,
                section=section, order=6),
    ]


@hookimpl
def menu_items(user):
    section = "پشتیبانی"
    return [
        MenuItem("support.mine", "درخواست‌های من", "support.my_tickets", "support.work", section=section,
                 icon="person-check", order=40),
        MenuItem("support.queue", "صف تیم", "support.queue", "support.work", section=section, icon="inboxes", order=41),
        MenuItem("support.all", "همهٔ درخواست‌ها", "support.tickets", "support.view", section=section,
                 icon="life-preserver", order=42),
        MenuItem("support.overdue", "سررسیدگذشته", "support.overdue", "support.view", section=section,
                 icon="alarm", order=43),
        MenuItem("support.new", "درخواست تازه", "support.new_ticket", "support.create", section=section,
                 icon="plus-circle", order=44),
        MenuItem("support.categories", "دسته‌بندی‌های پشتیبانی", "support.categories_page", "support.admin",
                 section="مدیریت سامانه", icon="tags", order=907),
    ]


@hookimpl
def migration_locations():
    return [os.path.join(HERE, "migrations")]


@hookimpl
def register_blueprints(app):
    from plugins.support.api import api_bp
    from plugins.support.views import bp
    return [bp, api_bp]


@hookimpl
def periodic_tasks():
    from plugins.support.services.sla import sweep_task
    return [PeriodicTask("support.sla_sweep", sweep_task, interval=300,
                         description="علامت‌گذاری درخواست‌هایی که مهلت رسیدگی‌شان گذشته و خبر به کارشناس")]


@hookimpl
def cli_commands():
    from plugins.support.cli import support
    return [support]


@hookimpl
def customer_panels(customer, user):
    from plugins.support.views import customer_panel
    return customer_panel(customer, user)


@hookimpl
def template_slot(slot, context):
    if slot in SLOTS:
        from plugins.support.views import slot_button
        return slot_button(slot, context)
    if slot == "core.home":
        from plugins.support.views import home_card
        return home_card(context.get("user"))
    return None


@hookimpl
def dashboard_kpis(period, scope):
    from plugins.support.services.kpis import dashboard
    return dashboard(period, scope)


@hookimpl
def party_merged(kept_party_id, merged_party_id):
    from plugins.support.services.merge import move_party
    return move_party(kept_party_id, merged_party_id)


@hookimpl
def load_demo_data(context):
    from plugins.support.demo import load
    load(context)
