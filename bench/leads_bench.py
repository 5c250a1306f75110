"""Leads at scale: importing 100,000 leads (with the duplicate checks) and the kanban board with
10,000 open opportunities.

    .venv/bin/python bench/leads_bench.py --db postgresql
    .venv/bin/python bench/leads_bench.py --db sqlite
    # the defaults: --customers 100000 --leads 100000 --open-leads 10000 --opportunities 10000

It builds a fresh database (PostgreSQL: `peyvand_bench_leads`): customers from `bench/crm_data.py`
(one negotiation each) with the duplicate index rebuilt (`match_index.rebuild_all`), some open leads
already in the queue, then a CSV of N leads written to the upload folder as the import wizard
stores it. The file is a realistic mix: mostly new people (common Persian names, new mobiles, some
landlines, e-mails, need levels, Jalali and Gregorian dates), about 4 % of existing customers
(their mobile, sometimes their name spelt differently), 2 % of open leads again, 2 % repeated
within the file, 2 % with a bad phone or need level.

Import: the real service, the path of the UI: `lead_import.evaluate` over the whole file (the
preview step: every row cleaned and checked for duplicates against customers and open leads),
then `lead_import.run` (the import button: evaluates again, writes the valid rows and the error
report in one transaction). Rows/s = data rows of the file / wall time of that step.

Wall time includes the database's work; "app CPU" is this process's CPU time only (the Python side:
parsing, cleaning, key generation, scoring, the ORM), which on a shared machine tells how much of
the wall time was waiting for a CPU.

Board: `/crm/opportunities/board` through the Flask test client (server time: query and render),
median and p95 of several runs after a warm-up, for an administrator (all offices), an office
manager and a rep, and a search. Targets (issue 5): import at least 2,000 rows/s, the board under
300 ms.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select, text, update  # noqa: E402

from bench.common import database  # noqa: E402
from bench.common import login as bench_login  # noqa: E402

DB_NAME = "peyvand_bench_leads"

FIRST = ["محمد", "علی", "حسین", "رضا", "مهدی", "امیر", "سعید", "فاطمه", "زهرا", "مریم", "سمیه", "نرگس", "کاوه",
         "بهرام", "نازنین", "پریسا", "الهام", "مجید", "حمید", "رسول", "شیرین", "آرش", "بابک", "لیلا", "سارا", "نیما",
         "پویا", "یاسمن", "مهسا", "فرهاد", "کامران", "هانیه", "امید", "جواد", "صادق", "مرتضی", "ناصر", "طاهره"]
LAST = ["احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "قاسمی", "نوری",
        "غفاری", "امین‌فر", "رسول‌نژاد", "تهرانی", "شیرازی", "اصفهانی", "کاظمی", "یزدانی", "باقری", "نجفی", "عباسی",
        "فرهادی", "سلطانی", "مرادی", "حیدری", "زمانی", "اکبری", "شریفی", "ملکی", "طاهری", "بهرامی", "کرمانی"]
ORGS = ["", "", "", "", "صنایع چوب البرز", "رنگ و رزین کاوه", "بازرگانی پارس", "فولاد نوین", "تجهیزات پزشکی آریا"]
ROOTS = ["احمد", "محمد", "حسین", "رضا", "کریم", "موسو", "جعفر", "صادق", "رحیم", "قاسم", "نور", "غفار", "امین",
         "رسول", "تهران", "شیراز", "کاظم", "یزدان", "باقر", "نجف", "عباس", "فرهاد", "سلطان", "مراد", "حیدر",
         "زمان", "اکبر", "شریف", "ملک", "طاهر", "بهرام", "کرمان", "کیان", "مهر", "نیک", "بهار", "آذر", "شاه",
         "ایزد", "جهان", "روشن", "خسرو", "ستوده", "پاک", "دل", "فرخ", "همت", "سپهر", "مشفق", "توکل", "فاضل",
         "منصور", "ناصر", "یوسف", "اسد", "جلال", "کمال", "امیر", "سهراب", "افشار", "قربان", "حبیب", "لطف"]
SUFFIXES = ["ی", "ی", "ی", "پور", "زاده", "نژاد", "فر", "نیا", "راد", "منش", "وند", "کیا", "لو", "ان", "خانی", "آبادی"]
CITIES = ["تهران", "تهران", "تهران", "اصفهان", "شیراز", "مشهد", "تبریز", "کرج"]
NEEDS = ["کم", "متوسط", "زیاد", "", "high", "low"]


def timed(client, path: str, runs: int = 15) -> tuple[float, float, int, int]:
    first = client.get(path)  # warm-up
    samples = []
    status = first.status_code
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t) * 1000)
        status = response.status_code
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    return statistics.median(samples), p95, status, len(first.data)


def person(rng) -> str:
    """A plausible Persian name: a first name (sometimes two), a surname of a root and a suffix."""
    first = rng.choice(FIRST) + (" " + rng.choice(FIRST) if rng.random() < 0.2 else "")
    return f"{first} {rng.choice(ROOTS)}{rng.choice(SUFFIXES)}"


def _jalali(day: dt.date) -> str:
    from core.jalali import format_date
    from core.persian import to_ascii_digits
    return to_ascii_digits(format_date(day))


def lead_file(path: str, n: int, known: list[tuple[int, str]], open_leads: list[tuple], seed: int = 11) -> dict:
    """Write the CSV the bench imports; returns how many rows of each kind it holds."""
    rng = random.Random(seed)
    today = dt.date.today()
    counts = {"new": 0, "customer": 0, "open_lead": 0, "repeat": 0, "bad": 0}
    written: list[list[str]] = []
    header = ["نام و نام خانوادگی", "شرکت", "موبایل", "تلفن", "ایمیل", "شهر", "سطح نیاز", "تاریخ ثبت", "توضیحات"]
    for i in range(n):
        roll = rng.random()
        city = rng.choice(CITIES)
        created = today - dt.timedelta(days=rng.randint(0, 400))
        date = _jalali(created) if rng.random() < 0.6 else created.isoformat()
        need = rng.choice(NEEDS)
        notes = rng.choice(["", "", "از نمایشگاه", "تماس مجدد هفتهٔ بعد", "قیمت خواسته"])
        if roll < 0.04 and known:  # an existing customer: the same mobile, name or both
            cid, cname = rng.choice(known)
            kind = rng.random()
            mobile = f"0912{cid:07d}" if kind < 0.67 else f"0937{i:07d}"
            row = [cname if kind >= 0.33 else person(rng), "", mobile, "", "", "تهران", need, date, notes]
            counts["customer"] += 1
        elif roll < 0.06 and open_leads:  # an open lead again
            name, mobile, lcity = rng.choice(open_leads)
            row = [name, "", mobile, "", "", lcity, need, date, notes]
            counts["open_lead"] += 1
        elif roll < 0.08 and written:  # a row repeated within the file
            row = list(rng.choice(written))
            counts["repeat"] += 1
        elif roll < 0.10:  # a bad phone or need level
            name = person(rng)
            row = [name, "", "0912" + str(rng.randint(10, 999)), "", "", city, need, date, notes] if rng.random() < 0.5 \
                else [name, "", f"0935{4_000_000 + i:07d}", "", "", city, "خیلی زیاد", date, notes]
            counts["bad"] += 1
        else:  # a new person or company
            name = person(rng)
            org = rng.choice(ORGS)
            mobile = f"0935{1_000_000 + i:07d}" if rng.random() < 0.85 else ""
            phone = f"021{rng.randint(22000000, 88999999)}" if not mobile or rng.random() < 0.15 else ""
            email = f"lead{i}@example.ir" if rng.random() < 0.3 else ""
            row = [name, org, mobile, phone, email, city, need, date, notes]
            counts["new"] += 1
        written.append(row)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(written)
    return counts


def seed_open_leads(n: int, office_ids: list[int], seed: int = 5) -> list[tuple]:
    """`n` open leads already in the queues (multi-row INSERTs); returns (name, mobile, city) of each."""
    from core.db import db
    from core.jalali import utcnow
    from core.persian import normalize
    from plugins.crm.models import Lead
    rng = random.Random(seed)
    now = utcnow()
    rows, out = [], []
    for i in range(n):
        name = person(rng)
        city = rng.choice(CITIES)
        mobile = f"0936{i:07d}"
        rows.append(dict(channel="web_form", status="new", need_level="medium", office_id=rng.choice(office_ids),
                         kind="person", name=name, organisation="", phone="", mobile=mobile, phone_e164=None,
                         mobile_e164=f"+98936{i:07d}", email="", city=city, notes="", score=0,
                         search_key=normalize(f"{name} "), disqualify_note="", source_ip="", created_at=now,
                         updated_at=now))
        out.append((name, mobile, city))
    for i in range(0, len(rows), 5000):
        db.session.execute(insert(Lead.__table__), rows[i:i + 5000])
    db.session.commit()
    return out


def open_opportunities(n: int, seed: int = 3) -> int:
    """Leave exactly `n` negotiations open (inside their window), spread over the default
    pipeline's stages with values, forecasts and priorities; close the other open ones."""
    from core.db import db
    from core.jalali import utcnow
    from plugins.crm.models import Negotiation
    from plugins.crm.services import pipeline as pipeline_service
    rng = random.Random(seed)
    now = utcnow()
    pipeline = pipeline_service.ensure_default()
    db.session.commit()
    stages = [s.id for s in pipeline.stages]
    ids = list(db.session.scalars(select(Negotiation.id).where(Negotiation.status == "negotiating")
                                  .order_by(Negotiation.id)))
    rng.shuffle(ids)
    keep, close = ids[:n], ids[n:]
    for i in range(0, len(close), 5000):
        db.session.execute(update(Negotiation.__table__).where(Negotiation.__table__.c.id.in_(close[i:i + 5000]))
                           .values(status="cut", closed_at=now))
    if len(keep) < n:
        print(f"# only {len(keep):,} open negotiations to work with")
    table = Negotiation.__table__
    for i in range(0, len(keep), 1000):
        part = keep[i:i + 1000]
        rows = []
        for nid in part:
            start = now - dt.timedelta(days=rng.randint(0, 60))
            rows.append(dict(b_id=nid, b_stage=rng.choice(stages + [None]), b_value=rng.randint(1, 5000) * 10_000_000,
                             b_forecast=(now + dt.timedelta(days=rng.randint(5, 200))).date(),
                             b_priority=rng.choice(["high", "normal", "normal", "low"]), b_start=start,
                             b_end=start + dt.timedelta(days=92)))
        from sqlalchemy import bindparam
        db.session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
            stage_id=bindparam("b_stage"), value=bindparam("b_value"), forecast_close=bindparam("b_forecast"),
            priority=bindparam("b_priority"), window_start=bindparam("b_start"),
            window_end=bindparam("b_end")).execution_options(synchronize_session=False),
            rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # as autovacuum would have, after the bulk updates
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE crm_negotiations"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return db.session.scalar(select(func.count(Negotiation.id)).where(
        Negotiation.status == "negotiating", Negotiation.effective_status == "negotiating"))


