"""Support screens: each list and page renders, overdue rows are highlighted, the new-ticket form
(customer search, pre-filled from a customer or an order, bad input), notes with files, status
buttons, assignment, categories; 403 without the permission, 404 for forged or hidden ids; the
customer panel, the CRM slots and the home card."""
import datetime as dt
import io
import re
import types

import pytest
from flask import render_template_string
from sqlalchemy import func, select

from core.jalali import utcnow
from core.persian import to_persian_digits
from plugins.support.models import Ticket, TicketAttachment, TicketCategory, TicketNote
from plugins.support.services import tickets
from tests.support.conftest import PDF, PNG

H = dt.timedelta(hours=1)


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


# --- lists ----------------------------------------------------------------------------------------

def test_every_list_renders_with_overdue_highlighted(desk, open_ticket, db, login_as):
    late = open_ticket(assignee_id=desk.agent.id, priority="urgent", title="دستگاه خاموش است")
    late.due_at = utcnow() - 3 * H
    fine = open_ticket(title="آموزش کاربر تازه")
    db.session.commit()
    client = login_as(desk.agent)
    for url, shown, hidden in [("/support/tickets/mine", [late], [fine]), ("/support/tickets/queue", [late, fine], []),
                               ("/support/tickets", [late, fine], []), ("/support/tickets/overdue", [late], [fine])]:
        page = text(client.get(url))
        for t in shown:
            assert f'data-ticket="{t.id}"' in page, url
        for t in hidden:
            assert f'data-ticket="{t.id}"' not in page, url
    page = text(client.get("/support/tickets"))
    row = re.search(rf'<tr class="([^"]*)" data-ticket="{late.id}"[^>]*data-overdue="(\d)"', page)
    assert "sup-overdue" in row.group(1) and row.group(2) == "1"
    assert re.search(rf'data-ticket="{fine.id}"[^>]*data-overdue="0"', page)
    assert "برمی‌دارم" in page  # the unassigned one can be taken from the list
    assert client.get("/support/").headers["Location"].endswith("/support/tickets/mine")


def test_list_filters_and_export(desk, open_ticket, db, login_as):
    a = open_ticket(title="چاپگر کم‌رنگ چاپ می‌کند", priority="high", category_id=desk.category.id)
    b = open_ticket(title="آموزش", priority="low", party_id=desk.other.id)
    client = login_as(desk.agent)
    page = text(client.get("/support/tickets?priority=high"))
    assert f'data-ticket="{a.id}"' in page and f'data-ticket="{b.id}"' not in page
    page = text(client.get(f"/support/tickets?party={desk.other.id}"))
    assert f'data-ticket="{b.id}"' in page and f'data-ticket="{a.id}"' not in page and "علی كريمي" in page
    page = text(client.get("/support/tickets?q=چاپگر"))
    assert f'data-ticket="{a.id}"' in page and f'data-ticket="{b.id}"' not in page
    page = text(client.get("/support/tickets?created_from=1403/13/45"))
    assert "نادیده گرفته شد" in page  # a bad date in a link is reported, not a crash
    csv = client.get("/support/tickets?export=csv")
    assert csv.mimetype == "text/csv" and "چاپگر کم‌رنگ چاپ می‌کند" in text(csv)
    xlsx = client.get("/support/tickets?export=xlsx")
    assert xlsx.data[:2] == b"PK"


def test_rep_sees_lists_but_not_the_agents_tabs(desk, open_ticket, login_as):
    open_ticket()
    client = login_as(desk.rep)
    assert client.get("/support/tickets").status_code == 200
    assert client.get("/support/tickets/overdue").status_code == 200
    assert client.get("/support/tickets/mine").status_code == 403
    assert client.get("/support/tickets/queue").status_code == 403
    assert client.get("/support/").headers["Location"].endswith("/support/tickets")


@pytest.mark.parametrize("url", ["/support/tickets", "/support/tickets/mine", "/support/tickets/new",
                                 "/support/categories", "/support/parties?q=مهرگان"])
def test_users_without_the_permission_get_403(desk, login_as, url):
    assert login_as(desk.keeper).get(url).status_code == 403


