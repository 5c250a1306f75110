"""Jalali dates and Tehran time: display with Persian digits, the zone without daylight saving
since 2022, parsing of what users type, month bounds and relative times. Pure functions."""
from __future__ import annotations

import datetime as dt
import importlib.resources
from zoneinfo import ZoneInfo

import jdatetime
import pytest
import tzdata
from hypothesis import given
from hypothesis import strategies as st

from core import jalali
from core.jalali import JalaliDateError, format_date, format_datetime, parse_date

UTC = dt.timezone.utc
MORDAD_12_1403 = dt.date(2024, 8, 2)
NOT_A_DAY = "این تاریخ در تقویم وجود ندارد."
BAD_SHAPE = "تاریخ را به شکل ۱۴۰۳/۰۵/۱۲ وارد کنید."


# --- display --------------------------------------------------------------------------------

def test_format_date_in_persian_digits():
    assert format_date(MORDAD_12_1403) == "۱۴۰۳/۰۵/۱۲"
    assert format_date(MORDAD_12_1403, digits="en") == "1403/05/12"
    assert format_date(None) == ""


def test_format_datetime_moves_utc_to_tehran():
    assert format_datetime(dt.datetime(2024, 8, 2, 8, 0)) == "۱۴۰۳/۰۵/۱۲ ۱۱:۳۰"
    assert format_datetime(dt.datetime(2024, 8, 2, 8, 0), digits="en") == "1403/05/12 11:30"
    assert format_datetime(None) == ""


def test_a_late_utc_evening_is_already_the_next_day_in_tehran():
    # 21:00 UTC on the last day of 1402 is 00:30 on Nowruz 1403 in Tehran.
    late = dt.datetime(2024, 3, 19, 21, 0)
    assert format_date(late.date()) == "۱۴۰۲/۱۲/۲۹"
    assert format_date(late) == "۱۴۰۳/۰۱/۰۱"
    assert format_datetime(late) == "۱۴۰۳/۰۱/۰۱ ۰۰:۳۰"


def test_format_long():
    assert jalali.format_long(MORDAD_12_1403) == "۱۲ مرداد ۱۴۰۳"
    assert jalali.format_long(dt.date(2025, 3, 20)) == "۳۰ اسفند ۱۴۰۳"
    assert jalali.format_long(None) == ""


# --- Tehran time ----------------------------------------------------------------------------

@pytest.mark.parametrize("utc, tehran", [
    # Iran abolished daylight saving in 2022: summer is +03:30 like winter.
    (dt.datetime(2023, 6, 1, 12, 0), dt.datetime(2023, 6, 1, 15, 30)),
    (dt.datetime(2023, 12, 1, 12, 0), dt.datetime(2023, 12, 1, 15, 30)),
    (dt.datetime(2024, 1, 15, 12, 0), dt.datetime(2024, 1, 15, 15, 30)),
    (dt.datetime(2024, 7, 20, 12, 0), dt.datetime(2024, 7, 20, 15, 30)),
    # Before the change summer was +04:30: the zone has real history, not a fixed offset.
    (dt.datetime(2021, 6, 1, 12, 0), dt.datetime(2021, 6, 1, 16, 30)),
])
def test_utc_to_tehran(utc, tehran):
    local = jalali.to_tehran(utc)
    assert local.replace(tzinfo=None) == tehran
    assert local.utcoffset() == (tehran - utc)
    # An aware UTC datetime lands on the same wall-clock time as a naive (stored) one.
    assert jalali.to_tehran(utc.replace(tzinfo=UTC)) == local


def test_summer_2023_is_not_shifted_by_an_old_dst_rule():
    assert format_datetime(dt.datetime(2023, 6, 1, 12, 0), digits="en") == "1402/03/11 15:30"


def test_tehran_zone_comes_from_the_tzdata_package():
    # The package's own data has the 2022 abolition of DST (tzdata 2022b or newer) ...
    assert tzdata.IANA_VERSION >= "2022b"
    with importlib.resources.files("tzdata.zoneinfo").joinpath("Asia/Tehran").open("rb") as f:
        packaged = ZoneInfo.from_file(f, key="Asia/Tehran")
    # ... and the app's zone agrees with it at noon and midnight UTC of every day 2019-2030.
    day = dt.datetime(2019, 1, 1, tzinfo=UTC)
    while day.year < 2031:
        for instant in (day, day + dt.timedelta(hours=12)):
            assert instant.astimezone(jalali.TEHRAN).utcoffset() == instant.astimezone(packaged).utcoffset()
        day += dt.timedelta(days=1)
    assert str(jalali.TEHRAN) == "Asia/Tehran"


def test_utcnow_is_naive_utc_and_today_is_tehrans():
    now = jalali.utcnow()
    assert now.tzinfo is None
    assert abs(dt.datetime.now(UTC).replace(tzinfo=None) - now) < dt.timedelta(seconds=5)
    assert jalali.today_tehran() == jalali.to_tehran(jalali.utcnow()).date()


