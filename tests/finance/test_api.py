"""Finance through the JSON API (/api/v1/finance): the same services and Persian refusals as the
screens — 422 with the reason and nothing written, 404 for unknown ids, 403 without the
permission — for invoices, receipts with allocation, cheque statuses, accounts, statements,
ageing and credit limits."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core.jalali import format_date, today_tehran
from plugins.crm.services import orders
from plugins.finance.models import CategoryLimit, CreditLimit, Entry, Invoice, Receipt


def field_error(response, field: str) -> str:
    value = response.get_json()["error"]["fields"][field]
    return " ".join(value) if isinstance(value, list) else value


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def two(books, confirmed_order):
    """A customer with two invoices (11,000,000 then 22,000,000) and one whose order was cancelled."""
    first, party_id = confirmed_order(quantity=1)
    confirmed_order(quantity=2, customer_id=first.customer_id)
    gone, gone_party = confirmed_order(quantity=1)
    orders.cancel(gone.id, books.rep, "لغو")
    inv1, inv2 = books.db.session.scalars(select(Invoice).where(Invoice.party_id == party_id).order_by(Invoice.id)).all()
    return party_id, inv1, inv2, gone_party


def test_invoices_list_with_filters_and_detail(books, two, api):
    party_id, inv1, inv2, gone_party = two
    body = api(books.clerk, "GET", f"/invoices?party_id={party_id}&sort=-total").get_json()
    assert body["total"] == 2 and [i["id"] for i in body["items"]] == [inv2.id, inv1.id]
    assert body["items"][0]["status"] == "open" and body["items"][0]["open_amount"] == 22_000_000
    notes = api(books.clerk, "GET", "/invoices?status=credit_note").get_json()["items"]
    assert [(n["kind"], n["party_id"]) for n in notes] == [("credit_note", gone_party)]
    credited = api(books.clerk, "GET", "/invoices?status=credited").get_json()["items"]
    assert len(credited) == 1 and credited[0]["credited"] is True
    today = today_tehran()
    assert api(books.clerk, "GET", f"/invoices?from={today.isoformat()}&to={format_date(today)}").get_json()["total"] == 4
    assert api(books.clerk, "GET", f"/invoices?from={(today + dt.timedelta(days=1)).isoformat()}").get_json()["total"] == 0
    bad = api(books.clerk, "GET", "/invoices?from=2024-02-30")
    assert bad.status_code == 422 and "تاریخ معتبری نیست" in field_error(bad, "from")
    assert api(books.clerk, "GET", "/invoices?status=lost").status_code == 422
    detail = api(books.clerk, "GET", f"/invoices/{inv1.id}").get_json()
    assert detail["lines"][0]["quantity"] == 1 and detail["payments"] == [] and detail["order_ref"].startswith("crm.order:")
    gone = api(books.clerk, "GET", f"/invoices?party_id={gone_party}&status=credited").get_json()["items"][0]
    assert api(books.clerk, "GET", f"/invoices/{gone['id']}").get_json()["credit_note_id"] == notes[0]["id"]
    assert api(books.clerk, "GET", "/invoices/99999").status_code == 404


def test_a_receipt_with_allocations_and_the_rest_as_credit(books, two, api):
    party_id, inv1, inv2, _ = two
    r = api(books.clerk, "POST", "/receipts", json={
        "party_id": party_id, "method": "transfer", "amount": 40_000_000, "reference": "123",
        "received_on": today_tehran().isoformat(),
        "allocations": [{"invoice_id": inv1.id, "amount": 11_000_000}, {"invoice_id": inv2.id, "amount": 20_000_000}]})
    assert r.status_code == 201, r.get_json()
    receipt = r.get_json()
    assert receipt["unallocated"] == 9_000_000 and len(receipt["allocations"]) == 2
    account = api(books.clerk, "GET", f"/accounts/{party_id}").get_json()
    assert account["balance"] == -7_000_000 and account["ageing"]["0-30"] == 2_000_000
    done = api(books.clerk, "POST", f"/receipts/{receipt['id']}/allocate", json={"auto_allocate": True})
    assert done.status_code == 200 and done.get_json()["unallocated"] == 7_000_000
    assert api(books.clerk, "GET", f"/invoices/{inv2.id}").get_json()["status"] == "paid"
    paid = api(books.clerk, "GET", f"/invoices/{inv2.id}").get_json()["payments"]
    assert [(p["receipt_id"], p["amount"]) for p in paid] == [(receipt["id"], 20_000_000), (receipt["id"], 2_000_000)]
    listed = api(books.clerk, "GET", "/receipts?unallocated=true").get_json()["items"]
    assert [x["id"] for x in listed] == [receipt["id"]]


def test_auto_allocation_fills_the_oldest_first(books, two, api):
    party_id, inv1, inv2, _ = two
    r = api(books.clerk, "POST", "/receipts", json={"party_id": party_id, "method": "cash", "amount": 15_000_000,
                                                    "auto_allocate": True}).get_json()
    assert [(a["invoice_id"], a["amount"]) for a in r["allocations"]] == [(inv1.id, 11_000_000), (inv2.id, 4_000_000)]
    both = api(books.clerk, "POST", "/receipts", json={"party_id": party_id, "method": "cash", "amount": 1,
                                                       "auto_allocate": True,
                                                       "allocations": [{"invoice_id": inv2.id, "amount": 1}]})
    assert both.status_code == 422


@pytest.mark.parametrize("change, field, message", [
    ({"allocations": [{"invoice_id": "first", "amount": 12_000_000}]}, "allocations", "ماندهٔ"),
    ({"amount": 5_000_000, "allocations": [{"invoice_id": "first", "amount": 6_000_000}]}, "allocations", "مبلغ دریافت"),
    ({"method": "cheque"}, "cheque_number", "شمارهٔ چک"),
    ({"method": "cheque", "cheque_number": "1", "cheque_bank": "ملی", "cheque_due": "1403/13/01"}, "cheque_due", "وجود ندارد"),
    ({"received_on": "2024-02-30"}, "received_on", "تاریخ معتبری نیست"),
    ({"received_on": (today_tehran() + dt.timedelta(days=2)).isoformat()}, "received_on", "آینده"),
    ({"party_id": 99999}, "party_id", "مشتری پیدا نشد"),
])
def test_bad_receipts_are_422_and_write_nothing(books, two, api, change, field, message):
    party_id, inv1, inv2, _ = two
    data = {"party_id": party_id, "method": "cash", "amount": 20_000_000, **change}
    data["allocations"] = [{**row, "invoice_id": inv1.id} for row in data.get("allocations", [])]
    before = (count(books.db, Receipt), count(books.db, Entry))
    r = api(books.clerk, "POST", "/receipts", json=data)
    assert r.status_code == 422, r.get_json()
    assert message in field_error(r, field)
    assert (count(books.db, Receipt), count(books.db, Entry)) == before


def test_cheque_status_through_the_api(books, two, api):
    party_id, inv1, _inv2, _ = two
    cheque = api(books.clerk, "POST", "/receipts", json={
        "party_id": party_id, "method": "cheque", "amount": 11_000_000, "cheque_number": "۸۸۲۱۴۳", "cheque_bank": "ملت",
        "cheque_due": format_date(today_tehran() + dt.timedelta(days=5)),
        "allocations": [{"invoice_id": inv1.id, "amount": 11_000_000}]}).get_json()
    assert cheque["cheque_status"] == "received" and cheque["cheque_due"] == (today_tehran() + dt.timedelta(days=5)).isoformat()
    due = api(books.clerk, "GET", "/cheques").get_json()["items"]
    assert [c["id"] for c in due] == [cheque["id"]]
    bounced = api(books.clerk, "POST", f"/receipts/{cheque['id']}/cheque-status", json={"status": "bounced"})
    assert bounced.status_code == 200 and bounced.get_json()["allocations"] == []
    twice = api(books.clerk, "POST", f"/receipts/{cheque['id']}/cheque-status", json={"status": "bounced"})
    assert twice.status_code == 422 and "برگشتی" in twice.get_json()["error"]["message"]
    clear = api(books.clerk, "POST", f"/receipts/{cheque['id']}/cheque-status", json={"status": "cleared"})
    assert clear.status_code == 422
    assert count(books.db, Entry) == 3 + 1 + 1 + 1  # 3 invoices, a credit note, the receipt, its bounce
    assert api(books.clerk, "GET", f"/accounts/{party_id}").get_json()["balance"] == 33_000_000
    assert api(books.clerk, "GET", "/cheques?status=bounced").get_json()["total"] == 1
    assert api(books.clerk, "POST", "/receipts/99999/cheque-status", json={"status": "cleared"}).status_code == 404
    assert api(books.clerk, "POST", f"/receipts/{cheque['id']}/cheque-status", json={"status": "lost"}).status_code == 422


def test_statement_and_ageing_per_customer(books, two, api):
    party_id, inv1, _inv2, _ = two
    inv1.due_date = today_tehran() - dt.timedelta(days=70)
    books.db.session.commit()
    api(books.clerk, "POST", "/receipts", json={"party_id": party_id, "method": "card", "amount": 3_000_000})
    ageing = api(books.clerk, "GET", f"/accounts/{party_id}/ageing").get_json()
    assert ageing == {"0-30": 22_000_000, "31-60": 0, "61-90": 11_000_000, "90+": 0}
    s = api(books.clerk, "GET", f"/accounts/{party_id}/statement").get_json()
    assert (s["opening"], s["debits"], s["credits"], s["closing"]) == (0, 33_000_000, 3_000_000, 30_000_000)
    assert [p["kind"] for p in s["postings"]].count("invoice") == 2 and s["postings"][-1]["balance"] == 30_000_000
    later = (today_tehran() + dt.timedelta(days=1)).isoformat()
    s = api(books.clerk, "GET", f"/accounts/{party_id}/statement?from={later}&to={later}").get_json()
    assert (s["opening"], s["postings"], s["closing"]) == (30_000_000, [], 30_000_000)
    inverted = api(books.clerk, "GET", f"/accounts/{party_id}/statement?from={later}&to={today_tehran().isoformat()}")
    assert inverted.status_code == 422
    listed = api(books.clerk, "GET", "/accounts?which=overdue").get_json()
    assert [(a["party_id"], a["overdue"]) for a in listed["items"]] == [(party_id, 11_000_000)]
    assert api(books.clerk, "GET", "/accounts/99999").status_code == 404


def test_credit_limits_through_the_api(books, two, api):
    party_id, *_ = two
    assert api(books.clerk, "PUT", f"/credit-limits/customers/{party_id}", json={"limit": 1}).status_code == 403
    r = api(books.admin, "PUT", f"/credit-limits/customers/{party_id}", json={"limit": 50_000_000})
    assert r.status_code == 200 and r.get_json()["limit"] == 50_000_000
    bad = api(books.admin, "PUT", f"/credit-limits/customers/{party_id}", json={"limit": -1})
    assert bad.status_code == 422 and "کمتر از" in field_error(bad, "limit")
    assert api(books.admin, "PUT", "/credit-limits/categories/4", json={"limit": 9, "name": "عمده"}).status_code == 200
    limits = api(books.clerk, "GET", "/credit-limits").get_json()
    assert limits["customers"][0]["limit"] == 50_000_000 and limits["categories"] == [
        {"category_id": 4, "name": "عمده", "limit": 9}] and limits["default"] is None
    account = api(books.clerk, "GET", f"/accounts/{party_id}?category_id=4").get_json()
    assert (account["limit"], account["own_limit"]) == (50_000_000, 50_000_000)
    assert api(books.admin, "DELETE", f"/credit-limits/customers/{party_id}").status_code == 204
    assert api(books.clerk, "GET", f"/accounts/{party_id}?category_id=4").get_json()["limit"] == 9
    assert api(books.admin, "DELETE", f"/credit-limits/customers/{party_id}").status_code == 404
    assert api(books.admin, "DELETE", "/credit-limits/categories/4").status_code == 204
    assert count(books.db, CreditLimit) == 0 and count(books.db, CategoryLimit) == 0
    assert api(books.admin, "PUT", "/credit-limits/customers/99999", json={"limit": 1}).status_code == 404


def test_the_api_needs_a_token_and_the_permission(books, two, api):
    party_id, inv1, *_ = two
    assert books.app.test_client().get("/api/v1/finance/invoices").status_code == 401
    for path in ("/invoices", f"/invoices/{inv1.id}", "/receipts", "/cheques", f"/accounts/{party_id}",
                 f"/accounts/{party_id}/statement", "/accounts"):
        assert api(books.rep, "GET", path).status_code == 403, path
    r = api(books.rep, "POST", "/receipts", json={"party_id": party_id, "method": "cash", "amount": 1})
    assert r.status_code == 403 and count(books.db, Receipt) == 0
    spec = books.app.test_client().get("/api/v1/openapi.json").get_json()
    assert "/api/v1/finance/receipts" in spec["paths"] and "/api/v1/finance/accounts/{party_id}/statement" in spec["paths"]
