"""The warehouse staff's screens through the test client: stock (search, filters, low stock,
sorting, paging, exports), the queue of reservations waiting to be issued, goods issue with its
refusals and the printable slip, receipts, counts and transfers with their refusals, the
movement history, the warehouses admin and reorder levels, the customer panel — and who may
open what. Real database, real CRM orders confirmed through the hooks."""
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.jalali import format_date, today_tehran
from core.persian import normalize, to_persian_digits
from plugins.crm.services import orders
from plugins.inventory.models import GoodsIssue, Move, ProductStockSetting, Reservation, Stock, Warehouse
from plugins.inventory.services import ledger, reservations


def text(response) -> str:
    return response.get_data(as_text=True)


def fa(value) -> str:
    return to_persian_digits(f"{value:,}".replace(",", "٬"))


def kinds_of(page: str) -> list[str]:
    """The kinds of the moves listed, in order."""
    return re.findall(r'<tr data-move="\d+" data-kind="(\w+)">', page)


def count(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stock(db, product, warehouse) -> tuple[int, int]:
    db.session.rollback()
    row = db.session.get(Stock, (product.id, warehouse.id))
    return (row.on_hand, row.reserved) if row else (0, 0)


def rows(response, attr="data-product") -> list[str]:
    return re.findall(rf'<tr class="inv-\w+" {attr}="(\d+)"', text(response))


@pytest.fixture
def room(db, stockroom, make_user):
    """The stockroom with searchable names, a reorder level, stock in both warehouses, a sales
    rep with a bigger quota and an administrator."""
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
def confirmed(room, order_for):
    """`confirmed([(product, qty), …])` → a CRM order confirmed through the hooks."""
    def make(lines):
        order = order_for(room.rep, lines)
        return orders.confirm(order.id, room.rep)
    return make


# --- who may open what ----------------------------------------------------------------------------

def test_permissions_by_role(room, client, login_as, confirmed):
    order = confirmed([(room.reader, 2)])
    ref = f"crm.order:{order.id}"
    pages = ["/inventory/stock", "/inventory/moves", f"/inventory/products/{room.reader.id}", f"/inventory/orders/{ref}"]
    orders_pages = ["/inventory/reservations", "/inventory/issues"]
    operate = ["/inventory/receipt", "/inventory/count", "/inventory/transfer",
               f"/inventory/issue/{room.w_tehran.id}/{ref}"]
    admin = ["/inventory/warehouses", "/inventory/warehouses/new", "/inventory/settings"]
    login_as(room.rep)  # sales: stock and history, not the customers' orders nor the operations
    assert [client.get(p).status_code for p in pages] == [200] * 4
    assert [client.get(p).status_code for p in orders_pages + operate + admin] == [403] * 9
    login_as(room.keeper)
    assert [client.get(p).status_code for p in pages + orders_pages + operate] == [200] * 10
    assert [client.get(p).status_code for p in admin] == [403] * 3
    login_as(room.admin)
    assert [client.get(p).status_code for p in admin] == [200] * 3
    # Customer names stay with those who handle the orders.
    login_as(room.rep)
    page = text(client.get(f"/inventory/orders/{ref}"))
    assert "کارت‌خوان" in page and "مشتری:" not in page
    login_as(room.keeper)
    assert "مشتری:" in text(client.get(f"/inventory/orders/{ref}"))


def test_menu_shows_what_the_role_may_use(room, client, login_as):
    login_as(room.rep)
    home = text(client.get("/inventory/stock"))
    assert 'data-menu="inventory.stock"' in home and 'data-menu="inventory.receipt"' not in home
    login_as(room.keeper)
    home = text(client.get("/inventory/stock"))
    for key in ("stock", "reservations", "issues", "receipt", "count", "transfer", "moves"):
        assert f'data-menu="inventory.{key}"' in home
    assert 'data-menu="inventory.warehouses"' not in home


# --- stock --------------------------------------------------------------------------------------

def test_stock_search_filter_low_sort_page(room, client, login_as):
    login_as(room.keeper)
    everything = client.get("/inventory/stock")
    assert len(rows(everything)) == 3
    # Normalised search: Arabic kaf and yeh find «کارت‌خوان»; the code too, in any case.
    for q in ("كارت", "k1", "كارت خوان"):
        assert set(rows(client.get("/inventory/stock", query_string={"q": q}))) == {str(room.reader.id)}, q
    # Warehouse filter.
    isfahan = client.get("/inventory/stock", query_string={"warehouse": room.w_isfahan.id})
    assert re.findall(r'data-warehouse="(\d+)" data-level', text(isfahan)) == [str(room.w_isfahan.id)]
    # Low stock: paper has 25 available and a reorder level of 30; readers have no level.
    page = text(everything)
    assert re.search(rf'class="inv-low" data-product="{room.paper.id}"', page)
    assert "۱ ردیف در نقطهٔ سفارش یا کمتر" in page
    low = client.get("/inventory/stock", query_string={"low": "1"})
    assert rows(low) == [str(room.paper.id)] and "کمتر از نقطهٔ سفارش" in text(low)
    # Sorting by available, descending: paper 25, reader Tehran 10, reader Isfahan 4.
    ordered = re.findall(r'data-product="(\d+)" data-warehouse="(\d+)"', text(client.get("/inventory/stock?sort=-available")))
    assert ordered == [(str(room.paper.id), str(room.w_tehran.id)), (str(room.reader.id), str(room.w_tehran.id)),
                       (str(room.reader.id), str(room.w_isfahan.id))]
    # Paging.
    first, second = client.get("/inventory/stock?size=5&sort=-available"), None
    assert len(rows(first)) == 3
    for n in range(6):
        ledger.receipt(room.w_tehran.id, _product(n).id, 1, room.keeper)
    second = client.get("/inventory/stock?size=5&page=2")
    assert len(rows(second)) == 4 and "بعدی" in text(second)
    # One row per product: the warehouses summed.
    per_product = text(client.get("/inventory/stock", query_string={"per": "product", "q": "k1"}))
    assert re.search(rf'data-product="{room.reader.id}" data-warehouse=""', per_product)
    assert f'data-col="on_hand">{fa(14)}<' in per_product


def _product(n):
    from core.db import db
    from core.models.products import Product
    p = Product(code=f"Z{n}", name=f"کالای {n}", list_price=1000, cost_price=500, search_key=normalize(f"Z{n} کالای {n}"))
    db.session.add(p)
    db.session.commit()
    return p


def test_stock_exports(room, client, login_as, confirmed):
    confirmed([(room.reader, 3)])
    login_as(room.keeper)
    response = client.get("/inventory/stock?export=csv&sort=code")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0] == ["کد کالا", "کالا", "واحد", "انبار", "موجود", "رزرو", "آزاد", "نقطهٔ سفارش", "وضعیت"]
    assert table[1][:8] == ["K1", "کارت‌خوان", "عدد", "انبار تهران", "10", "3", "7", "0"]
    assert ["R1", "رول کاغذ", "عدد", "انبار تهران", "25", "0", "25", "30", "کمتر از نقطهٔ سفارش"] in table
    workbook = load_workbook(io.BytesIO(client.get("/inventory/stock?export=xlsx&low=1").data))
    sheet = workbook.active
    assert sheet.sheet_view.rightToLeft
    assert [c.value for c in sheet[2]][:2] == ["R1", "رول کاغذ"] and sheet.max_row == 2


