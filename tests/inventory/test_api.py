"""The inventory's JSON API (/api/v1/inventory): the same services, permissions and Persian
refusals as the screens — 401 without a token, 403 without the permission, 422 with the reason
in Persian for every refusal and nothing written."""
import pytest
from sqlalchemy import func, select

from core import auth
from core.jalali import format_date, today_tehran
from core.persian import normalize
from plugins.crm.services import orders
from plugins.inventory.models import GoodsIssue, Move, ProductStockSetting, Reservation, Stock, Warehouse
from plugins.inventory.services import ledger


@pytest.fixture
def room(db, stockroom, make_user):
    r = stockroom
    for p in (r.reader, r.paper):
        p.search_key = normalize(f"{p.code} {p.name}")
    r.rep.max_open_negotiations = 1000
    db.session.add(ProductStockSetting(product_id=r.paper.id, reorder_level=30))
    db.session.commit()
    ledger.receipt(r.w_tehran.id, r.reader.id, 10, r.keeper)
    ledger.receipt(r.w_isfahan.id, r.reader.id, 4, r.keeper)
    ledger.receipt(r.w_tehran.id, r.paper.id, 25, r.keeper)
    r.admin = make_user("boss", role="administrator", office=r.tehran)
    return r


@pytest.fixture
def api(client):
    tokens = {}

    def call(user, method, path, **kwargs):
        headers = {}
        if user is not None:
            if user.id not in tokens:
                tokens[user.id] = auth.create_token(user, "test")[1]
            headers["Authorization"] = f"Bearer {tokens[user.id]}"
        return client.open(f"/api/v1/inventory{path}", method=method, headers=headers, **kwargs)
    return call


