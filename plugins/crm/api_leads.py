"""Leads in the JSON API under /api/v1/crm/leads: the same services, visibility and refusals as
the lead screens (`views/leads.py`).

Errors come in the one shape of `core.errors`: 422 with `fields` for bad input and for the
services' refusals (capacity, already taken, not open), 404 for a lead or customer the token's
user may not see (the same answer as for one that does not exist), 403 without the permission,
409 when duplicates were found and the caller has not confirmed (`detail` lists them, masked).
"""
from __future__ import annotations

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, Raw, String
from apiflask.validators import OneOf, Range
from flask_login import current_user
from sqlalchemy import func, select

from core import settings
from core.access import permission_required
from core.api import page_schema, protect
from core.db import db
from core.phones import display, mask
from core.validation import ValidationError
from plugins.crm.api import MatchOut, NegotiationOut
from plugins.crm.models import LEAD_STATUSES, Lead
from plugins.crm.services import customers as customer_service
from plugins.crm.services import leads as lead_service
from plugins.crm.services.dup_audit import describe
from plugins.crm.services.negotiations import NotFound

leads_api_bp = protect(APIBlueprint("crm_leads_api", __name__, url_prefix="/crm/leads", tag="Leads"))


# --- schemas ------------------------------------------------------------------------------------

class LeadOut(Schema):
    id = Integer()
    status = String(metadata={"description": "new | assigned | qualified | disqualified"})
    channel = String()
    need_level = String(metadata={"description": "low | medium | high"})
    score = Integer()
    kind = String()
    name = String()
    organisation = String()
    mobile = String(allow_none=True, metadata={"description": "National format; masked when the site masks contacts"})
    phone = String(allow_none=True)
    email = String()
    city = String()
    notes = String()
    category_id = Integer(allow_none=True)
    owner_id = Integer(allow_none=True)
    owner_name = String(allow_none=True)
    office_id = Integer(allow_none=True)
    created_at = DateTime()
    created_by_id = Integer(allow_none=True)
    customer_id = Integer(allow_none=True)
    negotiation_id = Integer(allow_none=True)
    qualified_at = DateTime(allow_none=True)
    disqualify_reason_id = Integer(allow_none=True)
    disqualify_note = String()


class LeadMatchOut(Schema):
    id = Integer()
    name = String()
    city = String()
    phones = List(String(), metadata={"description": "Masked: 0912***4567"})
    owner = String()
    office = String()
    status = String()


class DuplicatesOut(Schema):
    customers = List(Nested(MatchOut))
    leads = List(Nested(LeadMatchOut))


class LeadDetailOut(LeadOut):
    duplicates = Nested(DuplicatesOut, metadata={"description": "Only while the lead is open"})


class LeadQuery(Schema):
    which = String(data_key="list", load_default="all", validate=OneOf(tuple(lead_service.LISTS)),
                   metadata={"description": "queue (unassigned, my office) | my | all (visible to me)"})
    q = String(load_default="", metadata={"description": "Name or organisation (normalised), phone digits, email"})
    status = String(load_default="", validate=OneOf(("",) + tuple(LEAD_STATUSES)))
    channel = String(load_default="")
    need_level = String(load_default="")
    owner_id = Integer(load_default=None, allow_none=True)
    category_id = Integer(load_default=None, allow_none=True)
    created_from = String(load_default="", metadata={"description": "Jalali (1403/05/12) or ISO date, Tehran day"})
    created_to = String(load_default="", metadata={"description": "Inclusive"})
    sort = String(load_default="-created", metadata={"description": "created, name, score, need, status, channel, city; '-' for descending"})
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))


class LeadIn(Schema):
    kind = String(load_default="person")
    name = String(required=True)
    organisation = String(load_default="")
    mobile = String(load_default="")
    phone = String(load_default="")
    email = String(load_default="")
    city = String(load_default="")
    notes = String(load_default="")
    channel = String(load_default="api")
    need_level = String(load_default="medium")
    score = Integer(load_default=0)
    category_id = Integer(load_default=None, allow_none=True)
    owner_id = Integer(load_default=None, allow_none=True,
                       metadata={"description": "Assign at once: yourself, a subordinate, or anyone with crm.leads_assign"})
    confirmed_not_duplicate = Boolean(load_default=False, metadata={"description": "Store it although duplicates were found (409)"})


