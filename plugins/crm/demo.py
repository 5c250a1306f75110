"""CRM demo data: master lists, and for every demo customer a negotiation history that covers
every status (negotiating, cut, suspended, won, expired), log entries, comments and points."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from core.db import db
from core.jalali import utcnow
from plugins.crm.models import Comment, Customer, ListItem, LogEntry, Pipeline, PointEntry, Stage, StatusChange
from plugins.crm.services import match_index
from plugins.crm.services import negotiations as neg

LISTS = {
    "category": ["مشتری سازمانی", "فروشگاه", "نمایندگی", "مشتری دولتی"],
    "activity": ["خرده‌فروشی", "پخش مویرگی", "تولیدی", "خدمات", "بهداشت و درمان", "آموزش"],
    "source": ["نمایشگاه", "معرفی مشتریان", "تبلیغات اینترنتی", "تماس ورودی", "بازاریابی حضوری"],
    "marketer": ["جواد رستمی", "سمیرا افشار"],
}
SUMMARIES = [
    "تماس اولیه؛ کاتالوگ و لیست قیمت ارسال شد.",
    "جلسه با مدیر خرید؛ نیاز به ۱۰ دستگاه کارت‌خوان و نرم‌افزار.",
    "پیش‌فاکتور ارسال شد؛ منتظر تأیید مدیر مالی هستند.",
    "درخواست تخفیف داشتند؛ قرار شد با مدیر فروش هماهنگ شود.",
    "بازدید از فروشگاه مرکزی و بررسی محل نصب.",
]


def load(context: dict) -> None:
    rng, users, products = context["rng"], context["users"], context["products"]
    from plugins.crm.services import pipeline as pipeline_service
    pipeline_service.ensure_default()  # first: every negotiation opened below starts in its first stage
    items = {}
    for kind, names in LISTS.items():
        items[kind] = [ListItem(kind=kind, name=name, phone="09121112233" if kind == "marketer" else "")
                       for name in names]
        db.session.add_all(items[kind])
    db.session.flush()
    reps = [users[u] for u in ("sara", "reza", "zahra", "mehdi", "fatemeh", "supervisor")]
    now = utcnow()
    plan = ["negotiating"] * 5 + ["cut", "suspended", "won", "expired"]
    for i, party in enumerate(context["parties"]):
        office_reps = [r for r in reps if r.office_id == party.office_id] or reps
        owner = office_reps[i % len(office_reps)]
        customer = Customer(party_id=party.id, registered_by_id=owner.id,
                            category_id=rng.choice(items["category"]).id, activity_id=rng.choice(items["activity"]).id,
                            source_id=rng.choice(items["source"]).id, product_id=rng.choice(products).id,
                            marketer_id=items["marketer"][0].id if i % 7 == 0 else None,
                            registered_at=now - dt.timedelta(days=rng.randint(1, 150)))
        db.session.add(customer)
        db.session.flush()
        match_index.reindex(customer)
        status = plan[i % len(plan)]
        negotiation = neg.open_negotiation(customer, owner, "register")
        # Place the window in the past so the history reads naturally.
        started = customer.registered_at
        negotiation.window_start = started
        negotiation.window_end = started + dt.timedelta(days=92) if status != "expired" else now - dt.timedelta(days=2)
        # The opening's points and history are dated when the window opened, not today.
        db.session.execute(update(PointEntry).where(PointEntry.negotiation_id == negotiation.id).values(at=started))
        db.session.execute(update(StatusChange).where(StatusChange.negotiation_id == negotiation.id).values(at=started))
        for k in range(rng.randint(1, 3)):
            day = (started + dt.timedelta(days=3 + 9 * k)).date()
            if day > now.date():
                break
            entry = LogEntry(negotiation_id=negotiation.id, customer_id=customer.id, author_id=owner.id,
                             date=day, kind=rng.choice(["call", "meeting", "message", "visit"]),
                             summary=rng.choice(SUMMARIES),
                             next_contact=(now + dt.timedelta(days=rng.randint(-3, 5))).date())
            db.session.add(entry)
            negotiation.last_entry_at = dt.datetime.combine(day, dt.time(10))
            negotiation.next_contact = entry.next_contact
            if k == 0 and i % 5 == 0:
                db.session.flush()
                db.session.add(Comment(entry=entry, author_id=users["inspector"].id, addressee_id=owner.id,
                                       body="لطفاً پیگیری این مشتری را سریع‌تر انجام دهید."))
        db.session.flush()
        if status in ("cut", "suspended", "won"):
            negotiation.status = status
            negotiation.closed_at = now - dt.timedelta(days=1)
            neg.record(negotiation, "negotiating", status, owner.id, points_to=owner.id,
                       event=None if status == "suspended" else status, at=negotiation.closed_at)
    db.session.flush()
    neg.sync_last_activity()  # the windows, entries and points above were back-dated by hand
    neg.rebuild_point_days()
    load_opportunities(context)
    load_sales(context)


NEEDS = ["۱۰ دستگاه کارت‌خوان سیار با نرم‌افزار فروشگاهی", "نرم‌افزار حسابداری برای ۳ شعبه",
         "رول کاغذ ماهانه و قرارداد پشتیبانی", "تجهیز صندوق‌های فروشگاه تازه‌تأسیس", "ارتقای سامانهٔ انبار"]
TASKS = [("تماس برای پیگیری پیش‌فاکتور", "call"), ("جلسهٔ معرفی محصول", "meeting"),
         ("ارسال کاتالوگ و لیست قیمت", "message"), ("بازدید از محل نصب", "visit"), ("گرفتن مدارک قرارداد", "document")]


def load_opportunities(context: dict) -> None:
    """Opportunity values, stages, priorities and forecasts on the open negotiations; a second
    pipeline; tasks (overdue, due today, upcoming) for every rep; a few documents."""
    from sqlalchemy import select

    from core.jalali import TEHRAN, UTC, format_date, today_tehran
    from plugins.crm.models import Negotiation, Task
    from plugins.crm.services import attachments
    from plugins.crm.services import pipeline as pipeline_service
    rng, users = context["rng"], context["users"]
    default = pipeline_service.ensure_default()
    stages = list(default.stages)
    project = Pipeline(name="فروش پروژه‌ای و سازمانی", is_default=False)
    project.stages = [Stage(name=n, position=i, probability=p, required_fields=r) for i, (n, p, r) in enumerate(
        [("ارزیابی نیاز", 15, []), ("شرکت در مناقصه", 40, ["value"]), ("ارائهٔ فنی", 60, ["value", "need_details"]),
         ("انعقاد قرارداد", 90, ["value", "forecast_close"])])]
    db.session.add(project)
    now, today = utcnow(), today_tehran()
    open_negotiations = list(db.session.scalars(select(Negotiation).where(
        Negotiation.status == "negotiating", Negotiation.window_end > now).order_by(Negotiation.id)))
    for i, n in enumerate(open_negotiations):
        n.value = rng.choice([35, 80, 120, 250, 450, 900, 1800]) * 10_000_000
        n.need_details = rng.choice(NEEDS)
        n.priority = rng.choice(["low", "normal", "normal", "high"])
        n.forecast_close = today + dt.timedelta(days=rng.randint(5, 75))
        n.stage_id = stages[i % len(stages)].id
    db.session.flush()

    def at(days: int, hour: int) -> dt.datetime:
        day = today + dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(hour), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)

    by_owner: dict[int, list] = {}
    for n in open_negotiations:
        by_owner.setdefault(n.owner_id, []).append(n)
    for owner_id, held in by_owner.items():
        for k, (days, hour) in enumerate([(-2, 10), (0, 11), (0, 16), (1, 9), (3, 14)]):
            n = held[k % len(held)]
            title, kind = TASKS[(owner_id + k) % len(TASKS)]
            db.session.add(Task(title=title, kind=kind, due_at=at(days, hour), assignee_id=owner_id,
                                created_by_id=owner_id, customer_id=n.customer_id, negotiation_id=n.id,
                                priority="high" if k == 0 else "normal", notes=""))
    # Documents on a few interactions (stored under the instance's upload folder).
    entries = list(db.session.scalars(select(LogEntry).join(Negotiation, Negotiation.id == LogEntry.negotiation_id)
                                      .where(Negotiation.id.in_([n.id for n in open_negotiations[:6]]))
                                      .order_by(LogEntry.id)))
    by_id = {u.id: u for u in users.values()}
    for entry in entries[:4]:
        text = f"صورت‌جلسهٔ {format_date(entry.date)}\nخلاصه: {entry.summary}\n".encode()
        attachments.save(entry.customer_id, None, by_id.get(entry.author_id, users["sara"]), log_entry=entry,
                         data=(text, "صورت‌جلسه.txt", "text/plain; charset=utf-8"))
    db.session.flush()


def load_sales(context: dict) -> None:
    """Sales policies, a price list, ad hoc discount limits, quotes in every state (draft, waiting
    for a manager's approval, approved and sent, accepted, rejected, superseded by a version) and
    an order from an accepted quote, confirmed when the other plugins agree (inventory may not
    hold stock yet when this runs: the order then stays a draft, ready to confirm)."""
    import logging

    from sqlalchemy import select

    from core.audit import acting_as
    from core.jalali import today_tehran
    from core.services.groups import seed_role_groups
    from core.validation import ValidationError
    from plugins.crm.models import Negotiation
    from plugins.crm.models.sales import DiscountLimit, Policy, PriceList, PriceListItem
    from plugins.crm.services import orders, quotes

    log = logging.getLogger(__name__)
    db.session.commit()  # the services below commit on their own
    users, by_code = context["users"], {p.code: p for p in context["products"]}
    today = today_tehran()
    categories = {i.name: i for i in db.session.scalars(select(ListItem).where(ListItem.kind == "category"))}
    agency = categories.get("نمایندگی")
    db.session.add_all([
        Policy(name="پلکانی کارت‌خوان", kind="tier_quantity", product_id=by_code["P-2002"].id,
               tiers=[{"from": 5, "percent": 300}, {"from": 10, "percent": 600}]),
        Policy(name="رول کاغذ عمده", kind="tier_quantity", tier_mode="incremental", product_id=by_code["P-3001"].id,
               tiers=[{"from": 20, "unit_price": 5_800_000}, {"from": 50, "unit_price": 5_500_000}]),
        Policy(name="جشنوارهٔ فروش پاییز", kind="period", percent=500,
               valid_from=today - dt.timedelta(days=10), valid_to=today + dt.timedelta(days=30)),
        Policy(name="جشنوارهٔ نوروز", kind="period", percent=1000,
               valid_from=today - dt.timedelta(days=400), valid_to=today - dt.timedelta(days=380)),
        Policy(name="نمایندگان وفادار", kind="loyal", percent=250, category_id=agency.id if agency else None,
               loyal_min_purchase=2_000_000_000),
        Policy(name="خرید عمده", kind="tier_order_amount",
               tiers=[{"from": 500_000_000, "percent": 100}, {"from": 1_000_000_000, "percent": 200}]),
    ])
    plist = PriceList(name="قیمت نمایندگان", category_id=agency.id if agency else None)
    plist.items = [PriceListItem(product_id=by_code[c].id, price=p) for c, p in
                   (("P-2001", 90_000_000), ("P-2002", 45_500_000), ("P-2003", 26_000_000))]
    db.session.add(plist)
    groups = seed_role_groups()
    db.session.add_all([DiscountLimit(group_id=groups["sales"].id, max_percent=500),
                        DiscountLimit(group_id=groups["manager"].id, max_percent=1500)])
    db.session.commit()

    rep, boss = users["sara"], users["supervisor"]
    open_ids = list(db.session.scalars(select(Negotiation.id).where(
        Negotiation.owner_id == rep.id, Negotiation.effective_status == "negotiating").order_by(Negotiation.id)))
    validity = today + dt.timedelta(days=10)

    def line(code, quantity, adhoc=0, description=""):
        return {"product_id": by_code[code].id, "quantity": quantity, "adhoc_percent": adhoc,
                "description": description}

    def step(what, call):
        try:
            return call()
        except ValidationError as exc:
            db.session.rollback()
            log.warning("demo sales: %s refused: %s", what, exc)
            return None

    plans = [
        ("draft", [line("P-1001", 1), line("P-4003", 1, description="نصب در دفتر مرکزی")]),
        ("pending", [line("P-2002", 6, 12)]),
        ("sent", [line("P-2004", 2), line("P-3001", 30)]),
        ("order", [line("P-2002", 10, 3), line("P-2003", 10), line("P-4001", 1)]),
        ("rejected", [line("P-1002", 1, 4)]),
        ("versioned", [line("P-2001", 3), line("P-3002", 12)]),
        ("approved", [line("P-5001", 1, 8), line("P-4002", 2)]),
    ]
    for negotiation_id, (plan, lines) in zip(open_ids, plans):
        with acting_as(rep.id):
            quote = step("save", lambda: quotes.save(negotiation_id, {
                "valid_until": validity, "lines": lines,
                "notes": "تحویل ۱۰ روز کاری پس از پیش‌پرداخت؛ هزینهٔ ارسال با فروشنده."}, rep))
        if quote is None or plan in ("draft", "pending"):
            continue
        if plan == "approved":
            with acting_as(boss.id):
                for li in quote.lines:
                    if li.approval == "pending":
                        step("approve", lambda: quotes.decide_discount(quote.id, li.id, True, boss))
        with acting_as(rep.id):
            if plan == "versioned":
                step("send", lambda: quotes.send(quote.id, rep))
                step("new version", lambda: quotes.new_version(quote.id, rep))
                continue
            if step("send", lambda: quotes.send(quote.id, rep)) is None or plan in ("sent", "approved"):
                continue
            step("decide", lambda: quotes.decide(quote.id, plan != "rejected", rep))
            if plan == "order":
                order = step("order", lambda: orders.from_quote(quote.id, rep, kind="order"))
                if order is not None:
                    # Confirm once every plugin's demo data exists (the warehouse's stock, say).
                    context.setdefault("after", []).append(
                        lambda order_id=order.id, rep_id=rep.id: _confirm_later(order_id, rep_id))


def _confirm_later(order_id: int, rep_id: int) -> None:
    from core.audit import acting_as
    from core.models.org import User
    from core.validation import ValidationError
    from plugins.crm.services import orders
    rep = db.session.get(User, rep_id)
    with acting_as(rep_id):
        try:
            orders.confirm(order_id, rep)
        except ValidationError:
            db.session.rollback()  # a plugin refused (no stock, say): the order stays a draft
