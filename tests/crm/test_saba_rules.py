"""One scenario per Saba rule, with the exact points (defaults: negotiating −1, cut −2,
suspended −1 when claimed, won +5, expired −2)."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import settings
from core.jalali import utcnow
from core.validation import ValidationError
from plugins.crm.models import Customer, Negotiation, PointEntry, StatusChange
from plugins.crm.services import negotiations as neg
from plugins.crm.services.queries import customer_list


def ledger(db, user):
    return sorted((e.event, e.points) for e in db.session.scalars(select(PointEntry).where(PointEntry.user_id == user.id)))


def total(db, user):
    return db.session.scalar(select(func.coalesce(func.sum(PointEntry.points), 0)).where(PointEntry.user_id == user.id))


def overdue(db, negotiation, days=1):
    """Move a negotiation's window into the past, as if three months had gone by."""
    negotiation.window_start = utcnow() - dt.timedelta(days=100)
    negotiation.window_end = utcnow() - dt.timedelta(days=days)
    db.session.commit()


def test_registration_opens_a_negotiation_for_the_rep(db, org, register):
    n = register(org.a, name="خانم مریم صالحی")
    assert (n.status, n.owner_id, n.office_id, n.opened_via) == ("negotiating", org.a.id, org.tehran.id, "register")
    assert n.window_end > n.window_start + dt.timedelta(days=88)
    customer = db.session.get(Customer, n.customer_id)
    assert customer.current_negotiation_id == n.id and customer.registered_by_id == org.a.id
    assert ledger(db, org.a) == [("negotiating", -1)]
    assert [c.new_status for c in db.session.scalars(select(StatusChange))] == ["negotiating"]


def test_cut_costs_two_points_and_frees_the_customer(db, org, register):
    n = register(org.a)
    neg.change_status(n.id, "cut", org.a, reason="بودجه ندارند")
    assert db.session.get(Negotiation, n.id).status == "cut"
    assert total(db, org.a) == -3
    pool = db.session.execute(customer_list(org.b, "pool")).all()
    assert [row.Customer.id for row in pool] == [n.customer_id]


def test_win_needs_confirmation_and_gives_five(db, org, register):
    n = register(org.a)
    with pytest.raises(ValidationError, match="تأیید"):
        neg.change_status(n.id, "won", org.a)
    assert db.session.get(Negotiation, n.id).status == "negotiating"
    neg.change_status(n.id, "won", org.a, confirmed=True)
    assert ledger(db, org.a) == [("negotiating", -1), ("won", 5)]


def test_suspended_then_claimed_penalty_lands_then_on_the_old_owner(db, org, register):
    n = register(org.a)
    neg.change_status(n.id, "suspended", org.a)
    assert total(db, org.a) == -1  # nothing charged for suspending itself
    new = neg.claim(n.customer_id, org.b)
    assert ledger(db, org.a) == [("negotiating", -1), ("suspended", -1)]
    assert ledger(db, org.b) == [("negotiating", -1)]
    assert (new.owner_id, new.opened_via, new.previous_id) == (org.b.id, "claim", n.id)
    old = db.session.get(Negotiation, n.id)
    assert old.status == "suspended" and old.claimed_at is not None  # history kept
    assert db.session.get(Customer, n.customer_id).current_negotiation_id == new.id


def test_suspended_never_claimed_costs_nothing(db, org, register):
    n = register(org.a)
    neg.change_status(n.id, "suspended", org.a)
    neg.sweep_expired()
    assert ledger(db, org.a) == [("negotiating", -1)]


def test_expiry_without_the_sweep(db, org, register):
    n = register(org.a)
    overdue(db, n)
    assert db.session.get(Negotiation, n.id).status == "negotiating"  # nothing swept yet
    assert db.session.scalar(select(Negotiation.effective_status).where(Negotiation.id == n.id)) == "expired"
    assert db.session.get(Negotiation, n.id).effective_status == "expired"
    # The pool, the rep's open count and a claim all see it as expired already.
    assert [r.Customer.id for r in db.session.execute(customer_list(org.b, "pool"))] == [n.customer_id]
    assert neg.open_count(org.a.id) == 0
    with pytest.raises(ValidationError, match="منقضی"):
        neg.change_status(n.id, "won", org.a, confirmed=True)
    # Refusing the late win persisted the expiry and its points, exactly once.
    assert ledger(db, org.a) == [("expired", -2), ("negotiating", -1)]
    claimed = neg.claim(n.customer_id, org.b)
    assert claimed.owner_id == org.b.id
    assert ledger(db, org.a) == [("expired", -2), ("negotiating", -1)]


