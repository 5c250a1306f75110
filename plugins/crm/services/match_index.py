"""The duplicate-detection index in the database: maintained when customers are added, edited
or merged; read by `duplicates.find_duplicates` to pick a few dozen candidates out of a
million without scanning them."""
from __future__ import annotations

import math

from sqlalchemy import Index, delete, select, text, update
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from core.db import db, insert_ignore, pg_array
from core.models.parties import Party, PartyAddress, PartyPhone
from plugins.crm.models import Customer, MatchKey, MatchKeyCount
from plugins.crm.services.match_keys import party_keys

EXACT = ("p:", "n:")
# Rows of crm_match_keys one check may read for name and address keys: the rarest keys first,
# until this many postings; the exact phone and national-ID keys always.
POSTINGS_BUDGET = 3000
EXACT_WEIGHT = 1000.0  # a shared phone or national ID outranks any number of name keys


def keys_of(party: Party) -> set[str]:
    return party_keys(party.name, party.organisation, party.city, [p.e164 for p in party.phones], party.national_id,
                      [a.address for a in party.addresses])


def _upsert_counts(keys, delta: int) -> None:
    if not keys:
        return
    if delta > 0:
        stmt = insert_ignore(MatchKeyCount).values([{"key": k, "n": 0} for k in keys]).on_conflict_do_nothing()
        db.session.execute(stmt)
    db.session.execute(update(MatchKeyCount).where(MatchKeyCount.key.in_(keys))
                       .values(n=MatchKeyCount.n + delta).execution_options(synchronize_session=False))


def reindex(customer: Customer) -> None:
    """Bring one customer's keys up to date (inside the caller's transaction)."""
    db.session.flush()
    wanted = set() if customer.party.merged_into_id else keys_of(customer.party)
    have = set(db.session.scalars(select(MatchKey.key).where(MatchKey.customer_id == customer.id)))
    gone, new = sorted(have - wanted), sorted(wanted - have)
    if gone:
        db.session.execute(delete(MatchKey).where(MatchKey.customer_id == customer.id, MatchKey.key.in_(gone)))
        _upsert_counts(gone, -1)
    if new:
        db.session.execute(insert_ignore(MatchKey).values([{"key": k, "customer_id": customer.id} for k in new])
                           .on_conflict_do_nothing())
        _upsert_counts(new, +1)


def _customer_keys(batch: int):
    """(customer_id, keys) of every customer not merged away, in batches of consecutive ids
    (phones and addresses fetched by id range, not by long IN lists)."""
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Customer.id, Party.name, Party.organisation, Party.city, Party.national_id)
            .join(Party, Party.id == Customer.party_id)
            .where(Customer.id > last_id, Party.merged_into_id.is_(None))
            .order_by(Customer.id).limit(batch)).all()
        if not rows:
            return
        upto = rows[-1][0]
        in_batch = (Customer.id > last_id) & (Customer.id <= upto)
        phones: dict[int, list[str]] = {}
        for cid, e164 in db.session.execute(select(Customer.id, PartyPhone.e164).join(
                Customer, Customer.party_id == PartyPhone.party_id).where(in_batch)):
            phones.setdefault(cid, []).append(e164)
        addresses: dict[int, list[str]] = {}
        for cid, address in db.session.execute(select(Customer.id, PartyAddress.address).join(
                Customer, Customer.party_id == PartyAddress.party_id).where(in_batch)):
            addresses.setdefault(cid, []).append(address)
        yield [(cid, party_keys(name, org, city, phones.get(cid, []), nid, addresses.get(cid, [])))
               for cid, name, org, city, nid in rows]
        last_id = upto


