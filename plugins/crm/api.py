"""The CRM's JSON API under /api/v1/crm: the same services and visibility as the screens."""
from __future__ import annotations

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, Date, DateTime, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core import settings
from core.access import permission_required
from core.api import page_schema, protect
from core.models.parties import Party
from core.db import db
from core.phones import display, mask
from plugins.crm.models import ENTRY_KINDS, LIST_KINDS, STATUSES, Customer, ListItem, Negotiation
from plugins.crm.services import customers as customer_service
from plugins.crm.services import log as log_service
from plugins.crm.services import negotiations as neg_service
from plugins.crm.services.queries import LISTS, customer_list, visible_negotiations
from plugins.crm.services.visibility import can_see_customer

api_bp = protect(APIBlueprint("crm_api", __name__, url_prefix="/crm", tag="CRM"))
# The duplicate check lives at /api/v1/customers/duplicate-check (any integrator's form calls it).
dedupe_bp = protect(APIBlueprint("crm_dedupe_api", __name__, tag="Duplicates"))


# --- schemas ------------------------------------------------------------------------------------

class PhoneOut(Schema):
    kind = String()
    number = String(metadata={"description": "National format; masked when the site masks contacts"})


class NegotiationOut(Schema):
    id = Integer()
    customer_id = Integer()
    owner_id = Integer()
    owner_name = String(attribute="owner.full_name")
    office_id = Integer(allow_none=True)
    status = String(attribute="effective_status", metadata={"description": "expired when the window has passed"})
    window_start = DateTime()
    window_end = DateTime()
    opened_via = String()
    previous_id = Integer(allow_none=True)
    closed_at = DateTime(allow_none=True)
    last_entry_at = DateTime(allow_none=True)
    next_contact = Date(allow_none=True)


class CustomerOut(Schema):
    id = Integer()
    kind = String(attribute="party.kind")
    name = String(attribute="party.name")
    organisation = String(attribute="party.organisation")
    national_id = String(attribute="party.national_id", allow_none=True)
    email = String(attribute="party.email")
    city = String(attribute="party.city")
    notes = String(attribute="party.notes")
    phones = List(Nested(PhoneOut), attribute="phones_out")
    address = String(attribute="address_out")
    category_id = Integer(allow_none=True)
    activity_id = Integer(allow_none=True)
    source_id = Integer(allow_none=True)
    marketer_id = Integer(allow_none=True)
    product_id = Integer(allow_none=True)
    registered_at = DateTime()
    registered_by_id = Integer(allow_none=True)
    current = Nested(NegotiationOut, attribute="current_out", allow_none=True)


class CustomerDetailOut(CustomerOut):
    negotiations = List(Nested(NegotiationOut), attribute="negotiations_out")


class PhoneIn(Schema):
    number = String(required=True)
    kind = String(load_default="phone", validate=OneOf(["phone", "mobile", "fax"]))


class CustomerIn(Schema):
    kind = String(required=True, validate=OneOf(["person", "organisation"]))
    name = String(required=True)
    organisation = String(load_default="")
    national_id = String(load_default="")
    email = String(load_default="")
    city = String(load_default="")
    address = String(load_default="")
    notes = String(load_default="")
    phones = List(Nested(PhoneIn), load_default=list)
    category_id = Integer(load_default=None, allow_none=True)
    activity_id = Integer(load_default=None, allow_none=True)
    source_id = Integer(load_default=None, allow_none=True)
    marketer_id = Integer(load_default=None, allow_none=True)
    product_id = Integer(load_default=None, allow_none=True)
    confirmed_not_duplicate = Boolean(load_default=False)
    reopen_customer_id = Integer(load_default=None, allow_none=True,
                                 metadata={"description": "Open a new sale on a customer whose deal is won"})
    warning_id = Integer(load_default=None, allow_none=True,
                         metadata={"description": "The warning_id of the 409 answer, when confirming"})


class ListQuery(Schema):
    which = String(data_key="list", load_default="all", validate=OneOf(tuple(LISTS)))
    q = String(load_default="")
    status = String(load_default="", validate=OneOf(("",) + STATUSES))
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))
    sort = String(load_default="-registered")