class AssignIn(Schema):
    user_id = Integer(required=True)


class QualifyIn(Schema):
    customer_id = Integer(load_default=None, allow_none=True, metadata={
        "description": "Qualify onto an existing customer: a free-pool customer (claimed) or one whose deal was won "
                       "(a new sale); it must be visible to you or one of the lead's duplicate matches"})
    confirmed_not_duplicate = Boolean(load_default=False, metadata={"description": "Register a new customer although duplicates exist"})
    value = Raw(load_default=None, allow_none=True, metadata={"description": "Probable value in Rials (integer; Persian digits accepted)"})
    forecast_close = String(load_default=None, allow_none=True, metadata={"description": "Jalali (1403/05/12) or ISO"})
    need_details = String(load_default="")
    priority = String(load_default="normal", metadata={"description": "low | normal | high"})
    probability = Integer(load_default=None, allow_none=True)


class DisqualifyIn(Schema):
    reason_id = Integer(required=True, metadata={"description": "An item of the `disqualify` master list (/api/v1/crm/lists/disqualify)"})
    note = String(load_default="")


# --- helpers ------------------------------------------------------------------------------------

def _out(lead: Lead, with_duplicates: bool = False) -> dict:
    masked = settings.get("core.mask_contacts")
    show = (lambda e164: (mask(e164) if masked else display(e164)) if e164 else None)  # noqa: E731
    data = {k: getattr(lead, k) for k in LeadOut().fields if hasattr(lead, k)}
    data.update(mobile=show(lead.mobile_e164), phone=show(lead.phone_e164),
                owner_name=lead.owner.full_name if lead.owner else None)
    if with_duplicates:
        found = lead_service.duplicates_of(lead) if lead.status in lead_service.OPEN else {"customers": [], "leads": []}
        data["duplicates"] = {"customers": describe(found["customers"], current_user),
                              "leads": [_lead_match(other) for other in found["leads"]]}
    return data


def _lead_match(lead: Lead) -> dict:
    return {"id": lead.id, "name": lead.name, "city": lead.city,
            "phones": [mask(p) for p in (lead.mobile_e164, lead.phone_e164) if p],
            "owner": lead.owner.full_name if lead.owner else "", "office": lead.office.name if lead.office else "",
            "status": lead.status}


def _visible(lead_id: int) -> Lead:
    try:
        return lead_service.get_visible(lead_id, current_user)
    except NotFound:
        abort(404)


def _date(value: str, field: str):
    if not value:
        return None
    try:
        return lead_service.parse_date_any(value)
    except (ValueError, OverflowError):
        raise ValidationError({field: "تاریخ را به شکل ۱۴۰۳/۰۵/۱۲ یا 2024-08-02 بنویسید."}) from None


def _service(call):
    try:
        return call()
    except NotFound:
        abort(404)
    except customer_service.DuplicateWarning as warning:
        abort(409, "مشتری(های) مشابه پیدا شد؛ با customer_id یکی از آن‌ها را انتخاب کنید یا اگر تکراری نیست "
                   "با confirmed_not_duplicate=true دوباره بفرستید.",
              detail={"matches": MatchOut(many=True).dump(warning.shown)})


# --- endpoints ----------------------------------------------------------------------------------

