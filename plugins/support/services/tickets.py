"""Tickets: open one for a customer, change its details, move it through its statuses, assign
it, thread notes and attachments on it.

Every function validates everything before writing anything and raises `ValidationError` with
Persian messages (nothing written), or `NotFound` for a ticket the actor may not see. Changes
that decide on the current state (status, assignment) lock the ticket row first, so two agents
acting at once are serialised and the second sees the first's result.
"""
from __future__ import annotations

import datetime as dt
import re

from core import settings, uploads
from core.access import can
from core.db import begin_write, db
from core.jalali import utcnow
from core.jobs import emit_after_commit
from core.models.org import Office
from core.models.products import Product
from core.persian import normalize, to_ascii_digits
from core.validation import Checker, ValidationError
from plugins.support.models import (
    CHANNELS,
    PRIORITIES,
    STATUSES,
    TRANSITIONS,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketNote,
    TicketStatusChange,
)
from plugins.support.services import queries, sla
from plugins.support.services.queries import NotFound

ORDER_REF = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*:[0-9]{1,12}$")
FINAL = ("resolved", "closed")

__all__ = ["NotFound", "create", "update", "change_status", "assign", "add_note", "check_transition",
           "check_files"]


def _or(labels: list[str]) -> str:
    quoted = [f"«{x}»" for x in labels]
    return quoted[0] if len(quoted) == 1 else "، ".join(quoted[:-1]) + " یا " + quoted[-1]


def check_transition(old: str, new: str) -> None:
    """Refuse, in Persian, a status change the transition table does not allow."""
    if new not in STATUSES:
        raise ValidationError({"status": f"وضعیت «{new}» شناخته نیست."})
    if old == new:
        raise ValidationError({"status": f"درخواست هم‌اکنون در وضعیت «{STATUSES[new]}» است."})
    allowed = TRANSITIONS.get(old, ())
    if new not in allowed:
        raise ValidationError({"status": f"درخواست را نمی‌توان از وضعیت «{STATUSES[old]}» به «{STATUSES[new]}» برد؛ "
                                         f"از «{STATUSES[old]}» فقط به {_or([STATUSES[s] for s in allowed])} می‌شود رفت."})


# --- files -------------------------------------------------------------------------------------

def _has_file(storage) -> bool:
    return storage is not None and bool(getattr(storage, "filename", ""))


def check_files(storages, existing: int = 0) -> list[tuple[bytes, str, str]]:
    """Read and check uploads (core.uploads' rules, the support size and count limits)."""
    files = [s for s in (storages or []) if _has_file(s)]
    limit = int(settings.get("support.max_attachments"))
    if existing + len(files) > limit:
        raise ValidationError({"file": f"هر درخواست حداکثر {_n(limit)} پیوست می‌تواند داشته باشد"
                                       f" (اکنون {_n(existing)} پیوست دارد)."})
    max_mb = int(settings.get("support.attachment_max_mb"))
    return [uploads.check(s, max_mb) for s in files]


def _store(ticket: Ticket, checked, actor, note: TicketNote | None = None) -> list[TicketAttachment]:
    out = []
    for content, name, content_type in checked:
        stored = uploads.store("support", content)
        attachment = TicketAttachment(ticket=ticket, note=note, filename=name, stored_name=stored,
                                content_type=content_type, size=len(content), uploaded_by_id=actor.id)
        db.session.add(attachment)
        out.append(attachment)
    return out


def path_of(attachment: TicketAttachment) -> str:
    import os
    return os.path.join(uploads.folder("support"), attachment.stored_name)


def _n(value: int) -> str:
    from core.persian import to_persian_digits
    return to_persian_digits(str(value))


# --- fields ------------------------------------------------------------------------------------

def _choice(c: Checker, field: str, label: str, choices: dict, default: str | None, message: str) -> str:
    value = c.text(field, label, max_len=20) or default or ""
    if not value:
        c.fail(field, f"«{label}» را انتخاب کنید.")
    elif value not in choices:
        c.fail(field, message)
    return value


def _category(c: Checker, current_id: int | None = None) -> int | None:
    category_id = c.integer("category_id", "دسته")
    if category_id is not None and category_id != current_id:
        category = db.session.get(TicketCategory, category_id)
        if category is None or not category.active:
            c.fail("category_id", "دستهٔ انتخاب‌شده وجود ندارد یا غیرفعال است.")
    return category_id


def _product(c: Checker, current_id: int | None = None) -> int | None:
    product_id = c.integer("product_id", "کالا")
    if product_id is not None and product_id != current_id:
        product = db.session.get(Product, product_id)
        if product is None or not product.active:
            c.fail("product_id", "کالای انتخاب‌شده در کاتالوگ نیست یا غیرفعال است.")
    return product_id


