"""Reservations and goods-issue slips name the customer; the CRM's rule reaches them through the
`party_visibility` hook: a confirmed order won its customer for the rep, so a sales manager of
another office (who may see reservations with customer names) does not see that customer in the
waiting queue, the slips, a slip's page, an order's page or the API. The rep's own manager and
the storekeepers (outside the CRM's rules) do."""
from sqlalchemy import select

from core import auth
from plugins.crm.services import customers, orders
from plugins.inventory.models import GoodsIssue, Reservation
from plugins.inventory.services import ledger, reservations

NAME = "شرکت فولاد پارسیان"


def test_a_won_customer_of_another_office_is_hidden_in_the_warehouse_screens(db, stockroom, make_user,
                                                                                 login_as, client):
    r = stockroom
    boss = make_user("boss_t", role="manager", office=r.tehran)
    r.rep.manager_id = boss.id
    far_boss = make_user("boss_i", role="manager", office=r.isfahan)
    db.session.commit()
    ledger.receipt(r.w_tehran.id, r.reader.id, 5, r.keeper)
    n = customers.register({"kind": "organisation", "name": NAME, "phones": [{"number": "02188776655"}]}, r.rep,
                           confirmed_not_duplicate=True)
    order = orders.direct(n.customer_id, {"lines": [{"product_id": r.reader.id, "quantity": 2}]}, r.rep)
    orders.confirm(order.id, r.rep)
    reservation = db.session.scalar(select(Reservation))
    reservations.issue({reservation.id: 1}, r.keeper)  # one of two units out: a slip, and one still waiting
    slip = db.session.scalar(select(GoodsIssue))
    ref = reservation.order_ref

    def screens(user):
        web = login_as(user)
        pages = {url: web.get(url) for url in ("/inventory/reservations?warehouse=all", "/inventory/issues",
                                               f"/inventory/issues/{slip.number}", f"/inventory/orders/{ref}")}
        token = auth.create_token(user, "t")[1]
        api = {path: client.get("/api/v1/inventory" + path, headers={"Authorization": f"Bearer {token}"})
               for path in ("/reservations", "/issues", f"/issues/{slip.number}")}
        return pages, api

    pages, api = screens(far_boss)
    for url in ("/inventory/reservations?warehouse=all", "/inventory/issues"):
        assert pages[url].status_code == 200 and NAME not in pages[url].get_data(as_text=True), url
    assert pages[f"/inventory/issues/{slip.number}"].status_code == 404
    order_page = pages[f"/inventory/orders/{ref}"]  # the products and warehouses, not the customer
    assert order_page.status_code == 200 and NAME not in order_page.get_data(as_text=True)
    assert api["/reservations"].json["items"] == [] and api["/issues"].json["items"] == []
    assert api[f"/issues/{slip.number}"].status_code == 404

    for user in (boss, r.keeper):
        pages, api = screens(user)
        for url, response in pages.items():
            assert response.status_code == 200 and NAME in response.get_data(as_text=True), (user.username, url)
        assert [x["id"] for x in api["/reservations"].json["items"]] == [reservation.id]
        assert [x["number"] for x in api["/issues"].json["items"]] == [slip.number]
        assert api[f"/issues/{slip.number}"].status_code == 200
