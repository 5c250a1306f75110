"""Support tables: tickets (درخواست پشتیبانی) tied to a customer (`parties.id`) and optionally to an
order (a reference such as `crm.order:42`, with its number) or a catalogue product; their notes,
attachments and status changes; the categories administrators manage.

A ticket's SLA clock: `due_at` = `sla_start` + the hours set for its priority. The clock stops
while the ticket waits for the customer (`paused_at`; the pause is added to `due_at` when work
resumes) and restarts from zero when a ticket is reopened. `breached_at` is set once, by the
periodic sweep, when an open ticket passes `due_at`.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin
from core.jalali import utcnow

CHANNELS = {"phone": "تلفن", "email": "ایمیل", "web": "وب", "in_person": "حضوری", "messenger": "پیام‌رسان"}
CHANNEL_ICONS = {"phone": "telephone", "email": "envelope", "web": "globe2", "in_person": "person",
                 "messenger": "chat-dots"}
PRIORITIES = {"low": "کم", "normal": "عادی", "high": "زیاد", "urgent": "فوری"}
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
STATUSES = {"new": "تازه", "in_progress": "در حال رسیدگی", "waiting_customer": "منتظر مشتری",
            "resolved": "حل‌شده", "closed": "بسته", "reopened": "بازگشایی‌شده"}
# Still to be dealt with (lists "open first", the customer panel, the dashboard).
OPEN_STATUSES = ("new", "in_progress", "waiting_customer", "reopened")
# The SLA clock runs: the ball is in our court (not while waiting for the customer).
CLOCK_STATUSES = ("new", "in_progress", "reopened")

# What may follow what. Anything else is refused with a Persian message naming the way out.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_progress", "waiting_customer", "resolved", "closed"),
    "in_progress": ("waiting_customer", "resolved", "closed"),
    "waiting_customer": ("in_progress", "resolved", "closed"),
    "reopened": ("in_progress", "waiting_customer", "resolved", "closed"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TicketCategory(TimestampMixin, Base):
    """A ticket category (نصب، خرابی، آموزش…), managed by administrators. Never deleted once
    used: deactivated, it is no longer offered but old tickets keep it."""
    __tablename__ = "support_categories"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Ticket(TimestampMixin, Base):
    __tablename__ = "support_tickets"
    __audited__ = True
    __audit_exclude__ = ("search_key", "updated_at")
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        CheckConstraint(_in("priority", PRIORITIES), name="priority_known"),
        CheckConstraint(_in("channel", CHANNELS), name="channel_known"),
        # The breach sweep and the overdue lists: open tickets by due time.
        Index("ix_support_tickets_status_due", "status", "due_at"),
        Index("ix_support_tickets_party_created", "party_id", "created_at"),
        Index("ix_support_tickets_office_status", "office_id", "status"),
        Index("ix_support_tickets_assignee_status", "assignee_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    search_key: Mapped[str] = mapped_column(String(260), default="")
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    order_ref: Mapped[str | None] = mapped_column(String(120), index=True)   # "crm.order:42"
    order_number: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    channel: Mapped[str] = mapped_column(String(12), default="phone")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("support_categories.id", ondelete="RESTRICT"))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(20), default="new")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    sla_start: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    breached_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    party = relationship("Party")
    product = relationship("Product")
    office = relationship("Office")
    category: Mapped[TicketCategory | None] = relationship()
    assignee = relationship("User", foreign_keys=[assignee_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    notes: Mapped[list[TicketNote]] = relationship(back_populates="ticket", order_by="TicketNote.id",
                                             cascade="all, delete-orphan")
    attachments: Mapped[list[TicketAttachment]] = relationship(back_populates="ticket", order_by="TicketAttachment.id",
                                                         cascade="all, delete-orphan")
    status_changes: Mapped[list[TicketStatusChange]] = relationship(back_populates="ticket", order_by="TicketStatusChange.id",
                                                              cascade="all, delete-orphan")

    @property
    def ref(self) -> str:
        return f"support.ticket:{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        """Past its due time while the clock runs (waiting for the customer does not count)."""
        return self.status in CLOCK_STATUSES and self.due_at is not None and self.due_at < (now or utcnow())


class TicketNote(TimestampMixin, Base):
    """A threaded note: internal (staff only) or for the customer (what was told to them)."""
    __tablename__ = "support_notes"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    for_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    ticket: Mapped[Ticket] = relationship(back_populates="notes")
    author = relationship("User")
    attachments: Mapped[list[TicketAttachment]] = relationship(back_populates="note", order_by="TicketAttachment.id")


class TicketAttachment(TimestampMixin, Base):
    """A file on a ticket (checked by `core.uploads`), stored under a random name and served
    only to those who may see the ticket."""
    __tablename__ = "support_attachments"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("support_notes.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    note: Mapped[TicketNote | None] = relationship(back_populates="attachments")
    uploaded_by = relationship("User")


class TicketStatusChange(Base):
    """Every status a ticket entered (its creation included, `old_status` None), by whom, when."""
    __tablename__ = "support_status_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(1000), default="")
    ticket: Mapped[Ticket] = relationship(back_populates="status_changes")
    actor = relationship("User")
