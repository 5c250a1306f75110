"""The lists sorted by last activity read `Customer.last_activity_at`, a copy of the current
negotiation's last activity (its last log entry, else its start) kept so the sort walks an index.
Each service that moves what it copies must keep it: registration, a log entry, a claim from the
pool, a new sale on a won customer, a merge. These fail if one of them forgets."""
import re

from sqlalchemy import select

from core.jalali import utcnow
from plugins.crm.models import Customer, Negotiation
from plugins.crm.services import customers, log, merge
from plugins.crm.services import negotiations as neg
from plugins.crm.services.queries import customer_list


def copies_hold(db) -> None:
    """Every customer's copy equals the value it copies (None without a current negotiation)."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Customer.id, Customer.last_activity_at, Negotiation.last_entry_at, Negotiation.window_start)
        .outerjoin(Negotiation, Negotiation.id == Customer.current_negotiation_id)).all()
    assert rows
    for customer_id, copy, last_entry, start in rows:
        assert copy == (last_entry or start), customer_id


def by_activity(db, user, sort="-activity") -> list[int]:
    return [row.Customer.id for row in db.session.execute(customer_list(user, "all", sort=sort))]


def test_every_writer_keeps_the_copy_and_the_order(db, org, register, client, login_as):
    first, second, third = (register(org.a, name=f"مشتری فعالیت {i}") for i in range(3))
    c1, c2, c3 = first.customer_id, second.customer_id, third.customer_id
    copies_hold(db)
    assert by_activity(db, org.admin) == [c3, c2, c1]  # registered last: active last
    assert by_activity(db, org.admin, "activity") == [c1, c2, c3]

    log.add_entry(first.id, {"kind": "call", "summary": "تماس"}, org.a)
    copies_hold(db)
    assert by_activity(db, org.admin) == [c1, c3, c2]

    # A claim from the pool opens a new current negotiation: its start is the latest activity.
    neg.change_status(second.id, "cut", org.a)
    neg.claim(c2, org.b)
    copies_hold(db)
    assert by_activity(db, org.admin) == [c2, c1, c3]

    # A new sale on a won customer: a new current negotiation too.
    neg.change_status(third.id, "won", org.a, confirmed=True)
    customers.register({}, org.a, reopen_customer_id=c3)
    copies_hold(db)
    assert by_activity(db, org.admin) == [c3, c2, c1]

    # A merge: the kept customer takes the open negotiation (and its activity); the merged one
    # has no current negotiation left and leaves the lists.
    neg.change_status(db.session.get(Customer, c3).current_negotiation_id, "cut", org.a)
    merge.merge(c3, c1, org.admin)
    copies_hold(db)
    assert db.session.get(Customer, c1).last_activity_at is None
    kept = db.session.get(Customer, c3)
    assert kept.current_negotiation_id == first.id and kept.last_activity_at == first.last_entry_at
    assert by_activity(db, org.admin) == [c2, c3]

    # The page itself, for a rep of the office (visibility applies as for every order).
    log.add_entry(first.id, {"kind": "meeting", "summary": "جلسه"}, org.a)
    login_as(org.b)
    page = client.get("/crm/customers?sort=-activity").get_data(as_text=True)
    assert [int(x) for x in re.findall(r'<tr data-customer="(\d+)"', page)] == [c3, c2]


def test_demo_style_backdating_is_repaired_by_a_sync(db, org, register):
    """Code that moves windows or entries by hand (the demo data) calls `sync_last_activity()`."""
    n = register(org.a)
    row = db.session.get(Negotiation, n.id)
    row.last_entry_at = utcnow().replace(year=2020)
    neg.sync_last_activity()
    db.session.commit()
    copies_hold(db)
