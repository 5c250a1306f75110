"""Finance in the JSON API under /api/v1/finance: invoices (filters), an invoice with its lines
and payments, receipts (create with allocations, allocate what is left, cheque status), cheques
due, customer accounts (balance, statement, ageing per party id) and credit limits.

The same services and Persian refusals as the screens: bad input or a refusal (allocating more
than an invoice's open amount, bouncing a cheque twice, a closed period) is a 422 whose
`message` says why, and nothing is written; an unknown id is a 404. Dates are accepted as
Jalali (1403/05/12) or ISO (2024-08-02) and returned as ISO; money is integer Rials; `party_id`
is the core's `parties.id` (what the CRM's customer carries as `party_id`)."""
from __future__ import annotations

import datetime as dt
import re

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, Date, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from core import settings
from core.access import permission_required
from core.api import page_schema, protect
from core.db import db
from core.jalali import JalaliDateError, parse_date, today_tehran
from core.models.parties import Party
from core.validation import ValidationError
from plugins.finance.models import CHEQUE_STATUSES, METHODS, Allocation, CategoryLimit, CreditLimit, Invoice, Receipt
from plugins.finance.services import accounts, limits, queries
from plugins.finance.services import receipts as receipt_service
from plugins.finance.services.queries import (
    ACCOUNT_FILTERS,
    CHEQUE_FILTERS,
    INVOICE_FILTERS,
    INVOICE_SORT,
    RECEIPT_SORT,
)
from plugins.finance.services.scope import invoice_condition, may_see_party

finance_api = protect(APIBlueprint("finance_api", __name__, url_prefix="/finance", tag="Finance"))

DATE_HELP = {"description": "Jalali (1403/05/12) or ISO (2024-08-02)"}
_ISO = re.compile(r"^\s*(19|20)\d\d-\d\d?-\d\d?\s*$")


# --- schemas ------------------------------------------------------------------------------------

class InvoiceLineOut(Schema):
    position = Integer()
    product_id = Integer()
    product_name = String(attribute="product.name")
    product_code = String(attribute="product.code")
    quantity = Integer()
    unit_price = Integer(metadata={"description": "net unit price, Rials"})
    net = Integer()
    tax = Integer()
    total = Integer()


class PaymentOut(Schema):
    receipt_id = Integer()
    invoice_id = Integer()
    amount = Integer()


class InvoiceOut(Schema):
    id = Integer()
    kind = String(metadata={"description": "invoice | credit_note"})
    number = Integer(metadata={"description": "per kind and fiscal (Jalali) year, without gaps"})
    fiscal_year = Integer()
    status = String(metadata={"description": "open | partly_paid | paid | credited | credit_note"})
    order_ref = String(metadata={"description": "e.g. crm.order:42"})
    order_number = Integer()
    party_id = Integer()
    party_name = String(attribute="party.name")
    issued_at = DateTime()
    due_date = Date()
    subtotal = Integer()
    discount = Integer()
    tax = Integer()
    total = Integer()
    paid = Integer(metadata={"description": "allocated receipts (invoices only)"})
    open_amount = Integer(metadata={"description": "what is still to be paid (0 for credit notes and credited invoices)"})
    credited = Boolean(metadata={"description": "an invoice reversed by a credit note"})
    credit_of_id = Integer(allow_none=True, metadata={"description": "credit notes: the invoice reversed"})


class InvoiceDetailOut(InvoiceOut):
    lines = List(Nested(InvoiceLineOut))
    payments = List(Nested(PaymentOut), metadata={"description": "which receipts paid it, and how much"})
    credit_note_id = Integer(allow_none=True, metadata={"description": "credited invoices: the credit note"})


