"""The five Saba reports on a hand-built data set; every figure of report 1 worked out by hand.

Data set (range R = the 31 Tehran days ending today; lo = R's first midnight in UTC):

rep A (Tehran, under manager, under boss)
  n1  registered now, negotiating                         points −1
  n2  registered now, cut                                 points −1 −2
  n3  registered now, won                                 points −1 +5
  n4  registered now, suspended, claimed by B             points −1 −1 (charged at the claim)
  n5  started 10 days ago, window ended yesterday         points −1     → effectively expired
  n8  started 10 days ago, nothing logged                 points −1     → watch (not counted stale)
  n6  started 60 days ago, nothing logged; its point dated exactly lo   → −1 in R; red (cards Y+R)
  n7  started 40 days ago, last entry 15 days ago; its point 1 s before lo (out of R) → yellow (card Y)
  + a yellow card on n1 dated before R (out of R)
rep B:  n4b (the claim) negotiating −1; nb1 cut −1 −2
rep C (Isfahan): nc1 won −1 +5

Report 1 over R, by hand:
          points  total negotiating cut suspended won expired stale yellow red
  A        −5      6      2         1     1       1    1       2     2     1
  B        −4      2      1         1     0       0    0       0     0     0
  C        +4      1      0         0     0       1    0       0     0     0
A's points: n1 −1, n2 −3, n3 +4, n4 −2, n5 −1, n8 −1, n6 −1 = −5 (n7's point is out of R).
"""
import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.jalali import format_date, today_tehran, utcnow
from core.persian import to_ascii_digits
from plugins.crm.models import Card, Comment, Negotiation, PointEntry
from plugins.crm.services import log
from plugins.crm.services import negotiations as neg
from plugins.crm.services import reports, stale

FORBIDDEN = "شما اجازهٔ دسترسی به این بخش را ندارید."
COLUMNS = ["points", "total", "negotiating", "cut", "suspended", "won", "expired", "stale", "yellow", "red"]
EXPECTED = {
    "a": [-5, 6, 2, 1, 1, 1, 1, 2, 2, 1],
    "b": [-4, 2, 1, 1, 0, 0, 0, 0, 0, 0],
    "c": [4, 1, 0, 0, 0, 1, 0, 0, 0, 0],
}


def jd(day: dt.date) -> str:
    return format_date(day, digits="en")


def text(response) -> str:
    return response.get_data(as_text=True)


def move_start(db, n, when, point_at=None):
    """The negotiation started at `when` (and its opening point is dated `point_at or when`)."""
    n = db.session.get(Negotiation, n.id)
    n.window_start = when
    db.session.execute(PointEntry.__table__.update().where(
        PointEntry.negotiation_id == n.id, PointEntry.event == "negotiating").values(at=point_at or when))
    neg.rebuild_point_days()  # the ledger was rewritten by hand: derive the daily sums again
    db.session.commit()
    return n


@pytest.fixture
def data(db, org, register):
    now = utcnow()
    end = today_tehran()
    start = end - dt.timedelta(days=30)
    lo = reports.midnight_utc(start)
    a, b, c = org.a, org.b, org.c
    n = {}
    n["n1"] = register(a, name="مشتری یک")
    n["n2"] = register(a, name="مشتری دو")
    neg.change_status(n["n2"].id, "cut", a)
    n["n3"] = register(a, name="مشتری سه")
    neg.change_status(n["n3"].id, "won", a, confirmed=True)
    n["n4"] = register(a, name="مشتری چهار")
    neg.change_status(n["n4"].id, "suspended", a)
    n["n4b"] = neg.claim(n["n4"].customer_id, b)
    n["n5"] = register(a, name="مشتری پنج")
    move_start(db, n["n5"], now - dt.timedelta(days=10))
    db.session.get(Negotiation, n["n5"].id).window_end = now - dt.timedelta(days=1)
    db.session.commit()
    n["n8"] = register(a, name="مشتری هشت")
    move_start(db, n["n8"], now - dt.timedelta(days=10))
    n["n6"] = register(a, name="مشتری شش")
    move_start(db, n["n6"], now - dt.timedelta(days=60), point_at=lo)
    n["n7"] = register(a, name="مشتری هفت")
    move_start(db, n["n7"], now - dt.timedelta(days=40), point_at=lo - dt.timedelta(seconds=1))
    db.session.get(Negotiation, n["n7"].id).last_entry_at = now - dt.timedelta(days=15)
    db.session.commit()
    n["nb1"] = register(b, name="مشتری بی")
    neg.change_status(n["nb1"].id, "cut", b)
    n["nc1"] = register(c, name="مشتری اصفهان")
    neg.change_status(n["nc1"].id, "won", c, confirmed=True)
    assert stale.issue_cards() == 3  # n6 yellow + red, n7 yellow
    db.session.add(Card(negotiation_id=n["n1"].id, user_id=a.id, colour="yellow", days=20,
                        at=lo - dt.timedelta(days=1)))
    db.session.commit()
    ids = {k: v.id for k, v in n.items()}

    class Data:
        pass
    d = Data()
    d.ids, d.start, d.end, d.lo, d.org = ids, start, end, lo, org
    d.args = {"start": jd(start), "end": jd(end)}
    return d


