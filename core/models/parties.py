"""Parties: the customers (people and organisations) every plugin refers to.

The CRM builds its customer screens on these; finance and support link to `parties.id`.
`search_key` holds the normalised name and organisation so Persian search is one LIKE.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin


class Party(TimestampMixin, Base):
    __tablename__ = "parties"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # person | organisation
    name: Mapped[str] = mapped_column(String(200))  # person's full name or organisation's name
    organisation: Mapped[str] = mapped_column(String(200), default="")  # organisation title
    national_id: Mapped[str | None] = mapped_column(String(11), index=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    search_key: Mapped[str] = mapped_column(String(420), default="", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    # Set when the party was merged into another; the merged record stays for history.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id", ondelete="SET NULL"))

    phones: Mapped[list[PartyPhone]] = relationship(
        back_populates="party", cascade="all, delete-orphan", order_by="PartyPhone.id")
    addresses: Mapped[list[PartyAddress]] = relationship(
        back_populates="party", cascade="all, delete-orphan", order_by="PartyAddress.id")

    @property
    def display_name(self) -> str:
        if self.kind == "person" and self.organisation:
            return f"{self.name} ({self.organisation})"
        return self.name


class PartyPhone(Base):
    __tablename__ = "party_phones"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="phone")  # phone | mobile | fax
    number: Mapped[str] = mapped_column(String(40))  # as typed
    e164: Mapped[str] = mapped_column(String(20), index=True)  # canonical, for matching
    party: Mapped[Party] = relationship(back_populates="phones")


class PartyAddress(Base):
    __tablename__ = "party_addresses"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"), index=True)
    city: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    party: Mapped[Party] = relationship(back_populates="addresses")
