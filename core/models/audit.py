"""The audit trail: one row per insert, update or delete of an audited record."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.jalali import utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_record", "table_name", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    table_name: Mapped[str] = mapped_column(String(80))
    record_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(10))  # insert / update / delete
    # {field: [old, new]}; values as JSON-safe strings or numbers.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    user = relationship("User")
