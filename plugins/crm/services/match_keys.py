"""Matching keys for duplicate detection: pure functions, no database.

A customer's name is cleaned (normalised Persian, titles and legal forms dropped, a half-space
joins the two halves of a word, detached prefixes and suffixes joined back), then turned into
the blocking keys stored in the index (`party_keys`):
- `t:` each token and `s:` its *skeleton* (long vowels dropped and letters that sound alike
  folded: ص ث → س, ذ ض ظ → ز, ط → ت, ح → ه, غ → ق), so «صادقی» and «سادقی» meet;
- `d:` the skeleton with one letter deleted (a symmetric deletion neighbourhood);
- `j:` two adjacent tokens written together («رسول نژاد» = «رسولنژاد»);
- `c:` city-scoped pairs of skeletons, selective even for common names (for a two-word name
  also with one letter of either word deleted: the pair a typo would break);
- `a:` city-scoped (street word, house number) pairs of the address;
- `p:` canonical phones and `n:` national IDs, exact.
Word order never matters: every key is built from tokens, not from their sequence.

A check looks up more keys than are stored (`query_keys`): each skeleton and its deletions in
both `s:` and `d:` (so one inserted, omitted or replaced letter still meets), a token in `j:`
and an adjacent pair in `s:` (written together on one side, apart on the other), city pairs
with the joined word or the halves of a split one. Each look-up key carries the words it
stands for, so a customer is ranked by how much of the name its shared keys explain.
"""
from __future__ import annotations

import re
from functools import lru_cache

from core.persian import normalize, to_ascii_digits

TITLES = {
    "اقا", "اقای", "خانم", "دکتر", "دکتری", "مهندس", "مهندسی", "استاد", "جناب", "سرکار", "حاج", "حاجی",
    "حاجیه", "سید", "سیده", "اقایان", "اقازاده", "مدیرعامل", "مدیر", "عامل", "مرحوم", "اخوی", "دکترای",
    "mr", "mrs", "ms", "dr", "eng",
}
LEGAL_FORMS = {
    "شرکت", "سهامی", "خاص", "عام", "با", "مسیولیت", "مسولیت", "محدود", "تعاونی", "موسسه", "موسسهی",
    "هلدینگ", "گروه", "صنعتی", "و", "شرکا", "پ", "ج", "سهامیخاص", "سهامیعام", "بامسیولیت", "مسیولیتمحدود",
    "co", "ltd", "inc", "company", "group",
}
IGNORED = TITLES | LEGAL_FORMS
# Suffixes and prefixes that people attach with a space, a half-space or nothing.
SUFFIXES = ("های", "ها", "هایی", "ای", "ی")
PREFIXES = ("می", "نمی", "بی")
# Titles that also begin surnames: after a first name they are part of the surname, written
# apart («حسن آقا محمدی» = «حسن آقامحمدی»); at the start they stay titles («آقا حسن»).
NAME_PREFIXES = ("اقا", "حاج", "حاجی", "سید")
# Words of an address that say what comes next, not where: dropped before comparing.
ADDRESS_WORDS = {
    "خیابان", "خ", "خیابانهای", "کوچه", "ک", "کوی", "پلاک", "پ", "طبقه", "ط", "واحد", "و", "بن", "بست", "بنبست",
    "میدان", "م", "بلوار", "بل", "نبش", "جنب", "روبروی", "روبه", "رو", "شماره", "ساختمان", "برج", "مجتمع",
    "بلوک", "فاز", "انتهای", "ابتدای", "بعد", "از", "قبل", "تقاطع", "چهارراه", "سه", "راه", "کد", "پستی", "استان",
    "شهر", "شهرستان", "منطقه", "محله", "شهرک", "سمت", "غرب", "شرق", "شمال", "جنوب", "به", "در", "ی",
}