def count(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stock(db, product, warehouse):
    db.session.rollback()
    row = db.session.get(Stock, (product.id, warehouse.id))
    return (row.on_hand, row.reserved) if row else (0, 0)


def confirm(room, order_for, lines):
    order = order_for(room.rep, lines)
    return orders.confirm(order.id, room.rep)


def test_tokens_and_permissions(room, api):
    assert api(None, "GET", "/stock").status_code == 401
    assert api(room.rep, "GET", "/stock").status_code == 200
    assert api(room.rep, "GET", "/reservations").status_code == 403
    refused = api(room.rep, "POST", "/receipts", json={"warehouse_id": room.w_tehran.id, "product_id": room.reader.id,
                                                       "quantity": 1})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert api(room.keeper, "POST", "/warehouses", json={"name": "x", "code": "X"}).status_code == 403


def test_stock_filters_sort_and_pages(room, api):
    body = api(room.rep, "GET", "/stock", query_string={"sort": "-available"}).json
    assert body["total"] == 3
    assert [(i["product_code"], i["warehouse_name"], i["available"]) for i in body["items"]] == [
        ("R1", "انبار تهران", 25), ("K1", "انبار تهران", 10), ("K1", "انبار اصفهان", 4)]
    assert body["items"][0]["level"] == "low" and body["items"][0]["reorder_level"] == 30
    found = api(room.rep, "GET", "/stock", query_string={"q": "كارت", "warehouse_id": room.w_isfahan.id}).json
    assert [(i["product_id"], i["on_hand"]) for i in found["items"]] == [(room.reader.id, 4)]
    assert [i["product_code"] for i in api(room.rep, "GET", "/stock?low=true").json["items"]] == ["R1"]
    summed = api(room.rep, "GET", "/stock", query_string={"per": "product", "q": "k1"}).json["items"]
    assert summed == [{**summed[0], "warehouse_id": None, "on_hand": 14, "available": 14}]
    paged = api(room.rep, "GET", "/stock?per_page=2&page=2").json
    assert paged["pages"] == 2 and len(paged["items"]) == 1
    bad = api(room.rep, "GET", "/stock?sort=price")
    assert bad.status_code == 422 and "sort" in bad.json["error"]["fields"]


def test_availability(room, api, db):
    db.session.add(ProductStockSetting(product_id=room.reader.id, reorder_level=0, tracked=True))
    db.session.commit()
    body = api(room.rep, "GET", "/availability",
               query_string={"product_ids": f"{room.reader.id},{room.paper.id}", "office_id": room.isfahan.id}).json
    assert [(a["product_id"], a["available"]) for a in body] == [(room.reader.id, 14), (room.paper.id, 25)]
    assert body[0]["label"].startswith("انبار اصفهان")
    assert api(room.rep, "GET", "/availability?product_ids=a,b").status_code == 422


def test_issue_through_the_api(room, api, db, order_for):
    order = confirm(room, order_for, [(room.reader, 6), (room.paper, 5)])
    ref = f"crm.order:{order.id}"
    listed = api(room.keeper, "GET", "/reservations", query_string={"order_ref": ref}).json
    held = {r["product_id"]: r for r in listed["items"]}
    assert held[room.reader.id]["remaining"] == 6 and held[room.reader.id]["status"] == "open"
    reader_line = held[room.reader.id]["id"]
    made = api(room.keeper, "POST", "/issues", json={"order_ref": ref, "warehouse_id": room.w_tehran.id,
                                                     "lines": [{"reservation_id": reader_line, "quantity": 4}],
                                                     "notes": "پیک"})
    assert made.status_code == 201, made.json
    slip = made.json
    assert (slip["number"], slip["order_number"], slip["warehouse_name"], slip["notes"]) == (1, order.number, "انبار تهران", "پیک")
    assert [(li["product_code"], li["quantity"]) for li in slip["lines"]] == [("K1", 4)]
    assert slip["url"] == "/inventory/issues/1" and slip["created_by_id"] == room.keeper.id
    assert stock(db, room.reader, room.w_tehran) == (6, 2)
    assert api(room.keeper, "GET", "/issues/1").json["lines"] == slip["lines"]
    assert api(room.keeper, "GET", "/issues", query_string={"q": str(order.number)}).json["items"][0]["units"] == 4
    assert api(room.keeper, "GET", "/issues/99").status_code == 404
    # Refusals: more than reserved, a zero, a line listed twice, another order's line.
    other = confirm(room, order_for, [(room.reader, 1)])
    other_line = db.session.scalar(select(Reservation.id).where(Reservation.order_ref == f"crm.order:{other.id}"))
    for payload, where, message in [
        ({"lines": [{"reservation_id": reader_line, "quantity": 3}]}, "message", "فقط ۲ واحد رزرو باقی است"),
        ({"lines": [{"reservation_id": reader_line, "quantity": 0}]}, "lines", "بیشتر از صفر"),
        ({"lines": [{"reservation_id": reader_line, "quantity": 1}, {"reservation_id": reader_line, "quantity": 1}]},
         "lines", "یک بار"),
        ({"lines": [{"reservation_id": reader_line, "quantity": 1}, {"reservation_id": other_line, "quantity": 1}]},
         "message", "فقط برای یک سفارش از یک انبار"),
        ({"order_ref": ref, "warehouse_id": room.w_tehran.id, "lines": [{"reservation_id": other_line, "quantity": 1}]},
         "message", "فقط برای یک سفارش از یک انبار"),
        ({"lines": [{"reservation_id": 999, "quantity": 1}]}, "message", "پیدا نشد"),
        ({"lines": [{"reservation_id": reader_line}]}, "lines", "این فیلد را وارد کنید"),
    ]:
        response = api(room.keeper, "POST", "/issues", json=payload)
        error = response.json["error"]
        assert response.status_code == 422, payload
        shown = error["message"] if where == "message" else str(error.get("fields", {}).get(where))
        assert message in shown, (payload, error)
    assert count(db, GoodsIssue) == 1 and stock(db, room.reader, room.w_tehran) == (6, 3)


def test_receipt_adjust_transfer(room, api, db, order_for):
    made = api(room.keeper, "POST", "/receipts", json={"warehouse_id": room.w_isfahan.id, "product_id": room.paper.id,
                                                       "quantity": 40, "reason": "بارنامهٔ ۱۲"})
    assert made.status_code == 201
    assert (made.json["kind"], made.json["on_hand_delta"], made.json["created_by_name"]) == \
        ("receipt", 40, room.keeper.full_name)
    confirm(room, order_for, [(room.reader, 7)])  # Tehran: 10 on hand, 7 reserved
    same = api(room.keeper, "POST", "/adjustments", json={"warehouse_id": room.w_tehran.id,
                                                          "product_id": room.reader.id, "counted": 10, "reason": "شمارش"})
    assert same.status_code == 201 and same.json == {"changed": False, "move": None}
    below = api(room.keeper, "POST", "/adjustments", json={"warehouse_id": room.w_tehran.id,
                                                           "product_id": room.reader.id, "counted": 5, "reason": "شمارش"})
    assert below.status_code == 422 and "۷ واحد" in below.json["error"]["fields"]["counted"][0]
    no_reason = api(room.keeper, "POST", "/adjustments", json={"warehouse_id": room.w_tehran.id,
                                                               "product_id": room.reader.id, "counted": 8, "reason": " "})
    assert "دلیل" in no_reason.json["error"]["fields"]["reason"][0]
    counted = api(room.keeper, "POST", "/adjustments", json={"warehouse_id": room.w_tehran.id,
                                                             "product_id": room.reader.id, "counted": 8, "reason": "شکستگی"})
    assert counted.json["changed"] and counted.json["move"]["on_hand_delta"] == -2
    base = {"from_warehouse_id": room.w_tehran.id, "to_warehouse_id": room.w_isfahan.id, "product_id": room.reader.id}
    for payload, field, message in [
        ({**base, "quantity": 2}, "quantity", "فقط ۱ واحد آزاد"),
        ({**base, "to_warehouse_id": room.w_tehran.id, "quantity": 1}, "to_warehouse_id", "فرق"),
        ({**base, "to_warehouse_id": 999, "quantity": 1}, "to_warehouse_id", "وجود ندارد"),
        ({**base, "from_warehouse_id": 999, "quantity": 1}, "from_warehouse_id", "وجود ندارد"),
        ({**base, "quantity": -1}, "quantity", "بیشتر از صفر"),
    ]:
        response = api(room.keeper, "POST", "/transfers", json=payload)
        assert response.status_code == 422 and message in response.json["error"]["fields"][field][0], payload
    moved = api(room.keeper, "POST", "/transfers", json={**base, "quantity": 1})
    assert moved.status_code == 201
    assert (moved.json["out"]["on_hand_delta"], moved.json["in"]["on_hand_delta"]) == (-1, 1)
    assert stock(db, room.reader, room.w_tehran) == (7, 7) and stock(db, room.reader, room.w_isfahan) == (5, 0)
    bad = api(room.keeper, "POST", "/receipts", json={"warehouse_id": room.w_tehran.id, "product_id": room.reader.id,
                                                      "quantity": "پنج"})
    assert bad.status_code == 422 and bad.json["error"]["fields"]["quantity"] == ["عدد صحیح معتبر نیست."]


def test_movements(room, api, db, order_for):
    order = confirm(room, order_for, [(room.reader, 2)])
    body = api(room.rep, "GET", "/movements", query_string={"product_id": room.reader.id}).json
    assert [m["kind"] for m in body["items"]] == ["reservation", "receipt", "receipt"]
    assert body["items"][0]["order_number"] == order.number and body["items"][0]["kind_label"] == "رزرو"
    assert body["items"][0]["created_by_id"] == room.rep.id  # the user who confirmed the order
    kinds = api(room.rep, "GET", "/movements", query_string={"kind": "receipt", "warehouse_id": room.w_tehran.id}).json
    assert kinds["total"] == 2
    today = format_date(today_tehran(), "en")
    assert api(room.rep, "GET", "/movements", query_string={"from": today}).json["total"] == count(db, Move)
    assert api(room.rep, "GET", "/movements", query_string={"to": "2020-01-01"}).json["total"] == 0
    wrong = api(room.rep, "GET", "/movements", query_string={"from": "2024-02-30"})
    assert wrong.status_code == 422 and "from" in wrong.json["error"]["fields"]
    assert api(room.rep, "GET", "/movements?kind=theft").status_code == 422


def test_warehouses_and_settings(room, api, db):
    assert [w["code"] for w in api(room.rep, "GET", "/warehouses").json] == ["W1", "W2"]
    made = api(room.admin, "POST", "/warehouses", json={"name": "انبار کرج", "code": "w3", "office_id": room.tehran.id})
    assert made.status_code == 201 and made.json["code"] == "W3"
    clash = api(room.admin, "POST", "/warehouses", json={"name": "انبار کرج", "code": "W4"})
    assert clash.status_code == 422 and "نام" in clash.json["error"]["fields"]["name"][0]
    patched = api(room.admin, "PATCH", f"/warehouses/{made.json['id']}", json={"active": False})
    assert patched.json["active"] is False and patched.json["name"] == "انبار کرج"
    assert api(room.admin, "PATCH", "/warehouses/999", json={"active": False}).status_code == 404
    setting = api(room.admin, "PUT", f"/products/{room.reader.id}/settings", json={"reorder_level": 12})
    assert setting.json == {"product_id": room.reader.id, "reorder_level": 12, "tracked": True}
    assert api(room.admin, "PUT", f"/products/{room.reader.id}/settings", json={"tracked": False}).json["reorder_level"] == 12
    negative = api(room.admin, "PUT", f"/products/{room.reader.id}/settings", json={"reorder_level": -1})
    assert negative.status_code == 422
    assert db.session.get(ProductStockSetting, room.reader.id).tracked is False
    assert count(db, Warehouse) == 3


def test_openapi_documents_the_inventory(room, client):
    spec = client.get("/api/v1/openapi.json").json
    paths = {p for p in spec["paths"] if p.startswith("/api/v1/inventory/")}
    for path in ("stock", "availability", "reservations", "issues", "issues/{number}", "receipts", "adjustments",
                 "transfers", "movements", "warehouses"):
        assert f"/api/v1/inventory/{path}" in paths, path
    assert spec["paths"]["/api/v1/inventory/receipts"]["post"].get("security")
