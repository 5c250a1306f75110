"""Helpers shared by the finance screens: query arguments (Jalali periods, ids), paging of
multi-column rows, labels for the templates, links to the records named by references."""
from __future__ import annotations

import datetime as dt

from flask import current_app, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core import settings
from core.db import db
from core.jalali import JalaliDateError, parse_date, today_tehran
from core.persian import to_ascii_digits
from core.views.helpers import Page, page_args
from plugins.finance.models import CHEQUE_STATUSES, METHODS
from plugins.finance.services.accounts import AGEING, year_start
from plugins.finance.services.queries import ACCOUNT_FILTERS, CHEQUE_FILTERS, INVOICE_FILTERS, INVOICE_STATUSES
from plugins.finance.services.scope import office_name
from plugins.finance.views import bp

STATUS_COLOURS = {"open": "warning", "partly_paid": "info", "paid": "success", "credited": "secondary",
                  "credit_note": "danger"}
CHEQUE_COLOURS = {"received": "primary", "deposited": "info", "cleared": "success", "bounced": "danger"}
AGEING_LABELS = {"0-30": "۰ تا ۳۰ روز", "31-60": "۳۱ تا ۶۰ روز", "61-90": "۶۱ تا ۹۰ روز", "90+": "بیش از ۹۰ روز"}
# The status actions of a cheque, with the button each one gets (CHEQUE_FLOW in the service decides).
CHEQUE_ACTIONS = {"deposited": ("خواباندن به حساب", "bi-bank", "outline-primary"),
                  "cleared": ("وصول شد", "bi-check2-circle", "outline-success"),
                  "bounced": ("برگشت خورد", "bi-x-octagon", "outline-danger")}


def int_arg(value) -> int | None:
    text = to_ascii_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def date_arg(name: str, label: str, errors: list[str]) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_date(raw)
    except JalaliDateError as exc:
        errors.append(f"«{label}»: {exc}")
        return None


def period_args(errors: list[str], default_start: dt.date | None = None,
                default_end: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    """`?from=1403/01/01&to=1403/06/31` (any digits); a bad date or an inverted period is an
    error message and no filter."""
    start = date_arg("from", "از تاریخ", errors) if "from" in request.args else default_start
    end = date_arg("to", "تا تاریخ", errors) if "to" in request.args else default_end
    if start and end and end < start:
        errors.append("«تا تاریخ» نباید پیش از «از تاریخ» باشد.")
        return default_start, default_end
    return start, end


def page_rows(stmt) -> Page:
    """`core.views.helpers.paginate` for statements selecting several columns (rows, not scalars)."""
    page, size = page_args()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.execute(stmt.limit(size).offset((page - 1) * size)).all()
    return Page(items, total, page, size)


def ref_url(ref: str) -> str:
    """A link for a reference carried in a hook payload (`crm.order:42` → the CRM's order page)
    when the plugin that owns it serves a page under the conventional endpoint; else ""."""
    plugin, _, rest = (ref or "").partition(".")
    kind, _, ident = rest.partition(":")
    endpoint = f"{plugin}.{kind}"
    if not ident.isdigit() or endpoint not in current_app.view_functions:
        return ""
    try:
        return url_for(endpoint, **{f"{kind}_id": int(ident)})
    except Exception:  # noqa: BLE001 - an endpoint with other arguments: no link
        return ""


def next_url(default: str) -> str:
    """A local `next` (from the form) to return to, else `default`."""
    target = request.form.get("next") or request.args.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.app_template_filter("fin_balance")
def balance_text(value: int) -> str:
    """`۱۲٬۰۰۰ ریال بدهکار` / `… بستانکار` / `۰ ریال` (the customer's side)."""
    from core.ui import money
    if not value:
        return money(0)
    return f"{money(abs(value))} {'بدهکار' if value > 0 else 'بستانکار'}"


@bp.context_processor
def _finance_labels():
    return dict(INVOICE_STATUSES=INVOICE_STATUSES, INVOICE_FILTERS=INVOICE_FILTERS, STATUS_COLOURS=STATUS_COLOURS,
                METHODS=METHODS, CHEQUE_STATUSES=CHEQUE_STATUSES, CHEQUE_FILTERS=CHEQUE_FILTERS,
                CHEQUE_COLOURS=CHEQUE_COLOURS, CHEQUE_ACTIONS=CHEQUE_ACTIONS, ACCOUNT_FILTERS=ACCOUNT_FILTERS,
                AGEING=[a[0] for a in AGEING], AGEING_LABELS=AGEING_LABELS, ref_url=ref_url,
                company_name=lambda: settings.get("core.company_name"), today=today_tehran(), year_start=year_start,
                books_office=lambda: office_name(current_user))


def sort_by(stmt, columns: dict, default: str):
    """`?sort=balance` / `?sort=-balance` limited to `columns` (which may hold SQL expressions,
    unlike `core.views.helpers.apply_sort`); returns the statement and the key in force."""
    key = request.args.get("sort", default)
    if key.lstrip("-") not in columns:
        key = default
    column = columns[key.lstrip("-")]
    return stmt.order_by(column.desc() if key.startswith("-") else column.asc()), key
