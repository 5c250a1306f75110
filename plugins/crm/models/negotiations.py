"""Negotiations under the Saba rules, their status history, the points ledger, stale cards."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    case,
    literal,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin
from core.jalali import utcnow
from plugins.crm.models.labels import POOL_STATUSES, STATUS_LABELS


class Negotiation(TimestampMixin, Base):
    """One rep's ownership of one customer for one window (the Saba negotiation; issue 5 adds
    the opportunity fields to it). `status` is what was last written; `effective_status` is the
    truth: an overdue `negotiating` is `expired` whether or not the sweep has run."""
    __tablename__ = "crm_negotiations"
    __audited__ = True
    __table_args__ = (
        # At most one open negotiation per customer, enforced by the database.
        Index("uq_crm_negotiations_open_customer", "customer_id", unique=True,
              sqlite_where=text("status = 'negotiating'"), postgresql_where=text("status = 'negotiating'")),
        # A rep's negotiations; covering the visibility filter (owner, office, effective status) and
        # the id the dashboard joins points and cards on (crm_0008); with the start third, report 1
        # counts per owner and status over a range in index order, no sort (SQLite) (crm_0009).
        Index("ix_crm_negotiations_owner_status", "owner_id", "status", "window_start", "office_id", "window_end",
              "id"),
        Index("ix_crm_negotiations_status_window", "status", "window_end"),
        # Report 1 and the dashboard: negotiations started in a range, with every column their
        # counts read, so PostgreSQL answers from the index alone (crm_0008).
        Index("ix_crm_negotiations_started", "window_start", "owner_id", "office_id", "status", "window_end",
              "closed_at"),
        # The dashboard's open pipeline and stale counts: only open negotiations, covering (crm_0008).
        # The status, one value here, too: SQLite counts a query that reads it as covered only then,
        # and otherwise prefers (status, window_end) and a table lookup per row (crm_0009).
        Index("ix_crm_negotiations_open", "window_end", "owner_id", "office_id", "window_start", "last_entry_at",
              "forecast_close", "value", "probability", "stage_id", "status",
              sqlite_where=text("status = 'negotiating'"), postgresql_where=text("status = 'negotiating'")),
        # Orders of won negotiations (the dashboard's money figures join on it) (crm_0008).
        Index("ix_crm_negotiations_status_id", "status", "owner_id", "office_id", "window_end", "id"),
        # An office's negotiations, covering the same (the dashboard filtered to an office) (crm_0008).
        Index("ix_crm_negotiations_office_cover", "office_id", "owner_id", "status", "window_end", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="negotiating")
    window_start: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    window_end: Mapped[dt.datetime] = mapped_column(DateTime)
    opened_via: Mapped[str] = mapped_column(String(12), default="register")  # register | claim | lead
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A suspended negotiation taken over by another rep: when, and by which negotiation.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Set by the expiry sweep to the run's timestamp, so the run's history rows are written with
    # set-based INSERT … SELECT over exactly the rows it expired.
    swept_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    last_entry_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_contact: Mapped[dt.date | None] = mapped_column(Date, index=True)
    # The opportunity (فرصت فروش) side of the negotiation.
    value: Mapped[int | None] = mapped_column(BigInteger)  # probable deal value, Rials
    forecast_close: Mapped[dt.date | None] = mapped_column(Date)
    need_details: Mapped[str] = mapped_column(Text, default="", server_default="")
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("crm_stages.id", ondelete="SET NULL"), index=True)
    probability: Mapped[int | None] = mapped_column(Integer)  # percent; the stage's unless set

    customer = relationship("Customer", foreign_keys=[customer_id], back_populates="negotiations")
    owner = relationship("User", foreign_keys=[owner_id])
    office = relationship("Office")
    previous = relationship("Negotiation", remote_side=[id])
    stage = relationship("Stage")

    @hybrid_property
    def effective_status(self) -> str:
        if self.status == "negotiating" and self.window_end <= utcnow():
            return "expired"
        return self.status

    @effective_status.inplace.expression
    @classmethod
    def _effective_status_expression(cls):
        return case((and_(cls.status == "negotiating", cls.window_end <= literal(utcnow())), "expired"),
                    else_=cls.status)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.effective_status]

    @property
    def is_open(self) -> bool:
        return self.effective_status == "negotiating"

    @property
    def in_pool(self) -> bool:
        return self.effective_status in POOL_STATUSES and self.claimed_at is None


class StatusChange(Base):
    """Every status a negotiation entered, by whom and when."""
    __tablename__ = "crm_status_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(12))
    new_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(400), default="")
    actor = relationship("User")


class PointEntry(Base):
    """The points ledger. One row per (negotiation, event): the database refuses a second
    charge for the same event, which makes the sweep and retries idempotent. Values are those
    in the settings when the row was written; changing the settings never rewrites the past."""
    __tablename__ = "crm_points"
    __table_args__ = (UniqueConstraint("negotiation_id", "event"),
                      # a user's points by date, covering (report 1 for a manager's users) (crm_0009)
                      Index("ix_crm_points_user_at", "user_id", "at", "points"),
                      # reports over all users by date; covering for the dashboard's leaderboard (crm_0008)
                      Index("ix_crm_points_at_user", "at", "user_id", "points", "negotiation_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(16))  # negotiating | cut | suspended | won | expired
    points: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(400), default="")
    user = relationship("User")
    negotiation = relationship("Negotiation")


class PointDay(Base):
    """Each user's points per Tehran calendar day: the ledger summed ahead, so report 1 adds up
    a few hundred rows per user and year instead of every ledger row of the range (400,000 for
    a year of 200 reps). Written with every ledger row (`negotiations.add_points_days`); the ledger
    stays the truth, and `negotiations.rebuild_point_days` derives this from it again."""
    __tablename__ = "crm_point_days"
    # Report 1 for everyone: the days of a range, every user, covering.
    __table_args__ = (Index("ix_crm_point_days_day", "day", "user_id", "points"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)


class Card(Base):
    """A yellow or red card charged to a negotiation's owner for letting it go stale; at most
    one of each colour per negotiation (written by the stale sweep)."""
    __tablename__ = "crm_cards"
    __table_args__ = (UniqueConstraint("negotiation_id", "colour"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    colour: Mapped[str] = mapped_column(String(8))  # yellow | red
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    days: Mapped[int] = mapped_column(Integer)
    negotiation = relationship("Negotiation")


def effective_status_in(statuses, model=Negotiation):
    """`model.effective_status IN statuses` without the CASE, so the planner can estimate it and
    use the status indexes (`model` may be an alias): an overdue `negotiating` is `expired`."""
    statuses = set(statuses)
    now = literal(utcnow())
    condition = model.status.in_(sorted(statuses - {"negotiating"}))
    if "expired" in statuses and "negotiating" not in statuses:
        condition = or_(condition, and_(model.status == "negotiating", model.window_end <= now))
    elif "negotiating" in statuses and "expired" not in statuses:
        condition = or_(condition, and_(model.status == "negotiating", model.window_end > now))
    elif "negotiating" in statuses:
        condition = or_(condition, model.status == "negotiating")
    return condition
