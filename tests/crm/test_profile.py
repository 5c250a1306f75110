"""The customer profile in one place: details, negotiations, the opportunity and its form,
interactions with their documents (upload, download, who may), tasks, and the panels other
plugins contribute through the `customer_panels` hook.

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C.
"""
import io
import logging
import os
import re

import pytest
from markupsafe import Markup
from sqlalchemy import func, select

from core import settings
from core.jalali import format_date, today_tehran
from core.testing import plugin
from plugins.crm.models import Attachment, LogEntry, Negotiation
from plugins.crm.services import attachments, pipeline, tasks
from plugins.crm.services import negotiations as neg

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored_files(app) -> list[str]:
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "crm")
    return os.listdir(folder) if os.path.isdir(folder) else []


@pytest.fixture
def as_user(client, login_as):
    def do(user):
        login_as(user)
        return client
    return do


@pytest.fixture
def stages(db):
    p = pipeline.ensure_default()
    db.session.commit()
    return list(p.stages)


def entry_form(**changes) -> dict:
    data = {"date": format_date(today_tehran()), "kind": "document", "summary": "", "next_contact": ""}
    data.update(changes)
    return data


def upload(client, negotiation_id, name="پیش‌فاکتور.pdf", content=PDF, **fields):
    data = entry_form(**fields)
    if name is not None:
        data["file"] = (io.BytesIO(content), name)
    return client.post(f"/crm/negotiations/{negotiation_id}/entries", data=data,
                       content_type="multipart/form-data")


# --- everything on one page -----------------------------------------------------------------------

def test_the_profile_shows_details_negotiation_opportunity_interactions_documents_and_tasks(
        app, db, org, register, stages, as_user):
    n = register(org.a, name="شرکت پخش البرز", organisation="پخش البرز")
    pipeline.update_opportunity(n.id, {"value": "45000000000", "need_details": "۱۰ دستگاه کارت‌خوان",
                                       "priority": "high"}, org.a)
    tomorrow = format_date(today_tehran() + __import__("datetime").timedelta(days=1))
    tasks.create({"title": "ارسال پیش‌فاکتور", "due_date": tomorrow, "customer_id": n.customer_id}, org.a)
    client = as_user(org.a)
    assert upload(client, n.id).status_code == 302
    page = text(client.get(f"/crm/customers/{n.customer_id}"))
    for block in ('id="customer-details"', 'id="current-negotiation"', 'id="opportunity"', 'id="tasks"',
                  'id="documents"', 'id="crm-negotiations"'):
        assert block in page, block
    assert "۴۵٬۰۰۰٬۰۰۰٬۰۰۰ ریال" in page and "۱۰ دستگاه کارت‌خوان" in page
    assert 'aria-current="step">تماس اولیه<' in page  # the stage shown among the pipeline's stages
    assert "ارسال پیش‌فاکتور" in page
    assert "سند: پیش‌فاکتور.pdf" in page  # the entry; its summary defaults to the file's name
    attachment = db.session.scalars(select(Attachment)).one()
    assert page.count(f'/crm/documents/{attachment.id}"') == 2  # in the documents card and under its entry
    # The owner may edit; the forms are there.
    assert 'id="opportunity-form"' in page and 'id="task-form"' in page and 'name="file"' in page


def test_someone_who_only_sees_the_customer_gets_no_forms(db, org, register, stages, as_user):
    n = register(org.a)
    page = text(as_user(org.b).get(f"/crm/customers/{n.customer_id}"))  # same office: visible
    assert 'id="opportunity"' in page
    assert 'id="opportunity-form"' not in page and 'id="task-form"' not in page and 'name="file"' not in page


# --- the opportunity form -------------------------------------------------------------------------

def test_editing_the_opportunity_and_its_stage_from_the_profile(db, org, register, stages, as_user):
    n = register(org.a)
    client = as_user(org.a)
    url = f"/crm/negotiations/{n.id}/opportunity"
    form = {"value": "۴۵٬۰۰۰٬۰۰۰", "probability": "", "forecast_close": "1405/01/15", "priority": "high",
            "stage_id": str(stages[2].id), "need_details": "کارت‌خوان"}
    r = client.post(url, data=form)
    assert r.status_code == 302
    saved = db.session.get(Negotiation, n.id)
    db.session.refresh(saved)
    assert (saved.value, saved.priority, saved.stage_id, saved.probability) == (45_000_000, "high", stages[2].id, 50)
    assert format_date(saved.forecast_close, "en") == "1405/01/15"
    # An explicit probability is kept (with or without a stage change).
    client.post(url, data={**form, "probability": "۶۰"})
    db.session.refresh(saved)
    assert saved.probability == 60


