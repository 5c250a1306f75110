"""Cheques received, by Jalali due date (overdue ones highlighted), and their status actions:
deposit, clear, bounce. The service refuses what the cheque's state does not allow (bouncing
twice, clearing a bounced cheque) with a Persian reason; a bounce reverses the receipt."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from core.access import permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.jalali import today_tehran
from core.persian import to_persian_digits
from core.validation import ValidationError
from core.views.helpers import paginate
from plugins.finance.models import CHEQUE_STATUSES, Receipt
from plugins.finance.services import queries
from plugins.finance.services import receipts as receipt_service
from plugins.finance.services.queries import CHEQUE_FILTERS
from plugins.finance.views import bp
from plugins.finance.views.common import next_url, period_args

DONE = {"deposited": "چک {n} به حساب خوابانده شد.", "cleared": "چک {n} وصول شد.",
        "bounced": "چک {n} برگشتی ثبت شد؛ دریافت آن برگشت خورد و تخصیص‌هایش از فاکتورها برداشته شد."}


@bp.route("/cheques")
@permission_required("finance.view")
def cheques():
    errors: list[str] = []
    start, end = period_args(errors)
    status = request.args.get("status", "pending")
    filters = dict(status=status if status in CHEQUE_FILTERS else "pending", start=start, end=end,
                   q=request.args.get("q", "").strip()[:100])
    stmt = queries.cheques(current_user, **filters).options(contains_eager(Receipt.party))
    fmt = request.args.get("export")
    if fmt:
        columns = [
            ("سررسید", lambda r: r.cheque_due), ("شمارهٔ چک", lambda r: r.cheque_number), ("بانک", lambda r: r.cheque_bank),
            ("مشتری", lambda r: r.party.name), ("مبلغ (ریال)", lambda r: r.amount),
            ("وضعیت", lambda r: CHEQUE_STATUSES[r.cheque_status]), ("شمارهٔ دریافت", lambda r: r.number),
            ("تاریخ دریافت", lambda r: r.received_on),
        ]
        return export_response("finance-cheques", columns, db.session.scalars(stmt).unique().all(),
                               fmt if fmt in FORMATS else "csv")
    count, total = queries.cheque_totals(queries.cheques(current_user, **filters))
    return render_template("finance/cheques.html", page=paginate(stmt), filters=filters, errors=errors,
                           count=count, total=total, today=today_tehran(),
                           start_text=request.args.get("from", ""), end_text=request.args.get("to", ""))


@bp.route("/cheques/<int:receipt_id>/status", methods=["POST"])
@permission_required("finance.receipts")
def cheque_status(receipt_id):
    new = request.form.get("status", "")
    back = next_url(url_for("finance.cheques"))
    try:
        receipt = receipt_service.cheque_status(receipt_id, new, current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash("وضعیت چک تغییر نکرد: " + str(exc), "danger")
    else:
        flash(DONE.get(new, "وضعیت چک ثبت شد.").format(n=to_persian_digits(receipt.cheque_number)),
              "warning" if new == "bounced" else "success")
    return redirect(back)