def test_anonymous_users_are_sent_to_login(desk, client):
    response = client.get("/support/tickets")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the ticket page ------------------------------------------------------------------------------

def test_ticket_page_shows_everything_with_jalali_due_time(desk, open_ticket, db, login_as):
    ticket = open_ticket(priority="urgent", product_id=desk.product.id, category_id=desk.category.id,
                         order_ref="crm.order:42", order_number=1005, assignee_id=desk.agent.id)
    tickets.add_note(ticket.id, {"body": "داخلی: برد تغذیه"}, desk.agent)
    tickets.add_note(ticket.id, {"body": "به مشتری گفته شد", "for_customer": True}, desk.agent)
    # 22:30 on 30 Esfand 1403 Tehran (19:00 UTC on 20 March 2025) + 2 hours of «فوری».
    ticket.sla_start = dt.datetime(2025, 3, 20, 19, 0)
    ticket.due_at = ticket.sla_start + 2 * H
    db.session.commit()
    page = text(login_as(desk.agent).get(f"/support/tickets/{ticket.id}"))
    assert "۱۴۰۴/۰۱/۰۱ ۰۰:۳۰" in page and 'id="overdue-badge"' in page
    for piece in ("کارت‌خوان روشن نمی‌شود", "شرکت صنایع غذایی مهرگان", "سفارش ۱۰۰۵", "کارت‌خوان رومیزی",
                  "خرابی و تعمیر", 'data-visibility="internal"', 'data-visibility="customer"', "داخلی: برد تغذیه",
                  'id="to-in_progress"', 'id="to-resolved"', 'id="history"', "۰۹۱۲ ۳۴۵ ۶۷۸۹"):
        assert piece in page, piece
    assert 'id="to-reopened"' not in page  # not a legal move from «تازه»


def test_ticket_page_for_a_rep_has_no_agent_actions(desk, open_ticket, login_as):
    ticket = open_ticket(actor=desk.rep)
    page = text(login_as(desk.rep).get(f"/support/tickets/{ticket.id}"))
    assert 'id="note-form"' in page
    assert 'id="status-form"' not in page and 'id="assign-form"' not in page and 'id="history"' not in page


def test_forged_or_hidden_ids_are_404(desk, open_ticket, login_as, db):
    ticket = open_ticket()
    tickets.add_note(ticket.id, {"body": "فایل"}, desk.agent, [_file("a.pdf", PDF)])
    attachment = db.session.scalar(select(TicketAttachment))
    far = login_as(desk.far_agent)
    for method, url in [("get", f"/support/tickets/{ticket.id}"), ("get", f"/support/attachments/{attachment.id}"),
                        ("post", f"/support/tickets/{ticket.id}/status"), ("post", f"/support/tickets/{ticket.id}/assign"),
                        ("post", f"/support/tickets/{ticket.id}/notes"), ("post", f"/support/tickets/{ticket.id}/edit"),
                        ("post", f"/support/tickets/{ticket.id}/take"),
                        ("get", "/support/tickets/99999"), ("get", "/support/attachments/99999"),
                        ("post", "/support/tickets/99999/status")]:
        assert getattr(far, method)(url, data={"status": "closed", "body": "x"}).status_code == 404, url
    assert db.session.get(Ticket, ticket.id).status == "new" and count(db, TicketNote) == 1


def test_status_buttons_and_illegal_moves(desk, open_ticket, db, login_as):
    ticket = open_ticket()
    client = login_as(desk.agent)
    response = client.post(f"/support/tickets/{ticket.id}/status", data={"status": "in_progress", "note": "شروع شد"},
                           follow_redirects=True)
    assert "وضعیت درخواست «در حال رسیدگی» شد." in text(response)
    response = client.post(f"/support/tickets/{ticket.id}/status", data={"status": "reopened"}, follow_redirects=True)
    assert "نمی‌توان از وضعیت «در حال رسیدگی» به «بازگشایی‌شده» برد" in text(response)
    assert db.session.get(Ticket, ticket.id).status == "in_progress"
    assert login_as(desk.rep).post(f"/support/tickets/{ticket.id}/status", data={"status": "resolved"}).status_code == 403


