"""Quotes (پیش‌فاکتور) and orders on screen: the live quote builder, the quote page with its
versions, the proforma PDF, the managers' discount approvals, orders (from a quote or direct)
with their traceability, the orders list with exports, and the admin screens for sales policies,
price lists and ad hoc discount limits.

Views parse what was typed, call the services (`quotes`, `orders`, `quote_preview`,
`sales_admin`, `order_queries`, `proforma`), render. Visibility comes only from the services:
a quote, order or opportunity the user may not see is a 404, as if it did not exist.

Links for the customer page: `crm.quotes_for` (negotiation_id) lists an opportunity's quotes
with a «پیش‌فاکتور تازه» button; `crm.orders_list?customer=<id>` the customer's orders;
`crm.order_new` (customer_id) a direct order.
"""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core import audit, settings
from core.access import can, permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.jalali import JalaliDateError, format_date, parse_date, today_tehran
from core.models.audit import AuditEntry
from core.models.org import User
from core.models.products import Product
from core.persian import like_pattern, to_ascii_digits, to_persian_digits
from core.validation import ValidationError
from core.views.helpers import paginate
from plugins.crm.models import Customer, ListItem, Negotiation
from plugins.crm.models.sales import (
    ORDER_STATUSES,
    POLICY_KINDS,
    QUOTE_STATUSES,
    Order,
    Policy,
    PriceList,
    Quote,
    QuoteLine,
)
from plugins.crm.services import order_queries, orders, proforma, quote_preview, quotes, sales_admin
from plugins.crm.services.negotiations import NotFound
from plugins.crm.services.visibility import can_act_on, can_see_customer, negotiation_filter
from plugins.crm.views import bp

QUOTE_COLOURS = {"draft": "secondary", "sent": "primary", "accepted": "success", "rejected": "danger",
                 "superseded": "light"}
ORDER_COLOURS = {"draft": "secondary", "confirmed": "success", "cancelled": "danger"}
APPROVAL_LABELS = {"pending": "منتظر تأیید مدیر", "approved": "تأیید شد", "rejected": "رد شد"}
APPROVAL_COLOURS = {"pending": "warning", "approved": "success", "rejected": "danger"}
ORDER_KINDS = {"order": "سفارش فروش", "contract": "قرارداد"}
EFFECT_EVENTS = {"confirmed": "هنگام تأیید", "cancelled": "هنگام لغو"}
PRODUCT_OPTIONS = 100
QUOTE_AUDIT_LABELS = {"status": "وضعیت", "valid_until": "معتبر تا", "total": "مبلغ کل", "discount": "جمع تخفیف",
                      "tax": "مالیات", "notes": "توضیحات", "sent_at": "زمان ارسال", "decided_at": "زمان پاسخ مشتری",
                      "version": "نسخه"}
POLICY_AUDIT_LABELS = {"name": "نام", "kind": "نوع", "active": "فعال", "product_id": "کالا",
                       "category_id": "دستهٔ مشتری",
                       "valid_from": "از تاریخ", "valid_to": "تا تاریخ", "percent": "درصد", "tiers": "پله‌ها",
                       "tier_mode": "شیوهٔ پله‌ها", "loyal_min_purchase": "حداقل خرید ۱۲ ماه"}
ORDER_AUDIT_LABELS = {"status": "وضعیت", "kind": "نوع", "total": "مبلغ کل", "discount": "جمع تخفیف", "tax": "مالیات",
                      "allow_partial": "تحویل بخشی", "confirmed_at": "زمان تأیید", "confirmed_by_id": "تأییدکننده",
                      "cancelled_at": "زمان لغو", "cancel_reason": "دلیل لغو", "notes": "توضیحات"}


def pct(bp: int | None) -> str:
    """Basis points as a Persian percentage: 1250 → «۱۲٫۵٪»."""
    if bp is None:
        return "—"
    return to_persian_digits(f"{bp / 100:.2f}".rstrip("0").rstrip(".").replace(".", "٫")) + "٪"


def pct_input(bp: int | None) -> str:
    """Basis points as typed in an input: 1250 → "12.5"."""
    if not bp:
        return ""
    return f"{bp / 100:.2f}".rstrip("0").rstrip(".")


@bp.context_processor
def _sales_helpers():
    return dict(QUOTE_STATUSES=QUOTE_STATUSES, ORDER_STATUSES=ORDER_STATUSES, QUOTE_COLOURS=QUOTE_COLOURS,
                ORDER_COLOURS=ORDER_COLOURS, APPROVAL_LABELS=APPROVAL_LABELS, APPROVAL_COLOURS=APPROVAL_COLOURS,
                ORDER_KINDS=ORDER_KINDS, POLICY_KINDS=POLICY_KINDS, EFFECT_EVENTS=EFFECT_EVENTS, pct=pct,
                pct_input=pct_input, TIER_MODES=sales_admin.TIER_MODES, QUOTE_AUDIT_LABELS=QUOTE_AUDIT_LABELS,
                ORDER_AUDIT_LABELS=ORDER_AUDIT_LABELS, POLICY_AUDIT_LABELS=POLICY_AUDIT_LABELS)


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _int(value) -> int | None:
    text = to_ascii_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _safe_next(default: str) -> str:
    target = request.form.get("next") or request.args.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _flash_error(exc: ValidationError) -> None:
    for message in exc.errors.values():
        flash(to_persian_digits(message), "danger")


