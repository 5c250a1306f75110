"""The data carried by the sales hooks (see `core/hookspecs.py`): plain dataclasses, never ORM
rows, so a plugin depends on this contract and not on another plugin's tables.

References between plugins are strings `"<plugin>.<kind>:<id>"` (`"crm.order:42"`).
Money is integer Rials; percentages are basis points (hundredths of a percent: 950 = 9.5 %).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class Veto(Exception):
    """Raised by a subscriber of `order_confirmed` / `order_cancelled` (or `party_merged`) to stop
    the whole operation; `reason` is shown to the user as is (Persian)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Adjustment:
    """One price adjustment on a quote line, with the reason shown on the line.

    Exactly one of `percent` (basis points of the running line amount), `amount` (Rials off the
    line), `unit_price` (the unit price becomes this) or `line_amount` (the line's amount becomes
    this, e.g. an incremental tier) is set. Lower `precedence` applies first; each adjustment works
    on what the previous ones left."""
    label: str
    precedence: int
    percent: int | None = None
    amount: int | None = None
    unit_price: int | None = None
    line_amount: int | None = None
    source: str = ""            # "crm.policy:3" or your plugin's reference
    kind: str = ""


@dataclass
class LineContext:
    position: int
    product_id: int
    quantity: int
    list_price: int             # unit price from the price list
    tax_class: str


@dataclass
class QuoteContext:
    customer_ref: str           # "crm.customer:7"
    party_id: int
    category_id: int | None     # the customer's category (CRM master list)
    date: dt.date               # the pricing date (Tehran)
    lines: list[LineContext] = field(default_factory=list)
    bought_last_year: int = 0   # what the customer bought in the last 12 months (confirmed orders)
    cache: dict = field(default_factory=dict)  # per pricing run: load your rules once, not per line


@dataclass
class OrderLinePayload:
    position: int
    product_id: int
    quantity: int
    unit_price: int
    net: int
    tax: int
    total: int
    cost_price: int


@dataclass
class OrderPayload:
    ref: str                    # "crm.order:42"
    id: int
    number: int
    kind: str                   # order | contract
    party_id: int               # core `parties.id` of the customer
    customer_ref: str
    category_id: int | None     # the customer's category (CRM master list), e.g. for credit limits
    office_id: int | None
    allow_partial: bool
    subtotal: int
    discount: int
    tax: int
    total: int
    confirmed_at: dt.datetime | None
    actor_id: int | None
    lines: list[OrderLinePayload] = field(default_factory=list)
    override_credit: bool = False  # a permitted user chose to exceed the credit limit


@dataclass
class Effect:
    """What a subscriber reports back: shown on the order page with a link."""
    ref: str
    label: str
    url: str = ""


@dataclass
class Availability:
    product_id: int
    available: int
    label: str = ""             # e.g. "انبار تهران: ۱۲"


@dataclass
class CreditInfo:
    balance: int                # what the customer owes now (positive) or has in credit (negative)
    limit: int | None           # None: no limit
    overdue: int = 0
    label: str = ""


@dataclass
class Period:
    """A reporting period: Tehran calendar days `start`..`end`, both included."""
    start: dt.date
    end: dt.date
    label: str = ""             # e.g. "آبان ۱۴۰۵"


@dataclass
class Scope:
    """Whose figures: the viewer, and the office / department / reps they filtered on — already
    limited to what the viewer may see (`user_ids` None means every user)."""
    viewer_id: int
    office_id: int | None = None
    department_id: int | None = None
    user_ids: list[int] | None = None


@dataclass
class Kpi:
    """One figure on the managers' dashboard.

    `value` is an int (Rials for money, a count, or basis points for a rate — see `unit`);
    `link` leads to the records behind it; `series` feeds a chart: a list of `{"label", "value"}`
    (or several named series in `extra`)."""
    key: str                    # "crm.won_value"
    label: str
    value: int | None
    unit: str = "count"         # count | rial | percent_bp | days
    link: str = ""
    order: int = 100
    group: str = ""             # the card group on the dashboard ("فروش", "انبار", …)
    hint: str = ""              # how it is computed, shown on hover
    series: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
