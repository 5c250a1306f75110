"""Phone numbers: every way an Iranian writes a number becomes one E.164 string; wrong input
gets a Persian message. Pure functions."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.persian import to_persian_digits
from core.phones import PhoneError, area_code_for, canonical, display, is_mobile, mask

MOBILE = "+989121234567"
TEHRAN_LINE = "+982188776655"
PERSIAN_LETTER = re.compile("[\u0600-\u06ff]")


@pytest.mark.parametrize("typed", [
    "09121234567",
    "+989121234567",
    "00989121234567",
    "989121234567",
    "9121234567",
    "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    "٠٩١٢١٢٣٤٥٦٧",
    "0912-123-4567",
    "(0912) 1234567",
    "+98 (912) 123-4567",
    "0098 912 123 45 67",
    " 09121234567 ",
    "\u200f09121234567",      # a direction mark pasted along from RTL text
])
def test_one_mobile_written_many_ways_is_one_e164(typed):
    assert canonical(typed) == MOBILE


@given(st.sampled_from(["0912", "0935", "0990", "0901", "0921"]), st.text("0123456789", min_size=7, max_size=7))
def test_every_spelling_of_a_mobile_agrees(prefix, rest):
    national = prefix + rest
    e164 = "+98" + national[1:]
    spellings = [national, e164, "00" + e164[1:], e164[1:], to_persian_digits(national),
                 f"{national[:4]}-{national[4:7]}-{national[7:]}", f"({national[:4]}) {national[4:]}",
                 " ".join(to_persian_digits(national))]
    assert {canonical(s) for s in spellings} == {e164}
    assert is_mobile(e164)
    assert mask(e164) == f"{national[:4]}***{national[-4:]}"


def test_landline_with_its_area_code():
    assert canonical("021-88776655") == TEHRAN_LINE
    assert canonical("۰۲۱ ۸۸۷۷ ۶۶۵۵") == TEHRAN_LINE
    assert canonical("+98 21 8877 6655") == TEHRAN_LINE


def test_bare_local_number_takes_the_given_area_code():
    assert canonical("88776655", "21") == TEHRAN_LINE
    assert canonical("8877-6655", area_code_for("تهران")) == TEHRAN_LINE
    assert canonical("32223344", area_code_for("اصفهان")) == "+983132223344"
    # The code as an office may have typed it: with the trunk 0, or in Persian digits.
    assert canonical("88776655", "021") == TEHRAN_LINE
    assert canonical("۸۸۷۷۶۶۵۵", "۲۱") == TEHRAN_LINE
    assert canonical("88776655", "۰۲۱") == TEHRAN_LINE


def test_area_code_does_not_touch_numbers_that_already_have_one():
    assert canonical("09121234567", "31") == MOBILE
    assert canonical("021-88776655", "31") == TEHRAN_LINE


@pytest.mark.parametrize("area", [None, "", "  ", "0", "abc"])
def test_bare_local_number_without_area_code_is_refused_in_persian(area):
    with pytest.raises(PhoneError) as err:
        canonical("88776655", area)
    assert "پیش‌شمارهٔ شهر" in str(err.value)
    assert "88776655" in str(err.value)


def test_foreign_numbers_keep_their_country():
    assert canonical("+1 650-253-0000") == "+16502530000"
    assert canonical("0016502530000") == "+16502530000"
    assert not is_mobile(TEHRAN_LINE)


@pytest.mark.parametrize("typed", [
    "تلفن ندارد",            # letters
    "abc",
    "0912abc4567",
    "0912",                  # too short
    "09121",
    "+98 912 123 456",       # one digit short
    "0912123456789",         # too long for Iran
    "1" * 40,                # forty digits
    "0" * 40,
    "+98+9121234567",
    "09121234567#12",
    "0912_123_4567",
])
def test_not_a_phone_number(typed):
    with pytest.raises(PhoneError) as err:
        canonical(typed)
    assert PERSIAN_LETTER.search(str(err.value))


@pytest.mark.parametrize("empty", ["", None, "   ", " - ( ) "])
def test_empty_phone(empty):
    with pytest.raises(PhoneError, match="شماره تلفن خالی است"):
        canonical(empty)


def test_phone_error_is_a_value_error():
    # Callers that catch ValueError (forms) also catch it.
    with pytest.raises(ValueError):
        canonical("abc")


def test_mask():
    assert mask(MOBILE) == "0912***4567"
    assert mask("09121234567") == "0912***4567"
    assert mask("۰۹۱۲ ۱۲۳ ۴۵۶۷") == "0912***4567"
    assert mask(TEHRAN_LINE) == "0218***6655"
    assert mask("1234") == "***"
    assert mask("") == "***"
    assert mask(None) == "***"


def test_display_in_national_format():
    assert display(MOBILE) == "0912 123 4567"
    assert display(TEHRAN_LINE) == "021 8877 6655"
    assert display("not a phone") == "not a phone"


@pytest.mark.parametrize("city, code", [
    ("تهران", "21"),
    (" تهران ", "21"),
    ("كرج", "26"),            # Arabic kaf
    ("اراك", "86"),
    ("كرمانشاه", "83"),
    ("بيرجند", "56"),          # Arabic yeh
    ("ياسوج", "74"),
    ("خرم‌آباد", "66"),        # with ZWNJ, as listed
    ("خرم آباد", "66"),        # with a space
    ("خرم‌اباد", "66"),        # without the madda
    ("مشهد", "51"),
])
def test_area_code_for_city(city, code):
    assert area_code_for(city) == code


@pytest.mark.parametrize("city", [None, "", "کرمانش", "Tehran", "شهر ناشناخته"])
def test_area_code_for_unknown_city(city):
    assert area_code_for(city) is None


def _by_phonenumbers(digits: str) -> str | None:
    """What phonenumbers.parse makes of a number (the path before the Iranian fast path)."""
    import phonenumbers
    try:
        parsed = phonenumbers.parse(digits, "IR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@given(st.sampled_from(["+98", "0098", "0", "00", "+", "98", ""]),
       st.one_of(st.text("0123456789", min_size=3, max_size=12), st.from_regex(r"9[0-9]{9}", fullmatch=True),
                 st.from_regex(r"[1-8][0-9]{9}", fullmatch=True), st.from_regex(r"9[0-9]{3,4}", fullmatch=True)))
def test_the_iranian_fast_path_agrees_with_phonenumbers(prefix, rest):
    """`canonical` reads `+98…`, `0098…` and `0…` without phonenumbers.parse: whatever it
    accepts or refuses, parse would have too, and the type (mobile or not) is the same."""
    typed = prefix + rest
    if len(typed.lstrip("+")) < 5 or len(typed) == 8 and not typed.startswith("0"):
        return  # too short to be a number / a bare local number (needs an area code): not this path
    expected = _by_phonenumbers(typed if not (typed.startswith("98") and len(typed) == 12) else "+" + typed)
    try:
        got = canonical(typed)
    except PhoneError:
        got = None
    assert got == expected
    if got:
        import phonenumbers
        assert is_mobile(got) == (phonenumbers.number_type(phonenumbers.parse(got)) == phonenumbers.PhoneNumberType.MOBILE)