_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def rebuild_all(batch: int = 5000) -> int:
    """Recompute the whole index (after an import or a change of the key rules).

    Bulk path: the key rows are streamed in batches (PostgreSQL `COPY`, SQLite `executemany`
    on the driver's cursor) into the emptied table with its secondary index — and on
    PostgreSQL its primary key and foreign key — dropped, then those are rebuilt in one pass
    and the counts are one `GROUP BY`; memory stays flat whatever the number of customers.
    One transaction, committed at the end; the index tables are locked meanwhile (minutes at
    a million customers: run it after an import, not at the busiest hour)."""
    table = MatchKey.__table__
    pg = db.session.get_bind().dialect.name == "postgresql"
    raw = db.session.connection().connection.driver_connection
    dropped = list(table.indexes)
    if pg:
        db.session.execute(text("TRUNCATE crm_match_keys, crm_match_key_counts"))
        db.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        db.session.execute(text("SET LOCAL work_mem = '128MB'"))
        dropped += [table.primary_key, *table.foreign_key_constraints]
    else:
        db.session.execute(delete(MatchKey))
        db.session.execute(delete(MatchKeyCount))
    for item in dropped:
        db.session.execute(DropIndex(item) if isinstance(item, Index) else DropConstraint(item))
    done = 0
    cursor = raw.cursor()
    for rows in _customer_keys(batch):
        if pg:
            data = "".join(f"{key.translate(_COPY_ESCAPE)}\t{cid}\n" for cid, keys in rows for key in keys)
            with cursor.copy("COPY crm_match_keys (key, customer_id) FROM STDIN") as copy:
                copy.write(data)
        else:
            cursor.executemany("INSERT INTO crm_match_keys (key, customer_id) VALUES (?, ?)",
                               [(key, cid) for cid, keys in rows for key in keys])
        done += len(rows)
    for item in reversed(dropped):
        db.session.execute(CreateIndex(item) if isinstance(item, Index) else AddConstraint(item))
    db.session.execute(text("INSERT INTO crm_match_key_counts (key, n) "
                            "SELECT key, COUNT(*) FROM crm_match_keys GROUP BY key"))
    db.session.commit()
    return done


PG_CANDIDATES_SQL = """
WITH q AS (
    SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:masks AS bigint[]), CAST(:words AS integer[]))
    AS q(key, mask, words)),
k AS (
    SELECT q.key, q.mask, q.words, c.n, q.mask = 0 AS exact
    FROM q JOIN crm_match_key_counts c ON c.key = q.key WHERE c.n > 0),
r AS (
    SELECT *, SUM(CASE WHEN exact THEN 0 ELSE n END) OVER (ORDER BY exact DESC, n, key COLLATE "C") AS run
    FROM k WHERE exact OR n <= :cap),
h AS (
    SELECT m.customer_id, r.mask,
           MAX(CASE WHEN r.exact THEN :exact_weight ELSE r.words * 0.001 * (1 + ln(CAST(:cap AS float8) / r.n)) END) AS w
    FROM r JOIN crm_match_keys m ON m.key = r.key
    WHERE r.exact OR r.run <= :budget
    GROUP BY m.customer_id, r.mask)
SELECT customer_id, SUM(w) AS w FROM h GROUP BY customer_id ORDER BY w DESC, customer_id LIMIT :limit"""
_PG_CANDIDATES = text(PG_CANDIDATES_SQL)


def _lookup(keys) -> dict[str, int]:
    if isinstance(keys, dict):
        return keys
    return {k: (0 if k[:2] in EXACT else 1 << (i % 62)) for i, k in enumerate(sorted(keys))}


def _strength(keys: dict[str, int], key: str) -> float:
    """Words' worth a key explains (`match_keys.QueryKeys`), else the number of its words."""
    strength = getattr(keys, "strength", None)
    return strength[key] if strength and key in strength else float(max(1, keys[key].bit_count()))


def pg_params(keys, max_key_count: int, limit: int) -> dict:
    """The bound values of `PG_CANDIDATES_SQL` (also used inside a larger statement)."""
    keys = _lookup(keys)
    names = list(keys)
    # Strengths in thousandths of a word: the array stays integers, as batch callers build it.
    return {"keys": names, "masks": [keys[k] for k in names],
            "words": [round(1000 * _strength(keys, k)) for k in names],
            "cap": max_key_count, "budget": POSTINGS_BUDGET, "exact_weight": EXACT_WEIGHT, "limit": limit}


def candidates(keys, max_key_count: int, limit: int = 40) -> list[tuple[int, float]]:
    """(customer_id, weight) of the customers whose keys best explain the candidate, best
    first. `keys` maps each look-up key to the words it stands for (a bit mask, 0 for a phone
    or national ID; a plain set of keys counts each as one word of its own), and a
    `QueryKeys` also to how much of those words it explains (its strength).

    Exact phone and national-ID keys are always used; name and address keys only when no
    more than `max_key_count` customers share them, rarest first, until `POSTINGS_BUDGET`
    rows. A key weighs its strength × (1 + ln(max_key_count / n)); a customer scores,
    for each group of words, its best key in that group — so ten keys of one rare word
    count once, and a pair of words in the same city counts for both. PostgreSQL does it in
    one statement; SQLite (in process, no round trips) through `Candidates`."""
    if not keys:
        return []
    keys = _lookup(keys)
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(_PG_CANDIDATES, pg_params(keys, max_key_count, limit)).all()
        return [(r[0], float(r[1])) for r in rows]
    return Candidates(max_key_count).many([keys], limit)[0]


