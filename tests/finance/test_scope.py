"""Whose books a user reads (`plugins/finance/services/scope.py`): finance staff, administrators
and inspectors the whole company's; an office's sales manager only their office's, less the
customers the CRM hides from them — another office's invoices, accounts, receipts and cheques
are absent from the lists and exports and a 404 by id, on the screens and in the API; writing
for another office's customer is refused as if the customer did not exist, and nothing is
written."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.models.org import Office
from core.services.groups import save_group
from core.validation import ValidationError
from plugins.crm.models import Customer
from plugins.crm.services import customers, orders
from plugins.finance.models import CreditLimit, Invoice, Receipt
from plugins.finance.services import receipts

TEHRAN_NAME, ISFAHAN_NAME = "بردیا تهرانی‌نژاد", "کاوه اصفهانی‌پور"


@pytest.fixture
def offices(books, make_user):
    """One customer of each office with an open invoice, a cheque received from each, and an own
    credit limit on the Isfahan customer."""
    db = books.db
    isfahan = Office(name="اصفهان", city="اصفهان", area_code="31")
    db.session.add(isfahan)
    db.session.commit()
    rep_b = make_user("rep_b", role="sales", office=isfahan)
    rep_b.max_open_negotiations = 100

    def sale(name, phone, rep):
        n = customers.register({"kind": "person", "name": name, "phones": [{"number": phone}]}, rep,
                               confirmed_not_duplicate=True)
        order = orders.direct(n.customer_id, {"lines": [{"product_id": books.product.id, "quantity": 1}]}, rep)
        orders.confirm(order.id, rep)
        party_id = db.session.get(Customer, n.customer_id).party_id
        invoice = db.session.scalar(select(Invoice).where(Invoice.party_id == party_id))
        cheque = receipts.create({"party_id": party_id, "method": "cheque", "amount": "1000000",
                                  "cheque_number": phone[-6:], "cheque_bank": "ملت", "cheque_due": "1499/01/01"},
                                 books.clerk)
        return party_id, invoice, cheque

    class Books:
        pass
    o = Books()
    o.tehran, o.tehran_invoice, o.tehran_cheque = sale(TEHRAN_NAME, "09121110001", books.rep)
    o.isfahan, o.isfahan_invoice, o.isfahan_cheque = sale(ISFAHAN_NAME, "09131110002", rep_b)
    db.session.add(CreditLimit(party_id=o.isfahan, limit=50_000_000))
    db.session.commit()
    o.manager = make_user("boss_t", role="manager", office=books.office)
    books.rep.manager_id = o.manager.id  # the rep who sold (and so won the customer) is under them
    o.peer = make_user("boss_2", role="manager", office=books.office)  # same office, not above the rep
    db.session.commit()
    o.inspector = make_user("bazres", role="inspector")
    o.drifter = make_user("bi_daftar", role="manager")  # a manager with no office
    cashier_group = save_group({"name": "صندوق تهران", "permissions": ["finance.view", "finance.receipts"]})
    o.cashier = make_user("sandogh", role=None, office=books.office, group_ids=[cashier_group.id])
    return o


def page(client, url) -> str:
    """The page, or the export's text (an XLSX: its cells, one per line)."""
    response = client.get(url)
    assert response.status_code == 200, url
    if "export=xlsx" in url:
        sheet = load_workbook(io.BytesIO(response.data)).active
        return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    return response.get_data(as_text=True)


LISTS = ("/finance/invoices", "/finance/invoices?export=csv", "/finance/accounts?which=all",
         "/finance/accounts?which=all&export=csv", "/finance/receipts", "/finance/receipts?export=xlsx",
         "/finance/cheques", "/finance/cheques?export=csv")


