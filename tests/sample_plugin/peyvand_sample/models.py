"""The plugin's own table. `peyvand db revision -b sample` knows it belongs to the `sample`
branch because the class lives in the plugin module's package (`peyvand_sample`); a table
elsewhere would say so with `__table_args__ = {"info": {"plugin": "sample"}}`."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, TimestampMixin


class Note(TimestampMixin, Base):
    __tablename__ = "sample_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
