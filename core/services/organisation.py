"""Offices, departments and positions."""
from __future__ import annotations

from sqlalchemy import func, select
from flask_babel import gettext as _

from core.db import db
from core.persian import to_ascii_digits
from core.models.org import Department, Office, Position, User
from core.validation import Checker, ValidationError


def _unique(model, column, value, exclude_id=None, **scope) -> bool:
    q = select(func.count()).select_from(model).where(func.lower(column) == value.lower())
    for key, val in scope.items():
        q = q.where(getattr(model, key) == val)
    if exclude_id is not None:
        q = q.where(model.id != exclude_id)
    return db.session.scalar(q) == 0


def save_office(data: dict, office: Office | None = None) -> Office:
    c = Checker(data)
    name = c.text("name", _("نام دفتر"), required=True, max_len=120)
    city = c.text("city", _("شهر"), max_len=80)
    # Stored with Latin digits (phone numbers are completed with it); `isdigit` alone would let
    # Persian digits through.
    area_code = to_ascii_digits(c.text("area_code", _("پیش‌شمارهٔ شهر"), max_len=4)).lstrip("0")
    if area_code and not (area_code.isascii() and area_code.isdigit()):
        c.fail("area_code", _("پیش‌شماره فقط رقم است، مثل ۲۱."))
    phone = c.text("phone", _("تلفن"), max_len=40)
    address = c.text("address", _("نشانی"), max_len=400)
    if name and not _unique(Office, Office.name, name, office.id if office else None):
        c.fail("name", _("دفتری با این نام هست."))
    c.done()
    if not area_code and city:
        from core.phones import area_code_for
        area_code = area_code_for(city) or ""
    office = office or Office()
    office.name, office.city, office.area_code, office.phone, office.address = name, city, area_code, phone, address
    if "active" in data:
        office.active = bool(data["active"])
    db.session.add(office)
    db.session.commit()
    return office


def delete_office(office: Office) -> None:
    if db.session.scalar(select(func.count()).select_from(User).where(User.office_id == office.id)):
        raise ValidationError(_("این دفتر کاربر دارد؛ به‌جای حذف، آن را غیرفعال کنید."))
    if office.departments:
        raise ValidationError(_("ابتدا بخش‌های این دفتر را حذف کنید."))
    db.session.delete(office)
    db.session.commit()


def save_department(data: dict, department: Department | None = None) -> Department:
    c = Checker(data)
    name = c.text("name", _("نام بخش"), required=True, max_len=120)
    office_id = c.integer("office_id", _("دفتر"), required=True)
    office = db.session.get(Office, office_id) if office_id else None
    if office_id and office is None:
        c.fail("office_id", _("دفتر انتخاب‌شده وجود ندارد."))
    if name and office and not _unique(Department, Department.name, name,
                                       department.id if department else None, office_id=office.id):
        c.fail("name", _("این دفتر بخشی با همین نام دارد."))
    c.done()
    department = department or Department()
    department.name, department.office_id = name, office.id
    db.session.add(department)
    db.session.commit()
    return department


def delete_department(department: Department) -> None:
    if db.session.scalar(select(func.count()).select_from(User).where(User.department_id == department.id)):
        raise ValidationError(_("این بخش کاربر دارد؛ ابتدا کاربران را به بخش دیگری ببرید."))
    db.session.delete(department)
    db.session.commit()


def save_position(data: dict, position: Position | None = None) -> Position:
    c = Checker(data)
    name = c.text("name", _("عنوان سمت"), required=True, max_len=120)
    if name and not _unique(Position, Position.name, name, position.id if position else None):
        c.fail("name", _("سمتی با این عنوان هست."))
    c.done()
    position = position or Position()
    position.name = name
    db.session.add(position)
    db.session.commit()
    return position


def delete_position(position: Position) -> None:
    if db.session.scalar(select(func.count()).select_from(User).where(User.position_id == position.id)):
        raise ValidationError(_("این سمت به کاربرانی داده شده است."))
    db.session.delete(position)
    db.session.commit()
