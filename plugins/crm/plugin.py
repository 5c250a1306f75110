"""CRM plugin: hook implementations only (domain logic lives in `services/`)."""
from __future__ import annotations

import os

from core.plugins import MenuItem, PeriodicTask, Permission, Setting, hookimpl

HERE = os.path.dirname(os.path.abspath(__file__))
SALES = ("administrator", "manager", "sales")
ALL_STAFF = SALES + ("inspector",)


@hookimpl
def register_permissions():
    return [
        Permission("crm.customers", "دیدن مشتریان و مذاکرات", ALL_STAFF),
        Permission("crm.register", "ثبت مشتری و مذاکرهٔ تازه", SALES),
        Permission("crm.log", "درج مذاکره (تماس، جلسه، پیام، بازدید)", SALES),
        Permission("crm.status", "تغییر وضعیت مذاکره (قطع، تعلیق، قطعی)", SALES),
        Permission("crm.free_pool", "دیدن لیست آزاد و انتساب مشتری به خود", SALES),
        Permission("crm.comment", "درج نظر روی مذاکرات", ("administrator", "inspector", "manager")),
        Permission("crm.scope_office", "دیدن مشتریان دفتر خود", ("manager", "sales")),
        Permission("crm.scope_all", "دیدن مشتریان همهٔ دفترها", ("administrator", "inspector")),
        Permission("crm.leads", "دیدن و ثبت سرنخ و برداشتن از صف دفتر", SALES),
        Permission("crm.leads_assign", "واگذاری سرنخ به دیگران", ("administrator", "manager")),
        Permission("crm.leads_import", "ورود سرنخ از فایل", ("administrator", "manager")),
        Permission("crm.pipelines", "تعریف قیف‌ها و مراحل فروش", ("administrator",)),
        Permission("crm.quotes", "صدور پیش‌فاکتور و ثبت سفارش", SALES),
        Permission("crm.orders_confirm", "تأیید و لغو سفارش", SALES),
        Permission("crm.discount_approve", "تأیید تخفیف بیش از سقف", ("administrator", "manager")),
        Permission("crm.credit_override", "عبور از سقف اعتبار مشتری", ("administrator",)),
        Permission("crm.policies", "تعریف سیاست‌های فروش و فهرست‌های قیمت", ("administrator",)),
        Permission("crm.lists", "مدیریت فهرست‌های پایه (دسته‌بندی، زمینهٔ فعالیت، …)", ("administrator",)),
        Permission("crm.duplicates_audit", "دیدن هشدارهای مشتری تکراری که به کارشناسان نشان داده شده",
                   ("administrator", "inspector")),
        Permission("crm.merge", "یافتن مشتریان تکراری در کل پایگاه و ادغام آن‌ها", ("administrator",)),
        Permission("crm.export", "خروجی CSV و Excel", ("administrator", "manager", "inspector")),
        Permission("crm.report_status", "گزارش وضعیت مذاکرات کاربران", ("administrator", "manager", "inspector")),
        Permission("crm.report_points", "نمودار امتیازات کاربران", ALL_STAFF),
        Permission("crm.report_stale", "گزارش مذاکرات راکد", ALL_STAFF),
        Permission("crm.report_followups", "پیگیری‌های روزانه", SALES),
        Permission("crm.report_comments", "نظرات مدیریت و بازرس", SALES),
    ]


