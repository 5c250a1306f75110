"""The lead screens through the test client: the three lists (visibility, search, filters,
sorting, paging), a new lead with its duplicate check, the lead page and its actions (take,
assign, qualify into a new or an existing customer, disqualify), and the import wizard.

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C.
"""
import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, update

from core.jalali import format_date, today_tehran, utcnow
from core.persian import to_persian_digits
from plugins.crm.models import Customer, Lead, LeadImport, ListItem, Negotiation
from plugins.crm.services import leads
from plugins.crm.services import negotiations as neg


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def reload(db, lead_id) -> Lead:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Lead, lead_id)


def row_ids(response) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-lead="(\d+)"', text(response))]


def flashes(client) -> str:
    with client.session_transaction() as session:
        return " ".join(m for _c, m in session.get("_flashes", []))


@pytest.fixture
def as_user(client, login_as):
    def do(user):
        login_as(user)
        return client
    return do


@pytest.fixture
def sample(db, org):
    """A queue lead (web form, Tehran), one of A's, one of B's, a queue lead in Isfahan."""
    category = ListItem(kind="category", name="فروشگاه زنجیره‌ای")
    db.session.add(category)
    db.session.commit()
    s = type("Sample", (), {})()
    s.category = category
    s.queue = leads.create({"name": "سعید رحیمی", "mobile": "09121234000", "need_level": "high", "score": 80,
                            "city": "تهران"}, None, channel="web_form", office_id=org.tehran.id)
    s.mine = leads.create({"name": "نرگس ملکی", "organisation": "شرکت کاشی نگین", "phone": "021-66554433",
                           "owner_id": org.a.id, "category_id": category.id, "score": 30}, org.a, channel="phone")
    s.bs = leads.create({"name": "کامران یزدانی", "email": "kamran@example.com", "owner_id": org.b.id, "score": 55},
                        org.b, channel="exhibition")
    s.isfahan = leads.create({"name": "مهدی اصفهانی", "mobile": "09131112233"}, None, channel="web_form",
                             office_id=org.isfahan.id)
    return s


# --- the lists ---------------------------------------------------------------------------------------

def test_the_three_lists_follow_visibility(db, org, sample, as_user):
    a = as_user(org.a)
    r = a.get("/crm/leads/queue")
    assert r.status_code == 200 and row_ids(r) == [sample.queue.id]
    assert 'data-action="take"' in text(r)
    assert row_ids(a.get("/crm/leads/my")) == [sample.mine.id]
    # A rep sees the office's leads (scope_office): the queue, own and B's; not Isfahan's.
    assert set(row_ids(a.get("/crm/leads"))) == {sample.queue.id, sample.mine.id, sample.bs.id}
    c = as_user(org.c)
    assert row_ids(c.get("/crm/leads/queue")) == [sample.isfahan.id]
    assert row_ids(c.get("/crm/leads")) == [sample.isfahan.id]
    admin = as_user(org.admin)
    assert set(row_ids(admin.get("/crm/leads"))) == {sample.queue.id, sample.mine.id, sample.bs.id, sample.isfahan.id}
    # Without the permission: refused.
    assert as_user(org.inspector).get("/crm/leads").status_code == 403


