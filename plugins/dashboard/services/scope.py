"""Whose figures a viewer may look at, and the `core.payloads.Scope` a filter turns into.

- `dashboard.scope_all` (administrator, inspector): every office, department and user;
- everyone else: themselves and everyone below them in the manager hierarchy (recursively),
  and the offices those people work in.

A filter outside that reach (an office, a department or a rep the viewer may not see) is refused
with `Forbidden` (a Persian message, answered with 403). The scope handed to the plugins is
already limited: `user_ids` is the final set of users (a department becomes its members), None
only for a viewer with the whole company in reach who chose no department or rep. Each plugin
still applies its own row rules with `scope.viewer_id`.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json

from sqlalchemy import select

from core.access import can, subordinate_ids, user_permissions
from core.db import db
from core.models.org import Department, Office, User
from core.payloads import Scope
from core.persian import to_ascii_digits
from core.validation import ValidationError


class Forbidden(Exception):
    """A filter outside the viewer's reach; `message` is shown on the 403 page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass
class Reach:
    all: bool
    user_ids: list[int] | None        # None with `all`
    office_ids: set[int] | None       # None with `all`


def reach_of(viewer: User) -> Reach:
    if can(viewer, "dashboard.scope_all"):
        return Reach(True, None, None)
    ids = sorted({viewer.id, *subordinate_ids(viewer.id)})
    offices = set(db.session.scalars(select(User.office_id).where(User.id.in_(ids), User.office_id.is_not(None))))
    return Reach(False, ids, offices)


def audience(viewer: User, reach: Reach) -> str:
    """A fingerprint of everything a plugin's row rules may depend on: viewers with the same
    one see the same rows, so they share cached figures."""
    data = {"perms": sorted(user_permissions(viewer)), "super": bool(viewer.is_superuser),
            "office": viewer.office_id, "department": viewer.department_id,
            "reach": "all" if reach.all else reach.user_ids}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def int_arg(args, name: str) -> int | None:
    raw = to_ascii_digits(str(args.get(name) or "")).strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationError({name: "مقدار فیلتر معتبر نیست."})
    return int(raw)


def build(viewer: User, office_id: int | None = None, department_id: int | None = None,
          rep_id: int | None = None, reach: Reach | None = None) -> Scope:
    reach = reach or reach_of(viewer)
    user_ids = None if reach.all else list(reach.user_ids)
    if office_id is not None:
        office = db.session.get(Office, office_id)
        if office is None:
            raise ValidationError({"office": "دفتر انتخاب‌شده وجود ندارد."})
        if not reach.all and office_id not in reach.office_ids:
            raise Forbidden(f"شما اجازهٔ دیدن ارقام «{office.name}» را ندارید؛ فقط دفترهایی که خود یا "
                            "کارشناسان زیرمجموعه‌تان در آن کار می‌کنید در دسترس شماست.")
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None:
            raise ValidationError({"department": "بخش انتخاب‌شده وجود ندارد."})
        if not reach.all and department.office_id not in reach.office_ids:
            raise Forbidden(f"شما اجازهٔ دیدن ارقام بخش «{department.name}» را ندارید.")
        if office_id is not None and department.office_id != office_id:
            raise ValidationError({"department": "این بخش در دفتر انتخاب‌شده نیست."})
        members = set(db.session.scalars(select(User.id).where(User.department_id == department_id)))
        user_ids = sorted(members if user_ids is None else members & set(user_ids))
    if rep_id is not None:
        rep = db.session.get(User, rep_id)
        if rep is None:
            raise ValidationError({"rep": "کارشناس انتخاب‌شده وجود ندارد."})
        if not reach.all and rep_id not in reach.user_ids:
            raise Forbidden(f"شما اجازهٔ دیدن ارقام «{rep.full_name}» را ندارید؛ فقط خودتان و کارشناسان "
                            "زیرمجموعه‌تان در دسترس شماست.")
        user_ids = [rep_id] if user_ids is None or rep_id in user_ids else []
    return Scope(viewer_id=viewer.id, office_id=office_id, department_id=department_id, user_ids=user_ids)


def from_args(viewer: User, args, reach: Reach | None = None) -> Scope:
    return build(viewer, int_arg(args, "office"), int_arg(args, "department"), int_arg(args, "rep"), reach)


def choices(viewer: User, reach: Reach, office_id: int | None = None) -> dict:
    """Offices, departments and reps the filter form offers (only what is in reach)."""
    offices = select(Office).where(Office.active.is_(True)).order_by(Office.name)
    users = select(User).where(User.active.is_(True)).order_by(User.first_name, User.last_name, User.id)
    if not reach.all:
        offices = offices.where(Office.id.in_(reach.office_ids or {-1}))
        users = users.where(User.id.in_(reach.user_ids))
    if office_id is not None:
        users = users.where(User.office_id == office_id)
    office_list = list(db.session.scalars(offices))
    departments = select(Department).where(Department.office_id.in_([o.id for o in office_list] or [-1]))
    if office_id is not None:
        departments = departments.where(Department.office_id == office_id)
    return {"offices": office_list,
            "departments": list(db.session.scalars(departments.order_by(Department.name))),
            "reps": list(db.session.scalars(users))}
