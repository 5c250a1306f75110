"""Quotes, discount approvals and orders in the CRM's JSON API under /api/v1/crm: the same
services, visibility and Persian refusals as the screens.

A record the caller may not see is a 404 (as if it did not exist). A refusal — bad input, a
wrong state, a discount above the limit, an expired quote, a veto of a subscriber (not enough
stock, credit limit exceeded) — is a 422 whose `message` is the reason in Persian, and nothing
is written."""
from __future__ import annotations

import datetime as dt
import re

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, Date, DateTime, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import Response, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core import settings
from core.access import permission_required
from core.api import page_schema, protect
from core.db import db
from core.jalali import today_tehran
from core.validation import ValidationError
from plugins.crm.models import Customer, Negotiation
from plugins.crm.models.sales import ORDER_STATUSES, QUOTE_STATUSES, Order, Quote
from plugins.crm.services import order_queries, orders, proforma, quote_preview, quotes
from plugins.crm.services.negotiations import NotFound
from plugins.crm.services.visibility import can_see_customer, negotiation_filter

orders_api_bp = protect(APIBlueprint("crm_orders_api", __name__, url_prefix="/crm", tag="Quotes and orders"))

DATE_HELP = {"description": "Jalali (1403/05/12) or ISO (2024-08-02)"}
_ISO = re.compile(r"^\s*(19|20)\d\d-\d\d?-\d\d?\s*$")


# --- schemas ------------------------------------------------------------------------------------

class AdjustmentOut(Schema):
    label = String(metadata={"description": "Why, in Persian (shown on the line)"})
    kind = String(metadata={"description": "tier_quantity, period, loyal, adhoc, … or a plugin's own"})
    source = String(metadata={"description": "e.g. crm.policy:3"})
    percent = Integer(allow_none=True, metadata={"description": "basis points (1250 = 12.5 %)"})
    amount = Integer(metadata={"description": "Rials off the line"})


class QuoteLineOut(Schema):
    id = Integer()
    position = Integer()
    product_id = Integer()
    product_name = String(attribute="product.name")
    description = String()
    quantity = Integer()
    list_price = Integer(metadata={"description": "unit price from the price list, Rials"})
    adhoc_percent = Integer(metadata={"description": "the rep's discount, basis points"})
    gross = Integer()
    discount = Integer()
    net = Integer()
    tax_rate = Integer(metadata={"description": "basis points"})
    tax = Integer()
    total = Integer()
    adjustments = List(Nested(AdjustmentOut))
    approval = String(metadata={"description": "none | pending | approved | rejected"})
    approved_by_id = Integer(allow_none=True)


class QuoteOut(Schema):
    id = Integer()
    number = Integer(metadata={"description": "the same across versions"})
    version = Integer()
    negotiation_id = Integer()
    customer_id = Integer()
    customer_name = String(attribute="customer.party.name")
    status = String(metadata={"description": " | ".join(QUOTE_STATUSES)})
    valid_until = Date()
    notes = String()
    subtotal = Integer()
    discount = Integer()
    tax = Integer()
    total = Integer()
    created_by_id = Integer(allow_none=True)
    created_at = DateTime()
    sent_at = DateTime(allow_none=True)
    decided_at = DateTime(allow_none=True)
    lines = List(Nested(QuoteLineOut))
    pdf_url = String(metadata={"description": "The proforma (پیش‌فاکتور) as PDF"})


class QuoteLineIn(Schema):
    product_id = Integer(required=True)
    quantity = Integer(required=True)
    adhoc_percent = Float(load_default=0, metadata={"description": "the rep's discount in percent (12.5)"})
    description = String(load_default="", validate=Length(max=300))


class QuoteIn(Schema):
    negotiation_id = Integer(required=True, metadata={"description": "The opportunity (negotiation)"})
    valid_until = String(load_default=None, allow_none=True,
                         metadata={**DATE_HELP, "description": DATE_HELP["description"]
                                   + "; default today + the crm.quote_validity_days setting"})
    notes = String(load_default="")
    lines = List(Nested(QuoteLineIn), required=True)


