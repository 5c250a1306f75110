"""The CRM customer screens through the test client: the four lists (visibility, search, sorting,
paging, export), registration with its duplicate warning, the customer page and every action on it.

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C.
"""
import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from core import settings
from core.jalali import format_date, today_tehran, utcnow
from core.models.parties import Party
from core.models.products import Product
from core.persian import to_persian_digits
from plugins.crm.models import (
    Comment,
    Customer,
    DuplicateWarning,
    ListItem,
    LogEntry,
    Negotiation,
    PointEntry,
    StatusChange,
)
from plugins.crm.services import log
from plugins.crm.services import negotiations as neg


def text(response) -> str:
    return response.get_data(as_text=True)


def fa(value) -> str:
    return to_persian_digits(str(value))


def count(db, model, *where) -> int:
    db.session.rollback()  # count what is committed now
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def reload(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def row_ids(response) -> list[int]:
    """Customer ids of the list's rows, in order."""
    return [int(x) for x in re.findall(r'<tr data-customer="(\d+)"', text(response))]


@pytest.fixture
def as_user(client, login_as):
    def do(user):
        login_as(user)
        return client
    return do


@pytest.fixture
def world(db, org, register):
    """A customer for each rep: A's (Tehran), B's (Tehran), C's (Isfahan)."""
    class W:
        pass
    w = W()
    w.a = register(org.a, name="آرش آریان", phones=[{"number": "09121234567", "kind": "mobile"}])
    w.b = register(org.b, name="بیژن بهرامی")
    w.c = register(org.c, name="کامران کاظمی", city="اصفهان")
    return w


def customer_form(**changes) -> dict:
    data = {"kind": "person", "name": "مریم صالحی", "organisation": "بازرگانی صالح", "national_id": "",
            "mobile": "۰۹۱۲ ۳۳۳ ۴۴۵۵", "other_phones-0": "۰۲۱-۸۸۷۷۶۶۵۵", "other_phones-1": "", "other_phones-2": "",
            "email": "maryam@example.ir", "city": "تهران", "address": "خیابان ولیعصر، کوچهٔ بهار",
            "product_id": "", "source_id": "", "activity_id": "", "category_id": "", "marketer_id": "",
            "notes": "علاقه‌مند به کارت‌خوان"}
    data.update(changes)
    return data


# --- the lists ---------------------------------------------------------------------------------

def test_my_customers_are_the_reps_own(db, org, world, as_user):
    client = as_user(org.a)
    response = client.get("/crm/customers/my")
    assert response.status_code == 200
    assert row_ids(response) == [world.a.customer_id]
    assert "آرش آریان" in text(response) and "بیژن" not in text(response)


def test_all_customers_a_rep_sees_the_own_office_only(db, org, world, as_user):
    response = as_user(org.a).get("/crm/customers")
    assert sorted(row_ids(response)) == sorted([world.a.customer_id, world.b.customer_id])
    assert "کامران" not in text(response)
    # C in Isfahan sees only Isfahan's.
    assert row_ids(as_user(org.c).get("/crm/customers")) == [world.c.customer_id]
    # The administrator and the inspector see every office.
    for user in (org.admin, org.inspector):
        assert len(row_ids(as_user(user).get("/crm/customers"))) == 3


def test_team_customers_are_the_subordinates_recursively(db, org, world, as_user):
    assert row_ids(as_user(org.manager).get("/crm/customers/team")) == [world.a.customer_id]
    assert row_ids(as_user(org.boss).get("/crm/customers/team")) == [world.a.customer_id]
    assert row_ids(as_user(org.b).get("/crm/customers/team")) == []  # nobody under B


def test_a_long_list_is_counted_up_to_the_limit_and_pages_on(app, db, org, register, as_user, monkeypatch):
    """Past LIST_COUNT_LIMIT the list says «۳+» and keeps "next" open while pages are full."""
    monkeypatch.setitem(app.config, "LIST_COUNT_LIMIT", 3)
    ids = {register(org.a).customer_id for _ in range(7)}
    client = as_user(org.a)
    first = client.get("/crm/customers/my", query_string={"size": 5})
    assert "۳+ مشتری" in text(first) and "۳+ مورد" in text(first)
    assert len(row_ids(first)) == 5
    pager = first.get_data(as_text=True).split('aria-label="صفحه‌بندی"')[1]
    assert "page=2" in pager and '<li class="page-item "><a class="page-link" href="/crm/customers/my?size=5&amp;page=2">بعدی' \
        in " ".join(pager.split())
    second = client.get("/crm/customers/my", query_string={"size": 5, "page": 2})
    assert set(row_ids(first)) | set(row_ids(second)) == ids  # every customer reachable
    assert len(row_ids(second)) == 2
    # Under the limit the count is exact, as before.
    monkeypatch.setitem(app.config, "LIST_COUNT_LIMIT", 1000)
    assert "۷ مشتری" in text(client.get("/crm/customers/my"))


def test_won_customers_are_hidden_from_other_reps(db, org, world, as_user):
    neg.change_status(world.a.id, "won", org.a, confirmed=True)
    cid = world.a.customer_id
    assert cid not in row_ids(as_user(org.b).get("/crm/customers"))
    assert as_user(org.b).get(f"/crm/customers/{cid}").status_code == 404
    for user in (org.a, org.manager, org.boss, org.inspector, org.admin):
        assert cid in row_ids(as_user(user).get("/crm/customers")), user.username
        assert as_user(user).get(f"/crm/customers/{cid}").status_code == 200


def test_free_pool_is_open_to_every_office(db, org, world, as_user):
    neg.change_status(world.a.id, "cut", org.a, reason="بودجه ندارند")
    neg.change_status(world.c.id, "suspended", org.c)
    for user in (org.a, org.b, org.c, org.manager):
        ids = row_ids(as_user(user).get("/crm/pool"))
        assert sorted(ids) == sorted([world.a.customer_id, world.c.customer_id]), user.username
    # C (Isfahan) may read A's cut customer, with its history.
    page = text(as_user(org.c).get(f"/crm/customers/{world.a.customer_id}"))
    assert "آرش آریان" in page and "بودجه ندارند" in page and "انتساب این مشتری به من" in page
    # The status filter of the pool.
    assert row_ids(as_user(org.b).get("/crm/pool?status=suspended")) == [world.c.customer_id]
    # The inspector has no crm.free_pool.
    assert as_user(org.inspector).get("/crm/pool").status_code == 403


def test_lists_need_a_login(client, db, org):
    response = client.get("/crm/customers/my")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_search_persian_variants_digits_and_national_id(db, org, register, as_user):
    ali = register(org.a, name="علی کریمی", phones=[{"number": "09351112233", "kind": "mobile"}])
    mr = register(org.a, name="محمد\u200cرضا نیک\u200cنام", national_id="0013542419")
    other = register(org.a, name="زهرا کاظمی")
    client = as_user(org.a)

    def search(q):
        return row_ids(client.get("/crm/customers/my", query_string={"q": q}))

    assert search("علي كريمي") == [ali.customer_id]                   # Arabic ye and kaf
    assert search("كريمي") == [ali.customer_id]
    assert search("محمد رضا") == [mr.customer_id]                      # a space for the ZWNJ
    assert search("محمدرضا") == []                                     # but words stay words
    assert search("نیک\u200cنام") == [mr.customer_id]
    assert search("۰۹۳۵ ۱۱۱ ۲۲۳۳") == [ali.customer_id]                # Persian digits, spaces
    assert search("+98 935 111 2233") == [ali.customer_id]
    assert search("۱۱۱۲۲۳۳") == [ali.customer_id]                      # part of the number
    assert search("۰۰۱۳۵۴۲۴۱۹") == [mr.customer_id]                    # national ID
    assert search("کاظمی") == [other.customer_id]
    assert search("ناشناس") == []
    assert "پیدا نشد" in text(client.get("/crm/customers/my?q=ناشناس"))


def test_filters_status_owner_office_category_product(db, org, register, as_user):
    category = ListItem(kind="category", name="فروشگاه")
    product = Product(code="P1", name="کارت‌خوان", list_price=1000)
    db.session.add_all([category, product])
    db.session.commit()
    n1 = register(org.a, name="مشتری یک", category_id=category.id, product_id=product.id)
    n2 = register(org.b, name="مشتری دو")
    n3 = register(org.c, name="مشتری سه", city="اصفهان")
    neg.change_status(n2.id, "suspended", org.b)
    client = as_user(org.admin)
    assert row_ids(client.get(f"/crm/customers?category={category.id}")) == [n1.customer_id]
    assert row_ids(client.get(f"/crm/customers?product={product.id}")) == [n1.customer_id]
    assert row_ids(client.get(f"/crm/customers?owner={org.b.id}")) == [n2.customer_id]
    assert row_ids(client.get(f"/crm/customers?office={org.isfahan.id}")) == [n3.customer_id]
    assert row_ids(client.get("/crm/customers?status=suspended")) == [n2.customer_id]
    assert sorted(row_ids(client.get("/crm/customers?status=negotiating"))) == sorted([n1.customer_id, n3.customer_id])
    # Nonsense in the filters is ignored, not an error.
    assert len(row_ids(client.get("/crm/customers?status=xyz&owner=abc&office=&sort=drop"))) == 3
    # The office filter is offered to the administrator, not to a rep who sees one office.
    assert 'name="office"' in text(client.get("/crm/customers"))
    assert 'name="office"' not in text(as_user(org.a).get("/crm/customers"))
    # Owners offered to a rep: the users of the rep's office, never Isfahan's.
    page = text(as_user(org.a).get("/crm/customers"))
    assert f'<option value="{org.b.id}"' in page and f'<option value="{org.c.id}"' not in page


def test_sorting_by_every_column(db, org, register, as_user):
    names = ["بهروز", "آذر", "پرویز"]
    made = {name: register(org.a, name=name) for name in names}
    client = as_user(org.a)
    by_name = row_ids(client.get("/crm/customers/my?sort=name"))
    assert by_name == [made[n].customer_id for n in ("آذر", "بهروز", "پرویز")]
    assert row_ids(client.get("/crm/customers/my?sort=-name")) == by_name[::-1]
    # Default: newest registration first.
    assert row_ids(client.get("/crm/customers/my")) == [made[n].customer_id for n in reversed(names)]
    # Next contact: set one, then sort.
    log.add_entry(made["پرویز"].id, {"kind": "call", "summary": "تماس", "next_contact": today_tehran() + dt.timedelta(days=1)}, org.a)
    log.add_entry(made["آذر"].id, {"kind": "call", "summary": "تماس", "next_contact": today_tehran() + dt.timedelta(days=5)}, org.a)
    ids = row_ids(client.get("/crm/customers/my?sort=-next"))
    assert ids.index(made["آذر"].customer_id) < ids.index(made["پرویز"].customer_id)
    for key in ("registered", "status", "window", "activity", "next", "-window", "-activity"):
        response = client.get(f"/crm/customers/my?sort={key}")
        assert response.status_code == 200 and len(row_ids(response)) == 3
    # The header links keep the filter and flip the direction.
    page = text(client.get("/crm/customers/my?sort=name&q=ب"))
    assert "sort=-name" in page and "q=" in page


def test_pagination(db, org, register, as_user):
    for i in range(7):
        register(org.a, name=f"مشتری شماره {i}")
    client = as_user(org.a)
    first = row_ids(client.get("/crm/customers/my?size=5"))
    second = row_ids(client.get("/crm/customers/my?size=5&page=2"))
    assert len(first) == 5 and len(second) == 2 and not set(first) & set(second)
    assert row_ids(client.get("/crm/customers/my?size=5&page=۲")) == second   # Persian digits
    assert "بعدی" in text(client.get("/crm/customers/my?size=5"))


def test_list_makes_no_query_per_row(app, db, org, register, as_user):
    for i in range(3):
        register(org.a, name=f"مشتری کم {i}", phones=[{"number": f"0912000{i:04d}", "kind": "mobile"},
                                                       {"number": f"0217700{i:04d}", "kind": "phone"}])
    client = as_user(org.a)
    statements = []

    def counter(conn, cursor, statement, *args):
        statements.append(statement)

    def queries():
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert client.get("/crm/customers/my").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return len(statements)

    queries()
    few = queries()   # the second request: nothing left over from the registrations
    for i in range(3, 15):
        register(org.a, name=f"مشتری زیاد {i}", phones=[{"number": f"0912000{i:04d}", "kind": "mobile"}])
    queries()
    many = queries()
    assert len(row_ids(client.get("/crm/customers/my"))) == 15
    assert many == few, (few, many)


def test_list_shows_status_days_left_and_stale_marks(db, org, register, as_user):
    now = utcnow()
    fresh, watch, yellow, red, cut = (register(org.a, name=f"مشتری {k}") for k in ("تازه", "مراقبت", "زرد", "قرمز", "قطع"))
    for n, days in ((watch, 10), (yellow, 20), (red, 40)):
        row = db.session.get(Negotiation, n.id)
        row.window_start, row.window_end = now - dt.timedelta(days=days), now + dt.timedelta(days=90 - days, hours=1)
    db.session.commit()
    neg.change_status(cut.id, "cut", org.a)
    page = text(as_user(org.a).get("/crm/customers/my"))

    def row(n):
        return page.split(f'<tr data-customer="{n.customer_id}">')[1].split("</tr>")[0]

    assert "data-stale" not in row(fresh) and "data-stale" not in row(cut)
    assert 'data-stale="watch"' in row(watch) and "bi-eye" in row(watch)
    assert 'data-stale="yellow"' in row(yellow) and 'data-stale="red"' in row(red)
    assert f"{fa(80)} روز مانده" in row(watch) and f"{fa(50)} روز مانده" in row(red)
    assert 'data-status="negotiating"' in row(fresh) and 'data-status="cut"' in row(cut)
    assert "روز مانده" not in row(cut)


def test_masked_phones_in_the_list(db, org, world, as_user):
    client = as_user(org.a)
    assert fa("0912 123 4567") in text(client.get("/crm/customers/my"))
    settings.update({"core.mask_contacts": True})
    page = text(client.get("/crm/customers/my"))
    assert fa("0912***4567") in page and fa("123 4567") not in page


# --- export -------------------------------------------------------------------------------------

def test_export_csv_is_the_filtered_visible_list(db, org, world, register, as_user):
    register(org.b, name="بیژن دوم")
    client = as_user(org.manager)
    response = client.get("/crm/customers?export=csv&q=بیژن&sort=name")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".csv")
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["شناسه", "مشتری", "سازمان"]
    assert [r[1] for r in rows[1:]] == ["بیژن بهرامی", "بیژن دوم"]
    assert all(r[7] == "در حال مذاکره" for r in rows[1:])
    # The manager sees only the Tehran office: Isfahan's customer is not exported.
    everything = client.get("/crm/customers?export=csv").get_data(as_text=True)
    assert "کامران" not in everything and "آرش آریان" in everything
    # Contacts masked when the site masks them.
    settings.update({"core.mask_contacts": True})
    masked = client.get("/crm/customers?export=csv&q=آرش").get_data(as_text=True)
    assert "0912***4567" in masked and "1234567" not in masked


