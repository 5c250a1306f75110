"""The product catalogue: what the company sells. Prices are integer Rials."""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, TimestampMixin


class Product(TimestampMixin, Base):
    __tablename__ = "products"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("list_price >= 0", name="list_price_non_negative"),
        CheckConstraint("cost_price >= 0", name="cost_price_non_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(260), default="", index=True)
    unit: Mapped[str] = mapped_column(String(30), default="عدد")
    list_price: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_price: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_class: Mapped[str] = mapped_column(String(30), default="standard")
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
