"""The rep workbench on the home page: follow-ups due today and overdue, negotiations near the end
of their window, recent cards, comments to me, this Jalali month's points.

Rep A: n1 due today; n2 overdue by two days; n3's window ends in 5 days; n4's in 20 days (its
opening point dated just before this Jalali month); n5 cut (due today, but closed); n6 won.
Points this month: n1, n2, n3 −1 each, n5 −1 −2, n6 −1 +5 → positive 5, negative −7, total −2.
"""
import datetime as dt
import re

from sqlalchemy import update

from core.jalali import today_tehran, utcnow
from plugins.crm.models import Card, Negotiation, PointEntry
from plugins.crm.services import log
from plugins.crm.services import negotiations as neg
from plugins.crm.services import reports
from plugins.crm.views.workbench import workbench_panels


def build(db, org, register):
    now, today = utcnow(), today_tehran()
    a = org.a
    n = {k: register(a, name=f"مشتری {k}") for k in ("n1", "n2", "n3", "n4", "n5", "n6")}
    log.add_entry(n["n1"].id, {"kind": "call", "summary": "تماس", "next_contact": today}, a)
    entry = log.add_entry(n["n2"].id, {"kind": "call", "summary": "تماس دوم"}, a)
    neg.change_status(n["n5"].id, "cut", a)
    neg.change_status(n["n6"].id, "won", a, confirmed=True)
    db.session.get(Negotiation, n["n2"].id).next_contact = today - dt.timedelta(days=2)
    db.session.get(Negotiation, n["n5"].id).next_contact = today
    db.session.get(Negotiation, n["n3"].id).window_end = now + dt.timedelta(days=5)
    db.session.get(Negotiation, n["n4"].id).window_end = now + dt.timedelta(days=20)
    month_start = reports.midnight_utc(reports.current_month()[0])
    db.session.execute(update(PointEntry).where(PointEntry.negotiation_id == n["n4"].id)
                       .values(at=month_start - dt.timedelta(seconds=1)))
    db.session.add_all([
        Card(negotiation_id=n["n1"].id, user_id=a.id, colour="yellow", days=15, at=now - dt.timedelta(days=2)),
        Card(negotiation_id=n["n2"].id, user_id=a.id, colour="red", days=31, at=now - dt.timedelta(days=40)),
    ])
    db.session.commit()
    log.add_comment(entry.id, "این مشتری را از دست ندهید.", org.inspector)
    return {k: v.id for k, v in n.items()}


def test_workbench_figures(db, org, register):
    ids = build(db, org, register)
    wb = reports.workbench(org.a)
    assert [x.id for x in wb["due_today"]] == [ids["n1"]] and wb["due_today_count"] == 1
    assert [x.id for x in wb["overdue"]] == [ids["n2"]] and wb["overdue_count"] == 1
    assert [x.id for x in wb["expiring"]] == [ids["n3"]] and wb["expiring_count"] == 1
    assert (wb["yellow_cards"], wb["red_cards"]) == (1, 0)   # the red card is 40 days old
    assert [c.negotiation_id for c in wb["cards"]] == [ids["n1"]]
    assert wb["unread_comments"] == 1 and [c.body for c in wb["comments"]] == ["این مشتری را از دست ندهید."]
    assert (wb["points_positive"], wb["points_negative"], wb["points"]) == (5, -7, -2)
    # The manager's workbench carries the subordinate's follow-ups; the manager's own points are zero.
    boss = reports.workbench(org.manager)
    assert [x.id for x in boss["due_today"]] == [ids["n1"]] and boss["overdue_count"] == 1
    assert boss["points"] == 0 and boss["unread_comments"] == 0
    # Rep B, in the same office, has nothing of A's on the workbench.
    other = reports.workbench(org.b)
    assert (other["due_today_count"], other["overdue_count"], other["expiring_count"]) == (0, 0, 0)


def test_home_page_shows_the_panels(db, org, register, client, login_as):
    build(db, org, register)
    login_as(org.a)
    page = client.get("/").get_data(as_text=True)
    for panel in ("today", "overdue", "expiring", "cards", "comments", "points"):
        assert f'id="wb-{panel}"' in page, panel
    assert "مشتری n1" in page and "مشتری n2" in page and "مشتری n3" in page
    assert re.search(r'id="wb-points-total"[^>]*>\s*-?۲', page)
    # Each panel links to its full report.
    for endpoint in ("/crm/reports/followups", "/crm/reports/comments", "/crm/reports/points?user=",
                     "/crm/reports/stale?owner="):
        assert endpoint in page, endpoint
    # Seeing the workbench does not mark comments read; the comments report does.
    assert reports.unread_comments(org.a) == 1


def test_no_panels_without_the_customers_permission(db, org, make_user, client, login_as, app):
    clerk = make_user("clerk", role=None)
    login_as(clerk)
    page = client.get("/").get_data(as_text=True)
    assert 'id="wb-today"' not in page
    assert str(workbench_panels(clerk)) == ""
    # The inspector works with customers but has no follow-ups report: no link to it.
    login_as(org.inspector)
    page = client.get("/").get_data(as_text=True)
    assert 'id="wb-today"' in page and "/crm/reports/followups" not in page