def test_a_stage_whose_required_field_is_empty_writes_nothing(db, org, register, stages, as_user):
    n = register(org.a)
    client = as_user(org.a)
    # «مذاکرهٔ قیمت» needs a value and a forecast date: the value is typed, the date is not.
    r = client.post(f"/crm/negotiations/{n.id}/opportunity", data={
        "value": "1000000", "priority": "normal", "stage_id": str(stages[3].id), "need_details": "x"},
        headers={"HX-Request": "true"})
    page = text(r)
    assert r.status_code == 200 and "تاریخ پیش‌بینی بسته شدن" in page and "ابتدا این‌ها را پر کنید" in page
    saved = db.session.get(Negotiation, n.id)
    db.session.refresh(saved)
    assert (saved.value, saved.stage_id, saved.need_details) == (None, stages[0].id, "")
    # Wrong input is answered in Persian, field by field, and nothing is written either.
    r = client.post(f"/crm/negotiations/{n.id}/opportunity", data={
        "value": "-5", "priority": "urgent", "forecast_close": "1403/13/40", "stage_id": str(stages[0].id)})
    page = text(r)
    assert "نباید کمتر از" in page and "اولویت باید" in page and "در تقویم وجود ندارد" in page
    db.session.refresh(saved)
    assert saved.value is None and saved.priority == "normal"


def test_only_the_owner_and_those_above_edit_the_opportunity(db, org, register, stages, as_user):
    n = register(org.a)
    form = {"value": "5", "priority": "normal", "stage_id": str(stages[0].id)}
    r = as_user(org.b).post(f"/crm/negotiations/{n.id}/opportunity", data=form)
    assert "مسئول" in text(r)
    assert as_user(org.c).post(f"/crm/negotiations/{n.id}/opportunity", data=form).status_code == 404
    assert as_user(org.manager).post(f"/crm/negotiations/{n.id}/opportunity", data=form).status_code == 302
    assert db.session.get(Negotiation, n.id).value == 5
    # A closed negotiation's opportunity is not edited any more.
    neg.change_status(n.id, "cut", org.a)
    r = as_user(org.a).post(f"/crm/negotiations/{n.id}/opportunity", data={**form, "value": "9"})
    assert "در جریان" in text(r)
    db.session.rollback()
    assert db.session.get(Negotiation, n.id).value == 5


# --- documents ------------------------------------------------------------------------------------

def test_a_document_is_logged_stored_and_downloaded_by_those_who_see_the_customer(
        app, db, org, register, as_user):
    n = register(org.a)
    client = as_user(org.a)
    r = upload(client, n.id, summary="قرارداد امضاشده", kind="meeting", name="قرارداد ۱۴۰۳.pdf")
    assert r.status_code == 302
    entry = db.session.scalars(select(LogEntry)).one()
    attachment = db.session.scalars(select(Attachment)).one()
    assert (entry.kind, entry.summary, attachment.log_entry_id, attachment.customer_id) == (
        "meeting", "قرارداد امضاشده", entry.id, n.customer_id)
    r = client.get(f"/crm/documents/{attachment.id}")
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Type"] == "application/pdf"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''" in disposition
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    for user in (org.b, org.manager, org.inspector, org.admin):  # the office, above A, all offices
        assert as_user(user).get(f"/crm/documents/{attachment.id}").status_code == 200, user.username
    # Another office's rep, and any id that does not exist: 404 (the same answer).
    assert as_user(org.c).get(f"/crm/documents/{attachment.id}").status_code == 404
    assert as_user(org.a).get(f"/crm/documents/{attachment.id + 1}").status_code == 404


def test_a_won_customers_documents_are_hidden_from_the_other_reps(db, org, register, as_user):
    n = register(org.a)
    upload(as_user(org.a), n.id)
    attachment = db.session.scalars(select(Attachment)).one()
    neg.change_status(n.id, "won", org.a, confirmed=True)
    assert as_user(org.b).get(f"/crm/documents/{attachment.id}").status_code == 404
    assert as_user(org.a).get(f"/crm/documents/{attachment.id}").status_code == 200