def test_assign_take_and_edit(desk, open_ticket, db, login_as):
    ticket = open_ticket()
    client = login_as(desk.agent)
    response = client.post(f"/support/tickets/{ticket.id}/take", data={"next": "/support/tickets/queue"})
    assert response.headers["Location"].endswith("/support/tickets/queue")
    assert db.session.get(Ticket, ticket.id).assignee_id == desk.agent.id
    response = client.post(f"/support/tickets/{ticket.id}/take", data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/support/tickets/{ticket.id}")
    client.post(f"/support/tickets/{ticket.id}/assign", data={"assignee_id": desk.agent2.id})
    assert db.session.get(Ticket, ticket.id).assignee_id == desk.agent2.id
    response = client.post(f"/support/tickets/{ticket.id}/assign", data={"assignee_id": desk.rep.id}, follow_redirects=True)
    assert "کارشناس فعال پشتیبانی نیست" in text(response)
    assert db.session.get(Ticket, ticket.id).assignee_id == desk.agent2.id
    due = db.session.get(Ticket, ticket.id).due_at
    client.post(f"/support/tickets/{ticket.id}/edit", data={"title": "عنوان تازه", "priority": "high", "channel": "email",
                                                           "category_id": desk.category.id, "product_id": ""})
    edited = db.session.get(Ticket, ticket.id)
    assert (edited.title, edited.priority, edited.channel, edited.category_id) == ("عنوان تازه", "high", "email", desk.category.id)
    assert edited.due_at == due - 16 * H
    page = text(client.post(f"/support/tickets/{ticket.id}/edit", data={"title": "", "priority": "high", "channel": "email"}))
    assert "«عنوان» را وارد کنید." in page and db.session.get(Ticket, ticket.id).title == "عنوان تازه"


def _file(name, data):
    from werkzeug.datastructures import FileStorage
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_notes_with_files_and_download(desk, open_ticket, db, login_as):
    ticket = open_ticket()
    client = login_as(desk.agent)
    response = client.post(f"/support/tickets/{ticket.id}/notes", content_type="multipart/form-data",
                           data={"body": "عکس دستگاه", "for_customer": "y", "files": [(io.BytesIO(PNG), "دستگاه.png")]})
    assert response.status_code == 302
    note = db.session.scalar(select(TicketNote))
    assert note.for_customer and note.body == "عکس دستگاه"
    [attachment] = note.attachments
    download = client.get(f"/support/attachments/{attachment.id}")
    assert download.data == PNG and download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    assert login_as(desk.rep).get(f"/support/attachments/{attachment.id}").status_code == 200  # same office
    page = text(client.post(f"/support/tickets/{ticket.id}/notes", content_type="multipart/form-data",
                            data={"body": "نامه", "files": [(io.BytesIO(b"MZ\x90\x00"), "letter.pdf")]}))
    assert "محتوای فایل با پسوند آن جور نیست" in page and "نامه" in page  # what was typed stays
    page = text(client.post(f"/support/tickets/{ticket.id}/notes", data={"body": ""}))
    assert "متن یادداشت را بنویسید یا فایلی پیوست کنید." in page
    assert count(db, TicketNote) == 1 and count(db, TicketAttachment) == 1


# --- a new ticket ---------------------------------------------------------------------------------

def test_customer_search_fragment_and_card(desk, login_as):
    client = login_as(desk.agent)
    page = text(client.get("/support/parties?q=۰۹۱۲۳۴۵"))
    assert f'data-party-option="{desk.party.id}"' in page and "مهرگان" in page
    assert "پیدا نشد" in text(client.get("/support/parties?q=ناشناس"))
    card = text(client.get(f"/support/parties/{desk.party.id}/card"))
    assert f'name="party_id" value="{desk.party.id}"' in card and "تغییر مشتری" in card
    empty = text(client.get("/support/parties/0/card"))
    assert 'name="party_id" value=""' in empty and 'id="party-search"' in empty


def test_new_ticket_form_creates_a_ticket(desk, db, login_as):
    client = login_as(desk.agent)
    page = text(client.get("/support/tickets/new"))
    assert 'id="party-search"' in page and "فوری ۲" in page
    response = client.post("/support/tickets/new", content_type="multipart/form-data", data={
        "party_id": str(desk.party.id), "title": "بارکدخوان وصل نمی‌شود", "description": "پس از شارژ",
        "channel": "phone", "priority": "high", "category_id": str(desk.category.id), "product_id": str(desk.product.id),
        "office_id": str(desk.tehran.id), "assignee_id": str(desk.agent.id), "files": [(io.BytesIO(PDF), "factor.pdf")]})
    ticket = db.session.scalar(select(Ticket))
    assert response.headers["Location"].endswith(f"/support/tickets/{ticket.id}")
    assert (ticket.title, ticket.priority, ticket.assignee_id, len(ticket.attachments)) == ("بارکدخوان وصل نمی‌شود", "high", desk.agent.id, 1)
    page = text(client.get(response.headers["Location"]))
    assert f"درخواست شمارهٔ {to_persian_digits(ticket.id)} ثبت شد" in page


def test_bad_new_ticket_is_refused_in_persian_and_writes_nothing(desk, db, login_as):
    client = login_as(desk.agent)
    page = text(client.post("/support/tickets/new", data={"title": "", "channel": "phone", "priority": "normal"}))
    assert "مشتری را جست‌وجو و انتخاب کنید." in page and "«عنوان» را وارد کنید." in page
    page = text(client.post("/support/tickets/new", content_type="multipart/form-data", data={
        "party_id": str(desk.party.id), "title": "با فایل بد", "channel": "phone", "priority": "normal",
        "files": [(io.BytesIO(b"\x7fELF...."), "run.txt")]}))
    assert "جور نیست" in page and "با فایل بد" in page and "شرکت صنایع غذایی مهرگان" in page  # the choice stays
    assert count(db, Ticket) == 0


def test_new_ticket_pre_filled_from_an_order(desk, login_as, db):
    client = login_as(desk.rep)
    page = text(client.get(f"/support/tickets/new?party_id={desk.party.id}&order_ref=crm.order:42&order_number=1005"))
    assert f'name="party_id" value="{desk.party.id}"' in page and 'value="crm.order:42"' in page and "سفارش ۱۰۰۵" in page
    assert 'name="assignee_id"' not in page  # reps do not assign
    page = text(client.get(f"/support/tickets/new?party_id={desk.party.id}&order_ref=<script>&order_number=1"))
    assert re.search(r'<input[^>]*name="order_ref"[^>]*value=""', page) and 'id="order-ref"' not in page
    client.post("/support/tickets/new", data={"party_id": str(desk.party.id), "title": "قطعه ناقص رسید",
                                              "channel": "phone", "priority": "normal",
                                              "order_ref": "crm.order:42", "order_number": "1005"})
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.order_ref, ticket.order_number, ticket.created_by_id, ticket.assignee_id) == \
        ("crm.order:42", 1005, desk.rep.id, None)


