"""The support JSON API under /api/v1/support: the same services, visibility and Persian
refusals as the screens; tokens only; documented in the OpenAPI document."""
import pytest
from sqlalchemy import func, select

from core import auth
from plugins.support.models import Ticket, TicketNote


@pytest.fixture
def api(client, desk):
    tokens = {}

    def call(user, method, url, **kwargs):
        if user.id not in tokens:
            tokens[user.id] = auth.create_token(user, "test")[1]
        return getattr(client, method)("/api/v1/support" + url, headers={"Authorization": f"Bearer {tokens[user.id]}"},
                                       **kwargs)
    return call


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_get_list_and_work_a_ticket(api, desk, db):
    response = api(desk.agent, "post", "/tickets", json={
        "party_id": desk.party.id, "title": "کارت‌خوان روشن نمی‌شود", "channel": "phone", "priority": "urgent",
        "category_id": desk.category.id, "order_ref": "crm.order:42", "order_number": 1005})
    assert response.status_code == 201, response.json
    body = response.json
    ticket_id = body["id"]
    assert (body["status"], body["priority"], body["party_name"], body["category_name"], body["order_number"]) == \
        ("new", "urgent", "شرکت صنایع غذایی مهرگان", "خرابی و تعمیر", 1005)
    assert body["ref"] == f"support.ticket:{ticket_id}" and body["due_jalali"].startswith("14")
    assert body["status_changes"][0]["new_status"] == "new" and body["overdue"] is False

    assert api(desk.agent, "post", f"/tickets/{ticket_id}/assign", json={"assignee_id": desk.agent2.id}).json["assignee_id"] == desk.agent2.id
    note = api(desk.agent, "post", f"/tickets/{ticket_id}/notes", json={"body": "تماس گرفتم", "for_customer": True})
    assert note.status_code == 201 and note.json["for_customer"] is True and note.json["author_id"] == desk.agent.id
    moved = api(desk.agent, "post", f"/tickets/{ticket_id}/status", json={"status": "in_progress", "note": "شروع"})
    assert moved.status_code == 200 and moved.json["status"] == "in_progress"
    patched = api(desk.agent, "patch", f"/tickets/{ticket_id}", json={"priority": "low"})
    assert patched.json["priority"] == "low"

    got = api(desk.agent, "get", f"/tickets/{ticket_id}").json
    assert [n["body"] for n in got["notes"]] == ["تماس گرفتم"]
    assert [c["new_status"] for c in got["status_changes"]] == ["new", "in_progress"]
    listed = api(desk.agent, "get", "/tickets?status=open").json
    assert listed["total"] == 1 and listed["items"][0]["id"] == ticket_id
    assert api(desk.agent, "get", "/tickets?view=mine").json["total"] == 0        # it is agent2's now
    assert api(desk.agent2, "get", "/tickets?view=mine").json["total"] == 1
    assert api(desk.agent, "get", "/categories").json[0]["name"] == "خرابی و تعمیر"


def test_refusals_are_422_in_persian_and_write_nothing(api, desk, db, open_ticket):
    response = api(desk.agent, "post", "/tickets", json={"title": "", "channel": "fax"})
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert "مشتری" in fields["party_id"][0] and "عنوان" in fields["title"][0] and "کانال" in fields["channel"][0]
    assert count(db, Ticket) == 0
    ticket = open_ticket()
    response = api(desk.agent, "post", f"/tickets/{ticket.id}/status", json={"status": "closed"})
    assert response.status_code == 200
    response = api(desk.agent, "post", f"/tickets/{ticket.id}/status", json={"status": "in_progress"})
    assert response.status_code == 422 and "فقط به «بازگشایی‌شده»" in response.json["error"]["fields"]["status"][0]
    response = api(desk.agent, "post", f"/tickets/{ticket.id}/status", json={"status": "archived"})
    assert response.status_code == 422  # the schema's own check
    response = api(desk.agent, "post", f"/tickets/{ticket.id}/assign", json={"assignee_id": desk.rep.id})
    assert response.status_code == 422
    response = api(desk.agent, "post", f"/tickets/{ticket.id}/notes", json={"body": ""})
    assert response.status_code == 422 and count(db, TicketNote) == 0
    assert db.session.get(Ticket, ticket.id).status == "closed"


