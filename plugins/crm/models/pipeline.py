"""Sales pipelines and their stages, defined per organisation. An opportunity is a negotiation
with a stage; moving it between stages is checked against the stage's required fields."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin

# Fields a stage may require before a card enters it.
STAGE_FIELDS = {"value": "ارزش احتمالی", "forecast_close": "تاریخ پیش‌بینی بسته شدن", "need_details": "جزئیات نیاز",
                "priority": "اولویت"}
PRIORITIES = {"low": "کم", "normal": "عادی", "high": "زیاد"}


class Pipeline(TimestampMixin, Base):
    __tablename__ = "crm_pipelines"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    stages: Mapped[list[Stage]] = relationship(back_populates="pipeline", order_by="Stage.position",
                                               cascade="all, delete-orphan")


class Stage(Base):
    __tablename__ = "crm_stages"
    __audited__ = True
    __table_args__ = (UniqueConstraint("pipeline_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("crm_pipelines.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[int] = mapped_column(Integer, default=0)  # percent
    required_fields: Mapped[list] = mapped_column(JSON, default=list)
    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")
