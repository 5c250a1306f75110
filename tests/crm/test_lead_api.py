"""Leads in the JSON API (/api/v1/crm/leads): the same services, visibility and refusals as the
screens, the one error shape.

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C.
"""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import auth
from core.jalali import format_date, today_tehran
from plugins.crm.models import Customer, Lead, ListItem, Negotiation
from plugins.crm.services import leads
from plugins.crm.services import negotiations as neg


@pytest.fixture
def api(client):
    tokens = {}

    def call(user, method, path, **kwargs):
        if user.id not in tokens:
            tokens[user.id] = auth.create_token(user, "test")[1]
        return client.open(f"/api/v1/crm/leads{path}", method=method,
                           headers={"Authorization": f"Bearer {tokens[user.id]}"}, **kwargs)
    return call


def count(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_then_list_get_take(api, db, org):
    r = api(org.a, "POST", "", json={"name": "حمید زمانی", "mobile": "۰۹۱۲ ۳۳۳ ۴۴۵۵", "need_level": "high", "score": 70})
    assert r.status_code == 201, r.json
    lead = r.json
    assert (lead["channel"], lead["status"], lead["owner_id"], lead["office_id"]) == ("api", "new", None, org.tehran.id)
    assert lead["mobile"] == "0912 333 4455" and lead["owner_name"] is None
    # In the Tehran queue for B, not for C (Isfahan).
    r = api(org.b, "GET", "", query_string={"list": "queue"})
    assert r.status_code == 200 and [x["id"] for x in r.json["items"]] == [lead["id"]] and r.json["total"] == 1
    assert api(org.c, "GET", "", query_string={"list": "queue"}).json["items"] == []
    assert api(org.c, "GET", f"/{lead['id']}").status_code == 404
    detail = api(org.b, "GET", f"/{lead['id']}").json
    assert detail["duplicates"] == {"customers": [], "leads": []}
    # Take: B wins, A is refused afterwards.
    r = api(org.b, "POST", f"/{lead['id']}/take")
    assert r.status_code == 200 and r.json["owner_id"] == org.b.id and r.json["status"] == "assigned"
    r = api(org.a, "POST", f"/{lead['id']}/take")
    assert r.status_code == 422 and "برداشته" in r.json["error"]["message"]
    assert db.session.get(Lead, lead["id"]).owner_id == org.b.id
    assert [x["id"] for x in api(org.b, "GET", "", query_string={"list": "my"}).json["items"]] == [lead["id"]]
    # Forged ids.
    assert api(org.a, "POST", "/999999/take").status_code == 404
    assert api(org.a, "GET", "/999999").status_code == 404


def test_list_filters_search_dates_and_paging(api, db, org):
    for n in range(7):
        leads.create({"name": f"مشتری شماره {n}", "mobile": f"0912400000{n}", "need_level": "high" if n % 2 else "low",
                      "score": n * 10}, org.a, channel="campaign" if n < 3 else "phone")
    r = api(org.a, "GET", "", query_string={"per_page": 5, "page": 2, "sort": "score"})
    assert r.json["total"] == 7 and r.json["pages"] == 2 and [x["score"] for x in r.json["items"]] == [50, 60]
    assert api(org.a, "GET", "", query_string={"channel": "campaign"}).json["total"] == 3
    assert api(org.a, "GET", "", query_string={"need_level": "high"}).json["total"] == 3
    assert api(org.a, "GET", "", query_string={"q": "۴۰۰۰۰۰۳"}).json["items"][0]["mobile"] == "0912 400 0003"
    today = format_date(today_tehran(), digits="en")
    assert api(org.a, "GET", "", query_string={"created_from": today, "created_to": today}).json["total"] == 7
    tomorrow = (today_tehran() + dt.timedelta(days=1)).isoformat()
    assert api(org.a, "GET", "", query_string={"created_from": tomorrow}).json["total"] == 0
    r = api(org.a, "GET", "", query_string={"created_from": "دیروز"})
    assert r.status_code == 422 and "created_from" in r.json["error"]["fields"]
    r = api(org.a, "GET", "", query_string={"list": "everything"})
    assert r.status_code == 422 and "list" in r.json["error"]["fields"]
    assert api(org.inspector, "GET", "").status_code == 403


def test_bad_input_is_refused_and_nothing_is_stored(api, db, org):
    for body, field in (({"name": "", "mobile": "09121110000"}, "name"), ({"name": "علی"}, "mobile"),
                        ({"name": "علی", "mobile": "abc"}, "mobile"), ({"name": "علی", "email": "x"}, "email"),
                        ({"name": "علی", "mobile": "09121110000", "need_level": "huge"}, "need_level"),
                        ({"name": "علی", "mobile": "09121110000", "channel": "fax"}, "channel"),
                        ({"name": "علی", "mobile": "09121110000", "score": 101}, "score"),
                        ({"name": "علی", "mobile": "09121110000", "owner_id": 999999}, "owner_id"),
                        ({"mobile": "09121110000"}, "name")):
        r = api(org.a, "POST", "", json=body)
        assert r.status_code == 422, (body, r.json)
        assert field in r.json["error"]["fields"], (body, r.json)
    # A rep cannot hand a new lead to a colleague who is not a subordinate.
    r = api(org.a, "POST", "", json={"name": "علی", "mobile": "09121110000", "owner_id": org.b.id})
    assert r.status_code == 422 and "زیردست" in r.json["error"]["fields"]["owner_id"][0]
    assert count(db, Lead) == 0
    assert client_without_token(api, org) == 401


def client_without_token(api, org):
    from flask import current_app
    return current_app.test_client().get("/api/v1/crm/leads").status_code


def test_duplicates_answer_409_until_confirmed(api, db, org, register):
    register(org.b, name="فاطمه شریفی", phones=[{"number": "09124443322", "kind": "mobile"}])
    body = {"name": "فاطمه شريفي", "mobile": "+98 912 444 3322"}
    r = api(org.a, "POST", "", json=body)
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"
    [match] = r.json["error"]["detail"]["customers"]
    assert match["phones"] == ["0912***3322"] and match["owner"] == "بهرام بهرامی"
    assert count(db, Lead) == 0
    r = api(org.a, "POST", "", json={**body, "confirmed_not_duplicate": True})
    assert r.status_code == 201
    first = r.json["id"]
    # Now the open lead is a match too.
    r = api(org.a, "POST", "", json={"name": "کسی دیگر", "mobile": "09124443322"})
    assert r.status_code == 409 and [x["id"] for x in r.json["error"]["detail"]["leads"]] == [first]
    detail = api(org.a, "GET", f"/{first}").json
    assert [m["customer_id"] for m in detail["duplicates"]["customers"]] and detail["duplicates"]["leads"] == []


def test_assign(api, db, org):
    lead = leads.create({"name": "سعید رحیمی", "mobile": "09121234000"}, None, channel="web_form", office_id=org.tehran.id)
    r = api(org.a, "POST", f"/{lead.id}/assign", json={"user_id": org.b.id})
    assert r.status_code == 422 and "owner_id" in r.json["error"]["fields"]
    r = api(org.manager, "POST", f"/{lead.id}/assign", json={"user_id": org.a.id})
    assert r.status_code == 200 and r.json["owner_id"] == org.a.id and r.json["owner_name"] == "علی احمدی"
    r = api(org.manager, "POST", f"/{lead.id}/assign", json={"user_id": org.inspector.id})
    assert r.status_code == 422 and "سرنخ" in r.json["error"]["fields"]["owner_id"][0]
    r = api(org.manager, "POST", f"/{lead.id}/assign", json={})
    assert r.status_code == 422 and "user_id" in r.json["error"]["fields"]
    r = api(org.c, "POST", f"/{lead.id}/assign", json={"user_id": org.c.id})
    assert r.status_code == 404
    assert db.session.get(Lead, lead.id).owner_id == org.a.id


def test_qualify_with_the_opportunity_and_the_refusals(api, db, org, register):
    lead = leads.create({"name": "نرگس ملکی", "mobile": "09127778899", "city": "تهران", "owner_id": org.a.id}, org.a)
    # Wrong opportunity fields: nothing registered.
    for body, field in (({"forecast_close": "1403/13/40"}, "forecast_close"), ({"value": "دویست"}, "value"),
                        ({"priority": "urgent"}, "priority"), ({"value": -1}, "value")):
        r = api(org.a, "POST", f"/{lead.id}/qualify", json=body)
        assert r.status_code == 422 and field in r.json["error"]["fields"], (body, r.json)
    assert count(db, Customer) == 0
    # Over the maximum: refused, nothing written.
    org.a.max_open_negotiations = 0
    db.session.commit()
    r = api(org.a, "POST", f"/{lead.id}/qualify", json={})
    assert r.status_code == 422 and "سقف" in r.json["error"]["message"]
    assert count(db, Customer) == 0 and db.session.get(Lead, lead.id).status == "assigned"
    org.a.max_open_negotiations = 50
    db.session.commit()
    forecast = today_tehran() + dt.timedelta(days=30)
    r = api(org.a, "POST", f"/{lead.id}/qualify", json={"value": 250_000_000, "forecast_close": forecast.isoformat(),
                                                         "need_details": "نیاز فوری", "priority": "high"})
    assert r.status_code == 201, r.json
    assert (r.json["owner_id"], r.json["opened_via"], r.json["status"]) == (org.a.id, "lead", "negotiating")
    n = db.session.get(Negotiation, r.json["id"])
    assert (n.value, n.forecast_close, n.priority, n.need_details) == (250_000_000, forecast, "high", "نیاز فوری")
    got = api(org.a, "GET", f"/{lead.id}").json
    assert (got["status"], got["negotiation_id"], got["customer_id"]) == ("qualified", n.id, n.customer_id)
    r = api(org.a, "POST", f"/{lead.id}/qualify", json={})
    assert r.status_code == 422 and "پیش‌تر" in r.json["error"]["message"]
    # Needs crm.register as well as crm.leads; the inspector has neither.
    assert api(org.inspector, "POST", f"/{lead.id}/qualify", json={}).status_code == 403


def test_qualify_onto_a_pool_customer_or_confirm_a_new_one(api, db, org, register):
    pooled = register(org.b, name="فاطمه شریفی", phones=[{"number": "09124443322", "kind": "mobile"}])
    neg.change_status(pooled.id, "cut", org.b)
    hidden = register(org.c, name="مشتری اصفهان")
    lead = leads.create({"name": "فاطمه شریفی", "mobile": "09124443322", "owner_id": org.a.id}, org.a)
    r = api(org.a, "POST", f"/{lead.id}/qualify", json={})
    assert r.status_code == 409 and r.json["error"]["detail"]["matches"][0]["customer_id"] == pooled.customer_id
    assert count(db, Customer) == 2
    assert api(org.a, "POST", f"/{lead.id}/qualify", json={"customer_id": hidden.customer_id}).status_code == 404
    assert api(org.a, "POST", f"/{lead.id}/qualify", json={"customer_id": 999999}).status_code == 404
    r = api(org.a, "POST", f"/{lead.id}/qualify", json={"customer_id": pooled.customer_id})
    assert r.status_code == 201 and (r.json["customer_id"], r.json["opened_via"]) == (pooled.customer_id, "claim")
    other = leads.create({"name": "فاطمه شریفی", "mobile": "09124443300", "owner_id": org.b.id}, org.b)
    r = api(org.b, "POST", f"/{other.id}/qualify", json={"confirmed_not_duplicate": True})
    assert r.status_code == 201 and r.json["customer_id"] not in (pooled.customer_id, hidden.customer_id)


def test_disqualify(api, db, org):
    reason = ListItem(kind="disqualify", name="شماره اشتباه")
    category = ListItem(kind="category", name="دسته")
    db.session.add_all([reason, category])
    db.session.commit()
    lead = leads.create({"name": "x y", "mobile": "09121231231", "owner_id": org.a.id}, org.a)
    assert "reason_id" in api(org.a, "POST", f"/{lead.id}/disqualify", json={}).json["error"]["fields"]
    r = api(org.a, "POST", f"/{lead.id}/disqualify", json={"reason_id": category.id})
    assert r.status_code == 422 and "reason_id" in r.json["error"]["fields"]
    r = api(org.b, "POST", f"/{lead.id}/disqualify", json={"reason_id": reason.id})
    assert r.status_code == 422 and "صاحب سرنخ" in r.json["error"]["message"]
    assert db.session.get(Lead, lead.id).status == "assigned"
    r = api(org.a, "POST", f"/{lead.id}/disqualify", json={"reason_id": reason.id, "note": "مال کس دیگری است"})
    assert r.status_code == 200 and (r.json["status"], r.json["disqualify_reason_id"]) == ("disqualified", reason.id)
    r = api(org.a, "POST", f"/{lead.id}/disqualify", json={"reason_id": reason.id})
    assert r.status_code == 422 and "باز نیست" in r.json["error"]["message"]
    assert api(org.c, "POST", f"/{lead.id}/disqualify", json={"reason_id": reason.id}).status_code == 404


def test_the_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = set(spec["paths"])
    assert {"/api/v1/crm/leads", "/api/v1/crm/leads/{lead_id}", "/api/v1/crm/leads/{lead_id}/take",
            "/api/v1/crm/leads/{lead_id}/assign", "/api/v1/crm/leads/{lead_id}/qualify",
            "/api/v1/crm/leads/{lead_id}/disqualify"} <= paths
    assert "409" in spec["paths"]["/api/v1/crm/leads"]["post"]["responses"]
    assert spec["paths"]["/api/v1/crm/leads"]["post"].get("security")
