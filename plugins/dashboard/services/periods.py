"""Reporting periods in the Jalali calendar: a month, a quarter (سه‌ماهه: Farvardin–Khordad is
the first), a year, or a custom range of Tehran days — always as `core.payloads.Period` with both
ends included. Bad input is refused with a Persian message (`core.validation.ValidationError`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from core.jalali import MONTHS, JalaliDateError, format_date, month_bounds, parse_date, to_jalali, today_tehran
from core.payloads import Period
from core.persian import to_ascii_digits, to_persian_digits
from core.validation import ValidationError

KINDS = {"month": "ماه", "quarter": "سه‌ماهه", "year": "سال", "custom": "بازهٔ دلخواه"}
QUARTERS = {1: "سه‌ماههٔ اول (بهار)", 2: "سه‌ماههٔ دوم (تابستان)", 3: "سه‌ماههٔ سوم (پاییز)",
            4: "سه‌ماههٔ چهارم (زمستان)"}
MIN_YEAR, MAX_YEAR = 1350, 1500
MAX_RANGE_DAYS = 1096      # three years: longer ranges are looked at year by year


@dataclasses.dataclass
class Selection:
    """What the filter form shows: the kind of period and its parts (Jalali numbers)."""
    kind: str = "month"
    year: int = 0
    month: int = 0
    quarter: int = 0
    start: str = ""            # custom range as typed back (Jalali, Persian digits)
    end: str = ""


def last_day(year: int, month: int) -> dt.date:
    return month_bounds(year, month)[1] - dt.timedelta(days=1)


def month_period(year: int, month: int) -> Period:
    start, _next = month_bounds(year, month)
    return Period(start, last_day(year, month), to_persian_digits(f"{MONTHS[month - 1]} {year}"))


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * quarter - 2
    return Period(month_bounds(year, first)[0], last_day(year, first + 2),
                  to_persian_digits(f"{QUARTERS[quarter]} {year}"))


def year_period(year: int) -> Period:
    return Period(month_bounds(year, 1)[0], last_day(year, 12), to_persian_digits(f"سال {year}"))


def custom_period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise ValidationError({"end": "تاریخ پایان نمی‌تواند پیش از تاریخ شروع باشد."})
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationError({"end": "بازهٔ دلخواه نباید بیش از سه سال باشد؛ دوره‌های طولانی‌تر را سال به سال ببینید."})
    return Period(start, end, f"{format_date(start)} تا {format_date(end)}")


def common_periods(today: dt.date | None = None) -> list[Period]:
    """This month, this quarter, this year: the views the periodic job keeps fresh."""
    j = to_jalali(today or today_tehran())
    return [month_period(j.year, j.month), quarter_period(j.year, quarter_of(j.month)), year_period(j.year)]


def _number(args, name: str, label: str, low: int, high: int, default: int) -> int:
    raw = to_ascii_digits(str(args.get(name) or "")).strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError({name: f"«{label}» باید عددی از {to_persian_digits(low)} تا {to_persian_digits(high)} باشد."})
    return int(raw)


def _date(args, name: str, label: str) -> dt.date:
    raw = (args.get(name) or "").strip()
    if not raw:
        raise ValidationError({name: f"«{label}» را وارد کنید (مثلاً ۱۴۰۴/۰۱/۰۱)."})
    try:
        return parse_date(raw)
    except JalaliDateError as exc:
        raise ValidationError({name: f"«{label}»: {exc}"}) from None


def parse(args, today: dt.date | None = None, selection: Selection | None = None) -> tuple[Period, Selection]:
    """The period a request asks for (`period=month|quarter|year|custom`, `year`, `month`,
    `quarter`, `start`, `end`); nothing given → this Jalali month. `selection` (if given) is
    filled as far as the input allows, so a refused form comes back as it was typed."""
    j = to_jalali(today or today_tehran())
    kind = args.get("period") or "month"
    selection = selection or Selection()
    selection.kind, selection.year, selection.month, selection.quarter = kind, j.year, j.month, quarter_of(j.month)
    if kind not in KINDS:
        selection.kind = "month"
        raise ValidationError({"period": "نوع دوره باید ماه، سه‌ماهه، سال یا بازهٔ دلخواه باشد."})
    if kind == "custom":
        selection.start, selection.end = (to_persian_digits(args.get("start") or ""),
                                          to_persian_digits(args.get("end") or ""))
        start, end = _date(args, "start", "از تاریخ"), _date(args, "end", "تا تاریخ")
        period = custom_period(start, end)
        selection.start, selection.end = format_date(start), format_date(end)
        return period, selection
    selection.year = _number(args, "year", "سال", MIN_YEAR, MAX_YEAR, j.year)
    if kind == "year":
        return year_period(selection.year), selection
    if kind == "quarter":
        selection.quarter = _number(args, "quarter", "سه‌ماهه", 1, 4, quarter_of(j.month))
        return quarter_period(selection.year, selection.quarter), selection
    selection.month = _number(args, "month", "ماه", 1, 12, j.month)
    return month_period(selection.year, selection.month), selection


def year_choices(today: dt.date | None = None) -> list[int]:
    year = to_jalali(today or today_tehran()).year
    return list(range(year + 1, year - 6, -1))

