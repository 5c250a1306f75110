"""Leads: capture, duplicate detection, queue and assignment, qualification, disqualification,
and file import (CSV in UTF-8/BOM/Windows-1256, XLSX written by openpyxl)."""
import io
import threading

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core.db import db as database
from core.models.org import User
from core.validation import ValidationError
from plugins.crm.models import Lead, LeadImport, ListItem, Negotiation
from plugins.crm.services import lead_import, leads
from plugins.crm.services import negotiations as neg
from plugins.crm.services.negotiations import NotFound


def test_capture_validates_and_queues_by_office(db, org):
    lead = leads.create({"name": "حمید زمانی", "mobile": "۰۹۱۲ ۳۳۳ ۴۴۵۵", "need_level": "high"}, org.a)
    assert (lead.status, lead.owner_id, lead.office_id, lead.mobile_e164) == ("new", None, org.tehran.id, "+989123334455")
    for data, field in (({"mobile": "09120000000"}, "name"), ({"name": "x"}, "mobile"),
                        ({"name": "x", "mobile": "abc"}, "mobile"), ({"name": "x", "mobile": "02188776655"}, "mobile"),
                        ({"name": "x", "email": "no-at"}, "email"), ({"name": "x", "mobile": "09121112233", "need_level": "huge"}, "need_level")):
        with pytest.raises(ValidationError) as exc:
            leads.create(data, org.a)
        assert field in exc.value.errors, (data, exc.value.errors)
    assert db.session.scalar(select(func.count(Lead.id))) == 1
    # The queue is per office: B (same office) sees it, C (Isfahan) does not.
    assert leads.get_visible(lead.id, org.b).id == lead.id
    with pytest.raises(NotFound):
        leads.get_visible(lead.id, org.c)


def test_duplicates_against_customers_and_open_leads(db, org, register):
    register(org.a, name="شرکت لبنیات پاک نوش", phones=[{"number": "021-66554433"}])
    leads.create({"name": "کامران یزدانی", "mobile": "09125556677"}, org.b)
    values, errors = leads.clean({"name": "لبنيات پاک‌نوش", "phone": "66554433"}, "21")
    assert not errors
    found = leads.lead_duplicates(values)
    assert len(found["customers"]) == 1 and found["leads"] == []
    values, _ = leads.clean({"name": "یزدانی", "mobile": "+98 912 555 6677"})
    assert [lead.name for lead in leads.lead_duplicates(values)["leads"]] == ["کامران یزدانی"]



def test_batched_duplicate_checks_answer_as_one_lead_at_a_time(db, org, register):
    """The import checks its rows in batches (`lead_duplicates_many`): the same customers (same
    scores and reasons, same order) and the same open leads as `lead_duplicates` row by row."""
    register(org.a, name="شرکت لبنیات پاک نوش", phones=[{"number": "021-66554433"}])
    register(org.a, name="محمد رضا صادقی", phones=[{"number": "09121110001", "kind": "mobile"}])
    register(org.b, name="محمدرضا صادقی", city="اصفهان", phones=[{"number": "09121110002", "kind": "mobile"}])
    register(org.b, name="الهام غفاری")
    leads.create({"name": "کامران یزدانی", "mobile": "09125556677"}, org.b)
    leads.create({"name": "نرگس ملکی", "city": "شیراز", "email": "n@example.ir"}, org.a)
    leads.create({"name": "نرگس ملکی", "city": "تهران", "phone": "02188001122"}, org.a)
    rows = [{"name": "لبنيات پاک‌نوش", "phone": "66554433"}, {"name": "یزدانی", "mobile": "+98 912 555 6677"},
            {"name": "محمد رضا صادقى", "mobile": "09350000001"}, {"name": "صادقی محمدرضا", "city": "اصفهان",
                                                                     "email": "s@example.ir"},
            {"name": "الهام غفاریی", "mobile": "09121110001"}, {"name": "نرگس ملکی", "email": "x@example.ir"},
            {"name": "نرگس ملکی", "city": "شیراز", "mobile": "09351112233"}, {"name": "کسی دیگر", "mobile": "09359998877"},
            {"name": "الهام امین‌فر", "email": "e@example.ir"}]
    values = []
    for row in rows:
        v, errors = leads.clean(row, "21")
        assert not errors, errors
        values.append(v)
    batched = leads.lead_duplicates_many(values)
    one_by_one = [leads.lead_duplicates(v) for v in values]
    assert [[(m.customer_id, m.score, m.reasons) for m in f["customers"]] for f in batched] == \
        [[(m.customer_id, m.score, m.reasons) for m in f["customers"]] for f in one_by_one]
    assert [f["leads"] for f in batched] == [[lead.id for lead in f["leads"]] for f in one_by_one]
    assert sum(bool(f["customers"]) for f in batched) >= 3 and sum(bool(f["leads"]) for f in batched) >= 2
    assert leads.lead_duplicates_many([]) == []