class InvoiceQuery(Schema):
    status = String(load_default="", validate=OneOf(("",) + tuple(INVOICE_FILTERS)),
                    metadata={"description": " | ".join(INVOICE_FILTERS)})
    date_from = String(data_key="from", load_default=None, allow_none=True, metadata=DATE_HELP)
    date_to = String(data_key="to", load_default=None, allow_none=True, metadata=DATE_HELP)
    party_id = Integer(load_default=None, allow_none=True)
    q = String(load_default="", metadata={"description": "customer name (normalised) or national ID"})
    number = Integer(load_default=None, allow_none=True)
    sort = String(load_default="-issued", validate=OneOf([p + k for k in INVOICE_SORT for p in ("", "-")]))
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))


class ReceiptOut(Schema):
    id = Integer()
    number = Integer()
    fiscal_year = Integer()
    party_id = Integer()
    party_name = String(attribute="party.name")
    method = String(metadata={"description": " | ".join(METHODS)})
    amount = Integer()
    received_on = Date()
    reference = String()
    cheque_number = String()
    cheque_bank = String()
    cheque_due = Date(allow_none=True)
    cheque_status = String(allow_none=True, metadata={"description": " | ".join(CHEQUE_STATUSES) + " (cheques only)"})
    notes = String()
    allocated = Integer()
    unallocated = Integer(metadata={"description": "left as credit on the customer's account"})
    allocations = List(Nested(PaymentOut))
    created_at = DateTime()
    created_by_id = Integer(allow_none=True)


class AllocationIn(Schema):
    invoice_id = Integer(required=True)
    amount = Integer(required=True, validate=Range(min=1))


class ReceiptIn(Schema):
    party_id = Integer(required=True)
    method = String(required=True, validate=OneOf(list(METHODS)), metadata={"description": " | ".join(METHODS)})
    amount = Integer(required=True, validate=Range(min=1), metadata={"description": "Rials"})
    received_on = String(load_default=None, allow_none=True, metadata={**DATE_HELP, "description": DATE_HELP[
        "description"] + "; default today (Tehran)"})
    reference = String(load_default="", validate=Length(max=120))
    notes = String(load_default="", validate=Length(max=400))
    cheque_number = String(load_default="", metadata={"description": "cheques: required"})
    cheque_bank = String(load_default="", metadata={"description": "cheques: required"})
    cheque_due = String(load_default=None, allow_none=True, metadata={**DATE_HELP, "description": "cheques: required; "
                                                                      + DATE_HELP["description"]})
    allocations = List(Nested(AllocationIn), load_default=list)
    auto_allocate = Boolean(load_default=False, metadata={
        "description": "allocate to the customer's open invoices, oldest first (instead of `allocations`)"})


class AllocateIn(Schema):
    allocations = List(Nested(AllocationIn), load_default=list)
    auto_allocate = Boolean(load_default=False, metadata={"description": "allocate what is left, oldest invoice first"})


class ReceiptQuery(Schema):
    method = String(load_default="", validate=OneOf(("",) + tuple(METHODS)))
    date_from = String(data_key="from", load_default=None, allow_none=True, metadata=DATE_HELP)
    date_to = String(data_key="to", load_default=None, allow_none=True, metadata=DATE_HELP)
    party_id = Integer(load_default=None, allow_none=True)
    q = String(load_default="")
    unallocated = Boolean(load_default=False, metadata={"description": "only receipts with money not yet allocated"})
    sort = String(load_default="-received", validate=OneOf([p + k for k in RECEIPT_SORT for p in ("", "-")]))
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))


class ChequeQuery(Schema):
    status = String(load_default="pending", validate=OneOf(list(CHEQUE_FILTERS)),
                    metadata={"description": "pending (received or deposited) | " + " | ".join(CHEQUE_STATUSES) + " | all"})
    date_from = String(data_key="from", load_default=None, allow_none=True, metadata={"description": "due from; "
                                                                                      + DATE_HELP["description"]})
    date_to = String(data_key="to", load_default=None, allow_none=True, metadata={"description": "due until"})
    q = String(load_default="")
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))


class ChequeStatusIn(Schema):
    status = String(required=True, validate=OneOf(["deposited", "cleared", "bounced"]),
                    metadata={"description": "received → deposited → cleared; received or deposited → bounced "
                                             "(reverses the receipt and its allocations)"})