def test_search_filters_sorting_and_paging(db, org, sample, as_user):
    a = as_user(org.a)
    # Normalised names (Arabic letters), phone digits in any script and format, organisation, email.
    assert row_ids(a.get("/crm/leads", query_string={"q": "رحيمي"})) == [sample.queue.id]
    assert row_ids(a.get("/crm/leads", query_string={"q": "۰۹۱۲ ۱۲۳ ۴۰۰۰"})) == [sample.queue.id]
    assert row_ids(a.get("/crm/leads", query_string={"q": "66554433"})) == [sample.mine.id]
    assert row_ids(a.get("/crm/leads", query_string={"q": "کاشي نگين"})) == [sample.mine.id]
    assert row_ids(a.get("/crm/leads", query_string={"q": "KAMRAN@example.com"})) == [sample.bs.id]
    assert row_ids(a.get("/crm/leads", query_string={"q": "هیچ‌کس"})) == []
    # Filters.
    assert row_ids(a.get("/crm/leads", query_string={"channel": "web_form"})) == [sample.queue.id]
    assert row_ids(a.get("/crm/leads", query_string={"need": "high"})) == [sample.queue.id]
    assert set(row_ids(a.get("/crm/leads", query_string={"status": "assigned"}))) == {sample.mine.id, sample.bs.id}
    assert row_ids(a.get("/crm/leads", query_string={"owner": org.b.id})) == [sample.bs.id]
    assert row_ids(a.get("/crm/leads", query_string={"category": sample.category.id})) == [sample.mine.id]
    # Created, as Jalali days in Tehran.
    today = format_date(today_tehran())
    yesterday = format_date(today_tehran() - dt.timedelta(days=1))
    assert len(row_ids(a.get("/crm/leads", query_string={"start": today, "end": today}))) == 3
    assert row_ids(a.get("/crm/leads", query_string={"start": yesterday, "end": yesterday})) == []
    db.session.execute(update(Lead).where(Lead.id == sample.bs.id).values(created_at=utcnow() - dt.timedelta(days=3)))
    db.session.commit()
    assert row_ids(a.get("/crm/leads", query_string={"end": yesterday})) == [sample.bs.id]
    # Wrong dates: a Persian message, the list unfiltered, no error page.
    r = a.get("/crm/leads", query_string={"start": "1403/13/40"})
    assert r.status_code == 200 and 'id="filter-errors"' in text(r) and len(row_ids(r)) == 3
    assert "۱۴۰۳/۱۳/۴۰" in text(r)  # typed text comes back in Persian digits
    r = a.get("/crm/leads", query_string={"start": today, "end": yesterday})
    assert "پیش از تاریخ شروع" in text(r) and len(row_ids(r)) == 3
    # Sorting.
    assert row_ids(a.get("/crm/leads", query_string={"sort": "score"})) == [sample.mine.id, sample.bs.id, sample.queue.id]
    assert row_ids(a.get("/crm/leads", query_string={"sort": "-score"})) == [sample.queue.id, sample.bs.id, sample.mine.id]
    assert row_ids(a.get("/crm/leads", query_string={"sort": "-need"}))[0] == sample.queue.id
    assert len(row_ids(a.get("/crm/leads", query_string={"sort": "nonsense"}))) == 3
    # Paging.
    for n in range(5):
        leads.create({"name": f"سرنخ {n}", "mobile": f"0912555000{n}"}, org.a)
    first = row_ids(a.get("/crm/leads/queue", query_string={"size": 5}))
    second = row_ids(a.get("/crm/leads/queue", query_string={"size": 5, "page": 2}))
    assert len(first) == 5 and len(second) == 1 and not set(first) & set(second)


# --- a new lead ----------------------------------------------------------------------------------------

def test_new_lead_is_checked_for_duplicates_then_saved_anyway(db, org, register, as_user):
    register(org.b, name="فاطمه شریفی", phones=[{"number": "09124443322", "kind": "mobile"}])
    a = as_user(org.a)
    r = a.get("/crm/leads/new")
    assert r.status_code == 200 and 'name="owner_id"' in text(r)
    data = {"kind": "person", "name": "خانم فاطمه شريفي", "mobile": "+98 912 444 3322", "channel": "phone",
            "need_level": "high", "score": "۶۰", "owner_id": str(org.a.id)}
    r = a.post("/crm/leads/new", data=data)
    body = text(r)
    assert r.status_code == 200 and 'id="duplicate-warning"' in body
    assert "0912***3322" in to_ascii(body) and "09124443322" not in to_ascii(body)  # masked
    assert "بهرام بهرامی" in body  # who owns the match
    assert count(db, Lead) == 0
    r = a.post("/crm/leads/new", data={**data, "confirmed": "1"})
    assert r.status_code == 302
    lead = db.session.scalar(select(Lead))
    assert r.headers["Location"].endswith(f"/crm/leads/{lead.id}")
    assert (lead.owner_id, lead.status, lead.channel, lead.score, lead.need_level) == (org.a.id, "assigned", "phone", 60, "high")
    # An open lead with the same number is a match as well.
    r = a.post("/crm/leads/new", data={**data, "name": "کسی دیگر"})
    assert 'id="duplicate-warning"' in text(r) and f'data-match-lead="{lead.id}"' in text(r)
    assert count(db, Lead) == 1


