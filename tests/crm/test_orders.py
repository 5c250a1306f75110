"""Quotes to orders through the hooks: a veto rolls back everything; a subscriber error rolls
back everything; with no subscribers the order still confirms; confirming twice is once."""
import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from core.db import db as database
from core.jalali import format_date, today_tehran
from core.models.org import Office, User
from core.models.products import Product
from core.payloads import Effect, Veto
from core.testing import plugin
from core.validation import ValidationError
from plugins.crm.models import Negotiation, PointEntry
from plugins.crm.models.sales import DiscountLimit, Order, OrderEffect, Quote
from plugins.crm.services import customers, orders, quotes


# These tests are about the CRM and the hooks; the built-in subscribers have their own tests.
ALONE = {"DISABLED_PLUGINS": ("inventory", "finance")}


def setup_sale(db, make_user, office_name="دفتر"):
    office = Office(name=office_name, city="تهران", area_code="21")
    product = Product(code="K1", name="کارت‌خوان", list_price=48_000_000, cost_price=35_000_000,
                      tax_class="standard", search_key="k1")
    db.session.add_all([office, product])
    db.session.commit()
    rep = make_user("rep", role="sales", office=office)
    manager = make_user("boss", role="manager", office=office)
    rep.manager_id = manager.id
    db.session.commit()
    n = customers.register({"kind": "organisation", "name": "فروشگاه افق", "phones": [{"number": "02188776655"}]}, rep)
    quote = quotes.save(n.id, {"lines": [{"product_id": product.id, "quantity": 3}]}, rep)
    quotes.send(quote.id, rep)
    quotes.decide(quote.id, True, rep)
    return rep, manager, product, n, quote


def test_quote_to_confirmed_order_wins_the_negotiation(make_app, make_user):
    calls = []

    def order_confirmed(order):
        calls.append((order.ref, order.total, [(li.product_id, li.quantity) for li in order.lines]))
        return Effect("acme.reservation:1", "رزرو آزمایشی", "/x")

    app = make_app(ALONE, plugins=[("acme", plugin(order_confirmed=order_confirmed))])
    with app.app_context():
        rep, _m, product, n, quote = setup_sale(database, make_user)
        order = orders.from_quote(quote.id, rep)
        assert (order.total, order.tax) == (quote.total, quote.tax) == (158_400_000, 14_400_000)
        orders.confirm(order.id, rep)
        assert calls == [(f"crm.order:{order.id}", 158_400_000, [(product.id, 3)])]
        order = database.session.get(Order, order.id)
        assert order.status == "confirmed" and order.lines[0].cost_price == 35_000_000
        assert [(e.plugin, e.ref) for e in order.effects] == [("acme", "acme.reservation:1")]
        assert database.session.get(Negotiation, n.id).status == "won"
        assert database.session.scalar(select(PointEntry.points).where(PointEntry.event == "won")) == 5
        # Confirming again (a retry) changes nothing and fires nothing.
        orders.confirm(order.id, rep)
        assert len(calls) == 1 and database.session.scalar(select(func.count(OrderEffect.id))) == 1


@pytest.mark.parametrize("failure", ["veto", "error"])
def test_a_veto_or_a_subscriber_error_rolls_back_everything(make_app, make_user, failure):
    def first(order):
        from core.models.parties import Party
        database.session.get(Party, order.party_id).notes = "written by a subscriber"  # must not survive
        return Effect("acme.reservation:1", "رزرو")

    def second(order):
        if failure == "veto":
            raise Veto("موجودی کارت‌خوان کافی نیست: ۳ لازم، ۱ موجود.")
        raise RuntimeError("boom")

    app = make_app(ALONE, plugins=[("acme", plugin(order_confirmed=first)), ("zeta", plugin(order_confirmed=second))])
    with app.app_context():
        rep, _m, _p, n, quote = setup_sale(database, make_user)
        order_id = orders.from_quote(quote.id, rep).id
        with pytest.raises(ValidationError) as exc:
            orders.confirm(order_id, rep)
        assert ("موجودی" in str(exc.value)) if failure == "veto" else ("هیچ تغییری" in str(exc.value))
        database.session.rollback()
        assert database.session.get(Order, order_id).status == "draft"
        assert database.session.get(Negotiation, n.id).status == "negotiating"
        assert database.session.scalar(select(func.count(OrderEffect.id))) == 0
        assert database.session.scalar(select(func.count(PointEntry.id)).where(PointEntry.event == "won")) == 0
        from core.models.parties import Party
        assert all(p.notes == "" for p in database.session.scalars(select(Party)))


def test_with_no_subscribers_the_order_still_confirms(make_app, make_user):
    app = make_app({"DISABLED_PLUGINS": ("inventory", "finance")})
    with app.app_context():
        rep, _m, _p, _n, quote = setup_sale(database, make_user)
        order = orders.from_quote(quote.id, rep)
        assert orders.confirm(order.id, rep).status == "confirmed"
        availability, answered = quotes.availability([quote.lines[0].product_id], None)
        assert availability == {} and answered is False  # the builder says "unknown", no error
        assert quotes.credit(order.customer) is None


def test_confirming_from_two_tabs_at_once_is_once(make_app, make_user):
    app = make_app(ALONE)
    ctx = app.app_context()
    ctx.push()
    rep, _m, _p, _n, quote = setup_sale(database, make_user)
    order_id = orders.from_quote(quote.id, rep).id
    rep_id = rep.id
    database.session.rollback()
    barrier, errors = threading.Barrier(2), []

    def click():
        with app.app_context():
            user = database.session.get(User, rep_id)
            barrier.wait()
            try:
                orders.confirm(order_id, user)
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))
            finally:
                database.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert errors == []
    database.session.rollback()
    assert database.session.scalar(select(func.count(PointEntry.id)).where(PointEntry.event == "won")) == 1
    assert database.session.get(Order, order_id).status == "confirmed"
    ctx.pop()


