"""Customer accounts: who owes what (balance, overdue, ageing 0–30/31–60/61–90/90+), and per
customer the statement of account for a Jalali period — on screen, printable (A4) and as
CSV/XLSX."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from core.access import can, permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.jalali import today_tehran
from core.models.parties import Party
from plugins.finance.models import CreditLimit, Invoice, Receipt
from plugins.finance.services import accounts, queries
from plugins.finance.services.accounts import AGEING
from plugins.finance.services.queries import ACCOUNT_FILTERS
from plugins.finance.services.scope import may_see_party, party_condition
from plugins.finance.views import bp
from plugins.finance.views.common import AGEING_LABELS, page_rows, period_args, sort_by, year_start

KIND_LABELS = {"invoice": "فاکتور فروش", "credit_note": "برگشت از فروش", "receipt": "دریافت", "bounce": "برگشت چک"}


@bp.route("/accounts")
@permission_required("finance.view")
def accounts_list():
    which = request.args.get("which", "open")
    which = which if which in ACCOUNT_FILTERS else "open"
    q = request.args.get("q", "").strip()[:100]
    base, sort_columns = queries.accounts(current_user, which, q)
    stmt, sort = sort_by(base, sort_columns, "-balance")
    stmt = stmt.order_by(Party.id)
    fmt = request.args.get("export")
    if fmt:
        rows = db.session.execute(stmt).all()
        ageing = accounts.ageing_by_party([row[0].id for row in rows])
        columns = [("مشتری", lambda r: r[0].name), ("کد ملی / شناسه", lambda r: r[0].national_id or ""),
                   ("شهر", lambda r: r[0].city), ("مانده (ریال؛ مثبت بدهکار)", lambda r: int(r[1])),
                   ("سررسیدگذشته (ریال)", lambda r: int(r[2]))]
        columns += [(f"{AGEING_LABELS[label]} (ریال)", lambda r, label=label: ageing.get(r[0].id, {}).get(label, 0))
                    for label, _lo, _hi in AGEING]
        columns.append(("آخرین گردش", lambda r: r[3]))
        return export_response("finance-accounts", columns, rows, fmt if fmt in FORMATS else "csv")
    page = page_rows(stmt)
    ageing = accounts.ageing_by_party([row[0].id for row in page.items])
    count, owed, held = queries.account_totals(base)
    totals_all = accounts.ageing(within=party_condition(current_user, Invoice.party_id))
    return render_template("finance/accounts.html", page=page, ageing=ageing, which=which, q=q, sort=sort,
                           totals_all=totals_all, count=count, owed=owed, held=held)


def _statement_context(party_id: int, errors: list[str]) -> dict:
    party = db.session.get(Party, party_id)
    if party is None or not may_see_party(current_user, party_id):
        abort(404)
    today = today_tehran()
    start, end = period_args(errors, default_start=year_start(today), default_end=today)
    start, end = start or year_start(today), end or today
    statement = accounts.statement(party_id, start, end)
    return dict(party=party, start=start, end=end, statement=statement, ageing=accounts.ageing(party_id),
                overdue=accounts.overdue(party_id), balance_now=accounts.balance(party_id),
                receipt_numbers=_receipt_numbers(statement), KIND_LABELS=KIND_LABELS)


def _receipt_numbers(statement: dict) -> dict[int, Receipt]:
    ids = {e.receipt_id for e, _ in statement["rows"] if e.receipt_id}
    return {r.id: r for r in db.session.scalars(select(Receipt).where(Receipt.id.in_(ids or {-1})))}


@bp.route("/accounts/<int:party_id>")
@permission_required("finance.view")
def statement(party_id):
    errors: list[str] = []
    context = _statement_context(party_id, errors)
    fmt = request.args.get("export")
    if fmt:
        s = context["statement"]
        opening = [(None, s["opening"])]
        columns = [("تاریخ", lambda r: r[0].at if r[0] else context["start"]),
                   ("شرح", lambda r: r[0].description if r[0] else "مانده از پیش"),
                   ("بدهکار (ریال)", lambda r: r[0].debit if r[0] else ""),
                   ("بستانکار (ریال)", lambda r: r[0].credit if r[0] else ""),
                   ("مانده (ریال؛ مثبت بدهکار)", lambda r: r[1])]
        return export_response(f"finance-statement-{party_id}", columns, opening + list(s["rows"]),
                               fmt if fmt in FORMATS else "csv")
    own = db.session.get(CreditLimit, party_id)
    return render_template("finance/statement.html", errors=errors, own_limit=own,
                           start_text=request.args.get("from", ""), end_text=request.args.get("to", ""),
                           may_receive=can(current_user, "finance.receipts"), **context)


@bp.route("/accounts/<int:party_id>/print")
@permission_required("finance.view")
def statement_print(party_id):
    errors: list[str] = []
    context = _statement_context(party_id, errors)
    return render_template("finance/statement_print.html", errors=errors, **context)
