"""Quotes (پیش‌فاکتور), sales orders and contracts, price lists and sales policies.
Money is integer Rials; percentages are stored as hundredths of a percent (1250 = 12.5 %)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin

POLICY_KINDS = {
    "tier_quantity": "پلکانی بر اساس تعداد",
    "tier_line_amount": "پلکانی بر اساس مبلغ ردیف",
    "tier_order_amount": "پلکانی بر اساس مبلغ کل سفارش",
    "percentage": "درصدی",
    "period": "دوره‌ای (بین دو تاریخ)",
    "loyal": "مشتری وفادار",
}
QUOTE_STATUSES = {"draft": "پیش‌نویس", "sent": "ارسال‌شده", "accepted": "پذیرفته", "rejected": "ردشده",
                  "superseded": "نسخهٔ قدیمی"}
ORDER_STATUSES = {"draft": "پیش‌نویس", "confirmed": "تأییدشده", "cancelled": "لغوشده"}


class PriceList(TimestampMixin, Base):
    """A price list: the catalogue's list prices are the default; further lists for a customer
    category and/or a period override them for the products they name."""
    __tablename__ = "crm_price_lists"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("crm_list_items.id", ondelete="SET NULL"))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    items: Mapped[list[PriceListItem]] = relationship(cascade="all, delete-orphan", order_by="PriceListItem.id")


class PriceListItem(Base):
    __tablename__ = "crm_price_list_items"
    __audited__ = True
    __table_args__ = (UniqueConstraint("price_list_id", "product_id"), CheckConstraint("price >= 0", name="price_non_negative"))
    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("crm_price_lists.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    price: Mapped[int] = mapped_column(BigInteger)


class Policy(TimestampMixin, Base):
    """A sales policy. `tiers` is a list of bands `{"from": n, "percent": bp}` (or `"unit_price"` for
    quantity tiers), `from` in units or Rials; `percent` in basis points (hundredths of a percent)."""
    __tablename__ = "crm_policies"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("crm_list_items.id", ondelete="SET NULL"))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    percent: Mapped[int | None] = mapped_column(Integer)  # basis points
    tiers: Mapped[list] = mapped_column(JSON, default=list)
    tier_mode: Mapped[str] = mapped_column(String(12), default="all_units")  # all_units | incremental
    loyal_min_purchase: Mapped[int | None] = mapped_column(BigInteger)  # Rials bought in the last 12 months


class DiscountLimit(Base):
    """How much ad hoc discount (basis points) members of a group may give without approval."""
    __tablename__ = "crm_discount_limits"
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    max_percent: Mapped[int] = mapped_column(Integer)


class Quote(TimestampMixin, Base):
    __tablename__ = "crm_quotes"
    __audited__ = True
    __table_args__ = (UniqueConstraint("number", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, index=True)  # the same across versions
    version: Mapped[int] = mapped_column(Integer, default=1)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    valid_until: Mapped[dt.date] = mapped_column(Date)
    price_list_id: Mapped[int | None] = mapped_column(ForeignKey("crm_price_lists.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)   # sum of gross
    discount: Mapped[int] = mapped_column(BigInteger, default=0)   # sum of adjustments
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lines: Mapped[list[QuoteLine]] = relationship(cascade="all, delete-orphan", order_by="QuoteLine.position")
    customer = relationship("Customer")
    negotiation = relationship("Negotiation")
    created_by = relationship("User")


class QuoteLine(Base):
    __tablename__ = "crm_quote_lines"
    __audited__ = True
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("crm_quotes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    list_price: Mapped[int] = mapped_column(BigInteger)     # unit price from the price list
    adhoc_percent: Mapped[int] = mapped_column(Integer, default=0)  # rep's discount, basis points
    gross: Mapped[int] = mapped_column(BigInteger, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    net: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_rate: Mapped[int] = mapped_column(Integer, default=0)  # basis points
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    adjustments: Mapped[list] = mapped_column(JSON, default=list)  # what applied, why, how much
    approval: Mapped[str] = mapped_column(String(10), default="none")  # none | pending | approved | rejected
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    product = relationship("Product")


class Order(TimestampMixin, Base):
    """A sales order or contract. Confirming it fires `order_confirmed` in the same transaction."""
    __tablename__ = "crm_orders"
    __audited__ = True
    __table_args__ = (Index("ix_crm_orders_status", "status"),
                      # the dashboard's money figures: orders confirmed in a period (crm_0008)
                      Index("ix_crm_orders_status_confirmed", "status", "confirmed_at", "negotiation_id", "total"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="order")  # order | contract
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("crm_quotes.id", ondelete="SET NULL"), unique=True)
    negotiation_id: Mapped[int | None] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="RESTRICT"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    allow_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str] = mapped_column(String(400), default="")
    lines: Mapped[list[OrderLine]] = relationship(cascade="all, delete-orphan", order_by="OrderLine.position")
    effects: Mapped[list[OrderEffect]] = relationship(cascade="all, delete-orphan", order_by="OrderEffect.id")
    customer = relationship("Customer")


class OrderLine(Base):
    __tablename__ = "crm_order_lines"
    __audited__ = True
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      # the dashboard's profit: amounts of the lines of the orders of a period (crm_0008)
                      Index("ix_crm_order_lines_order_amounts", "order_id", "net", "cost_price", "quantity"))
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("crm_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)   # net unit price after adjustments (for display)
    gross: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    tax_rate: Mapped[int] = mapped_column(Integer)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    cost_price: Mapped[int] = mapped_column(BigInteger, default=0)  # unit cost at confirmation (profit reports)
    product = relationship("Product")


class OrderEffect(Base):
    """What a hook subscriber did when the order was confirmed or cancelled (its reference, e.g.
    `inventory.reservation:7`, with a label and a link), for the order page's traceability."""
    __tablename__ = "crm_order_effects"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("crm_orders.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(12))  # confirmed | cancelled
    plugin: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(120), default="")
    label: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime)