def test_cancel_fires_the_hook_and_can_be_refused(make_app, make_user):
    seen = []

    def order_cancelled(order):
        seen.append(order.ref)
        if len(seen) == 1:
            raise Veto("فاکتور این سفارش تسویه شده است؛ ابتدا برگشت از فروش بزنید.")
        return Effect("acme.credit_note:1", "برگشت از فروش")

    app = make_app(ALONE, plugins=[("acme", plugin(order_cancelled=order_cancelled))])
    with app.app_context():
        rep, _m, _p, _n, quote = setup_sale(database, make_user)
        order = orders.from_quote(quote.id, rep)
        orders.confirm(order.id, rep)
        with pytest.raises(ValidationError, match="تسویه"):
            orders.cancel(order.id, rep, "مشتری منصرف شد")
        database.session.rollback()
        assert database.session.get(Order, order.id).status == "confirmed"
        with pytest.raises(ValidationError):
            orders.cancel(order.id, rep, "")
        database.session.rollback()
        cancelled = orders.cancel(order.id, rep, "مشتری منصرف شد")
        assert cancelled.status == "cancelled" and [e.ref for e in cancelled.effects if e.event == "cancelled"] == ["acme.credit_note:1"]
        # A draft order cancels without firing anything.
        assert len(seen) == 2


def test_bad_input_and_refusals(app, make_user):
    rep, manager, product, n, quote = setup_sale(database, make_user)
    for lines, message in (([{"product_id": product.id, "quantity": 0}], "تعداد"),
                           ([{"product_id": product.id, "quantity": -3}], "تعداد"),
                           ([{"product_id": 99999, "quantity": 1}], "کالا"),
                           ([{"product_id": product.id, "quantity": "abc"}], "عدد"),
                           ([{"product_id": product.id, "quantity": 1, "adhoc_percent": "150"}], "درصد"),
                           ([], "دست‌کم"),
                           ([{"product_id": product.id, "quantity": 999_999_999}], "تعداد")):
        with pytest.raises(ValidationError, match=message):
            quotes.save(n.id, {"lines": lines}, rep)
        database.session.rollback()
    with pytest.raises(ValidationError, match="گذشته"):
        quotes.save(n.id, {"lines": [{"product_id": product.id, "quantity": 1}], "valid_until": "1400/01/01"}, rep)
    database.session.rollback()
    # Tens of billions work; what does not fit is refused.
    product.list_price = 45_000_000_000
    database.session.commit()
    big = quotes.save(n.id, {"lines": [{"product_id": product.id, "quantity": 2}]}, rep)
    assert big.total == 99_000_000_000
    product.list_price = 10 ** 14
    database.session.commit()
    with pytest.raises(ValidationError, match="بزرگ"):
        quotes.save(n.id, {"lines": [{"product_id": product.id, "quantity": 100}]}, rep)
    database.session.rollback()
    # An expired quote does not become an order; a deactivated product is refused.
    q = database.session.get(Quote, quote.id)
    q.valid_until = today_tehran() - dt.timedelta(days=1)
    database.session.commit()
    with pytest.raises(ValidationError, match="اعتبار"):
        orders.from_quote(quote.id, rep)
    database.session.rollback()
    q.valid_until = today_tehran()
    product.active = False
    database.session.commit()
    with pytest.raises(ValidationError, match="غیرفعال"):
        orders.from_quote(quote.id, rep)
    database.session.rollback()
    assert database.session.scalar(select(func.count(Order.id))) == 0


def test_ad_hoc_discount_over_the_limit_needs_the_manager(app, make_user):
    rep, manager, product, n, _q = setup_sale(database, make_user)
    group = rep.groups[0]
    database.session.add(DiscountLimit(group_id=group.id, max_percent=500))
    database.session.commit()
    within = quotes.save(n.id, {"lines": [{"product_id": product.id, "quantity": 1, "adhoc_percent": "۵"}]}, rep)
    assert within.lines[0].approval == "none"
    over = quotes.save(n.id, {"lines": [{"product_id": product.id, "quantity": 1, "adhoc_percent": "12.5"}]}, rep)
    assert over.lines[0].approval == "pending"
    with pytest.raises(ValidationError, match="تأیید نشده"):
        quotes.send(over.id, rep)
    database.session.rollback()
    with pytest.raises(ValidationError, match="مدیر"):
        quotes.decide_discount(over.id, over.lines[0].id, True, rep)
    database.session.rollback()
    assert [ql.id for ql, _q in database.session.execute(quotes.pending_approvals(manager))] == [over.lines[0].id]
    quotes.decide_discount(over.id, over.lines[0].id, True, manager)
    assert quotes.send(over.id, rep).status == "sent"
    # A direct order cannot smuggle the same discount past the limit.
    with pytest.raises(ValidationError, match="سقف"):
        orders.direct(n.customer_id, {"lines": [{"product_id": product.id, "quantity": 1, "adhoc_percent": "20"}]}, rep)


def test_versions_are_kept(app, make_user):
    rep, _m, product, n, quote = setup_sale(database, make_user)
    draft = quotes.save(n.id, {"lines": [{"product_id": product.id, "quantity": 1}],
                               "valid_until": format_date(today_tehran() + dt.timedelta(days=3))}, rep)
    v2 = quotes.new_version(draft.id, rep)
    assert (v2.number, v2.version) == (draft.number, 2)
    assert database.session.get(Quote, draft.id).status == "superseded"
    with pytest.raises(ValidationError, match="آخرین"):
        quotes.new_version(draft.id, rep)
