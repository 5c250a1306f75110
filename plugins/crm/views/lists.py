"""Administrator screen for the master lists: category, activity field, source, marketer."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.access import permission_required
from core.db import db
from core.forms import apply_errors
from core.validation import ValidationError
from core.views.helpers import get_or_404
from plugins.crm.forms import ListItemForm
from plugins.crm.models import LIST_KINDS, ListItem
from plugins.crm.services import lists as list_service
from plugins.crm.views import bp


def _render(kind: str, form: ListItemForm | None = None, edit_form: ListItemForm | None = None,
            edit_id: int | None = None, status: int = 200):
    return render_template("crm/lists.html", kinds=LIST_KINDS, kind=kind, items=list_service.items(kind),
                           form=form or ListItemForm(formdata=None), edit_form=edit_form, edit_id=edit_id), status


@bp.route("/lists")
@permission_required("crm.lists")
def lists():
    kind = request.args.get("kind", "category")
    if kind not in LIST_KINDS:
        abort(404)
    return _render(kind)


@bp.route("/lists/<kind>", methods=["POST"])
@permission_required("crm.lists")
def add_list_item(kind):
    if kind not in LIST_KINDS:
        abort(404)
    form = ListItemForm()
    if form.validate_on_submit():
        try:
            item = list_service.save_item(kind, {"name": form.name.data, "phone": form.phone.data})
        except ValidationError as exc:
            db.session.rollback()
            for message in apply_errors(form, exc):
                flash(message, "danger")
            return _render(kind, form=form)
        flash(f"«{item.name}» به فهرست {LIST_KINDS[kind]} افزوده شد.", "success")
    return redirect(url_for("crm.lists", kind=kind))


@bp.route("/lists/items/<int:item_id>", methods=["POST"])
@permission_required("crm.lists")
def rename_list_item(item_id):
    item = get_or_404(ListItem, item_id)
    kind = item.kind
    form = ListItemForm()
    if form.validate_on_submit():
        try:
            list_service.save_item(kind, {"name": form.name.data, "phone": form.phone.data}, item)
        except ValidationError as exc:
            db.session.rollback()
            for message in apply_errors(form, exc):
                flash(message, "danger")
            return _render(kind, edit_form=form, edit_id=item_id)
        flash("تغییر ذخیره شد.", "success")
    return redirect(url_for("crm.lists", kind=kind))


@bp.route("/lists/items/<int:item_id>/active", methods=["POST"])
@permission_required("crm.lists")
def toggle_list_item(item_id):
    item = get_or_404(ListItem, item_id)
    active = request.form.get("active") == "1"
    list_service.set_active(item, active)
    flash(f"«{item.name}» {'دوباره فعال شد' if active else 'غیرفعال شد؛ در فرم‌ها دیگر پیشنهاد نمی‌شود'}.", "success")
    return redirect(url_for("crm.lists", kind=item.kind))
