"""Administrator screens: offices with their departments, and positions."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, StringField

from core.access import permission_required
from core.db import db
from core.forms import FlaskForm, OptionalSelectField
from core.models.org import Department, Office, Position
from core.services import organisation as org
from core.views import admin_bp
from core.views.helpers import delete_and_redirect, get_or_404, save_form

PERM = "core.organisation"


class OfficeForm(FlaskForm):
    name = StringField(_l("نام دفتر"))
    city = StringField(_l("شهر"))
    area_code = StringField(_l("پیش‌شمارهٔ شهر"), render_kw={"dir": "ltr", "placeholder": "21"})
    phone = StringField(_l("تلفن"))
    address = StringField(_l("نشانی"))
    active = BooleanField(_l("فعال"), default=True)


class DepartmentForm(FlaskForm):
    office_id = OptionalSelectField(_l("دفتر"))
    name = StringField(_l("نام بخش"))


class PositionForm(FlaskForm):
    name = StringField(_l("عنوان سمت"))


@admin_bp.route("/offices")
@permission_required(PERM)
def offices():
    items = db.session.scalars(select(Office).order_by(Office.name)).all()
    return render_template("admin/offices.html", offices=items)


@admin_bp.route("/offices/new", methods=["GET", "POST"])
@admin_bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@permission_required(PERM)
def office_edit(office_id=None):
    office = get_or_404(Office, office_id) if office_id else None
    form = OfficeForm(obj=office)
    done = save_form(form, org.save_office, office, url_for("core_admin.offices"), _("دفتر ذخیره شد."))
    return done or render_template("admin/office_edit.html", form=form, office=office)


@admin_bp.route("/offices/<int:office_id>/delete", methods=["POST"])
@permission_required(PERM)
def office_delete(office_id):
    return delete_and_redirect(get_or_404(Office, office_id), org.delete_office, url_for("core_admin.offices"), _("دفتر حذف شد."))


def _office_choices():
    return [(None, "—")] + [(o.id, o.name) for o in db.session.scalars(select(Office).order_by(Office.name))]


@admin_bp.route("/departments/new", methods=["GET", "POST"])
@admin_bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@permission_required(PERM)
def department_edit(department_id=None):
    department = get_or_404(Department, department_id) if department_id else None
    form = DepartmentForm(obj=department)
    form.office_id.choices = _office_choices()
    if request.method == "GET" and not department and request.args.get("office_id", "").isdigit():
        form.office_id.data = int(request.args["office_id"])
    done = save_form(form, org.save_department, department, url_for("core_admin.offices"), _("بخش ذخیره شد."))
    return done or render_template("admin/department_edit.html", form=form, department=department)


@admin_bp.route("/departments/<int:department_id>/delete", methods=["POST"])
@permission_required(PERM)
def department_delete(department_id):
    return delete_and_redirect(get_or_404(Department, department_id), org.delete_department,
                   url_for("core_admin.offices"), _("بخش حذف شد."))


@admin_bp.route("/positions", methods=["GET", "POST"])
@permission_required(PERM)
def positions():
    form = PositionForm()
    done = save_form(form, org.save_position, None, url_for("core_admin.positions"), _("سمت افزوده شد."))
    items = db.session.scalars(select(Position).order_by(Position.name)).all()
    return done or render_template("admin/positions.html", positions=items, form=form)


@admin_bp.route("/positions/<int:position_id>/delete", methods=["POST"])
@permission_required(PERM)
def position_delete(position_id):
    return delete_and_redirect(get_or_404(Position, position_id), org.delete_position,
                   url_for("core_admin.positions"), _("سمت حذف شد."))