class AgeingOut(Schema):
    d0_30 = Integer(data_key="0-30")
    d31_60 = Integer(data_key="31-60")
    d61_90 = Integer(data_key="61-90")
    d90 = Integer(data_key="90+")


class AccountOut(Schema):
    party_id = Integer()
    name = String()
    balance = Integer(metadata={"description": "positive: the customer owes; negative: credit held"})
    overdue = Integer()
    limit = Integer(allow_none=True, metadata={"description": "the credit limit that applies; null: none"})
    own_limit = Integer(allow_none=True, metadata={"description": "the customer's own limit, if set"})
    ageing = Nested(AgeingOut, metadata={"description": "open invoice amounts by days past due"})


class AccountQuery(Schema):
    category_id = Integer(load_default=None, allow_none=True,
                          metadata={"description": "the customer's CRM category, for the limit that applies"})


class AccountsQuery(Schema):
    which = String(load_default="open", validate=OneOf(list(ACCOUNT_FILTERS)),
                   metadata={"description": "open (balance not zero) | debtors | creditors | overdue | all"})
    q = String(load_default="")
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))


class AccountRowOut(Schema):
    party_id = Integer()
    name = String()
    balance = Integer()
    overdue = Integer()
    ageing = Nested(AgeingOut)


class PostingOut(Schema):
    id = Integer()
    at = DateTime()
    kind = String(metadata={"description": "invoice | credit_note | receipt | bounce"})
    description = String()
    debit = Integer()
    credit = Integer()
    balance = Integer(metadata={"description": "running balance after this posting"})
    invoice_id = Integer(allow_none=True)
    receipt_id = Integer(allow_none=True)


class StatementQuery(Schema):
    date_from = String(data_key="from", load_default=None, allow_none=True,
                       metadata={"description": "default: 1 Farvardin of this year; " + DATE_HELP["description"]})
    date_to = String(data_key="to", load_default=None, allow_none=True, metadata={"description": "default: today"})


class StatementOut(Schema):
    party_id = Integer()
    name = String()
    start = Date()
    end = Date()
    opening = Integer()
    debits = Integer()
    credits = Integer()
    closing = Integer()
    postings = List(Nested(PostingOut))


class CustomerLimitOut(Schema):
    party_id = Integer()
    name = String()
    limit = Integer()


class CategoryLimitOut(Schema):
    category_id = Integer()
    name = String()
    limit = Integer()


class LimitsOut(Schema):
    default = Integer(allow_none=True, metadata={"description": "finance.default_credit_limit; null: none"})
    customers = List(Nested(CustomerLimitOut))
    categories = List(Nested(CategoryLimitOut))


class LimitIn(Schema):
    limit = Integer(required=True, metadata={"description": "Rials; 0 means no credit"})


class CategoryLimitIn(Schema):
    limit = Integer(required=True, metadata={"description": "Rials; 0 means no credit"})
    name = String(load_default="", validate=Length(max=120), metadata={"description": "the category's name, for the screens"})


# --- helpers ------------------------------------------------------------------------------------

def _day(value, field: str, label: str) -> dt.date | None:
    """ISO or Jalali; an ISO date that is no real day is refused, never read as Jalali."""
    if value in (None, ""):
        return None
    text = str(value)
    try:
        if _ISO.match(text):
            return dt.date.fromisoformat("-".join(f"{int(p):02d}" for p in text.strip().split("-")))
        return parse_date(text)
    except (ValueError, JalaliDateError) as exc:
        message = str(exc) if isinstance(exc, JalaliDateError) else "تاریخ معتبری نیست."
        raise ValidationError({field: f"«{label}»: {message}"}) from None


def _period(query: dict) -> tuple[dt.date | None, dt.date | None]:
    start = _day(query.get("date_from"), "from", "از تاریخ")
    end = _day(query.get("date_to"), "to", "تا تاریخ")
    if start and end and end < start:
        raise ValidationError({"to": "«تا تاریخ» نباید پیش از «از تاریخ» باشد."})
    return start, end


