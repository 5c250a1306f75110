"""The dashboard's one table: computed figures, cached per (period, scope, audience).

A row holds what every plugin's `dashboard_kpis` returned for one period and one scope, as
JSON, with the time it was computed. `audience` is a fingerprint of what the viewer may see
(their permissions, office, department and the users they may report on), so viewers who see
exactly the same rows share one entry and a viewer never reads figures computed for a wider
view than theirs. `common` marks the views the periodic job keeps fresh.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.jalali import utcnow


class CacheEntry(Base):
    __tablename__ = "dashboard_cache"
    __table_args__ = (Index("ix_dashboard_cache_computed_at", "computed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)        # sha256 of everything below
    audience: Mapped[str] = mapped_column(String(64))
    viewer_id: Mapped[int | None] = mapped_column(Integer)           # who it was computed for (one of the audience)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    office_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    user_ids: Mapped[str | None] = mapped_column(Text)               # JSON list, or NULL for every user
    payload: Mapped[dict] = mapped_column(JSON)                      # {"kpis": [...], "errors": [...]}
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    common: Mapped[bool] = mapped_column(Boolean, default=False)     # refreshed by the periodic job
