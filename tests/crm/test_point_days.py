"""Report 1 reads points from `PointDay`, the ledger summed per user and Tehran day ahead. Every
writer of the ledger must add to it exactly what it wrote — registration, a cut, a win, the
suspended penalty of a claim, an expiry found on the way and the sweep — and nothing for a row the
ledger refused as a repeat. These fail if one of them forgets."""
import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from core.jalali import to_tehran, today_tehran, utcnow
from plugins.crm.models import Negotiation, PointDay, PointEntry
from plugins.crm.services import negotiations as neg
from plugins.crm.services import reports


def days_match_ledger(db) -> None:
    db.session.expire_all()
    ledger = defaultdict(int)
    for user_id, points, at in db.session.execute(select(PointEntry.user_id, PointEntry.points, PointEntry.at)):
        ledger[(user_id, to_tehran(at).date())] += points
    days = {(r.user_id, r.day): r.points for r in db.session.scalars(select(PointDay))}
    assert ledger and days == dict(ledger)


def overdue(db, negotiation_id):
    n = db.session.get(Negotiation, negotiation_id)
    n.window_start, n.window_end = utcnow() - dt.timedelta(days=100), utcnow() - dt.timedelta(days=2)
    db.session.commit()


def test_every_ledger_writer_keeps_the_daily_sums(db, org, register):
    cut, won, suspended, swept, found = (register(org.a) for _ in range(5))
    days_match_ledger(db)  # registration: −1 each
    neg.change_status(cut.id, "cut", org.a)
    neg.change_status(won.id, "won", org.a, confirmed=True)
    days_match_ledger(db)
    neg.change_status(suspended.id, "suspended", org.a)
    neg.claim(suspended.customer_id, org.b)  # the old owner's penalty and the new opening
    days_match_ledger(db)
    overdue(db, swept.id)
    assert neg.sweep_expired() == 1
    assert neg.sweep_expired() == 0
    days_match_ledger(db)
    overdue(db, found.id)  # expired when someone acts on it, before any sweep
    neg.materialize_expiry(db.session.get(Negotiation, found.id))
    db.session.commit()
    days_match_ledger(db)
    # A repeated event is refused by the ledger and must not count in the sums either.
    again = db.session.get(Negotiation, won.id)
    neg.record(again, "won", "won", org.a.id, points_to=org.a.id, event="won")
    db.session.commit()
    days_match_ledger(db)

    # Report 1's points are the ledger's, user by user, for today.
    rows, totals = reports.status_report(org.admin, today_tehran(), today_tehran())
    by_user = defaultdict(int)
    lo, hi = reports.bounds(today_tehran(), today_tehran())
    for user_id, points in db.session.execute(select(PointEntry.user_id, PointEntry.points).where(
            PointEntry.at >= lo, PointEntry.at < hi)):
        by_user[user_id] += points
    assert {r.user_id: r.points for r in rows if r.points} == {u: p for u, p in by_user.items() if p}
    assert totals.points == sum(by_user.values()) != 0


def test_rebuild_derives_the_sums_from_the_ledger(db, org, register):
    n = register(org.a)
    db.session.execute(PointEntry.__table__.update().where(PointEntry.negotiation_id == n.id)
                       .values(at=utcnow() - dt.timedelta(days=40)))
    neg.rebuild_point_days()
    db.session.commit()
    days_match_ledger(db)