def test_export_xlsx_and_permission(db, org, world, as_user):
    response = as_user(org.admin).get("/crm/customers?export=xlsx&sort=name")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.values)
    assert values[0][1] == "مشتری"
    assert sorted(v[1] for v in values[1:]) == sorted(["آرش آریان", "بیژن بهرامی", "کامران کاظمی"])
    # A rep has no crm.export.
    assert as_user(org.a).get("/crm/customers/my?export=csv").status_code == 403
    assert "export-csv" not in text(as_user(org.a).get("/crm/customers/my"))


# --- registration -------------------------------------------------------------------------------

def test_register_happy_path(db, org, as_user):
    category = ListItem(kind="category", name="مشتری سازمانی")
    source = ListItem(kind="source", name="نمایشگاه")
    marketer = ListItem(kind="marketer", name="جواد رستمی", phone="09121112233")
    product = Product(code="POS-1", name="کارت‌خوان سیار", list_price=1000)
    old = Product(code="OLD", name="محصول قدیمی", active=False)
    db.session.add_all([category, source, marketer, product, old])
    db.session.commit()
    client = as_user(org.a)
    form = text(client.get("/crm/customers/new"))
    assert "کارت‌خوان سیار" in form and "محصول قدیمی" not in form and "جواد رستمی" in form
    response = client.post("/crm/customers/new", data=customer_form(
        national_id="۰۰۱۳۵۴۲۴۱۹", category_id=str(category.id), source_id=str(source.id),
        marketer_id=str(marketer.id), product_id=str(product.id)))
    assert response.status_code == 302, text(response)
    customer = db.session.scalar(select(Customer))
    assert response.headers["Location"] == f"/crm/customers/{customer.id}"
    party = customer.party
    assert (party.name, party.organisation, party.national_id, party.city) == (
        "مریم صالحی", "بازرگانی صالح", "0013542419", "تهران")
    assert sorted((p.kind, p.e164) for p in party.phones) == [("mobile", "+989123334455"), ("phone", "+982188776655")]
    assert [a.address for a in party.addresses] == ["خیابان ولیعصر، کوچهٔ بهار"]
    assert (customer.category_id, customer.source_id, customer.marketer_id, customer.product_id) == (
        category.id, source.id, marketer.id, product.id)
    n = db.session.get(Negotiation, customer.current_negotiation_id)
    assert (n.owner_id, n.status) == (org.a.id, "negotiating")
    page = text(client.get(response.headers["Location"]))
    assert "ثبت شد" in page and "مریم صالحی" in page and "کارت‌خوان سیار" in page


