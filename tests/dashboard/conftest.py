"""A hand-built organisation with sales, stock and receivables whose every dashboard figure is
worked out by hand in the tests (tests/dashboard/test_kpis.py).

Dates are relative to today (Tehran) in whole Jalali months, so the figures do not depend on
the day the tests run: the period under test is the previous Jalali month («PM», complete), the
month before it is «PPM», the current one «CM». Rows are written directly (not through the
services) so every timestamp is exactly where the arithmetic needs it.

People: manager M (Tehran) above reps A and B (Tehran); rep C in Isfahan reports to nobody;
an administrator and an inspector see everything.
"""
from __future__ import annotations

import datetime as dt
import itertools
import types

import pytest

from core.jalali import TEHRAN, UTC, month_bounds, to_jalali, today_tehran, utcnow
from core.models.org import Department, Office
from core.models.parties import Party
from core.models.products import Product

_ids = itertools.count(1)


def add_months(year: int, month: int, k: int) -> tuple[int, int]:
    total = year * 12 + month - 1 + k
    return total // 12, total % 12 + 1


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """`hour`:00 Tehran time on `day`, as the naive UTC the database stores."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def months_around(today: dt.date | None = None) -> dict:
    j = to_jalali(today or today_tehran())
    cm = (j.year, j.month)
    return {"CM": cm, "PM": add_months(*cm, -1), "PPM": add_months(*cm, -2)}


@pytest.fixture
def people(db, make_user):
    o = types.SimpleNamespace()
    o.tehran = Office(name="دفتر تهران", city="تهران", area_code="21")
    o.isfahan = Office(name="دفتر اصفهان", city="اصفهان", area_code="31")
    db.session.add_all([o.tehran, o.isfahan])
    db.session.flush()
    o.retail = Department(office_id=o.tehran.id, name="فروش خرده")
    o.isfahan_sales = Department(office_id=o.isfahan.id, name="فروش اصفهان")
    db.session.add_all([o.retail, o.isfahan_sales])
    db.session.commit()
    o.m = make_user("manager", role="manager", office=o.tehran, first_name="مینا", last_name="مدیری")
    o.a = make_user("rep_a", role="sales", office=o.tehran, manager=o.m, first_name="علی", last_name="احمدی",
                    department_id=o.retail.id)
    o.b = make_user("rep_b", role="sales", office=o.tehran, manager=o.m, first_name="بهرام", last_name="بهرامی")
    o.c = make_user("rep_c", role="sales", office=o.isfahan, first_name="چنگیز", last_name="چمنی",
                    department_id=o.isfahan_sales.id)
    o.admin = make_user("admin", role="administrator", office=o.tehran, superuser=True, first_name="آرش",
                        last_name="مدیرکل")
    o.inspector = make_user("inspector", role="inspector", office=o.tehran, first_name="ایرج", last_name="بازرس")
    return o


@pytest.fixture
def sales_data(db, people):
    """The data set of tests/dashboard/test_kpis.py (see the comments there for each figure)."""
    from plugins.crm.models import Card, Customer, Lead, Negotiation, Pipeline, PointEntry, Stage
    from plugins.crm.models.sales import Order, OrderLine
    from plugins.finance.models import Invoice
    from plugins.inventory.models import ProductStockSetting, Stock, Warehouse

    o = people
    now, today = utcnow(), today_tehran()
    m = months_around(today)
    o.months = m
    S = month_bounds(*m["PM"])[0]                     # first day of PM
    P2 = month_bounds(*m["PPM"])[0]                   # first day of PPM
    CM = month_bounds(*m["CM"])[0]                    # first day of CM
    o.S, o.P2, o.CM = S, P2, CM
    o.pm_end = month_bounds(*m["PM"])[1] - dt.timedelta(days=1)

    pipeline = Pipeline(name="قیف فروش", is_default=True)
    pipeline.stages = [Stage(name="اول", position=0, probability=20), Stage(name="دوم", position=1, probability=50)]
    db.session.add(pipeline)
    db.session.flush()
    first, second = pipeline.stages

    def customer(owner):
        n = next(_ids)
        party = Party(kind="person", name=f"مشتری {n}", search_key=f"mshtry {n}", office_id=owner.office_id)
        db.session.add(party)
        db.session.flush()
        c = Customer(party_id=party.id, registered_by_id=owner.id, registered_at=now)
        db.session.add(c)
        db.session.flush()
        return c

    def negotiation(owner, start, status, closed=None, end=None, **fields):
        c = customer(owner)
        n = Negotiation(customer_id=c.id, owner_id=owner.id, office_id=owner.office_id, status=status,
                        window_start=start, window_end=end or now + dt.timedelta(days=30), closed_at=closed, **fields)
        db.session.add(n)
        db.session.flush()
        c.current_negotiation_id = n.id
        return n

    # --- negotiations (the PM cohort: window started in PM) -----------------------------------
    o.n1 = negotiation(o.a, at(S + dt.timedelta(days=2)), "won", at(S + dt.timedelta(days=12)))   # 10-day cycle
    o.n2 = negotiation(o.a, at(S + dt.timedelta(days=3)), "cut", at(S + dt.timedelta(days=8)))
    o.n3 = negotiation(o.b, at(S + dt.timedelta(days=4)), "won", at(S + dt.timedelta(days=24)))   # 20-day cycle
    o.n4 = negotiation(o.b, at(S + dt.timedelta(days=5)), "negotiating", value=100_000_000, stage_id=second.id,
                       forecast_close=CM + dt.timedelta(days=1), last_entry_at=now - dt.timedelta(days=1))
    o.n5 = negotiation(o.c, at(S + dt.timedelta(days=6)), "won", at(S + dt.timedelta(days=9)))    # 3-day cycle
    # Stored as negotiating but its window ended yesterday: effectively expired (not open, not won).
    o.n10 = negotiation(o.b, at(S + dt.timedelta(days=7)), "negotiating", end=now - dt.timedelta(days=1),
                        value=999_000_000, stage_id=second.id, forecast_close=CM)
    # --- outside the PM cohort -----------------------------------------------------------------
    o.n6 = negotiation(o.a, at(P2 + dt.timedelta(days=1)), "won", at(S + dt.timedelta(days=15)))  # won in PM
    o.n7 = negotiation(o.a, at(P2 + dt.timedelta(days=2)), "negotiating", value=40_000_000, stage_id=first.id,
                       probability=25, forecast_close=month_bounds(*add_months(*m["CM"], 1))[0] + dt.timedelta(days=3),
                       last_entry_at=now - dt.timedelta(days=10))                                   # watch
    o.n8 = negotiation(o.b, at(P2 + dt.timedelta(days=1)), "negotiating",
                       last_entry_at=now - dt.timedelta(days=20))                                   # yellow card
    o.n9 = negotiation(o.c, at(P2 + dt.timedelta(days=1)), "negotiating")                          # red card

    # --- leads created in PM ----------------------------------------------------------------------
    for owner, status, office in ((o.a, "qualified", o.tehran), (o.a, "new", o.tehran), (o.b, "disqualified", o.tehran),
                                  (o.c, "qualified", o.isfahan), (None, "new", o.tehran)):
        db.session.add(Lead(channel="phone", status=status, name=f"سرنخ {next(_ids)}", owner_id=owner.id if owner else None,
                            office_id=office.id, created_at=at(S + dt.timedelta(days=10))))
    db.session.add(Lead(channel="phone", status="qualified", name="سرنخ ماه پیش", owner_id=o.a.id,
                        office_id=o.tehran.id, created_at=at(P2 + dt.timedelta(days=3))))   # not in PM

    # --- orders ---------------------------------------------------------------------------------
    o.reader = Product(code="K1", name="کارت‌خوان", list_price=50_000_000, cost_price=1_000_000, search_key="k1")
    o.paper = Product(code="R1", name="رول کاغذ", list_price=1_000_000, cost_price=500_000, search_key="r1")
    o.service = Product(code="S1", name="پشتیبانی", list_price=9_000_000, cost_price=9_000_000, search_key="s1")
    db.session.add_all([o.reader, o.paper, o.service])
    db.session.flush()
    numbers = itertools.count(1)

    def order(n, confirmed_at, lines, status="confirmed"):
        net = sum(li[1] for li in lines)
        tax = net // 10
        row = Order(number=next(numbers), negotiation_id=n.id, customer_id=n.customer_id, office_id=n.office_id,
                    status=status, subtotal=net, discount=0, tax=tax, total=net + tax, confirmed_at=confirmed_at,
                    cancelled_at=now if status == "cancelled" else None, created_at=confirmed_at or now)
        row.lines = [OrderLine(position=i, product_id=o.reader.id, quantity=q, unit_price=net_ // q, gross=net_,
                               discount=0, net=net_, tax_rate=1000, tax=net_ // 10, total=net_ + net_ // 10,
                               cost_price=cost) for i, (q, net_, cost) in enumerate(lines)]
        db.session.add(row)
        return row

    pm = lambda d: at(S + dt.timedelta(days=d), 12)  # noqa: E731
    order(o.n1, pm(12), [(2, 60_000_000, 20_000_000), (1, 40_000_000, 30_000_000)])   # total 110M, profit 30M
    order(o.n3, pm(24), [(5, 50_000_000, 6_000_000)])                                  # total 55M, profit 20M
    order(o.n5, pm(9), [(1, 200_000_000, 150_000_000)])                                # total 220M, profit 50M
    order(o.n6, pm(15), [(3, 30_000_000, 5_000_000)])                                  # total 33M, profit 15M
    order(o.n1, pm(13), [(1, 70_000_000, 1_000_000)], status="cancelled")              # cancelled: never counted
    order(o.n6, at(P2 + dt.timedelta(days=20), 12), [(1, 10_000_000, 1_000_000)])     # PPM: 11M
    order(o.n4, None, [(1, 10_000_000, 1_000_000)], status="draft")                    # draft: never counted

    # --- points and cards -------------------------------------------------------------------------
    for user, n, event, points, day in (
            (o.a, o.n1, "negotiating", -1, 2), (o.a, o.n1, "won", 5, 12), (o.a, o.n2, "negotiating", -1, 3),
            (o.a, o.n2, "cut", -2, 8), (o.a, o.n6, "won", 5, 15),
            (o.b, o.n3, "negotiating", -1, 4), (o.b, o.n3, "won", 5, 24), (o.b, o.n4, "negotiating", -1, 5),
            (o.b, o.n10, "negotiating", -1, 7),
            (o.c, o.n5, "negotiating", -1, 6), (o.c, o.n5, "won", 5, 9)):
        db.session.add(PointEntry(user_id=user.id, negotiation_id=n.id, event=event, points=points,
                                  at=at(S + dt.timedelta(days=day))))
    db.session.add(PointEntry(user_id=o.a.id, negotiation_id=o.n6.id, event="negotiating", points=-1,
                              at=at(P2 + dt.timedelta(days=1))))      # PPM: not in the PM leaderboard
    db.session.add_all([Card(negotiation_id=o.n8.id, user_id=o.b.id, colour="yellow", days=15,
                             at=at(S + dt.timedelta(days=20))),
                        Card(negotiation_id=o.n9.id, user_id=o.c.id, colour="red", days=31,
                             at=at(S + dt.timedelta(days=21)))])

    # --- receivables ------------------------------------------------------------------------------
    party = Party(kind="organisation", name="خریدار", search_key="khrydar")
    db.session.add(party)
    db.session.flush()
    for k, (office, total, paid, due, extra) in enumerate((
            (o.tehran, 100_000_000, 40_000_000, today + dt.timedelta(days=10), {}),   # not due: 60M
            (o.tehran, 50_000_000, 0, today - dt.timedelta(days=45), {}),              # 31–60 days: 50M
            (o.isfahan, 30_000_000, 0, today - dt.timedelta(days=100), {}),            # 90+ days: 30M
            (o.tehran, 20_000_000, 20_000_000, today - dt.timedelta(days=5), {}),      # paid
            (o.tehran, 70_000_000, 0, today - dt.timedelta(days=5), {"credited": True}),   # reversed
            (o.tehran, 70_000_000, 0, today - dt.timedelta(days=5), {"kind": "credit_note"}))):
        db.session.add(Invoice(fiscal_year=to_jalali(today).year, number=k + 1, order_ref=f"crm.order:{900 + k}",
                               order_number=900 + k, party_id=party.id, office_id=office.id, issued_at=now,
                               due_date=due, subtotal=total, discount=0, tax=0, total=total, paid=paid, **extra))

    # --- stock ------------------------------------------------------------------------------------
    w1 = Warehouse(name="انبار تهران", code="W1", office_id=o.tehran.id)
    w2 = Warehouse(name="انبار اصفهان", code="W2", office_id=o.isfahan.id)
    db.session.add_all([w1, w2])
    db.session.flush()
    o.w1, o.w2 = w1, w2
    db.session.add_all([
        Stock(product_id=o.reader.id, warehouse_id=w1.id, on_hand=10, reserved=2),
        Stock(product_id=o.reader.id, warehouse_id=w2.id, on_hand=5, reserved=5),
        Stock(product_id=o.paper.id, warehouse_id=w1.id, on_hand=4, reserved=0),
        Stock(product_id=o.service.id, warehouse_id=w1.id, on_hand=100, reserved=0),
        ProductStockSetting(product_id=o.reader.id, reorder_level=3),
        ProductStockSetting(product_id=o.paper.id, reorder_level=5),
        ProductStockSetting(product_id=o.service.id, reorder_level=0, tracked=False),
    ])
    db.session.commit()
    return o