# --- categories -----------------------------------------------------------------------------------

def test_categories_admin(desk, db, login_as):
    client = login_as(desk.admin)
    assert "خرابی و تعمیر" in text(client.get("/support/categories"))
    client.post("/support/categories", data={"name": "آموزش", "position": "۵"})
    added = db.session.scalar(select(TicketCategory).where(TicketCategory.name == "آموزش"))
    assert added.position == 5
    page = text(client.post("/support/categories", data={"name": "خرابي و تعمير"}))  # Arabic letters: the same name
    assert "هست" in page and count(db, TicketCategory) == 3
    client.post(f"/support/categories/{added.id}", data={"name": "آموزش و راهنمایی", "position": "7"})
    client.post(f"/support/categories/{added.id}/active", data={"active": "0"})
    added = db.session.get(TicketCategory, added.id)
    assert (added.name, added.position, added.active) == ("آموزش و راهنمایی", 7, False)
    assert client.post("/support/categories/99999", data={"name": "x"}).status_code == 404
    assert login_as(desk.agent).post("/support/categories", data={"name": "x"}).status_code == 403


def test_suggested_categories_when_there_are_none(app, db, make_user, login_as):
    admin = make_user("root", role="administrator", superuser=True)
    client = login_as(admin)
    assert 'id="add-defaults"' in text(client.get("/support/categories"))
    client.post("/support/categories/defaults")
    assert count(db, TicketCategory) == 6
    client.post("/support/categories/defaults")
    assert count(db, TicketCategory) == 6