def _visible_negotiation(negotiation_id: int) -> Negotiation:
    negotiation = db.session.scalar(select(Negotiation).where(
        Negotiation.id == negotiation_id, negotiation_filter(current_user)))
    if negotiation is None:
        abort(404)
    return negotiation


def _quote_or_404(quote_id: int) -> Quote:
    try:
        return quotes.get_visible(quote_id, current_user)
    except NotFound:
        abort(404)


def _order_or_404(order_id: int) -> Order:
    try:
        return orders.get_visible(order_id, current_user)
    except NotFound:
        abort(404)


def default_valid_until() -> dt.date:
    return today_tehran() + dt.timedelta(days=int(settings.get("crm.quote_validity_days")))


# --- the builder's rows ---------------------------------------------------------------------------

def _blank_row(key: int) -> dict:
    return {"key": key, "product_id": "", "quantity": "1", "adhoc_percent": "", "description": ""}


def _rows_from_form() -> list[dict]:
    """The rows as typed, in page order (each row posts `row` = its key)."""
    rows, seen = [], set()
    for raw in request.form.getlist("row"):
        key = _int(raw)
        if key is None or key in seen or len(rows) >= quotes.MAX_LINES + 1:
            continue
        seen.add(key)
        rows.append({"key": key, "product_id": request.form.get(f"line-{key}-product_id", "").strip(),
                     "quantity": request.form.get(f"line-{key}-quantity", "").strip()[:30],
                     "adhoc_percent": request.form.get(f"line-{key}-adhoc_percent", "").strip()[:30],
                     "description": request.form.get(f"line-{key}-description", "")[:300]})
    return rows


def _rows_from_quote(quote: Quote) -> list[dict]:
    return [{"key": i, "product_id": str(li.product_id), "quantity": str(li.quantity),
             "adhoc_percent": pct_input(li.adhoc_percent), "description": li.description}
            for i, li in enumerate(quote.lines, start=1)]


def _filled(rows: list[dict]) -> list[dict]:
    """Rows that say something: a row with neither a product nor a description is ignored."""
    return [r for r in rows if r["product_id"] or r["description"].strip()]


def _service_rows(rows: list[dict]) -> list[dict]:
    return [{"product_id": r["product_id"], "quantity": r["quantity"] or "0",
             "adhoc_percent": r["adhoc_percent"], "description": r["description"]} for r in rows]


def _row_errors(exc_errors: dict, filled: list[dict]) -> tuple[dict, list[str]]:
    """Service errors `lines-<i>` (i over the filled rows) → {row key: message}; the rest loose."""
    by_row, loose = {}, []
    for key, message in exc_errors.items():
        if key.startswith("lines-") and key[6:].isdigit() and 0 < int(key[6:]) <= len(filled):
            by_row[filled[int(key[6:]) - 1]["key"]] = message
        elif key not in ("valid_until", "notes"):
            loose.append(message)
    return by_row, loose


def _product_choices(selected_ids, q: str = "") -> list[Product]:
    """Active products for a line's select (searched with `q`), always with the ones chosen."""
    stmt = select(Product).where(Product.active.is_(True))
    if q.strip():
        stmt = stmt.where(Product.search_key.like(like_pattern(q), escape="\\"))
    found = list(db.session.scalars(stmt.order_by(Product.code).limit(PRODUCT_OPTIONS)))
    chosen = [i for i in selected_ids if i and i not in {p.id for p in found}]
    if chosen:
        found = list(db.session.scalars(select(Product).where(Product.id.in_(chosen)))) + found
    return found


def _builder_context(*, customer: Customer, negotiation: Negotiation | None, rows: list[dict], mode: str,
                     quote: Quote | None = None, row_errors=None, messages=(), valid_until: str = "",
                     notes: str = "", field_errors=None, kind: str = "order", allow_partial: bool = False) -> dict:
    filled = _filled(rows)
    result = quote_preview.preview(customer, _service_rows(filled), current_user)
    by_key = {row["key"]: r for row, r in zip(filled, result.rows)}
    row_errors = dict(row_errors or {})
    product_ids = sorted({r.product.id for r in result.rows if r.product is not None})
    office_id = negotiation.office_id if negotiation is not None else None
    availability, answered = quotes.availability(product_ids, office_id)
    credit = quotes.credit(customer)
    selected = [_int(r["product_id"]) for r in rows]
    choices = _product_choices(selected)
    over_credit = bool(credit is not None and credit.limit is not None
                       and credit.balance + result.total > credit.limit)
    return dict(customer=customer, party=customer.party, negotiation=negotiation, quote=quote, rows=rows,
                results=by_key, preview=result, row_errors=row_errors, availability=availability,
                availability_answered=answered, credit=credit, over_credit=over_credit, products=choices,
                mode=mode, messages=list(messages), valid_until=valid_until, notes=notes,
                field_errors=field_errors or {}, limit=result.limit, kind=kind, allow_partial=allow_partial,
                next_key=max([r["key"] for r in rows] or [0]) + 1,
                action_url=request.path)


