"""The sales screens through the test client: the live quote builder (htmx pricing, rows added
and removed, availability and credit or their absence), the quote page with versions, send and
the customer's answer, the managers' discount approvals and their history, orders from a quote
and direct, confirmation with a veto, twice, with the credit override, cancellation, the orders
list with filters and exports, and the admin screens for policies, price lists and limits.
Also the wrong things users do: zero, negative and non-numeric quantities, discounts over the
limit, expired quotes, deactivated products, records the user may not see, amounts too large.

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C. The inventory and finance plugins are disabled here; a throw-away plugin
«acme» plays both, driven by `HOOKS`."""
import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core import settings
from core.jalali import format_date, today_tehran
from core.models.audit import AuditEntry
from core.models.products import Product
from core.payloads import Availability, CreditInfo, Effect, Veto
from core.persian import to_persian_digits
from core.testing import plugin
from plugins.crm.models import Customer, ListItem, Negotiation
from plugins.crm.models.sales import DiscountLimit, Order, OrderEffect, Policy, PriceList, Quote, QuoteLine
from plugins.crm.services import orders, quotes

OTHERS = ("inventory", "finance", "support", "dashboard")
HOOKS: dict = {}


def _reset_hooks():
    HOOKS.clear()
    HOOKS.update(veto=None, calls=[], cancelled=[], stock=None, credit=None)


def _order_confirmed(order):
    HOOKS["calls"].append((order.ref, order.override_credit))
    if HOOKS["veto"]:
        raise Veto(HOOKS["veto"])
    return Effect(f"acme.reservation:{order.id}", "رزرو آزمایشی انبار تهران", f"/acme/reservations/{order.id}")


def _order_cancelled(order):
    HOOKS["cancelled"].append(order.ref)
    return Effect(f"acme.credit_note:{order.id}", "برگشت از فروش آزمایشی")


def _availability(product_ids, office_id):
    if HOOKS["stock"] is None:
        return None
    return [Availability(pid, HOOKS["stock"], f"انبار آزمایشی: {HOOKS['stock']}") for pid in product_ids]


def _credit(party_id):
    return HOOKS["credit"]


@pytest.fixture
def app(make_app):
    _reset_hooks()
    app = make_app({"DISABLED_PLUGINS": OTHERS}, plugins=[("acme", plugin(
        order_confirmed=_order_confirmed, order_cancelled=_order_cancelled,
        quote_line_availability=_availability, customer_credit=_credit))])
    with app.app_context():
        yield app


def text(response) -> str:
    return response.get_data(as_text=True)


def fa(value) -> str:
    return to_persian_digits(str(value))


def fa_money(value: int) -> str:
    return to_persian_digits(f"{value:,}".replace(",", "٬"))