class StatusIn(Schema):
    status = String(required=True, validate=OneOf(["cut", "suspended", "won"]))
    reason = String(load_default="")
    confirmed = Boolean(load_default=False, metadata={"description": "Required (true) to win"})


class EntryIn(Schema):
    date = String(load_default=None, allow_none=True, metadata={"description": "Jalali (1403/05/12) or ISO; default today"})
    kind = String(required=True, validate=OneOf(list(ENTRY_KINDS)))
    summary = String(required=True)
    next_contact = String(load_default=None, allow_none=True)


class EntryOut(Schema):
    id = Integer()
    negotiation_id = Integer()
    customer_id = Integer()
    author_id = Integer(allow_none=True)
    date = Date()
    kind = String()
    summary = String()
    next_contact = Date(allow_none=True)


class CommentIn(Schema):
    body = String(required=True)


class CommentOut(Schema):
    id = Integer()
    entry_id = Integer()
    author_id = Integer(allow_none=True)
    addressee_id = Integer(allow_none=True)
    body = String()
    created_at = DateTime()


class ListItemOut(Schema):
    id = Integer()
    kind = String()
    name = String()
    phone = String()
    active = Boolean()


class MatchOut(Schema):
    customer_id = Integer()
    name = String()
    organisation = String()
    city = String()
    phones = List(String(), metadata={"description": "Masked: 0912***4567; empty for another rep's won customer"})
    owner = String()
    office = String()
    status = String(allow_none=True)
    status_label = String()
    in_pool = Boolean(metadata={"description": "Claim it instead of registering"})
    won_by_other = Boolean()
    score = Integer()
    reasons = List(String())
    fields = List(String())


class DuplicateCheckOut(Schema):
    matches = List(Nested(MatchOut))


class CandidateIn(Schema):
    kind = String(load_default="person")
    name = String(load_default="")
    organisation = String(load_default="")
    national_id = String(load_default="")
    city = String(load_default="")
    address = String(load_default="")
    phones = List(Nested(PhoneIn), load_default=list)


# --- helpers ------------------------------------------------------------------------------------

def _shape(customer: Customer, current: Negotiation | None, negotiations=()) -> Customer:
    """Attach the API view of phones and negotiations (masked when the site masks contacts)."""
    masked = settings.get("core.mask_contacts")
    customer.phones_out = [{"kind": p.kind, "number": mask(p.e164) if masked else display(p.e164)}
                           for p in customer.party.phones]
    address = customer.party.addresses[0].address if customer.party.addresses else ""
    customer.address_out = "***" if masked and address else address
    customer.current_out = current
    customer.negotiations_out = list(negotiations)
    return customer


def _visible_customer(customer_id: int) -> Customer:
    if not can_see_customer(current_user, customer_id):
        abort(404)
    return db.session.get(Customer, customer_id)


def _dates(data: dict, *keys) -> dict:
    import datetime as dt
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[:2] in ("19", "20"):
            try:
                data[key] = dt.date.fromisoformat(value)
            except ValueError:
                pass
    return data


def _service(call):
    """Map the services' refusals onto the API's error shape."""
    try:
        return call()
    except neg_service.NotFound:
        abort(404)
    except customer_service.DuplicateWarning as warning:
        abort(409, "مشتری(های) مشابه پیدا شد؛ اگر تکراری نیست با confirmed_not_duplicate=true و warning_id دوباره بفرستید.",
              detail={"matches": MatchOut(many=True).dump(warning.shown), "warning_id": warning.warning_id})


# --- endpoints ----------------------------------------------------------------------------------