def figures(rows):
    return {r.user_id: [r[k] for k in COLUMNS] for r in rows}


# --- report 1 ----------------------------------------------------------------------------------

def test_status_figures_for_the_administrator(db, data):
    o = data.org
    rows, totals = reports.status_report(o.admin, data.start, data.end)
    assert figures(rows) == {o.a.id: EXPECTED["a"], o.b.id: EXPECTED["b"], o.c.id: EXPECTED["c"]}
    assert [totals[k] for k in COLUMNS] == [-5, 9, 3, 2, 1, 2, 1, 2, 2, 1]
    # Sorted by points, highest first, by default.
    assert [r.user_id for r in rows] == [o.c.id, o.b.id, o.a.id]
    assert [r.user_id for r in reports.status_report(o.admin, data.start, data.end, "total")[0]] == [o.c.id, o.b.id, o.a.id]
    assert [r.user_id for r in reports.status_report(o.admin, data.start, data.end, "-total")[0]] == [o.a.id, o.b.id, o.c.id]
    # The inspector reads everything too.
    assert figures(reports.status_report(o.inspector, data.start, data.end)[0]) == figures(rows)


def test_a_manager_sees_self_and_subordinates_only(db, data):
    o = data.org
    assert figures(reports.status_report(o.manager, data.start, data.end)[0]) == {
        o.manager.id: [0] * 10, o.a.id: EXPECTED["a"]}
    # The manager's manager sees the whole chain below, recursively.
    assert set(figures(reports.status_report(o.boss, data.start, data.end)[0])) == {o.boss.id, o.manager.id, o.a.id}


def test_a_narrower_range(db, data):
    """Only today: n6's point (dated lo) and the ten-day-old starts fall out."""
    o = data.org
    rows, _ = reports.status_report(o.admin, data.end, data.end)
    # A today: n1 −1, n2 −3, n3 +4, n4 −2 = −2; started today n1..n4; stale and cards are those of today.
    assert figures(rows)[o.a.id] == [-2, 4, 1, 1, 1, 1, 0, 2, 2, 1]


DRILL = {
    "total": {"n1", "n2", "n3", "n4", "n5", "n8"},
    "negotiating": {"n1", "n8"}, "cut": {"n2"}, "suspended": {"n4"}, "won": {"n3"}, "expired": {"n5"},
    "stale": {"n6", "n7"}, "yellow": {"n6", "n7"}, "red": {"n6"},
}


def test_drilldown_lists_exactly_the_negotiations_behind_each_number(db, data):
    o = data.org
    names = {v: k for k, v in data.ids.items()}
    for metric, expected in DRILL.items():
        got = {names[n.id] for n in db.session.scalars(
            reports.drilldown(o.admin, o.a.id, metric, data.start, data.end)).unique()}
        assert got == expected, metric
        assert len(got) == EXPECTED["a"][COLUMNS.index(metric)]
    # Without a user: everyone the viewer reports on.
    everyone = {names[n.id] for n in db.session.scalars(reports.drilldown(o.admin, None, "won", data.start, data.end)).unique()}
    assert everyone == {"n3", "nc1"}
    mine = {names[n.id] for n in db.session.scalars(reports.drilldown(o.manager, None, "won", data.start, data.end)).unique()}
    assert mine == {"n3"}
    assert not db.session.scalars(reports.drilldown(o.manager, o.c.id, "won", data.start, data.end)).all()


