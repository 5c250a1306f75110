"""Duplicate-customer detection: the one function registration, lead conversion, import and the
API call. Given a candidate it returns the existing customers that are probably the same, each
with a score and the reasons in Persian ("همان تلفن همراه", "نام ۹۲٪ مشابه پس از یکسان‌سازی").

1. Blocking: the candidate's keys (`match_keys.query_keys`) pick a few dozen customers from the
   database index (`match_index`), never scanning every customer.
2. Scoring: exact national ID and phone, rapidfuzz similarity of the cleaned names (word order and
   one typo tolerated, not a different word), the organisation title, and the address within the
   same city (same street words, same house numbers). Thresholds are settings.
3. Choosing what to show (`rank`): when a customer agrees on the name *and* on a phone,
   national ID or address, customers that only share the name are namesakes and are left out;
   on the name alone only the closest names are shown, and a name shared by more than
   `AMBIGUOUS_NAME` customers says nothing on its own.

On PostgreSQL a check is one statement (candidates and what `score` reads of them); the
figures at 10,000 to 1,000,000 customers are in docs/performance.md (bench/dedupe.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from sqlalchemy import text

from core import settings
from core.db import db, pg_array
from core.persian import normalize, to_persian_digits
from core.phones import PhoneError, area_code_for, canonical, is_mobile
from plugins.crm.services import match_index
from plugins.crm.services.match_keys import address_parts, comparable_name, national_id_key, query_keys

MAX_FIELD = 1000  # longer input is cut before matching: a 10,000-character name is nobody's name
# More customers than this sharing a name, and nothing else agreeing, is a common name, not a
# duplicate: «محمد حسینی» in Tehran.
AMBIGUOUS_NAME = 3
# Matching on the name alone, only names within this many points of the closest are shown.
NAME_TIER = 2
# Customers scored per check (the best-weighted candidates of the index).
CANDIDATES = 20


@dataclass
class Match:
    customer_id: int
    score: int
    reasons: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # name, phone, national_id, address, organisation


@dataclass(slots=True)
class PhoneView:
    e164: str


@dataclass(slots=True)
class AddressView:
    address: str


@dataclass(slots=True)
class PartyView:
    """What `score` reads of a party, loaded without the ORM (a check loads dozens)."""
    name: str
    organisation: str
    city: str
    national_id: str | None
    phones: list[PhoneView]
    addresses: list[AddressView]


@dataclass
class Candidate:
    name: str
    organisation: str
    city: str
    address: str
    national_id: str | None
    phones: dict[str, str]  # e164 -> kind

    @property
    def empty(self) -> bool:
        return not (comparable_name(self.name) or comparable_name(self.organisation) or self.phones or self.national_id)


@dataclass(frozen=True)
class Limits:
    """The thresholds of one check, read from the settings once."""
    name: int
    address: int
    minimum: int

    @classmethod
    def current(cls) -> Limits:
        return cls(int(settings.get("crm.dup_name_threshold")), int(settings.get("crm.dup_address_threshold")),
                   int(settings.get("crm.dup_min_score")))


def candidate_from(data: dict, office_area_code: str | None = None) -> Candidate:
    """Clean a candidate from form or API input; phones that are not phones are left out."""
    def text(key):
        return str(data.get(key) or "")[:MAX_FIELD]
    city = text("city")
    area = area_code_for(city) or office_area_code
    phones = {}
    for row in data.get("phones") or []:
        try:
            phones[canonical(str(row.get("number") or "")[:40], area)] = row.get("kind") or "phone"
        except PhoneError:
            continue
    address = text("address") or " ".join(str(a.get("address") or "") for a in data.get("addresses") or [])[:MAX_FIELD]
    nid = national_id_key(text("national_id"))
    return Candidate(name=text("name"), organisation=text("organisation"), city=city, address=address,
                     national_id=nid[2:] if nid else None, phones=phones)


def _ordered_ratio(a: list[str], b: list[str]) -> float:
    """Similarity of two token lists in the best word order (sorting alone would misalign
    them when a typo changes a word's first letter). A shorter name inside a longer one
    («چوب البرز» in «صنایع چوب البرز») scores a little lower, a lone word much lower."""
    if not a or not b:
        return 0
    if len(a) > len(b):
        a, b = b, a
    short, full = " ".join(a), " ".join(b)
    if len(b) > 4:
        best = fuzz.token_sort_ratio(short, full)
    else:
        best = max(fuzz.ratio(short, " ".join(perm)) for perm in permutations(b, len(a)))
    return best * _coverage_factor(len(a), len(b), len(short) / len(full))


def _coverage_factor(short_words: int, full_words: int, coverage: float) -> float:
    return (0.85 + 0.15 * coverage) if short_words >= 2 or full_words == 1 else (0.6 + 0.4 * coverage)


def _aligned(a: list[str], b: list[str]) -> tuple[int, float, int]:
    """(letters edited, similarity, letters that may be edited) when the words of the name
    with fewer words are matched to words of the other: equal words first, then what is left
    of the first against the best ordered selection of what is left of the second, written
    together (so «رسول نژاد» meets «رسولنژاد»). One typo is allowed (two in one long word),
    none when the other name also has words of its own: a typo *and* a missing word is
    another name («امیر مهدیی» is not «مهسا میرمهدیی»). A different number is never a typo."""
    if len(a) > len(b):
        a, b = b, a
    rest = list(b)
    left = []
    for token in a:
        if token in rest:
            rest.remove(token)
        else:
            left.append(token)
    common = sum(len(t) for t in a if t not in left)
    full_len = sum(len(t) for t in b)
    if not left:
        return 0, 100 * _coverage_factor(len(a), len(b), len(" ".join(a)) / len(" ".join(b))), 0
    if any(t.isdigit() for t in left) or not rest:
        return 99, 0.0, 0
    s = "".join(left)
    pool = rest if len(rest) <= 4 else sorted(rest, key=len, reverse=True)[:4]
    best, best_len, best_words = 99, 0, 0
    for k in range(1, len(pool) + 1):
        for perm in permutations(pool, k):
            joined = "".join(perm)
            d = Levenshtein.distance(s, joined, score_cutoff=best)
            if d < best or (d == best and len(joined) > best_len):
                best, best_len, best_words = d, len(joined), k
    if best >= 99:
        return 99, 0.0, 0
    allowed = 0 if best_words < len(rest) else (2 if len(left) == 1 and len(s) >= 10 else 1)
    similarity = 100 * (1 - best / (common + max(len(s), best_len)))
    return best, similarity * _coverage_factor(len(a), len(b), min(1.0, (common + best_len) / full_len)), allowed


def _name_similarity(a: str, b: str) -> int:
    """Similarity of two cleaned names in their best word order, or written together; names
    whose differing words are more than a typo apart stay below any sensible threshold:
    «الهام غفاری» is not «الهام امین‌فر»."""
    if not a or not b:
        return 0
    ta, tb = a.split(), b.split()
    edits, aligned, allowed = _aligned(ta, tb)
    similarity = max(_ordered_ratio(ta, tb), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")), aligned)
    if edits > allowed:
        similarity = min(similarity, 75)
    return int(round(similarity))


def _address_similarity(a: str, b: str, city: str) -> int:
    """Similarity of two addresses in the same city: the street words (abbreviations, «خیابان»
    and the like left out; apart or written together) when the house numbers agree — a number
    the other lacks is another house."""
    wa, na = address_parts(a, city)
    wb, nb = address_parts(b, city)
    if not wa or not wb:
        return 0
    if na and nb:
        short, full = (na, nb) if len(na) <= len(nb) else (nb, na)
        if not set(short) <= set(full):
            return 0
    return int(max(fuzz.token_set_ratio(" ".join(wa), " ".join(wb)), fuzz.ratio("".join(wa), "".join(wb))))


def score(candidate: Candidate, party, customer_id: int, limits: Limits | None = None) -> Match | None:
    """How likely `party` (a `Party` or a `PartyView`) is the candidate, with the reasons."""
    limits = limits or Limits.current()
    reasons, fields, best = [], [], 0
    if candidate.national_id and party.national_id:
        if candidate.national_id == party.national_id:
            reasons.append("کد ملی یکسان" if len(candidate.national_id) == 10 else "شناسهٔ ملی یکسان")
            fields.append("national_id")
            best = 100
        else:
            return None  # two different valid national IDs: two different customers
    shared = set(candidate.phones) & {p.e164 for p in party.phones}
    if shared:
        mobile = any(is_mobile(p) for p in shared)
        reasons.append("همان تلفن همراه" if mobile else "همان تلفن ثابت")
        fields.append("phone")
        best = max(best, 97 if mobile else 90)
    same_city = not candidate.city or not party.city or normalize(candidate.city) == normalize(party.city)
    cand_name = comparable_name(candidate.name)
    names = [comparable_name(party.name), comparable_name(party.organisation)]
    similarity = max(_name_similarity(cand_name, n) for n in names)
    if candidate.organisation:
        similarity = max(similarity, _name_similarity(comparable_name(candidate.organisation), names[1] or names[0]))
    if similarity >= limits.name:
        reasons.append(f"نام {to_persian_digits(similarity)}٪ مشابه پس از یکسان‌سازی"
                       + ("" if same_city else " (شهر دیگر)"))
        fields.append("name")
        name_score = similarity * (0.9 if same_city else 0.6)
        if candidate.address and same_city:
            address_sim = max((_address_similarity(candidate.address, a.address, candidate.city or party.city)
                               for a in party.addresses), default=0)
            if address_sim >= limits.address:
                reasons.append(f"نشانی {to_persian_digits(int(address_sim))}٪ مشابه در همان شهر")
                fields.append("address")
                name_score = min(99, name_score + 8)
        best = max(best, int(name_score) + (3 if shared else 0))
    if not reasons:
        return None
    return Match(customer_id, min(100, best), reasons, fields)


def rank(candidate: Candidate, parties, limit: int = 10, limits: Limits | None = None) -> list[Match]:
    """Score (customer_id, party) pairs and keep the probable duplicates, best first.

    A customer that agrees on the name and on something else (phone, national ID, address)
    explains the candidate: the others that only share the name are namesakes and are left out.
    With nothing but names to go on, only the closest names are kept («رنگ و رزین کاوه» exactly
    rather than «رنگ و رزین آسیا کاوه»), and more than `AMBIGUOUS_NAME` customers of that name
    mean a common name: none of them is shown for it."""
    limits = limits or Limits.current()
    matches = []
    for customer_id, party in parties:
        match = score(candidate, party, customer_id, limits)
        if match and match.score >= limits.minimum:
            matches.append(match)
    name_only = [m for m in matches if m.fields == ["name"]]
    if name_only:
        explained = any("name" in m.fields and len(m.fields) > 1 for m in matches)
        closest = max(m.score for m in name_only) - NAME_TIER
        close = [m for m in name_only if m.score >= closest]
        if explained or len(close) > AMBIGUOUS_NAME:
            close = []
        matches = [m for m in matches if m.fields != ["name"]] + close
    matches.sort(key=lambda m: (-m.score, m.customer_id))
    return matches[:limit]


_PARTY_COLUMNS = (
    "p.name, p.organisation, p.city, p.national_id, "
    "ARRAY(SELECT e164 FROM party_phones WHERE party_id = p.id), "
    "ARRAY(SELECT address FROM party_addresses WHERE party_id = p.id)")
_PG_PARTIES = text(f"SELECT c.id, {_PARTY_COLUMNS} FROM crm_customers c JOIN parties p ON p.id = c.party_id "
                   "WHERE c.id = ANY(CAST(:ids AS integer[]))")
# One round trip on PostgreSQL: the candidates of the index and what `score` reads of them.
_PG_CHECK = text(f"WITH cand AS ({match_index.PG_CANDIDATES_SQL}) SELECT cand.customer_id, {_PARTY_COLUMNS} "
                 "FROM cand JOIN crm_customers c ON c.id = cand.customer_id JOIN parties p ON p.id = c.party_id "
                 "ORDER BY cand.w DESC, cand.customer_id")


def _views(rows) -> list[tuple[int, PartyView]]:
    return [(cid, PartyView(name or "", org or "", city or "", nid, [PhoneView(p) for p in phones],
                            [AddressView(a or "") for a in addresses]))
            for cid, name, org, city, nid, phones, addresses in rows]


def load_parties(customer_ids) -> list[tuple[int, PartyView]]:
    """(customer_id, PartyView) with phones and addresses, without ORM objects: one statement
    on PostgreSQL, three on SQLite (through the driver's cursor: cheaper than SQLAlchemy's
    handling of the bound values)."""
    ids = list(customer_ids)
    if not ids:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return _views(db.session.execute(_PG_PARTIES, {"ids": pg_array(ids)}))
    cursor = db.session.connection().connection.driver_connection.cursor()
    marks = ",".join("?" * len(ids))
    rows = cursor.execute(
        "SELECT c.id, p.id, p.name, p.organisation, p.city, p.national_id FROM crm_customers c "
        f"JOIN parties p ON p.id = c.party_id WHERE c.id IN ({marks})", ids).fetchall()
    views = {pid: PartyView(name or "", org or "", city or "", nid, [], []) for _cid, pid, name, org, city, nid in rows}
    marks = ",".join("?" * len(views))
    for pid, e164 in cursor.execute(f"SELECT party_id, e164 FROM party_phones WHERE party_id IN ({marks})",
                                    list(views)):
        views[pid].phones.append(PhoneView(e164))
    for pid, address in cursor.execute(f"SELECT party_id, address FROM party_addresses WHERE party_id IN ({marks})",
                                       list(views)):
        views[pid].addresses.append(AddressView(address or ""))
    return [(cid, views[pid]) for cid, pid, *_rest in rows]


def find_duplicates(data: dict, office_area_code: str | None = None, limit: int = 10,
                    exclude_customer_id: int | None = None) -> list[Match]:
    """Customers that are probably the candidate, best first (an empty or unusable candidate
    gives no match, never an error)."""
    candidate = candidate_from(data, office_area_code)
    if candidate.empty:
        return []
    keys = query_keys(candidate.name, candidate.organisation, candidate.city, list(candidate.phones),
                      candidate.national_id, [candidate.address] if candidate.address else [])
    cap = int(settings.get("crm.dup_max_key_share"))
    if db.session.get_bind().dialect.name == "postgresql":
        parties = _views(db.session.execute(_PG_CHECK, match_index.pg_params(keys, cap, CANDIDATES + 1)))
    else:
        parties = load_parties(cid for cid, _weight in match_index.candidates(keys, cap, CANDIDATES + 1))
    parties = [(cid, party) for cid, party in parties if cid != exclude_customer_id][:CANDIDATES]
    return rank(candidate, parties, limit)


def find_duplicates_many(datas: list[dict], limit: int = 10, index: match_index.Candidates | None = None
                         ) -> list[list[Match]]:
    """`find_duplicates(data, limit=limit)` for each of many candidates (a file import): the
    same answers, with the database asked a few set-based questions per call instead of one
    statement per candidate (`match_index.Candidates`; pass one `index` to all the batches of
    a file so that keys read once are not read again)."""
    index = index or match_index.Candidates(int(settings.get("crm.dup_max_key_share")))
    limits = Limits.current()
    candidates = [candidate_from(data) for data in datas]
    pending = [i for i, c in enumerate(candidates) if not c.empty]
    found = index.many([query_keys(c.name, c.organisation, c.city, list(c.phones), c.national_id,
                                   [c.address] if c.address else []) for c in (candidates[i] for i in pending)],
                       CANDIDATES + 1)
    parties = dict(load_parties({cid for row in found for cid, _weight in row}))
    out: list[list[Match]] = [[] for _ in candidates]
    for i, row in zip(pending, found):
        views = [(cid, parties[cid]) for cid, _weight in row if cid in parties][:CANDIDATES]
        out[i] = rank(candidates[i], views, limit, limits)
    return out
