"""Small helpers shared by list screens: paging, sorting, 404 on missing ids."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request
from sqlalchemy import func, select

from core.db import db
from core.forms import FlaskForm, apply_errors, form_data
from core.persian import to_ascii_digits
from core.validation import ValidationError


def get_or_404(model, id_):
    obj = db.session.get(model, id_)
    if obj is None:
        abort(404)
    return obj


def page_args() -> tuple[int, int]:
    try:
        page = max(1, int(to_ascii_digits(request.args.get("page", "1"))))
    except ValueError:
        page = 1
    try:
        size = min(200, max(5, int(request.args.get("size", current_app.config["PAGE_SIZE"]))))
    except ValueError:
        size = current_app.config["PAGE_SIZE"]
    return page, size


def apply_sort(stmt, columns: dict, default: str):
    """`?sort=name` or `?sort=-name`, limited to the whitelisted `columns`."""
    key = request.args.get("sort", default)
    desc = key.startswith("-")
    column = columns.get(key.lstrip("-")) or columns[default.lstrip("-")]
    if desc or (key not in columns and key.lstrip("-") not in columns and default.startswith("-")):
        return stmt.order_by(column.desc()), key
    return stmt.order_by(column.asc()), key


class Page:
    def __init__(self, items, total, page, size):
        self.items, self.total, self.page, self.size = items, total, page, size
        self.pages = max(1, -(-total // size))
        self.has_prev, self.has_next = page > 1, page < self.pages


def paginate(stmt) -> Page:
    page, size = page_args()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(size).offset((page - 1) * size)).unique().all()
    return Page(items, total, page, size)


def save_form(form, save, obj, redirect_to, success):
    """Validate the form, call the service, flash and redirect; on errors, show them."""
    if form.validate_on_submit():
        try:
            save(form_data(form), obj)
        except ValidationError as exc:
            db.session.rollback()
            for message in apply_errors(form, exc):
                flash(message, "danger")
        else:
            flash(success, "success")
            return redirect(redirect_to)
    return None


def delete_and_redirect(obj, delete, redirect_to, success):
    if FlaskForm().validate_on_submit():
        try:
            delete(obj)
            flash(success, "success")
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
    return redirect(redirect_to)
