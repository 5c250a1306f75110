"""Administrator screens: settings, the rules page, the audit trail, backup, plugins."""
from __future__ import annotations

import os
import tempfile

from flask import (after_this_request, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import StringField, TextAreaField

from core import backup as backup_service
from core import settings as settings_service
from core.access import permission_required
from core.db import db
from core.forms import FlaskForm
from core.jalali import utcnow
from core.models.audit import AuditEntry
from core.models.site import SitePage
from core.views import admin_bp
from core.views.helpers import paginate


@admin_bp.route("/settings", methods=["GET", "POST"])
@permission_required("core.settings")
def settings():
    schema = settings_service.schema()
    errors = {}
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            flash(_("فرم منقضی شده است؛ دوباره بفرستید."), "danger")
        else:
            values = {}
            for key, s in schema.items():
                if s.type == "bool":
                    values[key] = request.form.get(key) == "on"
                elif key in request.form:
                    values[key] = request.form[key]
            try:
                settings_service.update(values, current_user.id)
            except settings_service.SettingError as exc:
                db.session.rollback()
                errors = exc.errors
                flash(_("تنظیمات ذخیره نشد؛ خطاها را ببینید."), "danger")
            else:
                flash(_("تنظیمات ذخیره شد."), "success")
                return redirect(url_for("core_admin.settings"))
    sections: dict[str, list] = {}
    for s in schema.values():
        sections.setdefault(str(s.section) if s.section else _("عمومی"), []).append(s)
    values = dict(settings_service.all_values())
    if request.method == "POST":
        values.update({k: request.form.get(k) for k in schema if k in request.form})
    return render_template("admin/settings.html", sections=sections, values=values, errors=errors,
                           form=FlaskForm())


class RulesForm(FlaskForm):
    title = StringField(_l("عنوان"))
    body = TextAreaField(_l("متن"), render_kw={"rows": 18})


@admin_bp.route("/rules", methods=["GET", "POST"])
@permission_required("core.rules_edit")
def rules_edit():
    page = db.session.get(SitePage, "rules")
    form = RulesForm(obj=page)
    if request.method == "GET" and page is None:
        form.title.data = _("قوانین و مقررات")
    if form.validate_on_submit():
        title = (form.title.data or "").strip()
        if not title or len(title) > 200:
            form.title.errors = [_("عنوان را (تا ۲۰۰ نویسه) بنویسید.")]
        elif len(form.body.data or "") > 100_000:
            form.body.errors = [_("متن بیش از حد بلند است.")]
        else:
            page = page or SitePage(slug="rules")
            page.title, page.body = title, form.body.data or ""
            db.session.add(page)
            db.session.commit()
            flash(_("صفحهٔ قوانین ذخیره شد."), "success")
            return redirect(url_for("core.rules"))
    return render_template("admin/rules_edit.html", form=form)


@admin_bp.route("/audit")
@permission_required("core.audit")
def audit():
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    table = request.args.get("table", "").strip()
    if table:
        stmt = stmt.where(AuditEntry.table_name == table)
    record = request.args.get("record", "").strip()
    if record:
        stmt = stmt.where(AuditEntry.record_id == record)
    if request.args.get("user", "").isdigit():
        stmt = stmt.where(AuditEntry.user_id == int(request.args["user"]))
    return render_template("admin/audit.html", page=paginate(stmt), table=table, record=record)


@admin_bp.route("/backup", methods=["GET", "POST"])
@permission_required("core.backup")
def backup():
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            flash(_("فرم منقضی شده است؛ دوباره بفرستید."), "danger")
            return redirect(url_for("core_admin.backup"))
        fd, path = tempfile.mkstemp(suffix=".zip")
        os.close(fd)
        backup_service.create(path)

        @after_this_request
        def _cleanup(response):
            try:
                os.remove(path)
            except OSError:
                pass
            return response

        name = f"peyvand-backup-{utcnow():%Y%m%d-%H%M%S}.zip"
        return send_file(path, as_attachment=True, download_name=name, mimetype="application/zip")
    return render_template("admin/backup.html", form=FlaskForm())


@admin_bp.route("/plugins")
@permission_required("core.plugins")
def plugins():
    state = current_app.extensions["peyvand"]
    return render_template("admin/plugins.html", plugins=state.host.info(),
                           disabled=state.host.disabled, tasks=state.periodic_tasks)