class QuoteEditIn(Schema):
    valid_until = String(load_default=None, allow_none=True, metadata=DATE_HELP)
    notes = String(load_default=None, allow_none=True)
    lines = List(Nested(QuoteLineIn), required=True)


class QuoteQuery(Schema):
    negotiation_id = Integer(load_default=None, allow_none=True)
    customer_id = Integer(load_default=None, allow_none=True)
    status = String(load_default="", validate=OneOf(("",) + tuple(QUOTE_STATUSES)))
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))


class PreviewIn(Schema):
    negotiation_id = Integer(load_default=None, allow_none=True, metadata={"description": "This or customer_id"})
    customer_id = Integer(load_default=None, allow_none=True)
    lines = List(Nested(QuoteLineIn), required=True)


class PreviewLineOut(Schema):
    position = Integer()
    product_id = Integer(allow_none=True)
    quantity = Integer(allow_none=True)
    list_price = Integer(allow_none=True)
    gross = Integer(allow_none=True)
    discount = Integer(allow_none=True)
    net = Integer(allow_none=True)
    tax_rate = Integer(allow_none=True)
    tax = Integer(allow_none=True)
    total = Integer(allow_none=True)
    adjustments = List(Nested(AdjustmentOut))
    needs_approval = Boolean(metadata={"description": "the ad hoc discount is above your limit"})
    error = String(metadata={"description": "why this line cannot be priced (Persian); empty when priced"})


class AvailabilityOut(Schema):
    product_id = Integer()
    available = Integer()
    label = String()


class CreditOut(Schema):
    balance = Integer()
    limit = Integer(allow_none=True)
    overdue = Integer()
    label = String()


class PreviewOut(Schema):
    lines = List(Nested(PreviewLineOut))
    subtotal = Integer()
    discount = Integer()
    tax = Integer()
    total = Integer()
    errors = Dict(keys=String(), values=String(), metadata={"description": "as a save would answer them"})
    limit = Integer(metadata={"description": "your ad hoc discount limit, basis points"})
    availability_known = Boolean(metadata={"description": "false: no inventory plugin answered"})
    availability = List(Nested(AvailabilityOut))
    credit = Nested(CreditOut, allow_none=True, metadata={"description": "null: no finance plugin answered"})


class DecisionIn(Schema):
    accept = Boolean(required=True, metadata={"description": "true: the customer accepted; false: rejected"})


class ApprovalIn(Schema):
    approve = Boolean(required=True)


class PendingApprovalOut(Schema):
    quote_id = Integer(attribute="quote.id")
    quote_number = Integer(attribute="quote.number")
    quote_version = Integer(attribute="quote.version")
    customer_id = Integer(attribute="quote.customer_id")
    customer_name = String(attribute="quote.customer.party.name")
    owner_id = Integer(attribute="quote.negotiation.owner_id")
    owner_name = String(attribute="quote.negotiation.owner.full_name")
    line = Nested(QuoteLineOut)


class OrderLineOut(Schema):
    id = Integer()
    position = Integer()
    product_id = Integer()
    product_name = String(attribute="product.name")
    description = String()
    quantity = Integer()
    unit_price = Integer(metadata={"description": "net unit price after adjustments"})
    gross = Integer()
    discount = Integer()
    net = Integer()
    tax_rate = Integer()
    tax = Integer()
    total = Integer()


class OrderEffectOut(Schema):
    event = String(metadata={"description": "confirmed | cancelled"})
    plugin = String()
    ref = String(metadata={"description": "e.g. inventory.reservation:7"})
    label = String()
    url = String()
    at = DateTime()