def test_status_page_links_and_permissions(db, data, client, login_as):
    o = data.org
    login_as(o.manager)
    page = text(client.get("/crm/reports/status", query_string=data.args))
    assert 'data-user="%d"' % o.a.id in page and 'data-user="%d"' % o.c.id not in page
    # Persian digits, and every number is a link to the negotiations (points: to the ledger).
    assert "۶" in page
    assert f"/crm/reports/status/cut?user={o.a.id}" in page
    assert f"/crm/reports/points?user={o.a.id}" in page
    drill = client.get("/crm/reports/status/total", query_string={**data.args, "user": o.a.id})
    assert drill.status_code == 200
    rows = re.findall(r'data-negotiation="(\d+)"', text(drill))
    assert {int(i) for i in rows} == {data.ids[k] for k in DRILL["total"]}
    assert "مشتری یک" in text(drill) and "در حال مذاکره" in text(drill)
    assert client.get("/crm/reports/status/total", query_string={**data.args, "user": o.c.id}).status_code == 404
    assert client.get("/crm/reports/status/nonsense", query_string=data.args).status_code == 404
    # A rep does not hold the report's permission.
    login_as(o.b)
    response = client.get("/crm/reports/status")
    assert response.status_code == 403 and FORBIDDEN in text(response)
    assert client.get("/crm/reports/status/total").status_code == 403


def test_status_page_sorts_on_the_server(db, data, client, login_as):
    o = data.org
    login_as(o.admin)
    order = lambda page: [int(u) for u in re.findall(r'<tr data-user="(\d+)"', page)]  # noqa: E731
    assert order(text(client.get("/crm/reports/status", query_string={**data.args, "sort": "-stale"})))[0] == o.a.id
    assert order(text(client.get("/crm/reports/status", query_string={**data.args, "sort": "name"}))) == \
        [r.user_id for r in sorted(reports.status_report(o.admin, data.start, data.end)[0], key=lambda r: r.name)]


@pytest.mark.parametrize("args, message", [
    ({"start": "1403/05/10", "end": "1403/05/01"}, "تاریخ پایان نمی‌تواند پیش از تاریخ شروع باشد."),
    ({"start": "دیروز", "end": "1403/05/01"}, "تاریخ را به شکل ۱۴۰۳/۰۵/۱۲ وارد کنید."),
    ({"start": "1402/12/30"}, "این تاریخ در تقویم وجود ندارد."),
])
def test_bad_ranges_get_a_persian_message(db, org, client, login_as, args, message):
    login_as(org.admin)
    for url in ("/crm/reports/status", "/crm/reports/points", "/crm/reports/status/total", "/crm/reports/comments"):
        response = client.get(url, query_string=args)
        assert response.status_code == 200, url
        assert message in text(response), url
        assert 'id="status-report"' not in text(response) and 'id="ledger"' not in text(response)
    # An export of a wrong range is not a file.
    assert "attachment" not in client.get("/crm/reports/status", query_string={**args, "format": "csv"}).headers.get("Content-Disposition", "")


def test_range_defaults_to_the_current_jalali_month(db, org, client, login_as):
    first, last = reports.current_month()
    assert first.day != 0 and format_date(first).endswith("/۰۱")
    assert (last + dt.timedelta(days=1)) == reports.current_month(last + dt.timedelta(days=1))[0]
    login_as(org.admin)
    page = text(client.get("/crm/reports/status"))
    assert f'value="{format_date(first)}"' in page and f'value="{format_date(last)}"' in page
    # Persian digits typed in the form are accepted.
    page = text(client.get("/crm/reports/status", query_string={"start": format_date(first), "end": format_date(last)}))
    assert 'id="status-report"' in page
    # Only a start: up to today; only an end: from the first of its month.
    assert reports.check_range(first, None) == (first, today_tehran())
    assert reports.check_range(None, last) == (first, last)
    future = last + dt.timedelta(days=3)
    assert reports.check_range(future, None) == (future, reports.current_month(future)[1])
    # Latin digits typed are shown back in Persian.
    page = text(client.get("/crm/reports/status", query_string={"start": jd(first), "end": jd(last)}))
    assert f'value="{format_date(first)}"' in page