def _page(stmt, query: dict) -> dict:
    from sqlalchemy import func
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = query["page"], query["per_page"]
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}


def _sorted(stmt, columns: dict, key: str, tiebreak):
    column = columns[key.lstrip("-")]
    return stmt.order_by(column.desc() if key.startswith("-") else column.asc(), tiebreak.desc())


def _party(party_id: int) -> Party:
    """The customer, if the caller may read their books (else the same 404 as a missing one)."""
    party = db.session.get(Party, party_id)
    if party is None or not may_see_party(current_user, party_id):
        abort(404)
    return party


def _invoice_detail(invoice: Invoice) -> Invoice:
    invoice.payments = db.session.scalars(select(Allocation).where(Allocation.invoice_id == invoice.id)
                                          .order_by(Allocation.id)).all()
    invoice.credit_note_id = db.session.scalar(select(Invoice.id).where(Invoice.credit_of_id == invoice.id)) \
        if invoice.credited else None
    return invoice


def _allocations(data: dict) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for row in data.get("allocations") or []:
        wanted[row["invoice_id"]] = wanted.get(row["invoice_id"], 0) + row["amount"]
    return wanted


def _ageing(values: dict) -> dict:
    return {"d0_30": values.get("0-30", 0), "d31_60": values.get("31-60", 0), "d61_90": values.get("61-90", 0),
            "d90": values.get("90+", 0)}


# --- invoices -----------------------------------------------------------------------------------

@finance_api.get("/invoices")
@finance_api.input(InvoiceQuery, location="query", arg_name="query")
@finance_api.output(page_schema(InvoiceOut, "FinanceInvoicePage"))
@permission_required("finance.view")
def list_invoices(query):
    """Invoices and credit notes, newest first by default; filter by status, Jalali period of
    issue, customer (party id, or a name search) and number."""
    start, end = _period(query)
    stmt = queries.invoices(current_user, status=query["status"], start=start, end=end, q=query["q"],
                            party_id=query["party_id"], number=query["number"]).options(contains_eager(Invoice.party))
    return _page(_sorted(stmt, INVOICE_SORT, query["sort"], Invoice.id), query)


@finance_api.get("/invoices/<int:invoice_id>")
@finance_api.output(InvoiceDetailOut)
@permission_required("finance.view")
def get_invoice(invoice_id):
    """An invoice (or credit note) with its lines, the receipts that paid it, its credit note."""
    invoice = db.session.scalar(select(Invoice).where(Invoice.id == invoice_id, invoice_condition(current_user))
                                .options(selectinload(Invoice.lines)))
    if invoice is None:
        abort(404)
    return _invoice_detail(invoice)


# --- receipts -----------------------------------------------------------------------------------

@finance_api.get("/receipts")
@finance_api.input(ReceiptQuery, location="query", arg_name="query")
@finance_api.output(page_schema(ReceiptOut, "FinanceReceiptPage"))
@permission_required("finance.view")
def list_receipts(query):
    start, end = _period(query)
    stmt = queries.receipts(current_user, method=query["method"], start=start, end=end, q=query["q"], party_id=query["party_id"],
                            unallocated=query["unallocated"]).options(contains_eager(Receipt.party),
                                                                      selectinload(Receipt.allocations))
    return _page(_sorted(stmt, RECEIPT_SORT, query["sort"], Receipt.id), query)


@finance_api.get("/receipts/<int:receipt_id>")
@finance_api.output(ReceiptOut)
@permission_required("finance.view")
def get_receipt(receipt_id):
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None or not may_see_party(current_user, receipt.party_id):
        abort(404)
    return receipt


