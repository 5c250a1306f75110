"""Pricing with worked examples: tiered + loyal + period + ad hoc together, precedence and
rounding spelled out; properties: a total is always the sum of its lines and never negative."""
import datetime as dt

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from core.models.products import Product
from core.payloads import Adjustment
from plugins.crm.models import Customer, ListItem
from plugins.crm.models.sales import Policy, PriceList, PriceListItem
from plugins.crm.services import pricing, quotes
from plugins.crm.services.pricing import distribute, incremental_amount, percent_of


def test_rounding_is_half_up_to_the_rial():
    assert percent_of(12345, 950) == 1173       # 1172.775 → 1173
    assert percent_of(10, 500) == 1              # 0.5 → 1
    assert percent_of(9, 500) == 0               # 0.45 → 0


def test_incremental_tiers_price_only_their_own_units():
    tiers = [{"from": 10, "unit_price": 90}, {"from": 50, "unit_price": 80}]
    assert incremental_amount(tiers, 5, 100) == 500
    assert incremental_amount(tiers, 10, 100) == 9 * 100 + 1 * 90
    assert incremental_amount(tiers, 60, 100) == 9 * 100 + 40 * 90 + 11 * 80


def test_order_discount_is_distributed_exactly():
    assert distribute(100, [1, 1, 1]) == [34, 33, 33]
    assert sum(distribute(999_999, [3, 7, 11, 13])) == 999_999


def test_worked_example_every_policy_together(db, org, register):
    """Product list price 1,000,000 Rials, 10 units, VAT 10 %:
    10 price list for the customer's category: 950,000 a unit        gross  9,500,000
    20 quantity tier, all units mode, from 10 units: 900,000 a unit   net    9,000,000 (−500,000)
    40 period policy 5 %: 9,000,000 × 5 % = 450,000                  net    8,550,000
    50 loyal customer (category) 2.5 %: 8,550,000 × 2.5 % = 213,750   net    8,336,250
    70 rep's ad hoc 3 %: 8,336,250 × 3 % = 250,087.5 → 250,088        net    8,086,162
    80 order amount ≥ 10,000,000? the order (two lines) is checked below.
    tax 10 %: 808,616.2 → 808,616                                      total  8,894,778
    """
    category = ListItem(kind="category", name="نمایندگی")
    product = Product(code="P1", name="کارت‌خوان", list_price=1_000_000, cost_price=600_000, tax_class="standard",
                      search_key="p1")
    cheap = Product(code="P2", name="رول کاغذ", list_price=100_000, cost_price=50_000, tax_class="exempt", search_key="p2")
    db.session.add_all([category, product, cheap])
    db.session.flush()
    plist = PriceList(name="قیمت نمایندگان", category_id=category.id)
    plist.items = [PriceListItem(product_id=product.id, price=950_000)]
    today = dt.date.today()
    db.session.add_all([plist,
        Policy(name="پله‌ای کارت‌خوان", kind="tier_quantity", product_id=product.id,
               tiers=[{"from": 5, "unit_price": 920_000}, {"from": 10, "unit_price": 900_000}]),
        Policy(name="جشنواره", kind="period", percent=500, valid_from=today - dt.timedelta(days=1),
               valid_to=today + dt.timedelta(days=1)),
        Policy(name="جشنوارهٔ گذشته", kind="period", percent=2000, valid_from=today - dt.timedelta(days=30),
               valid_to=today - dt.timedelta(days=2)),
        Policy(name="نمایندگان وفادار", kind="loyal", percent=250, category_id=category.id),
        Policy(name="خرید عمده", kind="tier_order_amount", tiers=[{"from": 8_000_000, "percent": 100}])])
    db.session.commit()
    n = register(org.a, category_id=category.id)
    customer = db.session.get(Customer, n.customer_id)
    lines = [{"product": product, "quantity": 10, "adhoc_percent": 300, "description": ""},
             {"product": cheap, "quantity": 3, "adhoc_percent": 0, "description": ""}]
    priced, _ctx = quotes.price_lines(customer, lines, today)
    first, second = priced.lines
    steps = [(a["kind"], a["amount"]) for a in first.applied]
    # Line 2 (exempt): 300,000 − period 5 % 15,000 − loyal 2.5 % 7,125 = 277,875.
    # The order amount after the line adjustments, 8,086,162 + 277,875 = 8,364,037 ≥ 8,000,000:
    # 1 % = 83,640.37 → 83,640, split 8,086,162 : 277,875 → 80,861 and 2,779 (largest remainder).
    assert first.gross == 9_500_000
    assert steps == [("tier_quantity", 500_000), ("period", 450_000), ("loyal", 213_750), ("adhoc", 250_088),
                     ("tier_order_amount", 80_861)]
    assert first.net == 8_086_162 - 80_861 and first.tax == percent_of(first.net, 1000)
    assert (second.net, second.tax) == (277_875 - 2_779, 0)
    assert priced.total == first.net + first.tax + second.net + second.tax
    assert all(a["label"] for a in first.applied)  # every adjustment explains itself


