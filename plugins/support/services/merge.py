"""When the CRM merges two customers, their tickets follow the kept one."""
from __future__ import annotations

from sqlalchemy import func, select, update

from core.db import db
from plugins.support.models import Ticket


def move_party(kept_party_id: int, merged_party_id: int) -> dict | None:
    moved = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.party_id == merged_party_id))
    if moved:
        db.session.execute(update(Ticket).where(Ticket.party_id == merged_party_id).values(party_id=kept_party_id)
                           .execution_options(synchronize_session="fetch"))
    return {"tickets": moved} if moved else None
