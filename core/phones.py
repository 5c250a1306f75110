"""Phone numbers in one canonical form (E.164) for storage and matching, via `phonenumbers`.

Accepts `+98…`, `0098…`, `98…`, a leading `0`, Persian or Arabic-Indic digits, spaces, dashes
and brackets. A bare 8-digit local number takes the given area code (the customer's city or
the rep's office).
"""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from flask_babel import gettext as _

from core.persian import INVISIBLE_MARKS, to_ascii_digits

# Area codes of the provinces' capitals and large cities (without the trunk 0).
CITY_AREA_CODES = {
    "تهران": "21", "کرج": "26", "اصفهان": "31", "مشهد": "51", "شیراز": "71", "تبریز": "41",
    "اهواز": "61", "قم": "25", "کرمانشاه": "83", "ارومیه": "44", "رشت": "13", "زاهدان": "54",
    "کرمان": "34", "همدان": "81", "یزد": "35", "اردبیل": "45", "بندرعباس": "76", "اراک": "86",
    "زنجان": "24", "قزوین": "28", "سنندج": "87", "خرم‌آباد": "66", "گرگان": "17", "ساری": "11",
    "بوشهر": "77", "بیرجند": "56", "ایلام": "84", "شهرکرد": "38", "یاسوج": "74", "سمنان": "23",
    "بجنورد": "58",
}


class PhoneError(ValueError):
    pass


_AREA_CODES: dict[str, str] = {}


def area_code_for(city: str | None) -> str | None:
    from core.persian import normalize
    if not city:
        return None
    if not _AREA_CODES:
        _AREA_CODES.update({normalize(name): code for name, code in CITY_AREA_CODES.items()})
    return _AREA_CODES.get(normalize(city))


def canonical(raw: str, area_code: str | None = None) -> str:
    """E.164 (`+989121234567`) or PhoneError with a message in the user's language."""
    e164, problem = _canonical(raw or "", area_code)
    if problem:
        raise PhoneError(_(problem) if problem == EMPTY else _(problem, number=raw))
    return e164


def _l(message: str) -> str:
    """Marks a message for the catalog; it is translated where it is raised (`canonical`)."""
    return message


EMPTY = _l("شماره تلفن خالی است.")
NOT_A_NUMBER = _l("«%(number)s» شماره تلفن نیست.")
NO_AREA_CODE = _l("برای شمارهٔ ثابت «%(number)s» پیش‌شمارهٔ شهر را هم بنویسید.")
INVALID = _l("«%(number)s» شماره تلفن معتبری نیست.")


@lru_cache(maxsize=65536)
def _canonical(raw: str, area_code: str | None) -> tuple[str, str | None]:
    """(E.164, None) or ("", the problem's message id): remembered, as a file import reads
    one number up to three times (the mobile column, the lead, the duplicate check)."""
    text = INVISIBLE_MARKS.sub("", to_ascii_digits(raw)).strip()
    digits = re.sub(r"[\s\-().]", "", text)
    if not digits:
        return "", EMPTY
    if not re.fullmatch(r"\+?\d{5,15}", digits):
        return "", NOT_A_NUMBER
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("98") and len(digits) in (12,):
        digits = "+" + digits
    elif len(digits) == 8 and not digits.startswith("0"):
        # Offices may store the code as `021` or in Persian digits; the trunk 0 is added here.
        area_code = to_ascii_digits(area_code or "").strip().lstrip("0")
        if not re.fullmatch(r"[0-9]{1,3}", area_code):
            return "", NO_AREA_CODE
        digits = "0" + area_code + digits
    parsed = _iranian(digits)
    if parsed is None:
        try:
            parsed = phonenumbers.parse(digits, "IR")
        except phonenumbers.NumberParseException:
            return "", NOT_A_NUMBER
    if not phonenumbers.is_valid_number(parsed):
        return "", INVALID
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


# An Iranian number written the usual ways: `+98…`, `0098…` or with the trunk `0`. Its national
# number is what follows, so it needs no `phonenumbers.parse` (which costs ~0.15 ms: a file
# import parses every row's numbers); validity and type still come from phonenumbers' metadata.
_IRANIAN = re.compile(r"(?:\+98|0098|0)([1-9]\d{3,11})")


def _iranian(digits: str) -> phonenumbers.PhoneNumber | None:
    match = _IRANIAN.fullmatch(digits)
    return phonenumbers.PhoneNumber(country_code=98, national_number=int(match[1])) if match else None


@lru_cache(maxsize=65536)
def is_mobile(e164: str) -> bool:
    parsed = _iranian(e164) or phonenumbers.parse(e164)
    return phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE


def mask(e164_or_raw: str) -> str:
    """`0912***4567`: enough to recognise, not enough to call."""
    text = to_ascii_digits(e164_or_raw or "")
    if text.startswith("+98"):
        text = "0" + text[3:]
    digits = re.sub(r"\D", "", text)
    if len(digits) < 8:
        return "***"
    return f"{digits[:4]}***{digits[-4:]}"


def display(e164: str) -> str:
    """National format for display: `0912 123 4567`."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164