class OrderOut(Schema):
    id = Integer()
    number = Integer()
    kind = String(metadata={"description": "order | contract"})
    status = String(metadata={"description": " | ".join(ORDER_STATUSES)})
    quote_id = Integer(allow_none=True)
    negotiation_id = Integer(allow_none=True)
    customer_id = Integer()
    customer_name = String(attribute="customer.party.name")
    office_id = Integer(allow_none=True)
    allow_partial = Boolean()
    subtotal = Integer()
    discount = Integer()
    tax = Integer()
    total = Integer()
    notes = String()
    created_at = DateTime()
    created_by_id = Integer(allow_none=True)
    confirmed_at = DateTime(allow_none=True)
    confirmed_by_id = Integer(allow_none=True)
    cancelled_at = DateTime(allow_none=True)
    cancel_reason = String()
    lines = List(Nested(OrderLineOut))
    effects = List(Nested(OrderEffectOut), metadata={"description": "what each subscriber did (traceability)"})


class OrderListOut(OrderOut):
    class Meta:
        exclude = ("lines", "effects")


class FromQuoteIn(Schema):
    kind = String(load_default="order", validate=OneOf(["order", "contract"]))
    allow_partial = Boolean(load_default=False)


class DirectOrderIn(Schema):
    customer_id = Integer(required=True)
    kind = String(load_default="order", validate=OneOf(["order", "contract"]))
    allow_partial = Boolean(load_default=False)
    lines = List(Nested(QuoteLineIn), required=True)


class ConfirmIn(Schema):
    override_credit = Boolean(load_default=False, metadata={"description": "needs crm.credit_override"})


class CancelIn(Schema):
    reason = String(required=True)


class OrderQuery(Schema):
    status = String(load_default="", validate=OneOf(("",) + tuple(ORDER_STATUSES)))
    kind = String(load_default="", validate=OneOf(["", "order", "contract"]))
    date_from = String(data_key="from", load_default=None, allow_none=True, metadata=DATE_HELP)
    date_to = String(data_key="to", load_default=None, allow_none=True, metadata=DATE_HELP)
    customer_id = Integer(load_default=None, allow_none=True)
    q = String(load_default="", metadata={"description": "customer name or order number"})
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))


# --- helpers ------------------------------------------------------------------------------------

