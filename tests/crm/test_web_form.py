"""The public lead form an organisation embeds with an <iframe>: no login, the office's queue,
a honeypot, a per-address hourly limit kept in the database, no CSRF token, framable.

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C.
"""
import datetime as dt

from sqlalchemy import func, select, update

from core import settings
from core.jalali import utcnow
from plugins.crm.models import Lead

FORM = {"name": "سعید رحیمی", "mobile": "۰۹۱۲ ۱۲۳ ۴۰۰۰", "email": "saeed@example.com", "city": "تهران",
        "message": "قیمت دستگاه بسته‌بندی را می‌خواهم"}


def text(response) -> str:
    return response.get_data(as_text=True)


def leads_count(db, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Lead.id)).where(*where))


def post(client, office_id, data, ip="198.51.100.7"):
    return client.post(f"/forms/lead/{office_id}", data=data, environ_base={"REMOTE_ADDR": ip})


def test_the_form_is_a_standalone_persian_page_that_may_be_framed(client, org, login_as):
    r = client.get(f"/forms/lead/{org.tehran.id}")
    assert r.status_code == 200
    body = text(r)
    assert 'dir="rtl"' in body and 'lang="fa"' in body and "دفتر تهران" in body
    assert 'name="website"' in body and "wf-hp" in body  # the honeypot, hidden with CSS
    assert "X-Frame-Options" not in r.headers
    assert "/static/vendor/bootstrap/bootstrap.rtl.min.css" in body and "//cdn" not in body
    assert "Set-Cookie" not in r.headers  # a visitor gets no session
    # No application navigation, even for a signed-in member of staff.
    login_as(org.admin)
    body = text(client.get(f"/forms/lead/{org.tehran.id}"))
    assert 'id="main-nav"' not in body and "سرنخ‌ها" not in body


def test_unknown_or_inactive_office_is_404(db, client, org):
    assert client.get("/forms/lead/999999").status_code == 404
    assert post(client, 999999, FORM).status_code == 404
    org.isfahan.active = False
    db.session.commit()
    assert client.get(f"/forms/lead/{org.isfahan.id}").status_code == 404
    assert post(client, org.isfahan.id, FORM).status_code == 404
    assert leads_count(db) == 0


def test_a_submission_waits_in_the_office_queue(db, client, org, login_as):
    r = post(client, org.tehran.id, FORM)
    assert r.status_code == 200 and 'id="thanks"' in text(r)
    lead = db.session.scalar(select(Lead))
    assert (lead.channel, lead.status, lead.owner_id, lead.office_id) == ("web_form", "new", None, org.tehran.id)
    assert (lead.source_ip, lead.mobile_e164, lead.notes) == ("198.51.100.7", "+989121234000", FORM["message"])
    assert lead.created_by_id is None
    # Rep A (Tehran) finds it in the queue; rep C (Isfahan) does not.
    login_as(org.a)
    assert f'data-lead="{lead.id}"' in text(client.get("/crm/leads/queue"))
    login_as(org.c)
    assert f'data-lead="{lead.id}"' not in text(client.get("/crm/leads/queue"))
    assert client.get(f"/crm/leads/{lead.id}").status_code == 404


def test_posted_extras_cannot_set_owner_score_or_channel(db, client, org):
    forged = {**FORM, "owner_id": str(org.a.id), "score": "100", "channel": "referral", "need_level": "high",
              "category_id": "1", "kind": "organisation", "notes": "از فیلد دیگر"}
    assert post(client, org.tehran.id, forged).status_code == 200
    lead = db.session.scalar(select(Lead))
    assert (lead.owner_id, lead.score, lead.channel, lead.need_level, lead.kind, lead.category_id) == \
        (None, 0, "web_form", "medium", "person", None)
    assert lead.notes == FORM["message"]


def test_wrong_input_is_shown_in_persian_and_nothing_is_stored(db, client, org):
    r = post(client, org.tehran.id, {"name": "", "mobile": "۰۹۱۲", "message": "سلام"})
    assert r.status_code == 422
    body = text(r)
    assert 'id="form-errors"' in body and "«نام» را وارد کنید." in body
    assert "سلام" in body  # what was typed is kept
    r = post(client, org.tehran.id, {"name": "علی", "mobile": "02188776655"})
    assert r.status_code == 422 and "تلفن همراه نیست" in text(r)
    r = post(client, org.tehran.id, {"name": "علی"})
    assert r.status_code == 422 and "دست‌کم یک راه تماس" in text(r)
    r = post(client, org.tehran.id, {**FORM, "message": "x" * 10001})
    assert r.status_code == 422 and "نباید بیش از" in text(r)
    r = post(client, org.tehran.id, {**FORM, "email": "saeed-at-example"})
    assert r.status_code == 422 and "ایمیل معتبر نیست" in text(r)
    assert leads_count(db) == 0


def test_a_filled_honeypot_is_thanked_but_not_stored(db, client, org):
    r = post(client, org.tehran.id, {**FORM, "website": "http://spam.example"})
    assert r.status_code == 200 and 'id="thanks"' in text(r)
    assert leads_count(db) == 0


def test_flooding_from_one_address_is_refused_with_429(db, client, org):
    settings.update({"crm.web_form_per_hour": 2})
    for n in range(2):
        assert post(client, org.tehran.id, {**FORM, "mobile": f"0912123400{n}"}).status_code == 200
    r = post(client, org.tehran.id, {**FORM, "mobile": "09121234009"})
    assert r.status_code == 429 and 'id="too-many"' in text(r) and "یک ساعت" in text(r)
    assert leads_count(db) == 2
    # The count is per address; another visitor is not affected.
    assert post(client, org.tehran.id, {**FORM, "mobile": "09121234008"}, ip="203.0.113.9").status_code == 200
    assert leads_count(db) == 3
    # An hour later the first address may send again (the count is in the database).
    db.session.execute(update(Lead).values(created_at=utcnow() - dt.timedelta(minutes=61)))
    db.session.commit()
    assert post(client, org.tehran.id, {**FORM, "mobile": "09121234007"}).status_code == 200
    assert leads_count(db, Lead.source_ip == "198.51.100.7") == 3
    # Leads typed in by staff from that address do not count against the visitors' form.
    assert leads_count(db, Lead.channel == "web_form") == 4


def test_no_csrf_token_needed_here_but_everywhere_else(make_app, org):
    office_id, user_id = org.tehran.id, org.a.get_id()
    app = make_app({"WTF_CSRF_ENABLED": True})
    with app.app_context():
        client = app.test_client()
        r = client.post(f"/forms/lead/{office_id}", data=FORM, environ_base={"REMOTE_ADDR": "192.0.2.1"})
        assert r.status_code == 200 and 'id="thanks"' in text(r)
        from core.db import db
        assert db.session.scalar(select(func.count(Lead.id))) == 1
        # Other forms still need their token.
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        r = client.post("/crm/leads/new", data={"name": "x", "mobile": "09120000000"})
        assert r.status_code == 400
        assert db.session.scalar(select(func.count(Lead.id))) == 1


def test_embed_code_is_shown_to_administrators(client, org, login_as):
    login_as(org.admin)
    body = text(client.get("/crm/leads/queue"))
    assert 'id="embed"' in body and f"/forms/lead/{org.tehran.id}" in body and "&lt;iframe" in body
    assert f"/forms/lead/{org.isfahan.id}" in body
    login_as(org.a)
    body = text(client.get("/crm/leads/queue"))
    assert 'id="embed"' not in body and "/forms/lead/" not in body
