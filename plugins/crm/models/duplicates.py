"""Duplicate detection: the blocking index, warnings shown, scans and merges."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin
from core.jalali import utcnow


class MatchKey(Base):
    """Blocking index for duplicate detection: one row per (key, customer). Kept in the
    database, not in a process, so every web process and worker sees the same index."""
    __tablename__ = "crm_match_keys"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"),
                                             primary_key=True, index=True)


class MatchKeyCount(Base):
    """How many customers share a key, so a check skips keys too common to be selective."""
    __tablename__ = "crm_match_key_counts"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class DuplicateWarning(TimestampMixin, Base):
    """A duplicate warning shown to a rep: what they typed, the matches shown (as shown, with
    masked contacts) and whether they dismissed it as "not a duplicate"."""
    __tablename__ = "crm_duplicate_warnings"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    candidate_name: Mapped[str] = mapped_column(String(200))
    candidate: Mapped[dict] = mapped_column(JSON, default=dict)
    matches: Mapped[list] = mapped_column(JSON, default=list)
    dismissed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The customer registered after the dismissal, when there was one.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customers.id", ondelete="SET NULL"), index=True)
    user = relationship("User")
    customer = relationship("Customer")


class DuplicateWarningMatch(Base):
    """Which existing customers a warning named (for the per-customer audit)."""
    __tablename__ = "crm_duplicate_warning_matches"
    warning_id: Mapped[int] = mapped_column(ForeignKey("crm_duplicate_warnings.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"), primary_key=True, index=True)
    score: Mapped[int] = mapped_column(Integer)


class DuplicateScan(TimestampMixin, Base):
    """A background scan of the whole customer base for likely duplicates."""
    __tablename__ = "crm_duplicate_scans"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | running | done | failed
    checked: Mapped[int] = mapped_column(Integer, default=0)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    started_by = relationship("User")


class DuplicatePair(Base):
    """Two customers a scan found likely to be the same; `cluster` groups pairs that share a
    customer. An administrator merges them or marks them as different."""
    __tablename__ = "crm_duplicate_pairs"
    __table_args__ = (UniqueConstraint("scan_id", "customer_a_id", "customer_b_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("crm_duplicate_scans.id", ondelete="CASCADE"), index=True)
    cluster: Mapped[int] = mapped_column(Integer, index=True)
    customer_a_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"))
    customer_b_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | merged | different
    customer_a = relationship("Customer", foreign_keys=[customer_a_id])
    customer_b = relationship("Customer", foreign_keys=[customer_b_id])


class Merge(Base):
    """One customer merged into another, by whom and when (the merged record is kept)."""
    __tablename__ = "crm_merges"
    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"), unique=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    moved: Mapped[dict] = mapped_column(JSON, default=dict)  # what moved: {"negotiations": 3, ...}
