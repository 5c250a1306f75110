"""Duplicate detection at scale: recall, precision and latency of one check with the blocking
index (`find_duplicates`), against a full rapidfuzz scan of every customer and PostgreSQL
pg_trgm, on synthetic Iranian customers and a labelled set of rewritten duplicates and
near-misses (`bench/dedupe_data.py`).

    .venv/bin/python bench/dedupe.py --db postgresql --customers 10000 100000 1000000
    .venv/bin/python bench/dedupe.py --db sqlite --customers 10000 100000

Each step runs in its own process so that its peak RSS is its own: generating the data, building
the index (`match_index.rebuild_all`), the checks through the index, the full scan and pg_trgm.
Databases are `peyvand_bench_dedupe_<N>` on PostgreSQL and files under
`/tmp/peyvand_bench_dedupe/` for SQLite; `--reuse` keeps an existing one (same N and seed) and
skips generating it again, `--drop` removes it at the end.

Recall: positives whose true customer is among the returned matches. Precision: returned
matches that are the true customer, over every match returned for every query (positives and
near-misses). Latency: wall time of one `find_duplicates` call inside a request context (settings
read once, as in a request), p50 and p95 over every query of the labelled set after a warm-up.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import create_engine, text  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
WORK = "/tmp/peyvand_bench_dedupe"
HERE = os.path.abspath(__file__)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def db_name(n: int) -> str:
    return f"peyvand_bench_dedupe_{n}"


def url_for(kind: str, n: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{WORK}/sqlite-{n}/bench.db"
    return PG + db_name(n)


def workdir(kind: str, n: int) -> str:
    path = os.path.join(WORK, f"{kind}-{n}")
    os.makedirs(path, exist_ok=True)
    return path


def make_app(url: str):
    from core.app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tempfile.mkdtemp(prefix="dedupe-inst-"),
                       "TESTING": True})


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * len(values) + 0.5)) - 1))]


def quality(queries, results) -> dict:
    """Recall over positives; precision over every returned match; per-group recall."""
    tp = returned = pos = found = 0
    groups: dict[str, list[int]] = {}
    neg_hits = 0
    for q, ids in zip(queries, results):
        returned += len(ids)
        if q["label"] == "positive":
            pos += 1
            hit = q["truth"] in ids
            found += hit
            tp += ids.count(q["truth"])
            groups.setdefault(q["group"], [0, 0])
            groups[q["group"]][0] += hit
            groups[q["group"]][1] += 1
        else:
            neg_hits += bool(ids)
            groups.setdefault("neg: " + q["group"], [0, 0])
            groups["neg: " + q["group"]][0] += bool(ids)
            groups["neg: " + q["group"]][1] += 1
    negs = len(queries) - pos
    return {"recall": found / pos if pos else float("nan"),
            "precision": tp / returned if returned else 1.0,
            "returned": returned, "positives": pos, "negatives": negs,
            "negatives_with_a_match": neg_hits,
            "groups": {g: f"{a}/{b}" for g, (a, b) in sorted(groups.items())}}


# --- steps (each in its own process) -----------------------------------------------------------

def step_generate(args) -> dict:
    from bench import dedupe_data
    from core import migrate
    from core.db import db

    app = make_app(args.url)
    with app.app_context():
        migrate.upgrade(app)
        t = time.perf_counter()
        gen, make = dedupe_data.generate(args.n, seed=args.seed)
        t_gen = time.perf_counter() - t
        t = time.perf_counter()
        dedupe_data.load(gen)
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        queries = dedupe_data.labelled_set(gen, make, positives=args.positives, negatives=args.negatives,
                                           seed=args.seed + 12)
        t_label = time.perf_counter() - t
        db.engine.dispose()
    with open(os.path.join(args.work, "queries.json"), "w") as f:
        json.dump(queries, f, ensure_ascii=False)
    meta = {"n": args.n, "seed": args.seed, "positives": args.positives, "negatives": args.negatives}
    with open(os.path.join(args.work, "meta.json"), "w") as f:
        json.dump(meta, f)
    people = sum(c.kind == "person" for c in gen.customers)
    return {"generate_s": t_gen, "load_s": t_load, "label_s": t_label, "people": people,
            "companies": args.n - people, "rss_mb": rss_mb()}


def index_size(db) -> dict:
    tables = ("crm_match_keys", "crm_match_key_counts")
    if db.engine.dialect.name == "postgresql":
        sizes = {t: db.session.scalar(text(f"SELECT pg_total_relation_size('{t}')")) for t in tables}
    else:
        try:
            rows = db.session.execute(text(
                "SELECT tbl_name, SUM(pgsize) FROM dbstat JOIN sqlite_master ON dbstat.name = sqlite_master.name "
                "WHERE tbl_name IN ('crm_match_keys', 'crm_match_key_counts') GROUP BY tbl_name")).all()
            sizes = {name: size for name, size in rows}
        except Exception:  # SQLite built without dbstat
            sizes = {}
    rows = {t: db.session.scalar(text(f"SELECT COUNT(*) FROM {t}")) for t in tables}
    return {"index_bytes": sum(sizes.values()) if sizes else None, "index_tables": sizes, "index_rows": rows}


def step_index(args) -> dict:
    from core.db import db
    from plugins.crm.services import match_index

    app = make_app(args.url)
    with app.app_context():
        sqlite_file = args.url.removeprefix("sqlite:///") if args.url.startswith("sqlite") else None
        before = os.path.getsize(sqlite_file) if sqlite_file else 0
        rss_before = rss_mb()
        t = time.perf_counter()
        done = match_index.rebuild_all()
        seconds = time.perf_counter() - t
        rss_after = rss_mb()
        if db.engine.dialect.name == "postgresql":
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE crm_match_keys"))
                conn.execute(text("VACUUM ANALYZE crm_match_key_counts"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        out = {"customers": done, "build_s": seconds, "rss_before_mb": rss_before, "rss_mb": rss_after,
               **index_size(db)}
        if sqlite_file:
            out["file_growth_bytes"] = os.path.getsize(sqlite_file) - before
            if out["index_bytes"] is None:
                out["index_bytes"] = out["file_growth_bytes"]
        db.engine.dispose()
    return out


def load_queries(work: str) -> list[dict]:
    with open(os.path.join(work, "queries.json")) as f:
        return json.load(f)


def step_query(args) -> dict:
    from core import settings
    from core.db import db
    from plugins.crm.services.duplicates import find_duplicates

    queries = load_queries(args.work)
    app = make_app(args.url)
    results, times = [], []
    rss_before = rss_mb()
    load_start = os.getloadavg()[0]  # the machine is shared: say how busy it was
    # Each check in a fresh request (and so app) context, as a registration would be: the
    # settings are read once per check, the session is closed after it.
    warm = random.Random(1).sample(queries, min(100, len(queries)))
    for q in warm:
        with app.test_request_context():
            find_duplicates(q["data"])
            db.session.remove()
    for q in queries:
        with app.test_request_context():
            t = time.perf_counter()
            matches = find_duplicates(q["data"])
            times.append((time.perf_counter() - t) * 1000)
            db.session.remove()
        results.append([m.customer_id for m in matches])
    # Again, the way a registration request meets it: the request has already used its
    # connection and read the settings (authentication, the form) before it checks — the
    # cost the check adds to the request, and what the full scan below is timed as.
    warm_times = []
    for q in queries:
        with app.test_request_context():
            settings.get("crm.dup_max_key_share")
            t = time.perf_counter()
            find_duplicates(q["data"])
            warm_times.append((time.perf_counter() - t) * 1000)
            db.session.remove()
    with app.app_context():
        db.engine.dispose()
    with open(os.path.join(args.work, "index_results.json"), "w") as f:
        json.dump(results, f)
    return {"p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95), "p99_ms": pct(times, 0.99),
            "warm_p50_ms": pct(warm_times, 0.5), "warm_p95_ms": pct(warm_times, 0.95),
            "warm_mean_ms": statistics.fmean(warm_times),
            "mean_ms": statistics.fmean(times), "checks": len(times), "load_avg": [load_start, os.getloadavg()[0]],
            "rss_before_mb": rss_before,
            "rss_mb": rss_mb(), **quality(queries, results)}


def step_scan(args) -> dict:
    """Baseline (a): no index. Every customer is in memory; one check compares the candidate's
    cleaned name with every customer's cleaned name and organisation title
    (`rapidfuzz.process.extract`, C speed, a loose cut-off of 60) and looks phones and national
    IDs up by equality; whatever passes is scored by the same `score`/`rank` as the index."""
    from rapidfuzz import fuzz, process
    from sqlalchemy import select

    from core.db import db
    from core.models.parties import Party, PartyAddress, PartyPhone
    from plugins.crm.models import Customer
    from plugins.crm.services import duplicates as dup
    from plugins.crm.services.match_keys import comparable_name

    queries = load_queries(args.work)
    sample = list(range(len(queries)))
    if args.scan_sample and args.scan_sample < len(queries):
        sample = sorted(random.Random(3).sample(sample, args.scan_sample))
    app = make_app(args.url)
    with app.app_context():
        t = time.perf_counter()
        parties: dict[int, dup.PartyView] = {}
        by_party: dict[int, int] = {}
        for cid, pid, name, org, city, nid in db.session.execute(
                select(Customer.id, Party.id, Party.name, Party.organisation, Party.city, Party.national_id)
                .join(Party, Party.id == Customer.party_id).where(Party.merged_into_id.is_(None))):
            parties[cid] = dup.PartyView(name, org, city, nid, [], [])
            by_party[pid] = cid
        phone_index: dict[str, list[int]] = {}
        for pid, e164 in db.session.execute(select(PartyPhone.party_id, PartyPhone.e164)):
            cid = by_party.get(pid)
            if cid:
                parties[cid].phones.append(dup.PhoneView(e164))
                phone_index.setdefault(e164, []).append(cid)
        for pid, address in db.session.execute(select(PartyAddress.party_id, PartyAddress.address)):
            cid = by_party.get(pid)
            if cid:
                parties[cid].addresses.append(dup.AddressView(address))
        nid_index: dict[str, list[int]] = {}
        ids, names = [], []
        for cid, p in parties.items():
            if p.national_id:
                nid_index.setdefault(p.national_id, []).append(cid)
            for nm in {comparable_name(p.name), comparable_name(p.organisation)}:
                if nm:
                    ids.append(cid)
                    names.append(nm)
        load_s = time.perf_counter() - t
        rss_loaded = rss_mb()

        def check(data):
            candidate = dup.candidate_from(data)
            if candidate.empty:
                return []
            found: set[int] = set()
            for e164 in candidate.phones:
                found.update(phone_index.get(e164, ()))
            if candidate.national_id:
                found.update(nid_index.get(candidate.national_id, ()))
            for q in {comparable_name(candidate.name), comparable_name(candidate.organisation)}:
                if q:
                    for _nm, _s, pos in process.extract(q, names, scorer=fuzz.token_ratio, score_cutoff=60,
                                                        limit=None):
                        found.add(ids[pos])
            return dup.rank(candidate, [(cid, parties[cid]) for cid in found])

        results, times = [], []
        load_start = os.getloadavg()[0]
        chosen = [queries[i] for i in sample]
        with app.test_request_context():
            for q in chosen:
                t = time.perf_counter()
                matches = check(q["data"])
                times.append((time.perf_counter() - t) * 1000)
                results.append([m.customer_id for m in matches])
        db.engine.dispose()
    return {"p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95), "mean_ms": statistics.fmean(times),
            "checks": len(times), "sampled": len(sample) < len(queries), "load_s": load_s,
            "load_avg": [load_start, os.getloadavg()[0]],
            "rss_loaded_mb": rss_loaded, "rss_mb": rss_mb(), **quality(chosen, results)}


def step_trgm(args) -> dict:
    """Baseline (b): PostgreSQL pg_trgm. The cleaned name (titles and legal forms dropped, the
    same cleaning as ours) of every customer and organisation title in a table with a GIN
    trigram index; one check is one `%` query ordered by `similarity()` (top 10), plus phones
    and national IDs by equality. Reported for two decision thresholds on the similarity."""
    from sqlalchemy import bindparam

    from core.db import db
    from plugins.crm.services.duplicates import candidate_from
    from plugins.crm.services.match_keys import comparable_name

    queries = load_queries(args.work)
    app = make_app(args.url)
    with app.app_context():
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.session.execute(text("DROP TABLE IF EXISTS dedupe_trgm"))
        db.session.execute(text("CREATE TABLE dedupe_trgm (customer_id integer NOT NULL, name text NOT NULL)"))
        db.session.commit()
        t = time.perf_counter()
        rows, batch = [], []
        for cid, name, org in db.session.execute(text(
                "SELECT c.id, p.name, p.organisation FROM crm_customers c JOIN parties p ON p.id = c.party_id "
                "WHERE p.merged_into_id IS NULL")):
            for nm in {comparable_name(name), comparable_name(org)}:
                if nm:
                    rows.append({"c": cid, "n": nm})
        ins = text("INSERT INTO dedupe_trgm (customer_id, name) VALUES (:c, :n)")
        for i in range(0, len(rows), 5000):
            db.session.execute(ins, rows[i:i + 5000])
        db.session.commit()
        del rows, batch
        t_fill = time.perf_counter() - t
        t = time.perf_counter()
        db.session.execute(text("SET maintenance_work_mem = '512MB'"))
        db.session.execute(text("CREATE INDEX dedupe_trgm_gin ON dedupe_trgm USING gin (name gin_trgm_ops)"))
        db.session.execute(text("ANALYZE dedupe_trgm"))
        db.session.commit()
        t_index = time.perf_counter() - t
        size = db.session.scalar(text("SELECT pg_total_relation_size('dedupe_trgm')"))
        by_name = text("SELECT customer_id, similarity(name, :q) AS s FROM dedupe_trgm WHERE name % :q "
                       "ORDER BY s DESC LIMIT 10")
        by_phone = text("SELECT c.id FROM party_phones p JOIN crm_customers c ON c.party_id = p.party_id "
                        "WHERE p.e164 IN :phones").bindparams(bindparam("phones", expanding=True))
        by_nid = text("SELECT c.id FROM parties p JOIN crm_customers c ON c.party_id = p.id WHERE p.national_id = :n")
        raw, times = [], []
        for q in queries[:50]:  # warm-up
            candidate = candidate_from(q["data"])
            if comparable_name(candidate.name):
                db.session.execute(by_name, {"q": comparable_name(candidate.name)}).all()
        for q in queries:
            t = time.perf_counter()
            candidate = candidate_from(q["data"])
            exact: list[int] = []
            if candidate.phones:
                exact += db.session.scalars(by_phone, {"phones": list(candidate.phones)}).all()
            if candidate.national_id:
                exact += db.session.scalars(by_nid, {"n": candidate.national_id}).all()
            similar = []
            for nm in {comparable_name(candidate.name), comparable_name(candidate.organisation)}:
                if nm:
                    similar += db.session.execute(by_name, {"q": nm}).all()
            times.append((time.perf_counter() - t) * 1000)
            raw.append((exact, sorted(similar, key=lambda r: -r[1])))
        db.session.rollback()
        out = {"fill_s": t_fill, "index_s": t_index, "index_bytes": size,
               "p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95), "mean_ms": statistics.fmean(times),
               "rss_mb": rss_mb()}
        for threshold in (0.3, 0.5):
            results = []
            for exact, similar in raw:
                ids = list(dict.fromkeys(exact + [cid for cid, s in similar if s >= threshold]))[:10]
                results.append(ids)
            out[f"t{threshold}"] = quality(queries, results)
        db.engine.dispose()
    return out


STEPS = {"generate": step_generate, "index": step_index, "query": step_query, "scan": step_scan, "trgm": step_trgm}


# --- orchestration -----------------------------------------------------------------------------

def run_step(step: str, kind: str, n: int, args) -> dict:
    cmd = [sys.executable, HERE, "--step", step, "--url", url_for(kind, n), "--work", workdir(kind, n),
           "--n", str(n), "--seed", str(args.seed), "--positives", str(args.positives),
           "--negatives", str(args.negatives), "--scan-sample", str(scan_sample(args, n))]
    t = time.perf_counter()
    for attempt in range(10):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        # Other people edit the tree while this runs: a module caught half-written fails the
        # import before the step has done anything, so it is safe to try again a bit later.
        if proc.returncode == 0 or not any(e in proc.stderr for e in ("ImportError", "ModuleNotFoundError",
                                                                        "SyntaxError", "IndentationError")):
            break
        print(f"  {step}: import failed, retrying in 60 s", file=sys.stderr, flush=True)
        time.sleep(60)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"step {step} failed ({kind}, {n})")
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    out = json.loads(line[7:])
    out["wall_s"] = time.perf_counter() - t
    print(f"  {step}: {json.dumps(out, ensure_ascii=False)}", file=sys.stderr, flush=True)
    return out


def scan_sample(args, n: int) -> int:
    if args.scan_sample is not None:
        return args.scan_sample
    return 0 if n <= 10_000 else 300 if n <= 100_000 else 50


def prepare(kind: str, n: int, args) -> bool:
    """Create an empty database, or keep the one there if --reuse and it matches."""
    work = workdir(kind, n)
    meta_path = os.path.join(work, "meta.json")
    if args.reuse and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta == {"n": n, "seed": args.seed, "positives": args.positives, "negatives": args.negatives}:
            if kind == "sqlite" and os.path.exists(os.path.join(work, "bench.db")):
                return False
            if kind == "postgresql" and database_exists(db_name(n)):
                return False
    if os.path.exists(meta_path):
        os.remove(meta_path)
    if kind == "sqlite":
        path = os.path.join(work, "bench.db")
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        drop_database(db_name(n))
        admin = create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name(n)}"'))
        admin.dispose()
    return True


def database_exists(name: str) -> bool:
    admin = create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    admin.dispose()
    return bool(found)


def drop_database(name: str) -> None:
    assert name.startswith("peyvand_bench_dedupe")
    admin = create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def mb(value) -> str:
    return "–" if value is None else f"{value / 1e6:,.0f}"


def report(kind: str, n: int, res: dict) -> list[str]:
    lines = []
    idx, build = res.get("query"), res.get("index")
    scan, trgm = res.get("scan"), res.get("trgm")
    if idx:
        lines.append(f"| {kind} | {n:,} | index (`find_duplicates`) | {idx['recall']:.3f} | {idx['precision']:.3f} | "
                     f"{idx['p50_ms']:.1f} | {idx['p95_ms']:.1f} | {build['build_s']:.0f} s | "
                     f"{mb(build['index_bytes'])} MB, {build['index_rows']['crm_match_keys']:,} keys | "
                     f"{build['rss_mb']:.0f} / {idx['rss_mb']:.0f} MB |")
        if "warm_p50_ms" in idx:
            lines.append(f"| {kind} | {n:,} | index, settings already read in the request | ″ | ″ | "
                         f"{idx['warm_p50_ms']:.1f} | {idx['warm_p95_ms']:.1f} | | | |")
    if scan:
        sampled = f" ({scan['checks']} sampled)" if scan["sampled"] else ""
        lines.append(f"| {kind} | {n:,} | full rapidfuzz scan{sampled} | {scan['recall']:.3f} | {scan['precision']:.3f} | "
                     f"{scan['p50_ms']:.0f} | {scan['p95_ms']:.0f} | load {scan['load_s']:.0f} s | in memory | "
                     f"{scan['rss_mb']:.0f} MB |")
    if trgm:
        for t in ("0.3", "0.5"):
            q = trgm[f"t{t}"]
            lines.append(f"| {kind} | {n:,} | pg_trgm, similarity ≥ {t} | {q['recall']:.3f} | {q['precision']:.3f} | "
                         f"{trgm['p50_ms']:.1f} | {trgm['p95_ms']:.1f} | {trgm['fill_s'] + trgm['index_s']:.0f} s | "
                         f"{mb(trgm['index_bytes'])} MB | {trgm['rss_mb']:.0f} MB |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--positives", type=int, default=1000)
    parser.add_argument("--negatives", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scan-sample", type=int, default=None,
                        help="queries for the full scan (default: all up to 10,000 customers, 300 up to 100,000, else 50; 0 = all)")
    parser.add_argument("--skip", nargs="*", default=[], choices=("scan", "trgm"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing database with the same N and seed")
    parser.add_argument("--no-rebuild", action="store_true", help="with --reuse: keep the index too")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    # internal: one step in this process
    parser.add_argument("--step", choices=STEPS)
    parser.add_argument("--url")
    parser.add_argument("--work")
    parser.add_argument("--n", type=int)
    args = parser.parse_args()

    if args.step:
        out = STEPS[args.step](args)
        print("RESULT " + json.dumps(out, ensure_ascii=False))
        return

    print(f"# bench/dedupe.py --db {args.db} --customers {' '.join(map(str, args.customers))}", flush=True)
    table = ["| backend | N | method | recall | precision | p50 ms | p95 ms | build | index size | peak RSS (build / checks) |",
             "|---|---:|---|---:|---:|---:|---:|---:|---|---:|"]
    details = []
    for n in args.customers:
        res: dict[str, dict] = {}
        print(f"## {args.db}, {n:,} customers", file=sys.stderr, flush=True)
        fresh = prepare(args.db, n, args)
        if fresh:
            res["generate"] = run_step("generate", args.db, n, args)
        if fresh or not args.no_rebuild:
            res["index"] = run_step("index", args.db, n, args)
        else:
            res["index"] = json.load(open(os.path.join(workdir(args.db, n), "index.json")))
        with open(os.path.join(workdir(args.db, n), "index.json"), "w") as f:
            json.dump(res["index"], f)
        res["query"] = run_step("query", args.db, n, args)
        if "scan" not in args.skip:
            res["scan"] = run_step("scan", args.db, n, args)
        if "trgm" not in args.skip and args.db == "postgresql":
            res["trgm"] = run_step("trgm", args.db, n, args)
        with open(os.path.join(workdir(args.db, n), "results.json"), "w") as f:
            json.dump(res, f, ensure_ascii=False, indent=1)
        table += report(args.db, n, res)
        if res.get("scan"):
            scan, idx = res["scan"], res["query"]
            how = (f"the full scan timed on a random sample of {scan['checks']} of the {idx['checks']} queries "
                   "(an estimate; its recall and precision are of that sample)" if scan["sampled"]
                   else "every query for both")
            details.append(f"- {args.db}, {n:,}: index vs full scan: {scan['p50_ms'] / idx['p50_ms']:,.0f}× faster at "
                           f"p50, {scan['p95_ms'] / idx['p95_ms']:,.0f}× at p95, {scan['mean_ms'] / idx['mean_ms']:,.0f}× "
                           f"in mean ({how})")
        details.append(f"- {args.db}, {n:,}: load average (1 min) during the checks "
                       f"{res['query']['load_avg'][0]:.1f} → {res['query']['load_avg'][1]:.1f} on {os.cpu_count()} CPUs "
                       "(the machine is shared with other work)")
        details.append(f"- {args.db}, {n:,}: recall by group (index): "
                       + ", ".join(f"{g} {v}" for g, v in res["query"]["groups"].items()))
        if args.drop:
            if args.db == "postgresql":
                drop_database(db_name(n))
            else:
                os.remove(os.path.join(workdir(args.db, n), "bench.db"))
        print("\n".join(table[-len(report(args.db, n, res)):]), file=sys.stderr, flush=True)
    print("\n".join(table))
    print()
    print("\n".join(details))


if __name__ == "__main__":
    main()
