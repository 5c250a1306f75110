"""Leads (سرنخ): contacts from any channel before they are qualified into a negotiation."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin

LEAD_CHANNELS = {"web_form": "فرم وب‌سایت", "phone": "تماس تلفنی", "exhibition": "نمایشگاه", "referral": "معرفی",
                 "campaign": "کمپین", "import": "ورود از فایل", "api": "API", "manual": "ثبت دستی"}
LEAD_STATUSES = {"new": "تازه", "assigned": "واگذارشده", "qualified": "تبدیل به فرصت", "disqualified": "رد صلاحیت"}
NEED_LEVELS = {"low": "کم", "medium": "متوسط", "high": "زیاد"}


class Lead(TimestampMixin, Base):
    __tablename__ = "crm_leads"
    __audited__ = True
    __table_args__ = (Index("ix_crm_leads_status_office", "status", "office_id"),
                      # the dashboard's lead conversion: leads created in a period, covering (crm_0008)
                      Index("ix_crm_leads_created", "created_at", "owner_id", "office_id", "status"),
                      # the web form's rate limit: this address's leads of the last hour (crm_0010)
                      Index("ix_crm_leads_source_ip", "source_ip", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new")
    need_level: Mapped[str] = mapped_column(String(8), default="medium")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("crm_list_items.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12), default="person")
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    mobile: Mapped[str] = mapped_column(String(40), default="")
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    mobile_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int] = mapped_column(Integer, default=0)
    search_key: Mapped[str] = mapped_column(String(420), default="", index=True)
    disqualify_reason_id: Mapped[int | None] = mapped_column(ForeignKey("crm_list_items.id", ondelete="SET NULL"))
    disqualify_note: Mapped[str] = mapped_column(String(400), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customers.id", ondelete="SET NULL"))
    negotiation_id: Mapped[int | None] = mapped_column(ForeignKey("crm_negotiations.id", ondelete="SET NULL"))
    qualified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source_ip: Mapped[str] = mapped_column(String(64), default="")  # web form: for the rate limit
    import_id: Mapped[int | None] = mapped_column(ForeignKey("crm_lead_imports.id", ondelete="SET NULL"))

    owner = relationship("User", foreign_keys=[owner_id])
    office = relationship("Office")
    category = relationship("ListItem", foreign_keys=[category_id])
    disqualify_reason = relationship("ListItem", foreign_keys=[disqualify_reason_id])


class LeadImport(TimestampMixin, Base):
    """One uploaded CSV/XLSX file going through mapping, preview and import."""
    __tablename__ = "crm_lead_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default="uploaded")  # uploaded | imported
    mapping: Mapped[dict | None] = mapped_column(JSON)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list | None] = mapped_column(JSON)
