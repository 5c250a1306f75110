"""The duplicate-detection index in the database: maintained when customers are added, edited
or merged; read by `duplicates.find_duplicates` to pick a few dozen candidates out of a
million without scanning them."""
from __future__ import annotations

import math

from sqlalchemy import Index, delete, select, text, update
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from core.db import db, insert_ignore
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
    SELECT *, SUM(CASE WHEN exact THEN 0 ELSE n END) OVER (ORDER BY exact DESC, n, key) AS run
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
    one statement; SQLite (in process, no round trips) in two."""
    if not keys:
        return []
    keys = _lookup(keys)
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(_PG_CANDIDATES, pg_params(keys, max_key_count, limit)).all()
        return [(r[0], float(r[1])) for r in rows]
    # SQLite: the driver's cursor directly — SQLAlchemy's handling of a few hundred bound
    # values costs more than the query.
    cursor = db.session.connection().connection.driver_connection.cursor()
    names = list(keys)
    counts: dict[str, int] = {}
    for i in range(0, len(names), 500):
        part = names[i:i + 500]
        counts.update(cursor.execute(
            f"SELECT key, n FROM crm_match_key_counts WHERE key IN ({','.join('?' * len(part))}) AND n > 0", part))
    chosen = [(k, 0, EXACT_WEIGHT) for k in counts if keys[k] == 0]
    budget = POSTINGS_BUDGET
    for n, key in sorted((n, k) for k, n in counts.items() if keys[k] != 0 and n <= max_key_count):
        if n > budget:
            break
        chosen.append((key, keys[key], _strength(keys, key) * (1.0 + math.log(max_key_count / n))))
        budget -= n
    if not chosen:
        return []
    params = [x for item in chosen for x in item]
    rows = cursor.execute(
        f"WITH v(key, mask, w) AS (VALUES {', '.join(['(?, ?, ?)'] * len(chosen))}), "
        "h AS (SELECT m.customer_id, v.mask, MAX(v.w) AS w FROM v JOIN crm_match_keys m ON m.key = v.key "
        "GROUP BY m.customer_id, v.mask) "
        "SELECT customer_id, SUM(w) AS w FROM h GROUP BY customer_id ORDER BY w DESC, customer_id LIMIT ?",
        params + [limit]).fetchall()
    return [(r[0], float(r[1])) for r in rows]
