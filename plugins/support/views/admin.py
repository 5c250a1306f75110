"""Ticket categories, managed by administrators (`support.admin`)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.access import permission_required
from core.db import db
from core.forms import FlaskForm, apply_errors, form_data
from core.validation import ValidationError
from plugins.support.models import TicketCategory
from plugins.support.services import categories
from plugins.support.views import bp
from plugins.support.views.forms import CategoryForm


def _render(form=None, edit_form=None, edit_id=None, status=200):
    return render_template("support/categories.html", rows=categories.all_categories(),
                           form=form or CategoryForm(formdata=None), edit_form=edit_form, edit_id=edit_id,
                           defaults=categories.DEFAULTS), status


@bp.route("/categories", methods=["GET", "POST"])
@permission_required("support.admin")
def categories_page():
    """The list, and (POST) a new category."""
    if request.method == "GET":
        return _render()
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = categories.save(form_data(form))
        except ValidationError as exc:
            db.session.rollback()
            for message in apply_errors(form, exc):
                flash(message, "danger")
        else:
            flash(f"دستهٔ «{category.name}» افزوده شد.", "success")
            return redirect(url_for("support.categories_page"))
    return _render(form=form, status=422)


@bp.route("/categories/<int:category_id>", methods=["POST"])
@permission_required("support.admin")
def edit_category(category_id):
    category = db.session.get(TicketCategory, category_id) or abort(404)
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            categories.save(form_data(form), category)
        except ValidationError as exc:
            db.session.rollback()
            for message in apply_errors(form, exc):
                flash(message, "danger")
        else:
            flash("دسته ذخیره شد.", "success")
            return redirect(url_for("support.categories_page"))
    return _render(edit_form=form, edit_id=category_id, status=422)


@bp.route("/categories/<int:category_id>/active", methods=["POST"])
@permission_required("support.admin")
def toggle_category(category_id):
    category = db.session.get(TicketCategory, category_id) or abort(404)
    if FlaskForm().validate_on_submit():
        categories.set_active(category, request.form.get("active") == "1")
        flash(f"دستهٔ «{category.name}» {'فعال' if category.active else 'غیرفعال'} شد.", "success")
    return redirect(url_for("support.categories_page"))


@bp.route("/categories/defaults", methods=["POST"])
@permission_required("support.admin")
def default_categories():
    if FlaskForm().validate_on_submit():
        added = categories.ensure_defaults()
        flash("دسته‌های پیشنهادی افزوده شدند." if added else "فهرست دسته‌ها خالی نیست؛ چیزی افزوده نشد.",
              "success" if added else "info")
    return redirect(url_for("support.categories_page"))
