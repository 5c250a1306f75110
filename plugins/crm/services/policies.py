"""The CRM's own sales policies, turned into price adjustments for the pricing engine (through
the CRM's `pricing_adjustments` hook implementation, like any integrator's plugin), and the
price lists."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import or_, select

from core import settings
from core.db import db
from core.payloads import Adjustment, LineContext, QuoteContext
from core.persian import to_persian_digits
from plugins.crm.models.sales import POLICY_KINDS, Policy, PriceList, PriceListItem
from plugins.crm.services.pricing import band, band_unit_price, incremental_amount

PRECEDENCE = {"tier_quantity": 20, "tier_line_amount": 30, "period": 40, "percentage": 40, "loyal": 50,
              "tier_order_amount": 80}


@lru_cache(maxsize=1024)
def _percent_text(bp: int) -> str:
    text = f"{bp / 100:.2f}".rstrip("0").rstrip(".")
    return to_persian_digits(text) + "٪"


def active_policies(day: dt.date) -> list[Policy]:
    return list(db.session.scalars(select(Policy).where(
        Policy.active.is_(True),
        or_(Policy.valid_from.is_(None), Policy.valid_from <= day),
        or_(Policy.valid_to.is_(None), Policy.valid_to >= day)).order_by(Policy.id)))


@dataclass(frozen=True)
class _Rule:
    """A policy as plain values, read once per pricing run (ORM attribute access per line and
    policy would cost more than the pricing itself)."""
    id: int
    name: str
    kind: str
    product_id: int | None
    category_id: int | None
    percent: int | None
    tiers: tuple
    incremental: bool
    loyal_min_purchase: int | None
    kind_label: str


def _rules(quote: QuoteContext) -> list[_Rule]:
    rules = quote.cache.get("crm.policies")
    if rules is None:
        rules = quote.cache["crm.policies"] = [
            _Rule(p.id, p.name, p.kind, p.product_id, p.category_id, p.percent,
                  tuple(sorted(p.tiers or [], key=lambda t: int(t.get("from", 0)))), p.tier_mode == "incremental",
                  p.loyal_min_purchase, POLICY_KINDS[p.kind]) for p in active_policies(quote.date)]
    return rules


def _applies(policy, quote: QuoteContext, product_id: int | None) -> bool:
    if policy.product_id is not None and policy.product_id != product_id:
        return False
    if policy.kind == "loyal":
        by_category = policy.category_id is not None and policy.category_id == quote.category_id
        by_history = policy.loyal_min_purchase is not None and quote.bought_last_year >= policy.loyal_min_purchase
        return by_category or by_history
    return policy.category_id is None or policy.category_id == quote.category_id


def line_adjustments(quote: QuoteContext, line: LineContext) -> list[Adjustment]:
    """Adjustments of the CRM's policies for one line (the hook implementation calls this)."""
    out = []
    for p in _rules(quote):
        if p.kind == "tier_order_amount" or not _applies(p, quote, line.product_id):
            continue
        source, label_kind, precedence = f"crm.policy:{p.id}", p.kind_label, PRECEDENCE[p.kind]
        if p.kind == "tier_quantity":
            if p.incremental:
                amount = incremental_amount(list(p.tiers), line.quantity, line.list_price)
                if amount < line.list_price * line.quantity:
                    out.append(Adjustment(f"{p.name} ({label_kind}، پله‌ای افزایشی)", precedence,
                                          line_amount=amount, source=source, kind=p.kind))
                continue
            tier = band(p.tiers, line.quantity)
            if tier is None:
                continue
            if tier.get("unit_price") is not None:
                out.append(Adjustment(f"{p.name} ({label_kind}: از {to_persian_digits(tier['from'])} عدد)",
                                      precedence, unit_price=band_unit_price(tier, line.list_price),
                                      source=source, kind=p.kind))
            elif tier.get("percent"):
                out.append(Adjustment(f"{p.name} ({_percent_text(int(tier['percent']))} از {to_persian_digits(tier['from'])} عدد)",
                                      precedence, percent=int(tier["percent"]), source=source, kind=p.kind))
        elif p.kind == "tier_line_amount":
            tier = band(p.tiers, line.list_price * line.quantity)
            if tier and tier.get("percent"):
                out.append(Adjustment(f"{p.name} ({_percent_text(int(tier['percent']))}، {label_kind})",
                                      precedence, percent=int(tier["percent"]), source=source, kind=p.kind))
        elif p.percent:
            out.append(Adjustment(f"{p.name} ({_percent_text(p.percent)}، {label_kind})", precedence,
                                  percent=p.percent, source=source, kind=p.kind))
    return out


def order_adjustments(quote: QuoteContext, order_amount: int) -> list[Adjustment]:
    """Tiers by order amount (distributed over the lines by the engine)."""
    out = []
    for p in _rules(quote):
        if p.kind != "tier_order_amount" or not _applies(p, quote, None):
            continue
        tier = band(p.tiers, order_amount)
        if tier and tier.get("percent"):
            out.append(Adjustment(f"{p.name} ({_percent_text(int(tier['percent']))}، {POLICY_KINDS[p.kind]})",
                                  PRECEDENCE[p.kind], percent=int(tier["percent"]), source=f"crm.policy:{p.id}",
                                  kind=p.kind))
    return out


def list_prices(products, category_id: int | None, day: dt.date) -> dict[int, tuple[int, int | None]]:
    """`list_price` for many products in one query: product id → (unit price, price list id)."""
    ids = [p.id for p in products]
    rows = db.session.execute(
        select(PriceListItem.product_id, PriceListItem.price, PriceList).join(
            PriceList, PriceList.id == PriceListItem.price_list_id).where(
            PriceListItem.product_id.in_(ids), PriceList.active.is_(True),
            or_(PriceList.category_id.is_(None), PriceList.category_id == category_id),
            or_(PriceList.valid_from.is_(None), PriceList.valid_from <= day),
            or_(PriceList.valid_to.is_(None), PriceList.valid_to >= day))).all() if ids else []
    best: dict[int, tuple] = {}
    for product_id, price, plist in rows:
        rank = (plist.category_id is not None, plist.valid_from is not None or plist.valid_to is not None, plist.id)
        if product_id not in best or rank > best[product_id][0]:
            best[product_id] = (rank, price, plist.id)
    return {p.id: ((best[p.id][1], best[p.id][2]) if p.id in best else (p.list_price, None)) for p in products}


def list_price(product, category_id: int | None, day: dt.date) -> tuple[int, int | None]:
    """(unit price, price list id): the most specific active list naming the product — a list
    for the customer's category and this period, then for the category, then for the period —
    else the catalogue's list price."""
    rows = db.session.execute(
        select(PriceListItem.price, PriceList).join(PriceList, PriceList.id == PriceListItem.price_list_id).where(
            PriceListItem.product_id == product.id, PriceList.active.is_(True),
            or_(PriceList.category_id.is_(None), PriceList.category_id == category_id),
            or_(PriceList.valid_from.is_(None), PriceList.valid_from <= day),
            or_(PriceList.valid_to.is_(None), PriceList.valid_to >= day))).all()
    if not rows:
        return product.list_price, None

    def specificity(row):
        plist = row[1]
        return (plist.category_id is not None, plist.valid_from is not None or plist.valid_to is not None, plist.id)
    best = max(rows, key=specificity)
    return best[0], best[1].id


def vat_rate(tax_class: str) -> int:
    """VAT in basis points for a product's tax class (settings)."""
    if tax_class == "exempt":
        return 0
    return int(settings.get("crm.vat_percent_bp"))
