"""Persian text helpers: one normaliser for every comparison and search, digit conversion.

Users keep what they typed; matching keys come from `normalize()` only.
"""
from __future__ import annotations

import re
import unicodedata

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

_TABLE: dict[int, str | None] = {}
for _i in range(10):
    _TABLE[ord(PERSIAN_DIGITS[_i])] = str(_i)
    _TABLE[ord(ARABIC_DIGITS[_i])] = str(_i)
_TABLE.update({
    ord("ي"): "ی", ord("ى"): "ی", ord("ئ"): "ی",
    ord("ك"): "ک",
    ord("ة"): "ه", ord("ۀ"): "ه",
    ord("أ"): "ا", ord("إ"): "ا", ord("ٱ"): "ا", ord("آ"): "ا",
    ord("ؤ"): "و",
    ord("ـ"): None,                      # tatweel
    ord("\u200c"): " ", ord("\u200d"): " ", ord("\u00a0"): " ", ord("\u200f"): None,
    ord("\u200e"): None, ord("\ufeff"): None,
})
# Arabic diacritics (harakat, tanwin, shadda, sukun, superscript alef) and hamza above.
for _cp in list(range(0x064B, 0x0660)) + [0x0670, 0x0654, 0x0655]:
    _TABLE[_cp] = None

_SPACES = re.compile(r"\s+")
# Invisible direction marks and joiners that ride along when text is copied out of RTL
# documents and chat apps; parsers of dates and numbers drop them.
INVISIBLE_MARKS = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_TO_FA = str.maketrans("0123456789" + ARABIC_DIGITS, PERSIAN_DIGITS * 2)
_TO_ASCII = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2)


def normalize(text: str | None) -> str:
    """Matching key for Persian text: unify letters, drop diacritics and tatweel, ZWNJ and
    NBSP become spaces, every digit set becomes ASCII, spaces collapse, Latin is lower-cased.
    `آ` folds to `ا` so that "آدرس" and "ادرس" (a common typing variant) compare equal.
    NFKC first folds Arabic presentation forms (text copied out of PDFs) to plain letters."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).translate(_TABLE)).strip().lower()


def to_persian_digits(value: object) -> str:
    """Render ASCII or Arabic-Indic digits as Persian digits (for display)."""
    return str(value).translate(_TO_FA)


def to_ascii_digits(value: str) -> str:
    """Accept Persian, Arabic-Indic or Latin digits in input."""
    return value.translate(_TO_ASCII)


def like_pattern(query: str) -> str:
    """A LIKE pattern for a normalised search over a `*_search` column (escape char `\\`)."""
    q = normalize(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{q}%"


def valid_national_id(value: str | None) -> bool:
    """Iranian personal national ID (کد ملی): 10 digits, the last a check digit."""
    if not value:
        return False
    code = to_ascii_digits(value.strip())
    # All-same digits pass the checksum but are never issued; nor is a serial (digits 4-9) of zeros.
    if not re.fullmatch(r"[0-9]{10}", code) or len(set(code)) == 1 or code[3:9] == "000000":
        return False
    total = sum(int(code[i]) * (10 - i) for i in range(9))
    rem = total % 11
    check = int(code[9])
    return check == rem if rem < 2 else check == 11 - rem


def valid_company_id(value: str | None) -> bool:
    """Iranian legal-entity national ID (شناسه ملی): 11 digits, the last a check digit."""
    if not value:
        return False
    code = to_ascii_digits(value.strip())
    # A serial (digits 4-9) of zeros passes the checksum but is never issued.
    if not re.fullmatch(r"[0-9]{11}", code) or code[3:9] == "000000":
        return False
    decimal = int(code[9]) + 2
    coefficients = (29, 27, 23, 19, 17)
    total = sum((int(code[i]) + decimal) * coefficients[i % 5] for i in range(10))
    rem = total % 11
    return int(code[10]) == (0 if rem == 10 else rem)
