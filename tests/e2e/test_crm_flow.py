"""The Saba flow in a real browser: rep A registers a customer and logs a call, then suspends
it; rep B claims it from the free pool; A's manager sees the whole history; the administrator
opens the points table and drills down. Screenshots under tests/e2e/screenshots/."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from core.jalali import format_date, today_tehran
from core.models.org import Office
from tests.e2e.test_admin_flow import fill_date, login, logout


def test_register_log_suspend_claim_and_report(live_server, page, page_log, shot, make_user, db):
    office = Office(name="دفتر مرکزی تهران", city="تهران", area_code="21")
    db.session.add(office)
    db.session.commit()
    manager = make_user("manager", role="manager", office=office, first_name="علیرضا", last_name="کریمی")
    make_user("rep_a", role="sales", office=office, manager=manager, first_name="سارا", last_name="محمدی")
    make_user("rep_b", role="sales", office=office, first_name="رضا", last_name="حسینی")
    make_user("admin", role="administrator", office=office, superuser=True, first_name="مریم", last_name="احمدی")
    url = live_server.url

    # Rep A registers a customer...
    login(page, live_server, "rep_a")
    page.goto(url + "/crm/customers/new")
    page.locator("#kind").select_option("organisation")
    page.locator("#name").fill("شرکت صنایع غذایی مهرگان")
    page.locator("#mobile").fill("۰۹۱۲ ۳۴۵ ۶۷۸۹")
    page.locator("#city").fill("تهران")
    shot(page, "crm-01-register")
    page.locator("#register-submit").click()
    expect(page.locator("#customer-name")).to_contain_text("صنایع غذایی مهرگان")
    expect(page.locator("#current-negotiation")).to_contain_text("در حال مذاکره")
    customer_url = page.url
    # ...and logs a call with a next contact date.
    page.locator("#new-entry").click()
    page.locator("#log-form textarea[name=summary]").fill("تماس اول؛ کاتالوگ و فهرست قیمت فرستاده شد.")
    fill_date(page, "next_contact", format_date(today_tehran() + dt.timedelta(days=1)),
              selector="#log-form input[name=next_contact]")
    page.locator("#save-entry").click()
    expect(page.locator("#customer-page")).to_contain_text("تماس اول؛ کاتالوگ")
    shot(page, "crm-02-logged")
    # A suspends it (a confirmation step first).
    page.locator("#btn-suspended").click()
    page.locator("#status-suspended [data-confirm=suspended]").click()
    expect(page.locator(".alert").first).to_be_visible()
    expect(page.locator("#customer-page")).to_contain_text("معلق")
    shot(page, "crm-03-suspended")
    logout(page, live_server)

    # Rep B finds it in the free pool and claims it.
    login(page, live_server, "rep_b")
    page.goto(url + "/crm/pool")
    expect(page.locator("main")).to_contain_text("صنایع غذایی مهرگان")
    shot(page, "crm-04-pool")
    page.goto(customer_url)
    expect(page.locator("#customer-page")).to_contain_text("تماس اول؛ کاتالوگ")  # B reads the full history
    page.locator("#claim").click()
    expect(page.locator("#current-negotiation")).to_contain_text("رضا حسینی")
    shot(page, "crm-05-claimed")
    logout(page, live_server)

    # A's manager sees the whole history: A's suspended negotiation and B's new one.
    login(page, live_server, "manager")
    page.goto(customer_url)
    history = page.locator("#crm-negotiations")
    expect(history).to_contain_text("سارا محمدی")
    expect(history).to_contain_text("رضا حسینی")
    expect(history).to_contain_text("تماس اول؛ کاتالوگ")
    shot(page, "crm-06-manager-history")
    logout(page, live_server)

    # The administrator opens the points table and drills down into A's negotiations.
    login(page, live_server, "admin")
    page.goto(url + "/crm/reports/status")
    table = page.locator("#status-report")
    expect(table).to_contain_text("سارا محمدی")
    row_a = table.locator("tr", has_text="سارا محمدی")
    # A: −1 for opening, −1 for the suspension charged when B claimed = −2; B: −1.
    expect(row_a.locator("td[data-col=points]")).to_have_attribute("data-value", "-2")
    expect(table.locator("tr", has_text="رضا حسینی").locator("td[data-col=points]")).to_have_attribute("data-value", "-1")
    shot(page, "crm-07-points-table")
    row_a.locator("td[data-col=suspended] a").click()
    expect(page).to_have_url(re.compile(r"/crm/reports/status/suspended"))
    expect(page.locator("main")).to_contain_text("صنایع غذایی مهرگان")
    shot(page, "crm-08-drilldown")
    assert page_log.page_errors == []
    assert page_log.foreign_requests(live_server.netloc) == []