def _builder_response(template_context: dict, action: str):
    """Full page, or for htmx the part that changed: the prices (on a change) or the rows
    (after adding or removing one)."""
    if _htmx() and action == "price":
        return render_template("crm/sales/_builder_prices.html", **template_context)
    if _htmx() and (action == "add" or action.startswith("remove-")):
        return render_template("crm/sales/_builder_lines.html", **template_context)
    return render_template("crm/sales/builder.html", **template_context)


def _apply_row_action(rows: list[dict], action: str) -> list[dict]:
    if action == "add":
        if len(rows) < quotes.MAX_LINES:
            rows.append(_blank_row(max([r["key"] for r in rows] or [0]) + 1))
    elif action.startswith("remove-"):
        key = _int(action[7:])
        rows = [r for r in rows if r["key"] != key] or [_blank_row(1)]
    return rows


def _quote_builder(negotiation: Negotiation, quote: Quote | None = None):
    customer = db.session.get(Customer, negotiation.customer_id)
    if request.method == "GET":
        if quote is not None:
            rows, valid_until, notes = _rows_from_quote(quote), format_date(quote.valid_until), quote.notes
        else:
            rows, valid_until, notes = [_blank_row(1)], format_date(default_valid_until()), ""
            product_id = _int(request.args.get("product"))
            if product_id:
                rows[0]["product_id"] = str(product_id)
        return render_template("crm/sales/builder.html", **_builder_context(
            customer=customer, negotiation=negotiation, rows=rows, mode="quote", quote=quote,
            valid_until=valid_until, notes=notes))
    action = request.form.get("action", "price")
    rows = _rows_from_form() or [_blank_row(1)]
    valid_until, notes = request.form.get("valid_until", "")[:40], request.form.get("notes", "")[:4000]
    if action != "save":
        rows = _apply_row_action(rows, action)
        return _builder_response(_builder_context(
            customer=customer, negotiation=negotiation, rows=rows, mode="quote", quote=quote,
            valid_until=valid_until, notes=notes), action)
    filled = _filled(rows)
    data = {"valid_until": valid_until.strip() or default_valid_until(), "notes": notes,
            "lines": quote_preview.clean_rows(_service_rows(filled))}
    try:
        saved = quotes.save(negotiation.id, data, current_user, quote=quote)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        row_errors, loose = _row_errors(exc.errors, filled)
        field_errors = {k: v for k, v in exc.errors.items() if k in ("valid_until", "notes")}
        messages = [("danger", m) for m in loose] or [("danger", "پیش‌فاکتور ذخیره نشد؛ موارد مشخص‌شده را درست کنید.")]
        if quote is not None:
            quote = db.session.get(Quote, quote.id)
        return render_template("crm/sales/builder.html", **_builder_context(
            customer=customer, negotiation=negotiation, rows=rows, mode="quote", quote=quote,
            row_errors=row_errors, messages=messages, valid_until=valid_until, notes=notes,
            field_errors=field_errors)), 422
    pending = sum(1 for li in saved.lines if li.approval == "pending")
    flash(f"پیش‌فاکتور شمارهٔ {to_persian_digits(saved.number)} ذخیره شد."
          + (f" تخفیف {to_persian_digits(pending)} ردیف بیش از سقف شماست و منتظر تأیید مدیر می‌ماند."
             if pending else ""),
          "warning" if pending else "success")
    return redirect(url_for("crm.quote", quote_id=saved.id))


# --- quotes ---------------------------------------------------------------------------------------

@bp.route("/opportunities/<int:negotiation_id>/quotes")
@permission_required("crm.customers")
def quotes_for(negotiation_id):
    """An opportunity's quotes, every number with its versions (latest first)."""
    negotiation = _visible_negotiation(negotiation_id)
    rows = db.session.scalars(select(Quote).where(Quote.negotiation_id == negotiation.id)
                              .options(joinedload(Quote.created_by))
                              .order_by(Quote.number.desc(), Quote.version.desc())).all()
    may_new = (can(current_user, "crm.quotes") and negotiation.effective_status == "negotiating"
               and can_act_on(current_user, negotiation))
    return render_template("crm/sales/quotes_for.html", negotiation=negotiation, customer=negotiation.customer,
                           party=negotiation.customer.party, quotes=rows, may_new=may_new,
                           today=today_tehran())


@bp.route("/quotes")
@permission_required("crm.customers")
def quotes_list():
    """Every quote the user may see (through the opportunity's visibility), newest first."""
    status = request.args.get("status", "")
    stmt = (select(Quote).join(Negotiation, Negotiation.id == Quote.negotiation_id)
            .where(negotiation_filter(current_user))
            .options(joinedload(Quote.customer).joinedload(Customer.party), joinedload(Quote.created_by))
            .order_by(Quote.created_at.desc(), Quote.id.desc()))
    if status in QUOTE_STATUSES:
        stmt = stmt.where(Quote.status == status)
    q = request.args.get("q", "").strip()[:100]
    if q:
        from core.models.parties import Party
        digits = to_ascii_digits(q)
        condition = Quote.customer_id.in_(select(Customer.id).join(Party, Party.id == Customer.party_id).where(
            Party.search_key.like(like_pattern(q), escape="\\")))
        stmt = stmt.where(condition | (Quote.number == int(digits))) if digits.isdigit() and len(digits) < 10 \
            else stmt.where(condition)
    return render_template("crm/sales/quotes_list.html", page=paginate(stmt), status=status, q=q,
                           today=today_tehran())