# --- the queue, goods issue and the slip ---------------------------------------------------------

def test_queue_by_warehouse_and_search(room, client, login_as, confirmed):
    # 12 readers: 10 from Tehran (the rep's office first), 2 from Isfahan.
    order = confirmed([(room.reader, 12), (room.paper, 5)])
    other = confirmed([(room.paper, 2)])
    login_as(room.keeper)
    own = text(client.get("/inventory/reservations"))  # the keeper's office: Tehran
    groups = re.findall(r'data-order="(crm\.order:\d+)" data-warehouse="(\d+)"', own)
    assert groups == [(f"crm.order:{order.id}", str(room.w_tehran.id)), (f"crm.order:{other.id}", str(room.w_tehran.id))]
    everywhere = text(client.get("/inventory/reservations?warehouse=all"))
    assert (f"crm.order:{order.id}", str(room.w_isfahan.id)) in re.findall(
        r'data-order="(crm\.order:\d+)" data-warehouse="(\d+)"', everywhere)
    by_number = text(client.get("/inventory/reservations", query_string={"warehouse": "all", "q": fa(other.number)}))
    assert re.findall(r'data-order="(crm\.order:\d+)"', by_number) == [f"crm.order:{other.id}"]
    customer = db_party_name(other)
    by_name = text(client.get("/inventory/reservations", query_string={"warehouse": "all", "q": customer}))
    assert re.findall(r'data-order="(crm\.order:\d+)"', by_name) == [f"crm.order:{other.id}"]