@pytest.mark.parametrize("changes, field_message", [
    ({"name": "  "}, "«نام» را وارد کنید."),
    ({"mobile": "۰۹۱۲۳"}, "شماره تلفن"),
    ({"other_phones-1": "abc-def"}, "شماره تلفن نیست"),
    ({"national_id": "۱۲۳۴۵۶۷۸۹۰"}, "کد ملی معتبر نیست"),
    ({"kind": "organisation", "national_id": "123"}, "شناسهٔ ملی معتبر نیست"),
    ({"kind": "robot"}, "حقیقی یا حقوقی"),
    ({"category_id": "99999"}, "معتبر نیست"),
])
def test_register_bad_input_writes_nothing(db, org, as_user, changes, field_message):
    client = as_user(org.a)
    response = client.post("/crm/customers/new", data=customer_form(**{"name": "نام بی‌همتا", **changes}))
    assert response.status_code == 200
    page = text(response)
    assert field_message in page and "is-invalid" in page
    assert count(db, Customer) == 0 and count(db, Party) == 0 and count(db, PointEntry) == 0
    # What was typed is kept.
    assert "maryam@example.ir" in page


def test_register_over_capacity(db, org, register, as_user):
    org.a.max_open_negotiations = 1
    db.session.commit()
    register(org.a, name="تنها مشتری")
    response = as_user(org.a).post("/crm/customers/new", data=customer_form())
    assert response.status_code == 200 and "سقف مذاکرات باز" in text(response)
    assert count(db, Customer) == 1


