"""Quotes, discount approvals and orders through the JSON API (/api/v1/crm): the same services
and refusals as the screens — 404 for what the caller may not see, 422 with the Persian reason
for every refusal (a veto included) and nothing written, confirming twice is once."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import auth
from core.jalali import format_date, today_tehran
from core.models.products import Product
from core.payloads import Effect, Veto
from core.testing import plugin
from plugins.crm.models import Negotiation
from plugins.crm.models.sales import DiscountLimit, Order, OrderEffect, Quote

OTHERS = ("inventory", "finance", "support", "dashboard")
HOOKS: dict = {}


def _order_confirmed(order):
    HOOKS["calls"].append(order.ref)
    if HOOKS.get("veto"):
        raise Veto(HOOKS["veto"])
    return Effect(f"acme.invoice:{order.id}", "فاکتور آزمایشی", f"/acme/invoices/{order.id}")


@pytest.fixture
def app(make_app):
    HOOKS.clear()
    HOOKS.update(calls=[], veto=None)
    app = make_app({"DISABLED_PLUGINS": OTHERS}, plugins=[("acme", plugin(order_confirmed=_order_confirmed))])
    with app.app_context():
        yield app


@pytest.fixture
def api(client):
    tokens = {}

    def call(user, method, path, **kwargs):
        if user.id not in tokens:
            tokens[user.id] = auth.create_token(user, "test")[1]
        return client.open(f"/api/v1/crm{path}", method=method,
                           headers={"Authorization": f"Bearer {tokens[user.id]}"}, **kwargs)
    return call


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def sale(db, org, register):
    class Sale:
        pass
    s = Sale()
    s.card = Product(code="K1", name="کارت‌خوان رومیزی", list_price=48_000_000, cost_price=35_000_000,
                     tax_class="standard", search_key="k1")
    s.roll = Product(code="R1", name="رول کاغذ", list_price=6_200_000, cost_price=4_000_000, tax_class="exempt",
                     search_key="r1")
    db.session.add_all([s.card, s.roll])
    db.session.commit()
    sales_group = next(g for g in org.a.groups if g.role == "sales")
    db.session.add(DiscountLimit(group_id=sales_group.id, max_percent=500))
    db.session.commit()
    s.n = register(org.a, name="فروشگاه افق کوروش")
    s.nc = register(org.c, name="کامران کاظمی")
    return s


def lines(sale, *extra):
    return [{"product_id": sale.card.id, "quantity": 3, "adhoc_percent": 2.5}, *extra]


def test_quote_to_confirmed_order(db, org, sale, api):
    # Preview: priced, explained, nothing saved.
    r = api(org.a, "POST", "/quotes/preview", json={"negotiation_id": sale.n.id, "lines": lines(sale)})
    assert r.status_code == 200, r.json
    preview = r.json
    assert preview["lines"][0]["adjustments"][0]["kind"] == "adhoc" and preview["lines"][0]["error"] == ""
    assert preview["availability_known"] is False and preview["credit"] is None
    assert preview["total"] == preview["lines"][0]["total"] and preview["limit"] == 500
    assert count(db, Quote) == 0
    # Create: the same figures as the preview; valid until today + the setting by default.
    r = api(org.a, "POST", "/quotes", json={"negotiation_id": sale.n.id, "lines": lines(sale), "notes": "فوری"})
    assert r.status_code == 201, r.json
    quote = r.json
    assert (quote["status"], quote["version"], quote["total"]) == ("draft", 1, preview["total"])
    assert quote["valid_until"] == (today_tehran() + dt.timedelta(days=7)).isoformat()
    assert quote["lines"][0]["adjustments"] == preview["lines"][0]["adjustments"]
    assert quote["customer_name"] == "فروشگاه افق کوروش"
    # Edit the draft, then read it back.
    more = lines(sale, {"product_id": sale.roll.id, "quantity": 4})
    r = api(org.a, "PUT", f"/quotes/{quote['id']}", json={"lines": more})
    assert r.status_code == 200 and len(r.json["lines"]) == 2 and r.json["notes"] == "فوری"
    assert api(org.a, "GET", f"/quotes/{quote['id']}").json["total"] == r.json["total"]
    # The proforma.
    r = api(org.a, "GET", f"/quotes/{quote['id']}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    # Send, accept, order, confirm.
    assert api(org.a, "POST", f"/quotes/{quote['id']}/send").json["status"] == "sent"
    r = api(org.a, "POST", f"/quotes/{quote['id']}/decision", json={"accept": True})
    assert r.json["status"] == "accepted"
    r = api(org.a, "POST", f"/quotes/{quote['id']}/order", json={"kind": "contract", "allow_partial": True})
    assert r.status_code == 201, r.json
    order = r.json
    quoted = api(org.a, "GET", f"/quotes/{quote['id']}").json["total"]
    assert (order["kind"], order["status"], order["quote_id"], order["total"]) == ("contract", "draft", quote["id"], quoted)
    r = api(org.a, "POST", f"/orders/{order['id']}/confirm", json={})
    assert r.status_code == 200 and r.json["status"] == "confirmed"
    assert r.json["effects"] == [{"event": "confirmed", "plugin": "acme", "ref": f"acme.invoice:{order['id']}",
                                  "label": "فاکتور آزمایشی", "url": f"/acme/invoices/{order['id']}",
                                  "at": r.json["effects"][0]["at"]}]
    # A retry: the same answer, nothing fired twice.
    r = api(org.a, "POST", f"/orders/{order['id']}/confirm", json={})
    assert r.status_code == 200 and r.json["status"] == "confirmed"
    assert HOOKS["calls"] == [f"crm.order:{order['id']}"] and count(db, OrderEffect) == 1
    assert db.session.get(Negotiation, sale.n.id).status == "won"
    # Listed; cancelled with a reason only.
    r = api(org.a, "GET", "/orders?status=confirmed")
    assert [o["id"] for o in r.json["items"]] == [order["id"]] and r.json["total"] == 1
    r = api(org.a, "POST", f"/orders/{order['id']}/cancel", json={"reason": ""})
    assert r.status_code == 422 and "reason" in r.json["error"]["fields"]
    r = api(org.a, "POST", f"/orders/{order['id']}/cancel", json={"reason": "مشتری منصرف شد"})
    assert r.json["status"] == "cancelled" and r.json["cancel_reason"] == "مشتری منصرف شد"


def test_a_veto_is_a_422_with_its_reason_and_writes_nothing(db, org, sale, api):
    quote = api(org.a, "POST", "/quotes", json={"negotiation_id": sale.n.id, "lines": lines(sale)}).json
    api(org.a, "POST", f"/quotes/{quote['id']}/send")
    api(org.a, "POST", f"/quotes/{quote['id']}/decision", json={"accept": True})
    order = api(org.a, "POST", f"/quotes/{quote['id']}/order", json={}).json
    HOOKS["veto"] = "سقف اعتبار مشتری پر شده است: ۵۰ میلیون ریال مانده."
    r = api(org.a, "POST", f"/orders/{order['id']}/confirm", json={})
    assert r.status_code == 422 and r.json["error"]["message"] == HOOKS["veto"]
    assert db.session.get(Order, order["id"]).status == "draft" and count(db, OrderEffect) == 0
    assert db.session.get(Negotiation, sale.n.id).status == "negotiating"
    # The override needs its permission (the rep has none).
    r = api(org.a, "POST", f"/orders/{order['id']}/confirm", json={"override_credit": True})
    assert r.status_code == 422 and "سقف اعتبار" in r.json["error"]["message"]


@pytest.mark.parametrize("line,field,message", [
    ({"quantity": 0}, "lines-1", "تعداد"),
    ({"quantity": -2}, "lines-1", "تعداد"),
    ({"quantity": 10 ** 12}, "lines-1", "تعداد"),
    ({"adhoc_percent": 101}, "lines-1", "درصد"),
    ({"adhoc_percent": -1}, "lines-1", "درصد"),
    ({"product_id": 99999}, "lines-1", "کالا"),
    ({"quantity": "سه"}, "lines", None),
    ({"adhoc_percent": "NaN"}, "lines", None),
])
def test_bad_lines_are_refused_in_persian(db, org, sale, api, line, field, message):
    body = {"negotiation_id": sale.n.id, "lines": [{"product_id": sale.card.id, "quantity": 1, **line}]}
    r = api(org.a, "POST", "/quotes", json=body)
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["fields"], r.json
    if message:
        assert message in r.json["error"]["fields"][field][0]
    # The preview names the same problem on the line and writes nothing either.
    p = api(org.a, "POST", "/quotes/preview", json=body)
    if message:
        assert p.status_code == 200 and message in p.json["lines"][0]["error"] and p.json["total"] == 0
    assert count(db, Quote) == 0


def test_other_refusals(db, org, sale, api):
    base = {"negotiation_id": sale.n.id, "lines": lines(sale)}
    r = api(org.a, "POST", "/quotes", json={**base, "lines": []})
    assert r.status_code == 422 and "دست‌کم" in r.json["error"]["fields"]["lines"][0]
    r = api(org.a, "POST", "/quotes", json={**base, "valid_until": "2024-02-30"})
    assert r.status_code == 422 and "valid_until" in r.json["error"]["fields"]
    r = api(org.a, "POST", "/quotes", json={**base, "valid_until": "1400/01/01"})
    assert r.status_code == 422 and "گذشته" in r.json["error"]["fields"]["valid_until"][0]
    sale.card.list_price = 10 ** 14
    db.session.commit()
    r = api(org.a, "POST", "/quotes", json={**base, "lines": [{"product_id": sale.card.id, "quantity": 100}]})
    assert r.status_code == 422 and "بزرگ" in r.json["error"]["fields"]["lines-1"][0]
    sale.card.list_price = 48_000_000
    db.session.commit()
    r = api(org.a, "POST", "/quotes/preview", json={"lines": lines(sale)})
    assert r.status_code == 422 and "negotiation_id" in r.json["error"]["fields"]
    assert count(db, Quote) == 0
    # A sent quote cannot be edited; an expired one cannot be accepted.
    quote = api(org.a, "POST", "/quotes", json={**base, "valid_until": format_date(today_tehran())}).json
    api(org.a, "POST", f"/quotes/{quote['id']}/send")
    r = api(org.a, "PUT", f"/quotes/{quote['id']}", json={"lines": lines(sale)})
    assert r.status_code == 422 and "نسخهٔ تازه" in r.json["error"]["message"]
    q = db.session.get(Quote, quote["id"])
    q.valid_until = today_tehran() - dt.timedelta(days=1)
    db.session.commit()
    r = api(org.a, "POST", f"/quotes/{quote['id']}/decision", json={"accept": True})
    assert r.status_code == 422 and "اعتبار" in r.json["error"]["message"]
    # A new version re-prices today; the old one is superseded; only from the latest.
    r = api(org.a, "POST", f"/quotes/{quote['id']}/versions")
    assert r.status_code == 201 and (r.json["number"], r.json["version"]) == (quote["number"], 2)
    assert api(org.a, "GET", f"/quotes/{quote['id']}").json["status"] == "superseded"
    assert api(org.a, "POST", f"/quotes/{quote['id']}/versions").status_code == 422
    # A deactivated product: no order from the accepted quote.
    v2 = r.json
    api(org.a, "POST", f"/quotes/{v2['id']}/send")
    api(org.a, "POST", f"/quotes/{v2['id']}/decision", json={"accept": True})
    sale.card.active = False
    db.session.commit()
    r = api(org.a, "POST", f"/quotes/{v2['id']}/order", json={})
    assert r.status_code == 422 and "غیرفعال" in r.json["error"]["message"]
    assert api(org.a, "POST", f"/quotes/{v2['id']}/order", json={"kind": "lease"}).status_code == 422
    assert count(db, Order) == 0


def test_discount_approvals(db, org, sale, api):
    body = {"negotiation_id": sale.n.id, "lines": [{"product_id": sale.card.id, "quantity": 2, "adhoc_percent": 12}]}
    quote = api(org.a, "POST", "/quotes", json=body).json
    line = quote["lines"][0]
    assert line["approval"] == "pending"
    r = api(org.a, "POST", f"/quotes/{quote['id']}/send")
    assert r.status_code == 422 and "تأیید نشده" in r.json["error"]["message"]
    assert api(org.a, "GET", "/discount-approvals").status_code == 403
    pending = api(org.manager, "GET", "/discount-approvals").json
    assert [(p["quote_id"], p["line"]["id"], p["owner_id"]) for p in pending] == [(quote["id"], line["id"], org.a.id)]
    approval = f"/quotes/{quote['id']}/lines/{line['id']}/approval"
    assert api(org.b, "POST", approval, json={"approve": True}).status_code == 403
    r = api(org.manager, "POST", f"/quotes/{quote['id']}/lines/{line['id']}/approval", json={"approve": True})
    assert r.status_code == 200 and (r.json["approval"], r.json["approved_by_id"]) == ("approved", org.manager.id)
    r = api(org.manager, "POST", f"/quotes/{quote['id']}/lines/{line['id']}/approval", json={"approve": False})
    assert r.status_code == 422
    assert api(org.manager, "GET", "/discount-approvals").json == []
    assert api(org.a, "POST", f"/quotes/{quote['id']}/send").json["status"] == "sent"
    # A direct order cannot carry the same discount past the limit.
    r = api(org.a, "POST", "/orders", json={"customer_id": sale.n.customer_id, "lines": body["lines"]})
    assert r.status_code == 422 and "سقف" in r.json["error"]["message"]
    r = api(org.a, "POST", "/orders", json={"customer_id": sale.n.customer_id,
                                            "lines": [{"product_id": sale.roll.id, "quantity": 2}]})
    assert r.status_code == 201 and r.json["quote_id"] is None and r.json["lines"][0]["quantity"] == 2


def test_what_you_may_not_see_is_404(db, org, sale, api):
    quote = api(org.a, "POST", "/quotes", json={"negotiation_id": sale.n.id, "lines": lines(sale)}).json
    order = api(org.a, "POST", "/orders", json={"customer_id": sale.n.customer_id,
                                                "lines": [{"product_id": sale.roll.id, "quantity": 1}]}).json
    for method, path, body in (("GET", f"/quotes/{quote['id']}", None), ("GET", f"/quotes/{quote['id']}/pdf", None),
                               ("PUT", f"/quotes/{quote['id']}", {"lines": lines(sale)}),
                               ("POST", f"/quotes/{quote['id']}/send", None),
                               ("POST", f"/quotes/{quote['id']}/versions", None),
                               ("POST", "/quotes", {"negotiation_id": sale.n.id, "lines": lines(sale)}),
                               ("POST", "/quotes/preview", {"negotiation_id": sale.n.id, "lines": lines(sale)}),
                               ("POST", "/quotes/preview", {"customer_id": sale.n.customer_id, "lines": lines(sale)}),
                               ("POST", "/orders", {"customer_id": sale.n.customer_id, "lines": lines(sale)}),
                               ("GET", f"/orders/{order['id']}", None),
                               ("POST", f"/orders/{order['id']}/confirm", {}),
                               ("POST", f"/orders/{order['id']}/cancel", {"reason": "x"})):
        r = api(org.c, method, path, json=body)
        assert r.status_code == 404, (method, path, r.json)
        assert r.json["error"]["code"] == "not_found"
    assert api(org.c, "GET", "/orders").json["items"] == []
    assert api(org.c, "GET", "/quotes").json["items"] == []
    assert [q["id"] for q in api(org.a, "GET", f"/quotes?negotiation_id={sale.n.id}").json["items"]] == [quote["id"]]
    assert db.session.get(Quote, quote["id"]).status == "draft"
    assert db.session.get(Order, order["id"]).status == "draft"
    # B (same office) sees A's order, may not confirm it: a clear refusal, not a 404.
    r = api(org.b, "POST", f"/orders/{order['id']}/confirm", json={})
    assert r.status_code == 422 and "مسئول" in r.json["error"]["message"]


def test_orders_list_filters(db, org, sale, api):
    first = api(org.a, "POST", "/orders", json={"customer_id": sale.n.customer_id,
                                                "lines": [{"product_id": sale.roll.id, "quantity": 1}]}).json
    second = api(org.a, "POST", "/orders", json={"customer_id": sale.n.customer_id, "kind": "contract",
                                                 "lines": [{"product_id": sale.roll.id, "quantity": 2}]}).json
    old = db.session.get(Order, first["id"])
    old.created_at -= dt.timedelta(days=30)
    db.session.commit()
    ids = lambda r: [o["id"] for o in r.json["items"]]  # noqa: E731
    assert ids(api(org.a, "GET", "/orders")) == [second["id"], first["id"]]
    assert ids(api(org.a, "GET", "/orders?kind=contract")) == [second["id"]]
    week_ago = today_tehran() - dt.timedelta(days=7)
    assert ids(api(org.a, "GET", f"/orders?from={week_ago.isoformat()}")) == [second["id"]]
    assert ids(api(org.a, "GET", f"/orders?to={format_date(week_ago)}")) == [first["id"]]
    assert ids(api(org.a, "GET", "/orders?q=کوروش&per_page=1")) == [second["id"]]
    assert api(org.a, "GET", "/orders?from=1403/13/01").status_code == 422
    r = api(org.a, "GET", f"/orders?from={today_tehran().isoformat()}&to={week_ago.isoformat()}")
    assert r.status_code == 422 and "to" in r.json["error"]["fields"]
    assert api(org.a, "GET", "/orders?status=lost").status_code == 422
    assert "lines" not in api(org.a, "GET", "/orders").json["items"][0]


def test_the_endpoints_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method in (("/api/v1/crm/quotes", "post"), ("/api/v1/crm/quotes/{quote_id}", "get"),
                         ("/api/v1/crm/quotes/preview", "post"), ("/api/v1/crm/quotes/{quote_id}/pdf", "get"),
                         ("/api/v1/crm/discount-approvals", "get"), ("/api/v1/crm/orders", "get"),
                         ("/api/v1/crm/orders/{order_id}/confirm", "post")):
        operation = spec["paths"][path][method]
        assert operation["security"] and "401" in operation["responses"], path