def test_exports_carry_the_same_numbers(db, data, client, login_as):
    o = data.org
    login_as(o.admin)
    response = client.get("/crm/reports/status", query_string={**data.args, "format": "csv", "sort": "name"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(text(response).lstrip("\ufeff"))))
    assert table[0] == ["کاربر"] + list(reports.STATUS_COLUMNS.values())
    by_name = {row[0]: [int(x) for x in row[1:]] for row in table[1:]}
    assert by_name[o.a.full_name] == EXPECTED["a"]
    assert by_name[o.b.full_name] == EXPECTED["b"]
    assert by_name[o.c.full_name] == EXPECTED["c"]
    assert by_name["جمع"] == [-5, 9, 3, 2, 1, 2, 1, 2, 2, 1]
    response = client.get("/crm/reports/status", query_string={**data.args, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.data)).active
    xlsx = {row[0]: list(row[1:]) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert xlsx[o.a.full_name] == EXPECTED["a"]
    # The drill-down exports its negotiations.
    response = client.get("/crm/reports/status/stale", query_string={**data.args, "user": o.a.id, "format": "csv"})
    names = {row[0] for row in list(csv.reader(io.StringIO(text(response).lstrip("\ufeff"))))[1:]}
    assert names == {"مشتری شش", "مشتری هفت"}
    # Exporting needs crm.export: a rep may read the stale report but not download it.
    login_as(o.b)
    assert client.get("/crm/reports/stale").status_code == 200
    assert client.get("/crm/reports/stale?format=csv").status_code == 403


# --- report 2 ----------------------------------------------------------------------------------

def test_points_series_and_ledger(db, data, client, login_as):
    o = data.org
    series = reports.points_series(o.admin, data.start, data.end, o.a.id)
    assert series["unit"] == "day" and len(series["labels"]) == 31
    assert (series["total_positive"], series["total_negative"], series["total"]) == (5, -10, -5)
    assert series["negative"][0] == -1            # n6's point, dated exactly at the range start
    assert series["negative"][20] == -2           # n5 and n8 started ten days ago
    assert (series["positive"][-1], series["negative"][-1]) == (5, -7)
    assert series["net"][-1] == -2
    everyone = reports.points_series(o.admin, data.start, data.end)
    assert (everyone["total_positive"], everyone["total_negative"]) == (10, -15)
    # A manager asking for a user outside their tree gets nothing.
    assert reports.points_series(o.manager, data.start, data.end, o.c.id)["total"] == 0
    # Long ranges are charted per Jalali month with the same sums.
    monthly = reports.points_series(o.admin, data.end - dt.timedelta(days=200), data.end, o.a.id)
    assert monthly["unit"] == "month" and 7 <= len(monthly["labels"]) <= 8
    assert (monthly["total_positive"], monthly["total_negative"]) == (5, -11)  # n7's point is in now

    ledger = db.session.scalars(reports.points_ledger(o.admin, data.start, data.end, o.a.id)).unique().all()
    assert len(ledger) == 10 and sum(e.points for e in ledger) == -5
    login_as(o.manager)
    page = text(client.get("/crm/reports/points", query_string={**data.args, "user": o.a.id}))
    assert "chart.umd.min.js" in page and '"positive"' in page
    assert "قطع مذاکره" in page and "معلق (برداشته شد)" in page and "مشتری دو" in page
    # The user select offers only the manager's tree.
    options = set(re.findall(r'<option value="(\d+)"', page))
    assert options == {str(o.manager.id), str(o.a.id)}
    # Asking for someone else falls back to "everyone I may see".
    page = text(client.get("/crm/reports/points", query_string={**data.args, "user": o.c.id}))
    assert "مشتری اصفهان" not in page
    login_as(o.admin)
    response = client.get("/crm/reports/points", query_string={**data.args, "user": o.a.id, "format": "csv"})
    rows = list(csv.reader(io.StringIO(text(response).lstrip("\ufeff"))))[1:]
    assert len(rows) == 10 and sum(int(r[4]) for r in rows) == -5


# --- report 3 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("days, level", [(6, ""), (7, "watch"), (13, "watch"), (14, "yellow"), (29, "yellow"), (30, "red"), (45, "red")])
def test_stale_levels_by_days_since_start(db, org, register, days, level):
    n = register(org.a)
    move_start(db, n, utcnow() - dt.timedelta(days=days))
    n = db.session.get(Negotiation, n.id)
    assert stale.level_of(n) == level
    listed = {x.id for x in db.session.scalars(reports.stale_list(org.admin)).unique()}
    assert (n.id in listed) == bool(level)


def test_stale_uses_the_last_log_entry_and_never_young_negotiations(db, org, register):
    now = utcnow()
    logged = register(org.a, name="با مذاکرهٔ اخیر")
    move_start(db, logged, now - dt.timedelta(days=40))
    db.session.get(Negotiation, logged.id).last_entry_at = now - dt.timedelta(days=6)
    db.session.commit()
    old_entry = register(org.a, name="مذاکرهٔ قدیمی")
    move_start(db, old_entry, now - dt.timedelta(days=40))
    db.session.get(Negotiation, old_entry.id).last_entry_at = now - dt.timedelta(days=20)
    db.session.commit()
    assert stale.level_of(db.session.get(Negotiation, logged.id)) == ""
    assert stale.level_of(db.session.get(Negotiation, old_entry.id)) == "yellow"
    # Longer thresholds: a negotiation started 8 days ago is younger than the first threshold.
    from core import settings
    settings.update({"crm.stale_watch_days": 10})
    young = register(org.a)
    move_start(db, young, now - dt.timedelta(days=9))
    assert stale.level_of(db.session.get(Negotiation, young.id)) == ""
    # Closed negotiations are never stale.
    neg.change_status(old_entry.id, "cut", org.a)
    assert not db.session.scalars(reports.stale_list(org.admin)).all()


def test_stale_page_filters_sorts_and_respects_visibility(db, data, client, login_as):
    o = data.org
    ids = data.ids
    login_as(o.admin)
    page = text(client.get("/crm/reports/stale"))
    rows = [(int(i), lv) for i, lv in re.findall(r'data-negotiation="(\d+)" data-level="(\w*)"', page)]
    assert rows == [(ids["n6"], "red"), (ids["n7"], "yellow"), (ids["n8"], "watch")]  # days desc
    assert "bi-eye" in page and "کارت زرد" in page and "کارت قرمز" in page
    page = text(client.get("/crm/reports/stale?level=yellow"))
    assert re.findall(r'data-negotiation="(\d+)"', page) == [str(ids["n7"])]
    page = text(client.get(f"/crm/reports/stale?owner={o.b.id}"))
    assert not re.findall(r'data-negotiation="(\d+)"', page)
    summary = reports.stale_summary(o.admin)
    assert summary["levels"] == {"watch": 1, "yellow": 1, "red": 1}
    assert [(u.id, c["total"]) for u, c in summary["owners"]] == [(o.a.id, 3)]
    # Rep C, in another office, sees none of A's negotiations; rep B shares A's office and does.
    login_as(o.c)
    assert not re.findall(r'data-negotiation="(\d+)"', text(client.get("/crm/reports/stale")))
    login_as(o.b)
    assert len(re.findall(r'data-negotiation="(\d+)"', text(client.get("/crm/reports/stale")))) == 3


# --- report 4 ----------------------------------------------------------------------------------

def test_daily_followups(db, data, client, login_as):
    o, ids = data.org, data.ids
    today = today_tehran()
    log.add_entry(ids["n1"], {"kind": "call", "summary": "تماس قدیمی", "date": today - dt.timedelta(days=2)}, o.a)
    log.add_entry(ids["n1"], {"kind": "visit", "summary": "بازدید امروز", "next_contact": today}, o.a)
    log.add_entry(ids["n7"], {"kind": "call", "summary": "تماس برای پس‌فردا", "next_contact": today + dt.timedelta(days=2)}, o.a)
    for key, days in (("n8", -3), ("n2", -1), ("n5", -1), ("nb1", -1)):
        db.session.get(Negotiation, ids[key]).next_contact = today + dt.timedelta(days=days)
    db.session.get(Negotiation, ids["n4b"]).next_contact = today
    db.session.commit()

    def listed(user, **kw):
        return [(n.id, entry.summary if entry else None) for n, entry in db.session.execute(reports.followups(user, **kw)).unique()]

    assert listed(o.a) == [(ids["n8"], None), (ids["n1"], "بازدید امروز")]  # cut and expired left out
    assert listed(o.a, day=today + dt.timedelta(days=2)) == [(ids["n8"], None), (ids["n1"], "بازدید امروز"),
                                                              (ids["n7"], "تماس برای پس‌فردا")]
    assert listed(o.manager) == listed(o.a)                 # the manager sees the subordinate's
    assert listed(o.b) == [(ids["n4b"], None)]              # B sees only B's own
    assert listed(o.manager, owner_id=o.b.id) == []         # not someone outside the tree
    login_as(o.a)
    page = text(client.get("/crm/reports/followups"))
    marks = re.findall(r'data-negotiation="(\d+)" data-overdue="(\d)"', page)
    assert marks == [(str(ids["n8"]), "1"), (str(ids["n1"]), "0")]
    assert "بازدید امروز" in page and "۳ روز دیرکرد" in page
    assert f'href="/crm/customers/{db.session.get(Negotiation, ids["n1"]).customer_id}"' in page
    page = text(client.get("/crm/reports/followups", query_string={"day": jd(today + dt.timedelta(days=2))}))
    assert re.findall(r'data-negotiation="(\d+)" data-overdue="(\d)"', page) == [
        (str(ids["n8"]), "1"), (str(ids["n1"]), "0"), (str(ids["n7"]), "0")]
    page = text(client.get("/crm/reports/followups", query_string={"day": "1402/13/01"}))
    assert "تاریخ را به شکل" in page or "وجود ندارد" in page
    assert 'id="followups"' not in page
    # The inspector has no follow-ups of their own: the report is not theirs.
    login_as(o.inspector)
    assert client.get("/crm/reports/followups").status_code == 403


# --- report 5 ----------------------------------------------------------------------------------

def test_comments_addressed_to_me_are_marked_read_when_seen(db, data, client, login_as):
    o, ids = data.org, data.ids
    entry = log.add_entry(ids["n1"], {"kind": "call", "summary": "تماس اول با مشتری"}, o.a)
    first = log.add_comment(entry.id, "پیگیری را سریع‌تر انجام دهید.", o.inspector)
    second = log.add_comment(entry.id, "پیش‌فاکتور را هم بفرستید.", o.manager)
    db.session.get(Comment, first.id).created_at = utcnow() - dt.timedelta(hours=3)
    db.session.commit()
    assert reports.unread_comments(o.a) == 2
    assert not db.session.scalars(reports.comments_to(o.b)).all()
    login_as(o.a)
    page = text(client.get("/crm/reports/comments"))
    found = re.findall(r'data-comment="(\d+)" data-unread="(\d)"', page)
    assert found == [(str(second.id), "1"), (str(first.id), "1")]  # newest first, both new
    assert "تماس اول با مشتری" in page and "مشتری یک" in page and o.inspector.full_name in page
    assert reports.unread_comments(o.a) == 0
    assert all(c.read_at is not None for c in db.session.scalars(select(Comment)))
    page = text(client.get("/crm/reports/comments"))
    assert re.findall(r'data-comment="(\d+)" data-unread="(\d)"', page) == [(str(second.id), "0"), (str(first.id), "0")]
    # A range before the comments were written shows none of them.
    old = data.start - dt.timedelta(days=60)
    page = text(client.get("/crm/reports/comments", query_string={"start": jd(old), "end": jd(old)}))
    assert not re.findall(r'data-comment="(\d+)"', page)


def test_mark_only_the_comments_shown(db, data, client, login_as):
    o, ids = data.org, data.ids
    entry = log.add_entry(ids["n1"], {"kind": "call", "summary": "تماس"}, o.a)
    made = [log.add_comment(entry.id, f"نظر {i}", o.inspector).id for i in range(7)]
    for age, cid in enumerate(reversed(made)):
        db.session.get(Comment, cid).created_at = utcnow() - dt.timedelta(minutes=age)
    db.session.commit()
    login_as(o.a)
    page = text(client.get("/crm/reports/comments?size=5"))
    assert len(re.findall(r'data-unread="1"', page)) == 5
    assert reports.unread_comments(o.a) == 2
    page = text(client.get("/crm/reports/comments?size=5&page=2"))
    assert len(re.findall(r'data-unread="1"', page)) == 2
    assert reports.unread_comments(o.a) == 0


def test_every_report_page_renders_in_persian(db, data, client, login_as):
    login_as(data.org.admin)
    for url in ("/crm/reports/status", "/crm/reports/points", "/crm/reports/stale", "/crm/reports/followups",
                "/crm/reports/comments", "/crm/reports/status/red"):
        response = client.get(url, query_string=data.args if "status" in url or "points" in url else {})
        assert response.status_code == 200, url
        body = text(response)
        assert 'dir="rtl"' in body
        # Dates are shown in Jalali with Persian digits, never ISO.
        assert not re.search(r">\s*20\d\d-\d\d-\d\d", body), url
        assert to_ascii_digits(format_date(data.end)) == jd(data.end)
