"""CRM at scale: list pages, the free pool, report 1 and the expiry sweep.

    .venv/bin/python bench/crm_bench.py --db postgresql --customers 100000 --negotiations 1000000
    .venv/bin/python bench/crm_bench.py --db sqlite --customers 100000 --negotiations 1000000

Times are server time: the full Flask request (query, render) through the test client, median and
p95 of several runs after one warm-up. Targets (issue 3): list pages and report 1 under 200 ms,
the sweep over 1,000,000 negotiations under 10 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, select, text  # noqa: E402

from bench.common import database  # noqa: E402
from bench.common import login as bench_login  # noqa: E402

def timed(client, path: str, runs: int = 7) -> tuple[float, float, int]:
    client.get(path)  # warm-up
    samples = []
    status = 0
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t) * 1000)
        status = response.status_code
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1 if len(samples) > 1 else 0], status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--negotiations", type=int, default=1_000_000)
    parser.add_argument("--reuse", metavar="URL", help="measure an existing bench database again (migrated to "
                        "the latest schema first) instead of building one")
    args = parser.parse_args()

    from bench.crm_data import build
    from core import migrate
    from core.app import create_app
    from core.db import db
    from core.models.org import User
    from plugins.crm.models import Customer, Negotiation
    from plugins.crm.services.negotiations import sweep_expired

    url = args.reuse or database(args.db, "peyvand_bench")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tempfile.mkdtemp(), "TESTING": True})
    with app.app_context():
        migrate.upgrade(app)
        if args.reuse:
            print(f"# {db.engine.dialect.name}: {db.session.scalar(select(func.count(Customer.id))):,} customers, "
                  f"{db.session.scalar(select(func.count(Negotiation.id))):,} negotiations (reused)")
        else:
            t = time.perf_counter()
            info = build(args.customers, args.negotiations)
            print(f"# {args.db}: {args.customers:,} customers, {info['negotiations']:,} negotiations "
                  f"built in {time.perf_counter() - t:.0f} s ({url})")
            db.session.add(User(username="benchadmin", password_hash="x", session_token="x", first_name="a",
                                last_name="b", is_superuser=True))
            db.session.commit()
        # crm_data names them: rep0 (under m0, office 0), m0, and the superuser added above.
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does to a live database after bulk writes (this machine's server
            # runs with autovacuum off): statistics, and the visibility map that lets report 1
            # count from its index alone (unvacuumed, the count of a year seq-scanned: 95 ms, not 45).
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        viewers = {who: db.session.scalar(select(User).where(User.username == name)).get_id()
                   for who, name in (("rep", "rep0"), ("manager", "m0"), ("admin", "benchadmin"))}

    client = app.test_client()

    def login(who):
        bench_login(client, viewers[who])

    pages = [
        ("rep", "my customers", "/crm/customers/my"),
        ("rep", "all customers (office)", "/crm/customers"),
        ("rep", "all customers, search «احمدی»", "/crm/customers?q=%D8%A7%D8%AD%D9%85%D8%AF%DB%8C"),
        ("rep", "all customers, sorted by last activity", "/crm/customers?sort=-activity"),
        ("rep", "free pool", "/crm/pool"),
        ("rep", "free pool, page 50", "/crm/pool?page=50"),
        ("manager", "subordinates' customers", "/crm/customers/team"),
        ("admin", "all customers (all offices)", "/crm/customers"),
        ("admin", "report 1: user negotiation status (this month)", "/crm/reports/status"),
        ("admin", "report 1: a whole year", "/crm/reports/status?start=1404/01/01&end=1404/12/29"),
        ("manager", "report 1 (manager)", "/crm/reports/status"),
    ]
    print("| page | viewer | median ms | p95 ms | status |")
    print("|---|---|---:|---:|---:|")
    for who, label, path in pages:
        login(who)
        median, p95, status = timed(client, path)
        print(f"| {label} | {who} | {median:.0f} | {p95:.0f} | {status} |")

    with app.app_context():
        overdue = db.session.scalar(select(func.count(Negotiation.id)).where(
            Negotiation.status == "negotiating", Negotiation.effective_status == "expired"))
        t = time.perf_counter()
        expired = sweep_expired()
        first = time.perf_counter() - t
        t = time.perf_counter()
        again = sweep_expired()
        second = time.perf_counter() - t
        total = db.session.scalar(select(func.count(Negotiation.id)))
        print(f"\nsweep over {total:,} negotiations: {expired:,} expired (overdue before: {overdue:,}) "
              f"in {first:.2f} s; second run {again} in {second:.2f} s")
        db.engine.dispose()


if __name__ == "__main__":
    main()