def test_take_assign_and_two_takers(app, db, org):
    lead = leads.create({"name": "سعید رحیمی", "mobile": "09121234000"}, None, office_id=org.tehran.id, channel="web_form")
    lead_id = lead.id
    with pytest.raises(ValidationError, match="زیردست"):
        leads.assign(lead_id, org.b.id, org.a)  # a rep cannot hand it to a colleague
    db.session.rollback()
    database.session.rollback()
    barrier, results = threading.Barrier(2), {}

    def take(uid):
        with app.app_context():
            user = database.session.get(User, uid)
            barrier.wait()
            try:
                results[uid] = leads.assign(lead_id, uid, user).owner_id
            except ValidationError as exc:
                database.session.rollback()
                results[uid] = str(exc)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=take, args=(u,)) for u in (org.a.id, org.b.id)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    winners = [v for v in results.values() if isinstance(v, int)]
    assert len(winners) == 1, results
    assert any("برداشته" in v for v in results.values() if isinstance(v, str)), results
    db.session.rollback()
    # A manager may hand it to a subordinate.
    assert leads.assign(lead_id, org.a.id, org.manager).owner_id == org.a.id


def test_qualify_opens_the_negotiation_under_the_saba_rules(db, org):
    lead = leads.create({"name": "نرگس ملکی", "mobile": "09127778899", "city": "تهران"}, org.a, channel="phone")
    leads.assign(lead.id, org.a.id, org.a)
    n = leads.qualify(lead.id, org.a, opportunity={"value": "۲۵۰٬۰۰۰٬۰۰۰", "priority": "high"})
    assert (n.owner_id, n.opened_via, n.status, n.value, n.priority) == (org.a.id, "lead", "negotiating", 250_000_000, "high")
    lead = db.session.get(Lead, lead.id)
    assert (lead.status, lead.negotiation_id, lead.customer_id) == ("qualified", n.id, n.customer_id)
    with pytest.raises(ValidationError, match="پیش‌تر"):
        leads.qualify(lead.id, org.a)
    db.session.rollback()


def test_qualify_respects_the_maximum_and_duplicates(db, org, register):
    org.a.max_open_negotiations = 1
    db.session.commit()
    register(org.a, name="مشتری اول")
    lead = leads.create({"name": "مشتری دوم", "mobile": "09121110099"}, org.a)
    with pytest.raises(ValidationError, match="سقف"):
        leads.qualify(lead.id, org.a)
    db.session.rollback()
    assert db.session.get(Lead, lead.id).status == "new"
    # A lead for a customer in the pool is qualified by claiming that customer.
    other = register(org.b, name="فاطمه شریفی", phones=[{"number": "09124443322", "kind": "mobile"}])
    neg.change_status(other.id, "cut", org.b)
    lead2 = leads.create({"name": "فاطمه شریفی", "mobile": "09124443322"}, org.c)
    opened = leads.qualify(lead2.id, org.c, customer_id=other.customer_id)
    assert opened.opened_via == "claim" and opened.customer_id == other.customer_id


