"""Finance in a real browser: an order confirmed through the services issues an invoice; the
finance clerk finds it, enters a receipt for the customer (search, htmx allocation table,
«تخصیص خودکار») and the account is settled; a second order is cancelled (a service call) and
its credit note appears; the printed statement of account. Inventory is disabled: this is about
money. Screenshots under tests/e2e/screenshots/ (finance-*)."""
from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from core.models.org import Office
from core.models.products import Product
from core.persian import to_persian_digits
from tests.e2e.conftest import LiveServer
from tests.e2e.test_admin_flow import login


def fa_money(n: int) -> str:
    return to_persian_digits(f"{n:,}".replace(",", "٬"))


@pytest.fixture
def finance_server(make_app):
    """The app without inventory, CSRF on, served on a free port in a thread."""
    app = make_app({"DISABLED_PLUGINS": ("inventory",), "WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_invoice_receipt_allocation_credit_note_and_printed_statement(finance_server, page, page_log, shot,
                                                                       make_user):
    app, url = finance_server.app, finance_server.url
    with app.app_context():
        from sqlalchemy import select

        from core import settings
        from core.db import db
        from plugins.crm.services import customers, orders
        from plugins.finance.models import Invoice
        from plugins.finance.services import accounts

        office = Office(name="دفتر مرکزی تهران", city="تهران", area_code="21")
        product = Product(code="K1", name="کارت‌خوان سیار", list_price=10_000_000, cost_price=7_000_000,
                          search_key="k1 کارت خوان سیار")
        db.session.add_all([office, product])
        db.session.commit()
        rep = make_user("sara", role="sales", office=office, first_name="سارا", last_name="محمدی")
        make_user("mali", role="finance", office=office, first_name="لیلا", last_name="اکبری")
        settings.update({"core.company_name": "بازرگانی نمونهٔ پیوند"})
        registered = customers.register({"kind": "organisation", "name": "شرکت صنایع غذایی مهرگان", "city": "تهران",
                                         "phones": [{"number": "09123456789"}]}, rep, confirmed_not_duplicate=True)
        customer_id = registered.customer_id
        # An order confirmed in the CRM: finance issues its invoice in the same transaction.
        order = orders.direct(customer_id, {"lines": [{"product_id": product.id, "quantity": 3}]}, rep)
        order = orders.confirm(order.id, rep)
        invoice = db.session.scalar(select(Invoice).where(Invoice.order_ref == f"crm.order:{order.id}"))
        party_id, total = invoice.party_id, invoice.total
        assert total == 33_000_000 and accounts.balance(party_id) == total
        invoice_id, invoice_number, product_id = invoice.id, invoice.number, product.id
        db.session.remove()

    # The clerk finds the invoice in the list.
    login(page, finance_server, "mali")
    page.locator("#main-nav .dropdown-toggle", has_text="مالی").click()
    page.locator("[data-menu='finance.invoices']").click()
    row = page.locator(f"#invoices tr[data-invoice='{invoice_id}']")
    expect(row).to_contain_text("شرکت صنایع غذایی مهرگان")
    expect(row.locator("[data-invoice-status]")).to_have_text("پرداخت‌نشده")
    expect(row).to_contain_text(fa_money(total))
    shot(page, "finance-01-invoices")

    # ...and enters the customer's receipt: search, choose, the open invoices come in (htmx).
    page.goto(url + "/finance/receipts/new")
    page.locator("#party-search").fill("صنایع غذایی")
    expect(page.locator("#party_id")).to_have_value(str(party_id))  # the single match is chosen
    alloc = page.locator(f"#alloc-{invoice_id}")
    expect(alloc).to_be_visible()
    page.locator("#method").select_option("transfer")
    page.locator("#amount").fill("۳۵٬۰۰۰٬۰۰۰")
    page.locator("#reference").fill("۸۸۲۱۴۳۰۰۱")
    page.locator("#auto-allocate").click()
    expect(page.locator(f"#alloc-{invoice_id}")).to_have_value(fa_money(total))
    expect(page.locator("#leftover")).to_contain_text("۲٬۰۰۰٬۰۰۰")  # the rest stays as the customer's credit
    # The clerk corrects it to pay exactly the invoice.
    page.locator("#amount").fill("33000000")
    expect(page.locator("#leftover")).to_have_text("۰ ریال")
    shot(page, "finance-02-receipt-form")
    page.locator("#save-receipt").click()
    expect(page.locator(".alert-success")).to_contain_text("ثبت شد")
    expect(page.locator("#receipt-allocations")).to_contain_text(f"فاکتور {to_persian_digits(invoice_number)}/")
    expect(page.locator("#receipt-unallocated")).to_have_attribute("data-unallocated", "0")
    shot(page, "finance-03-receipt")

    # The invoice is paid and the customer's balance is zero.
    page.goto(url + f"/finance/invoices/{invoice_id}")
    expect(page.locator("#invoice-title [data-invoice-status]")).to_have_text("تسویه‌شده")
    expect(page.locator("#invoice-open")).to_have_attribute("data-open", "0")
    expect(page.locator("#invoice-payments")).to_contain_text(fa_money(total))
    page.goto(url + f"/finance/accounts/{party_id}")
    expect(page.locator("#statement-closing")).to_have_attribute("data-closing", "0")
    expect(page.locator("#balance-now [data-balance]")).to_have_attribute("data-balance", "0")

    # A second order is confirmed and then cancelled in the CRM (service calls): a credit note.
    with app.app_context():
        from core.models.org import User
        rep = db.session.scalar(select(User).where(User.username == "sara"))
        second = orders.direct(customer_id, {"lines": [{"product_id": product_id, "quantity": 1}]}, rep)
        second = orders.confirm(second.id, rep)
        orders.cancel(second.id, rep, "مشتری منصرف شد")
        note = db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
        note_id, credited_id = note.id, note.credit_of_id
        db.session.remove()
    page.goto(url + "/finance/invoices?status=credit_note")
    note_row = page.locator(f"#invoices tr[data-invoice='{note_id}']")
    expect(note_row).to_contain_text("برگشت از فروش")
    expect(note_row).to_contain_text(fa_money(11_000_000))
    expect(page.locator("#invoices tbody tr")).to_have_count(1)
    shot(page, "finance-04-credit-note")
    page.goto(url + f"/finance/invoices/{credited_id}")
    expect(page.locator("#credited-by")).to_contain_text("برگشت از فروش")

    # The statement of account: invoice, receipt, the second invoice and its credit note; zero.
    page.goto(url + f"/finance/accounts/{party_id}")
    expect(page.locator("#statement-rows tbody tr[data-entry]")).to_have_count(4)
    expect(page.locator("#statement-closing")).to_have_attribute("data-closing", "0")
    shot(page, "finance-05-statement")
    with page.expect_popup() as popup:
        page.locator("#print-statement").click()
    printed = popup.value
    printed.wait_for_load_state()
    expect(printed.locator("#company")).to_have_text("بازرگانی نمونهٔ پیوند")
    expect(printed.locator("#customer-name")).to_have_text("شرکت صنایع غذایی مهرگان")
    expect(printed.locator("#statement-rows tbody tr[data-entry]")).to_have_count(4)
    expect(printed.locator("#print-closing")).to_contain_text("۰ ریال")
    assert printed.locator("html").get_attribute("dir") == "rtl"
    shot(printed, "finance-06-statement-print")
    printed.emulate_media(media="print")
    expect(printed.locator(".toolbar")).to_be_hidden()  # print CSS: only the sheet
    # What the printer gets: A4 pages (look at the PDF beside the screenshots).
    pdf = printed.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    shot(printed, "finance-07-statement-printed").with_suffix(".pdf").write_bytes(pdf)
    printed.close()

    assert page_log.page_errors == [] and page_log.console_errors == []
    assert page_log.foreign_requests(finance_server.netloc) == []
    assert re.search(r"/finance/receipts/allocations\?", " ".join(page_log.requests))  # htmx did load the table
