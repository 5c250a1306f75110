"""Finance tables: invoices and credit notes (numbered per Iranian fiscal year, unbroken), the
customer account ledger, receipts with their allocation to invoices, cheques, credit limits.

The account ledger (`fin_entries`) is the truth for balances: debits from invoices, credits from
receipts and credit notes, and the reversal of a bounced cheque. Posted rows are never edited
or deleted: a mistake is corrected by another posting.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint,
                        event, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin
from core.jalali import utcnow

METHODS = {"cash": "نقد", "card": "کارت", "transfer": "حواله بانکی", "cheque": "چک"}
CHEQUE_STATUSES = {"received": "دریافت‌شده", "deposited": "خوابانده‌شده به حساب", "cleared": "وصول‌شده",
                   "bounced": "برگشتی"}


class NumberSequence(Base):
    """The last number given per fiscal year and document kind; incremented under a row lock
    inside the issuing transaction, so a rolled-back confirmation leaves no gap."""
    __tablename__ = "fin_sequences"
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # invoice | credit_note | receipt
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(TimestampMixin, Base):
    __tablename__ = "fin_invoices"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("kind", "fiscal_year", "number"),
        # Exactly one invoice (and one credit note) per order, whatever retries happen.
        UniqueConstraint("kind", "order_ref", name="uq_fin_invoices_one_per_order"),
        Index("ix_fin_invoices_party_issued", "party_id", "issued_at"),
        # Receivables: only open invoices, covering the dashboard's ageing (finance_0003).
        Index("ix_fin_invoices_open", "due_date", "office_id", "total", "paid",
              sqlite_where=text("kind = 'invoice' AND credited = 0 AND paid < total"),
              postgresql_where=text("kind = 'invoice' AND credited IS false AND paid < total")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")  # invoice | credit_note
    fiscal_year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    order_ref: Mapped[str] = mapped_column(String(120))
    order_number: Mapped[int] = mapped_column(Integer)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    due_date: Mapped[dt.date] = mapped_column(Date)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)  # allocated receipts (invoices only)
    credit_of_id: Mapped[int | None] = mapped_column(ForeignKey("fin_invoices.id", ondelete="RESTRICT"))
    credited: Mapped[bool] = mapped_column(default=False)  # an invoice reversed by a credit note
    lines: Mapped[list[InvoiceLine]] = relationship(cascade="all, delete-orphan", order_by="InvoiceLine.position")
    party = relationship("Party")

    @property
    def open_amount(self) -> int:
        return 0 if self.kind != "invoice" or self.credited else self.total - self.paid

    @property
    def status(self) -> str:
        if self.kind == "credit_note":
            return "credit_note"
        if self.credited:
            return "credited"
        if self.paid >= self.total:
            return "paid"
        return "partly_paid" if self.paid else "open"


class InvoiceLine(Base):
    __tablename__ = "fin_invoice_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("fin_invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    product = relationship("Product")


class Receipt(TimestampMixin, Base):
    """دریافت: money received from a customer. A bounced cheque is reversed by a posting."""
    __tablename__ = "fin_receipts"
    __audited__ = True
    __table_args__ = (UniqueConstraint("fiscal_year", "number"), CheckConstraint("amount > 0", name="amount_positive"),
                      Index("ix_fin_receipts_received_on", "received_on", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120), default="")  # card/transfer tracking number
    cheque_number: Mapped[str] = mapped_column(String(40), default="")
    cheque_bank: Mapped[str] = mapped_column(String(80), default="")
    cheque_due: Mapped[dt.date | None] = mapped_column(Date, index=True)
    cheque_status: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(String(400), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    allocations: Mapped[list[Allocation]] = relationship(cascade="all, delete-orphan", order_by="Allocation.id")
    party = relationship("Party")

    @property
    def allocated(self) -> int:
        return sum(a.amount for a in self.allocations)

    @property
    def unallocated(self) -> int:
        return 0 if self.cheque_status == "bounced" else self.amount - self.allocated


class Allocation(Base):
    __tablename__ = "fin_allocations"
    __audited__ = True
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("fin_receipts.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("fin_invoices.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    invoice = relationship("Invoice")


class Entry(Base):
    """One posting on a customer's account: debit raises what they owe, credit lowers it."""
    __tablename__ = "fin_entries"
    __table_args__ = (Index("ix_fin_entries_party_at", "party_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(14))  # invoice | credit_note | receipt | bounce
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("fin_invoices.id", ondelete="RESTRICT"))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("fin_receipts.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(String(300), default="")


class CreditLimit(Base):
    """A customer's own credit limit, overriding the limit of their category."""
    __tablename__ = "fin_credit_limits"
    __audited__ = True
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"), primary_key=True)
    limit: Mapped[int] = mapped_column(BigInteger)


class CategoryLimit(Base):
    """The credit limit of a customer category (the CRM's category id, carried in the payloads).

    The categories are the CRM's master list, which finance may not read: `name` is the
    category's name as the CRM showed it when the limit was set (through the customer page's
    finance panel, which receives the CRM customer with its category), kept for the finance
    screens only; the id is what `customer_credit` and `order_confirmed` are matched on."""
    __tablename__ = "fin_category_limits"
    __audited__ = True
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    limit: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(120), default="", server_default="")


@event.listens_for(Invoice, "before_delete")
def _posted_invoices_stay(mapper, connection, target):
    from core.validation import ValidationError
    raise ValidationError("فاکتور صادرشده حذف نمی‌شود؛ برای برگشت آن برگشت از فروش (اعلامیهٔ بستانکاری) صادر کنید.")


@event.listens_for(Entry, "before_update")
@event.listens_for(Entry, "before_delete")
def _postings_stay(mapper, connection, target):
    from core.validation import ValidationError
    raise ValidationError("سند ثبت‌شده ویرایش یا حذف نمی‌شود؛ سند اصلاحی ثبت کنید.")
