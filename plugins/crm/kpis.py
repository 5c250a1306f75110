"""The CRM's figures for the managers' dashboard (`dashboard_kpis` hook), as set-based SQL.

Rows are those the viewer may see (`visibility.negotiation_filter`), narrowed to the users the
viewer may report on (`reports.report_user_ids`, as report 1), then to the dashboard's scope (its
users and office). Definitions, as the hints on the page say:

- negotiation counts follow report 1 (وضعیت مذاکرات کاربران): the opportunities of a period are
  the negotiations whose window *started* in it; «won» are those of them now won. The win rate,
  the funnel, the sales cycle and the leaderboard use them, so every number clicks through to
  report 1's drill-down and finds the same records;
- money follows the orders: won value, average deal size and profit come from orders confirmed
  (and not cancelled) in the period, of won negotiations;
- the pipeline and the stale counts are the situation now (the period does not change them);
- the sales forecast: a least-squares line through the won value of the last 12 complete Jalali
  months, continued for the next 3; beside it the weighted pipeline of those months (value ×
  probability of each open opportunity whose forecast close falls in the month).

Months, quarters and years are Jalali; a datetime is bucketed by its Tehran day, with the month
boundaries turned into UTC instants (no SQL date arithmetic, so SQLite and PostgreSQL agree).
"""
from __future__ import annotations

from fractions import Fraction

from flask import current_app, has_request_context, url_for
from sqlalchemy import and_, case, func, select, true

from core.access import can
from core.db import db
from core.jalali import MONTHS, format_date, month_bounds, to_jalali, today_tehran, utcnow
from core.models.org import User
from core.payloads import Kpi, Period, Scope
from core.persian import to_persian_digits
from plugins.crm.models import Card, Lead, Negotiation, PointEntry, Stage
from plugins.crm.models.sales import Order, OrderLine
from plugins.crm.services import leads as lead_service
from plugins.crm.services import rules
from plugins.crm.services.pipeline import first_stage_id
from plugins.crm.services.reports import bounds, midnight_utc, report_user_ids
from plugins.crm.services.stale import level_expression
from plugins.crm.services.visibility import negotiation_filter

SALES, PIPELINE, TEAM = "فروش", "قیف فروش و پیش‌بینی", "کارشناسان"
TREND_MONTHS, PROJECTED_MONTHS, PIPELINE_MONTHS = 12, 3, 6
LEADERBOARD_SIZE = 10


def kpis(period: Period, scope: Scope) -> list[Kpi]:
    if not has_request_context():  # the links are built with url_for (a job, the CLI, a test)
        with current_app.test_request_context("/"):
            return kpis(period, scope)
    viewer = db.session.get(User, scope.viewer_id)
    if viewer is None or not viewer.active or not can(viewer, "crm.customers"):
        return []
    return _Figures(viewer, period, scope).all()


# --- small helpers ----------------------------------------------------------------------------

def round_half_up(value: Fraction) -> int:
    return int((2 * value.numerator + value.denominator) // (2 * value.denominator))


def rate_bp(part: int, whole: int) -> int | None:
    """part / whole in basis points (hundredths of a percent), rounded half up; None for 0/0."""
    return round_half_up(Fraction(part * 10000, whole)) if whole else None


def add_months(year: int, month: int, k: int) -> tuple[int, int]:
    total = year * 12 + month - 1 + k
    return total // 12, total % 12 + 1


def month_label(year: int, month: int) -> str:
    return to_persian_digits(f"{MONTHS[month - 1]} {year}")


def least_squares(values: list[int]) -> tuple[Fraction, Fraction]:
    """(intercept, slope) of the line through (0, v0), (1, v1), … by least squares, exactly."""
    n = len(values)
    mean_x, mean_y = Fraction(n - 1, 2), Fraction(sum(values), n)
    sxx = sum((Fraction(x) - mean_x) ** 2 for x in range(n))
    sxy = sum((Fraction(x) - mean_x) * (v - mean_y) for x, v in enumerate(values))
    slope = sxy / sxx if sxx else Fraction(0)
    return mean_y - slope * mean_x, slope


def _bucket(column, boundaries: list):
    """SQL CASE: the index i of the interval [boundaries[i], boundaries[i+1]) holding `column`
    (rows outside all of them are filtered out by the caller)."""
    return case(*[(column < boundaries[i + 1], i) for i in range(len(boundaries) - 1)], else_=None)


def _seconds(start_col, end_col):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end_col - start_col)
    return (func.julianday(end_col) - func.julianday(start_col)) * 86400


