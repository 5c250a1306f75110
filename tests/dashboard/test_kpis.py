"""Every dashboard figure of the hand-built data set (tests/dashboard/conftest.py), worked out by
hand. The period is the previous Jalali month «PM»; «PPM» the one before, «CM» the current one.

The PM cohort (negotiations whose window started in PM):
    n1  A  won  (cycle 10 days)      n2  A  cut
    n3  B  won  (cycle 20 days)      n4  B  open, 100M, stage «دوم» 50 %, forecast in CM
    n5  C  won  (cycle 3 days)       n10 B  stored «negotiating» but its window ended: expired
Outside it: n6 A opened in PPM, won in PM; n7 A open 40M at its own 25 % (stage says 20 %),
forecast CM+1, last log 10 days ago (watch); n8 B open, last log 20 days ago (yellow); n9 C open,
nothing logged for ≥ 57 days (red).
Orders confirmed in PM: o1 n1 110M (net 100M, cost 2×20M + 1×30M = 70M), o2 n3 55M (net 50M,
cost 5×6M = 30M), o3 n5 220M (net 200M, cost 150M), o4 n6 33M (net 30M, cost 3×5M = 15M);
not counted: a cancelled order of n1 (PM), a draft of n4; n6's order of PPM (11M) only in the trend.
"""
from __future__ import annotations

import datetime as dt

import pytest

from core.payloads import Kpi, Period
from plugins.dashboard.services import figures as figures_service
from plugins.dashboard.services import periods
from plugins.dashboard.services import scope as scopes
from tests.dashboard.conftest import add_months


def figures(viewer, period: Period, **filters) -> dict[str, dict]:
    scope = scopes.build(viewer, filters.get("office"), filters.get("department"), filters.get("rep"))
    result = figures_service.compute(period, scope)
    assert result.errors == []
    return {k["key"]: k for k in result.kpis}


@pytest.fixture
def pm(sales_data):
    return periods.month_period(*sales_data.months["PM"])


def test_every_figure_for_the_administrator(sales_data, pm):
    o = sales_data
    f = figures(o.admin, pm)
    value = lambda key: f[key]["value"]  # noqa: E731

    # Opportunities: 6 opened in PM (n1 n2 n3 n4 n5 n10), 3 of them won (n1 n3 n5): 3/6 = 50.00 %.
    assert value("crm.win_rate") == 5000
    assert f["crm.win_rate"]["extra"] == {"part": 3, "whole": 6}
    assert value("crm.won_count") == 3
    # Cycle: (10 + 20 + 3) / 3 = 11 days.
    assert value("crm.cycle_days") == 11
    # Leads created in PM: 5 (the PPM one is outside); qualified 2 (A's and C's): 2/5 = 40.00 %.
    assert value("crm.lead_conversion") == 4000
    assert f["crm.funnel"]["value"] is None
    assert [s["value"] for s in f["crm.funnel"]["series"]] == [5, 6, 3]

    # Money: orders confirmed in PM of won negotiations: 110M + 55M + 220M + 33M = 418M,
    # from 4 negotiations (n1 n3 n5 n6): 418M / 4 = 104.5M a deal.
    assert value("crm.won_value") == 418_000_000
    assert value("crm.avg_deal") == 104_500_000
    # Profit: net 100M + 50M + 200M + 30M = 380M, cost 70M + 30M + 150M + 15M = 265M → 115M.
    assert value("crm.profit") == 115_000_000
    assert f["crm.profit"]["extra"]["net"] == 380_000_000 and f["crm.profit"]["extra"]["cost"] == 265_000_000
    # margin 115/380 = 30.263… % → 3026 bp
    assert f["crm.profit"]["extra"]["margin_bp"] == 3026

    # Pipeline now: open n4 100M (50 % → 50M), n7 40M (own 25 % → 10M), n8 and n9 without value;
    # n10 (expired) is not open. 140M, weighted 60M, 4 opportunities.
    assert value("crm.pipeline_value") == 140_000_000
    assert value("crm.weighted_forecast") == 60_000_000
    assert f["crm.pipeline_value"]["extra"]["count"] == 4
    by_month = f["crm.pipeline_value"]["series"]
    assert (by_month[0]["value"], by_month[0]["weighted"]) == (100_000_000, 50_000_000)   # CM: n4
    assert (by_month[1]["value"], by_month[1]["weighted"]) == (40_000_000, 10_000_000)    # CM+1: n7
    assert sum(s["value"] for s in by_month[2:]) == 0
    assert f["crm.pipeline_value"]["extra"]["outside"]["no_date"]["count"] == 2            # n8, n9

    # Stale now: n7 watch (10 days), n8 yellow (20 days), n9 red (≥ 57 days); n4 logged yesterday.
    assert (value("crm.stale_watch"), value("crm.stale_yellow"), value("crm.stale_red")) == (1, 1, 1)

    # Leaderboard (PM): points A −1+5−1−2+5 = 6, B −1+5−1−1 = 2, C −1+5 = 4; won in the PM cohort
    # A 1 (n1), B 1 (n3), C 1 (n5); cards in PM: B yellow 1, C red 1. Sorted by points.
    board = [(r["label"], r["value"], r["won"], r["cards"]) for r in f["crm.leaderboard"]["series"]]
    assert board == [("علی احمدی", 6, 1, 0), ("چنگیز چمنی", 4, 1, 1), ("بهرام بهرامی", 2, 1, 1)]

    # Receivables now: 60M (not due) + 50M (45 days late) + 30M (100 days late) = 140M; the paid,
    # credited invoices and the credit note are not open. Overdue 50M + 30M = 80M.
    assert value("finance.receivables") == 140_000_000
    assert value("finance.overdue") == 80_000_000
    assert [(s["key"], s["value"]) for s in f["finance.ageing"]["series"]] == [
        ("not_due", 60_000_000), ("1-30", 0), ("31-60", 50_000_000), ("61-90", 0), ("90+", 30_000_000)]

    # Stock: reader 10 + 5 on hand × 1M = 15M, paper 4 × 0.5M = 2M → 17M (the service product is
    # not kept in stock). Low: reader available 8 + 0 = 8 > 3; paper 4 ≤ 5 → 1.
    assert value("inventory.stock_value") == 17_000_000
    assert value("inventory.low_stock") == 1