def test_duplicate_warning_then_confirm(db, org, world, as_user):
    client = as_user(org.c)   # Isfahan; the match is A's in Tehran
    response = client.post("/crm/customers/new", data=customer_form(name="سارا سعیدی", mobile="+98 912 123 4567"))
    assert response.status_code == 200
    page = text(response)
    assert 'id="duplicate-warning"' in page
    box = page.split('id="duplicate-warning"')[1].split('id="register-form"')[0]
    assert fa("0912***4567") in box and fa("123 4567") not in box
    assert "علی احمدی" in box and "دفتر تهران" in page and "در حال مذاکره" in page
    assert "تلفن" in page   # why it matched
    assert count(db, Customer) == 3
    warning = db.session.scalar(select(DuplicateWarning))
    assert warning.user_id == org.c.id and warning.dismissed_at is None
    assert f'name="warning_id" type="hidden" value="{warning.id}"' in page
    # Not a claimable customer: no claim button.
    assert 'data-action="claim"' not in page
    # The rep answers "not a duplicate".
    response = client.post("/crm/customers/new", data=customer_form(
        name="سارا سعیدی", mobile="+98 912 123 4567", confirmed_not_duplicate="y", warning_id=str(warning.id)))
    assert response.status_code == 302, text(response)
    assert count(db, Customer) == 4
    warning = reload(db, DuplicateWarning, warning.id)
    assert warning.dismissed_at is not None and warning.customer_id is not None