class Candidates:
    """`candidates` for many checks (a file import), the same answers with the database asked
    two questions per batch instead of one statement per check: the counts of every key of
    the batch, then the postings of the keys chosen; the weights are added up here. Counts
    and postings are kept between batches (the index does not change while a file is
    checked), up to `KEEP` keys of each."""

    KEEP = 400_000

    def __init__(self, max_key_count: int):
        self.cap = max_key_count
        self.counts: dict[str, int] = {}
        self.postings: dict[str, list[int]] = {}
        self.pg = db.session.get_bind().dialect.name == "postgresql"

    def many(self, key_sets: list, limit: int) -> list[list[tuple[int, float]]]:
        lookups = [_lookup(keys) if keys else {} for keys in key_sets]
        self._load(self.counts, {k for keys in lookups for k in keys}, self._COUNTS, 0)
        chosen = [self._choose(keys) for keys in lookups]
        self._load(self.postings, {k for row in chosen for k, _mask, _w in row}, self._POSTINGS, None)
        return [self._best(row, limit) for row in chosen]

    def _choose(self, keys: dict) -> list[tuple[str, int, float]]:
        """(key, mask, weight) of the keys used, as `PG_CANDIDATES_SQL` picks them."""
        counts = self.counts
        present = [(counts[k], k) for k in keys if counts[k] > 0]
        chosen = [(k, 0, EXACT_WEIGHT) for _n, k in present if keys[k] == 0]
        budget = POSTINGS_BUDGET
        for n, key in sorted(x for x in present if keys[x[1]] != 0 and x[0] <= self.cap):
            if n > budget:
                break
            # Strength in thousandths of a word, as the statement gets it (the same weights).
            chosen.append((key, keys[key], round(1000 * _strength(keys, key)) / 1000 * (1.0 + math.log(self.cap / n))))
            budget -= n
        return chosen

    def _best(self, chosen, limit: int) -> list[tuple[int, float]]:
        best: dict[tuple[int, int], float] = {}
        for key, mask, weight in chosen:
            for cid in self.postings[key]:
                if best.get((cid, mask), -1.0) < weight:
                    best[(cid, mask)] = weight
        totals: dict[int, float] = {}
        for (cid, _mask), weight in best.items():
            totals[cid] = totals.get(cid, 0.0) + weight
        return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]

    # PostgreSQL: one index probe per key (LATERAL … OFFSET 0 keeps the planner from hashing
    # the whole table: tens of thousands of keys, nearly all absent, are probed in ~70 ms).
    _COUNTS = ("SELECT q.key, c.n FROM unnest(CAST(:keys AS text[])) AS q(key) CROSS JOIN LATERAL "
               "(SELECT n FROM crm_match_key_counts c WHERE c.key = q.key OFFSET 0) c",
               "SELECT key, n FROM crm_match_key_counts WHERE key IN ({marks})")
    _POSTINGS = ("SELECT q.key, m.customer_id FROM unnest(CAST(:keys AS text[])) AS q(key) CROSS JOIN LATERAL "
                 "(SELECT customer_id FROM crm_match_keys m WHERE m.key = q.key OFFSET 0) m",
                 "SELECT key, customer_id FROM crm_match_keys WHERE key IN ({marks})")

    def _load(self, cache: dict, wanted: set[str], sql: tuple[str, str], absent) -> None:
        """Read what `cache` lacks of `wanted` (a count, absent 0; postings, absent none)."""
        if len(cache) + len(wanted) > self.KEEP:
            cache.clear()
        missing = sorted(k for k in wanted if k not in cache)
        if not missing:
            return
        for key in missing:
            cache[key] = [] if absent is None else absent
        if self.pg:
            rows = db.session.execute(text(sql[0]), {"keys": pg_array(missing)}).tuples().all()
        else:
            cursor = db.session.connection().connection.driver_connection.cursor()
            rows = []
            for i in range(0, len(missing), 500):
                part = missing[i:i + 500]
                rows += cursor.execute(sql[1].format(marks=",".join("?" * len(part))), part).fetchall()
        if absent is None:
            for key, value in rows:
                cache[key].append(value)
        else:
            cache.update(rows)

