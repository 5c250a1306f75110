"""Finance screens: invoices (filters, sort, page, exports, the invoice and its printable view),
receipt entry with allocation (htmx pieces, «تخصیص خودکار», refusals that write nothing), the
receipt page's allocate form, cheques due and their status actions, customer accounts with
ageing and the printable statement, credit limits, the CRM customer page's finance panel,
permissions."""
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core import settings
from core.jalali import format_date, today_tehran
from core.persian import to_persian_digits
from plugins.crm.services import orders
from plugins.finance.models import CategoryLimit, CreditLimit, Entry, Invoice, Receipt
from plugins.finance.services import accounts, receipts


def fa_money(n: int) -> str:
    return to_persian_digits(f"{n:,}".replace(",", "٬"))


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def ledger(books, confirmed_order):
    """Three customers: one open invoice (22,000,000), one paid (11,000,000), one cancelled
    (an invoice credited by a credit note)."""
    db = books.db
    from plugins.crm.services import customers
    owing, owing_party = confirmed_order(quantity=2)
    paid, paid_party = confirmed_order(quantity=1)
    cancelled, cancelled_party = confirmed_order(quantity=3)
    orders.cancel(cancelled.id, books.rep, "مشتری منصرف شد")
    paid_invoice = db.session.scalar(select(Invoice).where(Invoice.party_id == paid_party))
    receipts.create({"party_id": paid_party, "method": "cash", "amount": "11000000",
                     "allocations": {paid_invoice.id: 11_000_000}}, books.clerk)
    # A customer whose name is typed with Arabic letters, to be found by its Persian spelling.
    arabic = customers.register({"kind": "person", "name": "علي كريمي", "phones": [{"number": "09127654321"}]},
                                books.rep, confirmed_not_duplicate=True)
    arabic_order, arabic_party = confirmed_order(quantity=1, customer_id=arabic.customer_id)

    class L:
        pass
    L.owing_party, L.paid_party, L.cancelled_party, L.arabic_party = owing_party, paid_party, cancelled_party, arabic_party
    L.owing = db.session.scalar(select(Invoice).where(Invoice.party_id == owing_party))
    L.paid = paid_invoice
    L.credited = db.session.scalar(select(Invoice).where(Invoice.party_id == cancelled_party, Invoice.kind == "invoice"))
    L.note = db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
    return L


# --- invoices -------------------------------------------------------------------------------------

def test_invoice_list_filters_by_status_customer_and_period(books, ledger, web):
    client = web(books.clerk)
    page = text(client.get("/finance/invoices"))
    for inv in (ledger.owing, ledger.paid, ledger.credited, ledger.note):
        assert f'data-invoice="{inv.id}"' in page
    expected = {"open": {ledger.owing.id}, "paid": {ledger.paid.id}, "credited": {ledger.credited.id},
                "credit_note": {ledger.note.id}, "unpaid": {ledger.owing.id}, "partly_paid": set()}
    mine = (ledger.owing, ledger.paid, ledger.credited, ledger.note)
    for status, ids in expected.items():
        body = text(client.get(f"/finance/invoices?status={status}"))
        assert {i.id for i in mine if f'data-invoice="{i.id}"' in body} == ids, status
    # The customer search uses the normaliser: Persian ی and ک find «علي كريمي».
    body = text(client.get("/finance/invoices?q=علی کریمی"))
    arabic_invoice = books.db.session.scalar(select(Invoice).where(Invoice.party_id == ledger.arabic_party))
    assert f'data-invoice="{arabic_invoice.id}"' in body and f'data-invoice="{ledger.owing.id}"' not in body
    # A Jalali period: everything was issued today.
    today = format_date(today_tehran())
    assert f'data-invoice="{ledger.owing.id}"' in text(client.get(f"/finance/invoices?from={today}&to={today}"))
    tomorrow = format_date(today_tehran() + dt.timedelta(days=1))
    assert 'id="no-invoices"' in text(client.get(f"/finance/invoices?from={tomorrow}"))
    bad = text(client.get("/finance/invoices?from=1403/13/01"))
    assert "«از تاریخ»" in bad and "وجود ندارد" in bad
    inverted = text(client.get(f"/finance/invoices?from={tomorrow}&to={today}"))
    assert "«تا تاریخ» نباید پیش از «از تاریخ» باشد." in inverted


