"""The managers' dashboard in a real browser, as manager M of the hand-built data set
(tests/dashboard/conftest.py): cards and Chart.js charts (right to left, Persian digits), a
filter that changes the figures, click-throughs that land on the records behind a figure, the
refresh button. Screenshots under tests/e2e/screenshots/."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from core.jalali import format_date
from core.persian import to_persian_digits
from tests.dashboard.conftest import people, sales_data  # noqa: F401  (fixtures)
from tests.e2e.test_admin_flow import login


def _wait_for_charts(page, keys):
    page.wait_for_function("keys => keys.every(k => window.dashboardCharts && window.dashboardCharts[k])", arg=keys)
    page.wait_for_timeout(300)  # no animation (dashboard.js); let a pending resize redraw


def test_manager_dashboard(live_server, page, page_log, shot, sales_data, db):  # noqa: F811
    o = sales_data
    year, month = o.months["PM"]
    url = live_server.url
    login(page, live_server, "manager")
    expect(page.locator('[data-menu="dashboard.index"]')).to_be_visible()
    page.locator('[data-menu="dashboard.index"]').click()
    expect(page.locator("h1")).to_contain_text("داشبورد مدیریتی")

    # Choose the previous Jalali month in the filter form.
    page.locator("#period-kind").select_option("month")
    page.locator("#year").select_option(str(year))
    page.locator("#month").select_option(str(month))
    page.locator("#apply").click()
    won_value = page.locator("#kpi-crm-won_value .kpi-value")
    expect(won_value).to_have_text("۱۹۸٬۰۰۰٬۰۰۰ ریال")
    expect(page.locator("#kpi-crm-won_count .kpi-value")).to_have_text("۲")
    expect(page.locator("#kpi-crm-win_rate .kpi-value")).to_have_text("۴۰٪")
    expect(page.locator("#kpi-crm-cycle_days .kpi-value")).to_have_text("۱۵ روز")
    expect(page.locator("#kpi-finance-receivables .kpi-value")).to_have_text("۱۴۰٬۰۰۰٬۰۰۰ ریال")
    expect(page.locator("#last-update")).to_contain_text("آخرین به‌روزرسانی")
    expect(page.locator("#period-label")).to_have_text(f"{page.locator('#month option:checked').inner_text()} "
                                                       f"{to_persian_digits(year)}")

    # Every chart is a canvas with a live Chart.js chart, laid out right to left.
    charts = ["crm.sales_forecast", "crm.pipeline_value", "crm.funnel", "crm.leaderboard", "finance.ageing"]
    for key in charts:
        expect(page.locator(f"canvas#chart-{key.replace('.', '-')}")).to_be_visible()
    _wait_for_charts(page, charts)
    state = page.evaluate("""() => {
        const out = {};
        for (const [key, chart] of Object.entries(window.dashboardCharts)) {
            const horizontal = chart.options.indexAxis === 'y';
            const category = horizontal ? chart.scales.y : chart.scales.x;
            const value = horizontal ? chart.scales.x : chart.scales.y;
            out[key] = {ready: Chart.getChart(chart.canvas) === chart, labels: chart.data.labels,
                        datasets: chart.data.datasets.map(d => d.label), reverse: horizontal ? value.options.reverse : category.options.reverse,
                        valueRight: horizontal ? null : value.position === 'right',
                        tick: value.ticks.length ? value.ticks[value.ticks.length - 1].label : '',
                        legendRtl: chart.options.plugins.legend.rtl};
        }
        return out;
    }""")
    assert set(state) == set(charts)
    assert all(s["ready"] and s["reverse"] and s["legendRtl"] for s in state.values())
    assert state["crm.sales_forecast"]["valueRight"] is True
    assert len(state["crm.sales_forecast"]["labels"]) == 15
    assert state["crm.sales_forecast"]["datasets"] == ["فروش قطعی", "پیش‌بینی وزنی قیف", "روند (کمترین مربعات)"]
    assert state["crm.leaderboard"]["labels"] == ["علی احمدی", "بهرام بهرامی"]
    assert state["crm.funnel"]["labels"] == ["سرنخ‌های تازه", "فرصت‌های تازه", "قطعی‌شده"]
    assert re.search("[۰-۹]", state["crm.sales_forecast"]["tick"]) and not re.search("[0-9]", state["crm.sales_forecast"]["tick"])
    assert "میلیون" in state["crm.sales_forecast"]["tick"] or "میلیارد" in state["crm.sales_forecast"]["tick"]
    expect(page.locator("#forecast")).to_contain_text("کمترین مربعات")
    expect(page.locator("#forecast-table")).to_contain_text("۱۰٬۰۰۰٬۰۰۰")   # n7's weighted 10M in CM+1
    shot(page, "dashboard-01-manager")

    # A filter changes the figures: rep A alone.
    page.locator("#rep").select_option(str(o.a.id))
    page.locator("#apply").click()
    expect(won_value).to_have_text("۱۴۳٬۰۰۰٬۰۰۰ ریال")
    expect(page.locator("#kpi-crm-won_count .kpi-value")).to_have_text("۱")
    expect(page.locator("#kpi-finance-receivables")).to_contain_text("کل دفتر")
    _wait_for_charts(page, ["crm.leaderboard"])
    assert page.evaluate("() => window.dashboardCharts['crm.leaderboard'].data.labels") == ["علی احمدی"]
    shot(page, "dashboard-02-rep-filter")

    # Click-through: the won negotiations behind «مذاکرات قطعی‌شده» (A's n1 only).
    page.locator("#rep").select_option("")
    page.locator("#apply").click()
    expect(won_value).to_have_text("۱۹۸٬۰۰۰٬۰۰۰ ریال")
    dashboard_url = page.url
    page.locator("#kpi-crm-won_count a.kpi-link").click()
    expect(page).to_have_url(re.compile(r"/crm/reports/status/won\?"))
    table = page.locator("#drilldown")
    names = {n: getattr(o, n).customer.party.name for n in ("n1", "n3", "n5", "n6")}
    expect(table).to_contain_text(names["n1"])
    expect(table).to_contain_text(names["n3"])
    assert names["n5"] not in table.inner_text() and names["n6"] not in table.inner_text()
    expect(page.locator("main")).to_contain_text(format_date(o.S))
    shot(page, "dashboard-03-won-drilldown")

    # ...and the confirmed orders behind «فروش قطعی»: the same 198M.
    page.goto(dashboard_url)
    page.locator("#kpi-crm-won_value a.kpi-link").click()
    expect(page).to_have_url(re.compile(r"/crm/orders\?"))
    expect(page.locator("#orders-count")).to_contain_text("۳ سفارش")
    expect(page.locator("#orders-count")).to_contain_text("۱۹۸٬۰۰۰٬۰۰۰")
    shot(page, "dashboard-04-orders")

    # A bar of the leaderboard opens that rep's won negotiations.
    page.goto(dashboard_url)
    page.locator("#table-chart-crm-leaderboard a", has_text="بهرام بهرامی").click()
    expect(page.locator("#drilldown")).to_contain_text(names["n3"])
    assert names["n1"] not in page.locator("#drilldown").inner_text()

    # The refresh button recomputes and comes back to the same view.
    page.goto(dashboard_url)
    page.locator("#refresh").click()
    expect(page).to_have_url(re.compile(rf"/dashboard/\?.*month={month}"))
    expect(won_value).to_have_text("۱۹۸٬۰۰۰٬۰۰۰ ریال")
    expect(page.locator("#last-update")).to_contain_text("همین حالا")

    # Another office is refused with a Persian page.
    page.goto(f"{url}/dashboard/?office={o.isfahan.id}")
    expect(page.locator("main")).to_contain_text("اجازهٔ دیدن ارقام")
    shot(page, "dashboard-05-forbidden-office")
    # A range ending before it starts: a clear message, no figures.
    page.goto(f"{url}/dashboard/?period=custom&start=1404/05/10&end=1404/05/01")
    expect(page.locator("#filter-errors")).to_contain_text("تاریخ پایان نمی‌تواند پیش از تاریخ شروع باشد")
    expect(page.locator("#start")).to_be_visible()
    shot(page, "dashboard-06-bad-range")

    assert page_log.page_errors == []
    # The only console errors are the refused pages' own statuses (403, 400), nothing from the scripts.
    assert all(re.search(r"status of 40[03]", e) for e in page_log.console_errors), page_log.console_errors
    assert page_log.foreign_requests(live_server.netloc) == []