def _assignee(c: Checker, actor, field: str = "assignee_id") -> int | None:
    assignee_id = c.integer(field, "کارشناس مسئول")
    if assignee_id is None:
        return None
    if not can(actor, "support.work"):
        c.fail(field, "واگذاری درخواست فقط از کارشناسان پشتیبانی برمی‌آید.")
    elif not queries.is_support_staff(assignee_id):
        c.fail(field, "کاربر انتخاب‌شده کارشناس فعال پشتیبانی نیست.")
    return assignee_id


# --- create and update -------------------------------------------------------------------------

def create(data: dict, actor, storages=(), *, commit: bool = True) -> Ticket:
    """Open a ticket. `data`: party_id, title, description, channel, priority, category_id,
    product_id, order_ref, order_number, assignee_id, office_id. The due time comes from the
    SLA of the priority; optional files are checked before anything is written."""
    c = Checker(data)
    party_id = c.integer("party_id", "مشتری")
    party = None
    if party_id is None:
        c.fail("party_id", "مشتری را جست‌وجو و انتخاب کنید.")
    else:
        party = queries.kept_party(party_id, actor)  # a merged-away customer: the one it became
        if party is None:
            c.fail("party_id", "مشتری انتخاب‌شده پیدا نشد.")
    title = c.text("title", "عنوان", required=True, max_len=200)
    description = c.text("description", "شرح درخواست", max_len=10000)
    channel = _choice(c, "channel", "کانال دریافت", CHANNELS, None,
                      "کانال باید تلفن، ایمیل، وب، حضوری یا پیام‌رسان باشد.")
    priority = _choice(c, "priority", "اولویت", PRIORITIES, "normal", "اولویت باید کم، عادی، زیاد یا فوری باشد.")
    category_id = _category(c)
    product_id = _product(c)
    order_ref = c.text("order_ref", "سفارش", max_len=120) or None
    if order_ref and not ORDER_REF.match(order_ref):
        c.fail("order_ref", "مرجع سفارش باید به شکل crm.order:42 باشد.")
    order_number = c.integer("order_number", "شمارهٔ سفارش", minimum=1, maximum=10 ** 12)
    if order_number is not None and not order_ref:
        c.fail("order_number", "شمارهٔ سفارش بدون مرجع سفارش پذیرفته نیست.")
    assignee_id = _assignee(c, actor)
    office_id = c.integer("office_id", "دفتر")
    if office_id is not None and db.session.get(Office, office_id) is None:
        c.fail("office_id", "دفتر انتخاب‌شده وجود ندارد.")
    c.done()
    checked = check_files(storages)

    now = utcnow()
    if office_id is None:
        office_id = actor.office_id or (party.office_id if party else None)
    ticket = Ticket(title=title, description=description, search_key=normalize(title)[:260], party_id=party.id,
                    order_ref=order_ref, order_number=order_number, product_id=product_id, channel=channel,
                    category_id=category_id, priority=priority, status="new", assignee_id=assignee_id,
                    office_id=office_id, created_by_id=actor.id, created_at=now, updated_at=now, sla_start=now,
                    due_at=sla.due_from(now, priority))
    db.session.add(ticket)
    ticket.status_changes.append(TicketStatusChange(old_status=None, new_status="new", actor_id=actor.id, at=now))
    db.session.flush()
    _store(ticket, checked, actor)
    emit_after_commit("support.ticket_opened", _payload(ticket))
    if assignee_id is not None and assignee_id != actor.id:
        emit_after_commit("support.ticket_assigned", _payload(ticket))
    if commit:
        db.session.commit()
    return ticket


def update(ticket_id: int, data: dict, actor) -> Ticket:
    """Change a ticket's details: any of title, description, channel, priority, category_id,
    product_id given in `data`. A new priority moves the due time by the difference of the two
    SLAs (time already spent waiting for the customer stays added)."""
    ticket = _locked(ticket_id, actor)
    c = Checker(data)
    changes = {}
    if "title" in data:
        changes["title"] = c.text("title", "عنوان", required=True, max_len=200)
    if "description" in data:
        changes["description"] = c.text("description", "شرح درخواست", max_len=10000)
    if "channel" in data:
        changes["channel"] = _choice(c, "channel", "کانال دریافت", CHANNELS, None,
                                     "کانال باید تلفن، ایمیل، وب، حضوری یا پیام‌رسان باشد.")
    if "priority" in data:
        changes["priority"] = _choice(c, "priority", "اولویت", PRIORITIES, None,
                                      "اولویت باید کم، عادی، زیاد یا فوری باشد.")
    if "category_id" in data:
        changes["category_id"] = _category(c, ticket.category_id)
    if "product_id" in data:
        changes["product_id"] = _product(c, ticket.product_id)
    _done(c)
    new_priority = changes.get("priority", ticket.priority)
    if new_priority != ticket.priority and ticket.is_open:
        ticket.due_at = ticket.due_at + dt.timedelta(hours=sla.hours_for(new_priority) - sla.hours_for(ticket.priority))
    for key, value in changes.items():
        setattr(ticket, key, value)
    if "title" in changes:
        ticket.search_key = normalize(changes["title"])[:260]
    db.session.commit()
    return ticket


