"""Customers (the CRM's view of a party) and the master lists."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin
from core.jalali import utcnow


class ListItem(TimestampMixin, Base):
    """One entry of a master list (category, activity field, acquaintance source, marketer)."""
    __tablename__ = "crm_list_items"
    __audited__ = True
    __table_args__ = (UniqueConstraint("kind", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")  # marketers only
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Customer(Base):
    """The CRM's view of a party: how it came to us and who holds it now."""
    __tablename__ = "crm_customers"
    __audited__ = True
    # A derived copy (below), not a change anyone made to the customer's file.
    __audit_exclude__ = ("last_activity_at",)
    __table_args__ = (
        # The lists' default order (newest registration first) and the order by last activity,
        # walked from an index and stopped at the page instead of sorting every visible customer
        # (crm_0009).
        Index("ix_crm_customers_registered", "registered_at", "id"),
        Index("ix_crm_customers_activity", "last_activity_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"), unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("crm_list_items.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("crm_list_items.id", ondelete="SET NULL"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("crm_list_items.id", ondelete="SET NULL"))
    marketer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_list_items.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The latest negotiation: the one that decides who holds the customer and whether it is free.
    current_negotiation_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_negotiations.id", ondelete="SET NULL", use_alter=True), index=True)
    # A copy of the current negotiation's last activity (its last log entry, else its start) for
    # the list sorted by activity; `negotiations.sync_last_activity` writes it wherever either side
    # changes (a new current negotiation, a log entry, a merge).
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    party = relationship("Party", lazy="joined")
    category = relationship("ListItem", foreign_keys=[category_id])
    activity = relationship("ListItem", foreign_keys=[activity_id])
    source = relationship("ListItem", foreign_keys=[source_id])
    marketer = relationship("ListItem", foreign_keys=[marketer_id])
    product = relationship("Product")
    registered_by = relationship("User", foreign_keys=[registered_by_id])
    current = relationship("Negotiation", foreign_keys=[current_negotiation_id], post_update=True)
    negotiations = relationship("Negotiation", foreign_keys="Negotiation.customer_id",
                                back_populates="customer", order_by="Negotiation.id")