def test_disqualify_needs_a_reason_from_the_list(db, org):
    reason = ListItem(kind="disqualify", name="شماره اشتباه")
    db.session.add(reason)
    db.session.commit()
    lead = leads.create({"name": "x y", "mobile": "09121231231"}, org.a)
    with pytest.raises(ValidationError):
        leads.disqualify(lead.id, None, "", org.a)
    db.session.rollback()
    done = leads.disqualify(lead.id, reason.id, "تماس گرفته شد؛ شماره مال کس دیگری است", org.a)
    assert done.status == "disqualified" and done.disqualify_reason_id == reason.id


# --- import ------------------------------------------------------------------------------------

def _upload(user, name, data: bytes):
    return lead_import.upload(FileStorage(io.BytesIO(data), filename=name), user)


def test_import_csv_windows_1256_with_mapping_preview_and_report(db, org, register):
    register(org.a, name="شرکت کیمیا تجارت", phones=[{"number": "02122223333"}])
    category = ListItem(kind="category", name="فروشگاه")
    db.session.add(category)
    db.session.commit()
    text = ("نام;موبایل;شهر;دسته‌بندی;تاریخ\n"
            "علی کریمی;09121000001;تهران;فروشگاه;1403/05/12\n"
            "مریم صالحی;0912 100 0002;تهران;;2024-08-02\n"
            ";09121000003;تهران;;\n"                       # no name
            "رضا نوری;not-a-phone;تهران;;\n"
            "علی كريمي;+989121000001;تهران;;\n"              # the same row again (Arabic letters, +98)
            "شرکت كيميا تجارت;02122223333;تهران;;\n"         # an existing customer
            "زهرا احمدی;09121000007;تهران;مشتری خیالی;31/13/1403\n")
    # Windows-1256 has the Arabic yeh and kaf, not the Persian ones: as Excel writes it.
    data = text.translate(str.maketrans({"ی": "ي", "ک": "ك", "\u200c": " "})).encode("cp1256")
    job = _upload(org.a, "leads.csv", data)
    header = lead_import.headers(job)
    mapping = lead_import.guess_mapping(header)
    assert mapping == {"name": 0, "mobile": 1, "city": 2, "category": 3, "created": 4}
    preview = lead_import.evaluate(job, mapping, org.a, limit=3)
    assert [r["errors"] == [] for r in preview] == [True, True, False]
    done = lead_import.run(job.id, mapping, org.a)
    assert done.imported == 2
    problems = {e["line"]: " ".join(e["errors"]) for e in done.errors}
    assert set(problems) == {4, 5, 6, 7, 8}
    assert "نام" in problems[4] and "شماره" in problems[5] or "تلفن" in problems[5]
    assert "سطر 2" in problems[6] and "مشتری" in problems[7]
    assert "دسته‌بندی" in problems[8] and "تاریخ" in problems[8]
    from core.persian import normalize
    names = sorted(normalize(n) for n in db.session.scalars(select(Lead.name).where(Lead.import_id == job.id)))
    assert names == ["علی کریمی", "مریم صالحی"]  # stored as typed (Arabic letters), found either way
    with pytest.raises(ValidationError, match="پیش‌تر"):
        lead_import.run(job.id, mapping, org.a)


def test_imported_leads_leave_the_trail_a_lead_typed_by_hand_leaves(db, org):
    """The import writes its leads set-based (`audit.insert_audited`): each still gets the
    audit entry the session writes for a lead added through the ORM, field for field."""
    from core.audit import acting_as, history, insert_audited
    values, errors = leads.clean({"name": "کاوه نیک‌پور", "mobile": "09121234000", "city": "شیراز",
                                  "need_level": "high", "channel": "import"}, "21")
    assert not errors
    with acting_as(org.a.id):
        by_hand = Lead(**values, office_id=org.a.office_id, created_by_id=org.a.id)
        db.session.add(by_hand)
        db.session.flush()
        [bulk_id] = insert_audited(Lead, [{**values, "office_id": org.a.office_id, "created_by_id": org.a.id}])
    db.session.commit()
    bulk = db.session.get(Lead, bulk_id)
    assert (bulk.status, bulk.kind, bulk.name, bulk.mobile_e164) == ("new", "person", "کاوه نیک‌پور", "+989121234000")
    [hand_entry], [bulk_entry] = history("crm_leads", by_hand.id), history("crm_leads", bulk_id)
    assert (bulk_entry.action, bulk_entry.user_id) == ("insert", org.a.id)
    moving = {"id", "created_at", "updated_at"}
    assert {k: v for k, v in bulk_entry.changes.items() if k not in moving} == \
        {k: v for k, v in hand_entry.changes.items() if k not in moving}
    assert bulk_entry.changes["id"] == [None, bulk_id] and set(bulk_entry.changes) == set(hand_entry.changes)


