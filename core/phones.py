"""Phone numbers in one canonical form (E.164) for storage and matching, via `phonenumbers`.

Accepts `+98…`, `0098…`, `98…`, a leading `0`, Persian or Arabic-Indic digits, spaces, dashes
and brackets. A bare 8-digit local number takes the given area code (the customer's city or
the rep's office).
"""
from __future__ import annotations

import re

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


def area_code_for(city: str | None) -> str | None:
    from core.persian import normalize
    if not city:
        return None
    key = normalize(city)
    for name, code in CITY_AREA_CODES.items():
        if normalize(name) == key:
            return code
    return None


def canonical(raw: str, area_code: str | None = None) -> str:
    """E.164 (`+989121234567`) or PhoneError with a message in the user's language."""
    text = INVISIBLE_MARKS.sub("", to_ascii_digits(raw or "")).strip()
    digits = re.sub(r"[\s\-().]", "", text)
    if not digits:
        raise PhoneError(_("شماره تلفن خالی است."))
    if not re.fullmatch(r"\+?\d{5,15}", digits):
        raise PhoneError(_("«%(number)s» شماره تلفن نیست.", number=raw))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("98") and len(digits) in (12,):
        digits = "+" + digits
    elif len(digits) == 8 and not digits.startswith("0"):
        # Offices may store the code as `021` or in Persian digits; the trunk 0 is added here.
        area_code = to_ascii_digits(area_code or "").strip().lstrip("0")
        if not re.fullmatch(r"[0-9]{1,3}", area_code):
            raise PhoneError(_("برای شمارهٔ ثابت «%(number)s» پیش‌شمارهٔ شهر را هم بنویسید.", number=raw))
        digits = "0" + area_code + digits
    try:
        parsed = phonenumbers.parse(digits, "IR")
    except phonenumbers.NumberParseException:
        raise PhoneError(_("«%(number)s» شماره تلفن نیست.", number=raw)) from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError(_("«%(number)s» شماره تلفن معتبری نیست.", number=raw))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    parsed = phonenumbers.parse(e164)
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
