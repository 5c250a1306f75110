"""The CRM JSON API: the same rules and visibility as the screens, the one error shape."""
import pytest
from sqlalchemy import func, select

from core import auth
from plugins.crm.models import Customer, Negotiation, PointEntry


@pytest.fixture
def api(client):
    def call(user, method, path, **kwargs):
        _token, secret = auth.create_token(user, "test")
        return client.open(f"/api/v1/crm{path}", method=method, headers={"Authorization": f"Bearer {secret}"}, **kwargs)
    return call


def test_register_then_log_then_win(api, db, org):
    body = {"kind": "organisation", "name": "شرکت صنایع غذایی مهرگان", "city": "تهران",
            "phones": [{"number": "021-88776655"}, {"number": "۰۹۱۲۱۲۳۴۵۶۷", "kind": "mobile"}],
            "address": "خیابان ولیعصر، پلاک ۱۲"}
    r = api(org.a, "POST", "/customers", json=body)
    assert r.status_code == 201, r.json
    negotiation = r.json
    assert negotiation["status"] == "negotiating" and negotiation["owner_id"] == org.a.id
    r = api(org.a, "POST", f"/negotiations/{negotiation['id']}/entries",
            json={"kind": "call", "summary": "تماس اول؛ کاتالوگ ارسال شد", "next_contact": "2099-01-01"})
    assert r.status_code == 201, r.json
    r = api(org.a, "POST", f"/negotiations/{negotiation['id']}/status", json={"status": "won"})
    assert r.status_code == 422 and "تأیید" in r.json["error"]["message"]
    r = api(org.a, "POST", f"/negotiations/{negotiation['id']}/status", json={"status": "won", "confirmed": True})
    assert r.status_code == 200 and r.json["status"] == "won"
    detail = api(org.a, "GET", f"/customers/{negotiation['customer_id']}").json
    assert detail["name"] == "شرکت صنایع غذایی مهرگان"
    assert {p["number"] for p in detail["phones"]} == {"021 8877 6655", "0912 123 4567"}
    assert [n["status"] for n in detail["negotiations"]] == ["won"]


def test_duplicate_warning_then_confirm(api, db, org, register):
    register(org.a, name="مریم صالحی", phones=[{"number": "09120000001", "kind": "mobile"}])
    body = {"kind": "person", "name": "خانم مریم صالحی", "phones": [{"number": "+98 912 000 0001"}]}
    r = api(org.b, "POST", "/customers", json=body)
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"
    [match] = r.json["error"]["detail"]["matches"]
    assert match["reasons"] == ["همان تلفن همراه", "نام ۱۰۰٪ مشابه پس از یکسان‌سازی"]
    assert match["score"] >= 97
    assert db.session.scalar(select(func.count(Customer.id))) == 1
    r = api(org.b, "POST", "/customers", json={**body, "confirmed_not_duplicate": True})
    assert r.status_code == 201


def test_bad_input_is_refused_and_writes_nothing(api, db, org):
    for body, field in (({"kind": "person", "name": ""}, "name"),
                        ({"kind": "person", "name": "علی", "phones": [{"number": "abc"}]}, "phones-0"),
                        ({"kind": "person", "name": "علی", "national_id": "0499370890"}, "national_id")):
        r = api(org.a, "POST", "/customers", json={**body, "confirmed_not_duplicate": True})
        assert r.status_code == 422, r.json
        assert field in r.json["error"]["fields"], r.json
    r = api(org.a, "POST", "/customers", json={"kind": "alien", "name": "x"})
    assert r.status_code == 422 and "kind" in r.json["error"]["fields"]
    assert db.session.scalar(select(func.count(Negotiation.id))) == 0


def test_hidden_records_are_404_not_403(api, db, org, register):
    n = register(org.a)
    # C works in another office: the customer and the negotiation do not exist for C.
    assert api(org.c, "GET", f"/customers/{n.customer_id}").status_code == 404
    r = api(org.c, "POST", f"/negotiations/{n.id}/status", json={"status": "cut"})
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    assert api(org.c, "POST", f"/negotiations/{n.id}/entries", json={"kind": "call", "summary": "x"}).status_code == 404
    # B in the same office sees it but may not change it.
    r = api(org.b, "POST", f"/negotiations/{n.id}/status", json={"status": "cut"})
    assert r.status_code == 422 and "مسئول" in r.json["error"]["message"]
    assert db.session.get(Negotiation, n.id).status == "negotiating"


def test_lists_and_claim_through_the_pool(api, db, org, register):
    mine = register(org.a, name="مشتری اول")
    register(org.b, name="مشتری دوم")
    other_office = register(org.c, name="مشتری اصفهان")
    names = lambda r: sorted(i["name"] for i in r.json["items"])  # noqa: E731
    assert names(api(org.a, "GET", "/customers?list=my")) == ["مشتری اول"]
    assert names(api(org.a, "GET", "/customers?list=all")) == ["مشتری اول", "مشتری دوم"]
    assert names(api(org.admin, "GET", "/customers?list=all")) == ["مشتری اصفهان", "مشتری اول", "مشتری دوم"]
    assert names(api(org.manager, "GET", "/customers?list=team")) == ["مشتری اول"]
    # C suspends; A (another office) sees it in the pool, reads its history, and claims it.
    api(org.c, "POST", f"/negotiations/{other_office.id}/status", json={"status": "suspended"})
    assert names(api(org.a, "GET", "/customers?list=pool")) == ["مشتری اصفهان"]
    history = api(org.a, "GET", f"/customers/{other_office.customer_id}").json["negotiations"]
    assert [n["status"] for n in history] == ["suspended"]
    r = api(org.a, "POST", f"/customers/{other_office.customer_id}/claim")
    assert r.status_code == 201 and r.json["owner_id"] == org.a.id
    r = api(org.b, "POST", f"/customers/{other_office.customer_id}/claim")
    assert r.status_code == 422 and "در حال مذاکره" in r.json["error"]["message"]
    penalty = db.session.scalar(select(PointEntry.points).where(PointEntry.user_id == org.c.id, PointEntry.event == "suspended"))
    assert penalty == -1
    assert api(org.a, "GET", "/customers?list=pool").json["total"] == 0
    assert mine.owner_id == org.a.id


def test_comments_only_for_managers_and_inspectors(api, db, org, register):
    from plugins.crm.services import log
    n = register(org.a)
    entry = log.add_entry(n.id, {"kind": "call", "summary": "تماس"}, org.a)
    assert api(org.b, "POST", f"/entries/{entry.id}/comments", json={"body": "نظر"}).status_code == 403
    r = api(org.inspector, "POST", f"/entries/{entry.id}/comments", json={"body": "پیگیری را سریع‌تر کنید"})
    assert r.status_code == 201 and r.json["addressee_id"] == org.a.id
    r = api(org.inspector, "POST", f"/entries/{entry.id}/comments", json={"body": "   "})
    assert r.status_code == 422