def test_an_office_manager_reads_only_the_books_of_their_office(books, offices, web):
    o = offices
    manager = web(o.manager)
    for url in LISTS:
        body = page(manager, url)
        assert TEHRAN_NAME in body and ISFAHAN_NAME not in body, url
    # By id: the same 404 as a record that does not exist.
    hidden = (f"/finance/invoices/{o.isfahan_invoice.id}", f"/finance/invoices/{o.isfahan_invoice.id}/print",
              f"/finance/accounts/{o.isfahan}", f"/finance/accounts/{o.isfahan}/print",
              f"/finance/receipts/{o.isfahan_cheque.id}")
    for url in hidden:
        assert manager.get(url).status_code == 404, url
    for url in (f"/finance/invoices/{o.tehran_invoice.id}", f"/finance/accounts/{o.tehran}",
                f"/finance/receipts/{o.tehran_cheque.id}"):
        assert TEHRAN_NAME in page(manager, url)
    # A guessed customer id in a filter neither shows the name nor lists anything.
    for url in (f"/finance/invoices?party={o.isfahan}", f"/finance/receipts?party={o.isfahan}"):
        assert ISFAHAN_NAME not in page(manager, url)
    # Each list says whose books it shows.
    for url in ("/finance/invoices", "/finance/receipts", "/finance/cheques", "/finance/accounts"):
        assert 'id="books-scope"' in page(manager, url) and "فقط «تهران»" in page(manager, url), url
    # The accounts' ageing totals count the office's invoices only (one open invoice of 11,000,000).
    body = page(manager, "/finance/accounts?which=all")
    assert "۲۲٬۰۰۰٬۰۰۰" not in body and "۱۱٬۰۰۰٬۰۰۰" in body


def test_a_won_customer_stays_hidden_from_an_office_manager_not_above_its_rep(books, offices, web, api):
    """The CRM's rule reaches finance through the `party_visibility` hook: the order won the
    customer for the rep, and a manager of the same office who is not above the rep sees neither
    the customer in the CRM nor their invoice, account or cheque."""
    o = offices
    peer = web(o.peer)
    for url in LISTS:
        assert TEHRAN_NAME not in page(peer, url), url
    for url in (f"/finance/invoices/{o.tehran_invoice.id}", f"/finance/accounts/{o.tehran}",
                f"/finance/receipts/{o.tehran_cheque.id}"):
        assert peer.get(url).status_code == 404, url
    assert api(o.peer, "GET", "/invoices").get_json()["total"] == 0
    assert TEHRAN_NAME not in page(peer, "/crm/customers")
    assert TEHRAN_NAME in page(web(o.manager), "/crm/customers/team")


def test_finance_staff_and_inspectors_read_every_office_and_a_user_without_an_office_none(books, offices, web):
    o = offices
    for user in (books.clerk, o.inspector, books.admin):
        client = web(user)
        for url in LISTS:
            body = page(client, url)
            assert TEHRAN_NAME in body and ISFAHAN_NAME in body, (user.username, url)
        assert client.get(f"/finance/invoices/{o.isfahan_invoice.id}").status_code == 200
        assert 'id="books-scope"' not in page(client, "/finance/invoices")
    drifter = web(o.drifter)
    for url in LISTS:
        body = page(drifter, url)
        assert TEHRAN_NAME not in body and ISFAHAN_NAME not in body, url
    assert drifter.get(f"/finance/invoices/{o.tehran_invoice.id}").status_code == 404
    assert "شما در هیچ دفتری نیستید" in page(drifter, "/finance/invoices")


