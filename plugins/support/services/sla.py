"""SLA: the due time of a ticket from the hours set per priority, and the periodic breach sweep.

Hours are calendar hours (a ticket opened at 22:00 with 4 hours is due at 02:00 Tehran time),
stored in UTC and shown in Jalali. The sweep flags each breach once (`breached_at`) and tells
the assignee through `support.sla_breached` after the commit; running it twice, or twice at the
same time, changes nothing more.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from core import settings
from core.db import db
from core.jalali import utcnow
from core.jobs import emit_after_commit
from plugins.support.models import CLOCK_STATUSES, PRIORITIES, Ticket


def hours_for(priority: str) -> int:
    """The SLA hours of a priority (settings `support.sla_<priority>_hours`)."""
    if priority not in PRIORITIES:
        raise KeyError(priority)
    return int(settings.get(f"support.sla_{priority}_hours"))


def due_from(start: dt.datetime, priority: str) -> dt.datetime:
    return start + dt.timedelta(hours=hours_for(priority))


def sweep(now: dt.datetime | None = None, commit: bool = True) -> int:
    """Flag open tickets past their due time (the clock running) that are not flagged yet, and
    emit one `support.sla_breached` per ticket after the commit. Returns how many were flagged.

    One `UPDATE … RETURNING`: a concurrent sweep waits for the row locks, then finds the rows
    already flagged and returns nothing, so no breach is flagged or announced twice."""
    from core.models.audit import AuditEntry
    now = now or utcnow()
    stmt = (update(Ticket)
            .where(Ticket.status.in_(CLOCK_STATUSES), Ticket.due_at < now, Ticket.breached_at.is_(None))
            .values(breached_at=now)
            .returning(Ticket.id, Ticket.assignee_id, Ticket.office_id, Ticket.party_id, Ticket.priority,
                       Ticket.title, Ticket.due_at)
            .execution_options(synchronize_session=False))
    rows = sorted(db.session.execute(stmt).all(), key=lambda r: r.id)
    if rows:
        # A set-based update bypasses the session's audit trail: record the change ourselves.
        db.session.execute(AuditEntry.__table__.insert(), [
            dict(at=now, user_id=None, table_name=Ticket.__tablename__, record_id=str(r.id), action="update",
                 changes={"breached_at": [None, now.isoformat()]}) for r in rows])
        for r in rows:
            emit_after_commit("support.sla_breached", {
                "ticket": f"support.ticket:{r.id}", "ticket_id": r.id, "assignee_id": r.assignee_id,
                "office_id": r.office_id, "party_id": r.party_id, "priority": r.priority, "title": r.title,
                "due_at": r.due_at.isoformat(), "breached_at": now.isoformat()})
    if commit:
        db.session.commit()
    return len(rows)


def sweep_task() -> int:
    """The periodic task (`support.sla_sweep`): no arguments, idempotent."""
    return sweep()
