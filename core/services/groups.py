"""User groups and their named permissions; default groups seeded from the declared roles."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.db import db
from core.models.org import Group, GroupPermission
from core.validation import Checker

# Names of the groups seeded for each role: stored as data (and renamed by administrators), so
# never translated.
ROLES = {
    "administrator": "مدیران سایت",
    "inspector": "بازرسان",
    "manager": "مدیران فروش",
    "sales": "کارشناسان فروش",
    "warehouse": "انبارداران",
    "finance": "کارکنان مالی",
    "support": "پشتیبانی",
}


def declared_permissions() -> dict:
    return current_app.extensions["peyvand"].permissions


def save_group(data: dict, group: Group | None = None) -> Group:
    c = Checker(data)
    name = c.text("name", _("نام گروه"), required=True, max_len=120)
    description = c.text("description", _("توضیح"), max_len=400)
    perms = set(data.get("permissions") or [])
    unknown = perms - set(declared_permissions())
    if unknown:
        c.fail("permissions", _("دسترسی ناشناخته: %(names)s", names=_("، ").join(sorted(unknown))))
    if name:
        q = select(func.count()).select_from(Group).where(func.lower(Group.name) == name.lower())
        if group is not None:
            q = q.where(Group.id != group.id)
        if db.session.scalar(q):
            c.fail("name", _("گروهی با این نام هست."))
    c.done()
    group = group or Group()
    group.name, group.description = name, description
    current = {g.permission: g for g in group.grants}
    for perm in set(current) - perms:
        group.grants.remove(current[perm])
    for perm in sorted(perms - set(current)):
        group.grants.append(GroupPermission(permission=perm))
    db.session.add(group)
    db.session.commit()
    return group


def delete_group(group: Group) -> None:
    db.session.delete(group)
    db.session.commit()


def seed_role_groups() -> dict[str, Group]:
    """Create the missing default groups, one per role, with the permissions plugins grant that
    role by default. Existing groups are left as the administrator set them."""
    perms = declared_permissions()
    out = {}
    for role, label in ROLES.items():
        group = db.session.scalar(select(Group).where(Group.role == role))
        if group is None:
            group = Group(name=label, role=role, description=f"گروه پیش‌فرض نقش {label}")
            group.grants = [GroupPermission(permission=name)
                            for name, perm in sorted(perms.items()) if role in perm.roles]
            db.session.add(group)
        out[role] = group
    db.session.commit()
    return out