def test_sweep_run_twice_changes_nothing_more(db, org, register):
    first, second, fresh = register(org.a), register(org.b), register(org.a)
    overdue(db, first)
    overdue(db, second, days=30)
    assert neg.sweep_expired() == 2
    snapshot = (ledger(db, org.a), ledger(db, org.b), db.session.scalar(select(func.count(StatusChange.id))))
    assert neg.sweep_expired() == 0
    assert (ledger(db, org.a), ledger(db, org.b), db.session.scalar(select(func.count(StatusChange.id)))) == snapshot
    assert ledger(db, org.a) == [("expired", -2), ("negotiating", -1), ("negotiating", -1)]
    statuses = {n.id: n.status for n in db.session.scalars(select(Negotiation))}
    assert statuses == {first.id: "expired", second.id: "expired", fresh.id: "negotiating"}
    expired_at = db.session.scalar(select(PointEntry.at).where(PointEntry.negotiation_id == first.id, PointEntry.event == "expired"))
    assert expired_at == db.session.get(Negotiation, first.id).window_end  # dated when the window closed


def test_won_then_registered_again_by_another_rep(db, org, register):
    from plugins.crm.services import customers
    n = register(org.a)
    neg.change_status(n.id, "won", org.a, confirmed=True)
    # Hidden from B: not in B's lists even though they share an office.
    assert not db.session.execute(customer_list(org.b, "all")).all()
    again = customers.register({}, org.b, reopen_customer_id=n.customer_id)
    assert (again.owner_id, again.status, again.previous_id) == (org.b.id, "negotiating", n.id)
    assert db.session.get(Negotiation, n.id).status == "won"
    assert ledger(db, org.a) == [("negotiating", -1), ("won", 5)]
    assert ledger(db, org.b) == [("negotiating", -1)]
    # Only a won customer can be re-registered this way.
    with pytest.raises(ValidationError):
        customers.register({}, org.c, reopen_customer_id=n.customer_id)


def test_changed_point_values_do_not_rewrite_history(db, org, register):
    n1 = register(org.a)
    neg.change_status(n1.id, "cut", org.a)
    settings.update({"crm.points_cut": -7, "crm.points_negotiating": 0})
    n2 = register(org.a)
    neg.change_status(n2.id, "cut", org.a)
    assert ledger(db, org.a) == [("cut", -7), ("cut", -2), ("negotiating", -1), ("negotiating", 0)]


def test_illegal_transitions_are_refused_and_write_nothing(db, org, register):
    n = register(org.a)
    neg.change_status(n.id, "cut", org.a)
    before = ledger(db, org.a)
    for status in ("cut", "suspended", "won"):
        with pytest.raises(ValidationError, match="قطع مذاکره"):
            neg.change_status(n.id, status, org.a, confirmed=True)
        db.session.rollback()
    with pytest.raises(ValidationError):
        neg.change_status(n.id, "negotiating", org.a)
    assert ledger(db, org.a) == before


def test_someone_elses_negotiation(db, org, register):
    n = register(org.a)
    # B shares A's office, sees the negotiation, but may not win it.
    with pytest.raises(ValidationError, match="مسئول"):
        neg.change_status(n.id, "won", org.b, confirmed=True)
    db.session.rollback()
    # C is in another office: the negotiation does not exist for C.
    with pytest.raises(neg.NotFound):
        neg.change_status(n.id, "cut", org.c)
    db.session.rollback()
    # A's manager (and the manager's manager) may act for A; the points still go to A.
    neg.change_status(n.id, "won", org.boss, confirmed=True)
    assert ledger(db, org.a) == [("negotiating", -1), ("won", 5)]
    assert ledger(db, org.boss) == []


def test_maximum_open_negotiations(db, org, register):
    org.a.max_open_negotiations = 2
    db.session.commit()
    register(org.a)
    second = register(org.a)
    with pytest.raises(ValidationError, match="سقف"):
        register(org.a)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Customer.id))) == 2
    # A claim respects the maximum too.
    other = register(org.b)
    neg.change_status(other.id, "suspended", org.b)
    with pytest.raises(ValidationError, match="سقف"):
        neg.claim(other.customer_id, org.a)
    db.session.rollback()
    # Closing one frees a place.
    neg.change_status(second.id, "cut", org.a)
    assert neg.claim(other.customer_id, org.a).owner_id == org.a.id


def test_claiming_a_customer_not_in_the_pool(db, org, register):
    n = register(org.a)
    with pytest.raises(ValidationError, match="در حال مذاکره"):
        neg.claim(n.customer_id, org.b)
    db.session.rollback()
    neg.change_status(n.id, "suspended", org.a)
    neg.claim(n.customer_id, org.b)
    with pytest.raises(ValidationError, match="در حال مذاکره"):
        neg.claim(n.customer_id, org.c)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Negotiation.id))) == 2
