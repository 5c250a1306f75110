"""Inventory tables: warehouses, stock as a movement ledger, reservations, goods issues.

`inv_moves` is the ledger and the truth: on-hand and reserved per product and warehouse are the
sums of its deltas. `inv_stock` holds those sums, written only together with a move (in the same
transaction, by `services.ledger.post`), so a reservation can lock one row and the database's
CHECK constraints refuse an oversell outright. A property test checks the two always agree.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    event,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin
from core.jalali import utcnow

MOVE_KINDS = {"receipt": "رسید", "reservation": "رزرو", "release": "آزادسازی رزرو", "issue": "خروج کالا",
              "adjustment": "اصلاح موجودی", "transfer_out": "انتقال (خروج)", "transfer_in": "انتقال (ورود)"}


class Warehouse(TimestampMixin, Base):
    __tablename__ = "inv_warehouses"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    office = relationship("Office")


class Stock(Base):
    __tablename__ = "inv_stock"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("reserved <= on_hand", name="no_oversell"),
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("inv_warehouses.id", ondelete="CASCADE"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Move(Base):
    """A posted movement. Never edited: a mistake is corrected by posting another move."""
    __tablename__ = "inv_moves"
    __table_args__ = (Index("ix_inv_moves_product_warehouse", "product_id", "warehouse_id", "id"),
                      Index("ix_inv_moves_warehouse", "warehouse_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("inv_warehouses.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(14))
    on_hand_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("inv_reservations.id", ondelete="SET NULL"), index=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("inv_issues.id", ondelete="SET NULL"), index=True)
    ref: Mapped[str] = mapped_column(String(120), default="")  # e.g. crm.order:42
    reason: Mapped[str] = mapped_column(String(400), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    product = relationship("Product")
    warehouse = relationship("Warehouse")
    created_by = relationship("User")


@event.listens_for(Move, "before_update")
def _moves_are_immutable(mapper, connection, target):
    from core.validation import ValidationError
    raise ValidationError("گردش ثبت‌شده ویرایش نمی‌شود؛ برای اصلاح، گردش اصلاحی ثبت کنید.")


@event.listens_for(Move, "before_delete")
def _moves_are_never_deleted(mapper, connection, target):
    from core.validation import ValidationError
    raise ValidationError("گردش ثبت‌شده حذف نمی‌شود؛ برای اصلاح، گردش اصلاحی ثبت کنید.")


class Reservation(TimestampMixin, Base):
    """Units held for an order line until they are issued or released."""
    __tablename__ = "inv_reservations"
    __table_args__ = (
        CheckConstraint("issued + released <= quantity", name="within_quantity"),
        # The warehouse's queue («waiting to be issued») reads only the open ones, however long
        # the history grows.
        Index("ix_inv_reservations_open", "warehouse_id", "id",
              postgresql_where=text("quantity > issued + released"), sqlite_where=text("quantity > issued + released")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(120), index=True)  # crm.order:42
    order_number: Mapped[int] = mapped_column(Integer)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("inv_warehouses.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    released: Mapped[int] = mapped_column(BigInteger, default=0)
    product = relationship("Product")
    warehouse = relationship("Warehouse")
    party = relationship("Party")

    @property
    def remaining(self) -> int:
        return self.quantity - self.issued - self.released

    @property
    def status(self) -> str:
        if self.remaining > 0:
            return "partly_issued" if self.issued else "open"
        return "issued" if self.issued else "released"


class GoodsIssue(TimestampMixin, Base):
    """خروج کالا: one slip, issuing reserved units of one order from one warehouse."""
    __tablename__ = "inv_issues"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("inv_warehouses.id", ondelete="RESTRICT"))
    order_ref: Mapped[str] = mapped_column(String(120), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(String(400), default="")
    warehouse = relationship("Warehouse")
    party = relationship("Party")
    created_by = relationship("User")
    moves = relationship("Move", order_by="Move.id")


class ProductStockSetting(Base):
    """Per-product inventory settings kept by this plugin (the core catalogue stays untouched).

    `tracked`: the product is kept in stock. Services and licences are not (`tracked=False`): an
    order line of theirs reserves nothing. A product without a settings row is tracked, so a new
    product can never be sold past its stock by default."""
    __tablename__ = "inv_product_settings"
    __audited__ = True
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    reorder_level: Mapped[int] = mapped_column(BigInteger, default=0)
    tracked: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
