"""Organisation and access: offices, departments, positions, groups, users, API tokens."""
from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Table, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TimestampMixin
from core.jalali import utcnow


class Office(TimestampMixin, Base):
    """مجموعه / دفتر: a branch of the company. Reps see the customers of their own office."""
    __tablename__ = "offices"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    city: Mapped[str] = mapped_column(String(80), default="")
    # Telephone area code of the office's city (e.g. "21" for Tehran): completes bare local numbers.
    area_code: Mapped[str] = mapped_column(String(4), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(400), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    departments: Mapped[list[Department]] = relationship(back_populates="office", order_by="Department.name")


class Department(TimestampMixin, Base):
    """بخش: a department within an office."""
    __tablename__ = "departments"
    __audited__ = True
    __table_args__ = (UniqueConstraint("office_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    office: Mapped[Office] = relationship(back_populates="departments")


class Position(TimestampMixin, Base):
    """سمت: manager, sales manager, seller, …"""
    __tablename__ = "positions"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


user_groups = Table(
    "user_groups", Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Group(TimestampMixin, Base):
    """گروه کاربری: a set of named permissions granted to its members."""
    __tablename__ = "groups"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(400), default="")
    # The default role this group was seeded from ("sales", "manager", …), or "".
    role: Mapped[str] = mapped_column(String(40), default="")
    grants: Mapped[list[GroupPermission]] = relationship(
        cascade="all, delete-orphan", order_by="GroupPermission.permission")
    users: Mapped[list[User]] = relationship(secondary=user_groups, back_populates="groups")

    @property
    def permissions(self) -> set[str]:
        return {g.permission for g in self.grants}


class GroupPermission(Base):
    __tablename__ = "group_permissions"
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(120), primary_key=True)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __audited__ = True
    __audit_exclude__ = ("password_hash", "session_token")
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Changing it logs the user out everywhere (password change, deactivation).
    session_token: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(200), default="")
    photo: Mapped[str] = mapped_column(String(200), default="")  # file name under instance/uploads
    phone: Mapped[str] = mapped_column(String(40), default="")
    mobile: Mapped[str] = mapped_column(String(40), default="")
    national_id: Mapped[str | None] = mapped_column(String(10), unique=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    contract_start: Mapped[dt.date | None] = mapped_column(Date)
    contract_end: Mapped[dt.date | None] = mapped_column(Date)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id", ondelete="SET NULL"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    max_open_negotiations: Mapped[int] = mapped_column(Integer, default=50)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="fa")

    office: Mapped[Office | None] = relationship()
    department: Mapped[Department | None] = relationship()
    position: Mapped[Position | None] = relationship()
    manager: Mapped[User | None] = relationship(remote_side=[id])
    groups: Mapped[list[Group]] = relationship(secondary=user_groups, back_populates="users",
                                               order_by="Group.name")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:  # flask-login
        return bool(self.active)

    def get_id(self) -> str:  # flask-login: a token, so a password change ends old sessions
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class LoginAttempt(Base):
    """Failed logins, kept in the database so throttling holds across web processes."""
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ApiToken(TimestampMixin, Base):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once."""
    __tablename__ = "api_tokens"
    __audited__ = True
    # last_used_at is bookkeeping (updated on use), not a change worth a row in the trail.
    __audit_exclude__ = ("token_hash", "last_used_at")
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    user: Mapped[User] = relationship()