@leads_api_bp.get("")
@leads_api_bp.input(LeadQuery, location="query", arg_name="query")
@leads_api_bp.output(page_schema(LeadOut, "LeadPage"))
@permission_required("crm.leads")
def list_leads(query):
    """The office's queue of unassigned leads, mine, or all I may see (own, subordinates', the
    office's with the office scope, everything with the all-offices scope), paginated."""
    stmt = lead_service.lead_list(
        current_user, query["which"], q=query["q"].strip(), status=query["status"], channel=query["channel"],
        need_level=query["need_level"], owner_id=query["owner_id"], category_id=query["category_id"],
        created_from=_date(query["created_from"], "created_from"), created_to=_date(query["created_to"], "created_to"),
        sort=query["sort"])
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = query["page"], query["per_page"]
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": [_out(lead) for lead in items], "page": page, "per_page": per_page, "total": total,
            "pages": max(1, -(-total // per_page))}


@leads_api_bp.get("/<int:lead_id>")
@leads_api_bp.output(LeadDetailOut)
@permission_required("crm.leads")
def get_lead(lead_id):
    """One lead, with the customers (masked) and open leads that look like it while it is open."""
    return _out(_visible(lead_id), with_duplicates=True)


@leads_api_bp.post("")
@leads_api_bp.input(LeadIn, arg_name="data")
@leads_api_bp.output(LeadOut, status_code=201)
@leads_api_bp.doc(responses={409: "Likely duplicates (customers and open leads) in `detail`; resend with "
                                  "`confirmed_not_duplicate: true` to store it anyway"})
@permission_required("crm.leads")
def create_lead(data):
    """Capture a lead (channel `api` unless given). Without `owner_id` it waits in your office's
    queue. When it looks like an existing customer or open lead, nothing is stored and the answer
    is 409 with the matches, until the caller confirms with `confirmed_not_duplicate: true`."""
    confirmed = data.pop("confirmed_not_duplicate")
    values, errors = lead_service.clean(data, current_user.office.area_code if current_user.office else None)
    if errors:
        raise ValidationError(errors)
    if not confirmed:
        found = lead_service.lead_duplicates(values)
        if found["customers"] or found["leads"]:
            abort(409, "سرنخ شبیه مشتری یا سرنخ بازِ موجود است؛ اگر تکراری نیست با confirmed_not_duplicate=true دوباره بفرستید.",
                  detail={"customers": MatchOut(many=True).dump(describe(found["customers"], current_user)),
                          "leads": LeadMatchOut(many=True).dump([_lead_match(x) for x in found["leads"]])})
    return _out(lead_service.create(data, current_user))


@leads_api_bp.post("/<int:lead_id>/take")
@leads_api_bp.output(LeadOut)
@permission_required("crm.leads")
def take_lead(lead_id):
    """Take an open lead for yourself. Two takers at once: exactly one wins; the other (and anyone
    taking a lead a colleague already took) gets 422."""
    return _out(_service(lambda: lead_service.assign(lead_id, current_user.id, current_user)))


@leads_api_bp.post("/<int:lead_id>/assign")
@leads_api_bp.input(AssignIn, arg_name="data")
@leads_api_bp.output(LeadOut)
@permission_required("crm.leads")
def assign_lead(lead_id, data):
    """Hand an open lead to yourself or a subordinate (anyone with `crm.leads_assign`)."""
    return _out(_service(lambda: lead_service.assign(lead_id, data["user_id"], current_user)))


@leads_api_bp.post("/<int:lead_id>/qualify")
@leads_api_bp.input(QualifyIn, arg_name="data")
@leads_api_bp.output(NegotiationOut, status_code=201)
@leads_api_bp.doc(responses={409: "The new customer looks like existing ones (`detail.matches`): pass one's "
                                  "`customer_id`, or `confirmed_not_duplicate: true`"})
@permission_required("crm.leads")
@permission_required("crm.register")
def qualify_lead(lead_id, data):
    """Turn an open lead into an opportunity: registers the customer (or claims / re-sells the
    `customer_id` given) and opens the owner's negotiation under the Saba rules, with the
    opportunity fields. Over the owner's open-negotiation maximum: 422, nothing written."""
    opportunity = {k: data[k] for k in ("value", "need_details", "priority", "probability")}
    opportunity["forecast_close"] = _date(data["forecast_close"], "forecast_close")
    return _service(lambda: lead_service.qualify(lead_id, current_user, customer_id=data["customer_id"],
                                                 confirmed_not_duplicate=data["confirmed_not_duplicate"],
                                                 opportunity=opportunity))


@leads_api_bp.post("/<int:lead_id>/disqualify")
@leads_api_bp.input(DisqualifyIn, arg_name="data")
@leads_api_bp.output(LeadOut)
@permission_required("crm.leads")
def disqualify_lead(lead_id, data):
    """Disqualify an open lead with a reason from the `disqualify` list and an optional note."""
    return _out(_service(lambda: lead_service.disqualify(lead_id, data["reason_id"], data["note"], current_user)))
