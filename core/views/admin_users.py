"""Administrator screens: users and user groups."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms import BooleanField, PasswordField, StringField, TextAreaField

from core.access import permission_required, scope_filter
from core.audit import history
from core.db import db
from core.forms import (FlaskForm, JalaliDateField, MultiCheckboxField, OptionalSelectField,
                        PersianIntegerField, apply_errors, form_data)
from core.models.org import Department, Group, Office, Position, User
from core.persian import like_pattern
from core.services import groups as group_service
from core.services.users import prepare_photo, save_user, store_photo
from core.validation import ValidationError
from core.views import admin_bp
from core.views.helpers import apply_sort, delete_and_redirect, get_or_404, paginate, save_form


class UserForm(FlaskForm):
    username = StringField(_l("نام کاربری"), render_kw={"dir": "ltr"})
    first_name = StringField(_l("نام"))
    last_name = StringField(_l("نام خانوادگی"))
    email = StringField(_l("ایمیل"), render_kw={"dir": "ltr"})
    phone = StringField(_l("تلفن"), render_kw={"dir": "ltr"})
    mobile = StringField(_l("تلفن همراه"), render_kw={"dir": "ltr"})
    national_id = StringField(_l("کد ملی"), render_kw={"dir": "ltr", "inputmode": "numeric"})
    birth_date = JalaliDateField(_l("تاریخ تولد"))
    contract_start = JalaliDateField(_l("شروع قرارداد"))
    contract_end = JalaliDateField(_l("پایان قرارداد"))
    office_id = OptionalSelectField(_l("دفتر"))
    department_id = OptionalSelectField(_l("بخش"))
    position_id = OptionalSelectField(_l("سمت"))
    manager_id = OptionalSelectField(_l("مدیر"))
    max_open_negotiations = PersianIntegerField(_l("حداکثر مذاکرات باز"))
    # The service checks the ids and says what is wrong in Persian; WTForms would answer in English.
    group_ids = MultiCheckboxField(_l("گروه‌های کاربری"), coerce=lambda v: int(v) if str(v).isdigit() else v,
                                   validate_choice=False)
    active = BooleanField(_l("فعال"), default=True)
    password = PasswordField(_l("گذرواژه"))
    password_repeat = PasswordField(_l("تکرار گذرواژه"))


class GroupForm(FlaskForm):
    name = StringField(_l("نام گروه"))
    description = TextAreaField(_l("توضیح"))
    permissions = MultiCheckboxField(_l("دسترسی‌ها"), validate_choice=False)  # the service names unknown ones


def _fill_choices(form: UserForm, user: User | None):
    def opts(model, label):
        return [(None, "—")] + [(o.id, label(o)) for o in db.session.scalars(select(model))]
    form.office_id.choices = opts(Office, lambda o: o.name)
    form.department_id.choices = [(None, "—")] + [
        (d.id, f"{d.office.name} / {d.name}") for d in db.session.scalars(select(Department).join(Office).order_by(Office.name, Department.name))]
    form.position_id.choices = opts(Position, lambda p: p.name)
    managers = select(User).where(User.active.is_(True)).order_by(User.last_name, User.first_name)
    if user is not None:
        managers = managers.where(User.id != user.id)
    form.manager_id.choices = [(None, "—")] + [(u.id, f"{u.full_name} ({u.username})") for u in db.session.scalars(managers)]
    form.group_ids.choices = [(g.id, g.name) for g in db.session.scalars(select(Group).order_by(Group.name))]


@admin_bp.route("/users")
@permission_required("core.users")
def users():
    stmt = select(User).where(scope_filter(current_user, "core.users", User.id, User.office_id))
    q = request.args.get("q", "").strip()
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(or_(User.username.ilike(f"%{q}%"), User.first_name.like(pattern, escape="\\"),
                              User.last_name.like(pattern, escape="\\")))
    if request.args.get("office", "").isdigit():
        stmt = stmt.where(User.office_id == int(request.args["office"]))
    stmt, sort = apply_sort(stmt, {"username": User.username, "name": User.last_name, "office": User.office_id,
                                   "created": User.created_at}, "name")
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    return render_template("admin/users.html", page=paginate(stmt), sort=sort, q=q, offices=offices)


@admin_bp.route("/users/new", methods=["GET", "POST"])
@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("core.users")
def user_edit(user_id=None):
    user = get_or_404(User, user_id) if user_id else None
    if user is not None and not db.session.scalar(
            select(User.id).where(User.id == user.id, scope_filter(current_user, "core.users", User.id, User.office_id))):
        return render_template("errors/error.html", status=404, message=_("کاربر پیدا نشد.")), 404
    form = UserForm(obj=user)
    _fill_choices(form, user)
    if request.method == "GET" and user is not None:
        form.group_ids.data = [g.id for g in user.groups]
    if request.method == "POST" and form.validate_on_submit():
        try:
            photo = request.files.get("photo")
            jpeg = prepare_photo(photo) if photo and photo.filename else None
            saved = save_user(form_data(form), user)
            if jpeg:
                store_photo(saved, jpeg)
        except ValidationError as exc:
            db.session.rollback()
            for message in apply_errors(form, exc):
                flash(message, "danger")
        else:
            flash(_("کاربر ذخیره شد."), "success")
            return redirect(url_for("core_admin.user_edit", user_id=saved.id))
    entries = history("users", user.id) if user else []
    return render_template("admin/user_edit.html", form=form, user=user, entries=entries)


@admin_bp.route("/groups")
@permission_required("core.groups")
def groups():
    items = db.session.scalars(select(Group).order_by(Group.name)).all()
    return render_template("admin/groups.html", groups=items,
                           permissions=current_app.extensions["peyvand"].permissions)


@admin_bp.route("/groups/new", methods=["GET", "POST"])
@admin_bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@permission_required("core.groups")
def group_edit(group_id=None):
    group = get_or_404(Group, group_id) if group_id else None
    form = GroupForm(obj=group)
    declared = current_app.extensions["peyvand"].permissions
    form.permissions.choices = [(name, p.label) for name, p in sorted(declared.items())]
    if request.method == "GET" and group is not None:
        form.permissions.data = sorted(group.permissions)
    done = save_form(form, group_service.save_group, group, url_for("core_admin.groups"), _("گروه ذخیره شد."))
    by_plugin: dict[str, list] = {}
    for name, perm in sorted(declared.items()):
        by_plugin.setdefault(perm.plugin, []).append(perm)
    return done or render_template("admin/group_edit.html", form=form, group=group, by_plugin=by_plugin)


@admin_bp.route("/groups/<int:group_id>/delete", methods=["POST"])
@permission_required("core.groups")
def group_delete(group_id):
    return delete_and_redirect(get_or_404(Group, group_id), group_service.delete_group,
                               url_for("core_admin.groups"), _("گروه حذف شد."))
