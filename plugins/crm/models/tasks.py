"""Tasks and reminders (planned follow-ups) and documents attached to the customer history."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin

TASK_STATUSES = {"open": "باز", "done": "انجام‌شده", "cancelled": "لغوشده"}


class Task(TimestampMixin, Base):
    __tablename__ = "crm_tasks"
    __audited__ = True
    __table_args__ = (Index("ix_crm_tasks_assignee_status_due", "assignee_id", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"), index=True)
    negotiation_id: Mapped[int | None] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="SET NULL"))
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(12), default="call")  # the interaction it plans
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(10), default="open")
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    overdue_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # set once by the reminder sweep
    log_entry_id: Mapped[int | None] = mapped_column(ForeignKey("crm_log_entries.id", ondelete="SET NULL"))
    assignee = relationship("User", foreign_keys=[assignee_id])
    customer = relationship("Customer")


class Attachment(TimestampMixin, Base):
    """A document on a customer's history: stored under the instance folder, never served to
    someone who may not see the customer."""
    __tablename__ = "crm_attachments"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"), index=True)
    log_entry_id: Mapped[int | None] = mapped_column(ForeignKey("crm_log_entries.id", ondelete="SET NULL"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for display
    stored_name: Mapped[str] = mapped_column(String(80))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by = relationship("User")
