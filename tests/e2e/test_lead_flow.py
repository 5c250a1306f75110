"""Issue 5's flow in a real browser: a lead arrives through the public web form; a rep takes it
and qualifies it into an opportunity; moves it across two stages on the kanban board; logs a call
with tomorrow as the next contact date, and finds it on tomorrow's daily follow-ups."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from core.jalali import format_date, today_tehran
from core.models.org import Office
from tests.e2e.test_admin_flow import login


def test_web_form_to_kanban_to_followups(live_server, page, page_log, shot, make_user, db):
    office = Office(name="دفتر مرکزی تهران", city="تهران", area_code="21")
    db.session.add(office)
    db.session.commit()
    make_user("rep", role="sales", office=office, first_name="سارا", last_name="محمدی")
    url = live_server.url

    # A visitor of the organisation's site sends the embedded form (no login).
    page.goto(f"{url}/forms/lead/{office.id}")
    page.locator("#wf-name").fill("کامران یزدانی")
    page.locator("#wf-mobile").fill("۰۹۱۲ ۷۷۷ ۸۸۹۹")
    page.locator("#wf-city").fill("تهران")
    page.locator("#wf-message").fill("برای ۲۰ شعبه کارت‌خوان و نرم‌افزار می‌خواهیم.")
    shot(page, "lead-01-web-form")
    page.locator("#wf-submit").click()
    expect(page.locator("#thanks")).to_be_visible()

    # The rep finds it in the office queue, takes it and qualifies it.
    login(page, live_server, "rep")
    page.goto(url + "/crm/leads/queue")
    expect(page.locator("main")).to_contain_text("کامران یزدانی")
    shot(page, "lead-02-queue")
    page.locator("main a", has_text="کامران یزدانی").first.click()
    page.locator("#take").click()
    expect(page.locator("#owner")).to_contain_text("سارا محمدی")
    page.locator("#qualify-form input[name=value]").fill("۲۵۰٬۰۰۰٬۰۰۰")
    page.locator("#qualify-form textarea[name=need_details]").fill("۲۰ کارت‌خوان و نرم‌افزار حسابداری برای شعبه‌ها")
    page.locator("#qualify-form input[name=forecast_close]").fill(format_date(today_tehran() + dt.timedelta(days=30)))
    shot(page, "lead-03-qualify")
    page.locator("#qualify-submit").click()
    expect(page.locator("#customer-name")).to_contain_text("کامران یزدانی")
    customer_url = page.url

    # Two stages forward on the board, with the card's → button.
    page.goto(url + "/crm/opportunities/board")
    card = page.locator(".kanban-card", has_text="کامران یزدانی")
    first_stage = card.get_attribute("data-stage-id")
    card.locator("[data-move=next]").click()
    card = page.locator(".kanban-card", has_text="کامران یزدانی")
    expect(card).not_to_have_attribute("data-stage-id", first_stage)
    second_stage = card.get_attribute("data-stage-id")
    card.locator("[data-move=next]").click()
    card = page.locator(".kanban-card", has_text="کامران یزدانی")
    expect(card).not_to_have_attribute("data-stage-id", second_stage)
    third = page.locator(f"#stage-{card.get_attribute('data-stage-id')}-title").inner_text()
    assert third == "ارائهٔ پیشنهاد", third
    shot(page, "lead-04-board")

    # Log a call with tomorrow as the next contact date...
    page.goto(customer_url)
    page.locator("#new-entry").click()
    tomorrow = format_date(today_tehran() + dt.timedelta(days=1))
    page.locator("#log-form textarea[name=summary]").fill("تماس گرفتم؛ فهرست شعبه‌ها را فردا می‌فرستند.")
    page.locator("#log-form input[name=next_contact]").fill(tomorrow)
    page.locator("#save-entry").click()
    expect(page.locator("#customer-page")).to_contain_text("فهرست شعبه‌ها را فردا می‌فرستند")

    # ...and find it on tomorrow's daily follow-ups.
    page.goto(url + "/crm/reports/followups?day=" + format_date(today_tehran() + dt.timedelta(days=1), "en"))
    expect(page.locator("main")).to_contain_text("کامران یزدانی")
    expect(page.locator("main")).to_contain_text("فهرست شعبه‌ها را فردا می‌فرستند")
    shot(page, "lead-05-followups-tomorrow")
    assert page_log.page_errors == []
    assert page_log.foreign_requests(live_server.netloc) == []