@bp.route("/opportunities/<int:negotiation_id>/quotes/new", methods=["GET", "POST"])
@permission_required("crm.quotes")
def quote_new(negotiation_id):
    negotiation = _visible_negotiation(negotiation_id)
    if negotiation.effective_status != "negotiating":
        flash("برای مذاکره‌ای که در جریان نیست پیش‌فاکتور صادر نمی‌شود.", "danger")
        return redirect(url_for("crm.quotes_for", negotiation_id=negotiation.id))
    if not can_act_on(current_user, negotiation):
        flash("فقط کارشناس مسئول این فرصت یا مدیران او می‌توانند برایش پیش‌فاکتور صادر کنند.", "danger")
        return redirect(url_for("crm.quotes_for", negotiation_id=negotiation.id))
    return _quote_builder(negotiation)


@bp.route("/quotes/<int:quote_id>/edit", methods=["GET", "POST"])
@permission_required("crm.quotes")
def quote_edit(quote_id):
    quote = _quote_or_404(quote_id)
    if quote.status != "draft":
        flash("فقط پیش‌نویس را می‌توان ویرایش کرد؛ نسخهٔ تازه بسازید.", "warning")
        return redirect(url_for("crm.quote", quote_id=quote.id))
    negotiation = quote.negotiation
    if not can_act_on(current_user, negotiation) or negotiation.effective_status != "negotiating":
        flash("این پیش‌فاکتور را فقط کارشناس مسئول یک مذاکرهٔ در جریان یا مدیران او ویرایش می‌کنند.", "danger")
        return redirect(url_for("crm.quote", quote_id=quote.id))
    return _quote_builder(negotiation, quote)


@bp.route("/products/options")
@permission_required("crm.quotes")
def product_options():
    """`<option>`s of active products matching `q` (the builder's product search)."""
    selected = [_int(v) for k, v in request.args.items() if k.endswith("product_id")]
    return render_template("crm/sales/_product_options.html",
                           products=_product_choices(selected, request.args.get("q", "")[:100]),
                           selected=selected[0] if selected else None)


def _versions(quote: Quote) -> list[Quote]:
    return list(db.session.scalars(select(Quote).join(Negotiation, Negotiation.id == Quote.negotiation_id).where(
        Quote.number == quote.number, negotiation_filter(current_user)).order_by(Quote.version.desc())))


def _approval_history(line_ids: list[int]) -> list[AuditEntry]:
    if not line_ids:
        return []
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "crm_quote_lines", AuditEntry.action == "update",
        AuditEntry.record_id.in_([str(i) for i in line_ids])).order_by(AuditEntry.at.desc())).all()
    return [e for e in entries if "approval" in (e.changes or {})]


@bp.route("/quotes/<int:quote_id>")
@permission_required("crm.customers")
def quote(quote_id):
    quote = _quote_or_404(quote_id)
    negotiation = quote.negotiation
    acts = can_act_on(current_user, negotiation)
    latest = db.session.scalar(select(func.max(Quote.version)).where(Quote.number == quote.number))
    order = db.session.scalar(select(Order).where(Order.quote_id == quote.id))
    if order is not None and not can_see_customer(current_user, order.customer_id):
        order = None
    product_ids = [li.product_id for li in quote.lines]
    availability, answered = ({}, None)
    if quote.status in ("draft", "sent", "accepted") and order is None:
        availability, answered = quotes.availability(product_ids, negotiation.office_id)
    may_quote = can(current_user, "crm.quotes") and acts
    may_approve = quotes._may_approve(current_user, quote) and quote.status == "draft"
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_([li.approved_by_id for li in quote.lines if li.approved_by_id] or [-1])))}
    return render_template(
        "crm/sales/quote.html", quote=quote, negotiation=negotiation, customer=quote.customer,
        party=quote.customer.party, versions=_versions(quote), is_latest=quote.version == latest,
        order=order, availability=availability, availability_answered=answered,
        credit=quotes.credit(quote.customer) if quote.status in ("draft", "sent", "accepted") else None,
        show_credit=quote.status in ("draft", "sent", "accepted"),
        may_quote=may_quote, may_approve=may_approve, users=users, today=today_tehran(),
        may_order=may_quote and quote.status == "accepted" and order is None,
        history=audit.history("crm_quotes", quote.id),
        approval_history=_approval_history([li.id for li in quote.lines]))


def _quote_action(quote_id: int, call, success: str):
    _quote_or_404(quote_id)
    try:
        result = call()
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        _flash_error(exc)
        return redirect(url_for("crm.quote", quote_id=quote_id))
    flash(success, "success")
    return redirect(url_for("crm.quote", quote_id=getattr(result, "id", quote_id)))


@bp.route("/quotes/<int:quote_id>/send", methods=["POST"])
@permission_required("crm.quotes")
def quote_send(quote_id):
    """«ارسال»: marks the quote sent (the proforma is then downloaded and given to the customer)."""
    return _quote_action(quote_id, lambda: quotes.send(quote_id, current_user),
                         "پیش‌فاکتور به‌عنوان «ارسال‌شده» ثبت شد؛ فایل PDF آن را برای مشتری بفرستید.")