def test_duplicate_in_the_pool_offers_claim_instead(db, org, world, as_user):
    neg.change_status(world.a.id, "cut", org.a)
    client = as_user(org.b)
    page = text(client.post("/crm/customers/new", data=customer_form(name="آرش آریان", mobile="09121234567")))
    assert 'data-action="claim"' in page and "برداشتن از لیست آزاد" in page
    assert f'action="/crm/customers/{world.a.customer_id}/claim"' in page
    response = client.post(f"/crm/customers/{world.a.customer_id}/claim")
    assert response.status_code == 302 and response.headers["Location"] == f"/crm/customers/{world.a.customer_id}"
    customer = reload(db, Customer, world.a.customer_id)
    assert db.session.get(Negotiation, customer.current_negotiation_id).owner_id == org.b.id
    assert count(db, Customer) == 3


def test_duplicate_won_by_another_rep_reveals_nothing_and_offers_a_new_sale(db, org, world, as_user):
    neg.change_status(world.a.id, "won", org.a, confirmed=True)
    client = as_user(org.b)
    page = text(client.post("/crm/customers/new", data=customer_form(name="آرش آریان", mobile="09121234567")))
    assert "قطعی شده" in page and 'data-action="reopen"' in page
    assert fa("4567") not in page.split('id="duplicate-warning"')[1].split('id="register-form"')[0]
    assert 'data-action="claim"' not in page
    response = client.post("/crm/customers/new", data={"reopen_customer_id": str(world.a.customer_id)})
    assert response.status_code == 302
    customer = reload(db, Customer, world.a.customer_id)
    current = db.session.get(Negotiation, customer.current_negotiation_id)
    assert (current.owner_id, current.status, current.previous_id) == (org.b.id, "negotiating", world.a.id)
    assert db.session.get(Negotiation, world.a.id).status == "won"
    # B now sees the customer, but not A's won negotiation.
    page = text(client.get(f"/crm/customers/{customer.id}"))
    assert f'id="negotiation-{current.id}"' in page and f'id="negotiation-{world.a.id}"' not in page


def test_reopen_needs_to_have_been_shown_the_customer(db, org, world, as_user):
    neg.change_status(world.a.id, "won", org.a, confirmed=True)
    # C never saw this customer in a warning: a forged id is a 404 and nothing is opened.
    response = as_user(org.c).post("/crm/customers/new", data={"reopen_customer_id": str(world.a.customer_id)})
    assert response.status_code == 404
    assert as_user(org.c).post("/crm/customers/new", data={"reopen_customer_id": "999999"}).status_code == 404
    assert count(db, Negotiation) == 3
    # A customer that is not won cannot be reopened, even by one who sees it.
    response = as_user(org.b).post("/crm/customers/new", data={"reopen_customer_id": str(world.b.customer_id)})
    assert response.status_code == 302 and count(db, Negotiation) == 3
    assert "قطعی" in text(as_user(org.b).get(response.headers["Location"]))


def test_register_needs_permission(db, org, as_user):
    assert as_user(org.inspector).get("/crm/customers/new").status_code == 403
    assert as_user(org.inspector).post("/crm/customers/new", data=customer_form()).status_code == 403
    assert count(db, Customer) == 0


# --- the customer page ---------------------------------------------------------------------------

def test_customer_page_shows_details_and_history(db, org, world, as_user):
    cid = world.a.customer_id
    entry = log.add_entry(world.a.id, {"kind": "meeting", "summary": "جلسه با مدیر خرید",
                                       "next_contact": today_tehran() + dt.timedelta(days=3)}, org.a)
    log.add_comment(entry.id, "پیش‌فاکتور را زودتر بفرستید.", org.inspector)
    page = text(as_user(org.a).get(f"/crm/customers/{cid}"))
    assert "آرش آریان" in page and "علی احمدی" in page
    assert format_date(utcnow()) in page                       # registered, in Jalali
    assert fa("0912 123 4567") in page
    assert "جلسه با مدیر خرید" in page and "جلسه" in page
    assert format_date(today_tehran() + dt.timedelta(days=3)) in page
    assert "پیش‌فاکتور را زودتر بفرستید." in page
    assert "درج مذاکرهٔ جدید" in page and "قطعی کردن" in page and "قطع مذاکره" in page and "معلق کردن" in page
    assert "ویرایش مشتری" in page and "انتساب این مشتری به من" not in page
    assert "درج نظر" not in page   # a rep cannot comment
    # Another rep of the office sees the page but none of the owner's buttons.
    other = text(as_user(org.b).get(f"/crm/customers/{cid}"))
    assert "آرش آریان" in other and "درج مذاکرهٔ جدید" not in other and "قطعی کردن" not in other
    assert "ویرایش مشتری" not in other


def test_customer_page_masks_contacts(db, org, register, as_user):
    n = register(org.a, name="مشتری پنهان", phones=[{"number": "09125556677", "kind": "mobile"}],
                 addresses=[{"address": "میدان ونک، پلاک ۱۲"}])
    client = as_user(org.a)
    assert "میدان ونک" in text(client.get(f"/crm/customers/{n.customer_id}"))
    settings.update({"core.mask_contacts": True})
    page = text(client.get(f"/crm/customers/{n.customer_id}"))
    assert fa("0912***6677") in page and "میدان ونک" not in page and fa("555 6677") not in page