def to_ascii(s: str) -> str:
    from core.persian import to_ascii_digits
    return to_ascii_digits(s)


@pytest.mark.parametrize("data, message", [
    ({"name": "", "mobile": "09121110000"}, "«نام» را وارد کنید"),
    ({"name": "علی", "mobile": "0912"}, "شماره تلفن نیست"),
    ({"name": "علی"}, "دست‌کم یک راه تماس"),
    ({"name": "علی", "mobile": "09121110000", "score": "۵۰۰"}, "«امتیاز» نباید بیشتر از"),
    ({"name": "علی", "mobile": "09121110000", "email": "bad"}, "ایمیل معتبر نیست"),
    ({"name": "علی", "mobile": "09121110000", "channel": "web_form"}, "کانال ورود را از فهرست انتخاب کنید"),
])
def test_new_lead_wrong_input(db, org, as_user, data, message):
    a = as_user(org.a)
    r = a.post("/crm/leads/new", data={"kind": "person", "channel": "manual", "need_level": "medium", **data,
                                      "confirmed": "1"})
    body = text(r)
    assert r.status_code == 200 and ("is-invalid" in body or "alert-danger" in body)
    assert message in body
    assert count(db, Lead) == 0


def test_new_lead_owner_must_be_self_or_subordinate(db, org, as_user):
    a = as_user(org.a)
    r = a.post("/crm/leads/new", data={"name": "علی", "mobile": "09121110000", "owner_id": str(org.c.id), "confirmed": "1"})
    assert "زیردستان" in text(r) and count(db, Lead) == 0
    m = as_user(org.manager)
    r = m.post("/crm/leads/new", data={"name": "علی", "mobile": "09121110000", "owner_id": str(org.a.id), "confirmed": "1"})
    assert r.status_code == 302 and db.session.scalar(select(Lead.owner_id)) == org.a.id
    # Left empty: the lead waits in the office's queue.
    r = m.post("/crm/leads/new", data={"name": "رضا", "mobile": "09121110001", "owner_id": "", "confirmed": "1"})
    assert r.status_code == 302
    assert db.session.scalar(select(Lead).where(Lead.name == "رضا")).owner_id is None


# --- the lead page, take, assign --------------------------------------------------------------------

def test_lead_page_shows_details_duplicates_and_history(db, org, sample, register, as_user):
    register(org.b, name="سعید رحیمی", phones=[{"number": "09121234000", "kind": "mobile"}])
    a = as_user(org.a)
    r = a.get(f"/crm/leads/{sample.queue.id}")
    body = text(r)
    assert r.status_code == 200
    for expected in ("فرم وب‌سایت", "زیاد", "در صف دفتر تهران", 'id="duplicates"', "0912***4000", 'id="take"',
                     'id="history"', "ثبت سرنخ از «فرم وب‌سایت»"):
        assert expected in to_ascii(body) or expected in body, expected
    a.post(f"/crm/leads/{sample.queue.id}/take")
    body = text(a.get(f"/crm/leads/{sample.queue.id}"))
    assert 'id="take"' not in body and "علی احمدی" in body
    assert "مسئول:" in body and "تازه" in body and "واگذارشده" in body  # the history in words
    # Hidden or made-up ids.
    assert as_user(org.c).get(f"/crm/leads/{sample.queue.id}").status_code == 404
    assert a.get("/crm/leads/999999").status_code == 404


