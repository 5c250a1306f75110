"""The five Saba reports: parse the Jalali range and filters, call `services.reports`, render or
export. Exports (`?format=csv|xlsx`) also need `crm.export`."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core.access import can, permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.forms import FlaskForm, JalaliDateField, apply_errors
from core.jalali import format_date, today_tehran, utcnow
from core.persian import to_ascii_digits, to_persian_digits
from core.validation import ValidationError
from core.views.helpers import Page, page_args, paginate
from plugins.crm.models import ENTRY_KINDS, STATUS_LABELS
from plugins.crm.services import log as log_service
from plugins.crm.services import reports as svc
from plugins.crm.services.stale import level_of
from plugins.crm.views import bp


class RangeForm(FlaskForm):
    """A Jalali date range typed in a GET form (no CSRF: it changes nothing)."""
    class Meta:
        csrf = False

    start = JalaliDateField("از تاریخ")
    end = JalaliDateField("تا تاریخ")


class DayForm(FlaskForm):
    class Meta:
        csrf = False

    day = JalaliDateField("روز")


def _show(field, value):
    """Show `value` (Jalali, Persian digits) in a date input, whatever digits were typed."""
    field.raw_data, field.data = None, value


def _persian_echo(form):
    """Wrong input is shown back as typed, but in Persian digits like everything else."""
    for field in form:
        if field.raw_data:
            field.raw_data = [to_persian_digits(v) for v in field.raw_data]


def date_range(optional: bool = False):
    """(form, start, end); start and end are None when the input is wrong (the form carries the
    Persian message) or, with `optional`, when nothing was typed."""
    form = RangeForm(formdata=request.args)
    if not form.validate():
        _persian_echo(form)
        return form, None, None
    if optional and form.start.data is None and form.end.data is None:
        return form, None, None
    try:
        start, end = svc.check_range(form.start.data, form.end.data)
    except ValidationError as exc:
        apply_errors(form, exc)
        _persian_echo(form)
        return form, None, None
    _show(form.start, start)
    _show(form.end, end)
    return form, start, end


def _int_arg(name: str) -> int | None:
    try:
        return int(to_ascii_digits(request.args.get(name, "")).strip()) or None
    except ValueError:
        return None


def _export_format() -> str | None:
    fmt = request.args.get("format")
    if fmt not in FORMATS:
        return None
    if not can(current_user, "crm.export"):
        abort(403)
    return fmt


def paginate_rows(stmt) -> Page:
    """`paginate` for statements selecting several entities (rows, not scalars)."""
    page, size = page_args()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.execute(stmt.limit(size).offset((page - 1) * size)).unique().all()
    return Page(items, total, page, size)


@bp.app_template_global("crm_customer_url")
def customer_url(customer_id: int) -> str:
    """The customer page (views/customers.py), for links from reports and the workbench."""
    return url_for("crm.customer", customer_id=customer_id)


def _query_dates(start, end) -> dict:
    """The range as it goes into links (Latin digits read better in a URL)."""
    return {"q_start": format_date(start, "en") if start else None, "q_end": format_date(end, "en") if end else None}


def _customer_name(n) -> str:
    return n.customer.party.name if n.customer and n.customer.party else ""


# --- 1. user negotiation status -----------------------------------------------------------------

@bp.route("/reports/status")
@permission_required("crm.report_status")
def report_status():
    form, start, end = date_range()
    sort = request.args.get("sort", "-points")
    rows, totals = svc.status_report(current_user, start, end, sort) if start else ([], None)
    fmt = _export_format()
    if fmt and start:
        columns = [("کاربر", lambda r: r.name)] + [(label, (lambda k: lambda r: r[k])(key))
                                                     for key, label in svc.STATUS_COLUMNS.items()]
        return export_response(f"user-status-{format_date(start, 'en').replace('/', '')}-"
                               f"{format_date(end, 'en').replace('/', '')}", columns, [*rows, totals], fmt)
    dates = _query_dates(start, end)
    # Each cell links to its drill-down: the URLs built once per column, not per cell (2,000
    # url_for calls were a third of the page's time for 200 users).
    links = {key: url_for("crm.report_points") if key == "points" else
             url_for("crm.report_status_drilldown", metric=key) for key in svc.STATUS_COLUMNS}
    range_query = url_for("crm.report_points", start=dates["q_start"], end=dates["q_end"]).partition("?")[2]
    return render_template("crm/reports/status.html", form=form, start=start, end=end, **dates, rows=rows,
                           totals=totals, sort=sort, columns=svc.STATUS_COLUMNS, metrics=svc.METRICS,
                           links=links, range_query=range_query)


@bp.route("/reports/status/<metric>")
@permission_required("crm.report_status")
def report_status_drilldown(metric):
    if metric not in svc.METRICS:
        abort(404)
    form, start, end = date_range()
    user_id = _int_arg("user")
    if user_id and not svc.may_report_on(current_user, user_id):
        abort(404)
    stmt = svc.drilldown(current_user, user_id, metric, start, end) if start else None
    now = utcnow()
    fmt = _export_format()
    if fmt and stmt is not None:
        columns = [("مشتری", _customer_name), ("کارشناس", lambda n: n.owner.full_name),
                   ("وضعیت", lambda n: n.status_label), ("شروع", lambda n: n.window_start),
                   ("پایان مهلت", lambda n: n.window_end), ("بسته شدن", lambda n: n.closed_at),
                   ("آخرین مذاکره", lambda n: n.last_entry_at)]
        return export_response(f"negotiations-{metric}", columns, db.session.scalars(stmt).unique(), fmt)
    from core.models.org import User
    return render_template("crm/reports/drilldown.html", form=form, start=start, end=end, metric=metric,
                           **_query_dates(start, end),
                           metric_label=svc.STATUS_COLUMNS[metric], user=db.session.get(User, user_id) if user_id else None,
                           page=paginate(stmt) if stmt is not None else None, level_of=level_of, now=now)


# --- 2. points chart ----------------------------------------------------------------------------

@bp.route("/reports/points")
@permission_required("crm.report_points")
def report_points():
    form, start, end = date_range()
    users = svc.visible_users(current_user)
    user_id = _int_arg("user")
    if user_id and not svc.may_report_on(current_user, user_id):
        user_id = None
    series = svc.points_series(current_user, start, end, user_id) if start else None
    ledger = svc.points_ledger(current_user, start, end, user_id) if start else None
    fmt = _export_format()
    if fmt and ledger is not None:
        columns = [("تاریخ", lambda e: e.at), ("کاربر", lambda e: e.user.full_name),
                   ("مشتری", lambda e: _customer_name(e.negotiation)),
                   ("رویداد", lambda e: svc.EVENT_LABELS.get(e.event, e.event)), ("امتیاز", lambda e: e.points),
                   ("توضیح", lambda e: e.reason)]
        return export_response("points", columns, db.session.scalars(ledger).unique(), fmt)
    return render_template("crm/reports/points.html", form=form, start=start, end=end, users=users,
                           user_id=user_id, series=series, page=paginate(ledger) if ledger is not None else None,
                           event_labels=svc.EVENT_LABELS)


# --- 3. stale negotiations ----------------------------------------------------------------------

@bp.route("/reports/stale")
@permission_required("crm.report_stale")
def report_stale():
    now = utcnow()
    level = request.args.get("level", "")
    level = level if level in svc.LEVEL_LABELS else ""
    owner_id = _int_arg("owner")
    stmt = svc.stale_list(current_user, level or None, owner_id, now=now)
    fmt = _export_format()
    if fmt:
        columns = [("مشتری", _customer_name), ("کارشناس", lambda n: n.owner.full_name),
                   ("سطح", lambda n: svc.LEVEL_LABELS.get(level_of(n, now), "")),
                   ("روزهای بی‌مذاکره", lambda n: svc.stale_days(n, now)),
                   ("آخرین مذاکره", lambda n: n.last_entry_at), ("شروع", lambda n: n.window_start),
                   ("پایان مهلت", lambda n: n.window_end)]
        return export_response("stale-negotiations", columns, db.session.scalars(stmt).unique(), fmt)
    return render_template("crm/reports/stale.html", page=paginate(stmt), summary=svc.stale_summary(current_user, now),
                           level=level, owner_id=owner_id, levels=svc.LEVEL_LABELS, level_of=level_of,
                           days=lambda n: svc.stale_days(n, now), now=now)


# --- 4. daily follow-ups ------------------------------------------------------------------------

@bp.route("/reports/followups")
@permission_required("crm.report_followups")
def report_followups():
    form = DayForm(formdata=request.args)
    day = form.day.data if form.validate() and form.day.data else None
    valid = not form.day.errors
    day = day or today_tehran()
    if valid:
        _show(form.day, day)
    else:
        _persian_echo(form)
    owners = [u for u in svc.visible_users(current_user) if u.id in svc.followup_owner_ids(current_user)]
    owner_id = _int_arg("owner")
    stmt = svc.followups(current_user, day, owner_id) if valid else None
    fmt = _export_format()
    if fmt and stmt is not None:
        columns = [("مشتری", lambda r: _customer_name(r[0])), ("کارشناس", lambda r: r[0].owner.full_name),
                   ("تاریخ پیگیری", lambda r: r[0].next_contact),
                   ("آخرین مذاکره", lambda r: r[1].date if r[1] else None),
                   ("شرح آخرین مذاکره", lambda r: r[1].summary if r[1] else "")]
        return export_response("followups", columns, db.session.execute(stmt).unique(), fmt)
    # Tasks due that day (and, looking at today, the overdue ones) beside the follow-ups.
    from plugins.crm.views.tasks import due_tasks
    tasks = []
    if valid and (not owner_id or owner_id in svc.followup_owner_ids(current_user)):
        tasks = list(db.session.scalars(due_tasks(current_user, day, owner_id).limit(100)))
    return render_template("crm/reports/followups.html", form=form, day=day, today=today_tehran(),
                           overdue_before=svc.overdue_before(day), owners=owners, owner_id=owner_id,
                           page=paginate_rows(stmt) if stmt is not None else None, due_tasks=tasks, now=utcnow())


# --- 5. comments addressed to me ----------------------------------------------------------------

@bp.route("/reports/comments")
@permission_required("crm.report_comments")
def report_comments():
    form, start, end = date_range(optional=True)
    if form.errors:
        stmt = None
    else:
        stmt = svc.comments_to(current_user, start, end)
    fmt = _export_format()
    if fmt and stmt is not None:
        columns = [("زمان", lambda c: c.created_at), ("نویسنده", lambda c: c.author.full_name if c.author else ""),
                   ("مشتری", lambda c: _customer_name(c.entry.negotiation)), ("نظر", lambda c: c.body),
                   ("مذاکره", lambda c: c.entry.summary), ("خوانده شده", lambda c: c.read_at)]
        return export_response("comments", columns, db.session.scalars(stmt).unique(), fmt)
    page = paginate(stmt) if stmt is not None else None
    unread = {c.id for c in page.items if c.read_at is None} if page else set()
    html = render_template("crm/reports/comments.html", form=form, page=page, unread=unread,
                           entry_kinds=ENTRY_KINDS)
    if unread:
        log_service.mark_comments_read(current_user, ids=sorted(unread))
    return html


STATUS_BADGES = {"negotiating": "primary", "cut": "secondary", "suspended": "warning", "won": "success",
                 "expired": "dark"}


@bp.app_template_global("crm_status_badge")
def status_badge(negotiation) -> str:
    from markupsafe import Markup, escape
    status = negotiation.effective_status
    return Markup(f'<span class="badge text-bg-{STATUS_BADGES.get(status, "light")}">'
                  f'{escape(STATUS_LABELS.get(status, status))}</span>')