def _page(stmt, query: dict) -> dict:
    """A page of ORM rows for `@output(page_schema(...))` to serialise (once)."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = query["page"], query["per_page"]
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": max(1, -(-total // per_page))}


def _service(call):
    try:
        return call()
    except NotFound:
        db.session.rollback()
        abort(404)


def _date(value, field: str, label: str) -> dt.date | str | None:
    """ISO dates become dates (a 19xx/20xx date that is no real day is refused, never read as
    Jalali); anything else is left for the service, which reads it as Jalali."""
    if isinstance(value, str) and _ISO.match(value):
        try:
            return dt.date.fromisoformat("-".join(f"{int(p):02d}" for p in value.strip().split("-")))
        except ValueError:
            raise ValidationError({field: f"«{label}» تاریخ معتبری نیست."}) from None
    return value


def _parse_day(value, field: str, label: str) -> dt.date | None:
    from core.jalali import JalaliDateError, parse_date
    value = _date(value, field, label)
    if value in (None, "") or isinstance(value, dt.date):
        return value or None
    try:
        return parse_date(value)
    except JalaliDateError as exc:
        raise ValidationError({field: f"«{label}»: {exc}"}) from None


def _lines(rows: list[dict]) -> list[dict]:
    return quote_preview.clean_rows([{"product_id": r["product_id"], "quantity": r["quantity"],
                                      "adhoc_percent": r.get("adhoc_percent", 0),
                                      "description": r.get("description", "")} for r in rows])


def _quote_out(quote: Quote) -> Quote:
    quote.pdf_url = url_for("crm_orders_api.quote_pdf", quote_id=quote.id)
    return quote


def _visible_quote(quote_id: int) -> Quote:
    return _service(lambda: quotes.get_visible(quote_id, current_user))


def _visible_negotiation(negotiation_id: int) -> Negotiation:
    negotiation = db.session.scalar(select(Negotiation).where(Negotiation.id == negotiation_id,
                                                              negotiation_filter(current_user)))
    if negotiation is None:
        abort(404)
    return negotiation


# --- quotes -------------------------------------------------------------------------------------

@orders_api_bp.get("/quotes")
@orders_api_bp.input(QuoteQuery, location="query", arg_name="query")
@orders_api_bp.output(page_schema(QuoteOut, "QuotePage"))
@permission_required("crm.customers")
def list_quotes(query):
    """Quotes you may see (through their opportunity), newest first."""
    stmt = (select(Quote).join(Negotiation, Negotiation.id == Quote.negotiation_id)
            .where(negotiation_filter(current_user))
            .options(joinedload(Quote.customer).joinedload(Customer.party))
            .order_by(Quote.created_at.desc(), Quote.id.desc()))
    if query["negotiation_id"]:
        stmt = stmt.where(Quote.negotiation_id == query["negotiation_id"])
    if query["customer_id"]:
        stmt = stmt.where(Quote.customer_id == query["customer_id"])
    if query["status"]:
        stmt = stmt.where(Quote.status == query["status"])
    result = _page(stmt, query)
    result["items"] = [_quote_out(q) for q in result["items"]]
    return result


@orders_api_bp.post("/quotes")
@orders_api_bp.input(QuoteIn, arg_name="data")
@orders_api_bp.output(QuoteOut, status_code=201)
@permission_required("crm.quotes")
def create_quote(data):
    """A draft quote for an opportunity you (or your subordinate) hold, priced today. An ad hoc
    discount above your group's limit is saved with the line `pending` a manager's approval."""
    _visible_negotiation(data["negotiation_id"])
    valid_until = _date(data.get("valid_until"), "valid_until", "اعتبار تا") or (
        today_tehran() + dt.timedelta(days=int(settings.get("crm.quote_validity_days"))))
    body = {"valid_until": valid_until, "notes": data.get("notes") or "", "lines": _lines(data["lines"])}
    return _quote_out(_service(lambda: quotes.save(data["negotiation_id"], body, current_user)))


@orders_api_bp.get("/quotes/<int:quote_id>")
@orders_api_bp.output(QuoteOut)
@permission_required("crm.customers")
def get_quote(quote_id):
    """A quote with its lines and every adjustment applied to each (label, kind, amount)."""
    return _quote_out(_visible_quote(quote_id))


@orders_api_bp.put("/quotes/<int:quote_id>")
@orders_api_bp.input(QuoteEditIn, arg_name="data")
@orders_api_bp.output(QuoteOut)
@permission_required("crm.quotes")
def update_quote(quote_id, data):
    """Replace a draft's lines (re-priced today); validity and notes are kept unless sent."""
    quote = _visible_quote(quote_id)
    valid_until = _date(data.get("valid_until"), "valid_until", "اعتبار تا") or quote.valid_until
    body = {"valid_until": valid_until, "notes": quote.notes if data.get("notes") is None else data["notes"],
            "lines": _lines(data["lines"])}
    return _quote_out(_service(lambda: quotes.save(quote.negotiation_id, body, current_user, quote=quote)))