def test_the_sales_forecast_by_hand(sales_data, pm):
    """PM has ended, so the trend's base is the 12 Jalali months ending with PM (x = 0…11): all
    zero except x = 10 (PPM: 11M) and x = 11 (PM: 418M).
        x̄ = 5.5, Σ(x − x̄)² = 143, ȳ = 429M / 12 = 35.75M
        Σ(x − x̄)(y − ȳ) = Σ(x − x̄)·y = 4.5 × 11M + 5.5 × 418M = 2,348.5M
        slope = 2,348.5M / 143;  intercept = 35.75M − 5.5 × slope = −7,804.5M / 143
        x = 12: (−7,804.5M + 12 × 2,348.5M) / 143 = 20,377.5M / 143 = 142,500,000
        x = 13: 22,726M / 143 = 158,923,076.9 → 158,923,077
        x = 14: 25,074.5M / 143 = 175,346,153.8 → 175,346,154
    sum 476,769,231. The fitted line is negative at x = 0 (−54.6M): shown as 0."""
    o = sales_data
    f = figures(o.admin, pm)["crm.sales_forecast"]
    assert f["value"] == 476_769_231
    series = f["series"]
    assert len(series) == 15
    assert [s["value"] for s in series[:12]] == [0] * 10 + [11_000_000, 418_000_000]
    assert [s["fit"] for s in series[12:]] == [142_500_000, 158_923_077, 175_346_154]
    assert series[0]["fit"] == 0
    # x = 11: (−7,804.5M + 11 × 2,348.5M) / 143 = 18,029M / 143 = 126,076,923.08 → 126,076,923
    assert series[11]["fit"] == 126_076_923
    # Beside it, the weighted pipeline of the projected months CM, CM+1, CM+2: 50M, 10M, 0.
    assert [s["weighted"] for s in series[12:]] == [50_000_000, 10_000_000, 0]
    assert [s["weighted"] for s in series[:12]] == [None] * 12
    assert [p["trend"] for p in f["extra"]["projection"]] == [142_500_000, 158_923_077, 175_346_154]
    cm_label = periods.month_period(*o.months["CM"]).label
    assert series[12]["label"] == cm_label and series[12]["projected"] is True
    # slope 2,348.5M / 143 = 16,423,076.9 → 16,423,077 a month
    assert f["extra"]["slope_per_month"] == 16_423_077