def count(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def as_user(client, login_as):
    def do(user):
        login_as(user)
        return client
    return do


@pytest.fixture
def shop(db, org, register):
    """Products (one inactive), a 5 % ad hoc limit for reps and 15 % for managers, and an
    opportunity for rep A («فروشگاه افق کوروش») and one for rep C in Isfahan."""
    class Shop:
        pass
    s = Shop()
    s.card = Product(code="K1", name="کارت‌خوان رومیزی", unit="دستگاه", list_price=48_000_000,
                     cost_price=35_000_000, tax_class="standard", search_key="k1 کارت خوان رومیزی")
    s.roll = Product(code="R1", name="رول کاغذ حرارتی", unit="بسته", list_price=6_200_000, cost_price=4_000_000,
                     tax_class="exempt", search_key="r1 رول کاغذ حرارتی")
    s.old = Product(code="OLD", name="کارت‌خوان قدیمی", list_price=1_000_000, cost_price=1, active=False,
                    search_key="old کارت خوان قدیمی")
    db.session.add_all([s.card, s.roll, s.old])
    db.session.commit()
    groups = {g.role: g for u in (org.a, org.manager) for g in u.groups}
    db.session.add_all([DiscountLimit(group_id=groups["sales"].id, max_percent=500),
                        DiscountLimit(group_id=groups["manager"].id, max_percent=1500)])
    db.session.commit()
    s.n = register(org.a, name="فروشگاه افق کوروش", kind="organisation")
    s.nc = register(org.c, name="کامران کاظمی", city="اصفهان")
    return s


def builder_form(*lines, action="price", **extra) -> dict:
    """Rows (product, quantity, ad hoc %) as the builder posts them."""
    data = {"action": action, "row": [str(i) for i in range(1, len(lines) + 1)]}
    for i, (product_id, quantity, adhoc) in enumerate(lines, start=1):
        data.update({f"line-{i}-product_id": str(product_id or ""), f"line-{i}-quantity": str(quantity),
                     f"line-{i}-adhoc_percent": str(adhoc), f"line-{i}-description": ""})
    data.update(extra)
    return data


HTMX = {"HX-Request": "true"}


def make_quote(shop, user, lines=None, status="draft"):
    quote = quotes.save(shop.n.id, {"lines": lines or [{"product_id": shop.card.id, "quantity": 3}]}, user)
    if status in ("sent", "accepted", "rejected"):
        quotes.send(quote.id, user)
    if status in ("accepted", "rejected"):
        quotes.decide(quote.id, status == "accepted", user)
    return quote


# --- the builder ----------------------------------------------------------------------------------

def test_builder_prices_live_and_saves_a_draft(db, org, shop, as_user):
    client = as_user(org.a)
    url = f"/crm/opportunities/{shop.n.id}/quotes/new"
    page = client.get(url)
    assert page.status_code == 200
    body = text(page)
    validity = format_date(today_tehran() + dt.timedelta(days=settings.get("crm.quote_validity_days")))
    assert f'value="{validity}"' in body  # Jalali, Persian digits, today + the setting
    assert "کارت‌خوان رومیزی (K1)" in body and "کارت‌خوان قدیمی" not in body  # active products only
    # Neither inventory nor finance answers: the builder says so instead of failing.
    assert "موجودی نامعلوم؛ بخش انبار فعال نیست" in body and "اطلاعات حساب در دسترس نیست" in body

    # The product search of a row: active products matching the text, the chosen one kept.
    options = text(client.get(f"/crm/products/options?q=رول&line-1-product_id={shop.card.id}"))
    assert "رول کاغذ حرارتی (R1)" in options and "قدیمی" not in options
    assert f'<option value="{shop.card.id}" selected>' in options
    assert "پیدا نشد" in text(client.get("/crm/products/options?q=zzz"))

    # A change re-prices: the summary, and each row's price out of band, every adjustment explained.
    db.session.add(Policy(name="پلکانی کارت‌خوان", kind="tier_quantity", product_id=shop.card.id,
                          tiers=[{"from": 10, "percent": 600}]))
    db.session.commit()
    HOOKS["stock"], HOOKS["credit"] = 4, CreditInfo(balance=900_000_000, limit=1_000_000_000)
    r = client.post(url, data=builder_form((shop.card.id, "۱۲", "۲٫۵")), headers=HTMX)
    assert r.status_code == 200
    body = text(r)
    assert body.lstrip().startswith('<div id="builder-summary"')
    assert 'id="line-price-1" hx-swap-oob="true"' in body
    expected, _ctx = quotes.price_lines(db.session.get(Customer, shop.n.customer_id),
                                        [{"product": shop.card, "quantity": 12, "adhoc_percent": 250,
                                          "description": ""}], today_tehran())
    assert f'data-total="{expected.total}"' in body and fa_money(expected.total) in body
    assert "پلکانی کارت‌خوان" in body and "تخفیف موردی کارشناس" in body
    assert fa_money(expected.lines[0].applied[0]["amount"]) in body
    assert 'data-availability="4"' in body and "موجودی کافی نیست" in body  # 4 in stock, 12 asked
    assert 'id="over-credit"' in body  # 900 M owed + this quote > the 1,000 M limit
    assert "موجودی نامعلوم" not in body

    # Add a row, then remove the first: the rows come back re-numbered by key, values kept.
    r = client.post(url, data=builder_form((shop.card.id, "12", "0"), action="add"), headers=HTMX)
    assert text(r).count('data-row="') == 2 and 'id="line-2-product"' in text(r)
    r = client.post(url, data=builder_form((shop.card.id, "12", "0"), (shop.roll.id, "3", "0"), action="remove-1"),
                    headers=HTMX)
    assert text(r).count('data-row="') == 1 and 'id="line-1-' not in text(r) and 'data-row="2"' in text(r)

    # Save: the draft, then its page.
    r = client.post(url, data=builder_form((shop.card.id, "12", "2.5"), (shop.roll.id, "۳", ""),
                                           action="save", notes="تحویل در محل"))
    assert r.status_code == 302
    quote = db.session.scalar(select(Quote))
    assert (quote.status, quote.version, [li.quantity for li in quote.lines]) == ("draft", 1, [12, 3])
    assert quote.valid_until == today_tehran() + dt.timedelta(days=7) and quote.notes == "تحویل در محل"
    assert r.headers["Location"].endswith(f"/crm/quotes/{quote.id}")
    page = text(client.get(r.headers["Location"]))
    assert f"پیش‌فاکتور شمارهٔ {fa(quote.number)}" in page and "پلکانی کارت‌خوان" in page
    assert fa_money(quote.total) in page


@pytest.mark.parametrize("line,message", [
    (("card", "0", ""), "تعداد باید بین"),
    (("card", "-3", ""), "تعداد باید بین"),
    (("card", "abc", ""), "باید عدد باشند"),
    (("card", "1.5", ""), "باید عدد باشند"),
    (("card", "2", "150"), "درصد تخفیف باید بین"),
    (("card", "2", "-5"), "درصد تخفیف باید بین"),
    (("card", "2", "inf"), "درصد تخفیف باید بین"),
    (("card", "2", "nan"), "باید عدد باشند"),
    (("old", "2", ""), "غیرفعال است"),
    ((99999, "2", ""), "کالا را انتخاب کنید"),
    ((None, "2", ""), "دست‌کم یک ردیف"),
])
def test_builder_refuses_bad_lines_and_writes_nothing(db, org, shop, as_user, line, message):
    client = as_user(org.a)
    product, quantity, adhoc = line
    product_id = getattr(shop, product).id if isinstance(product, str) else product
    url = f"/crm/opportunities/{shop.n.id}/quotes/new"
    preview = text(client.post(url, data=builder_form((product_id, quantity, adhoc)), headers=HTMX))
    r = client.post(url, data=builder_form((product_id, quantity, adhoc), action="save"))
    assert r.status_code == 422
    assert message in text(r)
    if product_id:  # a row that says something gets its own message in the preview too
        assert message in preview
    assert count(db, Quote) == 0


def test_builder_refuses_past_or_impossible_validity_and_huge_amounts(db, org, shop, as_user):
    client = as_user(org.a)
    url = f"/crm/opportunities/{shop.n.id}/quotes/new"
    r = client.post(url, data=builder_form((shop.card.id, "1", ""), action="save", valid_until="۱۴۰۰/۰۱/۰۱"))
    assert r.status_code == 422 and "گذشته" in text(r)
    r = client.post(url, data=builder_form((shop.card.id, "1", ""), action="save", valid_until="1403/13/40"))
    assert r.status_code == 422 and "این تاریخ در تقویم وجود ندارد" in text(r)
    shop.card.list_price = 10 ** 14
    db.session.commit()
    preview = text(client.post(url, data=builder_form((shop.card.id, "100", "")), headers=HTMX))
    assert "مبلغ بیش از حد بزرگ است" in preview
    r = client.post(url, data=builder_form((shop.card.id, "100", ""), action="save"))
    assert r.status_code == 422 and "بیش از حد بزرگ" in text(r)
    assert count(db, Quote) == 0


def test_only_the_owner_and_managers_build_quotes_and_others_get_404(db, org, shop, as_user):
    url = f"/crm/opportunities/{shop.n.id}/quotes/new"
    # B in the same office sees the opportunity but may not quote for it.
    page = as_user(org.b).get(f"/crm/opportunities/{shop.n.id}/quotes")
    assert page.status_code == 200 and 'id="new-quote"' not in text(page)
    r = as_user(org.b).post(url, data=builder_form((shop.card.id, "1", ""), action="save"))
    assert r.status_code == 302 and count(db, Quote) == 0
    # C in Isfahan does not see it at all; nor anything built on it.
    quote = make_quote(shop, org.a)
    for path in (url, f"/crm/opportunities/{shop.n.id}/quotes", f"/crm/quotes/{quote.id}",
                 f"/crm/quotes/{quote.id}/edit", f"/crm/quotes/{quote.id}/proforma.pdf"):
        assert as_user(org.c).get(path).status_code == 404, path
    assert as_user(org.c).post(f"/crm/quotes/{quote.id}/send").status_code == 404
    assert db.session.get(Quote, quote.id).status == "draft"
    # The manager above A may quote for A's opportunity.
    page = as_user(org.manager).get(f"/crm/opportunities/{shop.n.id}/quotes")
    assert 'id="new-quote"' in text(page) and f'data-quote="{quote.id}"' in text(page)
    # The inspector (no crm.quotes) sees the quote but gets no builder.
    assert as_user(org.inspector).get(f"/crm/quotes/{quote.id}").status_code == 200
    assert as_user(org.inspector).get(url).status_code == 403


# --- the quote page: edit, send, answer, versions -------------------------------------------------

def test_quote_lifecycle_edit_send_versions_and_answer(db, org, shop, as_user):
    client = as_user(org.a)
    quote = make_quote(shop, org.a)
    # Edit the draft: same number and version, new lines.
    r = client.post(f"/crm/quotes/{quote.id}/edit", data=builder_form((shop.card.id, "5", ""), action="save"))
    assert r.status_code == 302
    db.session.expire_all()
    assert [li.quantity for li in db.session.get(Quote, quote.id).lines] == [5]
    # Send («ارسال» marks it sent); then it is no longer editable.
    assert client.post(f"/crm/quotes/{quote.id}/send").status_code == 302
    assert db.session.get(Quote, quote.id).status == "sent"
    r = client.get(f"/crm/quotes/{quote.id}/edit")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/quotes/{quote.id}")
    # A new version: v1 superseded, v2 a draft; the page lists both versions.
    r = client.post(f"/crm/quotes/{quote.id}/versions")
    v2 = db.session.scalar(select(Quote).where(Quote.version == 2))
    assert r.headers["Location"].endswith(f"/crm/quotes/{v2.id}/edit")
    assert (v2.number, db.session.get(Quote, quote.id).status) == (quote.number, "superseded")
    page = text(client.get(f"/crm/quotes/{v2.id}"))
    assert 'data-version="1"' in page and 'data-version="2"' in page and "نسخهٔ قدیمی" in page
    # Only the latest version gets a new version.
    client.post(f"/crm/quotes/{quote.id}/versions")
    assert count(db, Quote) == 2
    # Sent, then the customer's answer; an expired quote cannot be accepted.
    client.post(f"/crm/quotes/{v2.id}/send")
    q = db.session.get(Quote, v2.id)
    q.valid_until = today_tehran() - dt.timedelta(days=1)
    db.session.commit()
    assert 'id="expired-alert"' in text(client.get(f"/crm/quotes/{v2.id}"))
    r = client.post(f"/crm/quotes/{v2.id}/decide", data={"accept": "1"}, follow_redirects=True)
    assert "اعتبار این پیش‌فاکتور گذشته است" in text(r)
    assert db.session.get(Quote, v2.id).status == "sent"
    client.post(f"/crm/quotes/{v2.id}/decide", data={"accept": "0"})
    assert db.session.get(Quote, v2.id).status == "rejected"


def test_discount_over_the_limit_waits_for_the_manager_and_the_approval_is_traced(db, org, shop, as_user):
    client = as_user(org.a)
    r = client.post(f"/crm/opportunities/{shop.n.id}/quotes/new",
                    data=builder_form((shop.card.id, "2", "12.5"), (shop.roll.id, "1", "۵"), action="save"))
    assert r.status_code == 302
    quote = db.session.scalar(select(Quote))
    over, within = quote.lines
    assert (over.approval, within.approval) == ("pending", "none")  # 5 % is the reps' limit
    page = text(client.get(f"/crm/quotes/{quote.id}"))
    assert 'id="pending-alert"' in page and 'data-approval="pending"' in page
    # Sending is refused while a discount waits.
    r = client.post(f"/crm/quotes/{quote.id}/send", follow_redirects=True)
    assert "هنوز تأیید نشده" in text(r) and db.session.get(Quote, quote.id).status == "draft"
    # A rep has no approvals screen; may not decide by posting either.
    assert client.get("/crm/approvals").status_code == 403
    assert client.post(f"/crm/quotes/{quote.id}/lines/{over.id}/approval", data={"approve": "1"}).status_code == 403
    # The manager above A sees the line waiting and approves it.
    manager = as_user(org.manager)
    queue = text(manager.get("/crm/approvals"))
    assert f'data-line="{over.id}"' in queue and f'data-line="{within.id}"' not in queue
    r = manager.post(f"/crm/quotes/{quote.id}/lines/{over.id}/approval", data={"approve": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    line = db.session.get(QuoteLine, over.id)
    assert (line.approval, line.approved_by_id) == ("approved", org.manager.id)
    # The history: who approved which discount, from the audit trail.
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "crm_quote_lines",
                                                       AuditEntry.record_id == str(over.id),
                                                       AuditEntry.action == "update"))
    assert entry.user_id == org.manager.id and entry.changes["approval"] == ["pending", "approved"]
    queue = text(manager.get("/crm/approvals"))
    assert 'id="no-pending"' in queue and org.manager.full_name in queue and "تأیید شد" in queue
    page = text(as_user(org.a).get(f"/crm/quotes/{quote.id}"))
    assert 'id="approval-history"' in page and org.manager.full_name in page
    # Deciding again is refused; now it can be sent.
    r = as_user(org.manager).post(f"/crm/quotes/{quote.id}/lines/{over.id}/approval", data={"approve": "0"},
                                  follow_redirects=True)
    assert "منتظر تأیید نیست" in text(r)
    as_user(org.a).post(f"/crm/quotes/{quote.id}/send")
    assert db.session.get(Quote, quote.id).status == "sent"


def test_a_rejected_discount_blocks_sending(db, org, shop, as_user):
    quote = quotes.save(shop.n.id, {"lines": [{"product_id": shop.card.id, "quantity": 1, "adhoc_percent": "9"}]},
                        org.a)
    line_id = quote.lines[0].id
    as_user(org.manager).post(f"/crm/quotes/{quote.id}/lines/{line_id}/approval", data={"approve": "0"})
    page = text(as_user(org.a).get(f"/crm/quotes/{quote.id}"))
    assert 'id="rejected-alert"' in page and 'data-approval="rejected"' in page
    r = as_user(org.a).post(f"/crm/quotes/{quote.id}/send", follow_redirects=True)
    assert "رد شده" in text(r) and db.session.get(Quote, quote.id).status == "draft"
    # C's manager chain does not include A: the boss of Isfahan has nothing to approve here.
    assert as_user(org.c).get("/crm/approvals").status_code == 403


# --- orders ---------------------------------------------------------------------------------------

def test_order_from_an_accepted_quote_confirmed_once_with_its_traceability(db, org, shop, as_user):
    client = as_user(org.a)
    quote = quotes.save(shop.n.id, {"lines": [{"product_id": shop.card.id, "quantity": 3, "adhoc_percent": "9"}]},
                        org.a)
    quotes.decide_discount(quote.id, quote.lines[0].id, True, org.manager)
    quotes.send(quote.id, org.a)
    page = text(client.get(f"/crm/quotes/{quote.id}"))
    assert 'id="make-order"' not in page  # not before the customer accepts
    quotes.decide(quote.id, True, org.a)
    assert 'id="make-order"' in text(client.get(f"/crm/quotes/{quote.id}"))
    r = client.post(f"/crm/quotes/{quote.id}/order", data={"kind": "contract", "allow_partial": "1"})
    order = db.session.scalar(select(Order))
    assert r.headers["Location"].endswith(f"/crm/orders/{order.id}")
    assert (order.kind, order.allow_partial, order.total, order.status) == ("contract", True, quote.total, "draft")
    # A second order from the same quote is refused; the page leads to the one made.
    r = client.post(f"/crm/quotes/{quote.id}/order", data={"kind": "order"})
    assert r.headers["Location"].endswith(f"/crm/orders/{order.id}") and count(db, Order) == 1

    # A veto: the reason in Persian, nothing written, the order still a draft.
    HOOKS["veto"] = "موجودی کارت‌خوان رومیزی کافی نیست: ۳ لازم، ۱ موجود."
    r = client.post(f"/crm/orders/{order.id}/confirm", follow_redirects=True)
    assert "موجودی کارت‌خوان رومیزی کافی نیست" in text(r) and "هیچ تغییری ثبت نشد" in text(r)
    assert db.session.get(Order, order.id).status == "draft" and count(db, OrderEffect) == 0
    assert db.session.get(Negotiation, shop.n.id).status == "negotiating"
    # Confirmed; then the same POST again (double click, second tab): one confirmation.
    HOOKS["veto"] = None
    client.post(f"/crm/orders/{order.id}/confirm")
    r = client.post(f"/crm/orders/{order.id}/confirm", follow_redirects=True)
    assert "پیش‌تر تأیید شده بود" in text(r)
    assert len(HOOKS["calls"]) == 2 and count(db, OrderEffect) == 1  # one veto, one confirmation
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "confirmed"
    assert db.session.get(Negotiation, shop.n.id).status == "won"
    page = text(client.get(f"/crm/orders/{order.id}"))
    assert 'id="confirm-card"' not in page and 'id="confirmed-alert"' in page
    # Traceability: the quote, who approved its discount, what the subscriber did (with its link).
    assert f'href="/crm/quotes/{quote.id}"' in page and org.manager.full_name in page
    assert 'data-effect="acme.reservation:' in page and f'href="/acme/reservations/{order.id}"' in page
    assert "رزرو آزمایشی انبار تهران" in page
    assert "تأییدشده" in page and 'id="history"' in page  # the order's own history, in Persian


def test_confirming_needs_the_permission_and_the_override_is_for_holders_only(db, org, shop, as_user):
    quote = make_quote(shop, org.a, status="accepted")
    order = orders.from_quote(quote.id, org.a)
    HOOKS["credit"] = CreditInfo(balance=0, limit=1_000, label="حساب آزمایشی")
    page = text(as_user(org.a).get(f"/crm/orders/{order.id}"))
    assert 'id="confirm-form"' in page and 'id="override_credit"' not in page and 'id="over-credit"' in page
    r = as_user(org.a).post(f"/crm/orders/{order.id}/confirm", data={"override_credit": "1"}, follow_redirects=True)
    assert "اجازهٔ عبور از سقف اعتبار" in text(r) and db.session.get(Order, order.id).status == "draft"
    # The administrator holds crm.credit_override: the checkbox, and the choice reaches the hooks.
    page = text(as_user(org.admin).get(f"/crm/orders/{order.id}"))
    assert 'id="override_credit"' in page and "عبور از سقف اعتبار" in page
    as_user(org.admin).post(f"/crm/orders/{order.id}/confirm", data={"override_credit": "1"})
    assert HOOKS["calls"] == [(f"crm.order:{order.id}", True)]
    # The inspector may look but not confirm or cancel.
    assert as_user(org.inspector).post(f"/crm/orders/{order.id}/cancel", data={"reason": "x"}).status_code == 403


def test_cancel_needs_a_reason_and_reverses_through_the_hooks(db, org, shop, as_user):
    client = as_user(org.a)
    quote = make_quote(shop, org.a, status="accepted")
    order = orders.from_quote(quote.id, org.a)
    orders.confirm(order.id, org.a)
    r = client.post(f"/crm/orders/{order.id}/cancel", data={"reason": "  "}, follow_redirects=True)
    assert "دلیل لغو" in text(r) and db.session.get(Order, order.id).status == "confirmed"
    client.post(f"/crm/orders/{order.id}/cancel", data={"reason": "مشتری منصرف شد"})
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "cancelled" and HOOKS["cancelled"] == [f"crm.order:{order.id}"]
    page = text(client.get(f"/crm/orders/{order.id}"))
    assert "مشتری منصرف شد" in page and "برگشت از فروش آزمایشی" in page and "هنگام لغو" in page
    r = client.post(f"/crm/orders/{order.id}/cancel", data={"reason": "دوباره"}, follow_redirects=True)
    assert "پیش‌تر لغو شده بود" in text(r) and HOOKS["cancelled"] == [f"crm.order:{order.id}"]


def test_expired_quote_and_deactivated_product_make_no_order(db, org, shop, as_user):
    client = as_user(org.a)
    quote = make_quote(shop, org.a, status="accepted")
    quote = db.session.get(Quote, quote.id)
    quote.valid_until = today_tehran() - dt.timedelta(days=1)
    db.session.commit()
    r = client.post(f"/crm/quotes/{quote.id}/order", data={"kind": "order"}, follow_redirects=True)
    assert "اعتبار این پیش‌فاکتور گذشته است" in text(r)
    quote.valid_until = today_tehran()
    shop.card.active = False
    db.session.commit()
    r = client.post(f"/crm/quotes/{quote.id}/order", data={"kind": "order"}, follow_redirects=True)
    assert "غیرفعال شده‌اند" in text(r) and count(db, Order) == 0


def test_direct_order_for_a_customer(db, org, shop, as_user):
    client = as_user(org.a)
    url = f"/crm/customers/{shop.n.customer_id}/orders/new"
    page = text(client.get(url))
    assert "سفارش مستقیم" in page and 'name="kind"' in page and 'name="valid_until"' not in page
    r = client.post(url, data=builder_form((shop.card.id, "2", "20"), action="save"))
    assert r.status_code == 422 and "از راه پیش‌فاکتور" in text(r) and count(db, Order) == 0
    r = client.post(url, data=builder_form((shop.card.id, "0", ""), action="save"))
    assert r.status_code == 422 and "تعداد باید بین" in text(r)
    r = client.post(url, data=builder_form((shop.card.id, "2", "5"), (shop.roll.id, "1", ""), action="save",
                                           kind="contract"))
    order = db.session.scalar(select(Order))
    assert r.headers["Location"].endswith(f"/crm/orders/{order.id}")
    assert (order.kind, order.quote_id, len(order.lines)) == ("contract", None, 2)
    assert "سفارش مستقیم (بدون پیش‌فاکتور)" in text(client.get(f"/crm/orders/{order.id}"))
    # Another office's customer does not exist for A.
    assert client.get(f"/crm/customers/{shop.nc.customer_id}/orders/new").status_code == 404
    assert client.get(f"/crm/orders/{order.id + 1}").status_code == 404


def test_orders_list_filters_visibility_and_exports(db, org, shop, as_user):
    mine = orders.from_quote(make_quote(shop, org.a, status="accepted").id, org.a)
    orders.confirm(mine.id, org.a)
    draft = orders.direct(shop.n.customer_id, {"lines": [{"product_id": shop.roll.id, "quantity": 2}]}, org.a)
    theirs = orders.direct(shop.nc.customer_id, {"lines": [{"product_id": shop.roll.id, "quantity": 1}]}, org.c)
    old = db.session.get(Order, draft.id)
    old.created_at = old.created_at - dt.timedelta(days=40)
    db.session.commit()

    def ids(response):
        return [int(x) for x in re.findall(r'<tr data-order="(\d+)"', text(response))]

    client = as_user(org.a)
    assert sorted(ids(client.get("/crm/orders"))) == sorted([mine.id, draft.id])
    r = client.get("/crm/orders?status=confirmed")
    assert ids(r) == [mine.id]
    assert f"{fa(1)} سفارش · {fa_money(mine.total)} ریال" in text(r)
    week_ago = format_date(today_tehran() - dt.timedelta(days=7))
    assert ids(client.get(f"/crm/orders?from={week_ago}")) == [mine.id]
    assert ids(client.get(f"/crm/orders?to={week_ago}")) == [draft.id]
    assert ids(client.get("/crm/orders?q=افق")) == [mine.id, draft.id]
    assert ids(client.get(f"/crm/orders?q={fa(mine.number)}")) == [mine.id]
    r = client.get("/crm/orders?from=1403/13/01")
    assert "این تاریخ در تقویم وجود ندارد" in text(r) and len(ids(r)) == 2
    r = client.get(f"/crm/orders?from={format_date(today_tehran())}&to={week_ago}")
    assert "نباید پیش از" in text(r)
    assert ids(client.get(f"/crm/orders?customer={shop.nc.customer_id}")) == []
    assert ids(as_user(org.c).get("/crm/orders")) == [theirs.id]
    # Exports: for holders of crm.export, the filtered rows.
    assert client.get("/crm/orders?export=csv").status_code == 403
    manager = as_user(org.manager)
    rows = list(csv.reader(io.StringIO(text(manager.get("/crm/orders?export=csv&status=confirmed")).lstrip("\ufeff"))))
    assert rows[0][:4] == ["شماره", "نوع", "مشتری", "وضعیت"]
    assert [(r[0], r[2], r[3], r[-2]) for r in rows[1:]] == [(str(mine.number), "فروشگاه افق کوروش", "تأییدشده",
                                                            str(mine.total))]
    book = load_workbook(io.BytesIO(manager.get("/crm/orders?export=xlsx").data))
    sheet = book.active
    assert sheet.max_row == 3 and sheet.sheet_view.rightToLeft


def test_the_customer_page_links(db, org, shop, as_user):
    """The endpoints the customer page links to."""
    client = as_user(org.a)
    page = text(client.get(f"/crm/opportunities/{shop.n.id}/quotes"))
    assert 'id="no-quotes"' in page and f'href="/crm/opportunities/{shop.n.id}/quotes/new"' in page
    assert f"/crm/orders?customer={shop.n.customer_id}" in page
    assert client.get(f"/crm/orders?customer={shop.n.customer_id}").status_code == 200
    quote = make_quote(shop, org.a)
    listed = text(client.get("/crm/quotes?q=کوروش"))
    assert f'data-quote="{quote.id}"' in listed
    assert f'data-quote="{quote.id}"' not in text(client.get("/crm/quotes?status=sent"))
    assert f'data-quote="{quote.id}"' not in text(as_user(org.c).get("/crm/quotes"))


# --- admin ----------------------------------------------------------------------------------------

def policy_form(**changes) -> dict:
    data = {"name": "جشنوارهٔ زمستان", "kind": "period", "product_id": "", "category_id": "",
            "valid_from": format_date(today_tehran()), "valid_to": format_date(today_tehran() + dt.timedelta(days=30)),
            "percent": "۷٫۵", "tier_mode": "all_units", "loyal_min_purchase": "", "active": "1", "action": "save",
            "tier-from": ["", "", ""], "tier-percent": ["", "", ""], "tier-unit_price": ["", "", ""]}
    data.update(changes)
    return data


def test_policy_admin_saves_and_refuses_bad_input_in_persian(db, org, shop, as_user):
    client = as_user(org.admin)
    assert client.get("/crm/admin/policies/new").status_code == 200
    r = client.post("/crm/admin/policies/new", data=policy_form())
    assert r.status_code == 302
    policy = db.session.scalar(select(Policy))
    assert (policy.kind, policy.percent, policy.valid_to - policy.valid_from) == ("period", 750, dt.timedelta(days=30))
    bad = [
        (dict(percent="150"), "حداکثر ۱۰۰"),
        (dict(percent="-5"), "بین ۰ و ۱۰۰"),
        (dict(percent="abc"), "بین ۰ و ۱۰۰"),
        (dict(name=""), "نام سیاست"),
        (dict(valid_to=format_date(today_tehran() - dt.timedelta(days=1))), "پیش از تاریخ شروع"),
        (dict(valid_from="1403/12/31"), "این تاریخ در تقویم وجود ندارد"),
        (dict(valid_to=""), "به تاریخ شروع و پایان نیاز دارد"),
        (dict(kind="tier_quantity", **{"tier-from": ["10", "5", ""], "tier-percent": ["3", "6", ""],
                                        "tier-unit_price": ["", "", ""]}), "صعودی"),
        (dict(kind="tier_quantity", **{"tier-from": ["10", "", ""], "tier-percent": ["", "", ""],
                                        "tier-unit_price": ["-100", "", ""]}), "نمی‌تواند منفی"),
        (dict(kind="tier_quantity", **{"tier-from": ["0", "", ""], "tier-percent": ["3", "", ""],
                                        "tier-unit_price": ["", "", ""]}), "دست‌کم ۱ عدد"),
        (dict(kind="tier_line_amount"), "دست‌کم یک پله"),
        (dict(kind="loyal"), "با دسته‌بندی یا با حداقل خرید"),
        (dict(kind="loyal", loyal_min_purchase="-1"), "نمی‌تواند منفی"),
        (dict(kind="nonsense"), "نوع سیاست"),
    ]
    for changes, message in bad:
        r = client.post("/crm/admin/policies/new", data=policy_form(**changes))
        assert r.status_code == 422, changes
        assert message in text(r), (changes, message)
        assert count(db, Policy) == 1, changes
    # Tiers with the incremental mode; then deactivated from the list.
    r = client.post("/crm/admin/policies/new", data=policy_form(
        name="رول عمده", kind="tier_quantity", product_id=str(shop.roll.id), valid_from="", valid_to="",
        tier_mode="incremental", **{"tier-from": ["۲۰", "50", ""], "tier-percent": ["", "", ""],
                                    "tier-unit_price": ["۵٬۸۰۰٬۰۰۰", "5500000", ""]}))
    assert r.status_code == 302
    tiers = db.session.scalar(select(Policy).where(Policy.name == "رول عمده"))
    assert tiers.tiers == [{"from": 20, "unit_price": 5_800_000}, {"from": 50, "unit_price": 5_500_000}]
    assert tiers.tier_mode == "incremental"
    client.post(f"/crm/admin/policies/{tiers.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(Policy, tiers.id).active is False
    assert "رول عمده" in text(client.get("/crm/admin/policies"))
    # Editing keeps what was typed after a refusal.
    r = client.post(f"/crm/admin/policies/{policy.id}", data=policy_form(percent="101"))
    assert r.status_code == 422 and 'value="۱۰۱"' in text(r)
    assert db.session.get(Policy, policy.id).percent == 750
    # Reps have no admin screens.
    for path in ("/crm/admin/policies", "/crm/admin/price-lists", "/crm/admin/discount-limits"):
        assert as_user(org.a).get(path).status_code == 403


def test_price_list_admin(db, org, shop, as_user):
    client = as_user(org.admin)
    category = ListItem(kind="category", name="نمایندگی")
    db.session.add(category)
    db.session.commit()
    form = {"name": "قیمت نمایندگان", "category_id": str(category.id), "valid_from": "", "valid_to": "",
            "active": "1", f"price-{shop.card.id}": "۴۵٬۰۰۰٬۰۰۰", f"price-{shop.roll.id}": ""}
    assert client.post("/crm/admin/price-lists/new", data=form).status_code == 302
    plist = db.session.scalar(select(PriceList))
    assert [(i.product_id, i.price) for i in plist.items] == [(shop.card.id, 45_000_000)]
    for changes, message in ((({f"price-{shop.card.id}": "-1"}), "نمی‌تواند منفی"),
                             (({f"price-{shop.card.id}": "12abc"}), "عدد صحیح"),
                             (({"name": "قیمت نمایندگان"}), "همین نام"),
                             (({"valid_from": "1404/02/01", "valid_to": "1404/01/01"}), "پیش از تاریخ شروع"),
                             (({"name": ""}), "نام فهرست")):
        r = client.post("/crm/admin/price-lists/new", data={**form, **changes})
        assert r.status_code == 422 and message in text(r), changes
    assert count(db, PriceList) == 1
    # Edit: one price changes, one product added, then one removed.
    r = client.post(f"/crm/admin/price-lists/{plist.id}", data={**form, f"price-{shop.card.id}": "44000000",
                                                                   f"price-{shop.roll.id}": "6000000"})
    assert r.status_code == 302
    db.session.expire_all()
    assert sorted((i.product_id, i.price) for i in db.session.get(PriceList, plist.id).items) == sorted(
        [(shop.card.id, 44_000_000), (shop.roll.id, 6_000_000)])
    client.post(f"/crm/admin/price-lists/{plist.id}", data={**form, f"price-{shop.card.id}": ""})
    db.session.expire_all()
    assert [i.product_id for i in db.session.get(PriceList, plist.id).items] == []
    assert "قیمت نمایندگان" in text(client.get("/crm/admin/price-lists"))


def test_discount_limits_admin(db, org, shop, as_user):
    client = as_user(org.admin)
    sales = next(g for g in org.a.groups if g.role == "sales")
    page = text(client.get("/crm/admin/discount-limits"))
    assert f'name="limit-{sales.id}"' in page and 'value="۵"' in page
    for value, message in (("150", "بیش از ۱۰۰"), ("abc", "بین ۰ و ۱۰۰"), ("-2", "بین ۰ و ۱۰۰")):
        r = client.post("/crm/admin/discount-limits", data={f"limit-{sales.id}": value})
        assert r.status_code == 422 and message in text(r)
        assert db.session.get(DiscountLimit, sales.id).max_percent == 500
    client.post("/crm/admin/discount-limits", data={f"limit-{sales.id}": "۷٫۵"})
    db.session.expire_all()
    assert db.session.get(DiscountLimit, sales.id).max_percent == 750
    assert quotes.group_limit(org.a) == 750
    client.post("/crm/admin/discount-limits", data={f"limit-{sales.id}": ""})
    assert count(db, DiscountLimit, DiscountLimit.group_id == sales.id) == 0
