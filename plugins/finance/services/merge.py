"""When the CRM merges two customers, their invoices, receipts and postings follow the kept one."""
from __future__ import annotations

from sqlalchemy import func, select, update

from core.db import db
from plugins.finance.models import CreditLimit, Entry, Invoice, Receipt


def move_party(kept_party_id: int, merged_party_id: int) -> dict:
    moved = {"invoices": db.session.scalar(select(func.count(Invoice.id)).where(Invoice.party_id == merged_party_id)),
             "receipts": db.session.scalar(select(func.count(Receipt.id)).where(Receipt.party_id == merged_party_id))}
    db.session.execute(update(Invoice).where(Invoice.party_id == merged_party_id).values(party_id=kept_party_id))
    db.session.execute(update(Receipt).where(Receipt.party_id == merged_party_id).values(party_id=kept_party_id))
    # Postings are never edited one by one; a merge moves them as a whole, in the merge's transaction.
    db.session.execute(update(Entry).where(Entry.party_id == merged_party_id).values(party_id=kept_party_id)
                       .execution_options(synchronize_session=False))
    if db.session.get(CreditLimit, kept_party_id) is None:
        db.session.execute(update(CreditLimit).where(CreditLimit.party_id == merged_party_id).values(party_id=kept_party_id))
    return {k: v for k, v in moved.items() if v}