_NON_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_DIGIT_EDGE = re.compile(r"(?<=\d)(?=\D)|(?<=\D)(?=\d)")
_SOUND_ALIKE = str.maketrans({"ص": "س", "ث": "س", "ذ": "ز", "ض": "ز", "ظ": "ز", "ط": "ت", "ح": "ه",
                              "غ": "ق", "ا": "", "و": "", "ی": "", "ع": "", "ء": ""})
MAX_KEY = 120  # the column's length: a longer «word» is nobody's name
MAX_WORDS = 15  # words of a name that take part in a check


def name_tokens(name: str | None) -> list[str]:
    """Normalised tokens of a name without titles, legal forms or punctuation; a half-space
    keeps a word whole («رسول‌نژاد» = «رسولنژاد») and detached prefixes and suffixes are
    joined back («فروشگاه های» → «فروشگاههای»)."""
    return list(_name_tokens(name or ""))


@lru_cache(maxsize=65536)  # a check reads one name's tokens several times
def _name_tokens(name: str) -> tuple[str, ...]:
    words = _NON_WORD.sub(" ", normalize((name or "").replace("\u200c", ""))).split()
    joined: list[str] = []
    named = False  # a word of the name itself (not a title) came before the last one
    for word in words:
        if joined and word in SUFFIXES:
            joined[-1] += word
        elif joined and (joined[-1] in PREFIXES or joined[-1] in NAME_PREFIXES and named):
            joined[-1] += word
        else:
            named = named or bool(joined) and joined[-1] not in IGNORED
            joined.append(word)
    return tuple(w for w in joined if w not in IGNORED and (len(w) > 1 or w.isdigit()))


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonant skeleton: what survives vowel omissions and sound-alike letters."""
    first, rest = token[:1], token[1:]
    return (first.translate(_SOUND_ALIKE) or first) + rest.translate(_SOUND_ALIKE)


@lru_cache(maxsize=200_000)
def _deletions(word: str) -> frozenset[str]:
    return frozenset(word[:i] + word[i + 1:] for i in range(len(word))) if len(word) >= 3 else frozenset()


def deletions(word: str) -> set[str]:
    return set(_deletions(word))


def _city_key(city: str | None) -> str:
    return normalize(city).replace(" ", "")


def _pair(city_key: str, a: str, b: str) -> str:
    return f"c:{city_key}:{a}|{b}" if a < b else f"c:{city_key}:{b}|{a}"


@lru_cache(maxsize=200_000)
def _token_keys(token: str) -> tuple[str, ...]:
    skel = skeleton(token)
    if len(skel) < 2:
        return ("t:" + token,)
    return ("t:" + token, "s:" + skel, *("d:" + d for d in _deletions(skel)))


def name_keys(name: str | None, city: str | None = None) -> set[str]:
    tokens = name_tokens(name)
    keys: set[str] = set()
    skels = []
    for token in tokens:
        skels.append(skeleton(token))
        keys.update(_token_keys(token))
    for a, b in zip(tokens, tokens[1:]):
        keys.add("j:" + skeleton(a + b))
    city_key = _city_key(city)
    uniq = sorted(set(s for s in skels if len(s) >= 2))
    for i, a in enumerate(uniq):
        for b in uniq[i + 1:]:
            keys.add(_pair(city_key, a, b))
    if len(uniq) == 2:  # two words: their pair with one letter of either deleted, so a typo still meets
        keys.update(_pair(city_key, x, y) for x, y in _pair_deletions(*uniq))
    return keys


def _pair_deletions(a: str, b: str):
    return [(a[:i] + a[i + 1:], b) for i in range(len(a))] + [(a, b[:i] + b[i + 1:]) for i in range(len(b))]


class QueryKeys(dict):
    """Look-up key -> the words it stands for (a bit mask), plus `strength`: how many words'
    worth of the name the key explains. A near key explains less than its words: a deletion
    «سمر» of «سمرغ» 3/4 of one word, half of a word paired with another a share of both — so
    a customer met only through fragments of the name does not outrank one met through it."""

    def __init__(self):
        super().__init__()
        self.strength: dict[str, float] = {}

    def add(self, key: str, mask: int, share: float = 1.0) -> None:
        self[key] = self.get(key, 0) | mask
        self.strength[key] = max(self.strength.get(key, 0.0), mask.bit_count() * share)

    def merge(self, other: QueryKeys) -> None:
        for key, mask in other.items():
            self[key] = self.get(key, 0) | mask
            self.strength[key] = max(self.strength.get(key, 0.0), other.strength.get(key, mask.bit_count()))


def _near(skel: str, extra: int = 0) -> float:
    """Share of a word of `len(skel)` letters a one-letter variant explains."""
    return (len(skel) - 1 + extra) / (len(skel) + extra)


# A word written together that stands for two (its deletions looked up as a typo) must be this
# long: «سنقز» (صنایع غذایی) less one letter is «سنق», which is the start of a dozen surnames.
MIN_JOINED_TYPO = 6


@lru_cache(maxsize=200_000)
def _token_query_keys(token: str) -> tuple[tuple[str, float], ...]:
    """(key, share of the word it explains) of the look-ups that depend on one token alone:
    its stored keys, and for its skeleton one letter more or less, or written as two words."""
    skel = skeleton(token)
    out = [(key, 1.0 if key[0] != "d" else _near(skel)) for key in _token_keys(token)]
    if len(skel) >= 2:
        out += [("d:" + skel, _near(skel, 1)), ("j:" + skel, 1.0)]  # the other side: a letter more; two words
        out += [("s:" + d, _near(skel)) for d in _deletions(skel)]   # this side has a letter more
    return tuple(out)


def name_query_keys(name: str | None, city: str | None = None, offset: int = 0) -> QueryKeys:
    """The keys a check looks up for a name — the stored keys of the same name plus their
    neighbourhood (see the module docstring) — each with the words it stands for, as a bit
    mask (word i is bit `offset + i`), and its strength (`QueryKeys`): a customer is ranked by
    how much of the name its keys explain, not by how many keys of one rare word it shares.
    (A file import asks this for every row: the per-word look-ups are remembered per token
    and `QueryKeys.add` is written out in the loops.)"""
    tokens = name_tokens(name)[:MAX_WORDS]
    out = QueryKeys()
    add = out.add
    strength = out.strength

    skels = [skeleton(t) for t in tokens]
    own: dict[str, int] = {}               # skeleton -> the words it stands for
    for i, (token, skel) in enumerate(zip(tokens, skels)):
        bit = 1 << (offset + i)
        for key, share in _token_query_keys(token):  # add(key, bit, share), one bit: strength = share
            out[key] = out.get(key, 0) | bit
            if strength.get(key, 0.0) < share:
                strength[key] = share
        if len(skel) >= 2:
            own[skel] = own.get(skel, 0) | bit
    # Short names need every variant; in a longer one a typo or a split leaves other words
    # and pairs intact, and the variants would only add look-ups.
    short = len(own) <= 3
    variants = {skel: (mask, 1.0) for skel, mask in own.items()}  # skeleton -> (words, share)
    for i in range(len(tokens) - 1):       # the other side wrote two words as one (maybe a typo)
        bits = 3 << (offset + i)
        skel = skeleton(tokens[i] + tokens[i + 1])
        variants[skel] = (variants.get(skel, (0, 1.0))[0] | bits, 1.0)
        for key in ("j:" + skel, "s:" + skel, "d:" + skel):
            add(key, bits)
        if short and len(skel) >= MIN_JOINED_TYPO:
            near = 2 * _near(skel)  # the strength of two words, each explained but a letter
            for d in _deletions(skel):
                for key in ("s:" + d, "d:" + d):
                    out[key] = out.get(key, 0) | bits
                    if strength.get(key, 0.0) < near:
                        strength[key] = near
    if short:
        for skel, mask in own.items():     # ...or one word as two: its halves
            for i in range(3, len(skel) - 2):
                for half in (skel[:i], skel[i:]):
                    if half not in variants:
                        variants[half] = (mask, len(half) / len(skel))
    city_key = _city_key(city)
    for a, mask_a in own.items():
        count_a = mask_a.bit_count()
        for b, (mask_b, share_b) in variants.items():
            if a != b:
                # the pair explains all of a and share_b of b
                mask = mask_a | mask_b
                words = mask.bit_count()
                share = min(1.0, (count_a + share_b * mask_b.bit_count()) / words)
                key = f"c:{city_key}:{a}|{b}" if a < b else f"c:{city_key}:{b}|{a}"
                out[key] = out.get(key, 0) | mask
                if strength.get(key, 0.0) < words * share:
                    strength[key] = words * share
    if len(own) == 2:                      # two words: the one pair a typo would break
        mask = sum(own.values())
        near = mask.bit_count() * _near("".join(own))
        for x, y in _pair_deletions(*own):
            key = _pair(city_key, x, y)
            out[key] = out.get(key, 0) | mask
            if strength.get(key, 0.0) < near:
                strength[key] = near
    return out


def address_parts(address: str | None, city: str | None = None) -> tuple[list[str], list[str]]:
    """(words, numbers) of an address: normalised, digits split from letters, the words that
    only say «street», «alley», «number» and the city's own name left out."""
    text = normalize(to_ascii_digits(address or "").replace("\u200c", ""))
    text = _DIGIT_EDGE.sub(" ", _NON_WORD.sub(" ", text))
    skip = ADDRESS_WORDS | set(normalize(city).split())
    words, numbers = [], []
    for token in text.split():
        if token.isdigit():
            numbers.append(str(int(token)))
        elif token not in skip and len(token) > 1:
            words.append(token)
    return words, numbers