def test_the_manager_sees_only_their_reps(sales_data, pm):
    o = sales_data
    f = figures(o.m, pm)
    value = lambda key: f[key]["value"]  # noqa: E731
    # M's reach: M, A, B. Cohort n1 n2 n3 n4 n10 = 5 opened, 2 won (n1 n3): 40.00 %.
    assert value("crm.win_rate") == 4000
    assert value("crm.won_count") == 2
    assert value("crm.cycle_days") == 15                       # (10 + 20) / 2
    # Leads of A and B: 3 created, 1 qualified: 33.33 % (the office queue's unassigned lead is no rep's).
    assert value("crm.lead_conversion") == 3333
    # o1 110M + o2 55M + o4 33M = 198M from 3 negotiations: 66M a deal; profit 30M + 20M + 15M.
    assert value("crm.won_value") == 198_000_000
    assert value("crm.avg_deal") == 66_000_000
    assert value("crm.profit") == 65_000_000
    assert value("crm.pipeline_value") == 140_000_000          # n4 and n7 (C's n9 has no value anyway)
    assert f["crm.pipeline_value"]["extra"]["count"] == 3      # n4, n7, n8
    assert (value("crm.stale_watch"), value("crm.stale_yellow"), value("crm.stale_red")) == (1, 1, 0)
    assert [r["label"] for r in f["crm.leaderboard"]["series"]] == ["علی احمدی", "بهرام بهرامی"]
    # Trend: 11M (PPM) and 198M (PM): ȳ = 209M / 12 = 17,416,666.67; Σ(x − x̄)·y = 4.5 × 11M + 5.5 × 198M
    # = 1,138.5M; slope = 1,138.5M / 143; x = 12: ȳ + 6.5 × slope = 17,416,666.67 + 7,400.25M / 143
    # = 17,416,666.67 + 51,750,000 = 69,166,666.67 → 69,166,667
    assert f["crm.sales_forecast"]["series"][12]["fit"] == 69_166_667


def test_filters_change_the_figures(sales_data, pm):
    o = sales_data
    # Rep A alone: o1 110M + o4 33M = 143M; cohort n1 n2: 1 of 2 won.
    a = figures(o.admin, pm, rep=o.a.id)
    assert a["crm.won_value"]["value"] == 143_000_000
    assert a["crm.win_rate"]["value"] == 5000
    assert [r["label"] for r in a["crm.leaderboard"]["series"]] == ["علی احمدی"]
    # Isfahan: C's o3 220M; receivables 30M (all overdue); stock 5 readers × 1M, available 0 ≤ 3: low.
    isf = figures(o.admin, pm, office=o.isfahan.id)
    assert isf["crm.won_value"]["value"] == 220_000_000
    assert isf["crm.won_count"]["value"] == 1
    assert isf["finance.receivables"]["value"] == 30_000_000
    assert isf["finance.overdue"]["value"] == 30_000_000
    assert isf["inventory.stock_value"]["value"] == 5_000_000
    assert isf["inventory.low_stock"]["value"] == 1
    # Tehran: 418M − 220M = 198M; receivables 60M + 50M; stock 10M + 2M.
    teh = figures(o.admin, pm, office=o.tehran.id)
    assert teh["crm.won_value"]["value"] == 198_000_000
    assert teh["finance.receivables"]["value"] == 110_000_000
    assert teh["inventory.stock_value"]["value"] == 12_000_000
    # Department «فروش خرده» has only A.
    dep = figures(o.admin, pm, department=o.retail.id)
    assert dep["crm.won_value"]["value"] == 143_000_000
    # PPM instead of PM: the cohort n6 n7 n8 n9 (1 won: n6); money: n6's 11M order.
    ppm = figures(o.admin, periods.month_period(*o.months["PPM"]))
    assert ppm["crm.won_value"]["value"] == 11_000_000
    assert ppm["crm.won_count"]["value"] == 1
    assert ppm["crm.win_rate"]["value"] == 2500
    # The quarter or year holding PM holds everything of PM at least.
    year = figures(o.admin, periods.year_period(o.months["PM"][0]))
    assert year["crm.won_value"]["value"] >= 418_000_000
    # A custom range of PM's first 10 days: only o3 (day 9): 220M; cohort n1 n2 n3 n4 n5 (days 2–6) → won n1 n3 n5.
    first_days = figures(o.admin, periods.custom_period(o.S, o.S + dt.timedelta(days=9)))
    assert first_days["crm.won_value"]["value"] == 220_000_000
    assert first_days["crm.won_count"]["value"] == 3


