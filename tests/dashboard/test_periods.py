"""Jalali periods of the dashboard: months, quarters (بهار = Farvardin–Khordad), years, custom
ranges, and refusals. The Gregorian dates were looked up in a Jalali calendar."""
from __future__ import annotations

import datetime as dt

import pytest

from core.validation import ValidationError
from plugins.dashboard.services import periods


def test_months_quarters_and_years():
    esfand = periods.month_period(1403, 12)                     # 1403 is a leap year: 30 Esfand
    assert (esfand.start, esfand.end) == (dt.date(2025, 2, 19), dt.date(2025, 3, 20))
    assert esfand.label == "اسفند ۱۴۰۳"
    spring = periods.quarter_period(1404, 1)                    # 1 Farvardin – 31 Khordad 1404
    assert (spring.start, spring.end) == (dt.date(2025, 3, 21), dt.date(2025, 6, 21))
    assert spring.label == "سه‌ماههٔ اول (بهار) ۱۴۰۴"
    autumn = periods.quarter_period(1404, 3)                    # 1 Mehr – 30 Azar 1404
    assert (autumn.start, autumn.end) == (dt.date(2025, 9, 23), dt.date(2025, 12, 21))
    year = periods.year_period(1404)                            # 1404 ends on 29 Esfand
    assert (year.start, year.end) == (dt.date(2025, 3, 21), dt.date(2026, 3, 20))
    leap = periods.year_period(1403)
    assert (leap.start, leap.end) == (dt.date(2024, 3, 20), dt.date(2025, 3, 20))


def test_parse_from_the_form(app):
    today = dt.date(2025, 10, 1)                                # 9 Mehr 1404
    period, selection = periods.parse({}, today)
    assert (period.start, period.end) == (dt.date(2025, 9, 23), dt.date(2025, 10, 22))   # Mehr 1404
    assert (selection.kind, selection.year, selection.month, selection.quarter) == ("month", 1404, 7, 3)
    period, _ = periods.parse({"period": "quarter"}, today)
    assert period.start == dt.date(2025, 9, 23) and period.end == dt.date(2025, 12, 21)
    period, _ = periods.parse({"period": "year", "year": "۱۴۰۳"}, today)
    assert period.start == dt.date(2024, 3, 20)
    period, selection = periods.parse({"period": "custom", "start": "1404/7/1", "end": "۱۴۰۴/۰۷/۱۰"}, today)
    assert (period.start, period.end) == (dt.date(2025, 9, 23), dt.date(2025, 10, 2))
    assert (selection.start, selection.end) == ("۱۴۰۴/۰۷/۰۱", "۱۴۰۴/۰۷/۱۰")
    assert period.label == "۱۴۰۴/۰۷/۰۱ تا ۱۴۰۴/۰۷/۱۰"


@pytest.mark.parametrize("args, field", [
    ({"period": "custom", "start": "1404/07/10", "end": "1404/07/01"}, "end"),
    ({"period": "custom", "start": "1384/01/01", "end": "1404/01/01"}, "end"),       # twenty years
    ({"period": "custom", "start": "1404/12/30", "end": "1405/01/01"}, "start"),     # 1404 has no 30 Esfand
    ({"period": "month", "month": "0"}, "month"),
    ({"period": "year", "year": "1300"}, "year"),
    ({"period": "week"}, "period"),
])
def test_refusals(app, args, field):
    with pytest.raises(ValidationError) as exc:
        periods.parse(args)
    assert field in exc.value.errors


def test_three_years_is_the_longest_range():
    start = dt.date(2022, 3, 21)
    assert periods.custom_period(start, start + dt.timedelta(days=periods.MAX_RANGE_DAYS - 1))
    with pytest.raises(ValidationError):
        periods.custom_period(start, start + dt.timedelta(days=periods.MAX_RANGE_DAYS))


def test_common_periods():
    month, quarter, year = periods.common_periods(dt.date(2025, 10, 1))
    assert month.label == "مهر ۱۴۰۴" and quarter.start == dt.date(2025, 9, 23) and year.start == dt.date(2025, 3, 21)