@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 500), st.integers(0, 10000)), min_size=1, max_size=20),
       st.lists(st.integers(0, 10000), max_size=4), st.integers(0, 10000))
@hsettings(max_examples=200, deadline=None)
def test_totals_are_sums_of_lines_and_never_negative(rows, percents, order_percent):
    lines = [{"position": i, "product_id": i, "quantity": q, "list_price": p, "tax_rate": 900}
             for i, (p, q, _a) in enumerate(rows, 1)]
    adj = {i: [Adjustment("x", 40 + k, percent=pct) for k, pct in enumerate(percents)]
           + [Adjustment("ad hoc", 70, percent=a), Adjustment("amount", 75, amount=p * q // 2 + 1)]
           for i, (p, q, a) in enumerate(rows, 1)}
    priced = pricing.price(lines, lambda line: adj[line["position"]], [Adjustment("order", 80, percent=order_percent)])
    for line in priced.lines:
        assert 0 <= line.net <= line.gross and line.tax >= 0
        assert line.gross - line.discount == line.net
        assert line.discount == sum(a["amount"] for a in line.applied)
    assert priced.total == sum(li.net + li.tax for li in priced.lines)
    assert priced.subtotal - priced.discount + priced.tax == priced.total


def test_a_plugin_adds_its_own_policy_type(make_app, make_user):
    from core.db import db
    from core.models.org import Office
    from core.testing import plugin
    from plugins.crm.services import customers

    def pricing_adjustments(quote, line):
        return [Adjustment("جشنوارهٔ شریک تجاری", 45, amount=1000, source="acme.campaign:1")] if line.quantity >= 2 else None

    app = make_app(plugins=[("acme", plugin(pricing_adjustments=pricing_adjustments))])
    with app.app_context():
        office = Office(name="دفتر", city="تهران", area_code="21")
        product = Product(code="X", name="کالا", list_price=50_000, cost_price=1, tax_class="exempt", search_key="x")
        db.session.add_all([office, product])
        db.session.commit()
        rep = make_user("rep", role="sales", office=office)
        n = customers.register({"kind": "person", "name": "مشتری", "phones": [{"number": "09120001111"}]}, rep)
        customer = db.session.get(Customer, n.customer_id)
        priced, _ = quotes.price_lines(customer, [{"product": product, "quantity": 2, "adhoc_percent": 0, "description": ""}],
                                       dt.date.today())
        assert priced.lines[0].net == 99_000
        assert priced.lines[0].applied[0]["source"] == "acme.campaign:1"


@pytest.mark.parametrize("quantity,expected_unit", [(1, 1_000_000), (4, 1_000_000), (5, 920_000), (12, 900_000)])
def test_quantity_bands_all_units(db, org, register, quantity, expected_unit):
    product = Product(code="P", name="کالا", list_price=1_000_000, cost_price=1, tax_class="exempt", search_key="p")
    db.session.add(product)
    db.session.flush()
    db.session.add(Policy(name="پله", kind="tier_quantity", product_id=product.id,
                          tiers=[{"from": 5, "unit_price": 920_000}, {"from": 10, "unit_price": 900_000}]))
    db.session.commit()
    customer = db.session.get(Customer, register(org.a).customer_id)
    priced, _ = quotes.price_lines(customer, [{"product": product, "quantity": quantity, "adhoc_percent": 0,
                                               "description": ""}], dt.date.today())
    assert priced.lines[0].net == expected_unit * quantity