def test_figures_not_in_the_scope_say_so(sales_data, pm):
    f = figures(sales_data.admin, pm, rep=sales_data.a.id)
    assert f["finance.receivables"]["extra"]["scope"] == "office"
    assert f["finance.receivables"]["value"] == 140_000_000     # invoices have no rep
    assert f["inventory.stock_value"]["extra"]["scope"] == "office"
    assert "scope" not in f["crm.won_value"]["extra"]


def test_each_figure_has_a_link_and_a_hint(sales_data, pm, app):
    f = figures(sales_data.admin, pm)
    for key in ("crm.won_value", "crm.won_count", "crm.win_rate", "crm.lead_conversion", "crm.pipeline_value",
                "crm.weighted_forecast", "crm.sales_forecast", "crm.stale_red", "crm.leaderboard", "crm.profit",
                "finance.receivables", "finance.overdue", "inventory.stock_value", "inventory.low_stock"):
        assert f[key]["link"].startswith("/"), key
        assert f[key]["hint"], key
    from urllib.parse import parse_qs, urlsplit

    from core.jalali import format_date
    link = urlsplit(f["crm.won_count"]["link"])
    assert link.path == "/crm/reports/status/won"
    assert parse_qs(link.query) == {"start": [format_date(pm.start, "en")], "end": [format_date(pm.end, "en")]}
    rep = figures(sales_data.admin, pm, rep=sales_data.a.id)
    assert f"user={sales_data.a.id}" in rep["crm.won_count"]["link"]
    assert "level=red" in f["crm.stale_red"]["link"]
    assert "status=confirmed" in f["crm.won_value"]["link"]


def test_empty_scope_gives_zeros_not_errors(sales_data, pm):
    o = sales_data
    # A department without members: zeros and «—», not errors.
    from core.db import db
    from core.models.org import Department
    empty = Department(office_id=o.tehran.id, name="بی‌کارمند")
    db.session.add(empty)
    db.session.commit()
    f = figures(o.admin, pm, department=empty.id)
    assert f["crm.won_value"]["value"] == 0
    assert f["crm.win_rate"]["value"] is None         # 0 / 0
    assert f["crm.avg_deal"]["value"] is None
    assert f["crm.cycle_days"]["value"] is None
    assert f["crm.leaderboard"]["series"] == []


def test_a_rep_without_the_permissions_gets_no_finance_or_stock(sales_data, pm):
    # Sales reps may not see receivables (finance.view) — their own plugins decide.
    f = figures_service.compute(pm, scopes.build(sales_data.a, None, None, None))
    keys = {k["key"] for k in f.kpis}
    assert "crm.won_value" in keys and not any(k.startswith("finance.") for k in keys)


def test_kpi_types_are_checked(app):
    bad = Kpi("crm.x", "x", 1.5)
    with pytest.raises(TypeError):
        figures_service._as_dict("crm", bad)
    with pytest.raises(ValueError):
        figures_service._as_dict("acme", Kpi("crm.stolen", "x", 1))


def test_projection_helpers():
    from fractions import Fraction

    from plugins.crm.kpis import least_squares, rate_bp, round_half_up
    # y = 2x + 1 exactly.
    assert least_squares([1, 3, 5, 7]) == (Fraction(1), Fraction(2))
    assert least_squares([5]) == (Fraction(5), Fraction(0))
    assert round_half_up(Fraction(5, 2)) == 3 and round_half_up(Fraction(7, 3)) == 2
    assert rate_bp(1, 3) == 3333 and rate_bp(2, 3) == 6667 and rate_bp(0, 0) is None
    assert add_months(1404, 12, 1) == (1405, 1) and add_months(1404, 1, -1) == (1403, 12)
