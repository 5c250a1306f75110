"""Support in a real browser: an agent opens a ticket for a customer found by phone number, adds
a note for the customer, and moves the ticket through its statuses to «حل‌شده»; an overdue ticket
stands out in the team queue. Screenshots under tests/e2e/screenshots/."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from core.jalali import utcnow
from core.models.org import Office
from core.services.parties import save_party
from tests.e2e.test_admin_flow import login


def test_agent_opens_works_and_resolves_a_ticket(live_server, page, page_log, shot, make_user, db):
    from plugins.support.models import Ticket, TicketCategory
    from plugins.support.services import tickets

    office = Office(name="دفتر مرکزی تهران", city="تهران", area_code="21")
    db.session.add(office)
    db.session.add(TicketCategory(name="خرابی و تعمیر", position=10))
    db.session.commit()
    party = save_party({"kind": "organisation", "name": "شرکت صنایع غذایی مهرگان", "city": "تهران", "office_id": office.id,
                        "phones": [{"number": "0912 345 6789", "kind": "mobile"}]})
    save_party({"kind": "person", "name": "مینا یوسفی", "phones": [{"number": "09351112233", "kind": "mobile"}]})
    agent = make_user("poshtiban", role="support", office=office, first_name="امیر", last_name="یزدانی")
    make_user("agent2", role="support", office=office, first_name="نرگس", last_name="طاهری")
    # A ticket already past its due time, waiting in the team queue.
    late = tickets.create({"party_id": party.id, "title": "چاپگر رسید را کم‌رنگ چاپ می‌کند", "channel": "phone",
                           "priority": "urgent"}, agent)
    late.due_at = utcnow() - dt.timedelta(hours=3)
    db.session.commit()
    url = live_server.url

    login(page, live_server, "poshtiban")
    expect(page.locator("#support-home")).to_be_visible()
    page.goto(url + "/support/tickets/queue")
    expect(page.locator(f"tr[data-ticket='{late.id}']")).to_have_attribute("data-overdue", "1")
    shot(page, "support-01-queue")

    # A new ticket: the customer is found by part of the phone number, typed in Persian digits.
    page.goto(url + "/support/tickets/new")
    page.locator("#party-search").fill("۳۴۵ ۶۷۸")
    page.locator(f"[data-party-option='{party.id}']").click()
    expect(page.locator("#party-name")).to_have_text("شرکت صنایع غذایی مهرگان")
    expect(page.locator("#party-open-tickets")).to_contain_text("۱ درخواست باز")  # the late one
    page.locator("#title").fill("کارت‌خوان پس از به‌روزرسانی روشن نمی‌شود")
    page.locator("#description").fill("از دیروز که نسخهٔ تازه نصب شد، دستگاه روشن نمی‌شود.")
    page.locator("#priority").select_option("high")
    page.locator("#category_id").select_option(label="خرابی و تعمیر")
    shot(page, "support-02-new")
    page.locator("#save-ticket").click()
    expect(page.locator("#ticket-title")).to_contain_text("کارت‌خوان پس از به‌روزرسانی روشن نمی‌شود")
    expect(page.locator(".alert-success")).to_contain_text("ثبت شد؛ مهلت رسیدگی تا ۱۴")
    expect(page.locator("#ticket-status")).to_contain_text("تازه")
    expect(page.locator("#sla")).to_contain_text("اولویت «زیاد»: ۸ ساعت")
    ticket_url = page.url

    # A note for the customer.
    page.locator("#note-form textarea[name=body]").fill("با مشتری تماس گرفتم؛ همکار فنی فردا صبح مراجعه می‌کند.")
    page.locator("#for_customer").check()
    page.locator("#save-note").click()
    expect(page.locator("#timeline")).to_contain_text("همکار فنی فردا صبح مراجعه می‌کند")
    expect(page.locator("#timeline [data-visibility='customer']")).to_have_count(1)

    # Through the statuses: in progress, waiting for the customer, back to work, resolved.
    page.locator("#to-in_progress").click()
    expect(page.locator("#ticket-status")).to_contain_text("در حال رسیدگی")
    page.locator("#status-form textarea[name=note]").fill("منتظر شمارهٔ سریال دستگاه")
    page.locator("#to-waiting_customer").click()
    expect(page.locator("#ticket-status")).to_contain_text("منتظر مشتری")
    expect(page.locator("#sla")).to_contain_text("متوقف است")
    shot(page, "support-03-waiting")
    page.locator("#to-in_progress").click()
    expect(page.locator("#ticket-status")).to_contain_text("در حال رسیدگی")
    expect(page.locator("#to-reopened")).to_have_count(0)
    page.locator("#to-resolved").click()
    expect(page.locator("#ticket-status")).to_contain_text("حل‌شده")
    expect(page.locator("#sla")).to_contain_text("حل‌شده در")
    expect(page.locator("#timeline [data-change]")).to_have_count(4)
    expect(page.locator("#timeline")).to_contain_text("منتظر شمارهٔ سریال دستگاه")
    expect(page.locator("#to-reopened")).to_be_visible()
    shot(page, "support-04-resolved")

    db.session.rollback()  # end the test's own read snapshot: the server wrote since
    ticket = db.session.scalar(db.select(Ticket).where(Ticket.id != late.id))
    assert ticket.status == "resolved" and ticket.assignee_id == agent.id and ticket.resolved_at is not None
    assert [c.new_status for c in ticket.status_changes] == ["new", "in_progress", "waiting_customer", "in_progress",
                                                             "resolved"]
    assert page.url == ticket_url

    page.goto(url + "/support/tickets/mine")
    expect(page.locator(f"tr[data-ticket='{ticket.id}']")).to_have_attribute("data-status", "resolved")
    shot(page, "support-05-mine")
    assert page_log.foreign_requests(live_server.netloc) == []
    assert page_log.console_errors == [] and page_log.page_errors == []