def test_permissions_and_visibility(api, desk, open_ticket, client):
    ticket = open_ticket()
    assert api(desk.keeper, "get", "/tickets").status_code == 403
    assert api(desk.rep, "post", f"/tickets/{ticket.id}/status", json={"status": "resolved"}).status_code == 403
    assert api(desk.rep, "post", f"/tickets/{ticket.id}/notes", json={"body": "از طرف فروش"}).status_code == 201
    assert api(desk.rep, "get", f"/tickets/{ticket.id}").status_code == 200
    for method, url, body in [("get", f"/tickets/{ticket.id}", None), ("post", f"/tickets/{ticket.id}/status", {"status": "resolved"}),
                              ("post", f"/tickets/{ticket.id}/notes", {"body": "x"}), ("patch", f"/tickets/{ticket.id}", {"title": "x"}),
                              ("post", f"/tickets/{ticket.id}/assign", {"assignee_id": None}), ("get", "/tickets/99999", None)]:
        assert api(desk.far_agent, method, url, json=body).status_code == 404, url
    assert api(desk.far_agent, "get", "/tickets").json["total"] == 0
    assert api(desk.inspector, "get", "/tickets").json["total"] == 1
    assert client.get("/api/v1/support/tickets").status_code == 401  # no token, and no cookie login either


def test_openapi_documents_the_support_api(client, desk):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path in ("/api/v1/support/tickets", "/api/v1/support/tickets/{ticket_id}",
                 "/api/v1/support/tickets/{ticket_id}/status", "/api/v1/support/tickets/{ticket_id}/assign",
                 "/api/v1/support/tickets/{ticket_id}/notes"):
        assert path in paths, path
    assert paths["/api/v1/support/tickets"]["get"].get("security")


def test_a_reps_won_customer_stays_hidden_from_the_other_reps_of_the_office(api, desk, db, make_user, login_as):
    """Saba: a won customer is hidden from every rep but its owner (and those above). Support
    shows its office's tickets to reps, so the CRM's rule reaches it through the
    `party_visibility` hook: another rep of the same office sees neither the won customer's
    ticket (list, page, API) nor the customer in the new-ticket search; support staff and the
    owner do. A customer still in negotiation stays visible to the office."""
    from plugins.crm.models import Customer
    from plugins.crm.services import customers, negotiations
    from plugins.support.services import tickets
    other_rep = make_user("rep2", role="sales", office=desk.tehran, first_name="رضا", last_name="حسینی")

    def customer(name, phone):
        n = customers.register({"kind": "person", "name": name, "phones": [{"number": phone}]}, desk.rep,
                               confirmed_not_duplicate=True)
        return n, db.session.get(Customer, n.customer_id).party_id
    won, won_party = customer("نسرین فرهمند", "09351110001")
    negotiations.change_status(won.id, "won", desk.rep, confirmed=True)
    _open, open_party = customer("کیوان فرهمند", "09351110002")
    hidden = tickets.create({"party_id": won_party, "title": "دستگاه نسرین", "channel": "phone"}, desk.agent)
    shown = tickets.create({"party_id": open_party, "title": "دستگاه کیوان", "channel": "phone"}, desk.agent)

    web = login_as(other_rep)
    listing = web.get("/support/tickets").get_data(as_text=True)
    assert "دستگاه کیوان" in listing and "دستگاه نسرین" not in listing
    assert web.get(f"/support/tickets/{hidden.id}").status_code == 404
    assert "نسرین" not in web.get("/support/parties?q=" + "فرهمند").get_data(as_text=True)
    assert "کیوان" in web.get("/support/parties?q=" + "فرهمند").get_data(as_text=True)
    ids = [t["id"] for t in api(other_rep, "get", "/tickets").json["items"]]
    assert shown.id in ids and hidden.id not in ids
    assert api(other_rep, "get", f"/tickets/{hidden.id}").status_code == 404
    before = count(db, Ticket)
    refused = api(other_rep, "post", "/tickets", json={"party_id": won_party, "title": "باز هم", "channel": "phone"})
    assert refused.status_code == 422 and "پیدا نشد" in str(refused.json)
    assert count(db, Ticket) == before

    for user in (desk.rep, desk.agent):  # the owner, and support staff (outside the CRM's rules)
        ids = [t["id"] for t in api(user, "get", "/tickets").json["items"]]
        assert hidden.id in ids and shown.id in ids, user.username
        assert api(user, "get", f"/tickets/{hidden.id}").status_code == 200