def address_keys(addresses, city: str | None) -> set[str]:
    """A street word with a house or alley number, in the city: «شریعتی 335»."""
    city_key = _city_key(city)
    keys = set()
    for address in addresses:
        words, numbers = address_parts(address, city)
        for w in words[:2]:
            for n in numbers[:3]:
                keys.add(f"a:{city_key}:{skeleton(w)}:{n}")
    return keys


def national_id_key(value: str | None) -> str | None:
    digits = to_ascii_digits(value or "").strip()
    return "n:" + digits if digits.isdigit() and len(digits) in (10, 11) else None


def party_keys(name: str, organisation: str, city: str, phones_e164, national_id: str | None,
               addresses=()) -> set[str]:
    """Every blocking key of a customer. An organisation title on a person is indexed too:
    «علی کریمی (شرکت مهرگان)» should meet «شرکت مهرگان»."""
    keys = name_keys(name, city)
    if organisation:
        keys |= name_keys(organisation, city)
    keys |= address_keys(addresses, city)
    keys.update("p:" + p for p in phones_e164 if p)
    nid = national_id_key(national_id)
    if nid:
        keys.add(nid)
    return {k for k in keys if len(k) <= MAX_KEY}


ADDRESS_BIT = 1 << (2 * MAX_WORDS)


def query_keys(name: str, organisation: str, city: str, phones_e164, national_id: str | None,
               addresses=()) -> QueryKeys:
    """What a check looks up, each key with the words it stands for (`name_query_keys`; the
    organisation's words after the name's, the address one more bit, phones and national ID
    none): the candidate's own keys and their typo neighbourhood."""
    keys = name_query_keys(name, city)
    if organisation:
        keys.merge(name_query_keys(organisation, city, MAX_WORDS))
    for key in address_keys(addresses, city):
        keys.add(key, ADDRESS_BIT)
    for key in party_keys("", "", city, phones_e164, national_id):
        keys[key] = 0
        keys.strength[key] = 0.0
    for key in [k for k in keys if len(k) > MAX_KEY]:
        del keys[key]
    return keys


@lru_cache(maxsize=65536)
def comparable_name(name: str | None) -> str:
    """The cleaned name as one string for rapidfuzz: tokens sorted, so order never matters."""
    return " ".join(sorted(name_tokens(name)))
