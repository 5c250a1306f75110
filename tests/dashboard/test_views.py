"""The dashboard page: filters, who may see what (403 in Persian), bad input, a contributor that
raises, the cache with its «last update» and refresh button, the periodic refresh job."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from sqlalchemy import func, select, text

from core.db import db
from core.jalali import format_date, utcnow
from core.payloads import Kpi
from core.persian import to_persian_digits
from core.testing import plugin
from plugins.dashboard.models import CacheEntry
from plugins.dashboard.services import figures as figures_service


def pm_args(o) -> dict:
    year, month = o.months["PM"]
    return {"period": "month", "year": year, "month": month}


def card_value(html: str, key: str) -> str:
    m = re.search(rf'id="kpi-{key.replace(".", "-")}" data-key="{re.escape(key)}" data-value="([^"]*)"', html)
    assert m, f"no card {key}"
    return m.group(1)


def test_the_manager_sees_their_figures(sales_data, client, login_as):
    o = sales_data
    login_as(o.m)
    response = client.get("/dashboard/", query_string=pm_args(o))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert card_value(html, "crm.won_value") == "198000000"
    assert "۱۹۸٬۰۰۰٬۰۰۰ ریال" in html
    assert card_value(html, "crm.win_rate") == "4000" and "۴۰٪" in html
    assert card_value(html, "crm.lead_conversion") == "3333" and "۳۳٫۳۳٪" in html
    assert "آخرین به‌روزرسانی" in html and 'id="refresh"' in html
    # Only M's reps in the rep filter and the leaderboard; C (another office, nobody's) nowhere.
    assert "علی احمدی" in html and "بهرام بهرامی" in html and "چنگیز چمنی" not in html
    assert o.isfahan.name not in html
    # The charts' data and the forecast's explanation are on the page.
    assert 'id="dashboard-charts"' in html and "chart-crm-sales_forecast" in html and "chart-crm-funnel" in html
    assert "chart-crm-leaderboard" in html and "chart-finance-ageing" in html
    assert "کمترین مربعات" in html and "پیش‌بینی وزنی قیف" in html


def test_filters_change_the_figures_on_the_page(sales_data, client, login_as):
    o = sales_data
    login_as(o.admin)
    everyone = client.get("/dashboard/", query_string=pm_args(o)).get_data(as_text=True)
    assert card_value(everyone, "crm.won_value") == "418000000"
    one_rep = client.get("/dashboard/", query_string={**pm_args(o), "rep": o.a.id}).get_data(as_text=True)
    assert card_value(one_rep, "crm.won_value") == "143000000"
    assert "کل دفتر" in one_rep            # receivables and stock do not follow a rep filter
    isfahan = client.get("/dashboard/", query_string={**pm_args(o), "office": o.isfahan.id}).get_data(as_text=True)
    assert card_value(isfahan, "crm.won_value") == "220000000"
    assert card_value(isfahan, "finance.receivables") == "30000000"
    # Persian digits typed in the filters are read too.
    persian = client.get("/dashboard/", query_string={"period": "month", "year": to_persian_digits(o.months["PM"][0]),
                                                     "month": to_persian_digits(o.months["PM"][1]),
                                                     "rep": to_persian_digits(o.a.id)}).get_data(as_text=True)
    assert card_value(persian, "crm.won_value") == "143000000"
    # A custom range (Jalali, either digits): the first ten days of PM hold only C's 220M order.
    custom = client.get("/dashboard/", query_string={
        "period": "custom", "start": to_persian_digits(format_date(o.S, "en")),
        "end": format_date(o.S + dt.timedelta(days=9), "en")}).get_data(as_text=True)
    assert card_value(custom, "crm.won_value") == "220000000"


@pytest.mark.parametrize("args, message", [
    ({"period": "custom", "start": "1404/05/10", "end": "1404/05/01"}, "تاریخ پایان نمی‌تواند پیش از تاریخ شروع باشد"),
    ({"period": "custom", "start": "1390/01/01", "end": "1409/12/29"}, "بیش از سه سال"),
    ({"period": "custom", "start": "1404/13/40", "end": "1404/05/01"}, "از تاریخ"),
    ({"period": "custom", "start": "", "end": "1404/05/01"}, "«از تاریخ» را وارد کنید"),
    ({"period": "month", "year": "1404", "month": "13"}, "«ماه» باید عددی از ۱ تا ۱۲ باشد"),
    ({"period": "quarter", "year": "1404", "quarter": "5"}, "«سه‌ماهه» باید عددی از ۱ تا ۴ باشد"),
    ({"period": "year", "year": "99999"}, "«سال» باید عددی از ۱۳۵۰ تا ۱۵۰۰ باشد"),
    ({"period": "decade"}, "نوع دوره"),
    ({"office": "abc"}, "مقدار فیلتر معتبر نیست"),
    ({"office": "99999"}, "دفتر انتخاب‌شده وجود ندارد"),
])
def test_bad_input_is_refused_in_persian(people, client, login_as, args, message):
    login_as(people.admin)
    response = client.get("/dashboard/", query_string=args)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="filter-errors"' in html and 'class="card h-100 kpi-card"' not in html
    assert db.session.scalar(select(func.count()).select_from(CacheEntry)) == 0


def test_the_department_must_be_in_the_chosen_office(people, client, login_as):
    login_as(people.admin)
    response = client.get("/dashboard/", query_string={"office": people.tehran.id,
                                                       "department": people.isfahan_sales.id})
    assert response.status_code == 400
    assert "این بخش در دفتر انتخاب‌شده نیست" in response.get_data(as_text=True)


def test_what_is_outside_the_managers_reach_is_forbidden(people, client, login_as):
    o = people
    login_as(o.m)
    for args, name in (({"office": o.isfahan.id}, o.isfahan.name), ({"rep": o.c.id}, "چنگیز چمنی"),
                       ({"department": o.isfahan_sales.id}, o.isfahan_sales.name)):
        response = client.get("/dashboard/", query_string=args)
        assert response.status_code == 403, args
        html = response.get_data(as_text=True)
        assert "اجازهٔ دیدن ارقام" in html and name in html
        post = client.post("/dashboard/refresh", query_string=args)
        assert post.status_code == 403
    # Their own office, department and reps are fine.
    assert client.get("/dashboard/", query_string={"office": o.tehran.id}).status_code == 200
    assert client.get("/dashboard/", query_string={"rep": o.a.id}).status_code == 200
    assert client.get("/dashboard/", query_string={"department": o.retail.id}).status_code == 200


def test_only_dashboard_viewers_open_it(people, client, login_as):
    login_as(people.a)
    assert client.get("/dashboard/").status_code == 403
    assert client.post("/dashboard/refresh").status_code == 403
    login_as(people.inspector)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "چنگیز چمنی" in html        # the inspector sees every office


def test_a_contributor_that_raises_leaves_the_others(make_app, make_user, caplog):
    def boom(period, scope):
        raise RuntimeError("acme is down")

    app = make_app(plugins=[("acme", plugin(dashboard_kpis=boom))])
    with app.app_context():
        admin = make_user("boss", role="administrator", superuser=True)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = admin.get_id()
        with caplog.at_level(logging.ERROR):
            response = client.get("/dashboard/")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'id="contributor-errors"' in html and "«acme»" in html
        assert 'id="kpi-crm-won_value"' in html and 'id="kpi-finance-receivables"' in html
        assert any("acme failed in hook dashboard_kpis" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_contributor_whose_sql_fails_does_not_break_the_others(make_app, make_user):
    """On PostgreSQL a failed statement aborts the transaction: each contributor has a savepoint."""
    def broken(period, scope):
        db.session.execute(text("SELECT * FROM no_such_table"))

    def fine(period, scope):
        return [Kpi("zeta.answer", "پاسخ", 42, group="آزمایش")]

    app = make_app(plugins=[("acme", plugin(dashboard_kpis=broken)), ("zeta", plugin(dashboard_kpis=fine))])
    with app.app_context():
        admin = make_user("boss", role="administrator", superuser=True)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = admin.get_id()
        html = client.get("/dashboard/").get_data(as_text=True)
        assert "«acme»" in html
        assert card_value(html, "zeta.answer") == "42"
        assert 'id="kpi-crm-pipeline_value"' in html


def test_a_contributor_returning_garbage_is_reported(make_app, make_user):
    app = make_app(plugins=[("acme", plugin(dashboard_kpis=lambda period, scope: [{"key": "acme.x"}]))])
    with app.app_context():
        admin = make_user("boss", role="administrator", superuser=True)
        result = figures_service.compute(*_month_and_scope(admin))
        assert [e["plugin"] for e in result.errors] == ["acme"]
        assert any(k["key"] == "crm.won_value" for k in result.kpis)


def _month_and_scope(viewer):
    from plugins.dashboard.services import periods
    from plugins.dashboard.services import scope as scopes
    return periods.common_periods()[0], scopes.build(viewer)


def test_figures_are_cached_and_refreshed(sales_data, client, login_as, monkeypatch):
    o = sales_data
    calls = []
    real = figures_service.compute

    def counting(period, scope):
        calls.append((period.start, scope.user_ids))
        return real(period, scope)

    monkeypatch.setattr(figures_service, "compute", counting)
    login_as(o.m)
    first = client.get("/dashboard/", query_string=pm_args(o)).get_data(as_text=True)
    second = client.get("/dashboard/", query_string=pm_args(o)).get_data(as_text=True)
    assert len(calls) == 1                                # the second one came from the cache
    assert card_value(second, "crm.won_value") == card_value(first, "crm.won_value") == "198000000"
    entry = db.session.scalar(select(CacheEntry))
    assert entry.period_start == o.S and entry.user_ids is not None and not entry.common

    # New data shows after the refresh button (POST with the same filters), not before.
    from plugins.crm.models.sales import Order
    extra = db.session.get(Order, 2)
    extra.total += 1_000_000
    db.session.commit()
    assert card_value(client.get("/dashboard/", query_string=pm_args(o)).get_data(as_text=True),
                      "crm.won_value") == "198000000"
    response = client.post("/dashboard/refresh", query_string=pm_args(o))
    assert response.status_code == 302 and "/dashboard/" in response.headers["Location"]
    assert f"month={o.months['PM'][1]}" in response.headers["Location"]
    assert len(calls) == 2
    assert card_value(client.get("/dashboard/", query_string=pm_args(o)).get_data(as_text=True),
                      "crm.won_value") == "199000000"

    # An entry older than the setting is computed again on the next visit.
    db.session.execute(CacheEntry.__table__.update().values(computed_at=utcnow() - dt.timedelta(minutes=61)))
    db.session.commit()
    client.get("/dashboard/", query_string=pm_args(o))
    assert len(calls) == 3

    # Another viewer with a different reach never reads M's entry.
    login_as(o.admin)
    assert card_value(client.get("/dashboard/", query_string=pm_args(o)).get_data(as_text=True),
                      "crm.won_value") == "419000000"
    assert len(calls) == 4


def test_viewers_with_the_same_view_share_the_cache(sales_data, make_user, client, login_as, monkeypatch):
    o = sales_data
    inspector2 = make_user("inspector2", role="inspector", office=o.tehran)
    login_as(o.inspector)
    client.get("/dashboard/", query_string=pm_args(o))
    calls = []
    monkeypatch.setattr(figures_service, "compute", lambda *a: calls.append(a))
    login_as(inspector2)
    html = client.get("/dashboard/", query_string=pm_args(o)).get_data(as_text=True)
    assert calls == [] and card_value(html, "crm.won_value") == "418000000"


def test_the_periodic_job_refreshes_the_common_views(sales_data, app):
    o = sales_data
    from core.jobs import run_periodic
    assert "dashboard.refresh" in app.extensions["peyvand"].periodic_tasks
    count = run_periodic("dashboard.refresh")
    # Audiences: the administrator and the inspector see everything (3 periods × (all + 2 offices)
    # each); the manager M their reach (3 periods). 9 + 9 + 3 = 21.
    assert count == 21
    entries = db.session.scalars(select(CacheEntry).where(CacheEntry.common.is_(True))).all()
    assert len(entries) == 21
    assert {e.office_id for e in entries} == {None, o.tehran.id, o.isfahan.id}
    assert all(e.payload["errors"] == [] and e.payload["kpis"] for e in entries)
    links = [k["link"] for e in entries for k in e.payload["kpis"]]
    assert all(link.startswith("/") for link in links if link)       # url_for worked without a request
    # Running it again replaces, never duplicates; old entries nobody asked for are pruned.
    db.session.add(CacheEntry(key="x" * 64, audience="a", period_start=o.S, period_end=o.S, payload={},
                              computed_at=utcnow() - dt.timedelta(days=8)))
    db.session.commit()
    assert run_periodic("dashboard.refresh") == 21
    assert db.session.scalar(select(func.count()).select_from(CacheEntry)) == 21


def test_the_page_reads_what_the_job_computed(sales_data, client, login_as, monkeypatch):
    from core.jobs import run_periodic
    run_periodic("dashboard.refresh")
    monkeypatch.setattr(figures_service, "compute", lambda *a: pytest.fail("computed again"))
    login_as(sales_data.admin)
    html = client.get("/dashboard/").get_data(as_text=True)          # this month: a common view
    assert "آخرین به‌روزرسانی" in html
    html = client.get("/dashboard/", query_string={"office": sales_data.isfahan.id, "period": "year"}).get_data(
        as_text=True)
    assert 'id="kpi-crm-won_value"' in html


def test_negative_figures_keep_their_minus_on_the_left(app):
    """A bare `-` before Persian digits is shown on their right in right-to-left text (`۳۸۴-`);
    the cards and tables write a real minus after an LRM, as the charts do."""
    from plugins.dashboard.views import formatted, signed
    with app.test_request_context("/"):
        assert signed(-384) == "\u200e−۳۸۴"
        assert signed(1200) == "۱٬۲۰۰"
        assert formatted({"value": -1_200_000, "unit": "rial"}) == "\u200e−۱٬۲۰۰٬۰۰۰ ریال"
        assert formatted({"value": -4050, "unit": "percent_bp"}) == "\u200e−۴۰٫۵٪"
        assert formatted({"value": 198_000_000, "unit": "rial"}) == "۱۹۸٬۰۰۰٬۰۰۰ ریال"
