"""Negotiations under the Saba rules: opening, cut / suspend / win, claims from the free pool,
expiry. Every transition writes the status history and the points ledger in the same
transaction, with the point values in the settings at that moment.

Concurrency: each writing service starts with `begin_write()` (BEGIN IMMEDIATE on SQLite) and
locks the rows it decides on with `FOR UPDATE` (PostgreSQL); the partial unique index "one open
negotiation per customer" and the ledger's unique (negotiation, event) are the last line.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import delete, func, insert, literal, select, text, update

from core.db import begin_write, db, insert_ignore
from core.jalali import to_tehran, utcnow
from core.models.org import User
from core.validation import ValidationError
from plugins.crm.models import (POOL_STATUSES, STATUS_LABELS, Customer, Negotiation, PointDay, PointEntry,
                                StatusChange)
from plugins.crm.services import rules
from plugins.crm.services.visibility import can_act_on

TRANSITIONS = {"cut": "قطع", "suspended": "معلق", "won": "قطعی"}


class NotFound(LookupError):
    """The record does not exist or the user may not see it (the same answer for both)."""


# --- small pieces ---------------------------------------------------------------------------------


def record(negotiation: Negotiation, old: str | None, new: str, actor_id: int | None, *,
           points_to: int | None, event: str | None, at: dt.datetime | None = None, reason: str = "") -> None:
    """Write the status history row and, if `event`, the ledger row (once per event)."""
    at = at or utcnow()
    db.session.add(StatusChange(negotiation_id=negotiation.id, old_status=old, new_status=new,
                                actor_id=actor_id, at=at, reason=reason))
    if event is not None:
        add_point_days(db.session.execute(insert_ignore(PointEntry).values(
            user_id=points_to, negotiation_id=negotiation.id, event=event, points=rules.points(event),
            at=at, reason=reason).on_conflict_do_nothing().returning(*_DAY_ROW)))
    db.session.flush()


# What `add_point_days` needs of each ledger row written (RETURNING: only rows really inserted).
_DAY_ROW = (PointEntry.user_id, PointEntry.points, PointEntry.at)


def _by_day(rows) -> dict[tuple[int, dt.date], int]:
    days: dict[tuple[int, dt.date], int] = {}
    for user_id, points, at in rows:
        key = (user_id, to_tehran(at).date())
        days[key] = days.get(key, 0) + points
    return days


def add_point_days(rows) -> None:
    """Add ledger rows just written, as (user_id, points, at), to `PointDay`. Every writer of the
    ledger passes what its INSERT returned, so a row the unique (negotiation, event) refused
    counts nowhere."""
    days = [dict(user_id=u, day=d, points=p) for (u, d), p in _by_day(rows).items()]
    for i in range(0, len(days), 5000):  # within both databases' limits on bound parameters
        stmt = insert_ignore(PointDay).values(days[i:i + 5000])
        db.session.execute(stmt.on_conflict_do_update(index_elements=["user_id", "day"],
                                                      set_={"points": PointDay.points + stmt.excluded.points}))


def rebuild_point_days() -> None:
    """Derive `PointDay` from the whole ledger again: for code that rewrites ledger rows by hand
    (the demo data back-dates them) and for repairs. Summed in memory first (one row per user
    and day), then written with plain INSERTs."""
    db.session.flush()
    days = _by_day(db.session.execute(select(*_DAY_ROW).execution_options(yield_per=50_000)))
    db.session.execute(delete(PointDay))
    rows = [dict(user_id=u, day=d, points=p) for (u, d), p in days.items()]
    for i in range(0, len(rows), 5000):
        db.session.execute(insert(PointDay), rows[i:i + 5000])


def _fire(negotiation, old, new, actor):
    current_app.extensions["peyvand"].host.call_each(
        "negotiation_status_changed", negotiation=negotiation, old=old, new=new, actor=actor)


def open_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(Negotiation.id)).where(
        Negotiation.owner_id == user_id, Negotiation.effective_status == "negotiating"))


def _lock_user(user_id: int) -> User:
    return db.session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one()


def check_capacity(user: User) -> None:
    if open_count(user.id) >= user.max_open_negotiations:
        raise ValidationError(
            f"شما به سقف مذاکرات باز خود ({user.max_open_negotiations}) رسیده‌اید؛ "
            "برای ثبت یا برداشتن مشتری تازه، ابتدا تکلیف مذاکرات باز را روشن کنید.")


def open_negotiation(customer: Customer, owner: User, via: str, previous: Negotiation | None = None,
                     actor: User | None = None) -> Negotiation:
    """Open a negotiation for `owner` (caller holds the write lock and checked capacity)."""
    from plugins.crm.services.pipeline import first_stage_id
    now = utcnow()
    negotiation = Negotiation(customer_id=customer.id, owner_id=owner.id, office_id=owner.office_id,
                              status="negotiating", window_start=now, window_end=rules.window_end(now),
                              opened_via=via, previous_id=previous.id if previous else None,
                              stage_id=first_stage_id())
    db.session.add(negotiation)
    db.session.flush()
    customer.current_negotiation_id = negotiation.id
    record(negotiation, None, "negotiating", (actor or owner).id, points_to=owner.id, event="negotiating", at=now,
           reason={"register": "ثبت مشتری", "claim": "انتساب از لیست آزاد", "lead": "تبدیل سرنخ"}.get(via, via))
    sync_last_activity(customer.id)
    return negotiation


def sync_last_activity(*customer_ids: int) -> None:
    """Copy each customer's current negotiation's last activity (`stale.last_activity`) onto
    `Customer.last_activity_at`, which the list sorted by activity walks as an index. Every
    service that changes a current negotiation, its last entry or its start calls this; the
    value is read back from the negotiation, never passed in, so it cannot drift. No ids: all
    customers (demo data, repairs)."""
    from plugins.crm.services.stale import last_activity
    db.session.flush()
    current = (select(last_activity()).where(Negotiation.id == Customer.current_negotiation_id)
               .correlate(Customer).scalar_subquery())
    stmt = update(Customer).values(last_activity_at=current)
    if customer_ids:
        stmt = stmt.where(Customer.id.in_(customer_ids))
    db.session.execute(stmt.execution_options(synchronize_session="fetch"))


def materialize_expiry(negotiation: Negotiation) -> bool:
    """Persist the expiry of one overdue negotiation (the sweep does it for all, set-based)."""
    if negotiation.status != "negotiating" or negotiation.window_end > utcnow():
        return False
    done = db.session.execute(update(Negotiation).where(
        Negotiation.id == negotiation.id, Negotiation.status == "negotiating").values(
        status="expired", closed_at=Negotiation.window_end).execution_options(synchronize_session=False)).rowcount
    if done:
        db.session.refresh(negotiation)
        record(negotiation, "negotiating", "expired", None, points_to=negotiation.owner_id, event="expired",
               at=negotiation.window_end, reason="پایان مهلت مذاکره")
    return bool(done)


# --- user transitions -----------------------------------------------------------------------------

def _load_for_update(negotiation_id: int, actor: User) -> Negotiation:
    from plugins.crm.services.visibility import negotiation_filter
    negotiation = db.session.execute(select(Negotiation).where(
        Negotiation.id == negotiation_id, negotiation_filter(actor)).with_for_update()).scalar_one_or_none()
    if negotiation is None:
        raise NotFound("مذاکره پیدا نشد.")
    return negotiation


def change_status(negotiation_id: int, new: str, actor: User, reason: str = "", confirmed: bool = False) -> Negotiation:
    """Cut, suspend or win an open negotiation (owner, those above, or all-offices scope)."""
    if new not in TRANSITIONS:
        raise ValidationError(f"وضعیت «{new}» برای این کار معتبر نیست.")
    if new == "won" and not confirmed:
        raise ValidationError("قطعی کردن مذاکره نیاز به تأیید دارد.")
    reason = (reason or "").strip()
    if len(reason) > 400:
        raise ValidationError({"reason": "توضیح نباید بیش از ۴۰۰ نویسه باشد."})
    begin_write()
    negotiation = _load_for_update(negotiation_id, actor)
    if not can_act_on(actor, negotiation):
        raise ValidationError("فقط کارشناس مسئول این مذاکره یا مدیران او می‌توانند وضعیت آن را تغییر دهند.")
    if materialize_expiry(negotiation):
        db.session.commit()
        raise ValidationError("مهلت این مذاکره به پایان رسیده و منقضی شده است؛ وضعیت آن دیگر تغییر نمی‌کند.")
    transition(negotiation, new, actor, reason)
    db.session.commit()
    return negotiation


def transition(negotiation: Negotiation, new: str, actor: User, reason: str = "") -> None:
    """Cut, suspend or win inside the caller's transaction (the caller locked the row and
    checked who may act): status, history, points, the hook."""
    if negotiation.status != "negotiating":
        raise ValidationError(
            f"این مذاکره «{STATUS_LABELS[negotiation.status]}» است و فقط مذاکرهٔ در جریان را می‌توان {TRANSITIONS[new]} کرد.")
    old, now = negotiation.status, utcnow()
    negotiation.status, negotiation.closed_at = new, now
    # A suspension costs its owner nothing until another rep claims the customer.
    event = None if new == "suspended" else new
    record(negotiation, old, new, actor.id, points_to=negotiation.owner_id, event=event, at=now, reason=reason)
    _fire(negotiation, old, new, actor)


def claim(customer_id: int, actor: User) -> Negotiation:
    """«انتساب این مشتری به من»: open a negotiation for `actor` on a customer in the free pool.
    Of two simultaneous claims exactly one succeeds; the other gets a clear message."""
    begin_write()
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id).with_for_update(of=Customer)).scalar_one_or_none()
    current = db.session.get(Negotiation, customer.current_negotiation_id) if customer and customer.current_negotiation_id else None
    if customer is None or current is None:
        raise NotFound("مشتری پیدا نشد.")
    db.session.execute(select(Negotiation.id).where(Negotiation.id == current.id).with_for_update())
    materialize_expiry(current)
    if current.status not in POOL_STATUSES:
        if current.status == "negotiating":
            raise ValidationError("این مشتری همین حالا در حال مذاکره با کارشناس دیگری است (شاید هم‌زمان برداشته شد).")
        raise ValidationError("این مشتری در لیست آزاد نیست.")
    me = _lock_user(actor.id)
    check_capacity(me)
    now = utcnow()
    current.claimed_at = now
    if current.status == "suspended" and current.owner_id != me.id:
        # The suspended penalty lands now, on the old owner, with today's value.
        add_point_days(db.session.execute(insert_ignore(PointEntry).values(
            user_id=current.owner_id, negotiation_id=current.id, event="suspended",
            points=rules.points("suspended"), at=now,
            reason=f"برداشته‌شده توسط {me.full_name}").on_conflict_do_nothing().returning(*_DAY_ROW)))
    negotiation = open_negotiation(customer, me, "claim", previous=current, actor=me)
    _fire(negotiation, None, "negotiating", me)
    db.session.commit()
    return negotiation


# --- the sweep ------------------------------------------------------------------------------------

def sweep_expired(now: dt.datetime | None = None) -> int:
    """Persist every overdue `negotiating` negotiation as `expired` with its history and
    points, set-based; running it twice changes nothing. Returns how many expired."""
    now = now or utcnow()
    begin_write()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('crm.sweep_expired'))"))
    expired = db.session.execute(update(Negotiation).where(
        Negotiation.status == "negotiating", Negotiation.window_end <= now).values(
        status="expired", closed_at=Negotiation.window_end, swept_at=now).execution_options(
        synchronize_session=False)).rowcount
    if expired:
        n = Negotiation.__table__
        swept = select(n.c.id).where(n.c.swept_at == now, n.c.status == "expired")
        db.session.execute(insert(StatusChange).from_select(
            ["negotiation_id", "old_status", "new_status", "actor_id", "at", "reason"],
            select(n.c.id, literal("negotiating"), literal("expired"), literal(None), n.c.window_end,
                   literal("پایان مهلت مذاکره")).where(n.c.id.in_(swept))))
        add_point_days(db.session.execute(insert_ignore(PointEntry).from_select(
            ["user_id", "negotiation_id", "event", "points", "at", "reason"],
            select(n.c.owner_id, n.c.id, literal("expired"), literal(rules.points("expired")), n.c.window_end,
                   literal("پایان مهلت مذاکره")).where(n.c.id.in_(swept))).on_conflict_do_nothing()
            .returning(*_DAY_ROW)))
    db.session.commit()
    return expired