@hookimpl
def settings_schema():
    saba, stale = "قوانین مذاکره (سبا)", "مذاکرات راکد"
    return [
        Setting("crm.window_months", "مهلت مذاکره (ماه)", "int", 3, min=1, max=24, section=saba, order=1),
        Setting("crm.points_negotiating", "امتیاز در حال مذاکره", "int", -1, min=-100, max=100, section=saba, order=2),
        Setting("crm.points_cut", "امتیاز قطع مذاکره", "int", -2, min=-100, max=100, section=saba, order=3),
        Setting("crm.points_suspended", "امتیاز معلق (هنگام برداشتن توسط دیگری)", "int", -1, min=-100, max=100, section=saba, order=4),
        Setting("crm.points_won", "امتیاز قطعی شده", "int", 5, min=-100, max=100, section=saba, order=5),
        Setting("crm.points_expired", "امتیاز منقضی شده", "int", -2, min=-100, max=100, section=saba, order=6),
        Setting("crm.dup_name_threshold", "حداقل شباهت نام برای هشدار تکراری (٪)", "int", 85, min=50, max=100, section="مشتری تکراری", order=1),
        Setting("crm.dup_address_threshold", "حداقل شباهت نشانی در همان شهر (٪)", "int", 80, min=50, max=100, section="مشتری تکراری", order=2),
        Setting("crm.dup_min_score", "حداقل امتیاز برای نمایش هشدار", "int", 70, min=1, max=100, section="مشتری تکراری", order=3),
        Setting("crm.dup_max_key_share", "کلیدهای نامی مشترک میان بیش از این تعداد مشتری نادیده گرفته می‌شوند", "int", 500, min=10, max=100000, section="مشتری تکراری", order=4),
        Setting("crm.vat_percent_bp", "نرخ مالیات بر ارزش افزوده (صدم درصد؛ ۱۰۰۰ = ۱۰٪)", "int", 1000, min=0, max=10000, section="فروش", order=1),
        Setting("crm.quote_validity_days", "اعتبار پیش‌فرض پیش‌فاکتور (روز)", "int", 7, min=1, max=365, section="فروش", order=2),
        Setting("crm.attachment_max_mb", "حداکثر حجم پیوست (مگابایت)", "int", 10, min=1, max=200, section="پیوست‌ها", order=1),
        Setting("crm.web_form_per_hour", "حداکثر فرم سرنخ از یک نشانی در ساعت", "int", 5, min=1, max=1000, section="سرنخ‌ها", order=1),
        Setting("crm.stale_watch_days", "روزهای راکد برای نشان مراقبت", "int", 7, min=1, max=365, section=stale, order=1),
        Setting("crm.stale_yellow_days", "روزهای راکد برای کارت زرد", "int", 14, min=1, max=365, section=stale, order=2),
        Setting("crm.stale_red_days", "روزهای راکد برای کارت قرمز", "int", 30, min=1, max=365, section=stale, order=3),
    ]


@hookimpl
def menu_items(user):
    crm = "مشتریان"
    leads = "سرنخ‌ها"
    reports = "گزارش‌ها"
    sales = "فروش"
    return [
        MenuItem("crm.my", "مشتریان من", "crm.my_customers", "crm.customers", section=crm, icon="person-lines-fill", order=10),
        MenuItem("crm.team", "مشتریان زیرمجموعه", "crm.team_customers", "crm.customers", section=crm, icon="diagram-3", order=11),
        MenuItem("crm.all", "همهٔ مشتریان", "crm.all_customers", "crm.customers", section=crm, icon="people", order=12),
        MenuItem("crm.pool", "لیست آزاد", "crm.free_pool", "crm.free_pool", section=crm, icon="inbox", order=13),
        MenuItem("crm.new", "ثبت مشتری", "crm.register", "crm.register", section=crm, icon="person-plus", order=14),
        MenuItem("crm.leads_queue", "صف سرنخ‌ها", "crm.leads_queue", "crm.leads", section=leads, icon="inboxes", order=20),
        MenuItem("crm.leads_my", "سرنخ‌های من", "crm.my_leads", "crm.leads", section=leads, icon="person-check", order=21),
        MenuItem("crm.leads_all", "همهٔ سرنخ‌ها", "crm.all_leads", "crm.leads", section=leads, icon="funnel", order=22),
        MenuItem("crm.leads_new", "ثبت سرنخ", "crm.new_lead", "crm.leads", section=leads, icon="plus-circle", order=23),
        MenuItem("crm.leads_import", "ورود سرنخ از فایل", "crm.import_upload", "crm.leads_import", section=leads,
                 icon="file-earmark-arrow-up", order=24),
        MenuItem("crm.tasks", "کارهای من", "crm.my_tasks", "crm.log", icon="check2-square", order=5),
        MenuItem("crm.board", "تابلوی فرصت‌ها", "crm.board", "crm.customers", section=crm, icon="kanban", order=16),
        MenuItem("crm.opps", "فهرست فرصت‌های فروش", "crm.opportunities", "crm.customers", section=crm, icon="graph-up-arrow", order=17),
        MenuItem("crm.pipelines", "قیف‌ها و مراحل فروش", "crm.pipelines", "crm.pipelines", section="مدیریت سامانه", icon="funnel-fill", order=906),
        MenuItem("crm.dups", "مشتریان تکراری و ادغام", "crm.duplicate_scans", "crm.merge", section=crm, icon="intersect", order=15),
        MenuItem("crm.lists", "فهرست‌های پایه", "crm.lists", "crm.lists", section="مدیریت سامانه", icon="list-ul", order=905),
        MenuItem("crm.r_status", "وضعیت مذاکرات کاربران", "crm.report_status", "crm.report_status", section=reports, icon="table", order=30),
        MenuItem("crm.r_points", "نمودار امتیازات", "crm.report_points", "crm.report_points", section=reports, icon="graph-up", order=31),
        MenuItem("crm.r_stale", "مذاکرات راکد", "crm.report_stale", "crm.report_stale", section=reports, icon="hourglass-split", order=32),
        MenuItem("crm.r_follow", "پیگیری‌های روزانه", "crm.report_followups", "crm.report_followups", section=reports, icon="calendar-check", order=33),
        MenuItem("crm.r_comments", "نظرات مدیریت", "crm.report_comments", "crm.report_comments", section=reports, icon="chat-left-text", order=34),
        MenuItem("crm.quotes_list", "پیش‌فاکتورها", "crm.quotes_list", "crm.customers", section=sales, icon="receipt", order=25),
        MenuItem("crm.orders", "سفارش‌ها و قراردادها", "crm.orders_list", "crm.customers", section=sales, icon="cart-check", order=26),
        MenuItem("crm.approvals", "تأیید تخفیف‌ها", "crm.discount_approvals", "crm.discount_approve", section=sales, icon="patch-check", order=27),
        MenuItem("crm.policies", "سیاست‌های فروش", "crm.policies", "crm.policies", section=sales, icon="percent", order=28),
        MenuItem("crm.price_lists", "فهرست‌های قیمت", "crm.price_lists", "crm.policies", section=sales, icon="tags", order=29),
        MenuItem("crm.discount_limits", "سقف تخفیف گروه‌ها", "crm.discount_limits", "crm.policies", section=sales, icon="sliders", order=29),
        MenuItem("crm.r_dup_warnings", "هشدارهای مشتری تکراری", "crm.duplicates_audit", "crm.duplicates_audit", section=reports, icon="shield-check", order=35),
    ]


