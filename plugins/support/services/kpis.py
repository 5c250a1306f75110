"""The support figures of the managers' dashboard (`dashboard_kpis`), one set-based query.

- open: tickets still open now that were opened by the end of the period;
- breached: tickets whose SLA was breached during the period;
- opened / resolved: tickets opened / resolved during the period.
Scope: the office is the ticket's office; reps and departments are the assignee's.
"""
from __future__ import annotations

import datetime as dt
import urllib.parse

from flask import url_for
from sqlalchemy import and_, case, func, select

from core.db import db
from core.jalali import format_date
from core.models.org import User
from core.payloads import Kpi, Period, Scope
from plugins.support.models import OPEN_STATUSES, Ticket
from plugins.support.services.queries import day_start_utc

GROUP = "پشتیبانی"


def _scope_conditions(scope: Scope) -> list:
    out = []
    if scope.office_id is not None:
        out.append(Ticket.office_id == scope.office_id)
    if scope.department_id is not None:
        out.append(Ticket.assignee_id.in_(select(User.id).where(User.department_id == scope.department_id)))
    if scope.user_ids is not None:
        out.append(Ticket.assignee_id.in_(scope.user_ids or [-1]))
    return out


def _link(scope: Scope, **args) -> str:
    """The ticket list filtered to the records behind a figure."""
    params: dict = {k: v for k, v in args.items() if v not in (None, "")}
    if scope.office_id is not None:
        params["office"] = scope.office_id
    if scope.department_id is not None:
        params["department"] = scope.department_id
    if scope.user_ids is not None:
        params["assignee"] = list(scope.user_ids) or [-1]
    try:
        return url_for("support.tickets", **params)
    except RuntimeError:  # computed outside a request (the dashboard's refresh job)
        return "/support/tickets?" + urllib.parse.urlencode(params, doseq=True)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def dashboard(period: Period, scope: Scope) -> list[Kpi]:
    start, end = day_start_utc(period.start), day_start_utc(period.end + dt.timedelta(days=1))
    in_period = lambda column: and_(column >= start, column < end)  # noqa: E731
    row = db.session.execute(select(
        _count(and_(Ticket.status.in_(OPEN_STATUSES), Ticket.created_at < end)).label("open"),
        _count(in_period(Ticket.breached_at)).label("breached"),
        _count(in_period(Ticket.created_at)).label("opened"),
        _count(in_period(Ticket.resolved_at)).label("resolved"),
    ).where(*_scope_conditions(scope))).one()
    first, last = format_date(period.start, "en"), format_date(period.end, "en")
    return [
        Kpi("support.open", "درخواست‌های پشتیبانی باز", int(row.open), link=_link(scope, status="open", created_to=last),
            order=10, group=GROUP, hint="درخواست‌هایی که هم‌اکنون باز هستند و تا پایان دوره ثبت شده‌اند."),
        Kpi("support.breached", "درخواست‌های با مهلت گذشته (نقض SLA)", int(row.breached),
            link=_link(scope, breached_from=first, breached_to=last), order=11, group=GROUP,
            hint="درخواست‌هایی که در این دوره از مهلت رسیدگی اولویتشان گذشتند."),
        Kpi("support.opened", "درخواست‌های تازه", int(row.opened), link=_link(scope, created_from=first, created_to=last),
            order=12, group=GROUP, hint="درخواست‌های ثبت‌شده در این دوره."),
        Kpi("support.resolved", "درخواست‌های حل‌شده", int(row.resolved),
            link=_link(scope, resolved_from=first, resolved_to=last), order=13, group=GROUP,
            hint="درخواست‌هایی که در این دوره حل شدند."),
    ]