def test_invoice_list_sorts_pages_and_exports(books, ledger, web):
    client = web(books.clerk)
    body = text(client.get("/finance/invoices?status=unpaid&sort=-total"))
    arabic_invoice = books.db.session.scalar(select(Invoice).where(Invoice.party_id == ledger.arabic_party))
    assert body.index(f'data-invoice="{ledger.owing.id}"') < body.index(f'data-invoice="{arabic_invoice.id}"')
    body = text(client.get("/finance/invoices?status=unpaid&sort=total"))
    assert body.index(f'data-invoice="{ledger.owing.id}"') > body.index(f'data-invoice="{arabic_invoice.id}"')
    assert text(client.get("/finance/invoices?sort=nonsense")).count("data-invoice=") == 5  # unknown sort: the default
    first = text(client.get("/finance/invoices?size=5&page=1"))
    assert first.count("data-invoice=") == 5
    assert text(client.get("/finance/invoices?size=5&page=2")).count("data-invoice=") == 0
    csv = client.get("/finance/invoices?export=csv&status=open")
    assert csv.mimetype == "text/csv"
    rows = csv.get_data(as_text=True)
    assert rows.startswith("\ufeff") and "مانده (ریال)" in rows and "پرداخت‌نشده" in rows
    assert len(rows.strip().splitlines()) == 1 + 2  # the owing customer's and «علي كريمي»'s invoices
    xlsx = client.get("/finance/invoices?export=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.values)
    assert values[0][0] == "نوع" and len(values) == 1 + 5
    assert {row[0] for row in values[1:]} == {"فاکتور فروش", "برگشت از فروش"}


def test_invoice_page_shows_payments_order_and_credit_note_and_prints(books, ledger, web):
    client = web(books.clerk)
    settings.update({"core.company_name": "بازرگانی آزمایشی پیوند"})
    paid = text(client.get(f"/finance/invoices/{ledger.paid.id}"))
    assert 'data-invoice-status="paid"' in paid and 'id="invoice-payments"' in paid and "no-payments" not in paid
    assert f"سفارش شمارهٔ {to_persian_digits(ledger.paid.order_number)}" in paid
    assert "/crm/orders/" in paid  # the order reference links to the CRM's order page
    assert "برگشت از فروش صادر می‌شود" in paid and "حذف" in paid  # no delete action: how to reverse instead
    credited = text(client.get(f"/finance/invoices/{ledger.credited.id}"))
    assert 'id="credited-by"' in credited and f"/finance/invoices/{ledger.note.id}" in credited
    note = text(client.get(f"/finance/invoices/{ledger.note.id}"))
    assert 'id="credit-of"' in note and f"/finance/invoices/{ledger.credited.id}" in note
    owing = text(client.get(f"/finance/invoices/{ledger.owing.id}"))
    assert f"/finance/receipts/new?invoice={ledger.owing.id}" in owing and fa_money(22_000_000) in owing
    printed = text(client.get(f"/finance/invoices/{ledger.owing.id}/print"))
    assert "بازرگانی آزمایشی پیوند" in printed and "@page" in printed and "size: A4" in printed
    assert "@media print" in printed and 'id="main-nav"' not in printed
    assert client.get("/finance/invoices/99999").status_code == 404
    # Invoices have no delete action at all.
    assert client.post(f"/finance/invoices/{ledger.owing.id}").status_code == 405
    assert client.delete(f"/finance/invoices/{ledger.owing.id}").status_code == 405


# --- receipts -------------------------------------------------------------------------------------

def test_customer_search_and_allocation_pieces(books, ledger, confirmed_order, web):
    client = web(books.clerk)
    options = text(client.get("/finance/parties/options?q=علی کریمی"))
    assert f'value="{ledger.arabic_party}" selected' in options  # a single match is chosen at once
    assert "پیدا نشد" in text(client.get("/finance/parties/options?q=هیچ‌کس"))
    # A second, older-due invoice for the owing customer; auto-allocation fills the oldest first.
    confirmed_order(quantity=1, customer_id=_customer_of(books, ledger.owing_party))
    table = text(client.get(f"/finance/receipts/allocations?party_id={ledger.owing_party}"))
    assert table.count('class="form-control form-control-sm fin-alloc-input"') == 2 and 'id="auto-allocate"' in table
    auto = text(client.get(f"/finance/receipts/allocations?party_id={ledger.owing_party}&amount=۲۵٬۰۰۰٬۰۰۰&auto=1"))
    invoices = books.db.session.scalars(accounts.open_invoices(ledger.owing_party).order_by(Invoice.id)).all()
    assert re.search(rf'name="alloc-{invoices[0].id}"[^>]*value="{fa_money(22_000_000)}"', auto)
    assert re.search(rf'name="alloc-{invoices[1].id}"[^>]*value="{fa_money(3_000_000)}"', auto)
    assert "نخست مبلغ دریافت" in text(client.get(f"/finance/receipts/allocations?party_id={ledger.owing_party}&auto=1"))
    assert 'id="allocations-empty"' in text(client.get("/finance/receipts/allocations"))
    assert 'id="no-open-invoices"' in text(client.get(f"/finance/receipts/allocations?party_id={ledger.paid_party}"))


def _customer_of(books, party_id):
    from plugins.crm.models import Customer
    return books.db.session.scalar(select(Customer.id).where(Customer.party_id == party_id))


def test_entering_a_receipt_allocates_it_and_leaves_the_rest_as_credit(books, ledger, web):
    client = web(books.clerk)
    form = text(client.get(f"/finance/receipts/new?invoice={ledger.owing.id}"))
    assert f'name="alloc-{ledger.owing.id}"' in form and 'value="22000000"' in form  # prefilled from the invoice
    response = client.post("/finance/receipts/new", data={
        "party_id": ledger.owing_party, "method": "transfer", "amount": "۲۵٬۰۰۰٬۰۰۰", "reference": "۸۸۷۷۶۶",
        "received_on": format_date(today_tehran()), f"alloc-{ledger.owing.id}": "۲۲٬۰۰۰٬۰۰۰"})
    assert response.status_code == 302
    receipt = books.db.session.scalar(select(Receipt).where(Receipt.party_id == ledger.owing_party))
    assert response.location.endswith(f"/finance/receipts/{receipt.id}")
    page = text(client.get(response.location))
    assert "ثبت شد" in page and fa_money(3_000_000) in page and "بستانکاری" in page
    books.db.session.refresh(ledger.owing)
    assert ledger.owing.status == "paid" and receipt.unallocated == 3_000_000 and receipt.reference == "۸۸۷۷۶۶"
    assert accounts.balance(ledger.owing_party) == -3_000_000


@pytest.mark.parametrize("change, message", [
    ({"allocations": "۲۳٬۰۰۰٬۰۰۰"}, "بیشتر از ماندهٔ"),            # more than the invoice's open amount
    ({"amount": "۱۰٬۰۰۰٬۰۰۰"}, "جمع تخصیص‌ها بیشتر از مبلغ دریافت است."),
    ({"amount": "یک میلیون"}, "یک عدد صحیح وارد کنید."),
    ({"amount": ""}, "«مبلغ (ریال)» را وارد کنید."),
    ({"method": "cheque"}, "«شمارهٔ چک» را وارد کنید."),
    ({"method": "cheque", "cheque_number": "۱۲", "cheque_bank": "ملت"}, "تاریخ سررسید چک را وارد کنید."),
    ({"received_on": "1403/12/31"}, "وجود ندارد"),
    ({"party_id": ""}, "«مشتری» را وارد کنید."),
])
def test_a_bad_receipt_shows_persian_errors_keeps_the_input_and_writes_nothing(books, ledger, web, change, message):
    client = web(books.clerk)
    data = {"party_id": ledger.owing_party, "method": "cash", "amount": "22000000",
            "received_on": format_date(today_tehran()), f"alloc-{ledger.owing.id}": "22000000"}
    change = dict(change)  # the parameter is shared by both backends' runs
    if "allocations" in change:
        data[f"alloc-{ledger.owing.id}"] = change.pop("allocations")
        data["amount"] = "۳۰٬۰۰۰٬۰۰۰"
    data.update(change)
    before = (count(books.db, Receipt), count(books.db, Entry))
    response = client.post("/finance/receipts/new", data=data)
    assert response.status_code == 200
    assert message in text(response)
    assert (count(books.db, Receipt), count(books.db, Entry)) == before
    if data["party_id"]:  # what was typed is shown again
        assert f'value="{data[f"alloc-{ledger.owing.id}"]}"' in text(response)
        assert books.db.session.get(Invoice, ledger.owing.id).paid == 0


def test_the_receipt_page_allocates_what_is_left(books, ledger, confirmed_order, web):
    db = books.db
    client = web(books.clerk)
    receipt = receipts.create({"party_id": ledger.owing_party, "method": "card", "amount": "30000000",
                               "allocations": {ledger.owing.id: 22_000_000}}, books.clerk)
    page = text(client.get(f"/finance/receipts/{receipt.id}"))
    assert 'id="credit-note"' in page and 'id="allocate-form"' not in page  # nothing open to allocate to
    confirmed_order(quantity=1, customer_id=_customer_of(books, ledger.owing_party))   # a new invoice: 11,000,000
    new_invoice = db.session.scalars(accounts.open_invoices(ledger.owing_party)).one()
    page = text(client.get(f"/finance/receipts/{receipt.id}"))
    assert 'id="allocate-form"' in page and f'name="alloc-{new_invoice.id}"' in page
    refused = client.post(f"/finance/receipts/{receipt.id}/allocate", data={f"alloc-{new_invoice.id}": "9000000"})
    assert refused.status_code == 422 and "جمع تخصیص‌ها بیشتر از مبلغ دریافت است." in text(refused)
    db.session.rollback()
    assert db.session.get(Invoice, new_invoice.id).paid == 0
    assert "مبلغی برای تخصیص" in text(client.post(f"/finance/receipts/{receipt.id}/allocate", data={}))
    done = client.post(f"/finance/receipts/{receipt.id}/allocate", data={f"alloc-{new_invoice.id}": "۸٬۰۰۰٬۰۰۰"})
    assert done.status_code == 302
    db.session.rollback()
    assert db.session.get(Invoice, new_invoice.id).paid == 8_000_000
    assert db.session.get(Receipt, receipt.id).unallocated == 0


def test_receipts_list_filters_and_exports(books, ledger, web):
    client = web(books.clerk)
    cheque = receipts.create({"party_id": ledger.owing_party, "method": "cheque", "amount": "5000000",
                              "cheque_number": "۱۲۳۴۵۶", "cheque_bank": "ملت",
                              "cheque_due": format_date(today_tehran() + dt.timedelta(days=9))}, books.clerk)
    cash = books.db.session.scalar(select(Receipt).where(Receipt.method == "cash"))
    page = text(client.get("/finance/receipts"))
    assert f'data-receipt="{cheque.id}"' in page and f'data-receipt="{cash.id}"' in page
    only = text(client.get("/finance/receipts?method=cheque"))
    assert f'data-receipt="{cheque.id}"' in only and f'data-receipt="{cash.id}"' not in only
    left = text(client.get("/finance/receipts?unallocated=1"))
    assert f'data-receipt="{cheque.id}"' in left and f'data-receipt="{cash.id}"' not in left
    rows = client.get("/finance/receipts?export=csv").get_data(as_text=True)
    assert "وضعیت چک" in rows and "دریافت‌شده" in rows and "ملت" in rows


# --- cheques --------------------------------------------------------------------------------------

def test_cheques_due_overdue_highlighted_and_status_actions_with_refusals(books, ledger, web):
    db = books.db
    client = web(books.clerk)
    late = receipts.create({"party_id": ledger.owing_party, "method": "cheque", "amount": "22000000",
                            "cheque_number": "500001", "cheque_bank": "ملی",
                            "received_on": format_date(today_tehran() - dt.timedelta(days=20)),
                            "cheque_due": format_date(today_tehran() - dt.timedelta(days=3)),
                            "allocations": {ledger.owing.id: 22_000_000}}, books.clerk)
    soon = receipts.create({"party_id": ledger.paid_party, "method": "cheque", "amount": "1000000",
                            "cheque_number": "500002", "cheque_bank": "ملت",
                            "cheque_due": format_date(today_tehran() + dt.timedelta(days=10))}, books.clerk)
    page = text(client.get("/finance/cheques"))
    assert page.index(f'data-cheque="{late.id}"') < page.index(f'data-cheque="{soon.id}"')  # by due date
    late_row = page[page.index(f'data-cheque="{late.id}"') - 20:page.index(f'data-cheque="{soon.id}"')]
    assert "fin-row-overdue" in late_row and "۳ روز گذشته" in late_row
    assert f'data-cheque-actions="{late.id}"' in page
    back = "/finance/cheques"
    assert client.post(f"/finance/cheques/{late.id}/status", data={"status": "deposited", "next": back}).status_code == 302
    assert client.post(f"/finance/cheques/{late.id}/status", data={"status": "cleared", "next": back}).status_code == 302
    db.session.rollback()
    assert db.session.get(Receipt, late.id).cheque_status == "cleared"
    refused = client.post(f"/finance/cheques/{late.id}/status", data={"status": "bounced", "next": back},
                          follow_redirects=True)
    assert "وضعیت چک تغییر نکرد" in text(refused) and "«وصول‌شده» را نمی‌توان «برگشتی» کرد" in text(refused)
    # Bounce the other one, then try again, then try to clear it.
    bounced = client.post(f"/finance/cheques/{soon.id}/status", data={"status": "bounced", "next": back},
                          follow_redirects=True)
    assert "برگشتی ثبت شد" in text(bounced)
    again = text(client.post(f"/finance/cheques/{soon.id}/status", data={"status": "bounced"}, follow_redirects=True))
    assert "«برگشتی» را نمی‌توان «برگشتی» کرد" in again
    clear = text(client.post(f"/finance/cheques/{soon.id}/status", data={"status": "cleared"}, follow_redirects=True))
    assert "«برگشتی» را نمی‌توان «وصول‌شده» کرد" in clear
    db.session.rollback()
    assert db.session.scalar(select(func.count(Entry.id)).where(Entry.kind == "bounce")) == 1
    # The default list shows cheques still in hand; the filters show the rest.
    pending = text(client.get("/finance/cheques"))
    assert f'data-cheque="{late.id}"' not in pending and f'data-cheque="{soon.id}"' not in pending
    assert f'data-cheque="{soon.id}"' in text(client.get("/finance/cheques?status=bounced"))
    assert f'data-cheque="{late.id}"' in text(client.get("/finance/cheques?status=all"))
    # An external `next` is ignored: the action returns to the cheques list.
    out = client.post(f"/finance/cheques/{soon.id}/status", data={"status": "cleared", "next": "https://evil.example/"})
    assert out.location.endswith("/finance/cheques")


# --- accounts and statements ----------------------------------------------------------------------

def test_accounts_list_with_ageing_and_exports(books, ledger, web):
    db = books.db
    ledger.owing.due_date = today_tehran() - dt.timedelta(days=45)   # 31–60 days past due
    db.session.commit()
    client = web(books.clerk)
    page = text(client.get("/finance/accounts"))
    row = page[page.index(f'data-party="{ledger.owing_party}"'):]
    row = row[:row.index("</tr>")]
    assert "بدهکار" in row and fa_money(22_000_000) in row and "fin-overdue" in row
    assert f'data-party="{ledger.paid_party}"' not in page  # settled: balance zero
    assert f'data-party="{ledger.paid_party}"' in text(client.get("/finance/accounts?which=all"))
    overdue = text(client.get("/finance/accounts?which=overdue"))
    assert f'data-party="{ledger.owing_party}"' in overdue and f'data-party="{ledger.arabic_party}"' not in overdue
    rows = client.get("/finance/accounts?export=csv").get_data(as_text=True).splitlines()
    header = rows[0].lstrip("\ufeff").split(",")
    owing_line = next(r for r in rows if str(22_000_000) in r).split(",")
    assert owing_line[header.index("۳۱ تا ۶۰ روز (ریال)")] == "22000000"
    assert owing_line[header.index("۰ تا ۳۰ روز (ریال)")] == "0"


def test_statement_for_a_period_printable_and_exportable(books, ledger, web):
    client = web(books.clerk)
    settings.update({"core.company_name": "بازرگانی آزمایشی پیوند"})
    receipts.create({"party_id": ledger.owing_party, "method": "transfer", "amount": "5000000", "reference": "۴۴۱"},
                    books.clerk)
    page = text(client.get(f"/finance/accounts/{ledger.owing_party}"))
    assert page.count('data-entry="') == 2 and 'data-closing="17000000"' in page and 'data-opening="0"' in page
    assert "پیگیری" in page
    yesterday = format_date(today_tehran() - dt.timedelta(days=1))
    empty = text(client.get(f"/finance/accounts/{ledger.owing_party}?from={yesterday}&to={yesterday}"))
    assert 'id="no-postings"' in empty and 'data-closing="0"' in empty
    later = format_date(today_tehran() + dt.timedelta(days=1))
    after = text(client.get(f"/finance/accounts/{ledger.owing_party}?from={later}&to={later}"))
    assert 'data-opening="17000000"' in after  # what came before the period is the opening balance
    printed = text(client.get(f"/finance/accounts/{ledger.owing_party}/print"))
    assert "بازرگانی آزمایشی پیوند" in printed and "size: A4" in printed and 'dir="rtl"' in printed
    assert "صورت‌حساب مشتری" in printed and fa_money(17_000_000) + " ریال بدهکار" in printed
    csv = client.get(f"/finance/accounts/{ledger.owing_party}?export=csv").get_data(as_text=True).splitlines()
    assert csv[1].endswith(",0") and csv[-1].endswith(",17000000") and "مانده از پیش" in csv[1]
    xlsx = load_workbook(io.BytesIO(client.get(f"/finance/accounts/{ledger.owing_party}?export=xlsx").data)).active
    assert list(xlsx.values)[-1][-1] == 17_000_000
    assert client.get("/finance/accounts/99999").status_code == 404


# --- credit limits --------------------------------------------------------------------------------

def test_credit_limits_per_customer_and_category(books, ledger, web):
    db = books.db
    assert web(books.clerk).get("/finance/credit").status_code == 403  # finance.credit is the administrator's
    client = web(books.admin)
    assert "هیچ مشتری‌ای سقف جداگانه ندارد." in text(client.get("/finance/credit"))
    bad = client.post("/finance/credit/customers", data={"party_id": ledger.owing_party, "limit": "-5"})
    assert bad.status_code == 422 and "نباید کمتر از" in text(bad) and count(db, CreditLimit) == 0
    assert "«مشتری» را وارد کنید." in text(client.post("/finance/credit/customers", data={"limit": "100"}))
    ok = client.post("/finance/credit/customers", data={"party_id": ledger.owing_party, "limit": "۳۰٬۰۰۰٬۰۰۰"})
    assert ok.status_code == 302
    assert db.session.get(CreditLimit, ledger.owing_party).limit == 30_000_000
    prefilled = text(client.get(f"/finance/credit?party={ledger.owing_party}"))
    assert 'value="30000000"' in prefilled and f'value="{ledger.owing_party}" selected' in prefilled
    # A category, as the customer page's panel links it: id and name filled in.
    form = text(client.get("/finance/credit?category=7&category_name=عمده‌فروش"))
    assert 'value="7"' in form and 'value="عمده‌فروش"' in form
    assert client.post("/finance/credit/categories", data={"category_id": "7", "name": "عمده‌فروش",
                                                          "limit": "50000000"}).status_code == 302
    db.session.rollback()
    row = db.session.get(CategoryLimit, 7)
    assert (row.limit, row.name) == (50_000_000, "عمده‌فروش")
    assert accounts.limit_for(ledger.paid_party, 7) == 50_000_000
    assert "عمده‌فروش" in text(client.get("/finance/credit"))
    assert "«شناسهٔ دسته‌بندی» را وارد کنید." in text(client.post("/finance/credit/categories", data={"limit": "1"}))
    # Removing falls back to the category's (or the default) limit.
    assert client.post(f"/finance/credit/customers/{ledger.owing_party}/remove").status_code == 302
    assert client.post("/finance/credit/categories/7/remove").status_code == 302
    again = client.post("/finance/credit/categories/7/remove", follow_redirects=True)
    assert "برای این دسته‌بندی سقفی تعیین نشده است." in text(again)
    db.session.rollback()
    assert count(db, CreditLimit) == 0 and count(db, CategoryLimit) == 0
    from core.models.audit import AuditEntry
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.table_name == "fin_credit_limits")) == 2


