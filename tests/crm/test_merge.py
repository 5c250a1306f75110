"""Merging duplicates keeps everything; the whole-database scan finds clusters."""
import pytest
from sqlalchemy import func, select

from core.models.org import User
from core.models.parties import Party
from core.testing import plugin
from core.validation import ValidationError
from plugins.crm.models import (Customer, DuplicatePair, DuplicateScan, LogEntry, Merge, Negotiation, PointEntry,
                                StatusChange)
from plugins.crm.services import dup_scan, log, merge
from plugins.crm.services import negotiations as neg
from plugins.crm.services.duplicates import find_duplicates
from plugins.crm.services.queries import customer_list


def test_merge_keeps_every_negotiation_entry_and_point(db, org, register):
    a = register(org.a, name="شرکت فولاد پارسیان", phones=[{"number": "021-44556677"}])
    log.add_entry(a.id, {"kind": "call", "summary": "تماس اول"}, org.a)
    neg.change_status(a.id, "cut", org.a)
    b = register(org.b, name="فولاد پارسيان", confirmed=True, phones=[{"number": "09121239999", "kind": "mobile"}],
                 national_id="", email="info@parsian.example")
    log.add_entry(b.id, {"kind": "meeting", "summary": "جلسه با مدیر خرید"}, org.b)
    points_before = db.session.scalar(select(func.count(PointEntry.id)))
    merged_id = b.customer_id  # the merge moves b to the kept customer
    record = merge.merge(a.customer_id, merged_id, org.admin)
    assert record.moved["negotiations"] == 1 and record.moved["log_entries"] == 1
    kept = db.session.get(Customer, a.customer_id)
    assert sorted(n.id for n in kept.negotiations) == [a.id, b.id]
    assert kept.current_negotiation_id == b.id  # the open negotiation decides who holds it
    assert db.session.scalar(select(func.count(LogEntry.id)).where(LogEntry.customer_id == kept.id)) == 2
    assert {p.e164 for p in kept.party.phones} == {"+982144556677", "+989121239999"}
    assert kept.party.email == "info@parsian.example"
    merged = db.session.get(Customer, merged_id)
    assert merged.party.merged_into_id == kept.party.id and merged.current_negotiation_id is None
    assert db.session.scalar(select(func.count(PointEntry.id))) == points_before  # nothing lost, nothing new
    assert db.session.scalar(select(func.count(StatusChange.id)).where(StatusChange.negotiation_id == b.id)) == 1
    # Lists and the matcher see one customer now; the phone of the merged one finds the kept one.
    assert [r.Customer.id for r in db.session.execute(customer_list(org.admin, "all"))] == [kept.id]
    assert [m.customer_id for m in find_duplicates({"name": "x", "phones": [{"number": "09121239999"}]})] == [kept.id]
    assert db.session.scalar(select(func.count(Merge.id))) == 1


def test_merge_refusals_write_nothing(db, org, register):
    a, b = register(org.a), register(org.b)
    with pytest.raises(ValidationError, match="در جریان"):
        merge.merge(a.customer_id, b.customer_id, org.admin)
    db.session.rollback()
    with pytest.raises(ValidationError, match="خودش"):
        merge.merge(a.customer_id, a.customer_id, org.admin)
    db.session.rollback()
    neg.change_status(b.id, "cut", org.b)
    kept_id, merged_id = a.customer_id, b.customer_id
    merge.merge(kept_id, merged_id, org.admin)
    with pytest.raises(ValidationError, match="پیش‌تر ادغام"):
        merge.merge(kept_id, merged_id, org.admin)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Merge.id))) == 1


def test_other_plugins_move_their_records_and_can_veto(make_app, make_user):
    from core.db import db
    from core.models.org import Office
    from plugins.crm.services import customers
    calls = []

    def party_merged(kept_party_id, merged_party_id, actor):
        calls.append((kept_party_id, merged_party_id, actor.username))
        return {"invoices": 2}

    app = make_app(plugins=[("finance_test", plugin(party_merged=party_merged))])
    with app.app_context():
        office = Office(name="دفتر", city="تهران", area_code="21")
        db.session.add(office)
        db.session.commit()
        admin = make_user("root", role="administrator", office=office, superuser=True)
        a = customers.register({"kind": "person", "name": "الف", "phones": [{"number": "09120000011"}]}, admin)
        neg.change_status(a.id, "cut", admin)
        b = customers.register({"kind": "person", "name": "ب", "phones": [{"number": "09120000012"}]}, admin)
        pa, pb = db.session.get(Customer, a.customer_id).party_id, db.session.get(Customer, b.customer_id).party_id
        kept_id = a.customer_id
        record = merge.merge(kept_id, b.customer_id, admin)
        assert calls == [(pa, pb, "root")] and record.moved["finance_test.invoices"] == 2

    def veto(kept_party_id, merged_party_id):
        raise ValidationError("این مشتری فاکتور باز دارد.")

    app = make_app(plugins=[("finance_test", plugin(party_merged=veto))])
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "root"))
        c = customers.register({"kind": "person", "name": "پ", "phones": [{"number": "09120000013"}]}, admin)
        neg.change_status(c.id, "cut", admin)
        c_customer = c.customer_id
        with pytest.raises(ValidationError, match="فاکتور"):
            merge.merge(kept_id, c_customer, admin)
        db.session.rollback()
        assert db.session.get(Negotiation, c.id).customer_id == c_customer
        assert db.session.get(Party, db.session.get(Customer, c_customer).party_id).merged_into_id is None


def test_scan_groups_likely_duplicates_into_clusters(db, org, register):
    x1 = register(org.a, name="علی کریمی", phones=[{"number": "09121110001", "kind": "mobile"}])
    x2 = register(org.b, name="كريمي علي", phones=[{"number": "+98 912 111 0001"}], confirmed=True)
    x3 = register(org.c, name="آقای علی کریمی", city="تهران", phones=[{"number": "09121110001"}], confirmed=True)
    lone = register(org.a, name="زهرا نوری", phones=[{"number": "09129990000", "kind": "mobile"}])
    scan_id = dup_scan.start(org.admin).id
    db.session.rollback()  # the scan ran in its own transaction: read what it committed
    scan = db.session.get(DuplicateScan, scan_id)
    assert scan.status == "done" and scan.checked == 4 and scan.pairs == 3
    pairs = db.session.scalars(select(DuplicatePair)).all()
    ids = {x1.customer_id, x2.customer_id, x3.customer_id}
    assert {p.customer_a_id for p in pairs} | {p.customer_b_id for p in pairs} == ids
    assert len({p.cluster for p in pairs}) == 1 and lone.customer_id not in {p.customer_a_id for p in pairs}
    assert all("همان تلفن همراه" in p.reasons for p in pairs)
    # Running it again is a new scan; the first one's results stay as they were.
    assert dup_scan.run(scan.id) == 0
