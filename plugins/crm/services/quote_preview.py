"""Price a quote's lines as typed, without saving: the live quote builder and the API's price
preview. Every row gets its own result (its priced line with every adjustment, or the Persian
reason it cannot be priced yet), and the totals are over the rows that can be priced — the same
engine and the same checks as `quotes.save`, so what the preview shows is what saving stores."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from core.jalali import today_tehran
from core.persian import INVISIBLE_MARKS, to_ascii_digits
from plugins.crm.models import Customer
from plugins.crm.services import pricing, quotes

_PERCENT = re.compile(r"^\d{1,3}(\.\d{1,2})?$")


def clean_percent(value) -> str:
    """The rep's discount as the pricing service reads it: "12.5" from "۱۲٫۵٪"; text that is no
    percentage at all (`inf`, `1e9`, `abc`) becomes "x", which the service refuses in Persian
    (its float parser would otherwise accept `inf` and fail)."""
    if value is None:
        return "0"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{value}"
    text = INVISIBLE_MARKS.sub("", to_ascii_digits(str(value))).replace("٫", ".").replace("/", ".")
    text = text.replace("%", "").replace("٪", "").strip() or "0"
    if _PERCENT.match(text):
        return text
    try:
        number = float(text)
    except ValueError:
        return "x"
    if number != number:  # NaN
        return "x"
    if abs(number) > 1000:  # also ±inf: out of range, refused as such by the service
        return "1000" if number > 0 else "-1"
    return f"{number:.2f}"


def clean_rows(rows: list[dict]) -> list[dict]:
    """Rows from a form or the API with the percentage made safe for the service."""
    return [{**row, "adhoc_percent": clean_percent(row.get("adhoc_percent"))} for row in rows]


@dataclass
class RowResult:
    index: int                        # 1-based, in the order given
    error: str = ""
    product: object = None
    quantity: int = 0
    adhoc_percent: int = 0            # basis points
    line: pricing.PricedLine | None = None
    needs_approval: bool = False      # the rep's discount is above their group's limit
    too_big: bool = False


@dataclass
class Preview:
    rows: list[RowResult]
    errors: dict[str, str] = field(default_factory=dict)   # "lines" and "lines-<i>" as `quotes.save`
    limit: int = 0                                        # the actor's ad hoc limit, basis points

    @property
    def priced(self) -> list[pricing.PricedLine]:
        return [r.line for r in self.rows if r.line is not None]

    @property
    def subtotal(self) -> int:
        return sum(line.gross for line in self.priced)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.priced)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.priced)

    @property
    def total(self) -> int:
        return sum(line.total for line in self.priced)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.priced)


def preview(customer: Customer, rows: list[dict], actor, day: dt.date | None = None) -> Preview:
    """Price `rows` (dicts with product_id, quantity, adhoc_percent as typed, description) for
    the customer today. Writes nothing."""
    rows = clean_rows(rows)
    cleaned, errors = quotes._clean_lines(rows)  # the service's own parsing and messages
    limit = quotes.group_limit(actor)
    results, valid = [], iter(cleaned)
    for i, _row in enumerate(rows, start=1):
        key = f"lines-{i}"
        if key in errors:
            results.append(RowResult(index=i, error=errors[key]))
            continue
        data = next(valid)
        results.append(RowResult(index=i, product=data["product"], quantity=data["quantity"],
                                 adhoc_percent=data["adhoc_percent"],
                                 needs_approval=data["adhoc_percent"] > limit))
    if cleaned:
        priced, _ctx = quotes.price_lines(customer, cleaned, day or today_tehran())
        for result, line in zip([r for r in results if r.product is not None], priced.lines):
            result.line = line
            if line.total > quotes.MAX_LINE_TOTAL:
                result.too_big = True
                result.error = f"ردیف {result.index}: مبلغ بیش از حد بزرگ است."
                errors[f"lines-{result.index}"] = result.error
    return Preview(rows=results, errors=errors, limit=limit)