@orders_api_bp.post("/quotes/preview")
@orders_api_bp.input(PreviewIn, arg_name="data")
@orders_api_bp.output(PreviewOut)
@permission_required("crm.quotes")
def preview_quote(data):
    """Price lines for an opportunity's (or a customer's) quote without saving anything: every
    line with its adjustments or the reason it cannot be priced, the totals, availability and
    the customer's credit."""
    office_id = None
    if data.get("negotiation_id"):
        negotiation = _visible_negotiation(data["negotiation_id"])
        customer, office_id = negotiation.customer, negotiation.office_id
    elif data.get("customer_id"):
        if not can_see_customer(current_user, data["customer_id"]):
            abort(404)
        customer = db.session.get(Customer, data["customer_id"])
    else:
        raise ValidationError({"negotiation_id": "فرصت (negotiation_id) یا مشتری (customer_id) را بفرستید."})
    result = quote_preview.preview(customer, _lines(data["lines"]), current_user)
    product_ids = sorted({r.product.id for r in result.rows if r.product is not None})
    availability, answered = quotes.availability(product_ids, office_id)
    lines = []
    for r in result.rows:
        line = r.line
        lines.append({"position": r.index, "product_id": r.product.id if r.product else None,
                      "quantity": r.quantity if r.product else None,
                      "list_price": line.list_price if line else None, "gross": line.gross if line else None,
                      "discount": line.discount if line else None, "net": line.net if line else None,
                      "tax_rate": line.tax_rate if line else None, "tax": line.tax if line else None,
                      "total": line.total if line else None, "adjustments": line.applied if line else [],
                      "needs_approval": bool(line and r.needs_approval), "error": r.error})
    return {"lines": lines, "subtotal": result.subtotal, "discount": result.discount, "tax": result.tax,
            "total": result.total, "errors": result.errors, "limit": result.limit,
            "availability_known": answered, "availability": list(availability.values()),
            "credit": quotes.credit(customer)}


@orders_api_bp.post("/quotes/<int:quote_id>/versions")
@orders_api_bp.output(QuoteOut, status_code=201)
@permission_required("crm.quotes")
def new_quote_version(quote_id):
    """The next version of the latest version of a quote number (re-priced today); earlier open
    versions become `superseded`."""
    _visible_quote(quote_id)
    return _quote_out(_service(lambda: quotes.new_version(quote_id, current_user)))


@orders_api_bp.post("/quotes/<int:quote_id>/send")
@orders_api_bp.output(QuoteOut)
@permission_required("crm.quotes")
def send_quote(quote_id):
    """Mark a draft sent (refused while a discount waits for approval or was rejected)."""
    _visible_quote(quote_id)
    return _quote_out(_service(lambda: quotes.send(quote_id, current_user)))


@orders_api_bp.post("/quotes/<int:quote_id>/decision")
@orders_api_bp.input(DecisionIn, arg_name="data")
@orders_api_bp.output(QuoteOut)
@permission_required("crm.quotes")
def decide_quote(quote_id, data):
    """Record the customer's answer to a sent quote; an expired quote cannot be accepted."""
    _visible_quote(quote_id)
    return _quote_out(_service(lambda: quotes.decide(quote_id, data["accept"], current_user)))


