"""Inventory under load: order confirmations per second through the real hooks, and the
contention case (many workers competing for the last units of one product).

    .venv/bin/python bench/inventory_bench.py --db postgresql
    .venv/bin/python bench/inventory_bench.py --db postgresql --products 10000 --orders 1000 --workers 2,8 \
        --contenders 400 --last-units 50

Each worker is a process with its own app and connection pool, confirming CRM orders with
`plugins.crm.services.orders.confirm` — the same call the order page makes: the order is locked,
the negotiation won, `order_confirmed` fires inside the transaction and the inventory reserves
every line (or vetoes the whole order), then one commit. Orders are built beforehand with
`orders.direct` (real pricing); the catalogue (10,000 products, stock in every warehouse) and the
customers are bulk-inserted. By default only the CRM and the inventory plugins are enabled, so
the figures are the inventory's; `--all-plugins` keeps finance (invoicing) and the others.

Prints figures; not a test. Checks the invariants at the end (no oversell; the stock table
equals the sums of the ledger; exactly the last units reserved in the contention case).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.common import database  # noqa: E402
OTHERS = ("finance", "support", "dashboard")


def make_app(url: str, all_plugins: bool, instance: str):
    from core.app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "TESTING": True,
                       "DISABLED_PLUGINS": () if all_plugins else OTHERS})


def _bulk(model, rows, size=5000):
    from core.db import db
    table = model.__table__
    for i in range(0, len(rows), size):
        db.session.execute(insert(table), rows[i:i + size])


def build(products: int, customers: int, reps: int, warehouses_per_office: int = 1, seed: int = 11) -> dict:
    """Customers (bench.crm_data), a warehouse per office, the catalogue with stock everywhere."""
    from bench.crm_data import build as build_crm
    from core.db import db
    from core.jalali import utcnow
    from core.models.products import Product
    from core.persian import normalize
    from plugins.inventory.models import Move, ProductStockSetting, Stock, Warehouse
    rng = random.Random(seed)
    info = build_crm(customers, customers, reps=reps, offices=3)
    houses = []
    for i, office_id in enumerate(info["offices"]):
        for k in range(warehouses_per_office):
            houses.append(Warehouse(name=f"انبار {i + 1}-{k + 1}", code=f"W{i + 1}{k + 1}", office_id=office_id))
    db.session.add_all(houses)
    db.session.commit()
    now = utcnow()
    rows = []
    for i in range(1, products + 1):
        name = f"کالای آزمایشی شمارهٔ {i}"
        rows.append(dict(id=i, code=f"B{i:05d}", name=name, search_key=normalize(f"B{i:05d} {name}"), unit="عدد",
                         list_price=rng.randint(10, 5000) * 10_000, cost_price=rng.randint(5, 2500) * 10_000,
                         tax_class="standard", description="", active=True, created_at=now))
    _bulk(Product, rows)
    _bulk(ProductStockSetting, [dict(product_id=i, reorder_level=rng.choice([0, 5, 20]), tracked=True)
                                for i in range(1, products + 1)])
    stock, moves = [], []
    for p in range(1, products + 1):
        for w in houses:
            units = 1_000_000
            stock.append(dict(product_id=p, warehouse_id=w.id, on_hand=units, reserved=0))
            moves.append(dict(product_id=p, warehouse_id=w.id, kind="receipt", on_hand_delta=units, reserved_delta=0,
                              ref="", reason="موجودی اول دوره", at=now))
    _bulk(Stock, stock)
    _bulk(Move, moves)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT MAX(id) FROM products))"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {**info, "warehouses": [w.id for w in houses]}


def make_orders(count: int, lines: int, products: list[int], seed: int = 5) -> dict[int, list[int]]:
    """`count` draft orders of `lines` lines (distinct products, 1–5 units each) through
    `orders.direct`, spread over the reps owning the customers: rep id → order ids."""
    from core.db import db
    from core.models.org import User
    from plugins.crm.models import Customer, Negotiation
    from plugins.crm.services import orders
    rng = random.Random(seed)
    pairs = db.session.execute(select(Customer.id, Negotiation.owner_id).join(
        Negotiation, Negotiation.id == Customer.current_negotiation_id).order_by(Customer.id).limit(count)).all()
    if len(pairs) < count:
        raise SystemExit(f"only {len(pairs)} customers for {count} orders")
    users: dict[int, object] = {}
    out: dict[int, list[int]] = {}
    for customer_id, owner_id in pairs:
        user = users.get(owner_id) or users.setdefault(owner_id, db.session.get(User, owner_id))
        chosen = rng.sample(products, lines)
        order = orders.direct(customer_id, {"lines": [{"product_id": p, "quantity": rng.randint(1, 5)} for p in chosen]},
                              user)
        out.setdefault(owner_id, []).append(order.id)
    return out


def _worker(url, all_plugins, instance, jobs, barrier, results):
    """Confirm `jobs` [(rep id, order id)…]; report (outcome, seconds, seconds in the inventory)
    per order."""
    app = make_app(url, all_plugins, instance)
    from core.db import db
    from core.models.org import User
    from core.validation import ValidationError
    from plugins.crm.services import orders
    from plugins.inventory.services import reservations
    # The inventory's own share: the time spent in its `order_confirmed` subscriber (the plugin
    # imports `reserve` at call time, so wrapping the module's function catches every call).
    spent = []
    reserve = reservations.reserve

    def timed_reserve(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return reserve(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)
    reservations.reserve = timed_reserve
    out = []
    with app.app_context():
        users = {uid: db.session.get(User, uid) for uid in {u for u, _o in jobs}}
        db.session.rollback()
        barrier.wait()
        for user_id, order_id in jobs:
            spent.clear()
            t = time.perf_counter()
            try:
                orders.confirm(order_id, users[user_id])
                outcome = "confirmed"
            except ValidationError as exc:
                db.session.rollback()
                outcome = "refused: " + str(exc)[:60]
            except Exception as exc:  # noqa: BLE001 - counted and shown
                db.session.rollback()
                outcome = "error: " + repr(exc)[:200]
            out.append((outcome, time.perf_counter() - t, sum(spent)))
        db.session.remove()
        db.engine.dispose()
    results.put(out)


def run(url, all_plugins, instance, jobs: list[tuple[int, int]], workers: int) -> tuple[float, list]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
    shares = [jobs[i::workers] for i in range(workers)]
    procs = [ctx.Process(target=_worker, args=(url, all_plugins, instance, share, barrier, results))
             for share in shares]
    for p in procs:
        p.start()
    barrier.wait()
    t = time.perf_counter()
    outcomes = []
    for _ in procs:
        outcomes.extend(results.get())
    elapsed = time.perf_counter() - t
    for p in procs:
        p.join()
    return elapsed, outcomes


def report(label: str, workers: int, elapsed: float, outcomes: list) -> None:
    times = sorted(s * 1000 for _o, s, _i in outcomes)
    inventory = sorted(i * 1000 for _o, _s, i in outcomes)
    confirmed = sum(1 for o, _s, _i in outcomes if o == "confirmed")
    refused = sum(1 for o, _s, _i in outcomes if o.startswith("refused"))
    errors = [o for o, _s, _i in outcomes if o.startswith("error")]

    def p95(values):
        return values[max(0, int(len(values) * 0.95) - 1)]
    share = sum(inventory) / sum(times) * 100 if sum(times) else 0
    print(f"| {label} | {workers} | {len(outcomes):,} | {confirmed:,} | {refused:,} | {len(errors)} | {elapsed:.1f} | "
          f"{len(outcomes) / elapsed:.1f} | {confirmed / elapsed:.1f} | {statistics.median(times):.0f} | {p95(times):.0f} | "
          f"{statistics.median(inventory):.0f} | {p95(inventory):.0f} | {share:.0f} % |")
    if errors:
        print("   errors:", errors[:3])


def check(label: str) -> None:
    from core.db import db
    from plugins.inventory.models import Reservation, Stock
    from plugins.inventory.services.ledger import balances_from_moves
    db.session.rollback()
    ledger = balances_from_moves()
    bad = [(s.product_id, s.warehouse_id) for s in db.session.scalars(select(Stock))
           if (s.on_hand, s.reserved) != ledger.get((s.product_id, s.warehouse_id), (0, 0))
           or not 0 <= s.reserved <= s.on_hand]
    held = db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity - Reservation.issued
                                                           - Reservation.released), 0)))
    reserved = db.session.scalar(select(func.coalesce(func.sum(Stock.reserved), 0)))
    assert not bad and held == reserved, (label, bad[:5], held, reserved)
    print(f"   {label}: stock rows = ledger sums, reserved ≤ on hand everywhere, reservations = reserved "
          f"({reserved:,} units)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=1_000, help="orders confirmed in each throughput run")
    parser.add_argument("--lines", type=int, default=3, help="lines per order")
    parser.add_argument("--workers", default="2,8", help="worker processes: one throughput run per number")
    parser.add_argument("--contenders", type=int, default=400, help="orders competing for the last units")
    parser.add_argument("--last-units", type=int, default=50, help="units of the contended product left")
    parser.add_argument("--all-plugins", action="store_true", help="keep finance, support and dashboard enabled")
    args = parser.parse_args()

    from core import migrate
    from core.db import db
    from plugins.inventory.models import Reservation, Stock
    from plugins.inventory.services import ledger

    counts = [int(n) for n in str(args.workers).split(",") if n.strip()]
    url = database(args.db, "peyvand_inventory_bench")
    instance = tempfile.mkdtemp()
    app = make_app(url, args.all_plugins, instance)
    plugins = [p for p in sorted(app.extensions["peyvand"].host.names()) if p != "core"]
    with app.app_context():
        migrate.upgrade(app)
        t = time.perf_counter()
        info = build(args.products, args.orders * len(counts) + args.contenders + 10, reps=max(counts))
        built = time.perf_counter() - t
        t = time.perf_counter()
        by_rep = make_orders(args.orders * len(counts), args.lines, list(range(1, args.products + 1)))
        prepared = time.perf_counter() - t
        jobs = [(rep, oid) for rep, ids in by_rep.items() for oid in ids]
        random.Random(3).shuffle(jobs)
        print(f"# {args.db}, plugins: {', '.join(plugins)}; {args.products:,} products × {len(info['warehouses'])} "
              f"warehouses, built in {built:.0f} s; {len(jobs):,} orders of {args.lines} lines prepared in "
              f"{prepared:.0f} s; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
        db.session.remove()
        db.engine.dispose()

    print("\n| run | workers | orders | confirmed | refused | errors | wall s | attempts/s | confirmations/s | "
          "median ms | p95 ms | inventory median ms | inventory p95 ms | inventory share |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, workers in enumerate(counts):
        share = jobs[i * args.orders:(i + 1) * args.orders]
        elapsed, outcomes = run(url, args.all_plugins, instance, share, workers)
        report(f"throughput: {args.products:,} products, {args.lines} lines/order", workers, elapsed, outcomes)

    # Contention: the last units of one product, in one warehouse and nowhere else.
    with app.app_context():
        hot = 1
        for warehouse_id in info["warehouses"]:
            stock = db.session.get(Stock, (hot, warehouse_id))
            ledger.adjust(warehouse_id, hot, stock.reserved + (args.last_units if warehouse_id == info["warehouses"][0]
                                                               else 0), None, "بنچمارک: آخرین واحدها")
        units_before = db.session.scalar(select(func.sum(Stock.on_hand - Stock.reserved)).where(Stock.product_id == hot))
        reserved_before = db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))
                                            .where(Reservation.product_id == hot))
        from core.models.org import User
        from plugins.crm.models import Customer, Negotiation
        from plugins.crm.services import orders
        pairs = db.session.execute(select(Customer.id, Negotiation.owner_id).join(
            Negotiation, Negotiation.id == Customer.current_negotiation_id).order_by(Customer.id.desc())
            .limit(args.contenders)).all()
        contention = []
        for customer_id, owner_id in pairs:
            order = orders.direct(customer_id, {"lines": [{"product_id": hot, "quantity": 1}]}, db.session.get(User, owner_id))
            contention.append((owner_id, order.id))
        db.session.remove()
        db.engine.dispose()
    workers = max(counts)
    elapsed, outcomes = run(url, args.all_plugins, instance, contention, workers)
    report(f"contention: {args.contenders} orders for {units_before} units", workers, elapsed, outcomes)
    with app.app_context():
        confirmed = sum(1 for o, _s, _i in outcomes if o == "confirmed")
        reserved_after = db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))
                                           .where(Reservation.product_id == hot))
        left = db.session.scalar(select(func.sum(Stock.on_hand - Stock.reserved)).where(Stock.product_id == hot))
        assert confirmed == min(units_before, args.contenders), (confirmed, units_before)
        assert reserved_after - reserved_before == confirmed and left == units_before - confirmed, (reserved_after, left)
        refusals = {o for o, _s, _i in outcomes if o.startswith("refused")}
        print(f"\n   contention: exactly {confirmed} confirmed for {units_before} units, {left} left; every other "
              f"order refused ({len(refusals)} distinct message: {sorted(refusals)[0][9:] if refusals else ''}…)")
        check("after every run")
        print(f"   load average {os.getloadavg()[0]:.1f} at the end")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