@hookimpl
def periodic_tasks():
    from plugins.crm.services import negotiations, stale, tasks
    return [
        PeriodicTask("crm.expire", negotiations.sweep_expired, interval=600,
                     description="ثبت انقضای مذاکراتی که مهلتشان گذشته است، با امتیازها"),
        PeriodicTask("crm.stale_cards", stale.issue_cards, cron="30 0 * * *",
                     description="صدور کارت زرد و قرمز برای مذاکرات راکد"),
        PeriodicTask("crm.overdue_tasks", tasks.flag_overdue, interval=300,
                     description="علامت‌گذاری کارهای عقب‌افتاده و یادآوری به مسئول"),
    ]


@hookimpl
def migration_locations():
    return [os.path.join(HERE, "migrations")]


@hookimpl
def register_blueprints(app):
    from plugins.crm.api import api_bp, dedupe_bp
    from plugins.crm.api_leads import leads_api_bp
    from plugins.crm.api_orders import orders_api_bp
    from plugins.crm.api_sales import sales_api_bp
    from plugins.crm.views import bp
    from plugins.crm.views.leads import forms_bp
    return [bp, api_bp, dedupe_bp, leads_api_bp, forms_bp, sales_api_bp, orders_api_bp]


@hookimpl
def cli_commands():
    from plugins.crm.cli import crm
    return [crm]


@hookimpl
def pricing_adjustments(quote, line):
    from plugins.crm.services.policies import line_adjustments
    return line_adjustments(quote, line)


@hookimpl
def template_slot(slot, context):
    if slot == "core.home":
        from plugins.crm.views.workbench import workbench_panels
        return workbench_panels(context.get("user"))
    return None


@hookimpl
def load_demo_data(context):
    from plugins.crm.demo import load
    load(context)


@hookimpl
def dashboard_kpis(period, scope):
    from plugins.crm.kpis import kpis
    return kpis(period, scope)


@hookimpl
def party_visibility(user, party_id):
    from plugins.crm.services.visibility import party_condition
    return party_condition(user, party_id)
