"""Stale negotiations (مذاکرات راکد): days since the last log entry, or since the start when
nothing was logged. Younger than the first threshold since their start: never stale.
watch ≥ 7 days, yellow card ≥ 14, red card ≥ 30 (settings)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, literal_column, select

from core.db import begin_write, db
from core.jalali import utcnow
from plugins.crm.models import Card, Negotiation
from plugins.crm.services import rules
from core.db import insert_ignore


def last_activity(model=Negotiation):
    return func.coalesce(model.last_entry_at, model.window_start)


def level_expression(now: dt.datetime, model=Negotiation):
    """SQL CASE giving '', 'watch', 'yellow' or 'red' for open negotiations."""
    watch, yellow, red = rules.stale_thresholds()
    last = last_activity(model)
    young = model.window_start > now - dt.timedelta(days=watch)
    return case(
        (model.effective_status != "negotiating", ""),
        (young, ""),
        (last <= now - dt.timedelta(days=red), "red"),
        (last <= now - dt.timedelta(days=yellow), "yellow"),
        (last <= now - dt.timedelta(days=watch), "watch"),
        else_="")


def stale_condition(now: dt.datetime, model=Negotiation):
    """Open now and at the yellow or red level: `level_expression(now).in_(("yellow", "red"))`
    over open negotiations, written as plain ranges so the partial index of open negotiations
    (which holds every column read here) answers it alone, without the CASE."""
    watch, yellow, red = rules.stale_thresholds()
    # Younger than `watch` days is never stale: the last activity counts only past that age (NULL
    # otherwise). One expression, not a separate range on the start, which SQLite would take as a
    # range on another index lacking the last entry and look each row up in the table.
    seasoned = case((model.window_start <= now - dt.timedelta(days=watch), last_activity(model)))
    return and_(
        # Inline, not a bound parameter: SQLite uses a partial index (WHERE status = 'negotiating')
        # only for a query that carries the same literal.
        model.status == literal_column("'negotiating'"),
        model.window_end > now,
        seasoned <= now - dt.timedelta(days=min(yellow, red)))


def level_of(negotiation: Negotiation, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    watch, yellow, red = rules.stale_thresholds()
    if negotiation.effective_status != "negotiating" or negotiation.window_start > now - dt.timedelta(days=watch):
        return ""
    days = (now - (negotiation.last_entry_at or negotiation.window_start)).days
    return "red" if days >= red else "yellow" if days >= yellow else "watch" if days >= watch else ""


def issue_cards(now: dt.datetime | None = None) -> int:
    """Charge yellow and red cards to owners of stale negotiations; at most one card of each
    colour per negotiation (the unique constraint makes reruns harmless)."""
    now = now or utcnow()
    begin_write()
    n = Negotiation
    level = level_expression(now)
    total = 0
    for colour in ("yellow", "red"):
        cond = level.in_(("yellow", "red")) if colour == "yellow" else level == "red"
        rows = db.session.execute(select(n.id, n.owner_id, last_activity()).where(
            n.status == "negotiating", n.window_end > now, cond)).all()
        if rows:
            # RETURNING counts the rows really written (psycopg reports -1 for this rowcount).
            total += len(db.session.execute(insert_ignore(Card).values([
                dict(negotiation_id=nid, user_id=owner, colour=colour, at=now, days=(now - last).days)
                for nid, owner, last in rows]).on_conflict_do_nothing().returning(Card.id)).all())
    db.session.commit()
    return total
