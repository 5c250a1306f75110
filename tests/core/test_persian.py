"""The Persian matching key (`normalize`), digit conversion, LIKE patterns and the check digits
of the national ID (کد ملی) and the company ID (شناسه ملی). Pure functions: no app, no database."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.persian import (like_pattern, normalize, to_ascii_digits, to_persian_digits,
                          valid_company_id, valid_national_id)

ZWNJ, ZWJ, NBSP, TATWEEL = "\u200c", "\u200d", "\u00a0", "\u0640"
FATHA, DAMMA, KASRA = "\u064e", "\u064f", "\u0650"
FATHATAN, DAMMATAN, KASRATAN = "\u064b", "\u064c", "\u064d"
SHADDA, SUKUN = "\u0651", "\u0652"
DIACRITICS = [FATHA, DAMMA, KASRA, FATHATAN, DAMMATAN, KASRATAN, SHADDA, SUKUN]

# The Persian alphabet as a Persian keyboard types it (Persian yeh and kaf).
PERSIAN_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"


# --- normalize: examples --------------------------------------------------------------------

@pytest.mark.parametrize("typed, persian", [
    ("علي", "علی"),            # Arabic yeh (U+064A)
    ("موسى", "موسی"),          # alef maksura (U+0649)
    ("كتاب", "کتاب"),          # Arabic kaf (U+0643)
    ("مدرسة", "مدرسه"),        # teh marbuta
    ("خانۀ", "خانه"),          # heh with yeh above
    ("خانهٔ", "خانه"),          # heh + hamza above, the decomposed spelling of the same
    ("أحمد", "احمد"),
    ("إیران", "ایران"),
    ("ٱلله", "الله"),
    ("آدرس", "ادرس"),          # آ folds to ا: users type both
    ("مؤسسه", "موسسه"),
])
def test_normalize_unifies_arabic_letter_variants(typed, persian):
    assert normalize(typed) == persian
    assert normalize(typed) == normalize(persian)


def test_normalize_strips_every_diacritic():
    # «مُحَمَّد» with damma, fatha, shadda; tanwin and sukun on other words.
    assert normalize("مُحَمَّد") == "محمد"
    assert normalize("کتاباً") == "کتابا"
    assert normalize("شیءٌ") == "شیء"
    assert normalize("کتابٍ") == "کتاب"
    assert normalize("مِهر") == "مهر"
    assert normalize("اَبرْ") == "ابر"
    for mark in DIACRITICS:
        assert normalize(f"سل{mark}ام") == "سلام", hex(ord(mark))


def test_normalize_removes_tatweel():
    assert normalize("سـلـــام") == "سلام"


@pytest.mark.parametrize("joiner", [ZWNJ, ZWJ, NBSP])
def test_normalize_turns_invisible_joiners_into_spaces(joiner):
    assert normalize(f"می{joiner}خواهم") == "می خواهم"


def test_normalize_converts_every_digit_set_to_ascii():
    assert normalize("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert normalize("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert normalize("کالای ۱۲٣") == "کالای 123"   # Persian and Arabic-Indic mixed


def test_normalize_collapses_whitespace_and_lowercases_latin():
    assert normalize("  شرکت \t\n  Peyvand   TEH  ") == "شرکت peyvand teh"
    assert normalize(f"سلام{ZWNJ} {NBSP}دنیا") == "سلام دنیا"


@pytest.mark.parametrize("empty", [None, "", "   ", ZWNJ, TATWEEL + FATHA])
def test_normalize_of_nothing_is_empty(empty):
    assert normalize(empty) == ""


def test_normalize_keeps_distinct_words_distinct():
    # The key must not be so loose that different names collide.
    assert normalize("کرمان") != normalize("کرمانشاه")
    assert normalize("سارا") != normalize("زهرا")
    assert normalize("مهر") != normalize("مهری")


# --- normalize: properties ------------------------------------------------------------------

# Text dense in the characters normalize() rewrites, so the properties meet them often.
_interesting = st.text(alphabet=st.sampled_from(
    list(PERSIAN_LETTERS) + list("يىكةۀأإٱآؤئ") + DIACRITICS
    + [TATWEEL, ZWNJ, ZWJ, NBSP, " ", "\t", "\n", "\u200f", "\u200e", "\ufeff", "\u0654", "\u0670"]
    + list("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789") + list("AbZ%_\\")))

persian_words = st.text(alphabet=PERSIAN_LETTERS, min_size=1, max_size=12)


@given(st.one_of(st.text(), _interesting))
@example("İ")                       # Latin capital I with dot: lower() grows a combining mark
@example(f" {TATWEEL} {FATHA} ")    # removable marks between spaces
def test_normalize_is_idempotent(text):
    key = normalize(text)
    assert normalize(key) == key


@given(_interesting)
def test_normalize_leaves_no_variant_behind(text):
    key = normalize(text)
    assert not set(key) & set("يىكةۀأإٱآؤ" + TATWEEL + ZWNJ + ZWJ + NBSP + "".join(DIACRITICS))
    assert not set(key) & set("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩")
    assert key == key.strip() and "  " not in key


@given(persian_words, st.data())
def test_tatweel_anywhere_never_changes_the_key(word, data):
    positions = data.draw(st.lists(st.integers(0, len(word)), min_size=1, max_size=5))
    stretched = word
    for pos in sorted(positions, reverse=True):
        stretched = stretched[:pos] + TATWEEL + stretched[pos:]
    assert normalize(stretched) == normalize(word)


@given(persian_words, st.data())
def test_diacritics_anywhere_never_change_the_key(word, data):
    marks = data.draw(st.lists(st.tuples(st.integers(0, len(word)), st.sampled_from(DIACRITICS)),
                               min_size=1, max_size=6))
    voweled = word
    for pos, mark in sorted(marks, reverse=True):
        voweled = voweled[:pos] + mark + voweled[pos:]
    assert normalize(voweled) == normalize(word)


@given(st.text(alphabet=PERSIAN_LETTERS + "یک", min_size=1, max_size=12), st.data())
def test_arabic_yeh_and_kaf_never_change_the_key(word, data):
    # Swap any subset of ی→ي and ک→ك, as an Arabic keyboard or an old system would.
    swapped = "".join(
        {"ی": "ي", "ک": "ك"}[ch] if ch in "یک" and data.draw(st.booleans()) else ch for ch in word)
    assert normalize(swapped) == normalize(word)


@given(st.lists(persian_words, min_size=2, max_size=4), st.data())
def test_zwnj_and_space_between_parts_are_the_same_key(parts, data):
    # «می‌خواهم» / «می خواهم», «کتاب‌ها» / «کتاب ها»: either joiner, any mix.
    joined = parts[0]
    for part in parts[1:]:
        joined += data.draw(st.sampled_from([ZWNJ, " "])) + part
    assert normalize(joined) == normalize(" ".join(parts))


# --- digits and LIKE patterns ---------------------------------------------------------------

def test_to_persian_digits():
    assert to_persian_digits(1403) == "۱۴۰۳"
    assert to_persian_digits("1403/05/12") == "۱۴۰۳/۰۵/۱۲"
    assert to_persian_digits("٠١٢٣٤٥٦٧٨٩") == "۰۱۲۳۴۵۶۷۸۹"   # Arabic-Indic shown as Persian
    assert to_persian_digits("قیمت 1,200") == "قیمت ۱,۲۰۰"


def test_to_ascii_digits():
    assert to_ascii_digits("۱۴۰۳/۰۵/۱۲") == "1403/05/12"
    assert to_ascii_digits("١٤٠٣") == "1403"
    assert to_ascii_digits("۰۹۱۲abc") == "0912abc"


@given(st.integers())
def test_digit_conversion_round_trips(n):
    fa = to_persian_digits(n)
    assert not set(fa) & set("0123456789")
    assert to_ascii_digits(fa) == str(n)


def test_like_pattern_escapes_wildcards_and_normalizes():
    assert like_pattern("50%") == "%50\\%%"
    assert like_pattern("a_b") == "%a\\_b%"
    assert like_pattern("c:\\x") == "%c:\\\\x%"
    assert like_pattern("علي ۱۲") == "%علی 12%"


def test_like_pattern_matches_literally_in_sql():
    # A real LIKE … ESCAPE '\' (SQLite from the standard library), as the services use it.
    keys = [normalize(s) for s in ["تخفیف 50% نقدی", "تخفیف ۵۰۰ ریالی", "کد a_b", "کد axb", "علی رضایی"]]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(k,) for k in keys])

    def search(q):
        rows = conn.execute("SELECT k FROM t WHERE k LIKE ? ESCAPE '\\' ORDER BY k", (like_pattern(q),))
        return [r[0] for r in rows]

    assert search("۵۰%") == ["تخفیف 50% نقدی"]      # % is literal, not "50 then anything"
    assert search("a_b") == ["کد a_b"]              # _ is literal, not "any one character"
    assert search("علي") == ["علی رضایی"]            # Arabic yeh finds the Persian spelling
    assert search("%") == ["تخفیف 50% نقدی"]


# --- national ID (کد ملی) ------------------------------------------------------------------

def national_check_digit(first9: str) -> int:
    """The published algorithm, written here independently of core.persian."""
    rem = sum(int(d) * w for d, w in zip(first9, range(10, 1, -1))) % 11
    return rem if rem < 2 else 11 - rem


# Nine digits, not all the same, with a non-zero serial (digits 4-9): real codes look like this.
_first9 = st.text(alphabet="0123456789", min_size=9, max_size=9).filter(
    lambda s: len(set(s)) > 1 and s[3:9] != "000000")


@given(_first9)
def test_national_id_with_computed_check_digit_is_valid_and_others_are_not(first9):
    check = national_check_digit(first9)
    assert valid_national_id(first9 + str(check))
    for wrong in set(range(10)) - {check}:
        assert not valid_national_id(first9 + str(wrong))


@pytest.mark.parametrize("code", ["0499370899", "0076229645", "1583250689", "0013542419"])
def test_real_format_national_ids_are_valid(code):
    assert valid_national_id(code)
    assert valid_national_id(to_persian_digits(code))       # typed with a Persian keyboard
    assert valid_national_id(f"  {code} ")


def test_national_id_in_persian_digits():
    assert valid_national_id("۰۴۹۹۳۷۰۸۹۹")
    assert valid_national_id("٠٤٩٩٣٧٠٨٩٩")


@pytest.mark.parametrize("code", [
    "0499370898",            # wrong check digit
    "0499370890",
    "049937089",             # nine digits
    "04993708990",           # eleven digits
    "",
    None,
    "04993708a9",
    "049-937089-9",          # dashes are for the caller to strip
])
def test_invalid_national_ids(code):
    assert not valid_national_id(code)


def test_national_id_with_zero_serial_is_invalid():
    # 001-000000-3 passes the checksum, but a serial of zeros is never issued.
    assert national_check_digit("001000000") == 3
    assert not valid_national_id("0010000003")


@pytest.mark.parametrize("digit", "0123456789")
def test_all_same_digit_national_ids_are_invalid(digit):
    code = digit * 10
    # Several of these pass the checksum (1111111111 does), so the rule is needed on its own.
    assert not valid_national_id(code)


def test_all_same_digits_would_pass_the_bare_checksum():
    assert national_check_digit("111111111") == 1   # why the explicit all-same rule exists


# --- company ID (شناسه ملی) ----------------------------------------------------------------

def company_check_digit(first10: str) -> int:
    """Independent copy of the published algorithm: weights 29 27 23 19 17, offset by the
    tenth digit + 2, mod 11, a remainder of 10 counts as 0."""
    offset = int(first10[9]) + 2
    weights = [29, 27, 23, 19, 17, 29, 27, 23, 19, 17]
    rem = sum((int(d) + offset) * w for d, w in zip(first10, weights)) % 11
    return 0 if rem == 10 else rem


def test_known_company_id():
    assert valid_company_id("10380284790")
    assert valid_company_id("۱۰۳۸۰۲۸۴۷۹۰")
    assert company_check_digit("1038028479") == 0


@pytest.mark.parametrize("last", "123456789")
def test_company_id_with_changed_last_digit_is_invalid(last):
    assert not valid_company_id("1038028479" + last)


@given(st.text(alphabet="0123456789", min_size=10, max_size=10).filter(lambda s: s[3:9] != "000000"))
def test_company_id_with_computed_check_digit_is_valid_and_others_are_not(first10):
    check = company_check_digit(first10)
    assert valid_company_id(first10 + str(check))
    for wrong in set(range(10)) - {check}:
        assert not valid_company_id(first10 + str(wrong))


@pytest.mark.parametrize("code", [
    "1038028479",        # ten digits: that is a national ID's length, not a company's
    "103802847900",
    "",
    None,
    "10380x84790",
    "0499370899",        # a valid personal national ID is not a company ID
])
def test_invalid_company_ids(code):
    assert not valid_company_id(code)


def test_company_id_with_zero_serial_is_invalid():
    first10 = "1030000005"
    assert not valid_company_id(first10 + str(company_check_digit(first10)))
