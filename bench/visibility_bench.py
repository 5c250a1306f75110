"""Hidden customers outside the CRM: support tickets and finance books as reps and managers see
them, at CRM scale.

    .venv/bin/python bench/crm_bench.py --db postgresql       # builds peyvand_bench (100,000 customers)
    .venv/bin/python bench/visibility_bench.py --reuse postgresql+psycopg://postgres@127.0.0.1:5432/peyvand_bench

On a database built by `bench/crm_bench.py` it adds, once, 5,000 support tickets and 5,000
invoices (with their postings) in the office of `m0`, for customers spread over the whole
table, then times the list pages through the Flask test client (server time, median of 5 after
a warm-up) for a rep of that office (`rep0`), its manager (`m0`) and a superuser. A rep's and a
manager's lists leave out the customers the CRM hides from them (`core.access.parties_shown`,
the `party_visibility` hook); the superuser's are the plain lists, for comparison. No target of
an issue: the CRM's lists aim at 200 ms.
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

from bench.common import login  # noqa: E402

ROWS = 5000
PAGES = ("/support/tickets", "/support/tickets?page=20", "/finance/invoices", "/finance/accounts?which=all",
         "/finance/receipts")


def seed(db, office_id: int, creator_id: int) -> None:
    """Tickets and invoices of one office for every 37th customer or so (idempotent)."""
    from plugins.finance.models import Invoice
    from plugins.support.models import Ticket
    if not db.session.scalar(select(func.count(Ticket.id))):
        db.session.execute(text(
            "INSERT INTO support_tickets (title, description, search_key, party_id, channel, priority, status, "
            "office_id, created_by_id, sla_start, due_at, created_at, updated_at) "
            "SELECT 't' || g, '', 't' || g, c.party_id, 'phone', 'normal', 'new', :office, :creator, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM generate_series(1, :n) g "
            "JOIN crm_customers c ON c.id = 1 + (g * 37) % (SELECT count(*) FROM crm_customers)"),
            {"office": office_id, "creator": creator_id, "n": ROWS})
    if not db.session.scalar(select(func.count(Invoice.id))):
        db.session.execute(text(
            "INSERT INTO fin_invoices (kind, fiscal_year, number, order_ref, order_number, party_id, office_id, "
            "issued_at, due_date, subtotal, discount, tax, total, paid, credited, created_at) "
            "SELECT 'invoice', 1405, g, 'crm.order:' || g, g, c.party_id, :office, "
            "CURRENT_TIMESTAMP - g * INTERVAL '1 minute', CURRENT_DATE + 30, 1000, 0, 100, 1100, 0, false, "
            "CURRENT_TIMESTAMP FROM generate_series(1, :n) g "
            "JOIN crm_customers c ON c.id = 1 + (g * 41) % (SELECT count(*) FROM crm_customers)"),
            {"office": office_id, "n": ROWS})
        db.session.execute(text("INSERT INTO fin_entries (party_id, at, kind, debit, credit, invoice_id, description) "
                                "SELECT party_id, issued_at, 'invoice', total, 0, id, '' FROM fin_invoices"))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE support_tickets"))
        conn.execute(text("VACUUM ANALYZE fin_invoices"))
        conn.execute(text("VACUUM ANALYZE fin_entries"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", metavar="URL", required=True,
                        help="a PostgreSQL database built by bench/crm_bench.py")
    args = parser.parse_args()

    from core import migrate
    from core.app import create_app
    from core.db import db
    from core.models.org import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.reuse, "INSTANCE_PATH": tempfile.mkdtemp(), "TESTING": True})
    with app.app_context():
        migrate.upgrade(app)
        users = {name: db.session.scalar(select(User).where(User.username == name))
                 for name in ("rep0", "m0", "benchadmin")}
        seed(db, users["m0"].office_id, users["benchadmin"].id)
        ids = {name: user.get_id() for name, user in users.items()}
    client = app.test_client()
    print("| page | rep0 ms | m0 ms | superuser ms |")
    print("|---|---:|---:|---:|")
    for path in PAGES:
        cells = []
        for name in ("rep0", "m0", "benchadmin"):
            login(client, ids[name])
            first = client.get(path)
            samples = []
            for _ in range(5):
                t = time.perf_counter()
                client.get(path)
                samples.append((time.perf_counter() - t) * 1000)
            cells.append(f"{statistics.median(samples):.0f}" if first.status_code == 200 else f"({first.status_code})")
        print(f"| {path} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