@bp.route("/quotes/<int:quote_id>/decide", methods=["POST"])
@permission_required("crm.quotes")
def quote_decide(quote_id):
    accept = request.form.get("accept") == "1"
    return _quote_action(quote_id, lambda: quotes.decide(quote_id, accept, current_user),
                         "پذیرش مشتری ثبت شد؛ اکنون می‌توانید سفارش یا قرارداد بسازید." if accept
                         else "رد پیش‌فاکتور از سوی مشتری ثبت شد.")


@bp.route("/quotes/<int:quote_id>/versions", methods=["POST"])
@permission_required("crm.quotes")
def quote_new_version(quote_id):
    _quote_or_404(quote_id)
    try:
        new = quotes.new_version(quote_id, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        _flash_error(exc)
        return redirect(url_for("crm.quote", quote_id=quote_id))
    flash(f"نسخهٔ {to_persian_digits(new.version)} ساخته شد (با قیمت‌های امروز)؛ آن را ویرایش و ارسال کنید.", "success")
    return redirect(url_for("crm.quote_edit", quote_id=new.id))


@bp.route("/quotes/<int:quote_id>/proforma.pdf")
@permission_required("crm.customers")
def quote_pdf(quote_id):
    quote = _quote_or_404(quote_id)
    pdf = proforma.render(quote)
    response = Response(pdf, mimetype="application/pdf")
    disposition = "inline" if request.args.get("inline") == "1" else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename={proforma.filename(quote)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- discount approvals ---------------------------------------------------------------------------

@bp.route("/approvals")
@permission_required("crm.discount_approve")
def discount_approvals():
    """Lines waiting for this manager's approval, and the latest decisions on visible quotes."""
    pending = db.session.execute(quotes.pending_approvals(current_user).options(
        joinedload(QuoteLine.product))).all()
    decided = db.session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "crm_quote_lines", AuditEntry.action == "update")
        .options(joinedload(AuditEntry.user)).order_by(AuditEntry.at.desc()).limit(300)).all()
    decided = [e for e in decided if "approval" in (e.changes or {})]
    line_ids = [int(e.record_id) for e in decided if e.record_id.isdigit()]
    visible_lines = {}
    if line_ids:
        for line, quote in db.session.execute(
                select(QuoteLine, Quote).join(Quote, Quote.id == QuoteLine.quote_id)
                .join(Negotiation, Negotiation.id == Quote.negotiation_id)
                .where(QuoteLine.id.in_(line_ids), negotiation_filter(current_user))
                .options(joinedload(QuoteLine.product))):
            visible_lines[line.id] = (line, quote)
    history = [(e, *visible_lines[int(e.record_id)]) for e in decided
               if e.record_id.isdigit() and int(e.record_id) in visible_lines][:50]
    return render_template("crm/sales/approvals.html", pending=pending, history=history)


