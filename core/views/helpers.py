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
    """One page of a list. `capped`: there are more rows than `total` (counting stopped there),
    so "next" stays open while pages come back full."""
    def __init__(self, items, total, page, size, capped=False):
        self.items, self.total, self.page, self.size, self.capped = items, total, page, size, capped
        self.pages = max(1, -(-total // size))
        self.has_prev = page > 1
        self.has_next = page < self.pages or (capped and len(items) == size)


def paginate(stmt, count_limit: int | None = None) -> Page:
    """`count_limit`: count at most that many rows (a list of a million rows is not counted
    exactly on every page view; the page shows «۱٬۰۰۰+»)."""
    page, size = page_args()
    counted = stmt.order_by(None) if count_limit is None else stmt.order_by(None).limit(count_limit + 1)
    total = db.session.scalar(select(func.count()).select_from(counted.subquery()))
    capped = count_limit is not None and total > count_limit
    items = db.session.scalars(stmt.limit(size).offset((page - 1) * size)).unique().all()
    return Page(items, min(total, count_limit) if capped else total, page, size, capped)


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