@orders_api_bp.get("/quotes/<int:quote_id>/pdf")
@orders_api_bp.doc(responses={200: "The proforma invoice (پیش‌فاکتور), application/pdf"})
@permission_required("crm.customers")
def quote_pdf(quote_id):
    quote = _visible_quote(quote_id)
    response = Response(proforma.render(quote), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"attachment; filename={proforma.filename(quote)}"
    return response


# --- discount approvals -------------------------------------------------------------------------

@orders_api_bp.get("/discount-approvals")
@orders_api_bp.output(PendingApprovalOut(many=True))
@permission_required("crm.discount_approve")
def pending_discounts():
    """Quote lines whose ad hoc discount waits for your approval (your subordinates' drafts)."""
    rows = db.session.execute(quotes.pending_approvals(current_user))
    return [{"quote": quote, "line": line} for line, quote in rows]


@orders_api_bp.post("/quotes/<int:quote_id>/lines/<int:line_id>/approval")
@orders_api_bp.input(ApprovalIn, arg_name="data")
@orders_api_bp.output(QuoteLineOut)
@permission_required("crm.discount_approve")
def decide_discount(quote_id, line_id, data):
    """Approve or reject a pending ad hoc discount (recorded with who and when in the audit
    trail of `crm_quote_lines`)."""
    _visible_quote(quote_id)
    return _service(lambda: quotes.decide_discount(quote_id, line_id, data["approve"], current_user))


# --- orders -------------------------------------------------------------------------------------

def _order_out(order: Order) -> Order:
    return db.session.get(Order, order.id)


@orders_api_bp.post("/quotes/<int:quote_id>/order")
@orders_api_bp.input(FromQuoteIn, arg_name="data")
@orders_api_bp.output(OrderOut, status_code=201)
@permission_required("crm.quotes")
def order_from_quote(quote_id, data):
    """A draft order or contract from an accepted, still valid quote, at the quoted prices."""
    _visible_quote(quote_id)
    return _order_out(_service(lambda: orders.from_quote(quote_id, current_user, kind=data["kind"],
                                                         allow_partial=data["allow_partial"])))


@orders_api_bp.post("/orders")
@orders_api_bp.input(DirectOrderIn, arg_name="data")
@orders_api_bp.output(OrderOut, status_code=201)
@permission_required("crm.quotes")
def create_direct_order(data):
    """A draft order without a quote, priced today (an ad hoc discount above your limit is
    refused: go through a quote for a manager's approval)."""
    body = {"lines": _lines(data["lines"]), "allow_partial": data["allow_partial"]}
    return _order_out(_service(lambda: orders.direct(data["customer_id"], body, current_user, kind=data["kind"])))


@orders_api_bp.get("/orders")
@orders_api_bp.input(OrderQuery, location="query", arg_name="query")
@orders_api_bp.output(page_schema(OrderListOut, "OrderPage"))
@permission_required("crm.customers")
def list_orders(query):
    """Orders you may see, newest first; `from`/`to` are days of registration (Tehran)."""
    start = _parse_day(query["date_from"], "from", "از تاریخ")
    end = _parse_day(query["date_to"], "to", "تا تاریخ")
    if start and end and end < start:
        raise ValidationError({"to": "«تا تاریخ» نباید پیش از «از تاریخ» باشد."})
    stmt = order_queries.order_list(current_user, status=query["status"], kind=query["kind"], start=start,
                                    end=end, customer_id=query["customer_id"], q=query["q"])
    return _page(stmt.options(joinedload(Order.customer).joinedload(Customer.party)), query)


@orders_api_bp.get("/orders/<int:order_id>")
@orders_api_bp.output(OrderOut)
@permission_required("crm.customers")
def get_order(order_id):
    """An order with its lines and what each subscriber did when it was confirmed or cancelled."""
    return _service(lambda: orders.get_visible(order_id, current_user))


@orders_api_bp.post("/orders/<int:order_id>/confirm")
@orders_api_bp.input(ConfirmIn, arg_name="data")
@orders_api_bp.output(OrderOut)
@permission_required("crm.orders_confirm")
def confirm_order(order_id, data):
    """Confirm: inventory reserves, finance invoices, in one transaction; a subscriber's veto
    (not enough stock, credit limit) is a 422 with its reason and nothing is written. Repeating
    the call (a retry) returns the confirmed order without doing anything twice."""
    _service(lambda: orders.get_visible(order_id, current_user))
    return _order_out(_service(lambda: orders.confirm(order_id, current_user,
                                                      override_credit=data["override_credit"])))


@orders_api_bp.post("/orders/<int:order_id>/cancel")
@orders_api_bp.input(CancelIn, arg_name="data")
@orders_api_bp.output(OrderOut)
@permission_required("crm.orders_confirm")
def cancel_order(order_id, data):
    """Cancel with a reason; a confirmed order's reservation is released and its invoice
    reversed in the same transaction (a subscriber may refuse: 422 with the reason)."""
    _service(lambda: orders.get_visible(order_id, current_user))
    return _order_out(_service(lambda: orders.cancel(order_id, current_user, data["reason"])))