@bp.route("/quotes/<int:quote_id>/lines/<int:line_id>/approval", methods=["POST"])
@permission_required("crm.discount_approve")
def discount_decide(quote_id, line_id):
    _quote_or_404(quote_id)
    approve = request.form.get("approve") == "1"
    try:
        line = quotes.decide_discount(quote_id, line_id, approve, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        _flash_error(exc)
    else:
        flash(f"تخفیف {pct(line.adhoc_percent)} ردیف {to_persian_digits(line.position)} "
              + ("تأیید شد." if approve else "رد شد."), "success" if approve else "warning")
    return redirect(_safe_next(url_for("crm.discount_approvals")))


# --- orders ---------------------------------------------------------------------------------------

@bp.route("/quotes/<int:quote_id>/order", methods=["POST"])
@permission_required("crm.quotes")
def order_from_quote(quote_id):
    _quote_or_404(quote_id)
    kind = request.form.get("kind", "order")
    try:
        order = orders.from_quote(quote_id, current_user, kind=kind,
                                  allow_partial=request.form.get("allow_partial") == "1")
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        _flash_error(exc)
        existing = db.session.scalar(select(Order).where(Order.quote_id == quote_id))
        if existing is not None and can_see_customer(current_user, existing.customer_id):
            return redirect(url_for("crm.order", order_id=existing.id))
        return redirect(url_for("crm.quote", quote_id=quote_id))
    flash(f"{ORDER_KINDS[order.kind]} شمارهٔ {to_persian_digits(order.number)} ساخته شد؛ برای رزرو کالا و صدور "
          "فاکتور آن را تأیید کنید.", "success")
    return redirect(url_for("crm.order", order_id=order.id))


@bp.route("/customers/<int:customer_id>/orders/new", methods=["GET", "POST"])
@permission_required("crm.quotes")
def order_new(customer_id):
    """A direct order (without a quote), priced by the same engine today."""
    if not can_see_customer(current_user, customer_id):
        abort(404)
    customer = db.session.get(Customer, customer_id)
    negotiation = db.session.get(Negotiation, customer.current_negotiation_id) \
        if customer.current_negotiation_id else None
    if negotiation is None or not can_act_on(current_user, negotiation):
        flash("فقط کارشناس مسئول این مشتری یا مدیران او برایش سفارش ثبت می‌کنند.", "danger")
        return redirect(url_for("crm.customer", customer_id=customer_id))
    if request.method == "GET":
        return render_template("crm/sales/builder.html", **_builder_context(
            customer=customer, negotiation=negotiation, rows=[_blank_row(1)], mode="order"))
    action = request.form.get("action", "price")
    rows = _rows_from_form() or [_blank_row(1)]
    kind = request.form.get("kind", "order")
    allow_partial = request.form.get("allow_partial") == "1"
    if action != "save":
        rows = _apply_row_action(rows, action)
        return _builder_response(_builder_context(customer=customer, negotiation=negotiation, rows=rows,
                                                  mode="order", kind=kind, allow_partial=allow_partial), action)
    filled = _filled(rows)
    try:
        if kind not in ORDER_KINDS:
            raise ValidationError({"kind": "نوع باید سفارش یا قرارداد باشد."})
        order = orders.direct(customer_id, {"lines": quote_preview.clean_rows(_service_rows(filled)),
                                            "allow_partial": allow_partial}, current_user, kind=kind)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        row_errors, loose = _row_errors(exc.errors, filled)
        messages = [("danger", m) for m in loose] or [("danger", "سفارش ثبت نشد؛ موارد مشخص‌شده را درست کنید.")]
        return render_template("crm/sales/builder.html", **_builder_context(
            customer=customer, negotiation=negotiation, rows=rows, mode="order", row_errors=row_errors,
            messages=messages, kind=kind, allow_partial=allow_partial)), 422
    flash(f"{ORDER_KINDS[order.kind]} شمارهٔ {to_persian_digits(order.number)} ثبت شد؛ برای رزرو و صدور فاکتور "
          "آن را تأیید کنید.", "success")
    return redirect(url_for("crm.order", order_id=order.id))


@bp.route("/orders/<int:order_id>")
@permission_required("crm.customers")
def order(order_id):
    order = _order_or_404(order_id)
    customer = db.session.get(Customer, order.customer_id)
    trace = order_queries.trace(order, current_user)
    availability, answered, credit = {}, None, None
    if order.status == "draft":
        availability, answered = quotes.availability([li.product_id for li in order.lines], order.office_id)
        credit = quotes.credit(customer)
    negotiation = trace["negotiation"]
    acts = negotiation is None or can_act_on(current_user, negotiation)
    return render_template(
        "crm/sales/order.html", order=order, customer=customer, party=customer.party, trace=trace,
        availability=availability, availability_answered=answered, credit=credit,
        over_credit=bool(credit is not None and credit.limit is not None
                         and credit.balance + order.total > credit.limit),
        may_confirm=can(current_user, "crm.orders_confirm") and acts and order.status == "draft",
        may_cancel=can(current_user, "crm.orders_confirm") and acts and order.status != "cancelled",
        may_override=can(current_user, "crm.credit_override"))


@bp.route("/orders/<int:order_id>/confirm", methods=["POST"])
@permission_required("crm.orders_confirm")
def order_confirm(order_id):
    """Confirm: every subscriber (inventory, finance, …) acts in the same transaction or none
    does. A second submission (double click, two tabs) finds it confirmed and changes nothing."""
    before = _order_or_404(order_id).status
    override = request.form.get("override_credit") == "1"
    try:
        order = orders.confirm(order_id, current_user, override_credit=override)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash("سفارش تأیید نشد و هیچ تغییری ثبت نشد: " + str(exc), "danger")
    else:
        if before == "confirmed":
            flash("این سفارش پیش‌تر تأیید شده بود؛ دوباره کاری انجام نشد.", "info")
        else:
            flash(f"{ORDER_KINDS.get(order.kind, '')} شمارهٔ {to_persian_digits(order.number)} تأیید شد.", "success")
    return redirect(url_for("crm.order", order_id=order_id))


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@permission_required("crm.orders_confirm")
def order_cancel(order_id):
    before = _order_or_404(order_id).status
    try:
        orders.cancel(order_id, current_user, request.form.get("reason", ""))
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash("سفارش لغو نشد: " + str(exc), "danger")
    else:
        flash("این سفارش پیش‌تر لغو شده بود." if before == "cancelled" else "سفارش لغو شد.",
              "info" if before == "cancelled" else "success")
    return redirect(url_for("crm.order", order_id=order_id))


def _date_arg(name: str, errors: list[str], label: str) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_date(raw)
    except JalaliDateError as exc:
        errors.append(f"«{label}»: {exc}")
        return None


@bp.route("/orders")
@permission_required("crm.customers")
def orders_list():
    """Visible orders with filters (status, kind, Jalali period, customer), CSV/XLSX export."""
    errors: list[str] = []
    start, end = _date_arg("from", errors, "از تاریخ"), _date_arg("to", errors, "تا تاریخ")
    if start and end and end < start:
        errors.append("«تا تاریخ» نباید پیش از «از تاریخ» باشد.")
        start = end = None
    customer_id = _int(request.args.get("customer"))
    filters = dict(status=request.args.get("status", ""), kind=request.args.get("kind", ""), start=start, end=end,
                   customer_id=customer_id, q=request.args.get("q", "").strip()[:100])
    base = order_queries.order_list(current_user, **filters)
    stmt = base.options(joinedload(Order.customer).joinedload(Customer.party))
    fmt = request.args.get("export")
    if fmt:
        if not can(current_user, "crm.export"):
            abort(403)
        rows = db.session.scalars(stmt).unique().all()
        quote_numbers = dict(db.session.execute(select(Quote.id, Quote.number).where(
            Quote.id.in_([o.quote_id for o in rows if o.quote_id] or [-1]))).all())
        columns = [
            ("شماره", lambda o: o.number), ("نوع", lambda o: ORDER_KINDS.get(o.kind, o.kind)),
            ("مشتری", lambda o: o.customer.party.name), ("وضعیت", lambda o: ORDER_STATUSES.get(o.status, o.status)),
            ("ثبت", lambda o: o.created_at), ("تأیید", lambda o: o.confirmed_at), ("لغو", lambda o: o.cancelled_at),
            ("پیش‌فاکتور", lambda o: quote_numbers.get(o.quote_id, "")),
            ("جمع کالاها (ریال)", lambda o: o.subtotal), ("تخفیف (ریال)", lambda o: o.discount),
            ("مالیات (ریال)", lambda o: o.tax), ("مبلغ کل (ریال)", lambda o: o.total),
            ("دلیل لغو", lambda o: o.cancel_reason),
        ]
        return export_response("crm-orders", columns, rows, fmt if fmt in FORMATS else "csv")
    page = paginate(stmt)
    filter_customer = db.session.get(Customer, customer_id) if customer_id and can_see_customer(
        current_user, customer_id) else None
    matched = base.order_by(None).with_only_columns(Order.id, Order.total).subquery()
    totals = db.session.execute(select(func.count(), func.coalesce(func.sum(matched.c.total), 0))).one()
    return render_template("crm/sales/orders.html", page=page, filters=filters, errors=errors,
                           filter_customer=filter_customer, totals=totals,
                           start_text=request.args.get("from", ""), end_text=request.args.get("to", ""))


# --- admin: sales policies, price lists, discount limits -------------------------------------------

def _categories():
    return db.session.scalars(select(ListItem).where(ListItem.kind == "category")
                              .order_by(ListItem.active.desc(), ListItem.name)).all()


def _grouped(value: int) -> str:
    """An amount as typed back into an input: 5800000 → "5٬800٬000" (shown in Persian digits)."""
    return f"{int(value):,}".replace(",", "٬")


def _policy_form_data() -> dict:
    f = request.form
    froms, percents, prices = f.getlist("tier-from"), f.getlist("tier-percent"), f.getlist("tier-unit_price")
    width = max(len(froms), len(percents), len(prices))
    pad = lambda values: values + [""] * (width - len(values))  # noqa: E731
    tiers = [{"from": a, "percent": b, "unit_price": c} for a, b, c in zip(pad(froms), pad(percents), pad(prices))]
    return {"name": f.get("name", ""), "kind": f.get("kind", ""), "product_id": f.get("product_id", ""),
            "category_id": f.get("category_id", ""), "valid_from": f.get("valid_from", ""),
            "valid_to": f.get("valid_to", ""), "percent": f.get("percent", ""), "tiers": tiers,
            "tier_mode": f.get("tier_mode", "all_units"), "loyal_min_purchase": f.get("loyal_min_purchase", ""),
            "active": f.get("active") == "1"}


def _policy_values(policy: Policy | None) -> dict:
    if policy is None:
        return {"name": "", "kind": request.args.get("kind", "percentage"), "product_id": "", "category_id": "",
                "valid_from": "", "valid_to": "", "percent": "", "tiers": [], "tier_mode": "all_units",
                "loyal_min_purchase": "", "active": True}
    return {"name": policy.name, "kind": policy.kind, "product_id": str(policy.product_id or ""),
            "category_id": str(policy.category_id or ""), "valid_from": format_date(policy.valid_from),
            "valid_to": format_date(policy.valid_to), "percent": pct_input(policy.percent),
            "tiers": [{"from": str(t.get("from", "")), "percent": pct_input(t.get("percent")),
                       "unit_price": "" if t.get("unit_price") is None else _grouped(t["unit_price"])}
                      for t in policy.tiers or []],
            "tier_mode": policy.tier_mode or "all_units",
            "loyal_min_purchase": "" if policy.loyal_min_purchase is None else _grouped(policy.loyal_min_purchase),
            "active": policy.active}


@bp.route("/admin/policies")
@permission_required("crm.policies")
def policies():
    rows = db.session.scalars(select(Policy).order_by(Policy.active.desc(), Policy.kind, Policy.name)).all()
    products = {p.id: p for p in db.session.scalars(select(Product).where(
        Product.id.in_([r.product_id for r in rows if r.product_id] or [-1])))}
    categories = {c.id: c for c in _categories()}
    return render_template("crm/sales/policies.html", policies=rows, products=products, categories=categories,
                           today=today_tehran())


def _policy_page(policy: Policy | None):
    values, errors = _policy_values(policy), {}
    if request.method == "POST":
        values = _policy_form_data()
        if request.form.get("action") == "more_tiers":
            values["tiers"] = values["tiers"] + [{"from": "", "percent": "", "unit_price": ""}] * 3
        else:
            try:
                saved = sales_admin.save_policy(values, policy)
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors
                flash("سیاست ذخیره نشد؛ موارد مشخص‌شده را درست کنید.", "danger")
            else:
                flash(f"سیاست «{saved.name}» ذخیره شد.", "success")
                return redirect(url_for("crm.policies"))
    while len(values["tiers"]) < 3:
        values["tiers"].append({"from": "", "percent": "", "unit_price": ""})
    products = db.session.scalars(select(Product).where(
        (Product.active.is_(True)) | (Product.id == (_int(values["product_id"]) or -1))).order_by(Product.name)).all()
    categories = _categories()
    return render_template("crm/sales/policy_edit.html", policy=policy, values=values, errors=errors,
                           products=products, categories=categories,
                           product_names={p.id: p.name for p in products},
                           category_names={c.id: c.name for c in categories},
                           history=audit.history("crm_policies", policy.id) if policy else []), \
        (422 if errors else 200)


@bp.route("/admin/policies/new", methods=["GET", "POST"])
@permission_required("crm.policies")
def policy_new():
    return _policy_page(None)


@bp.route("/admin/policies/<int:policy_id>", methods=["GET", "POST"])
@permission_required("crm.policies")
def policy_edit(policy_id):
    policy = db.session.get(Policy, policy_id)
    if policy is None:
        abort(404)
    return _policy_page(policy)


@bp.route("/admin/policies/<int:policy_id>/active", methods=["POST"])
@permission_required("crm.policies")
def policy_toggle(policy_id):
    if db.session.get(Policy, policy_id) is None:
        abort(404)
    policy = sales_admin.set_policy_active(policy_id, request.form.get("active") == "1")
    flash(f"سیاست «{policy.name}» {'فعال' if policy.active else 'غیرفعال'} شد.", "success")
    return redirect(url_for("crm.policies"))


@bp.route("/admin/price-lists")
@permission_required("crm.policies")
def price_lists():
    rows = db.session.scalars(select(PriceList).options(selectinload(PriceList.items))
                              .order_by(PriceList.active.desc(), PriceList.name)).all()
    return render_template("crm/sales/price_lists.html", lists=rows, categories={c.id: c for c in _categories()},
                           today=today_tehran())


def _price_list_page(plist: PriceList | None):
    errors = {}
    items = {item.product_id: item.price for item in plist.items} if plist else {}
    values = {"name": plist.name if plist else "", "category_id": str(plist.category_id or "") if plist else "",
              "valid_from": format_date(plist.valid_from) if plist else "",
              "valid_to": format_date(plist.valid_to) if plist else "",
              "active": plist.active if plist else True,
              "prices": {str(k): _grouped(v) for k, v in items.items()}}
    if request.method == "POST":
        f = request.form
        values = {"name": f.get("name", ""), "category_id": f.get("category_id", ""),
                  "valid_from": f.get("valid_from", ""), "valid_to": f.get("valid_to", ""),
                  "active": f.get("active") == "1",
                  "prices": {k[6:]: v for k, v in f.items() if k.startswith("price-")}}
        try:
            saved = sales_admin.save_price_list(values, plist)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
            flash("فهرست قیمت ذخیره نشد؛ موارد مشخص‌شده را درست کنید.", "danger")
        else:
            flash(f"فهرست قیمت «{saved.name}» ذخیره شد.", "success")
            return redirect(url_for("crm.price_lists"))
    products = db.session.scalars(select(Product).where(
        Product.active.is_(True) | Product.id.in_(list(items) or [-1])).order_by(Product.code)).all()
    categories = _categories()
    return render_template("crm/sales/price_list_edit.html", plist=plist, values=values, errors=errors,
                           products=products, categories=categories, category_names={c.id: c.name for c in categories},
                           history=audit.history("crm_price_lists", plist.id) if plist else []), \
        (422 if errors else 200)


@bp.route("/admin/price-lists/new", methods=["GET", "POST"])
@permission_required("crm.policies")
def price_list_new():
    return _price_list_page(None)


@bp.route("/admin/price-lists/<int:list_id>", methods=["GET", "POST"])
@permission_required("crm.policies")
def price_list_edit(list_id):
    plist = db.session.get(PriceList, list_id)
    if plist is None:
        abort(404)
    return _price_list_page(plist)


@bp.route("/admin/discount-limits", methods=["GET", "POST"])
@permission_required("crm.policies")
def discount_limits():
    errors, typed = {}, {}
    if request.method == "POST":
        typed = {k[6:]: v for k, v in request.form.items() if k.startswith("limit-")}
        try:
            sales_admin.save_discount_limits(typed)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
            flash("سقف‌ها ذخیره نشد؛ موارد مشخص‌شده را درست کنید.", "danger")
        else:
            flash("سقف تخفیف گروه‌ها ذخیره شد.", "success")
            return redirect(url_for("crm.discount_limits"))
    return render_template("crm/sales/discount_limits.html", limits=sales_admin.discount_limits(),
                           typed=typed, errors=errors), (422 if errors else 200)

