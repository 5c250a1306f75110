"""Synthetic CRM data at scale for the benchmarks: N customers, about M negotiations.

Rows are written with multi-row INSERTs in batches (no ORM objects), so building 100,000
customers and 1,000,000 negotiations takes minutes, not hours. Deterministic (seeded).
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, text

from core.db import db
from core.jalali import utcnow
from core.models.org import Office, User
from core.models.parties import Party, PartyPhone
from core.persian import normalize
from plugins.crm.models import Customer, Negotiation, PointEntry
from plugins.crm.services.negotiations import rebuild_point_days

FIRST = ["محمد", "علی", "حسین", "رضا", "مهدی", "امیر", "سعید", "فاطمه", "زهرا", "مریم", "سمیه", "نرگس"]
LAST = ["احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "قاسمی", "نوری"]
CLOSED = ["cut", "suspended", "won", "expired"]


def _batches(rows, size=5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _bulk(model, rows):
    table = model.__table__ if hasattr(model, "__table__") else model
    for chunk in _batches(rows):
        db.session.execute(insert(table), chunk)


def build(customers: int, negotiations: int, reps: int = 200, offices: int = 10, seed: int = 7) -> dict:
    rng = random.Random(seed)
    now = utcnow()
    from core.services.groups import seed_role_groups
    groups = seed_role_groups()
    office_rows = [Office(name=f"دفتر {i}", city="تهران", area_code="21") for i in range(offices)]
    db.session.add_all(office_rows)
    db.session.flush()
    managers = [User(username=f"m{i}", password_hash="x", session_token="x", first_name="مدیر", last_name=str(i),
                     office_id=office_rows[i].id, max_open_negotiations=100000) for i in range(offices)]
    db.session.add_all(managers)
    db.session.flush()
    users = [User(username=f"rep{i}", password_hash="x", session_token="x", first_name=rng.choice(FIRST),
                  last_name=rng.choice(LAST), office_id=office_rows[i % offices].id,
                  manager_id=managers[i % offices].id, max_open_negotiations=100000) for i in range(reps)]
    db.session.add_all(users)
    db.session.flush()
    for u in users:
        u.groups = [groups["sales"]]
    for m in managers:
        m.groups = [groups["manager"]]
    db.session.commit()
    user_ids = [u.id for u in users]
    office_of = {u.id: u.office_id for u in users}

    party_rows, phone_rows, customer_rows = [], [], []
    for i in range(1, customers + 1):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        party_rows.append(dict(id=i, kind="person", name=name, organisation="", city="تهران", email="", notes="",
                               search_key=normalize(name), created_at=now))
        phone_rows.append(dict(party_id=i, kind="mobile", number=f"0912{i:07d}", e164=f"+98912{i:07d}"))
        customer_rows.append(dict(id=i, party_id=i, registered_at=now - dt.timedelta(days=rng.randint(1, 900))))
    _bulk(Party, party_rows)
    _bulk(PartyPhone, phone_rows)
    _bulk(Customer, customer_rows)
    db.session.commit()

    neg_rows, point_rows, current = [], [], {}
    per_customer = max(1, negotiations // customers)
    nid = 0
    for cid in range(1, customers + 1):
        start = now - dt.timedelta(days=rng.randint(100, 1500))
        for k in range(per_customer):
            nid += 1
            owner = rng.choice(user_ids)
            last = k == per_customer - 1
            if last:
                status = rng.choices(["negotiating", "cut", "suspended", "won", "expired"], [40, 20, 10, 15, 15])[0]
                start = now - dt.timedelta(days=rng.randint(0, 120))  # some open ones are overdue
            else:
                status = rng.choice(CLOSED)
            end = start + dt.timedelta(days=92)
            neg_rows.append(dict(id=nid, customer_id=cid, owner_id=owner, office_id=office_of[owner], status=status,
                                 window_start=start, window_end=end, opened_via="register", created_at=start,
                                 closed_at=None if status == "negotiating" else min(end, now),
                                 last_entry_at=start + dt.timedelta(days=rng.randint(0, 60)),
                                 next_contact=(now + dt.timedelta(days=rng.randint(-10, 10))).date()))
            point_rows.append(dict(user_id=owner, negotiation_id=nid, event="negotiating", points=-1, at=start, reason=""))
            if status in ("cut", "won", "expired") and not (last and status == "expired"):
                point_rows.append(dict(user_id=owner, negotiation_id=nid, event=status,
                                       points={"cut": -2, "won": 5, "expired": -2}[status], at=min(end, now), reason=""))
            start = end + dt.timedelta(days=rng.randint(1, 30))
        current[cid] = nid
    _bulk(Negotiation, neg_rows)
    db.session.commit()
    _bulk(PointEntry, point_rows)
    rebuild_point_days()  # the daily sums the services keep with every ledger row
    db.session.commit()
    # Set-based: a correlated sub-select per customer runs as a scan per row on tables that have
    # not been analysed yet.
    db.session.execute(text("UPDATE crm_customers SET current_negotiation_id = latest.id "
                            "FROM (SELECT customer_id, MAX(id) AS id FROM crm_negotiations GROUP BY customer_id) "
                            "AS latest WHERE latest.customer_id = crm_customers.id"))
    # What `negotiations.sync_last_activity` keeps on each customer, set-based here.
    db.session.execute(text("UPDATE crm_customers SET last_activity_at = COALESCE(n.last_entry_at, n.window_start) "
                            "FROM crm_negotiations AS n WHERE n.id = crm_customers.current_negotiation_id"))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("parties", "party_phones", "crm_customers", "crm_negotiations", "crm_points"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT MAX(id) FROM {table}))"))
        db.session.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"users": user_ids, "managers": [m.id for m in managers], "offices": [o.id for o in office_rows],
            "negotiations": nid}