class _Figures:
    def __init__(self, viewer: User, period: Period, scope: Scope):
        self.viewer, self.period, self.scope = viewer, period, scope
        self.now, self.today = utcnow(), today_tehran()
        self.lo, self.hi = bounds(period.start, period.end)
        ids = report_user_ids(viewer)
        if scope.user_ids is not None:
            ids = sorted(set(scope.user_ids) if ids is None else set(ids) & set(scope.user_ids))
        self.owner_ids = ids
        self.single = ids[0] if ids is not None and len(ids) == 1 else None
        self.dates = {"start": format_date(period.start, "en"), "end": format_date(period.end, "en")}

    # scope -----------------------------------------------------------------------------------
    def owners(self, column):
        return true() if self.owner_ids is None else column.in_(self.owner_ids)

    def negotiations(self, model=Negotiation):
        conditions = [negotiation_filter(self.viewer, model), self.owners(model.owner_id)]
        if self.scope.office_id is not None:
            conditions.append(model.office_id == self.scope.office_id)
        return and_(*conditions)

    def url(self, endpoint: str, **args) -> str:
        return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})

    def all(self) -> list[Kpi]:
        out = []
        out += self.conversion_and_team()
        out += self.money()
        out += self.pipeline_and_forecast()
        out += self.stale()
        return out

    # opportunities opened in the period: win rate, funnel, cycle, leaderboard -------------------
    def conversion_and_team(self) -> list[Kpi]:
        n = Negotiation
        won = n.status == "won"  # won is final: the effective status is the stored one
        rows = db.session.execute(
            # count() rather than count(id): every column read is in ix_crm_negotiations_started
            select(n.owner_id, func.count(), func.sum(case((won, 1), else_=0)),
                   func.sum(case((won, _seconds(n.window_start, n.closed_at)), else_=0)))
            .where(n.window_start >= self.lo, n.window_start < self.hi, self.negotiations())
            .group_by(n.owner_id)).all()
        per_owner = {owner: {"opened": int(opened), "won": int(won_n or 0)} for owner, opened, won_n, _s in rows}
        opened = sum(r["opened"] for r in per_owner.values())
        won_count = sum(r["won"] for r in per_owner.values())
        cycle_seconds = sum(int(round(float(s or 0))) for *_x, s in rows)

        lead_conditions = [Lead.created_at >= self.lo, Lead.created_at < self.hi, self.owners(Lead.owner_id)]
        visible = lead_service.visible(self.viewer).whereclause
        if visible is not None:
            lead_conditions.append(visible)
        if self.scope.office_id is not None:
            lead_conditions.append(Lead.office_id == self.scope.office_id)
        leads, qualified = db.session.execute(select(
            func.count(), func.coalesce(func.sum(case((Lead.status == "qualified", 1), else_=0)), 0))
            .where(*lead_conditions)).one()
        leads, qualified = int(leads), int(qualified)

        user = self.single
        drill = lambda metric: self.url("crm.report_status_drilldown", metric=metric, user=user, **self.dates)  # noqa: E731
        leads_url = self.url("crm.all_leads", owner=user, **self.dates)
        cycle_days = round_half_up(Fraction(cycle_seconds, won_count * 86400)) if won_count else None
        out = [
            Kpi("crm.win_rate", "نرخ تبدیل فرصت به فروش", rate_bp(won_count, opened), "percent_bp", drill("total"),
                order=24, group=PIPELINE,
                hint=f"از {to_persian_digits(opened)} فرصتی (مذاکره‌ای) که در این دوره شروع شد، "
                     f"{to_persian_digits(won_count)} قطعی شده است (مانند ستون‌های گزارش وضعیت مذاکرات).",
                extra={"part": won_count, "whole": opened}),
            Kpi("crm.lead_conversion", "نرخ تبدیل سرنخ به فرصت", rate_bp(qualified, leads), "percent_bp", leads_url,
                order=23, group=PIPELINE,
                hint=f"از {to_persian_digits(leads)} سرنخی که در این دوره ثبت شد، {to_persian_digits(qualified)} "
                     "به فرصت (مذاکره) تبدیل شده است.",
                extra={"part": qualified, "whole": leads}),
            Kpi("crm.won_count", "مذاکرات قطعی‌شده", won_count, "count", drill("won"), order=11, group=SALES,
                hint="مذاکره‌هایی که در این دوره شروع شده و اکنون قطعی شده‌اند (ستون «قطعی شده» گزارش وضعیت مذاکرات)."),
            Kpi("crm.cycle_days", "میانگین چرخهٔ فروش", cycle_days, "days", drill("won"), order=15, group=SALES,
                hint="میانگین روزها از شروع مهلت مذاکره تا قطعی شدن، برای مذاکره‌های قطعی‌شدهٔ این دوره."),
            Kpi("crm.funnel", "قیف تبدیل", None, "count", leads_url, order=26, group=PIPELINE,
                hint="سرنخ‌های ثبت‌شده در دوره، فرصت‌هایی که در دوره شروع شدند، و آن‌هایی از این فرصت‌ها که قطعی شده‌اند.",
                series=[{"label": "سرنخ‌های تازه", "value": leads, "link": leads_url},
                        {"label": "فرصت‌های تازه", "value": opened, "link": drill("total")},
                        {"label": "قطعی‌شده", "value": won_count, "link": drill("won")}],
                extra={"chart": {"type": "hbar", "unit": "count",
                                 "datasets": [{"key": "value", "label": "تعداد", "color": "#2f6fb0"}]}}),
        ]
        out.append(self.leaderboard(per_owner))
        return out

    def leaderboard(self, per_owner: dict) -> Kpi:
        points_q = (select(PointEntry.user_id, func.sum(PointEntry.points))
                    .where(PointEntry.at >= self.lo, PointEntry.at < self.hi, self.owners(PointEntry.user_id))
                    .group_by(PointEntry.user_id))
        cards_q = (select(Card.user_id, func.count(Card.id)).where(
            Card.at >= self.lo, Card.at < self.hi, Card.colour.in_(("yellow", "red")), self.owners(Card.user_id))
            .group_by(Card.user_id))
        if self.owner_ids is not None or self.scope.office_id is not None:
            points_q = points_q.join(Negotiation, Negotiation.id == PointEntry.negotiation_id).where(self.negotiations())
            cards_q = cards_q.join(Negotiation, Negotiation.id == Card.negotiation_id).where(self.negotiations())
        points = {u: int(p or 0) for u, p in db.session.execute(points_q)}
        cards = {u: int(c) for u, c in db.session.execute(cards_q)}
        ids = set(points) | set(cards) | {u for u, r in per_owner.items() if r["won"]}
        names = {u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_(ids or {-1})))}
        rows = [{"user_id": u, "label": names.get(u, "—"), "value": points.get(u, 0),
                 "won": per_owner.get(u, {}).get("won", 0), "cards": cards.get(u, 0),
                 "link": self.url("crm.report_status_drilldown", metric="won", user=u, **self.dates)}
                for u in ids]
        rows.sort(key=lambda r: (-r["value"], -r["won"], r["cards"], r["label"], r["user_id"]))
        return Kpi("crm.leaderboard", "جدول کارشناسان", None, "count",
                   self.url("crm.report_status", sort="-points", **self.dates), order=35, group=TEAM,
                   hint=f"{to_persian_digits(LEADERBOARD_SIZE)} کارشناس برتر به ترتیب امتیاز این دوره؛ «قطعی» مذاکره‌های "
                        "شروع‌شده در دوره که قطعی شده‌اند؛ «کارت» کارت‌های زرد و قرمز صادرشده در دوره.",
                   series=rows[:LEADERBOARD_SIZE],
                   extra={"chart": {"type": "hbar", "unit": "count", "datasets": [
                       {"key": "value", "label": "امتیاز", "color": "#2f6fb0"},
                       {"key": "won", "label": "قطعی", "color": "#198754"},
                       {"key": "cards", "label": "کارت", "color": "#dc3545"}]},
                       "columns": [{"key": "value", "label": "امتیاز"}, {"key": "won", "label": "قطعی"},
                                   {"key": "cards", "label": "کارت"}],
                       "total_reps": len(rows)})

    # orders confirmed in the period ----------------------------------------------------------
    def _orders(self, lo, hi):
        return and_(Order.status == "confirmed", Order.confirmed_at >= lo, Order.confirmed_at < hi,
                    Negotiation.status == "won", self.negotiations())

    def money(self) -> list[Kpi]:
        value, deals = db.session.execute(
            select(func.coalesce(func.sum(Order.total), 0), func.count(func.distinct(Order.negotiation_id)))
            .join(Negotiation, Negotiation.id == Order.negotiation_id).where(self._orders(self.lo, self.hi))).one()
        net, cost = db.session.execute(  # every column read is in ix_crm_order_lines_order_amounts
            select(func.coalesce(func.sum(OrderLine.net), 0),
                   func.coalesce(func.sum(OrderLine.cost_price * OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id).join(Negotiation, Negotiation.id == Order.negotiation_id)
            .where(self._orders(self.lo, self.hi))).one()
        value, deals, net, cost = int(value), int(deals), int(net), int(cost)
        # The orders list shows the dates as they came: give them in Persian digits.
        orders_url = self.url("crm.orders_list", status="confirmed", **{"from": format_date(self.period.start),
                                                                        "to": format_date(self.period.end)})
        profit = net - cost
        return [
            Kpi("crm.won_value", "فروش قطعی", value, "rial", orders_url, order=10, group=SALES,
                hint="جمع مبلغ کل (با مالیات) سفارش‌هایی که در این دوره تأیید شده‌اند و لغو نشده‌اند، از مذاکره‌های قطعی‌شده.",
                extra={"deals": deals}),
            Kpi("crm.avg_deal", "میانگین ارزش هر معامله", value // deals if deals else None, "rial", orders_url,
                order=12, group=SALES,
                hint=f"فروش قطعی دوره تقسیم بر {to_persian_digits(deals)} مذاکره‌ای که این سفارش‌ها از آن‌هاست."),
            Kpi("crm.profit", "سود ناخالص فروش", profit, "rial", orders_url, order=13, group=SALES,
                hint="جمع مبلغ خالص ردیف‌ها (بی‌مالیات) منهای بهای تمام‌شده × تعداد، برای سفارش‌های تأییدشدهٔ دوره "
                     "(بهای تمام‌شده هنگام تأیید سفارش ثبت می‌شود).",
                extra={"net": net, "cost": cost, "margin_bp": rate_bp(profit, net) if net > 0 else None}),
        ]

    # pipeline now, and the forecast ---------------------------------------------------------
    def pipeline_and_forecast(self) -> list[Kpi]:
        n = Negotiation
        this = to_jalali(self.today)
        months = [add_months(this.year, this.month, k) for k in range(PIPELINE_MONTHS + 1)]
        starts = [month_bounds(y, m)[0] for y, m in months]
        first = first_stage_id()
        probability = func.coalesce(n.probability, Stage.probability, 0)
        weighted = func.coalesce(n.value, 0) * probability // 100  # per row, as the opportunity list
        bucket = case((n.forecast_close.is_(None), -3), (n.forecast_close < starts[0], -1),
                      (n.forecast_close >= starts[-1], -2), else_=_bucket(n.forecast_close, starts))
        stage = func.coalesce(n.stage_id, first) if first is not None else n.stage_id
        rows = db.session.execute(
            select(bucket.label("b"), func.count(), func.coalesce(func.sum(n.value), 0),  # ix_crm_negotiations_open
                   func.coalesce(func.sum(weighted), 0))
            .select_from(n).outerjoin(Stage, Stage.id == stage)
            .where(n.status == "negotiating", n.window_end > self.now, self.negotiations())
            .group_by(bucket)).all()
        by_bucket = {int(b): (int(c), int(v), int(w)) for b, c, v, w in rows}
        count = sum(c for c, _v, _w in by_bucket.values())
        total = sum(v for _c, v, _w in by_bucket.values())
        total_weighted = sum(w for _c, _v, w in by_bucket.values())
        series = [{"label": month_label(y, m), "value": by_bucket.get(i, (0, 0, 0))[1],
                   "weighted": by_bucket.get(i, (0, 0, 0))[2], "count": by_bucket.get(i, (0, 0, 0))[0]}
                  for i, (y, m) in enumerate(months[:-1])]
        outside = {"overdue": by_bucket.get(-1, (0, 0, 0)), "later": by_bucket.get(-2, (0, 0, 0)),
                   "no_date": by_bucket.get(-3, (0, 0, 0))}
        opps_url = self.url("crm.opportunities", owner=self.single, sort="forecast")
        pipeline = [
            Kpi("crm.pipeline_value", "ارزش فرصت‌های باز", total, "rial", opps_url, order=20, group=PIPELINE,
                hint=f"جمع ارزش احتمالی {to_persian_digits(count)} فرصت باز، همین حالا (دوره آن را تغییر نمی‌دهد). "
                     "نمودار: بر حسب ماه پیش‌بینی بسته شدن.",
                series=series,
                extra={"count": count, "outside": {k: {"count": c, "value": v, "weighted": w}
                                                   for k, (c, v, w) in outside.items()},
                       "chart": {"type": "bar", "unit": "rial", "datasets": [
                           {"key": "value", "label": "ارزش", "color": "#9bbbe0"},
                           {"key": "weighted", "label": "ارزش وزنی", "color": "#2f6fb0"}]}}),
            Kpi("crm.weighted_forecast", "پیش‌بینی وزنی قیف", total_weighted, "rial",
                self.url("crm.opportunities", owner=self.single, sort="-weighted"), order=21, group=PIPELINE,
                hint="جمع ارزش × احتمال مرحله ÷ ۱۰۰ برای همهٔ فرصت‌های باز (احتمال خود فرصت اگر تعیین شده باشد)."),
        ]
        return pipeline + [self.trend(by_bucket, months)]

    def trend(self, pipeline_buckets: dict, pipeline_months: list) -> Kpi:
        # The last complete month: the period's last month if it has ended, else the one before today's.
        end = min(self.period.end, self.today)
        j = to_jalali(end)
        last_y, last_m = (j.year, j.month) if month_bounds(j.year, j.month)[1] <= self.today \
            else add_months(j.year, j.month, -1)
        months = [add_months(last_y, last_m, k) for k in range(-TREND_MONTHS + 1, PROJECTED_MONTHS + 1)]
        starts = [midnight_utc(month_bounds(y, m)[0]) for y, m in months] + \
            [midnight_utc(month_bounds(*add_months(*months[-1], 1))[0])]
        bucket = _bucket(Order.confirmed_at, starts)
        actual = dict(db.session.execute(
            select(bucket, func.coalesce(func.sum(Order.total), 0))
            .join(Negotiation, Negotiation.id == Order.negotiation_id)
            .where(self._orders(starts[0], starts[-1])).group_by(bucket)).all())
        values = [int(actual.get(i, 0)) for i in range(len(months))]
        intercept, slope = least_squares(values[:TREND_MONTHS])
        fitted = [max(0, round_half_up(intercept + slope * x)) for x in range(len(months))]
        projected = fitted[TREND_MONTHS:]
        pipeline_index = {ym: i for i, ym in enumerate(pipeline_months[:-1])}
        series = []
        for i, (y, m) in enumerate(months):
            future = i >= TREND_MONTHS
            k = pipeline_index.get((y, m))
            series.append({"label": month_label(y, m), "value": values[i], "fit": fitted[i],
                           "projected": future,
                           "weighted": pipeline_buckets.get(k, (0, 0, 0))[2] if future and k is not None else None})
        window = f"{month_label(*months[0])} تا {month_label(*months[TREND_MONTHS - 1])}"
        ahead = f"{month_label(*months[TREND_MONTHS])} تا {month_label(*months[-1])}"
        slope_month = round_half_up(slope) if slope >= 0 else -round_half_up(-slope)
        return Kpi(
            "crm.sales_forecast", "پیش‌بینی فروش سه ماه آینده (روند)", sum(projected), "rial",
            self.url("crm.opportunities", owner=self.single, sort="forecast"), order=22, group=PIPELINE,
            hint=f"خط کمترین مربعات بر فروش قطعی ماهانهٔ {window}، ادامه‌یافته برای {ahead}؛ مقدار منفی صفر "
                 "منظور می‌شود.",
            series=series,
            extra={"chart": {"type": "bar", "unit": "rial", "wide": True, "datasets": [
                       {"key": "value", "label": "فروش قطعی", "color": "#2f6fb0"},
                       {"key": "weighted", "label": "پیش‌بینی وزنی قیف", "color": "#f0ad4e"},
                       {"key": "fit", "label": "روند (کمترین مربعات)", "type": "line", "color": "#6f42c1",
                        "dashed_from": TREND_MONTHS}]},
                   "window": window, "ahead": ahead, "slope_per_month": slope_month,
                   "projection": [{"label": month_label(y, m), "trend": projected[i],
                                   "weighted": series[TREND_MONTHS + i]["weighted"]}
                                  for i, (y, m) in enumerate(months[TREND_MONTHS:])],
                   "explain": [
                       "روند (کمترین مربعات): خطی که مجموع مربع فاصله‌اش از فروش قطعی ۱۲ ماه کامل گذشته (ماه‌های "
                       "شمسی) کمترین است، برای سه ماه بعد ادامه داده شده است. فروش قطعی هر ماه جمع سفارش‌های "
                       "تأییدشده (و لغونشدهٔ) آن ماه است.",
                       "پیش‌بینی وزنی قیف: برای هر فرصت باز، ارزش احتمالی × احتمال مرحله (یا احتمالی که برای خود "
                       "فرصت تعیین شده) ÷ ۱۰۰، جمع‌شده بر حسب ماه شمسی تاریخ پیش‌بینی بسته شدن."]})

    # stale negotiations now ----------------------------------------------------------------
    def stale(self) -> list[Kpi]:
        n = Negotiation
        level = level_expression(self.now)
        inner = select(level.label("level")).where(n.status == "negotiating", n.window_end > self.now,
                                                   self.negotiations(), level != "").subquery()
        counts = dict(db.session.execute(select(inner.c.level, func.count()).group_by(inner.c.level)).all())
        watch, yellow, red = (to_persian_digits(d) for d in rules.stale_thresholds())
        labels = {"watch": ("مذاکرات زیر نظر", f"{watch} تا {yellow} روز"),
                  "yellow": ("مذاکرات کارت زرد", f"{yellow} تا {red} روز"), "red": ("مذاکرات کارت قرمز", f"{red} روز و بیشتر")}
        return [Kpi(f"crm.stale_{key}", label, int(counts.get(key, 0)), "count",
                    self.url("crm.report_stale", level=key, owner=self.single), order=30 + i, group=TEAM,
                    hint=f"مذاکره‌های باز که اکنون {days} بی‌مذاکره مانده‌اند (آستانه‌ها از تنظیمات)؛ "
                         "دوره آن را تغییر نمی‌دهد.")
                for i, (key, (label, days)) in enumerate(labels.items())]