def test_an_import_clicked_twice_imports_once(app, db, org):
    """Two requests run the same import at once (a double click on a slow file): one writes the
    leads, the other is refused — on SQLite and on PostgreSQL, with real connections."""
    rows = "".join(f"مشتری شماره {i} آزمون;0912{2000000 + i:07d};تهران\n" for i in range(40))
    job = _upload(org.a, "twice.csv", ("نام;موبایل;شهر\n" + rows).encode("utf-8"))
    mapping = lead_import.guess_mapping(lead_import.headers(job))
    job_id, user_id = job.id, org.a.id
    db.session.rollback()
    database.session.remove()
    barrier, results = threading.Barrier(2), []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                results.append(lead_import.run(job_id, mapping, database.session.get(User, user_id)).imported)
            except ValidationError as exc:
                database.session.rollback()
                results.append(str(exc))
            finally:
                database.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert sorted(results, key=str) == [40, "این فایل پیش‌تر وارد شده است."], results
    assert db.session.scalar(select(func.count(Lead.id)).where(Lead.import_id == job_id)) == 40


def test_import_xlsx_and_utf8_bom(db, org):
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Mobile", "Email"])
    ws.append(["نگار موسوی", "09123000001", "negar@example.com"])
    ws.append(["کامران بهرامی", None, "kamran@example.com"])
    out = io.BytesIO()
    wb.save(out)
    job = _upload(org.a, "فهرست.xlsx", out.getvalue())
    mapping = lead_import.guess_mapping(lead_import.headers(job))
    assert mapping == {"name": 0, "mobile": 1, "email": 2}
    assert lead_import.run(job.id, mapping, org.a).imported == 2
    bom = "\ufeffنام,تلفن همراه\nسعید یزدانی,09123000003\n".encode("utf-8")
    job2 = _upload(org.a, "b.csv", bom)
    assert lead_import.guess_mapping(lead_import.headers(job2)) == {"name": 0, "mobile": 1}
    assert lead_import.run(job2.id, {"name": 0, "mobile": 1}, org.a).imported == 1
    utf16 = "نام\tموبایل\nلیلا اکبری\t09123000004\n".encode("utf-16")  # Excel's "Unicode text"
    job3 = _upload(org.a, "c.txt", utf16)
    assert lead_import.run(job3.id, lead_import.guess_mapping(lead_import.headers(job3)), org.a).imported == 1


@pytest.mark.parametrize("name, data, message", [
    ("leads.exe", b"MZ", "CSV"), ("leads.csv", b"", "خالی"), ("leads.csv", "نام\n".encode(), "سطر داده"),
    ("leads.xlsx", b"not really excel", "XLSX"), ("leads.csv", b"\x00\x01\x02binary\x00", "رمزگذاری"),
])
def test_bad_import_files(db, org, name, data, message):
    with pytest.raises(ValidationError, match=message):
        _upload(org.a, name, data)
    assert db.session.scalar(select(func.count(LeadImport.id))) == 0


def test_import_mapping_must_name_required_columns(db, org):
    job = _upload(org.a, "a.csv", "نام,شهر\nعلی,تهران\n".encode())
    with pytest.raises(ValidationError, match="تلفن"):
        lead_import.evaluate(job, {"name": 0}, org.a)
    with pytest.raises(ValidationError, match="نام"):
        lead_import.evaluate(job, {"mobile": 1}, org.a)
    with pytest.raises(ValidationError, match="ستون"):
        lead_import.evaluate(job, {"name": 0, "mobile": 9}, org.a)