@api_bp.get("/customers")
@api_bp.input(ListQuery, location="query", arg_name="query")
@api_bp.output(page_schema(CustomerOut, "CustomerPage"))
@permission_required("crm.customers")
def list_customers(query):
    """My customers, my subordinates', all, or the free pool — as in the screens."""
    if query["which"] == "pool" and not current_user.is_superuser:
        from core.access import can
        if not can(current_user, "crm.free_pool"):
            abort(403)
    stmt = customer_list(current_user, query["which"], q=query["q"], status=query["status"], sort=query["sort"])
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = query["page"], query["per_page"]
    rows = db.session.execute(stmt.options(selectinload(Customer.party).selectinload(Party.phones),
                                           selectinload(Customer.party).selectinload(Party.addresses))
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [_shape(row.Customer, row.Negotiation) for row in rows], "page": page,
            "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}


@api_bp.get("/customers/<int:customer_id>")
@api_bp.output(CustomerDetailOut)
@permission_required("crm.customers")
def get_customer(customer_id):
    customer = _visible_customer(customer_id)
    negotiations = list(db.session.scalars(visible_negotiations(current_user, customer.id)))
    current = next((n for n in negotiations if n.id == customer.current_negotiation_id), None)
    return _shape(customer, current, negotiations)


@api_bp.post("/customers")
@api_bp.input(CustomerIn, arg_name="data")
@api_bp.output(NegotiationOut, status_code=201)
@api_bp.doc(responses={409: "Likely duplicates; `detail.matches` lists them"})
@permission_required("crm.register")
def register_customer(data):
    """Register a customer and open your negotiation (Saba rules)."""
    confirmed = data.pop("confirmed_not_duplicate")
    reopen = data.pop("reopen_customer_id")
    warning_id = data.pop("warning_id")
    if data.get("address"):
        data["addresses"] = [{"city": data.get("city", ""), "address": data.pop("address")}]
    return _service(lambda: customer_service.register(
        data, current_user, confirmed_not_duplicate=confirmed, reopen_customer_id=reopen, warning_id=warning_id))


@dedupe_bp.post("/customers/duplicate-check")
@dedupe_bp.input(CandidateIn, arg_name="data")
@dedupe_bp.output(DuplicateCheckOut)
@permission_required("crm.register")
def duplicate_check(data):
    """Existing customers (across all offices) that are probably this candidate, best first,
    with why they matched; contacts masked as on the registration form. Nothing is stored."""
    from plugins.crm.services.dup_audit import describe
    from plugins.crm.services.duplicates import find_duplicates
    if data.get("address"):
        data["addresses"] = [{"city": data.get("city", ""), "address": data["address"]}]
    area = current_user.office.area_code if current_user.office else None
    return {"matches": describe(find_duplicates(data, office_area_code=area), current_user)}


@api_bp.post("/customers/<int:customer_id>/claim")
@api_bp.output(NegotiationOut, status_code=201)
@permission_required("crm.free_pool")
def claim_customer(customer_id):
    """«انتساب این مشتری به من» for a customer in the free pool."""
    return _service(lambda: neg_service.claim(customer_id, current_user))


@api_bp.post("/negotiations/<int:negotiation_id>/status")
@api_bp.input(StatusIn, arg_name="data")
@api_bp.output(NegotiationOut)
@permission_required("crm.status")
def change_status(negotiation_id, data):
    """Cut, suspend or win (`confirmed: true`) an open negotiation."""
    return _service(lambda: neg_service.change_status(
        negotiation_id, data["status"], current_user, data["reason"], confirmed=data["confirmed"]))


@api_bp.post("/negotiations/<int:negotiation_id>/entries")
@api_bp.input(EntryIn, arg_name="data")
@api_bp.output(EntryOut, status_code=201)
@permission_required("crm.log")
def add_entry(negotiation_id, data):
    """Log a call, meeting, message or visit, with the next contact date."""
    return _service(lambda: log_service.add_entry(negotiation_id, _dates(data, "date", "next_contact"), current_user))


@api_bp.post("/entries/<int:entry_id>/comments")
@api_bp.input(CommentIn, arg_name="data")
@api_bp.output(CommentOut, status_code=201)
@permission_required("crm.comment")
def add_comment(entry_id, data):
    """A manager's or inspector's comment on a log entry."""
    return _service(lambda: log_service.add_comment(entry_id, data["body"], current_user))


@api_bp.get("/lists/<kind>")
@api_bp.output(ListItemOut(many=True))
@permission_required("crm.customers")
def list_items(kind):
    """Master lists: category, activity, source, marketer."""
    if kind not in LIST_KINDS:
        abort(404)
    return db.session.scalars(select(ListItem).where(ListItem.kind == kind).order_by(ListItem.name)).all()

