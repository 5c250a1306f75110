"""The pricing engine: integer Rials, every adjustment explained on its line.

Precedence (lower first; each adjustment works on what the previous ones left):
   10 price list — the unit price (category/period list, else the catalogue's list price)
   20 tiered by quantity — "all units" mode: the band reached prices every unit;
      "incremental" mode: each band prices only its own units
   30 tiered by line amount — a percentage off the line
   40 period-bound percentage (between two Jalali dates)
   50 loyal customer — by category or by what they bought in the last 12 months
   60 plugins' adjustments (the `pricing_adjustments` hook; integrators choose their precedence)
   70 the rep's ad hoc line discount (above the group's limit it waits for a manager)
   80 tiered by order amount — distributed over the lines in proportion to their amounts
Rounding: a percentage of an amount is rounded half up to the Rial at each step; tax is
computed per line on its net amount, rounded half up; every total is the sum of its lines.
A line never goes below zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.payloads import Adjustment

ORDER_TIER_PRECEDENCE = 80
ADHOC_PRECEDENCE = 70


def percent_of(amount: int, basis_points: int) -> int:
    """`amount × bp / 10000`, rounded half up (amounts are never negative here)."""
    return (amount * basis_points + 5000) // 10000


@dataclass
class PricedLine:
    position: int
    product_id: int
    quantity: int
    list_price: int
    gross: int
    net: int
    tax_rate: int
    tax: int = 0
    applied: list[dict] = field(default_factory=list)

    @property
    def discount(self) -> int:
        return self.gross - self.net

    @property
    def total(self) -> int:
        return self.net + self.tax


@dataclass
class PricedQuote:
    lines: list[PricedLine]

    @property
    def subtotal(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.lines)

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


def apply(line: PricedLine, adjustment: Adjustment) -> None:
    """Apply one adjustment to the running line amount and record it."""
    before = line.net
    if adjustment.unit_price is not None:
        after = min(before, max(0, adjustment.unit_price) * line.quantity)
    elif adjustment.line_amount is not None:
        after = min(before, max(0, adjustment.line_amount))
    elif adjustment.percent is not None:
        after = before - percent_of(before, max(0, min(10000, adjustment.percent)))
    elif adjustment.amount is not None:
        after = before - min(before, max(0, adjustment.amount))
    else:
        return
    line.net = after
    line.applied.append({"label": adjustment.label, "kind": adjustment.kind, "source": adjustment.source,
                         "percent": adjustment.percent, "amount": before - after})


def distribute(total: int, weights: list[int]) -> list[int]:
    """Split `total` Rials in proportion to `weights`, exactly (largest remainder, ties to the
    first line)."""
    base = sum(weights)
    if total <= 0 or base <= 0:
        return [0] * len(weights)
    shares = [total * w // base for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % base), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def price(lines: list[dict], line_adjustments, order_adjustments: list[Adjustment]) -> PricedQuote:
    """Price a quote. `lines`: dicts with position, product_id, quantity, list_price, tax_rate
    (bp); `line_adjustments(line_dict)` returns that line's adjustments (any order);
    `order_adjustments` work on the order amount after the lines' own adjustments."""
    priced = []
    for data in lines:
        line = PricedLine(position=data["position"], product_id=data["product_id"], quantity=data["quantity"],
                          list_price=data["list_price"], gross=data["list_price"] * data["quantity"],
                          net=data["list_price"] * data["quantity"], tax_rate=data["tax_rate"])
        for adjustment in sorted(line_adjustments(data), key=lambda a: a.precedence):
            apply(line, adjustment)
        priced.append(line)
    for adjustment in sorted(order_adjustments, key=lambda a: a.precedence):
        order_net = sum(line.net for line in priced)
        if adjustment.percent is not None:
            off = percent_of(order_net, max(0, min(10000, adjustment.percent)))
        else:
            off = min(order_net, max(0, adjustment.amount or 0))
        for line, share in zip(priced, distribute(off, [line.net for line in priced])):
            if share:
                line.net -= share
                line.applied.append({"label": adjustment.label, "kind": adjustment.kind, "source": adjustment.source,
                                     "percent": adjustment.percent, "amount": share})
    for line in priced:
        line.tax = percent_of(line.net, line.tax_rate)
    return PricedQuote(priced)


# --- the CRM's own policies as adjustments ---------------------------------------------------------

def band(tiers: list[dict], value: int) -> dict | None:
    """The highest band whose `from` the value reaches."""
    reached = [t for t in tiers if value >= int(t.get("from", 0))]
    return max(reached, key=lambda t: int(t["from"])) if reached else None


def band_unit_price(tier: dict | None, list_price: int) -> int:
    if tier is None:
        return list_price
    if tier.get("unit_price") is not None:
        return int(tier["unit_price"])
    return list_price - percent_of(list_price, int(tier.get("percent") or 0))


def incremental_amount(tiers: list[dict], quantity: int, list_price: int) -> int:
    """Each band prices only its own units (units below the first band: the list price)."""
    starts = sorted({1} | {int(t["from"]) for t in tiers if int(t["from"]) >= 1})
    total = 0
    for i, start in enumerate(starts):
        if start > quantity:
            break
        end = min(quantity, starts[i + 1] - 1) if i + 1 < len(starts) else quantity
        total += (end - start + 1) * band_unit_price(band(tiers, start), list_price)
    return total