@finance_api.post("/receipts")
@finance_api.input(ReceiptIn, arg_name="data")
@finance_api.output(ReceiptOut, status_code=201)
@permission_required("finance.receipts")
def create_receipt(data):
    """Record money received (cash, card, transfer or cheque) and allocate it to the customer's
    open invoices in the same transaction; what is not allocated stays as credit."""
    body = dict(data)
    body["received_on"] = _day(data.get("received_on"), "received_on", "تاریخ دریافت")
    body["cheque_due"] = _day(data.get("cheque_due"), "cheque_due", "تاریخ سررسید چک")
    if data["auto_allocate"]:
        if data["allocations"]:
            raise ValidationError({"allocations": "یا «allocations» را بفرستید یا «auto_allocate» را، نه هر دو."})
        body["allocations"] = receipt_service.suggest_allocation(data["party_id"], data["amount"]) \
            if may_see_party(current_user, data["party_id"]) else {}
    else:
        body["allocations"] = _allocations(data)
    body.pop("auto_allocate", None)
    return receipt_service.create(body, current_user)


@finance_api.post("/receipts/<int:receipt_id>/allocate")
@finance_api.input(AllocateIn, arg_name="data")
@finance_api.output(ReceiptOut)
@permission_required("finance.receipts")
def allocate_receipt(receipt_id, data):
    """Allocate what is left of a receipt to open invoices of the same customer."""
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None or not may_see_party(current_user, receipt.party_id):
        abort(404)
    if data["auto_allocate"]:
        if data["allocations"]:
            raise ValidationError({"allocations": "یا «allocations» را بفرستید یا «auto_allocate» را، نه هر دو."})
        wanted = receipt_service.suggest_allocation(receipt.party_id, receipt.unallocated)
    else:
        wanted = _allocations(data)
    return receipt_service.allocate(receipt_id, wanted, current_user)


@finance_api.post("/receipts/<int:receipt_id>/cheque-status")
@finance_api.input(ChequeStatusIn, arg_name="data")
@finance_api.output(ReceiptOut)
@permission_required("finance.receipts")
def set_cheque_status(receipt_id, data):
    """Deposit, clear or bounce a cheque; a bounce reverses the receipt and its allocations.
    A move its state does not allow (bouncing twice, clearing a bounced cheque) is a 422."""
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None or receipt.method != "cheque" or not may_see_party(current_user, receipt.party_id):
        abort(404)
    return receipt_service.cheque_status(receipt_id, data["status"], current_user)


@finance_api.get("/cheques")
@finance_api.input(ChequeQuery, location="query", arg_name="query")
@finance_api.output(page_schema(ReceiptOut, "FinanceChequePage"))
@permission_required("finance.view")
def list_cheques(query):
    """Cheques by due date, soonest first (pending ones by default)."""
    start, end = _period(query)
    stmt = queries.cheques(current_user, query["status"], start, end, query["q"]).options(contains_eager(Receipt.party))
    return _page(stmt, query)


# --- customer accounts --------------------------------------------------------------------------