def _analyze_before_backfill(engine) -> None:
    """`crm_data.build` fills `current_negotiation_id` with a correlated MAX(id) right after
    the bulk inserts; without statistics PostgreSQL walks the primary key backwards for each
    customer (hours at 100,000 with one negotiation each). Analyse the table first."""
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _analyze(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE crm_customers SET current_negotiation_id"):
            cursor.execute("ANALYZE crm_negotiations")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--open-leads", type=int, default=10_000)
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: keep the database of a previous run (its imported leads are deleted)")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-board", action="store_true")
    args = parser.parse_args()

    from bench.crm_data import build
    from core import migrate
    from core.app import create_app
    from core.db import db
    from core.models.org import User
    from plugins.crm.models import Lead, LeadImport
    from plugins.crm.services import lead_import, match_index

    url = database(args.db, DB_NAME, reuse=args.reuse)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tempfile.mkdtemp(), "TESTING": True})
    with app.app_context():
        migrate.upgrade(app)
        t = time.perf_counter()
        from plugins.crm.models import Customer, Negotiation
        if args.reuse and db.session.scalar(select(func.count(Customer.id))):
            db.session.execute(text("DELETE FROM crm_leads WHERE import_id IS NOT NULL"))
            db.session.execute(text("DELETE FROM crm_lead_imports"))
            db.session.execute(text("DELETE FROM users WHERE username = 'benchadmin'"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in ("crm_leads", "crm_negotiations", "audit_entries"):
                    conn.execute(text(f"VACUUM ANALYZE {table}"))
            by_name = dict(db.session.execute(select(User.username, User.id)).all())
            info = {"users": [by_name[f"rep{i}"] for i in range(200)], "managers": [by_name[f"m{i}"] for i in range(10)],
                    "offices": sorted({u.office_id for u in db.session.scalars(select(User))} - {None})}
            indexed = db.session.scalar(select(func.count(func.distinct(text("customer_id")))).select_from(
                text("crm_match_keys")))
            open_leads = [tuple(r) for r in db.session.execute(select(Lead.name, Lead.mobile, Lead.city)
                                                               .where(Lead.import_id.is_(None), Lead.status == "new"))]
            opportunities = db.session.scalar(select(func.count(Negotiation.id)).where(
                Negotiation.status == "negotiating", Negotiation.effective_status == "negotiating"))
        else:
            if args.db == "postgresql":
                _analyze_before_backfill(db.engine)
            info = build(args.customers, args.customers)
            indexed = match_index.rebuild_all()
            open_leads = seed_open_leads(args.open_leads, info["offices"])
            opportunities = open_opportunities(args.opportunities)
            if args.db == "postgresql":
                # What autovacuum does to a live database within a minute of bulk writes (this
                # machine's server runs with autovacuum off): without the visibility map, every
                # look-up in the 2 million duplicate keys reads the table too, and the import
                # runs at a quarter of its speed.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE"))
        print(f"# {args.db}: {args.customers:,} customers ({indexed:,} in the duplicate index), "
              f"{len(open_leads):,} open leads, {opportunities:,} open opportunities; "
              f"{'reused' if args.reuse else 'built'} in {time.perf_counter() - t:.0f} s")
        rep = db.session.get(User, info["users"][0])
        manager = db.session.get(User, info["managers"][0])
        admin = User(username="benchadmin", password_hash="x", session_token="x", first_name="a", last_name="b",
                     is_superuser=True, office_id=info["offices"][0])
        db.session.add(admin)
        db.session.commit()
        viewers = {"rep": rep.get_id(), "manager": manager.get_id(), "admin": admin.get_id()}
        admin_id = admin.id

        if not args.skip_import:
            stored = f"bench-{os.getpid()}.csv"
            path = os.path.join(lead_import.folder(), stored)
            from core.models.parties import Party
            from plugins.crm.models import Customer
            known = db.session.execute(select(Customer.id, Party.name).join(Party, Party.id == Customer.party_id)
                                       .where(Customer.id % 17 == 0)).all()
            counts = lead_file(path, args.leads, [tuple(r) for r in known], open_leads)
            print(f"# file: {args.leads:,} rows ({os.path.getsize(path) / 1e6:.1f} MB): "
                  + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            actor = db.session.get(User, admin_id)
            job = LeadImport(user_id=actor.id, filename="leads.csv", stored_name=stored)
            db.session.add(job)
            db.session.commit()
            mapping = lead_import.guess_mapping(lead_import.headers(job))
            db.session.commit()
            t, cpu = time.perf_counter(), time.process_time()
            results = lead_import.evaluate(job, mapping, actor)
            evaluate_s, evaluate_cpu = time.perf_counter() - t, time.process_time() - cpu
            valid = sum(1 for r in results if not r["errors"])
            reasons: dict[str, int] = {}
            for r in results:
                if r["errors"]:
                    key = r["errors"][0].split("(")[0].split("«")[0].strip() or "phone"
                    reasons[key] = reasons.get(key, 0) + 1
            db.session.rollback()
            job_id = job.id
            t, cpu = time.perf_counter(), time.process_time()
            done = lead_import.run(job_id, mapping, db.session.get(User, admin_id))
            run_s, run_cpu = time.perf_counter() - t, time.process_time() - cpu
            stored_leads = db.session.scalar(select(func.count(Lead.id)).where(Lead.import_id == job_id))
            print(f"# evaluate: {valid:,} valid, {len(results) - valid:,} left out: "
                  + "; ".join(f"{k} {v:,}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])))
            print("| step | rows | wall s | rows/s | app CPU s | rows per app CPU s |")
            print("|---|---:|---:|---:|---:|---:|")
            print(f"| evaluate (preview: clean + duplicate checks) | {args.leads:,} | {evaluate_s:.1f} "
                  f"| {args.leads / evaluate_s:,.0f} | {evaluate_cpu:.1f} | {args.leads / evaluate_cpu:,.0f} |")
            print(f"| run (import: evaluate again + write {done.imported:,} leads, one transaction) | "
                  f"{args.leads:,} | {run_s:.1f} | {args.leads / run_s:,.0f} | {run_cpu:.1f} "
                  f"| {args.leads / run_cpu:,.0f} |")
            assert stored_leads == done.imported == valid, (stored_leads, done.imported, valid)
            print()

    if not args.skip_board:
        client = app.test_client()

        def login(who):
            bench_login(client, viewers[who])

        pages = [
            ("admin", "board, all offices", "/crm/opportunities/board"),
            ("admin", "board, search «احمدی»", "/crm/opportunities/board?q=%D8%A7%D8%AD%D9%85%D8%AF%DB%8C"),
            ("admin", f"board, one owner", f"/crm/opportunities/board?owner={info['users'][0]}"),
            ("manager", "board, office manager", "/crm/opportunities/board"),
            ("rep", "board, rep", "/crm/opportunities/board"),
        ]
        print(f"| kanban page ({opportunities:,} open opportunities) | viewer | median ms | p95 ms | status | KB |")
        print("|---|---|---:|---:|---:|---:|")
        for who, label, path in pages:
            login(who)
            median, p95, status, size = timed(client, path)
            print(f"| {label} | {who} | {median:.0f} | {p95:.0f} | {status} | {size / 1024:.0f} |")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