# --- on other pages -------------------------------------------------------------------------------

def _as(app, user):
    from flask_login import login_user
    ctx = app.test_request_context()
    ctx.push()
    login_user(user)
    return ctx


def test_customer_panel_lists_the_customers_tickets_open_first(app, desk, open_ticket, db):
    closed = open_ticket(title="قدیمی و بسته")
    tickets.change_status(closed.id, "closed", desk.agent)
    current = open_ticket(title="باز و جاری")
    open_ticket(actor=desk.far_agent, title="در اصفهان", office_id=desk.isfahan.id)
    host = app.extensions["peyvand"].host
    ctx = _as(app, desk.rep)
    try:
        customer = types.SimpleNamespace(id=7, party_id=desk.party.id, party=desk.party)
        panels = dict(host.call_each("customer_panels", customer=customer, user=desk.rep))
        [panel] = panels["support"]
        html = str(panel["html"])
        assert panel["title"] == "درخواست‌های پشتیبانی"
        assert html.index("باز و جاری") < html.index("قدیمی و بسته")
        assert "در اصفهان" not in html and "۱ درخواست دیگر در دفترهای دیگر" in html
        assert f"/support/tickets/new?party_id={desk.party.id}" in html and 'data-open-tickets="1"' in html
    finally:
        ctx.pop()
    ctx = _as(app, desk.keeper)  # no support.view: no panel
    try:
        assert dict(host.call_each("customer_panels", customer=customer, user=desk.keeper)).get("support") == []
    finally:
        ctx.pop()
    _ = current


def test_one_click_buttons_in_the_crm_slots(app, desk, login_as):
    ctx = _as(app, desk.rep)
    try:
        customer = types.SimpleNamespace(id=7, party_id=desk.party.id)
        order = types.SimpleNamespace(id=42, number=1005, customer=customer)
        html = render_template_string("{{ plugin_slot('crm.customer.actions', customer=c) }}", c=customer)
        assert f'href="/support/tickets/new?party_id={desk.party.id}"' in html
        html = render_template_string("{{ plugin_slot('crm.order.actions', order=o) }}", o=order)
        url = re.search(r'href="([^"]+)"', html).group(1).replace("&amp;", "&")
        assert "order_ref=crm.order:42" in url.replace("%3A", ":") and "order_number=1005" in url
        assert render_template_string("{{ plugin_slot('crm.order.actions') }}").strip() == ""
    finally:
        ctx.pop()
    ctx = _as(app, desk.keeper)
    try:
        assert "support" not in render_template_string("{{ plugin_slot('crm.customer.actions', customer=c) }}", c=customer)
    finally:
        ctx.pop()
    page = text(login_as(desk.rep).get(url))
    assert 'value="crm.order:42"' in page and "شرکت صنایع غذایی مهرگان" in page


def test_home_card_for_agents_only(desk, open_ticket, login_as):
    open_ticket(assignee_id=desk.agent.id, title="کار امروز من")
    assert "کار امروز من" in text(login_as(desk.agent).get("/"))
    assert 'id="support-home"' not in text(login_as(desk.rep).get("/"))


def test_panel_on_the_crm_customer_page(desk, db, login_as):
    """The real CRM page renders the panel (the CRM's customer_panels call)."""
    from plugins.crm.services import customers
    registered = customers.register({"kind": "person", "name": "مریم نجفی", "phones": [{"number": "09351234567"}]},
                                    desk.rep, confirmed_not_duplicate=True)
    from plugins.crm.models import Customer
    customer = db.session.get(Customer, registered.customer_id)
    tickets.create({"party_id": customer.party_id, "title": "کارت‌خوان خاموش", "channel": "phone"}, desk.agent)
    page = text(login_as(desk.rep).get(f"/crm/customers/{customer.id}"))
    assert 'data-panel="support"' in page and "کارت‌خوان خاموش" in page
