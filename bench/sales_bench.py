"""Sales: pricing a 200-line quote with 20 active policies, and confirming orders end to end
(CRM → inventory reservation → finance invoice, in one transaction) on PostgreSQL.

    .venv/bin/python bench/sales_bench.py --db postgresql
    .venv/bin/python bench/sales_bench.py --db sqlite

Target (issue 6): a 200-line quote priced in under 50 ms.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()

    from core import migrate
    from core.app import create_app
    from core.db import db
    from core.models.org import Office
    from core.models.products import Product
    from core.services.groups import seed_role_groups
    from core.services.users import save_user
    from plugins.crm.models import Customer, ListItem
    from plugins.crm.models.sales import Policy
    from plugins.crm.services import customers, orders, quotes
    from plugins.inventory.models import Warehouse
    from plugins.inventory.services.ledger import lock, post

    app = create_app({"SQLALCHEMY_DATABASE_URI": database(args.db, "peyvand_bench_sales"), "INSTANCE_PATH": tempfile.mkdtemp(),
                      "TESTING": True, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        migrate.upgrade(app)
        groups = seed_role_groups()
        office = Office(name="تهران", city="تهران", area_code="21")
        category = ListItem(kind="category", name="نمایندگی")
        db.session.add_all([office, category])
        db.session.commit()
        rep = save_user({"username": "rep", "first_name": "ر", "last_name": "پ", "password": "x" * 8,
                         "password_repeat": "x" * 8, "office_id": office.id, "group_ids": [groups["sales"].id],
                         "max_open_negotiations": 100000})
        products = [Product(code=f"P{i:04d}", name=f"کالا {i}", list_price=1_000_000 + i * 1_000, cost_price=600_000,
                            search_key=f"p{i}") for i in range(200)]
        db.session.add_all(products)
        db.session.commit()
        today = dt.date.today()
        policies = []
        for i in range(20):
            kind = ["tier_quantity", "tier_line_amount", "percentage", "period", "loyal"][i % 5]
            policies.append(Policy(name=f"سیاست {i}", kind=kind, product_id=products[i].id if kind == "tier_quantity" else None,
                                   percent=100 + i * 10 if kind in ("percentage", "period", "loyal") else None,
                                   category_id=category.id if kind == "loyal" else None,
                                   valid_from=today - dt.timedelta(days=1) if kind == "period" else None,
                                   valid_to=today + dt.timedelta(days=1) if kind == "period" else None,
                                   tiers=[{"from": 5, "percent": 200}, {"from": 20, "percent": 500}]
                                   if kind.startswith("tier") else []))
        db.session.add_all(policies)
        db.session.commit()
        n = customers.register({"kind": "organisation", "name": "فروشگاه بنچمارک", "category_id": category.id,
                                "phones": [{"number": "02188776655"}]}, rep, confirmed_not_duplicate=True)
        customer = db.session.get(Customer, n.customer_id)
        lines = [{"product": p, "quantity": 1 + (i % 30), "adhoc_percent": 0, "description": ""}
                 for i, p in enumerate(products)]
        quotes.price_lines(customer, lines, today)  # warm-up
        samples = []
        for _ in range(15):
            t = time.perf_counter()
            priced, _ctx = quotes.price_lines(customer, lines, today)
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        print(f"# {args.db}")
        print(f"pricing a 200-line quote, 20 active policies: median {statistics.median(samples):.1f} ms, "
              f"p95 {samples[-1]:.1f} ms (total {priced.total:,} Rials)")

        warehouse = Warehouse(name="انبار", code="W1", office_id=office.id)
        db.session.add(warehouse)
        db.session.flush()
        stocks = lock([(p.id, warehouse.id) for p in products])
        for p in products:
            post(stocks[(p.id, warehouse.id)], "receipt", on_hand_delta=10**6)
        db.session.commit()
        drafts = []
        for i in range(args.orders):
            k = customers.register({"kind": "person", "name": f"مشتری {i}", "phones": [{"number": f"0912{i:07d}"}]},
                                   rep, confirmed_not_duplicate=True)
            drafts.append(orders.direct(k.customer_id, {"lines": [{"product_id": products[(i + j) % 200].id,
                                                                   "quantity": 1 + j} for j in range(3)]}, rep).id)
        t = time.perf_counter()
        for oid in drafts:
            orders.confirm(oid, rep)
        elapsed = time.perf_counter() - t
        print(f"confirming {args.orders} three-line orders (reservation + invoice in the same transaction), "
              f"one after another: {args.orders / elapsed:.0f} orders/s ({elapsed * 1000 / args.orders:.1f} ms each)")
        db.engine.dispose()


if __name__ == "__main__":
    main()