@finance_api.get("/accounts")
@finance_api.input(AccountsQuery, location="query", arg_name="query")
@finance_api.output(page_schema(AccountRowOut, "FinanceAccountPage"))
@permission_required("finance.view")
def list_accounts(query):
    """Customers with postings and their balance, overdue amount and ageing; largest debt first."""
    stmt, columns = queries.accounts(current_user, query["which"], query["q"])
    stmt = stmt.order_by(columns["balance"].desc(), Party.id)
    from sqlalchemy import func
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(query["per_page"]).offset((query["page"] - 1) * query["per_page"])).all()
    ageing = accounts.ageing_by_party([r[0].id for r in rows])
    items = [{"party_id": p.id, "name": p.name, "balance": int(b), "overdue": int(o),
              "ageing": _ageing(ageing.get(p.id, {}))} for p, b, o, _last in rows]
    return {"items": items, "page": query["page"], "per_page": query["per_page"], "total": total,
            "pages": max(1, -(-total // query["per_page"]))}


@finance_api.get("/accounts/<int:party_id>")
@finance_api.input(AccountQuery, location="query", arg_name="query")
@finance_api.output(AccountOut)
@permission_required("finance.view")
def get_account(party_id, query):
    """A customer's balance, overdue amount, the credit limit that applies, and ageing."""
    party = _party(party_id)
    own = db.session.get(CreditLimit, party_id)
    return {"party_id": party.id, "name": party.name, "balance": accounts.balance(party_id),
            "overdue": accounts.overdue(party_id), "limit": accounts.limit_for(party_id, query["category_id"]),
            "own_limit": own.limit if own else None, "ageing": _ageing(accounts.ageing(party_id))}


@finance_api.get("/accounts/<int:party_id>/ageing")
@finance_api.output(AgeingOut)
@permission_required("finance.view")
def get_ageing(party_id):
    """Open invoice amounts by days past due: 0–30 (not yet due included), 31–60, 61–90, 90+."""
    _party(party_id)
    return _ageing(accounts.ageing(party_id))


@finance_api.get("/accounts/<int:party_id>/statement")
@finance_api.input(StatementQuery, location="query", arg_name="query")
@finance_api.output(StatementOut)
@permission_required("finance.view")
def get_statement(party_id, query):
    """Statement of account for a Jalali period (Tehran days, both included): opening balance,
    postings with the running balance, closing balance."""
    party = _party(party_id)
    start, end = _period(query)
    today = today_tehran()
    start = start or accounts.year_start(today)
    end = end or today
    if end < start:
        raise ValidationError({"to": "«تا تاریخ» نباید پیش از «از تاریخ» باشد."})
    s = accounts.statement(party_id, start, end)
    postings = [{"id": e.id, "at": e.at, "kind": e.kind, "description": e.description, "debit": e.debit,
                 "credit": e.credit, "balance": running, "invoice_id": e.invoice_id, "receipt_id": e.receipt_id}
                for e, running in s["rows"]]
    return {"party_id": party.id, "name": party.name, "start": start, "end": end, "opening": s["opening"],
            "debits": s["debits"], "credits": s["credits"], "closing": s["closing"], "postings": postings}


# --- credit limits ------------------------------------------------------------------------------

@finance_api.get("/credit-limits")
@finance_api.output(LimitsOut)
@permission_required("finance.credit", "finance.view")
def list_limits():
    """Customers' own limits, category limits (the CRM's category ids) and the default."""
    default = int(settings.get("finance.default_credit_limit"))
    return {"default": default or None,
            "customers": [{"party_id": p.id, "name": p.name, "limit": row.limit}
                          for row, p in db.session.execute(limits.customer_limits(current_user))],
            "categories": db.session.scalars(limits.category_limits()).all()}


@finance_api.put("/credit-limits/customers/<int:party_id>")
@finance_api.input(LimitIn, arg_name="data")
@finance_api.output(CustomerLimitOut)
@permission_required("finance.credit")
def put_customer_limit(party_id, data):
    party = _party(party_id)
    row = limits.set_customer_limit({"party_id": party_id, "limit": data["limit"]}, current_user)
    return {"party_id": party.id, "name": party.name, "limit": row.limit}


@finance_api.delete("/credit-limits/customers/<int:party_id>")
@finance_api.output({}, status_code=204)
@permission_required("finance.credit")
def delete_customer_limit(party_id):
    if db.session.get(CreditLimit, party_id) is None:
        abort(404)
    limits.remove_customer_limit(party_id, current_user)
    return ""


@finance_api.put("/credit-limits/categories/<int:category_id>")
@finance_api.input(CategoryLimitIn, arg_name="data")
@finance_api.output(CategoryLimitOut)
@permission_required("finance.credit")
def put_category_limit(category_id, data):
    return limits.set_category_limit({"category_id": category_id, **data}, current_user)


@finance_api.delete("/credit-limits/categories/<int:category_id>")
@finance_api.output({}, status_code=204)
@permission_required("finance.credit")
def delete_category_limit(category_id):
    if db.session.get(CategoryLimit, category_id) is None:
        abort(404)
    limits.remove_category_limit(category_id, current_user)
    return ""