def test_the_api_answers_an_office_manager_with_their_office_only(books, offices, api):
    o = offices
    invoices = api(o.manager, "GET", "/invoices").get_json()
    assert invoices["total"] == 1 and invoices["items"][0]["id"] == o.tehran_invoice.id
    assert {r["party_id"] for r in api(o.manager, "GET", "/receipts").get_json()["items"]} == {o.tehran}
    assert {r["party_id"] for r in api(o.manager, "GET", "/cheques?status=all").get_json()["items"]} == {o.tehran}
    assert {r["party_id"] for r in api(o.manager, "GET", "/accounts?which=all").get_json()["items"]} == {o.tehran}
    assert api(o.manager, "GET", "/credit-limits").get_json()["customers"] == []
    for path in (f"/invoices/{o.isfahan_invoice.id}", f"/receipts/{o.isfahan_cheque.id}", f"/accounts/{o.isfahan}",
                 f"/accounts/{o.isfahan}/ageing", f"/accounts/{o.isfahan}/statement"):
        assert api(o.manager, "GET", path).status_code == 404, path
    assert api(o.manager, "GET", f"/accounts/{o.tehran}").status_code == 200
    # The clerk keeps the whole company's books.
    assert api(books.clerk, "GET", "/invoices").get_json()["total"] == 2
    assert [c["party_id"] for c in api(books.clerk, "GET", "/credit-limits").get_json()["customers"]] == [o.isfahan]


def test_writing_for_another_offices_customer_is_refused_as_if_it_did_not_exist(books, offices, web, api):
    o = offices
    db = books.db
    before = db.session.scalar(select(func.count()).select_from(Receipt))
    with pytest.raises(ValidationError) as refused:
        receipts.create({"party_id": o.isfahan, "method": "cash", "amount": "5000000"}, o.cashier)
    assert refused.value.errors == {"party_id": "مشتری پیدا نشد."}
    db.session.rollback()
    with pytest.raises(ValidationError, match="چک پیدا نشد"):
        receipts.cheque_status(o.isfahan_cheque.id, "deposited", o.cashier)
    db.session.rollback()
    cash = receipts.create({"party_id": o.isfahan, "method": "cash", "amount": "2000000"}, books.clerk)
    with pytest.raises(ValidationError, match="دریافت پیدا نشد"):
        receipts.allocate(cash.id, {o.isfahan_invoice.id: 1_000_000}, o.cashier)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == before + 1
    assert db.session.get(Invoice, o.isfahan_invoice.id).paid == 0
    assert db.session.get(Receipt, o.isfahan_cheque.id).cheque_status == "received"
    # The same through the screens and the API.
    cashier = web(o.cashier)
    options = page(cashier, "/finance/parties/options?q=" + "کاوه")
    assert ISFAHAN_NAME not in options
    assert TEHRAN_NAME in page(cashier, "/finance/parties/options?q=" + "بردیا")
    response = cashier.post("/finance/receipts/new", data={"party_id": o.isfahan, "method": "cash",
                                                           "amount": "5000000", "received_on": ""})
    assert response.status_code == 200 and "مشتری پیدا نشد" in response.get_data(as_text=True)
    assert ISFAHAN_NAME not in page(cashier, f"/finance/receipts/new?party={o.isfahan}")
    assert ISFAHAN_NAME not in page(cashier, f"/finance/receipts/new?invoice={o.isfahan_invoice.id}")
    assert ISFAHAN_NAME not in page(cashier, f"/finance/receipts/allocations?party_id={o.isfahan}")
    assert cashier.get(f"/finance/receipts/allocations?receipt={cash.id}").status_code == 404
    assert cashier.post(f"/finance/receipts/{cash.id}/allocate",
                        data={f"alloc-{o.isfahan_invoice.id}": "1000000"}).status_code == 404
    refused = api(o.cashier, "POST", "/receipts", json={"party_id": o.isfahan, "method": "cash", "amount": 5_000_000})
    assert refused.status_code == 422 and "مشتری پیدا نشد" in str(refused.get_json())
    assert api(o.cashier, "POST", f"/receipts/{cash.id}/allocate",
               json={"allocations": [{"invoice_id": o.isfahan_invoice.id, "amount": 1}]}).status_code == 404
    assert api(o.cashier, "POST", f"/receipts/{o.isfahan_cheque.id}/cheque-status",
               json={"status": "deposited"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == before + 1
    assert db.session.get(Receipt, o.isfahan_cheque.id).cheque_status == "received"