# --- the CRM customer page, menus and permissions --------------------------------------------------

def test_the_customer_page_shows_the_finance_panel(books, ledger, web):
    db = books.db
    customer_id = _customer_of(books, ledger.owing_party)
    page = text(web(books.admin).get(f"/crm/customers/{customer_id}"))
    assert 'data-panel="finance"' in page and 'id="finance-panel"' in page
    assert 'data-balance="22000000"' in page and f"/finance/invoices/{ledger.owing.id}" in page
    assert f"/finance/accounts/{ledger.owing_party}" in page and f"/finance/receipts/new?party={ledger.owing_party}" in page
    assert 'id="finance-own-limit"' in page  # the administrator may set limits
    db.session.rollback()
    # A rep without finance.view sees no finance panel.
    assert 'data-panel="finance"' not in text(web(books.rep).get(f"/crm/customers/{customer_id}"))


def test_finance_screens_need_their_permissions(books, ledger, web):
    rep = web(books.rep)
    for url in ("/finance/invoices", f"/finance/invoices/{ledger.owing.id}", "/finance/receipts", "/finance/cheques",
                "/finance/accounts", f"/finance/accounts/{ledger.owing_party}", "/finance/receipts/new",
                "/finance/credit", "/finance/parties/options?q=x"):
        assert rep.get(url).status_code == 403, url
    assert rep.post("/finance/receipts/new", data={"party_id": ledger.owing_party, "method": "cash",
                                                   "amount": "1"}).status_code == 403
    clerk = web(books.clerk)
    menu = text(clerk.get("/finance/invoices"))
    for endpoint in ("/finance/receipts/new", "/finance/receipts", "/finance/cheques", "/finance/accounts"):
        assert f'href="{endpoint}"' in menu
    assert 'href="/finance/credit"' not in menu