def test_take_from_the_queue_and_a_lead_someone_took(db, org, sample, as_user):
    a = as_user(org.a)
    r = a.post(f"/crm/leads/{sample.queue.id}/take", data={"next": "queue"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/leads/{sample.queue.id}")
    assert reload(db, sample.queue.id).owner_id == org.a.id
    b = as_user(org.b)
    r = b.post(f"/crm/leads/{sample.queue.id}/take", data={"next": "queue"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/crm/leads/queue")
    assert "همکار دیگری برداشته" in flashes(b)
    assert reload(db, sample.queue.id).owner_id == org.a.id
    # Forged ids: another office's lead, a lead that does not exist.
    assert b.post(f"/crm/leads/{sample.isfahan.id}/take").status_code == 404
    assert b.post("/crm/leads/999999/take").status_code == 404
    assert reload(db, sample.isfahan.id).owner_id is None


def test_assign_offers_whom_the_actor_may_choose(db, org, sample, as_user, make_user):
    m = as_user(org.manager)
    body = text(m.get(f"/crm/leads/{sample.queue.id}"))
    options = dict((int(k), v) for k, v in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>',
                                                     body.split('id="assign-user"')[1].split("</select>")[0]))
    # Subordinates and, with crm.leads_assign, the office's people who work with leads.
    assert {org.a.id, org.b.id, org.manager.id} <= set(options) and org.inspector.id not in options
    assert org.c.id not in options
    r = m.post(f"/crm/leads/{sample.queue.id}/assign", data={"user_id": org.b.id})
    assert r.status_code == 302 and reload(db, sample.queue.id).owner_id == org.b.id
    # A rep has nobody to hand to (no subordinates): no select; a forged post is refused.
    a = as_user(org.a)
    assert 'id="assign-user"' not in text(a.get(f"/crm/leads/{sample.mine.id}"))
    a.post(f"/crm/leads/{sample.mine.id}/assign", data={"user_id": org.b.id})
    assert "زیردستانتان" in flashes(a) and reload(db, sample.mine.id).owner_id == org.a.id
    a.post(f"/crm/leads/{sample.bs.id}/assign", data={"user_id": org.a.id})  # taking B's lead by "assigning"
    assert "برداشته" in flashes(a) and reload(db, sample.bs.id).owner_id == org.b.id
    # Someone who may not work with leads, nobody at all, a user that does not exist.
    m = as_user(org.manager)
    m.post(f"/crm/leads/{sample.mine.id}/assign", data={"user_id": org.inspector.id})
    assert "اجازهٔ کار با سرنخ" in flashes(m)
    m.post(f"/crm/leads/{sample.mine.id}/assign", data={"user_id": ""})
    assert "انتخاب کنید" in flashes(m)
    m.post(f"/crm/leads/{sample.mine.id}/assign", data={"user_id": "999999"})
    assert "وجود ندارد" in flashes(m)
    assert reload(db, sample.mine.id).owner_id == org.a.id


# --- qualify ---------------------------------------------------------------------------------------------

def test_qualify_into_a_new_customer_with_the_opportunity(db, org, sample, as_user):
    a = as_user(org.a)
    forecast = today_tehran() + dt.timedelta(days=40)
    r = a.post(f"/crm/leads/{sample.mine.id}/qualify", data={
        "value": "۲۵۰٬۰۰۰٬۰۰۰", "forecast_close": to_persian_digits(format_date(forecast)),
        "need_details": "۲۰۰ متر کاشی", "priority": "high"})
    assert r.status_code == 302
    lead = reload(db, sample.mine.id)
    assert lead.status == "qualified" and r.headers["Location"].endswith(f"/crm/customers/{lead.customer_id}")
    n = db.session.get(Negotiation, lead.negotiation_id)
    assert (n.owner_id, n.opened_via, n.value, n.forecast_close, n.priority, n.need_details) == \
        (org.a.id, "lead", 250_000_000, forecast, "high", "۲۰۰ متر کاشی")
    body = text(a.get(f"/crm/leads/{lead.id}"))
    assert 'id="qualified"' in body and f"/crm/customers/{lead.customer_id}" in body and 'id="qualify-form"' not in body
    # Again: refused, nothing more written.
    r = a.post(f"/crm/leads/{lead.id}/qualify", data={})
    assert r.status_code == 422 and "پیش‌تر" in text(r) and count(db, Customer) == 1


@pytest.mark.parametrize("data, message", [
    ({"forecast_close": "1403/13/40"}, "در تقویم وجود ندارد"),
    ({"value": "دویست"}, "عدد صحیح"),
    ({"value": "-5"}, "کمتر از"),
    ({"priority": "urgent"}, "اولویت"),
])
def test_qualify_wrong_opportunity_writes_nothing(db, org, sample, as_user, data, message):
    a = as_user(org.a)
    r = a.post(f"/crm/leads/{sample.mine.id}/qualify", data=data)
    assert r.status_code == 422 and message in text(r) + flashes(a)
    assert 'id="qualify-form"' in text(r)
    assert reload(db, sample.mine.id).status == "assigned"
    assert count(db, Customer) == 0 and count(db, Negotiation) == 0


def test_qualify_over_the_open_negotiation_maximum(db, org, sample, register, as_user):
    org.a.max_open_negotiations = 1
    db.session.commit()
    register(org.a, name="مشتری اول")
    a = as_user(org.a)
    r = a.post(f"/crm/leads/{sample.mine.id}/qualify", data={"value": "1000"})
    assert r.status_code == 422 and "سقف" in flashes(a) + text(r)
    assert reload(db, sample.mine.id).status == "assigned" and count(db, Customer) == 1


def test_qualify_with_duplicates_merge_or_confirm(db, org, register, as_user):
    pooled = register(org.b, name="فاطمه شریفی", phones=[{"number": "09124443322", "kind": "mobile"}])
    neg.change_status(pooled.id, "cut", org.b)
    lead = leads.create({"name": "فاطمه شريفي", "mobile": "09124443322", "owner_id": org.a.id}, org.a)
    a = as_user(org.a)
    body = text(a.get(f"/crm/leads/{lead.id}"))
    assert f'name="customer_id" value="{pooled.customer_id}"' in body and "ادغام با مشتری موجود" in body
    assert 'id="confirm-new"' in body and 'id="qualify-submit"' not in body
    # Neither merged nor confirmed: a warning, nothing registered.
    r = a.post(f"/crm/leads/{lead.id}/qualify", data={})
    assert r.status_code == 409 and "مشابه" in flashes(a) + text(r)
    assert count(db, Customer) == 1 and reload(db, lead.id).status == "assigned"
    # A customer that is neither visible nor a match: as if it did not exist.
    other = register(org.c, name="مشتری اصفهان")
    assert a.post(f"/crm/leads/{lead.id}/qualify", data={"customer_id": other.customer_id}).status_code == 404
    assert a.post(f"/crm/leads/{lead.id}/qualify", data={"customer_id": "abc"}).status_code == 404
    # Merge: the pooled customer is claimed by the lead's owner.
    r = a.post(f"/crm/leads/{lead.id}/qualify", data={"customer_id": pooled.customer_id, "priority": "low"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/customers/{pooled.customer_id}")
    claimed = db.session.get(Negotiation, reload(db, lead.id).negotiation_id)
    assert (claimed.customer_id, claimed.owner_id, claimed.opened_via, claimed.priority) == \
        (pooled.customer_id, org.a.id, "claim", "low")
    assert count(db, Customer) == 2
    # Confirmed as a new customer despite the match.
    lead2 = leads.create({"name": "فاطمه شریفی", "mobile": "09124443399", "city": "تهران"}, org.b)
    b = as_user(org.b)
    r = b.post(f"/crm/leads/{lead2.id}/qualify", data={"confirmed_not_duplicate": "1"})
    assert r.status_code == 302 and count(db, Customer) == 3


def test_merge_onto_a_won_customer_or_one_under_negotiation(db, org, register, as_user):
    won = register(org.b, name="شرکت فولاد البرز", kind="organisation", phones=[{"number": "02144556677"}])
    neg.change_status(won.id, "won", org.b, confirmed=True)
    busy = register(org.b, name="شرکت سیمان فارس", kind="organisation", phones=[{"number": "02177889900"}])
    lead_won = leads.create({"name": "فولاد البرز", "phone": "021-44556677", "owner_id": org.c.id}, org.c)
    lead_busy = leads.create({"name": "سیمان فارس", "phone": "021-77889900", "owner_id": org.c.id}, org.c)
    c = as_user(org.c)
    body = text(c.get(f"/crm/leads/{lead_busy.id}"))
    assert "در حال مذاکره است" in body and f'name="customer_id" value="{busy.customer_id}"' not in body
    r = c.post(f"/crm/leads/{lead_busy.id}/qualify", data={"customer_id": busy.customer_id})
    assert r.status_code == 422 and "در حال مذاکره" in flashes(c) + text(r)
    body = text(c.get(f"/crm/leads/{lead_won.id}"))
    assert "جزئیات تماس مشتری قطعی‌شدهٔ همکار" in body  # another rep's won customer: no contact details
    r = c.post(f"/crm/leads/{lead_won.id}/qualify", data={"customer_id": won.customer_id})
    assert r.status_code == 302
    opened = db.session.get(Negotiation, reload(db, lead_won.id).negotiation_id)
    assert (opened.customer_id, opened.owner_id, opened.status) == (won.customer_id, org.c.id, "negotiating")


def test_only_the_owner_or_those_above_qualify_or_disqualify(db, org, sample, as_user):
    reason = ListItem(kind="disqualify", name="شماره اشتباه")
    db.session.add(reason)
    db.session.commit()
    b = as_user(org.b)
    body = text(b.get(f"/crm/leads/{sample.mine.id}"))  # A's lead, seen through the office scope
    assert 'id="qualify-form"' not in body and 'id="disqualify-form"' not in body
    r = b.post(f"/crm/leads/{sample.mine.id}/qualify", data={})
    assert r.status_code == 422 and "صاحب سرنخ" in text(r)
    b.post(f"/crm/leads/{sample.mine.id}/disqualify", data={"reason_id": reason.id})
    assert "صاحب سرنخ" in flashes(b)
    assert reload(db, sample.mine.id).status == "assigned" and count(db, Customer) == 0
    # The inspector has no crm.leads; a user with crm.leads but not crm.register cannot qualify.
    assert as_user(org.inspector).post(f"/crm/leads/{sample.mine.id}/qualify").status_code == 403


# --- disqualify -----------------------------------------------------------------------------------------

def test_disqualify_needs_a_reason_from_the_list(db, org, sample, as_user):
    reason = ListItem(kind="disqualify", name="بودجه ندارد")
    wrong_kind = ListItem(kind="category", name="دسته")
    db.session.add_all([reason, wrong_kind])
    db.session.commit()
    a = as_user(org.a)
    body = text(a.get(f"/crm/leads/{sample.mine.id}"))
    assert f'<option value="{reason.id}">بودجه ندارد</option>' in body
    r = a.post(f"/crm/leads/{sample.mine.id}/disqualify", data={"note": "x"})
    assert r.status_code == 422 and "دلیل رد صلاحیت را از فهرست انتخاب کنید" in text(r)
    r = a.post(f"/crm/leads/{sample.mine.id}/disqualify", data={"reason_id": wrong_kind.id})
    assert r.status_code == 422
    r = a.post(f"/crm/leads/{sample.mine.id}/disqualify", data={"reason_id": reason.id, "note": "ن" * 401})
    assert r.status_code == 422 and "۴۰۰" in text(r)
    assert reload(db, sample.mine.id).status == "assigned"
    r = a.post(f"/crm/leads/{sample.mine.id}/disqualify", data={"reason_id": reason.id, "note": "سال بعد"})
    assert r.status_code == 302
    lead = reload(db, sample.mine.id)
    assert (lead.status, lead.disqualify_reason_id, lead.disqualify_note) == ("disqualified", reason.id, "سال بعد")
    body = text(a.get(f"/crm/leads/{lead.id}"))
    assert 'id="disqualified"' in body and "بودجه ندارد" in body and 'id="qualify-form"' not in body
    a.post(f"/crm/leads/{lead.id}/disqualify", data={"reason_id": reason.id})
    assert "دیگر باز نیست" in flashes(a)
    a.post(f"/crm/leads/{lead.id}/take")
    assert "دیگر باز نیست" in flashes(a)
    assert a.post("/crm/leads/999999/disqualify", data={"reason_id": reason.id}).status_code == 404


# --- the import wizard ------------------------------------------------------------------------------------

CSV = ("نام,موبایل,شهر,سطح نیاز,تاریخ\n"
       "علی کریمی,09121000001,تهران,زیاد,1403/05/12\n"
       "\n"                                                  # a blank line: line numbers stay true
       "مریم صالحی,0912 100 0002,تهران,کم,2024-08-02\n"
       ",09121000003,تهران,,\n"                              # no name (line 5)
       "رضا نوری,not-a-phone,تهران,,\n"                      # (line 6)
       "علی كريمي,+989121000001,تهران,,\n"                   # the first row again (line 7)
       "زهرا احمدی,09121000007,تهران,خیلی,1499/01/01\n")     # unknown level, a future date (line 8)


def upload(client, name, data: bytes):
    return client.post("/crm/leads/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_import_wizard_upload_map_preview_import_report(db, org, as_user):
    m = as_user(org.manager)
    assert m.get("/crm/leads/import").status_code == 200
    r = upload(m, "leads.csv", CSV.encode("utf-8"))
    assert r.status_code == 302
    job = db.session.scalar(select(LeadImport))
    assert r.headers["Location"].endswith(f"/crm/leads/import/{job.id}/mapping")
    # Step 2: a select per field, pre-filled from the headers, the first rows under their headers.
    body = text(m.get(f"/crm/leads/import/{job.id}/mapping"))
    assert re.search(r'name="map-name">\s*<option value="">[^<]*</option>\s*<option value="0" selected', body)
    assert re.search(r'<option value="1" selected>ستون ۲: موبایل', body)
    assert 'id="sample"' in body and "مریم صالحی" in body and "0912 100 0002" in body
    # Mapping without the required columns.
    r = m.post(f"/crm/leads/import/{job.id}/mapping", data={"map-mobile": "1"})
    assert r.status_code == 422 and "ستون این فیلدها را مشخص کنید: نام" in text(r)
    r = m.post(f"/crm/leads/import/{job.id}/mapping", data={"map-name": "0", "map-city": "2"})
    assert r.status_code == 422 and "تلفن همراه، تلفن یا ایمیل" in text(r)
    r = m.post(f"/crm/leads/import/{job.id}/mapping", data={"map-name": "0", "map-mobile": "9"})
    assert r.status_code == 422 and "ستون انتخاب‌شده در فایل نیست" in text(r)
    assert m.get(f"/crm/leads/import/{job.id}/preview").status_code == 302  # no mapping yet
    mapping = {"map-name": "0", "map-mobile": "1", "map-city": "2", "map-need_level": "3", "map-created": "4"}
    r = m.post(f"/crm/leads/import/{job.id}/mapping", data=mapping)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/leads/import/{job.id}/preview")
    # Step 3: per-row errors and the counts of the whole file.
    body = text(m.get(f"/crm/leads/import/{job.id}/preview"))
    assert re.search(r'id="count-total">۶<', body) and re.search(r'id="count-valid">۲<', body)
    assert re.search(r'id="count-invalid">۴<', body)
    assert 'data-line="5"' in body and "«نام» را وارد کنید" in body and "تکراری در همین فایل (سطر ۲)" in body
    assert "در آینده" in body and "خیلی" in body
    assert count(db, Lead) == 0
    # Step 4: import, then the report.
    r = m.post(f"/crm/leads/import/{job.id}/run")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/leads/import/{job.id}")
    assert count(db, Lead) == 2
    first = db.session.scalar(select(Lead).where(Lead.mobile_e164 == "+989121000001"))
    assert (first.channel, first.office_id, first.owner_id, first.need_level) == ("import", org.tehran.id, None, "high")
    assert first.created_at == dt.datetime(2024, 8, 1, 20, 30)  # 1403/05/12 began in Tehran at 20:30 UTC
    body = text(m.get(f"/crm/leads/import/{job.id}"))
    assert re.search(r'id="imported">۲<', body) and re.search(r'id="left-out">۴<', body)
    assert [int(x) for x in re.findall(r'<tr data-line="(\d+)"', body)] == [5, 6, 7, 8]
    # The rows left out, as they were, with line and reasons: nothing is lost.
    r = m.get(f"/crm/leads/import/{job.id}/rejected.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["سطر", "دلیل", "نام", "موبایل", "شهر", "سطح نیاز", "تاریخ"]
    assert [row[0] for row in rows[1:]] == ["5", "6", "7", "8"]
    assert rows[2][3] == "not-a-phone" and rows[4][2:] == ["زهرا احمدی", "09121000007", "تهران", "خیلی", "1499/01/01"]
    # Once only; the other steps now lead to the report.
    m.post(f"/crm/leads/import/{job.id}/run")
    assert "پیش‌تر" in flashes(m) and count(db, Lead) == 2
    assert m.get(f"/crm/leads/import/{job.id}/mapping").headers["Location"].endswith(f"/crm/leads/import/{job.id}")
    r = m.post(f"/crm/leads/import/{job.id}/mapping", data=mapping)
    assert r.status_code == 302 and count(db, Lead) == 2


def test_import_is_for_its_owner_and_the_permission(db, org, as_user):
    m = as_user(org.manager)
    upload(m, "leads.csv", CSV.encode("utf-8"))
    job = db.session.scalar(select(LeadImport))
    boss = as_user(org.boss)
    for url in (f"/crm/leads/import/{job.id}/mapping", f"/crm/leads/import/{job.id}/preview",
                f"/crm/leads/import/{job.id}", f"/crm/leads/import/{job.id}/rejected.csv"):
        assert boss.get(url).status_code == 404, url
    assert boss.post(f"/crm/leads/import/{job.id}/run").status_code == 404
    assert boss.get("/crm/leads/import/999999/mapping").status_code == 404
    a = as_user(org.a)  # a rep: no crm.leads_import
    assert a.get("/crm/leads/import").status_code == 403
    assert upload(a, "x.csv", CSV.encode()).status_code == 403
    assert count(db, LeadImport) == 1


@pytest.mark.parametrize("name, data, message", [
    ("leads.exe", b"MZ\x90\x00", "فقط فایل CSV یا XLSX"),
    ("leads.csv", b"", "خالی"),
    ("leads.csv", "نام\n".encode(), "سطر داده‌ای ندارد"),
    ("leads.xlsx", b"PK not really excel", "XLSX"),
    ("leads.csv", b"\x00\x01\x02binary\x00", "رمزگذاری"),
])
def test_bad_files_are_refused_in_persian(db, org, as_user, name, data, message):
    m = as_user(org.manager)
    r = upload(m, name, data)
    assert r.status_code == 422 and message in text(r) and 'id="upload-error"' in text(r)
    assert count(db, LeadImport) == 0


def test_upload_without_a_file(db, org, as_user):
    m = as_user(org.manager)
    r = m.post("/crm/leads/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "فایلی انتخاب نشده" in text(r)


def test_import_xlsx_with_date_cells(db, org, as_user):
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Mobile", "Date", "Category"])
    ws.append(["نگار موسوی", "09123000001", dt.datetime(2024, 3, 1), "فروشگاه"])
    ws.append(["کامران بهرامی", "09123000002", dt.datetime(2024, 3, 2), "ناشناخته"])
    out = io.BytesIO()
    wb.save(out)
    db.session.add(ListItem(kind="category", name="فروشگاه"))
    db.session.commit()
    m = as_user(org.manager)
    assert upload(m, "فهرست.xlsx", out.getvalue()).status_code == 302
    job = db.session.scalar(select(LeadImport))
    assert "2024-03-01" in text(m.get(f"/crm/leads/import/{job.id}/mapping"))
    m.post(f"/crm/leads/import/{job.id}/mapping", data={"map-name": "0", "map-mobile": "1", "map-created": "2",
                                                        "map-category": "3"})
    assert "در فهرست نیست" in text(m.get(f"/crm/leads/import/{job.id}/preview"))
    m.post(f"/crm/leads/import/{job.id}/run")
    lead = db.session.scalar(select(Lead))
    assert lead.name == "نگار موسوی" and lead.category_id is not None
    assert lead.created_at == dt.datetime(2024, 2, 29, 20, 30)
