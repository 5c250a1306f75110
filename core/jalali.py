"""Jalali calendar and Asia/Tehran time.

Stored: UTC datetimes and Gregorian dates. Shown and entered: Jalali, Persian digits.
The zone comes from the `tzdata` package on purpose: Iran abolished daylight saving in 2022 and
an old system zone database still shifts clocks by an hour every spring.
"""
from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from zoneinfo import ZoneInfo

import jdatetime
from flask_babel import gettext as _, ngettext

from core.persian import INVISIBLE_MARKS, to_ascii_digits, to_persian_digits


def _load_tehran() -> ZoneInfo:
    with importlib.resources.files("tzdata.zoneinfo").joinpath("Asia/Tehran").open("rb") as f:
        return ZoneInfo.from_file(f, key="Asia/Tehran")


TEHRAN = _load_tehran()
UTC = dt.timezone.utc



def N_(text: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return text


# Persian names (plugins use them as they are); `month_name` gives them in the user's language.
MONTHS = [N_("فروردین"), N_("اردیبهشت"), N_("خرداد"), N_("تیر"), N_("مرداد"), N_("شهریور"),
          N_("مهر"), N_("آبان"), N_("آذر"), N_("دی"), N_("بهمن"), N_("اسفند")]


def month_name(month: int) -> str:
    """The Jalali month (1–12) in the user's language: «مرداد», "Mordad"."""
    return _(MONTHS[month - 1])


def _digits(text: str) -> str:
    from core.i18n import localized_digits
    return localized_digits(text)


def utcnow() -> dt.datetime:
    """Naive UTC now: the one form stored in the database (SQLite keeps no zone)."""
    return dt.datetime.now(UTC).replace(tzinfo=None)


def to_tehran(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TEHRAN)


def today_tehran() -> dt.date:
    return dt.datetime.now(TEHRAN).date()


def to_jalali(value: dt.date | dt.datetime) -> jdatetime.date | jdatetime.datetime:
    if isinstance(value, dt.datetime):
        return jdatetime.datetime.fromgregorian(datetime=to_tehran(value).replace(tzinfo=None))
    return jdatetime.date.fromgregorian(date=value)


def format_date(value: dt.date | dt.datetime | None, digits: str = "fa") -> str:
    """`1403/05/12` in Persian digits; a datetime is first moved to Tehran time."""
    if value is None:
        return ""
    j = to_jalali(value)
    text = f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    return to_persian_digits(text) if digits == "fa" else text


def format_datetime(value: dt.datetime | None, digits: str = "fa") -> str:
    if value is None:
        return ""
    j = to_jalali(value)
    text = f"{j.year:04d}/{j.month:02d}/{j.day:02d} {j.hour:02d}:{j.minute:02d}"
    return to_persian_digits(text) if digits == "fa" else text


def format_long(value: dt.date | dt.datetime | None) -> str:
    """`۱۲ مرداد ۱۴۰۳` (`12 Mordad 1403` in English)."""
    if value is None:
        return ""
    j = to_jalali(value)
    return _digits(f"{j.day} {month_name(j.month)} {j.year}")


def _ago(unit: str, n: int) -> str:
    # One message per unit and direction: word order and plurals differ between languages.
    if unit == "year":
        return ngettext("%(num)s سال پیش", "%(num)s سال پیش", n)
    if unit == "month":
        return ngettext("%(num)s ماه پیش", "%(num)s ماه پیش", n)
    if unit == "day":
        return ngettext("%(num)s روز پیش", "%(num)s روز پیش", n)
    if unit == "hour":
        return ngettext("%(num)s ساعت پیش", "%(num)s ساعت پیش", n)
    return ngettext("%(num)s دقیقه پیش", "%(num)s دقیقه پیش", n)


def _ahead(unit: str, n: int) -> str:
    if unit == "year":
        return ngettext("%(num)s سال دیگر", "%(num)s سال دیگر", n)
    if unit == "month":
        return ngettext("%(num)s ماه دیگر", "%(num)s ماه دیگر", n)
    if unit == "day":
        return ngettext("%(num)s روز دیگر", "%(num)s روز دیگر", n)
    if unit == "hour":
        return ngettext("%(num)s ساعت دیگر", "%(num)s ساعت دیگر", n)
    return ngettext("%(num)s دقیقه دیگر", "%(num)s دقیقه دیگر", n)


def relative(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """Short relative time: «۳ روز پیش», «۲ ساعت دیگر» ("3 days ago", "in 2 hours")."""
    if value is None:
        return ""
    now = now or utcnow()
    seconds = (now - value).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"),
                       (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = int(seconds // size)
            return _digits((_ahead if future else _ago)(unit, n))
    return _("همین حالا")


# `٫` is the Persian decimal point, typed for `.` on a Persian keyboard.
_DATE_RE = re.compile(r"^\s*([0-9]{4})\s*[/\-.٫]\s*([0-9]{1,2})\s*[/\-.٫]\s*([0-9]{1,2})\s*$")


class JalaliDateError(ValueError):
    """A Jalali date string that is malformed or names a day that does not exist."""


def parse_date(text: str) -> dt.date:
    """Parse `1403/5/12` (any digit set, `/`, `-` or `.`) into a Gregorian date."""
    m = _DATE_RE.match(INVISIBLE_MARKS.sub("", to_ascii_digits(text or "")))
    if not m:
        raise JalaliDateError(_("تاریخ را به شکل ۱۴۰۳/۰۵/۱۲ وارد کنید."))
    year, month, day = (int(g) for g in m.groups())
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        raise JalaliDateError(_("این تاریخ در تقویم وجود ندارد.")) from None


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First day of a Jalali month and first day of the next one, as Gregorian dates."""
    start = jdatetime.date(year, month, 1).togregorian()
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    return start, jdatetime.date(ny, nm, 1).togregorian()


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    """UTC datetime + whole Jalali months, keeping the Tehran wall-clock time; a day that does
    not exist in the target month (31 Shahrivar + 1 month) falls back to the month's last day."""
    local = to_tehran(value)
    j = jdatetime.date.fromgregorian(date=local.date())
    total = j.year * 12 + (j.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = j.day
    while day > 28:
        try:
            jdatetime.date(year, month, day)
            break
        except ValueError:
            day -= 1
    target = jdatetime.date(year, month, day).togregorian()
    moved = dt.datetime.combine(target, local.timetz().replace(tzinfo=None)).replace(tzinfo=TEHRAN)
    return moved.astimezone(UTC).replace(tzinfo=None)
