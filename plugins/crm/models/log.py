"""The negotiation log (interactions) and the comments on it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin


class LogEntry(TimestampMixin, Base):
    """درج مذاکره: one contact with the customer. Issue 5's interactions are these same rows."""
    __tablename__ = "crm_log_entries"
    __audited__ = True
    __table_args__ = (Index("ix_crm_log_entries_negotiation_date", "negotiation_id", "date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(Text)
    next_contact: Mapped[dt.date | None] = mapped_column(Date)
    author = relationship("User")
    negotiation = relationship("Negotiation")
    comments = relationship("Comment", back_populates="entry", order_by="Comment.id")
    # Module-qualified: other plugins may have an `Attachment` model in the same registry.
    attachments = relationship("plugins.crm.models.tasks.Attachment", order_by="plugins.crm.models.tasks.Attachment.id")


class Comment(TimestampMixin, Base):
    """A manager's or inspector's comment on a log entry; it reaches the negotiation's owner."""
    __tablename__ = "crm_comments"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("crm_log_entries.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    addressee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    entry = relationship("LogEntry", back_populates="comments")
    author = relationship("User", foreign_keys=[author_id])
    addressee = relationship("User", foreign_keys=[addressee_id])
