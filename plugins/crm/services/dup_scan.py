"""The whole-database scan for likely duplicates (after an import, say): a background job that
checks every customer against the index and groups the pairs it finds into clusters for an
administrator to review and merge."""
from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.jalali import utcnow
from core.models.parties import Party
from plugins.crm.models import Customer, DuplicatePair, DuplicateScan
from plugins.crm.services.duplicates import find_duplicates

BATCH = 500


def start(actor) -> DuplicateScan:
    """Create a scan and enqueue it (inline without Redis)."""
    from core.jobs import enqueue
    scan = DuplicateScan(started_by_id=actor.id if actor else None)
    db.session.add(scan)
    db.session.flush()
    scan_id = scan.id
    db.session.commit()
    enqueue(run, scan_id)
    return scan


def run(scan_id: int) -> int:
    """Check every customer; committed in batches so progress shows while it runs."""
    scan = db.session.get(DuplicateScan, scan_id)
    if scan is None or scan.status in ("running", "done"):
        return 0
    scan.status = "running"
    db.session.commit()
    parent: dict[int, int] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    found: dict[tuple[int, int], tuple[int, list[str]]] = {}
    last_id = 0
    try:
        while True:
            customers = db.session.scalars(select(Customer).join(Party, Party.id == Customer.party_id).where(
                Customer.id > last_id, Party.merged_into_id.is_(None)).order_by(Customer.id).limit(BATCH)).all()
            if not customers:
                break
            for customer in customers:
                party = customer.party
                data = {"name": party.name, "organisation": party.organisation, "city": party.city,
                        "national_id": party.national_id or "",
                        "phones": [{"number": p.e164, "kind": p.kind} for p in party.phones],
                        "addresses": [{"address": a.address} for a in party.addresses]}
                for match in find_duplicates(data, exclude_customer_id=customer.id, limit=20):
                    pair = tuple(sorted((customer.id, match.customer_id)))
                    if pair not in found or found[pair][0] < match.score:
                        found[pair] = (match.score, match.reasons)
                    parent[find(pair[0])] = find(pair[1])
            last_id = customers[-1].id
            scan.checked += len(customers)
            db.session.commit()
        for (a, b), (score, reasons) in sorted(found.items()):
            db.session.add(DuplicatePair(scan_id=scan.id, cluster=find(a), customer_a_id=a, customer_b_id=b,
                                         score=score, reasons=reasons))
        scan.pairs, scan.status, scan.finished_at = len(found), "done", utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        scan.status = "failed"
        db.session.commit()
        raise
    return len(found)