def db_party_name(order):
    from core.db import db
    from core.models.parties import Party
    return db.session.get(Party, db.session.scalar(select(Reservation.party_id).where(
        Reservation.order_ref == f"crm.order:{order.id}").limit(1))).name


def test_issue_partial_then_the_rest_and_the_slip(db, room, client, login_as, confirmed):
    order = confirmed([(room.reader, 6), (room.paper, 5)])
    ref = f"crm.order:{order.id}"
    held = {r.product_id: r for r in db.session.scalars(select(Reservation).where(Reservation.order_ref == ref))}
    login_as(room.keeper)
    form = text(client.get(f"/inventory/issue/{room.w_tehran.id}/{ref}"))
    # Every line offered in full by default.
    assert f'name="qty-{held[room.reader.id].id}"' in form and f'value="{fa(6)}"' in form
    response = client.post(f"/inventory/issue/{room.w_tehran.id}/{ref}",
                           data={f"qty-{held[room.reader.id].id}": "۴", f"qty-{held[room.paper.id].id}": "0",
                                 "notes": "تحویل به پیک"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inventory/issues/1")
    assert stock(db, room.reader, room.w_tehran) == (6, 2) and stock(db, room.paper, room.w_tehran) == (25, 5)
    slip = text(client.get("/inventory/issues/1"))
    assert "برگهٔ خروج کالا" in slip and 'id="slip-number">۱<' in slip
    assert format_date(today_tehran()) in slip or format_date(db.session.scalar(select(GoodsIssue.created_at))) in slip
    assert 'id="slip-warehouse">انبار تهران<' in slip and f'id="slip-order">{fa(order.number)}<' in slip
    assert f'id="slip-customer">{db_party_name(order)}<' in slip and f'id="slip-keeper">{room.keeper.full_name}<' in slip
    assert "کارت‌خوان" in slip and "رول کاغذ" not in slip and 'id="slip-total">۴<' in slip
    assert "size: A5" in slip and "@media print" in slip and "تحویل به پیک" in slip
    assert "size: A4" in text(client.get("/inventory/issues/1?size=a4"))
    # The rest, from the queue's form again.
    client.post(f"/inventory/issue/{room.w_tehran.id}/{ref}",
                data={f"qty-{held[room.reader.id].id}": "2", f"qty-{held[room.paper.id].id}": "5"})
    assert stock(db, room.reader, room.w_tehran) == (4, 0) and stock(db, room.paper, room.w_tehran) == (20, 0)
    assert ref not in text(client.get("/inventory/reservations?warehouse=all"))
    # Nothing left to issue: the form sends the keeper back to the order.
    assert client.get(f"/inventory/issue/{room.w_tehran.id}/{ref}").status_code == 302
    listing = text(client.get("/inventory/issues"))
    assert re.findall(r'data-slip="(\d+)"', listing) == ["2", "1"]
    order_page = text(client.get(f"/inventory/orders/{ref}"))
    assert 'data-status="issued"' in order_page and "برگه‌های خروج این سفارش" in order_page


@pytest.mark.parametrize("typed, message", [
    ("7", "فقط ۶ واحد رزرو باقی است"),
    ("-2", "بیشتر از صفر"),
    ("دو", "عدد صحیح"),
    ("0", "دست‌کم برای یک ردیف"),
])
def test_issue_refusals_write_nothing(db, room, client, login_as, confirmed, typed, message):
    order = confirmed([(room.reader, 6)])
    ref = f"crm.order:{order.id}"
    rid = db.session.scalar(select(Reservation.id).where(Reservation.order_ref == ref))
    login_as(room.keeper)
    response = client.post(f"/inventory/issue/{room.w_tehran.id}/{ref}", data={f"qty-{rid}": typed})
    assert response.status_code == 200 and message in text(response)
    assert f'value="{typed}"' in text(response)  # what was typed stays in the form
    assert count(db, GoodsIssue) == 0 and count(db, Move, Move.kind == "issue") == 0
    assert stock(db, room.reader, room.w_tehran) == (10, 6)


def test_issue_refuses_two_orders_on_one_slip(db, room, client, login_as, confirmed):
    first, second = confirmed([(room.reader, 1)]), confirmed([(room.reader, 2)])
    ids = {o.id: db.session.scalar(select(Reservation.id).where(Reservation.order_ref == f"crm.order:{o.id}"))
           for o in (first, second)}
    login_as(room.keeper)
    url = f"/inventory/issue/{room.w_tehran.id}/crm.order:{first.id}"
    mixed = client.post(url, data={f"qty-{ids[first.id]}": "1", f"qty-{ids[second.id]}": "2"})
    assert "فقط برای یک سفارش از یک انبار" in text(mixed)
    other_only = client.post(url, data={f"qty-{ids[second.id]}": "2"})  # another order's line on this form
    assert "فقط برای یک سفارش از یک انبار" in text(other_only)
    assert count(db, GoodsIssue) == 0 and stock(db, room.reader, room.w_tehran) == (10, 3)


def test_cancelled_order_leaves_the_queue(room, client, login_as, confirmed):
    order = confirmed([(room.reader, 3)])
    login_as(room.keeper)
    assert f"crm.order:{order.id}" in text(client.get("/inventory/reservations"))
    orders.cancel(order.id, room.rep, "مشتری منصرف شد")
    assert f"crm.order:{order.id}" not in text(client.get("/inventory/reservations"))
    page = text(client.get(f"/inventory/orders/crm.order:{order.id}"))
    assert 'data-status="released"' in page
    history = text(client.get(f"/inventory/products/{room.reader.id}"))
    assert 'data-kind="release"' in history and "لغو سفارش" in history


# --- receipts, counts, transfers -------------------------------------------------------------------

def test_receipt_with_persian_digits_and_its_refusals(db, room, client, login_as):
    login_as(room.keeper)
    form = text(client.get(f"/inventory/receipt?product=K1&warehouse_id={room.w_isfahan.id}"))
    assert 'value="K1"' in form and f'<option selected value="{room.w_isfahan.id}"' in form
    ok = client.post("/inventory/receipt", data={"warehouse_id": room.w_isfahan.id, "product": "K1 — کارت‌خوان",
                                                 "quantity": "۱٬۲۰۰", "reason": "بارنامهٔ ۴۵۱"})
    assert ok.status_code == 302
    assert stock(db, room.reader, room.w_isfahan) == (1204, 0)
    assert "رسید ۱٬۲۰۰ «کارت‌خوان» ثبت شد" in text(client.get(ok.headers["Location"]))
    before = count(db, Move)
    for data, message in [
        ({"warehouse_id": room.w_isfahan.id, "product": "K1", "quantity": "-5"}, "بیشتر از صفر"),
        ({"warehouse_id": room.w_isfahan.id, "product": "K1", "quantity": "0"}, "بیشتر از صفر"),
        ({"warehouse_id": room.w_isfahan.id, "product": "K1", "quantity": "پنج"}, "عدد صحیح"),
        ({"warehouse_id": room.w_isfahan.id, "product": "ناموجود", "quantity": "5"}, "پیدا نشد"),
        ({"warehouse_id": "", "product": "K1", "quantity": "5"}, "انبار"),
        ({"warehouse_id": room.w_isfahan.id, "product": "", "quantity": "5"}, "کالا را انتخاب کنید"),
    ]:
        response = client.post("/inventory/receipt", data=data)
        assert response.status_code == 200 and message in text(response), (data, message)
        assert "is-invalid" in text(response) or "alert-danger" in text(response)
    assert count(db, Move) == before and stock(db, room.reader, room.w_isfahan) == (1204, 0)


def test_count_adjusts_with_a_reason_never_below_reserved(db, room, client, login_as, confirmed):
    confirmed([(room.reader, 4)])  # 4 of Tehran's 10 reserved
    login_as(room.keeper)
    line = text(client.get("/inventory/stock/line", query_string={"warehouse_id": room.w_tehran.id, "product": "K1"}))
    assert f'data-col="on_hand">{fa(10)}<' in line and f'data-col="reserved">{fa(4)}<' in line
    base = {"warehouse_id": room.w_tehran.id, "product": "K1"}
    no_reason = client.post("/inventory/count", data={**base, "counted": "8", "reason": ""})
    assert "دلیل اصلاح موجودی را بنویسید" in text(no_reason)
    too_few = client.post("/inventory/count", data={**base, "counted": "3", "reason": "شمارش"})
    assert "۴ واحد از این کالا برای سفارش‌ها رزرو است" in text(too_few)
    negative = client.post("/inventory/count", data={**base, "counted": "-1", "reason": "شمارش"})
    assert "منفی" in text(negative)
    assert count(db, Move, Move.kind == "adjustment") == 0
    same = client.post("/inventory/count", data={**base, "counted": "10", "reason": "شمارش"}, follow_redirects=True)
    assert "اصلاحی لازم نبود" in text(same) and count(db, Move, Move.kind == "adjustment") == 0
    done = client.post("/inventory/count", data={**base, "counted": "۸", "reason": "دو دستگاه آسیب‌دیده"},
                       follow_redirects=True)
    assert "به ۸ اصلاح شد" in text(done) and stock(db, room.reader, room.w_tehran) == (8, 4)
    move = db.session.scalar(select(Move).where(Move.kind == "adjustment"))
    assert (move.on_hand_delta, move.reason, move.created_by_id) == (-2, "دو دستگاه آسیب‌دیده", room.keeper.id)


def test_transfer_and_its_refusals(db, room, client, login_as, confirmed):
    confirmed([(room.reader, 7)])  # Tehran: 10 on hand, 7 reserved, 3 free
    login_as(room.keeper)
    base = {"warehouse_id": room.w_tehran.id, "to_id": room.w_isfahan.id, "product": "K1"}
    for data, message in [
        ({**base, "quantity": "5"}, "فقط ۳ واحد آزاد"),
        ({**base, "to_id": room.w_tehran.id, "quantity": "1"}, "انبار مقصد باید با مبدأ فرق داشته باشد"),
        ({**base, "to_id": "", "quantity": "1"}, "انبار مقصد را انتخاب کنید"),
        ({**base, "quantity": "-1"}, "بیشتر از صفر"),
    ]:
        assert message in text(client.post("/inventory/transfer", data=data)), message
    assert count(db, Move, Move.kind.like("transfer%")) == 0
    done = client.post("/inventory/transfer", data={**base, "quantity": "3", "reason": "کمبود اصفهان"})
    assert done.status_code == 302
    assert stock(db, room.reader, room.w_tehran) == (7, 7) and stock(db, room.reader, room.w_isfahan) == (7, 0)


# --- the movement history --------------------------------------------------------------------------

def test_movement_history_per_product_and_warehouse(db, room, client, login_as, confirmed):
    order = confirmed([(room.reader, 2)])
    rid = db.session.scalar(select(Reservation.id))
    reservations.issue({rid: 1}, room.keeper)
    ledger.transfer(room.w_tehran.id, room.w_isfahan.id, room.reader.id, 2, room.keeper, "جابه‌جایی")
    ledger.adjust(room.w_isfahan.id, room.reader.id, 5, room.keeper, "شمارش فصلی")
    login_as(room.keeper)
    page = text(client.get(f"/inventory/products/{room.reader.id}"))
    kinds = kinds_of(page)
    assert kinds[:6] == ["adjustment", "transfer_in", "transfer_out", "issue", "reservation", "receipt"]
    assert f"سفارش {fa(order.number)}" in page and "برگهٔ ۱" in page and "به انبار اصفهان" in page
    assert "از انبار تهران" in page and "شمارش فصلی" in page and room.keeper.full_name in page
    assert 'dir="ltr">−۱<' in page and 'dir="ltr">+۲<' in page
    # Posted moves have no edit or delete action, and no route accepts one.
    table = page.split('id="moves-table"')[1].split("</table>")[0]
    assert "ویرایش" not in table and "حذف" not in table and "<form" not in table and "<button" not in table
    move_id = db.session.scalar(select(func.max(Move.id)))
    assert client.post(f"/inventory/moves/{move_id}").status_code in (404, 405)
    # Filters: kind, warehouse, dates (Jalali, any digits).
    issues_only = text(client.get(f"/inventory/products/{room.reader.id}?kind=issue"))
    assert kinds_of(issues_only) == ["issue"]
    isfahan = text(client.get(f"/inventory/warehouses/{room.w_isfahan.id}/moves"))
    assert set(kinds_of(isfahan)) == {"receipt", "transfer_in", "adjustment"}
    today = format_date(today_tehran())
    assert len(re.findall(r"data-move=", text(client.get("/inventory/moves", query_string={"from": today, "to": today})))) \
        == count(db, Move)
    assert "data-move=" not in text(client.get("/inventory/moves", query_string={"to": "1390/01/01"}))
    assert "به شکل ۱۴۰۳/۰۵/۱۲" in text(client.get("/inventory/moves", query_string={"from": "دیروز"}))
    typed = text(client.get("/inventory/moves", query_string={"item": "رول"}))
    assert set(kinds_of(typed)) == {"receipt"} and "کارت‌خوان" not in typed.split("moves-table")[1]
    exported = client.get(f"/inventory/products/{room.reader.id}?export=csv").get_data(as_text=True)
    assert "خروج کالا" in exported and f"سفارش {order.number}، برگهٔ خروج 1" in exported


def test_sales_rep_sees_history_without_slip_links(db, room, client, login_as, confirmed):
    confirmed([(room.reader, 1)])
    reservations.issue({db.session.scalar(select(Reservation.id)): 1}, room.keeper)
    login_as(room.rep)
    page = text(client.get(f"/inventory/products/{room.reader.id}"))
    assert "برگهٔ ۱" in page and "/inventory/issues/1" not in page
    assert client.get("/inventory/issues/1").status_code == 403


# --- warehouses and reorder levels ---------------------------------------------------------------

def test_warehouse_admin(db, room, client, login_as, confirmed):
    login_as(room.admin)
    created = client.post("/inventory/warehouses/new", data={"name": "انبار شیراز", "code": "w9", "office_id": "",
                                                            "active": "y"})
    assert created.status_code == 302
    shiraz = db.session.scalar(select(Warehouse).where(Warehouse.name == "انبار شیراز"))
    assert shiraz.code == "W9" and shiraz.active
    duplicate = client.post("/inventory/warehouses/new", data={"name": "انبار دیگر", "code": "W1", "active": "y"})
    assert "انبار دیگری با این کد هست" in text(duplicate)
    no_name = client.post("/inventory/warehouses/new", data={"name": "", "code": "W8", "active": "y"})
    assert "«نام انبار» را وارد کنید" in text(no_name)
    assert count(db, Warehouse) == 3
    edited = client.post(f"/inventory/warehouses/{shiraz.id}/edit", data={"name": "انبار شیراز", "code": "W9",
                                                                          "office_id": room.isfahan.id})
    assert edited.status_code == 302
    db.session.expire_all()
    assert not shiraz.active and shiraz.office_id == room.isfahan.id
    assert "انبار شیراز" in text(client.get("/inventory/warehouses"))
    assert "سابقهٔ تغییرات" in text(client.get(f"/inventory/warehouses/{shiraz.id}/edit"))
    # An inactive warehouse takes no receipts; one with open reservations stays active.
    login_as(room.keeper)
    refused = client.post("/inventory/receipt", data={"warehouse_id": shiraz.id, "product": "K1", "quantity": "1"})
    assert "غیرفعال" in text(refused)
    confirmed([(room.reader, 1)])
    login_as(room.admin)
    kept = client.post(f"/inventory/warehouses/{room.w_tehran.id}/edit", data={"name": "انبار تهران", "code": "W1",
                                                                               "office_id": room.tehran.id})
    assert "رزرو باز در این انبار منتظر خروج است" in text(kept)
    db.session.expire_all()
    assert db.session.get(Warehouse, room.w_tehran.id).active


def test_reorder_level_and_untracked_products(db, room, client, login_as, order_for):
    login_as(room.admin)
    page = text(client.get("/inventory/settings", query_string={"q": "كارت"}))
    assert f'id="setting-{room.reader.id}"' in page and f'id="setting-{room.paper.id}"' not in page
    row = client.post(f"/inventory/settings/{room.reader.id}", data={"reorder_level": "۱۲", "tracked": "y"},
                      headers={"HX-Request": "true"})
    assert row.status_code == 200 and "ذخیره شد" in text(row) and 'value="۱۲"' in text(row)
    assert db.session.get(ProductStockSetting, room.reader.id).reorder_level == 12
    bad = client.post(f"/inventory/settings/{room.reader.id}", data={"reorder_level": "-3", "tracked": "y"},
                      headers={"HX-Request": "true"})
    assert "نباید کمتر از 0 باشد" in text(bad) or "نباید کمتر از ۰ باشد" in text(bad)
    db.session.expire_all()
    assert db.session.get(ProductStockSetting, room.reader.id).reorder_level == 12
    # Now readers in Isfahan (4 ≤ 12) and Tehran (10 ≤ 12) are low too.
    login_as(room.keeper)
    assert len(rows(client.get("/inventory/stock?low=1"))) == 3
    # A service: not kept in stock, so its order line reserves nothing and it leaves the stock list.
    service = _product("S")
    login_as(room.admin)
    client.post(f"/inventory/settings/{service.id}", data={"reorder_level": "0"})  # tracked unticked
    assert db.session.get(ProductStockSetting, service.id).tracked is False
    order = order_for(room.rep, [(room.reader, 1), (service, 3)])
    orders.confirm(order.id, room.rep)
    held = db.session.scalars(select(Reservation.product_id).where(Reservation.order_ref == f"crm.order:{order.id}")).all()
    assert held == [room.reader.id]
    login_as(room.keeper)
    refused = client.post("/inventory/receipt", data={"warehouse_id": room.w_tehran.id, "product": service.code,
                                                      "quantity": "1"})
    assert "کالای انباری نیست" in text(refused)


# --- the CRM customer page -----------------------------------------------------------------------

def test_customer_panel_on_the_crm_page(db, room, client, login_as, confirmed):
    order = confirmed([(room.reader, 12)])
    from plugins.crm.models.sales import Order
    customer_id = db.session.get(Order, order.id).customer_id
    login_as(room.rep)
    page = text(client.get(f"/crm/customers/{customer_id}"))
    panel = page.split('data-panel="inventory"')[1].split('class="card mb-3')[0]
    assert "رزروهای انبار" in page and "۱۲ واحد در ۱ سفارش منتظر خروج از انبار" in panel
    assert "انبار تهران" in panel and "انبار اصفهان" in panel
    assert f'href="/inventory/orders/crm.order:{order.id}"' in panel
    orders.cancel(order.id, room.rep, "انصراف")
    assert 'data-panel="inventory"' not in text(client.get(f"/crm/customers/{customer_id}"))