def test_forged_and_foreign_ids_are_404(db, org, world, as_user):
    client = as_user(org.c)
    for url in (f"/crm/customers/{world.a.customer_id}", "/crm/customers/999999",
                f"/crm/customers/{world.a.customer_id}/edit",
                f"/crm/negotiations/{world.a.id}/status/cut"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "پیدا نشد" in text(response)
    for url, data in ((f"/crm/negotiations/{world.a.id}/entries", {"kind": "call", "summary": "x"}),
                      (f"/crm/negotiations/{world.a.id}/status", {"status": "cut"}),
                      ("/crm/negotiations/999999/status", {"status": "cut"}),
                      (f"/crm/customers/{world.a.customer_id}/claim", {})):
        assert client.post(url, data=data).status_code == 404, url
    assert reload(db, Negotiation, world.a.id).status == "negotiating"
    assert count(db, LogEntry) == 0
    assert as_user(org.a).get(f"/crm/negotiations/{world.a.id}/status/reopen").status_code == 404


# --- the log -------------------------------------------------------------------------------------

def test_log_entry_plain_post(db, org, world, as_user):
    client = as_user(org.a)
    next_day = today_tehran() + dt.timedelta(days=2)
    response = client.post(f"/crm/negotiations/{world.a.id}/entries", data={
        "date": "", "kind": "visit", "summary": "بازدید از فروشگاه", "next_contact": format_date(next_day)})
    assert response.status_code == 302
    entry = db.session.scalar(select(LogEntry))
    assert (entry.kind, entry.summary, entry.date, entry.next_contact, entry.author_id) == (
        "visit", "بازدید از فروشگاه", today_tehran(), next_day, org.a.id)
    assert reload(db, Negotiation, world.a.id).next_contact == next_day
    page = text(client.get(response.headers["Location"].split("#")[0]))
    assert "مذاکره درج شد" in page and "بازدید از فروشگاه" in page


def test_log_entry_with_htmx_returns_the_panel(db, org, world, as_user):
    client = as_user(org.manager)   # a manager logs for a subordinate
    response = client.post(f"/crm/negotiations/{world.a.id}/entries", headers={"HX-Request": "true"},
                           data={"kind": "call", "summary": "تماس مدیر", "date": format_date(today_tehran())})
    assert response.status_code == 200
    page = text(response)
    assert 'id="customer-page"' in page and "مذاکره درج شد" in page and "تماس مدیر" in page
    assert db.session.scalar(select(LogEntry.author_id)) == org.manager.id


@pytest.mark.parametrize("data, message", [
    ({"kind": "call", "summary": "x", "next_contact": "1390/01/01"}, "نمی‌تواند در گذشته باشد"),
    ({"kind": "call", "summary": ""}, "«شرح مذاکره» را وارد کنید."),
    ({"kind": "fax", "summary": "x"}, "تماس، جلسه، پیام یا بازدید"),
    ({"kind": "call", "summary": "x", "date": "1403/13/40"}, "در تقویم وجود ندارد"),
])
def test_log_entry_refused(db, org, world, as_user, data, message):
    response = as_user(org.a).post(f"/crm/negotiations/{world.a.id}/entries", data=data)
    assert response.status_code == 200
    page = text(response)
    assert message in page, page[page.find('id="crm-negotiations"'):][:3000]
    assert count(db, LogEntry) == 0


def test_log_entry_on_someone_elses_or_a_closed_negotiation(db, org, world, as_user):
    page = text(as_user(org.b).post(f"/crm/negotiations/{world.a.id}/entries", data={"kind": "call", "summary": "x"}))
    assert "فقط کارشناس مسئول" in page
    neg.change_status(world.a.id, "cut", org.a)
    page = text(as_user(org.a).post(f"/crm/negotiations/{world.a.id}/entries", data={"kind": "call", "summary": "x"}))
    assert "در جریان نیست" in page
    assert count(db, LogEntry) == 0
    # The inspector has no crm.log.
    assert as_user(org.inspector).post(f"/crm/negotiations/{world.b.id}/entries",
                                       data={"kind": "call", "summary": "x"}).status_code == 403


# --- status changes ------------------------------------------------------------------------------

def test_cut_and_suspend_from_the_page(db, org, world, as_user):
    client = as_user(org.a)
    response = client.post(f"/crm/negotiations/{world.a.id}/status", data={"status": "cut", "reason": "پاسخ نمی‌دهند"})
    assert response.status_code == 302
    assert reload(db, Negotiation, world.a.id).status == "cut"
    change = db.session.scalar(select(StatusChange).where(StatusChange.new_status == "cut"))
    assert change.reason == "پاسخ نمی‌دهند" and change.actor_id == org.a.id
    page = text(client.get(response.headers["Location"]))
    assert "مذاکره قطع شد" in page and "پاسخ نمی‌دهند" in page
    # Cutting again: an illegal transition, refused, nothing written.
    before = count(db, StatusChange)
    page = text(client.get(client.post(f"/crm/negotiations/{world.a.id}/status", data={"status": "suspended"}).headers["Location"]))
    assert "فقط مذاکرهٔ در جریان" in page and count(db, StatusChange) == before
    # Suspend: the manager for rep A on another customer.
    other = neg.claim(world.a.customer_id, org.a)
    as_user(org.manager).post(f"/crm/negotiations/{other.id}/status", data={"status": "suspended"})
    assert reload(db, Negotiation, other.id).status == "suspended"


def test_win_needs_the_confirmation_step(db, org, world, as_user):
    client = as_user(org.a)
    screen = text(client.get(f"/crm/negotiations/{world.a.id}/status/won"))
    assert "قطعی شود؟" in screen and 'name="confirmed" value="1"' in screen
    response = client.post(f"/crm/negotiations/{world.a.id}/status", data={"status": "won"})
    assert "نیاز به تأیید" in text(client.get(response.headers["Location"]))
    assert reload(db, Negotiation, world.a.id).status == "negotiating"
    client.post(f"/crm/negotiations/{world.a.id}/status", data={"status": "won", "confirmed": "1"})
    assert reload(db, Negotiation, world.a.id).status == "won"
    assert db.session.scalar(select(PointEntry.points).where(PointEntry.event == "won")) == 5


def test_status_of_someone_elses_negotiation_is_refused(db, org, world, as_user):
    response = as_user(org.b).post(f"/crm/negotiations/{world.a.id}/status", data={"status": "won", "confirmed": "1"})
    assert response.status_code == 302
    assert "فقط کارشناس مسئول" in text(as_user(org.b).get(response.headers["Location"]))
    assert reload(db, Negotiation, world.a.id).status == "negotiating"
    assert as_user(org.inspector).post(f"/crm/negotiations/{world.a.id}/status",
                                       data={"status": "cut"}).status_code == 403


def test_an_overdue_negotiation_shows_expired_and_refuses_the_win(db, org, world, as_user):
    n = db.session.get(Negotiation, world.a.id)
    n.window_start, n.window_end = utcnow() - dt.timedelta(days=100), utcnow() - dt.timedelta(days=1)
    db.session.commit()
    client = as_user(org.a)
    page = text(client.get(f"/crm/customers/{world.a.customer_id}"))
    assert "منقضی شده" in page and "قطعی کردن" not in page and "انتساب این مشتری به من" in page
    response = client.post(f"/crm/negotiations/{world.a.id}/status", data={"status": "won", "confirmed": "1"})
    assert "منقضی" in text(client.get(response.headers["Location"]))
    assert reload(db, Negotiation, world.a.id).status == "expired"


# --- claims --------------------------------------------------------------------------------------

def test_claim_from_the_page_and_a_claim_already_taken(db, org, world, as_user):
    neg.change_status(world.a.id, "suspended", org.a)
    cid = world.a.customer_id
    response = as_user(org.c).post(f"/crm/customers/{cid}/claim")
    assert response.status_code == 302
    assert "به شما منتسب شد" in text(as_user(org.c).get(response.headers["Location"]))
    current = reload(db, Customer, cid).current_negotiation_id
    assert db.session.get(Negotiation, current).owner_id == org.c.id
    # B was a moment late: a clear message, nothing opened. B still reads the customer through
    # A's old (Tehran) negotiation, so B lands on its page.
    response = as_user(org.b).post(f"/crm/customers/{cid}/claim")
    assert response.status_code == 302 and response.headers["Location"] == f"/crm/customers/{cid}"
    page = text(as_user(org.b).get(f"/crm/customers/{cid}"))
    assert "در حال مذاکره با کارشناس دیگری" in page and "انتساب این مشتری به من" not in page
    assert count(db, Negotiation, Negotiation.customer_id == cid) == 2


def test_claim_of_a_customer_not_in_the_pool_is_refused(db, org, world, as_user):
    response = as_user(org.b).post(f"/crm/customers/{world.a.customer_id}/claim")
    assert response.status_code == 302
    assert "در حال مذاکره" in text(as_user(org.b).get(response.headers["Location"]))
    assert count(db, Negotiation) == 3


# --- comments ------------------------------------------------------------------------------------

def test_inspector_comment_appears_under_the_entry(db, org, world, as_user):
    entry = log.add_entry(world.a.id, {"kind": "call", "summary": "تماس اول"}, org.a)
    inspector = as_user(org.inspector)
    page = text(inspector.get(f"/crm/customers/{world.a.customer_id}"))
    assert "درج نظر" in page
    response = inspector.post(f"/crm/entries/{entry.id}/comments", data={"body": "چرا پیگیری نشد؟"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#entry-{entry.id}")
    comment = db.session.scalar(select(Comment))
    assert (comment.entry_id, comment.author_id, comment.addressee_id) == (entry.id, org.inspector.id, org.a.id)
    page = text(as_user(org.a).get(f"/crm/customers/{world.a.customer_id}"))
    block = page.split(f'id="entry-{entry.id}"')[1].split('class="crm-entry')[0]
    assert "چرا پیگیری نشد؟" in block and org.inspector.full_name in block
    # The rep has no comment form of their own.
    assert "درج نظر" not in page


def test_comment_refusals(db, org, world, as_user):
    entry = log.add_entry(world.a.id, {"kind": "call", "summary": "تماس"}, org.a)
    c_entry = log.add_entry(world.c.id, {"kind": "call", "summary": "تماس اصفهان"}, org.c)
    # Empty: a Persian message under the entry, nothing written; with htmx too.
    page = text(as_user(org.inspector).post(f"/crm/entries/{entry.id}/comments", data={"body": "  "}))
    assert "متن نظر را بنویسید." in page
    page = text(as_user(org.manager).post(f"/crm/entries/{entry.id}/comments", data={"body": ""},
                                          headers={"HX-Request": "true"}))
    assert "متن نظر را بنویسید." in page
    # A rep may not comment; a manager may not comment on another office's entry; forged id.
    assert as_user(org.a).post(f"/crm/entries/{entry.id}/comments", data={"body": "x"}).status_code == 403
    assert as_user(org.manager).post(f"/crm/entries/{c_entry.id}/comments", data={"body": "x"}).status_code == 404
    assert as_user(org.inspector).post("/crm/entries/999999/comments", data={"body": "x"}).status_code == 404
    assert count(db, Comment) == 0
    # The manager's htmx comment comes back in the panel.
    page = text(as_user(org.manager).post(f"/crm/entries/{entry.id}/comments", data={"body": "خوب است"},
                                          headers={"HX-Request": "true"}))
    assert "خوب است" in page and "نظر شما ثبت شد" in page


# --- editing -------------------------------------------------------------------------------------

def test_edit_customer(db, org, world, as_user):
    category = ListItem(kind="category", name="نمایندگی")
    db.session.add(category)
    db.session.commit()
    cid = world.a.customer_id
    client = as_user(org.a)
    form = text(client.get(f"/crm/customers/{cid}/edit"))
    assert 'value="آرش آریان"' in form and 'value="09121234567"' in form
    response = client.post(f"/crm/customers/{cid}/edit", data=customer_form(
        name="آرش آریان‌پور", mobile="09121234567", **{"other_phones-0": "", "address": ""},
        category_id=str(category.id)))
    assert response.status_code == 302, text(response)
    customer = reload(db, Customer, cid)
    assert customer.party.name == "آرش آریان‌پور" and customer.category_id == category.id
    assert [p.e164 for p in customer.party.phones] == ["+989121234567"]
    # The category is deactivated later: the customer can still be saved with it.
    category.active = False
    db.session.commit()
    response = client.post(f"/crm/customers/{cid}/edit", data=customer_form(
        name="آرش آریان", mobile="09121234567", category_id=str(category.id)))
    assert response.status_code == 302, text(response)
    # A bad phone: refused on the field, nothing changed.
    response = client.post(f"/crm/customers/{cid}/edit", data=customer_form(name="نام دیگر", mobile="123"))
    assert response.status_code == 200 and "شماره تلفن" in text(response)
    assert reload(db, Customer, cid).party.name == "آرش آریان"


def test_edit_refused_for_others(db, org, world, as_user):
    cid = world.a.customer_id
    response = as_user(org.b).post(f"/crm/customers/{cid}/edit", data=customer_form(name="دزدیده"))
    assert response.status_code == 302
    assert "فقط کارشناس مسئول" in text(as_user(org.b).get(response.headers["Location"]))
    assert reload(db, Customer, cid).party.name == "آرش آریان"
    # The manager above A may edit.
    response = as_user(org.manager).post(f"/crm/customers/{cid}/edit", data=customer_form(name="آرش آریان", mobile="09121234567"))
    assert response.status_code == 302


def test_edit_with_masked_contacts_keeps_them(db, org, world, as_user):
    settings.update({"core.mask_contacts": True})
    cid = world.a.customer_id
    client = as_user(org.a)
    form = text(client.get(f"/crm/customers/{cid}/edit"))
    assert "09121234567" not in form and fa("0912***4567") in form
    response = client.post(f"/crm/customers/{cid}/edit", data={"kind": "person", "name": "آرش نو", "city": "تهران"})
    assert response.status_code == 302, text(response)
    customer = reload(db, Customer, cid)
    assert customer.party.name == "آرش نو" and [p.e164 for p in customer.party.phones] == ["+989121234567"]


# --- CSRF ----------------------------------------------------------------------------------------

def test_actions_need_the_csrf_token(make_app, database_url):
    from core.db import db as database
    from core.models.org import Office
    from core.services.groups import seed_role_groups
    from core.services.users import save_user
    from plugins.crm.services import customers
    app = make_app({"WTF_CSRF_ENABLED": True})
    with app.app_context():
        office = Office(name="دفتر", city="تهران", area_code="21")
        database.session.add(office)
        database.session.commit()
        groups = seed_role_groups()
        rep = save_user(dict(username="rep", first_name="ر", last_name="پ", password="password123",
                             password_repeat="password123", office_id=office.id, group_ids=[groups["sales"].id]))
        n = customers.register({"kind": "person", "name": "مشتری", "phones": [{"number": "09120000001"}]},
                               rep, confirmed_not_duplicate=True)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = rep.get_id()
        response = client.post(f"/crm/negotiations/{n.id}/status", data={"status": "cut"})
        assert response.status_code == 400 and "فرم منقضی" in text(response)
        assert database.session.get(Negotiation, n.id).status == "negotiating"
        page = text(client.get(f"/crm/customers/{n.customer_id}"))
        assert 'name="csrf_token"' in page
