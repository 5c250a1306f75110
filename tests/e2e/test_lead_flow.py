"""Issue 5's flow in a real browser: a lead arrives through the public web form; a rep takes it
and qualifies it into an opportunity; moves it across two stages on the kanban board; logs a call
with tomorrow as the next contact date, and finds it on tomorrow's daily follow-ups."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from core.jalali import format_date, today_tehran
from core.models.org import Office
from tests.e2e.test_admin_flow import fill_date, login


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
    fill_date(page, "forecast_close", format_date(today_tehran() + dt.timedelta(days=30)),
              selector="#qualify-form input[name=forecast_close]")
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
    fill_date(page, "next_contact", tomorrow, selector="#log-form input[name=next_contact]")
    page.locator("#save-entry").click()
    expect(page.locator("#customer-page")).to_contain_text("فهرست شعبه‌ها را فردا می‌فرستند")

    # ...and find it on tomorrow's daily follow-ups.
    page.goto(url + "/crm/reports/followups?day=" + format_date(today_tehran() + dt.timedelta(days=1), "en"))
    expect(page.locator("main")).to_contain_text("کامران یزدانی")
    expect(page.locator("main")).to_contain_text("فهرست شعبه‌ها را فردا می‌فرستند")
    shot(page, "lead-05-followups-tomorrow")
    assert page_log.page_errors == []
    assert page_log.foreign_requests(live_server.netloc) == []


def test_file_import_sent_once_however_often_clicked(live_server, page, make_user, db, tmp_path):
    """A manager imports a CSV through the wizard. The import of a big file takes minutes: while
    it runs, its button is disabled and says so; a second click sends nothing."""
    office = Office(name="دفتر مرکزی تهران", city="تهران", area_code="21")
    db.session.add(office)
    db.session.commit()
    make_user("boss", role="manager", office=office, first_name="مینا", last_name="رحمانی")
    path = tmp_path / "leads.csv"
    path.write_text("نام,موبایل,شهر\n" + "".join(f"مشتری آزمایشی {i},0912{3000000 + i:07d},تهران\n"
                                                   for i in range(12)), encoding="utf-8-sig")
    login(page, live_server, "boss")
    page.goto(live_server.url + "/crm/leads/import")
    page.locator("#file").set_input_files(str(path))
    page.locator("#upload-submit").click()
    page.locator("#mapping-submit").click()
    expect(page.locator("#import-submit")).to_contain_text("۱۲")

    held = []  # the import request, held back as a file of 100,000 rows would keep it waiting
    page.route("**/run", lambda route: held.append(route))
    # Two clicks 50 ms apart, and the button as the page shows it meanwhile, in one script (the
    # page keeps showing the preview while the request waits; a locator would wait for the
    # navigation to finish).
    state = page.evaluate("""() => new Promise(done => {
        const b = document.querySelector('#import-submit');
        b.click();
        setTimeout(() => { b.click(); done([b.disabled, b.textContent]); }, 50);
    })""")
    assert state[0] is True and "در حال ورود" in state[1], state
    page.wait_for_timeout(500)
    assert len(held) == 1, [r.request.url for r in held]
    held[0].continue_()
    expect(page.locator("#imported")).to_have_text("۱۲")
