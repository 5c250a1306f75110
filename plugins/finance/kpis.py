"""Finance's figures for the managers' dashboard (`dashboard_kpis` hook), as set-based SQL.

Receivables are the situation now: the open amount (total − paid) of every invoice that is
neither paid nor reversed by a credit note. Invoices belong to an office, not to a rep (finance
does not read the CRM): an office filter applies, a department or rep filter does not (the
figures say so with `extra["scope"] = "office"`). Ageing is by days past the due date, computed
from today's Tehran date with plain date comparisons (the same on SQLite and PostgreSQL).
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context, url_for
from sqlalchemy import case, func, select

from core.access import can
from core.db import db
from core.jalali import today_tehran
from core.models.org import User
from core.payloads import Kpi, Period, Scope
from plugins.finance.models import Invoice

GROUP = "مالی"
BUCKETS = (("not_due", "سررسید نشده"), ("1-30", "۱ تا ۳۰ روز"), ("31-60", "۳۱ تا ۶۰ روز"),
           ("61-90", "۶۱ تا ۹۰ روز"), ("90+", "بیش از ۹۰ روز"))


def kpis(period: Period, scope: Scope) -> list[Kpi]:
    if not has_request_context():  # links are built with url_for
        with current_app.test_request_context("/"):
            return kpis(period, scope)
    viewer = db.session.get(User, scope.viewer_id)
    if viewer is None or not can(viewer, "finance.view"):
        return []
    today = today_tehran()
    due = Invoice.due_date
    bucket = case((due >= today, 0), (due >= today - dt.timedelta(days=30), 1),
                  (due >= today - dt.timedelta(days=60), 2), (due >= today - dt.timedelta(days=90), 3), else_=4)
    conditions = [Invoice.kind == "invoice", Invoice.credited.is_(False), Invoice.paid < Invoice.total]
    if scope.office_id is not None:
        conditions.append(Invoice.office_id == scope.office_id)
    # count(): every column read is in the partial index ix_fin_invoices_open
    rows = db.session.execute(select(bucket, func.count(), func.sum(Invoice.total - Invoice.paid))
                              .where(*conditions).group_by(bucket)).all()
    amounts = {int(b): (int(n), int(v or 0)) for b, n, v in rows}
    total = sum(v for _n, v in amounts.values())
    overdue = sum(v for b, (_n, v) in amounts.items() if b > 0)
    open_count = sum(n for n, _v in amounts.values())
    extra = {"scope": "office"}
    where = " این دفتر" if scope.office_id is not None else ""
    unpaid_url = url_for("finance.invoices", status="unpaid")
    return [
        Kpi("finance.receivables", "مطالبات از مشتریان", total, "rial", unpaid_url, order=40, group=GROUP,
            hint=f"جمع مانده (مبلغ کل منهای دریافتی) فاکتورهای باز{where}، همین حالا؛ به دوره و کارشناس بستگی ندارد.",
            extra={**extra, "invoices": open_count}),
        Kpi("finance.overdue", "مطالبات سررسیدگذشته", overdue, "rial", url_for("finance.invoices", status="overdue"),
            order=41, group=GROUP, hint="بخشی از مطالبات که تاریخ سررسید فاکتورش گذشته است.", extra=extra),
        Kpi("finance.ageing", "سن مطالبات", None, "rial", unpaid_url, order=42, group=GROUP,
            hint="ماندهٔ فاکتورهای باز بر حسب روزهای گذشته از سررسید.",
            series=[{"label": label, "key": key, "value": amounts.get(i, (0, 0))[1], "count": amounts.get(i, (0, 0))[0]}
                    for i, (key, label) in enumerate(BUCKETS)],
            extra={**extra, "chart": {"type": "bar", "unit": "rial", "datasets": [
                {"key": "value", "label": "مانده", "color": "#b0413e"}]}}),
    ]
