"""The managers' dashboard at scale: page loads with the cache cold and warm, and the periodic
refresh job, over 1,000,000 negotiations and 200,000 orders.

    .venv/bin/python bench/dashboard_bench.py --db postgresql
    .venv/bin/python bench/dashboard_bench.py --db sqlite --customers 2000 --negotiations 20000 --orders 4000 --keep

Data: `bench.crm_data.build` (customers, negotiations over four years, points), then with
multi-row INSERTs in batches (no ORM objects, deterministic): opportunity fields on the open
negotiations, orders with lines for won negotiations (growing with time, seasonal), leads,
yellow and red cards, invoices for the orders (paid, partly paid, overdue), products and stock in
every office's warehouse. `--keep` leaves the database (and prints its URL) to run the app on it.

Times are server time: the full Flask request through the test client (query or cache read,
render). Cold: the first load of a view, with nothing cached (the figures are computed through
every plugin's `dashboard_kpis`). Warm: median and p95 of 20 loads after that. Every request
gets a fresh `g` and database session, as in a server (see `fresh_request_state`). Target (issue 9):
under 500 ms warm.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import create_engine, func, insert, select, text, update  # noqa: E402

from bench.common import PG, database  # noqa: E402
from bench.common import login as bench_login  # noqa: E402

DB_NAME = "peyvand_dashboard_bench"


def vacuum_analyse() -> None:
    """Statistics for the planner and, on PostgreSQL, the visibility map: a freshly bulk-loaded
    table has none, so no index-only scan is possible until autovacuum has passed; a database in
    service has been vacuumed. Measure that state, not the minute after a bulk load."""
    from core.db import db
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def existing() -> dict:
    """What `crm_data.build` returns, read back from a kept database (`--reuse`)."""
    from core.db import db
    from core.models.org import Office, User
    from plugins.crm.models import Negotiation
    return {"users": list(db.session.scalars(select(User.id).where(User.username.like("rep%")).order_by(User.id))),
            "managers": list(db.session.scalars(select(User.id).where(User.username.regexp_match("^m[0-9]+$"))
                                                .order_by(User.id))),
            "offices": list(db.session.scalars(select(Office.id).order_by(Office.id))),
            "negotiations": db.session.scalar(select(func.count()).select_from(Negotiation))}


def _bulk(table, rows, size=5000):
    from core.db import db
    for i in range(0, len(rows), size):
        db.session.execute(insert(table), rows[i:i + size])


def _bulk_update(model, rows, size=5000):
    from core.db import db
    for i in range(0, len(rows), size):
        db.session.execute(update(model), rows[i:i + size])


def build_sales(orders: int, leads: int, seed: int = 11) -> dict:
    """Everything the dashboard reads beyond `crm_data.build`'s negotiations."""
    from core.db import db
    from core.jalali import today_tehran, utcnow
    from core.models.org import Office
    from core.models.products import Product
    from plugins.crm.models import Card, Customer, Lead, Negotiation, PointEntry
    from plugins.crm.models.sales import Order, OrderLine
    from plugins.crm.services.pipeline import ensure_default
    from plugins.finance.models import Invoice
    from plugins.inventory.models import ProductStockSetting, Stock, Warehouse

    rng = random.Random(seed)
    now, today = utcnow(), today_tehran()
    stages = [s.id for s in ensure_default().stages]
    db.session.commit()

    # `crm_data` chains a customer's closed negotiations one after another, so some windows start
    # in the future; a dashboard reads periods, so move those into the past (with their points).
    future = db.session.execute(select(Negotiation.id, Negotiation.status).where(Negotiation.window_start > now)).all()
    moved = []
    for nid, status in future:
        start = now - dt.timedelta(days=rng.randint(5, 1400), hours=rng.randint(0, 23))
        end = start + dt.timedelta(days=92)
        moved.append(dict(id=nid, window_start=start, window_end=end, created_at=start,
                          closed_at=None if status == "negotiating" else min(end, now)))
    _bulk_update(Negotiation, moved)
    n = Negotiation.__table__
    for event, column in (("negotiating", n.c.window_start), (None, n.c.closed_at)):
        moment = select(column).where(n.c.id == PointEntry.negotiation_id).scalar_subquery()
        db.session.execute(update(PointEntry).where(
            PointEntry.at > now, PointEntry.event == event if event else PointEntry.event != "negotiating")
            .values(at=func.coalesce(moment, PointEntry.at)).execution_options(synchronize_session=False))
    db.session.commit()

    products = [dict(code=f"B-{i:03d}", name=f"کالای {i}", search_key=f"b-{i:03d}",
                     list_price=(i % 9 + 1) * 5_000_000, cost_price=(i % 9 + 1) * 3_500_000, unit="عدد",
                     tax_class="standard", description="", active=True, created_at=now) for i in range(60)]
    _bulk(Product.__table__, products)
    db.session.commit()
    product_rows = db.session.execute(select(Product.id, Product.list_price, Product.cost_price)).all()
    offices = list(db.session.scalars(select(Office.id).order_by(Office.id)))
    warehouses = [dict(name=f"انبار {i}", code=f"BW{i}", office_id=o, active=True, created_at=now)
                  for i, o in enumerate(offices)]
    _bulk(Warehouse.__table__, warehouses)
    db.session.commit()
    wids = list(db.session.scalars(select(Warehouse.id).order_by(Warehouse.id)))
    _bulk(Stock.__table__, [dict(product_id=p, warehouse_id=w, on_hand=(p * 7 + w * 3) % 40,
                                 reserved=(p + w) % 5 if (p * 7 + w * 3) % 40 >= 5 else 0)
                            for p, _l, _c in product_rows for w in wids])
    _bulk(ProductStockSetting.__table__, [dict(product_id=p, reorder_level=(p % 6) * 10, tracked=p % 15 != 0)
                                          for p, _l, _c in product_rows])
    db.session.commit()

    # The open pipeline: value, stage, probability on some, forecast close around the coming months.
    open_rows = db.session.execute(select(Negotiation.id).where(
        Negotiation.status == "negotiating", Negotiation.window_end > now)).scalars().all()
    _bulk_update(Negotiation, [dict(id=i, value=rng.choice([35, 80, 120, 250, 450, 900]) * 10_000_000,
                                    stage_id=stages[i % len(stages)],
                                    probability=rng.choice([None, None, None, 30, 70]),
                                    forecast_close=today + dt.timedelta(days=rng.randint(-20, 150)))
                               for i in open_rows])
    db.session.commit()

    # Won negotiations: a realistic cycle, then orders confirmed on the day they were won.
    won = db.session.execute(select(Negotiation.id, Negotiation.customer_id, Negotiation.office_id,
                                    Negotiation.window_start).where(Negotiation.status == "won")
                             .order_by(Negotiation.id)).all()
    closed = {}
    updates = []
    for nid, _c, _o, start in won:
        room = min(dt.timedelta(days=85), now - start - dt.timedelta(hours=1))   # won by now, within 85 days
        at = start + room * rng.random()
        closed[nid] = at
        updates.append(dict(id=nid, closed_at=at))
    _bulk_update(Negotiation, updates)
    db.session.commit()
    party_of = dict(db.session.execute(select(Customer.id, Customer.party_id)).all())
    chosen = won if len(won) <= orders else sorted(rng.sample(won, orders))
    order_rows, line_rows, invoice_rows = [], [], []
    oldest = min((closed[n] for n, *_x in chosen), default=now)
    span = max((now - oldest).days, 1)
    line_id = 0
    for k, (nid, customer_id, office_id, _start) in enumerate(chosen, start=1):
        at = closed[nid]
        growth = 1 + 1.5 * (at - oldest).days / span                    # sales grow over the years
        season = 1.25 if at.month in (2, 3) else 1.0                     # the new-year rush
        cancelled = k % 23 == 0
        net_total = cost_total = 0
        for position in range(1 + k % 3):
            pid, price, cost = product_rows[(k * 7 + position) % len(product_rows)]
            qty = 1 + (k + position) % 6
            net = int(price * qty * growth * season) // 1000 * 1000
            line_id += 1
            line_rows.append(dict(id=line_id, order_id=k, position=position, product_id=pid, description="",
                                  quantity=qty, unit_price=net // qty, gross=net, discount=0, net=net, tax_rate=1000,
                                  tax=net // 10, total=net + net // 10, cost_price=cost))
            net_total += net
            cost_total += cost * qty
        tax = net_total // 10
        order_rows.append(dict(id=k, number=k, kind="order", negotiation_id=nid, customer_id=customer_id,
                               office_id=office_id, status="cancelled" if cancelled else "confirmed",
                               allow_partial=False, subtotal=net_total, discount=0, tax=tax, total=net_total + tax,
                               notes="", confirmed_at=at, cancelled_at=at + dt.timedelta(days=2) if cancelled else None,
                               cancel_reason="", created_at=at))
        if not cancelled:
            due = at.date() + dt.timedelta(days=30)
            age = (today - due).days
            paid = net_total + tax if age > 120 or k % 3 == 0 else (0 if k % 3 == 1 else (net_total + tax) // 2)
            invoice_rows.append(dict(kind="invoice", fiscal_year=1400 + k % 7, number=k, order_ref=f"crm.order:{k}",
                                     order_number=k, party_id=party_of[customer_id], office_id=office_id,
                                     issued_at=at, due_date=due, subtotal=net_total, discount=0, tax=tax,
                                     total=net_total + tax, paid=paid, credited=False, created_at=at))
    _bulk(Order.__table__, order_rows)
    db.session.commit()
    _bulk(OrderLine.__table__, line_rows)
    _bulk(Invoice.__table__, invoice_rows)
    db.session.commit()

    # Leads: created over the four years, a third qualified into a negotiation.
    owners = db.session.execute(select(Negotiation.owner_id, Negotiation.office_id).limit(2000)).all()
    lead_rows = []
    for i in range(leads):
        owner, office = owners[i % len(owners)]
        status = rng.choices(["qualified", "new", "assigned", "disqualified"], [35, 25, 20, 20])[0]
        lead_rows.append(dict(channel=rng.choice(["web_form", "phone", "exhibition", "referral"]), status=status,
                              need_level="medium", owner_id=None if i % 17 == 0 else owner, office_id=office,
                              kind="person", name=f"سرنخ {i}", organisation="", phone="", mobile="", email="",
                              city="تهران", notes="", score=0, search_key=f"srnkh {i}", disqualify_note="",
                              source_ip="", created_at=now - dt.timedelta(days=rng.randint(0, 1400))))
    _bulk(Lead.__table__, lead_rows)
    db.session.commit()

    # Cards on some negotiations (the stale sweep's output), dated within their window.
    negs = db.session.execute(select(Negotiation.id, Negotiation.owner_id, Negotiation.window_start)
                              .where(Negotiation.id % 11 == 0)).all()
    _bulk(Card.__table__, [dict(negotiation_id=n, user_id=u, colour="red" if n % 3 == 0 else "yellow",
                                at=s + dt.timedelta(days=20), days=20) for n, u, s in negs])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("products", "inv_warehouses", "crm_orders", "crm_order_lines", "fin_invoices", "crm_leads",
                      "crm_cards"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT MAX(id) FROM {table}))"))
    vacuum_analyse()
    return {"orders": len(order_rows), "lines": len(line_rows), "invoices": len(invoice_rows), "leads": len(lead_rows),
            "open": len(open_rows), "won": len(won)}


def fresh_request_state() -> None:
    """The benchmark holds an app context open around the test client, and a request made inside
    it reuses that context: its `g` (the logged-in user flask-login keeps there, the permission and
    settings caches) and its database session would outlive the request. A server gives every
    request a fresh one: do the same, or a second viewer is served as the first (and warm loads
    read the previous request's caches)."""
    from flask import g
    from core.db import db
    db.session.remove()
    for name in list(vars(g)):
        delattr(g, name)


def get(client, path: str):
    fresh_request_state()
    return client.get(path)


def timed(client, path: str, runs: int = 20) -> tuple[float, float, float, int]:
    """(cold ms, warm median ms, warm p95 ms, status)."""
    t = time.perf_counter()
    response = get(client, path)
    cold = (time.perf_counter() - t) * 1000
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        response = get(client, path)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[max(0, -(-len(samples) * 95 // 100) - 1)]  # nearest rank
    return cold, statistics.median(samples), p95, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--negotiations", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database and print its URL")
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: measure the database a previous `--keep` run left (migrated to the "
                             "current heads, vacuumed), without building it again")
    args = parser.parse_args()

    from bench.crm_data import build
    from core import migrate
    from core.app import create_app
    from core.db import db
    from core.jalali import to_jalali, today_tehran
    from core.models.org import Office, User
    from plugins.crm.models import Negotiation
    from plugins.crm.models.sales import Order
    from plugins.dashboard.models import CacheEntry
    from plugins.dashboard.services.figures import common_views, refresh_common

    url = database(args.db, DB_NAME, reuse=args.reuse)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tempfile.mkdtemp(), "TESTING": True})
    with app.app_context():
        migrate.upgrade(app)
        if args.db == "postgresql":
            # `crm_data.build` ends with a correlated UPDATE of every customer's current negotiation;
            # planned before any ANALYZE, PostgreSQL scans the million negotiations once per customer
            # (hours). Analyse the freshly loaded table right before that statement.
            from sqlalchemy import event

            @event.listens_for(db.engine, "before_cursor_execute")
            def _analyse_first(conn, cursor, statement, parameters, context, executemany):
                if statement.startswith("UPDATE crm_customers SET current_negotiation_id"):
                    cursor.execute("ANALYZE crm_negotiations")
        reused = args.reuse and db.session.scalar(select(func.count()).select_from(Negotiation)) > 0
        if reused:
            info = existing()
            db.session.execute(CacheEntry.__table__.delete())
            vacuum_analyse()
            print(f"# {args.db}: reusing the kept database ({info['negotiations']:,} negotiations), "
                  f"migrated to the current heads, cache emptied, vacuumed")
        else:
            t = time.perf_counter()
            info = build(args.customers, args.negotiations)
            built = time.perf_counter() - t
            t = time.perf_counter()
            sales = build_sales(args.orders, args.leads)
            print(f"# {args.db}: {info['negotiations']:,} negotiations ({args.customers:,} customers) in {built:.0f} s; "
                  f"{sales['orders']:,} orders, {sales['lines']:,} lines, {sales['invoices']:,} invoices, "
                  f"{sales['leads']:,} leads, {sales['open']:,} open opportunities in {time.perf_counter() - t:.0f} s")
        manager = db.session.get(User, info["managers"][0])
        admin = db.session.scalar(select(User).where(User.username == "benchadmin"))
        if admin is None:
            admin = User(username="benchadmin", password_hash="x", session_token="x", first_name="مدیر",
                         last_name="کل", is_superuser=True, office_id=info["offices"][0])
            db.session.add(admin)
            db.session.commit()
        viewers = {"manager": manager.get_id(), "admin": admin.get_id()}
        office = db.session.get(Office, info["offices"][3])
        j = to_jalali(today_tehran())
        print(f"# {db.session.query(Negotiation).count():,} negotiations, {db.session.query(Order).count():,} orders")
        client = app.test_client()

        def login(who):
            fresh_request_state()
            bench_login(client, viewers[who])

        pages = [
            ("admin", "this month, all offices", "/dashboard/"),
            ("admin", f"this year, office «{office.name}»", f"/dashboard/?period=year&office={office.id}"),
            ("admin", "a quarter, one rep", f"/dashboard/?period=quarter&year={j.year}&quarter=1&rep={info['users'][5]}"),
            ("admin", "a custom range of two years", f"/dashboard/?period=custom&start={j.year - 2}/{j.month:02d}/01"
                                                         f"&end={j.year}/{j.month:02d}/01"),
            ("manager", "this month (manager: 20 reps)", "/dashboard/"),
            ("manager", "this year (manager)", "/dashboard/?period=year"),
        ]
        print("\n| view | viewer | cold ms | warm median ms | warm p95 ms | status |")
        print("|---|---|---:|---:|---:|---:|")
        seen_as = {"admin": "همهٔ دفترها", "manager": "شما و زیرمجموعه‌تان"}
        for who, label, path in pages:
            login(who)
            cold, median, worst, status = timed(client, path)
            page = get(client, path).get_data(as_text=True)
            if "office=" not in path and seen_as[who] not in page:  # the page is the viewer's own view
                raise SystemExit(f"{label}: the page was not rendered for {who}")
            print(f"| {label} | {who} | {cold:.0f} | {median:.0f} | {worst:.0f} | {status} |")

        with app.test_request_context():
            views = len(common_views())
        db.session.execute(CacheEntry.__table__.delete())
        db.session.commit()
        t = time.perf_counter()
        computed = refresh_common()
        first = time.perf_counter() - t
        durations = sorted(e.duration_ms for e in db.session.scalars(select(CacheEntry)))
        print(f"\nrefresh job: {computed} views ({views} planned) in {first:.1f} s; per view median "
              f"{statistics.median(durations)} ms, max {durations[-1]} ms")
        login("admin")
        cold, median, worst, status = timed(client, "/dashboard/")
        print(f"after the job, this month (admin): first load {cold:.0f} ms, then median {median:.0f} ms")
        db.session.remove()
        db.engine.dispose()
    if args.keep:
        print(f"\nkept: {url}")
    elif args.db == "postgresql":
        admin_engine = create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin_engine.dispose()


if __name__ == "__main__":
    main()