# --- parsing --------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "1403/05/12",
    "۱۴۰۳/۵/۱۲",             # Persian digits, no leading zero
    "١٤٠٣-٠٥-١٢",            # Arabic-Indic digits, dashes
    "1403.5.12",
    "۱۴۰۳٫۵٫۱۲",             # the Persian decimal point, as a Persian keyboard types "."
    " 1403 / 05 / 12 ",
    "\u200f۱۴۰۳/۰۵/۱۲\u200e",  # direction marks that come along when pasting from RTL text
])
def test_parse_date_accepts_what_users_type(typed):
    assert parse_date(typed) == MORDAD_12_1403


@pytest.mark.parametrize("typed", ["", None, "   ", "فردا", "1403/05", "03/05/12", "12/05/1403",
                                   "1403/05/12/1", "1403//05/12", "14030512", "1403/005/12"])
def test_parse_date_rejects_malformed_text_in_persian(typed):
    with pytest.raises(JalaliDateError) as err:
        parse_date(typed)
    assert str(err.value) == BAD_SHAPE


@pytest.mark.parametrize("typed", [
    "1403/12/31",            # Esfand never has 31 days
    "1403/13/01",            # there is no 13th month
    "1403/07/31",            # months 7-11 have 30 days
    "1403/11/31",
    "1403/00/10",
    "1403/01/00",
    "0000/01/01",
    "9999/01/01",            # beyond what the calendar library supports
])
def test_parse_date_rejects_days_that_do_not_exist(typed):
    with pytest.raises(JalaliDateError) as err:
        parse_date(typed)
    assert str(err.value) == NOT_A_DAY


def test_last_days_of_the_first_half_and_of_autumn_exist():
    assert parse_date("1403/06/31") == dt.date(2024, 9, 21)
    assert parse_date("1403/07/30") == dt.date(2024, 10, 21)


LEAP = [y for y in range(1395, 1415) if jdatetime.date(y, 1, 1).isleap()]
COMMON = [y for y in range(1395, 1415) if not jdatetime.date(y, 1, 1).isleap()]


def test_leap_year_list_matches_the_calendar():
    # The years the official calendar makes leap in this span (a 33-year cycle).
    assert LEAP == [1395, 1399, 1403, 1408, 1412]


@pytest.mark.parametrize("year", LEAP)
def test_esfand_30_exists_in_leap_years(year):
    day = parse_date(f"{year}/12/30")
    assert day + dt.timedelta(days=1) == parse_date(f"{year + 1}/01/01")


@pytest.mark.parametrize("year", COMMON)
def test_esfand_30_does_not_exist_in_common_years(year):
    with pytest.raises(JalaliDateError, match=NOT_A_DAY):
        parse_date(f"{year}/12/30")
    assert parse_date(f"{year}/12/29") + dt.timedelta(days=1) == parse_date(f"{year + 1}/01/01")


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_format_then_parse_round_trips(day):
    assert parse_date(format_date(day)) == day
    assert parse_date(format_date(day, digits="en")) == day


# --- month bounds ---------------------------------------------------------------------------

def test_month_bounds():
    assert jalali.month_bounds(1403, 1) == (dt.date(2024, 3, 20), dt.date(2024, 4, 20))
    assert jalali.month_bounds(1403, 5) == (dt.date(2024, 7, 22), dt.date(2024, 8, 22))
    # Esfand runs into the next year's Farvardin; 1403 is leap (30 days), 1402 is not (29).
    assert jalali.month_bounds(1403, 12) == (dt.date(2025, 2, 19), dt.date(2025, 3, 21))
    assert jalali.month_bounds(1402, 12) == (dt.date(2024, 2, 20), dt.date(2024, 3, 20))


@given(st.integers(1300, 1500), st.integers(1, 12))
def test_month_bounds_span_the_month_and_tile_the_year(year, month):
    start, end = jalali.month_bounds(year, month)
    expected = 31 if month <= 6 else 30 if month <= 11 else (30 if jdatetime.date(year, 1, 1).isleap() else 29)
    assert (end - start).days == expected
    assert format_date(start, digits="en") == f"{year:04d}/{month:02d}/01"
    assert format_date(end - dt.timedelta(days=1), digits="en") == f"{year:04d}/{month:02d}/{expected:02d}"
    if month < 12:
        assert jalali.month_bounds(year, month + 1)[0] == end


# --- relative time --------------------------------------------------------------------------

NOW = dt.datetime(2024, 8, 2, 12, 0)


@pytest.mark.parametrize("delta, text", [
    (dt.timedelta(seconds=-30), "همین حالا"),
    (dt.timedelta(seconds=30), "همین حالا"),
    (dt.timedelta(minutes=-5), "۵ دقیقه پیش"),
    (dt.timedelta(hours=-2, minutes=-10), "۲ ساعت پیش"),
    (dt.timedelta(hours=2), "۲ ساعت دیگر"),
    (dt.timedelta(days=-3), "۳ روز پیش"),
    (dt.timedelta(days=10), "۱۰ روز دیگر"),
    (dt.timedelta(days=-45), "۱ ماه پیش"),
    (dt.timedelta(days=-400), "۱ سال پیش"),
])
def test_relative(delta, text):
    assert jalali.relative(NOW + delta, now=NOW) == text


def test_relative_defaults_to_now_and_handles_none():
    assert jalali.relative(None) == ""
    assert jalali.relative(jalali.utcnow() - dt.timedelta(days=2)) == "۲ روز پیش"
