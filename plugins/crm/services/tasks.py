"""Tasks and reminders: planned follow-ups with a due time, an assignee and a priority. They
show on the rep's workbench and daily follow-ups; a periodic sweep flags the overdue ones;
completing a task can log the interaction in the same step."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update

from core.access import subordinate_ids
from core.db import db
from core.jalali import TEHRAN, UTC, utcnow
from core.jobs import emit_after_commit
from core.models.org import User
from core.validation import Checker, ValidationError
from plugins.crm.models import ENTRY_KINDS, PRIORITIES, Customer, Negotiation, Task
from plugins.crm.services import log as log_service
from plugins.crm.services.negotiations import NotFound
from plugins.crm.services.visibility import can_see_customer


def _due(data: dict, c: Checker) -> dt.datetime | None:
    """Due date (Jalali) and time (HH:MM, Tehran) → naive UTC."""
    day = c.date("due_date", "تاریخ سررسید")
    raw = str(data.get("due_time") or "09:00").strip()
    from core.persian import to_ascii_digits
    try:
        hour, minute = (int(x) for x in to_ascii_digits(raw).split(":"))
        clock = dt.time(hour, minute)
    except (ValueError, TypeError):
        c.fail("due_time", "ساعت را به شکل ۰۹:۳۰ بنویسید.")
        return None
    if day is None:
        if "due_date" not in c.errors:
            c.fail("due_date", "تاریخ سررسید را وارد کنید.")
        return None
    return dt.datetime.combine(day, clock, tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def create(data: dict, actor) -> Task:
    c = Checker(data)
    title = c.text("title", "عنوان", required=True, max_len=200)
    notes = c.text("notes", "توضیح", max_len=4000)
    kind = c.text("kind", "نوع", max_len=12) or "call"
    if kind not in ENTRY_KINDS:
        c.fail("kind", "نوع کار معتبر نیست.")
    priority = c.text("priority", "اولویت", max_len=8) or "normal"
    if priority not in PRIORITIES:
        c.fail("priority", "اولویت باید کم، عادی یا زیاد باشد.")
    due = _due(data, c)
    if due is not None and due < utcnow() - dt.timedelta(minutes=5):
        c.fail("due_date", "زمان سررسید نمی‌تواند در گذشته باشد.")
    assignee_id = c.integer("assignee_id", "مسئول") or actor.id
    customer_id = c.integer("customer_id", "مشتری")
    c.done()
    if assignee_id != actor.id and assignee_id not in subordinate_ids(actor.id):
        raise ValidationError({"assignee_id": "کار را فقط می‌توانید به خود یا زیردستانتان بسپارید."})
    assignee = db.session.get(User, assignee_id)
    if assignee is None or not assignee.active:
        raise ValidationError({"assignee_id": "کاربر انتخاب‌شده وجود ندارد یا غیرفعال است."})
    negotiation_id = None
    if customer_id:
        if not can_see_customer(actor, customer_id):
            raise NotFound("مشتری پیدا نشد.")
        negotiation_id = db.session.get(Customer, customer_id).current_negotiation_id
    task = Task(title=title, notes=notes, kind=kind, priority=priority, due_at=due, assignee_id=assignee_id,
                customer_id=customer_id or None, negotiation_id=negotiation_id, created_by_id=actor.id)
    db.session.add(task)
    db.session.commit()
    return task


def _mine(actor):
    return or_(Task.assignee_id == actor.id, Task.assignee_id.in_(subordinate_ids(actor.id) or [-1]))


def complete(task_id: int, actor, entry: dict | None = None) -> Task:
    """Mark done; with `entry` (kind, summary, next_contact) also log the interaction on the
    customer's open negotiation, in one transaction."""
    task = db.session.scalar(select(Task).where(Task.id == task_id, _mine(actor)))
    if task is None:
        raise NotFound("کار پیدا نشد.")
    if task.status != "open":
        raise ValidationError("این کار پیش‌تر بسته شده است.")
    if entry is not None:
        if task.customer_id is None:
            raise ValidationError("این کار به مشتری‌ای وصل نیست تا مذاکره‌ای برایش ثبت شود.")
        customer = db.session.get(Customer, task.customer_id)
        current = db.session.get(Negotiation, customer.current_negotiation_id)
        logged = log_service.add_entry(current.id, {"kind": task.kind, **entry}, actor, commit=False)
        task = db.session.get(Task, task_id)
        task.log_entry_id = logged.id
    task.status, task.done_at = "done", utcnow()
    db.session.commit()
    return task


def cancel(task_id: int, actor) -> Task:
    task = db.session.scalar(select(Task).where(Task.id == task_id, _mine(actor)))
    if task is None:
        raise NotFound("کار پیدا نشد.")
    if task.status != "open":
        raise ValidationError("این کار پیش‌تر بسته شده است.")
    task.status = "cancelled"
    db.session.commit()
    return task


def for_user(user, *, until: dt.datetime | None = None):
    """Open tasks of `user` (and subordinates) due before `until`, soonest first."""
    stmt = select(Task).where(_mine(user), Task.status == "open")
    if until is not None:
        stmt = stmt.where(Task.due_at < until)
    return stmt.order_by(Task.due_at)


def flag_overdue(now: dt.datetime | None = None) -> int:
    """Periodic: flag open tasks past due (once each) and notify after commit."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(Task.id).where(Task.status == "open", Task.due_at < now,
                                                        Task.overdue_at.is_(None))))
    if ids:
        db.session.execute(update(Task).where(Task.id.in_(ids), Task.overdue_at.is_(None)).values(overdue_at=now)
                           .execution_options(synchronize_session=False))
        emit_after_commit("crm.tasks_overdue", {"tasks": [f"crm.task:{i}" for i in ids]})
    db.session.commit()
    return len(ids)