@pytest.mark.parametrize("name,content,fields,message", [
    (None, b"", {}, "فایل را پیوست کنید"),                              # kind «سند» without a file
    ("setup.exe", b"MZ\x90\x00", {}, "این نوع فایل پذیرفته نیست"),
    ("invoice.pdf", b"MZ\x90\x00\x03", {}, "جور نیست"),                  # an executable renamed .pdf
    ("photo.png", PDF, {}, "جور نیست"),                                 # a PDF called .png
    ("empty.pdf", b"", {}, "خالی"),
    ("scan.pdf", PDF, {"kind": "call", "summary": ""}, "شرح مذاکره"),    # the entry itself is wrong
    ("scan.pdf", PDF, {"next_contact": "1399/01/01"}, "گذشته"),
])
def test_a_wrong_upload_writes_nothing(app, db, org, register, as_user, name, content, fields, message):
    n = register(org.a)
    r = upload(as_user(org.a), n.id, name=name, content=content, **fields)
    assert r.status_code == 200 and message in text(r)
    assert 'class="collapse show mt-3" id="log-form"' in text(r)  # the form stays open, with the error in it
    if "شرح" not in message and "گذشته" not in message:
        assert re.search(r'id="file-error">[^<]*' + message, text(r))
    assert count(db, LogEntry) == 0 and count(db, Attachment) == 0
    assert stored_files(app) == []


def test_a_file_over_the_size_setting_is_refused(app, db, org, register, as_user):
    n = register(org.a)
    settings.update({"crm.attachment_max_mb": 1})
    r = upload(as_user(org.a), n.id, name="big.pdf", content=b"%PDF" + b"0" * (1024 * 1024))
    assert "حجم فایل نباید بیش از ۱ مگابایت" in text(r) or "حجم فایل نباید بیش از 1 مگابایت" in text(r)
    assert count(db, Attachment) == 0 and stored_files(app) == []
    r = upload(as_user(org.a), n.id, name="ok.pdf", content=b"%PDF" + b"0" * (1024 * 1024 - 10))
    assert r.status_code == 302 and count(db, Attachment) == 1


def test_someone_who_may_not_log_cannot_upload(db, org, register, as_user):
    n = register(org.a)
    r = upload(as_user(org.b), n.id)
    assert "فقط کارشناس مسئول" in text(r)
    assert upload(as_user(org.c), n.id).status_code == 404
    assert count(db, Attachment) == 0


# --- panels from other plugins --------------------------------------------------------------------

def test_other_plugins_add_panels_in_order_and_a_failing_one_is_skipped(make_app, db, org, register, caplog):
    n = register(org.a, name="مشتری پنل‌دار")
    seen = []

    def finance_panels(customer, user):
        seen.append((customer.id, user.username))
        return [{"title": "مانده حساب", "html": Markup('<b id="acme-balance">۱۲۰٬۰۰۰ ریال</b>'), "order": 20},
                {"title": "یادداشت <ساده>", "html": "<i>escaped</i>", "order": 10}]

    def support_panels(customer):
        return [("تیکت‌های پشتیبانی", Markup('<span id="tickets">۲ تیکت باز</span>'))]

    def broken_panels(customer, user):
        raise RuntimeError("boom")

    def malformed_panels(customer):
        return "not a list of panels"

    app2 = make_app(plugins=[("acme", plugin(customer_panels=finance_panels)),
                             ("support2", plugin(customer_panels=support_panels)),
                             ("broken", plugin(customer_panels=broken_panels)),
                             ("malformed", plugin(customer_panels=malformed_panels))])
    client = app2.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = org.a.get_id()
    with caplog.at_level(logging.ERROR):
        r = client.get(f"/crm/customers/{n.customer_id}")
    page = text(r)
    assert r.status_code == 200 and seen == [(n.customer_id, "rep_a")]
    # In `order`: 10, 20, then the default 100; a str is escaped, Markup is kept.
    positions = [page.index(marker) for marker in ("&lt;i&gt;escaped&lt;/i&gt;", 'id="acme-balance"', 'id="tickets"')]
    assert positions == sorted(positions)
    assert "یادداشت &lt;ساده&gt;" in page
    assert 'data-panel-failed="broken"' in page and 'data-panel-failed="malformed"' in page
    assert "boom" not in page
    assert any("broken" in rec.getMessage() for rec in caplog.records)
    assert any("malformed" in rec.getMessage() for rec in caplog.records)


def test_panels_are_not_asked_for_a_customer_the_user_may_not_see(make_app, db, org, register):
    n = register(org.a)
    calls = []
    app2 = make_app(plugins=[("acme", plugin(customer_panels=lambda customer, user: calls.append(1) or []))])
    client = app2.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = org.c.get_id()
    assert client.get(f"/crm/customers/{n.customer_id}").status_code == 404
    assert calls == []


def test_stored_file_names_are_random_and_the_display_name_is_kept(app, db, org, register, as_user):
    n = register(org.a)
    upload(as_user(org.a), n.id, name="../../etc/passwd.txt", content=b"root:x:0:0\n")
    attachment = db.session.scalars(select(Attachment)).one()
    assert attachment.filename == "passwd.txt"
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
    assert os.path.dirname(attachments.path_of(attachment)) == os.path.join(app.config["UPLOAD_FOLDER"], "crm")