# --- status and assignment ---------------------------------------------------------------------

def _locked(ticket_id, actor) -> Ticket:
    """The ticket, its row locked for the rest of the transaction (SQLite: a writer's
    transaction); NotFound (after ending the transaction) if the actor may not see it."""
    begin_write()
    try:
        return queries.visible_ticket(actor, ticket_id, lock=True)
    except NotFound:
        db.session.rollback()
        raise


def _done(c: Checker) -> None:
    """Raise the collected errors, releasing the row lock at once."""
    if c.errors:
        db.session.rollback()
        c.done()


def change_status(ticket_id: int, new_status: str, actor, note: str = "") -> Ticket:
    """Move a ticket to `new_status` if the transition table allows it, with the clock effects:
    waiting for the customer pauses the SLA (the pause is added to the due time on resuming),
    resolving and closing stop it, reopening starts a fresh one from now."""
    note = str(note or "").strip()
    if len(note) > 1000:
        raise ValidationError({"note": "توضیح تغییر وضعیت نباید بیش از ۱۰۰۰ نویسه باشد."})
    new_status = str(new_status or "").strip()
    ticket = _locked(ticket_id, actor)
    old = ticket.status
    try:
        check_transition(old, new_status)
    except ValidationError:
        db.session.rollback()  # release the row lock at once
        raise
    now = utcnow()
    if old == "waiting_customer" and ticket.paused_at is not None:
        if new_status not in FINAL:
            ticket.due_at = ticket.due_at + (now - ticket.paused_at)
        ticket.paused_at = None
    if new_status == "waiting_customer":
        ticket.paused_at = now
    elif new_status == "resolved":
        ticket.resolved_at = now
    elif new_status == "closed":
        ticket.closed_at = now
    elif new_status == "reopened":
        ticket.sla_start, ticket.due_at = now, sla.due_from(now, ticket.priority)
        ticket.breached_at = ticket.resolved_at = ticket.closed_at = ticket.paused_at = None
    ticket.status = new_status
    ticket.status_changes.append(TicketStatusChange(old_status=old, new_status=new_status, actor_id=actor.id, at=now,
                                              note=note))
    emit_after_commit("support.ticket_status_changed", {**_payload(ticket), "old": old, "new": new_status})
    db.session.commit()
    return ticket


def assign(ticket_id: int, assignee_id: int | None, actor) -> Ticket:
    """Give a ticket to a support agent (None: back to the team queue)."""
    c = Checker({"assignee_id": assignee_id})
    assignee_id = _assignee(c, actor)
    c.done()
    ticket = _locked(ticket_id, actor)
    if ticket.status in FINAL:
        db.session.rollback()
        raise ValidationError({"assignee_id": f"درخواست «{STATUSES[ticket.status]}» را نمی‌توان واگذار کرد؛ "
                                              "اگر کاری مانده، نخست آن را بازگشایی کنید."})
    if ticket.assignee_id != assignee_id:
        ticket.assignee_id = assignee_id
        if assignee_id is not None and assignee_id != actor.id:
            emit_after_commit("support.ticket_assigned", _payload(ticket))
    db.session.commit()
    return ticket


# --- notes -------------------------------------------------------------------------------------

def add_note(ticket_id: int, data: dict, actor, storages=()) -> TicketNote:
    """A note (internal, or `for_customer`: what the customer was told), with optional files;
    the files are checked (type, content, size, count per ticket) before anything is written."""
    ticket = _locked(ticket_id, actor)  # the count of files per ticket holds under concurrent notes
    c = Checker(data)
    body = c.text("body", "متن یادداشت", max_len=10000)
    files = [s for s in (storages or []) if _has_file(s)]
    if not body and not files and "body" not in c.errors:
        c.fail("body", "متن یادداشت را بنویسید یا فایلی پیوست کنید.")
    _done(c)
    try:
        checked = check_files(files, existing=len(ticket.attachments))
    except ValidationError:
        db.session.rollback()
        raise
    for_customer = data.get("for_customer")
    if isinstance(for_customer, str):
        for_customer = to_ascii_digits(for_customer).lower() in ("1", "true", "on", "yes", "y")
    note = TicketNote(ticket=ticket, author_id=actor.id, body=body, for_customer=bool(for_customer))
    db.session.add(note)
    db.session.flush()
    _store(ticket, checked, actor, note=note)
    ticket.updated_at = utcnow()
    db.session.commit()
    return note


def _payload(ticket: Ticket) -> dict:
    return {"ticket": ticket.ref, "ticket_id": ticket.id, "assignee_id": ticket.assignee_id,
            "office_id": ticket.office_id, "party_id": ticket.party_id, "status": ticket.status,
            "priority": ticket.priority}
