"""Support tickets in the JSON API under /api/v1/support: the same services, visibility and
Persian refusals as the screens.

A ticket the caller may not see is a 404 (as if it did not exist). A refusal — bad input, an
illegal status transition, an assignee who is not support staff — is a 422 whose `message` or
`fields` say why in Persian, and nothing is written."""
from __future__ import annotations

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, DateTime, Function, Integer, List, Nested, String
from apiflask.validators import OneOf
from flask_login import current_user

from core.access import permission_required
from core.api import PageQuery, page_schema, protect
from core.db import db
from core.jalali import format_datetime, utcnow
from plugins.support.models import CHANNELS, PRIORITIES, STATUSES, Ticket
from plugins.support.services import categories, queries
from plugins.support.services import tickets as ticket_service
from plugins.support.services.queries import VIEWS, Filters, NotFound

api_bp = protect(APIBlueprint("support_api", __name__, url_prefix="/support", tag="Support"))


# --- schemas ------------------------------------------------------------------------------------

class AttachmentOut(Schema):
    id = Integer()
    filename = String()
    content_type = String()
    size = Integer()
    note_id = Integer(allow_none=True)
    created_at = DateTime()


class NoteOut(Schema):
    id = Integer()
    author_id = Integer(allow_none=True)
    author_name = Function(lambda n: n.author.full_name if n.author else None)
    body = String()
    for_customer = Boolean(metadata={"description": "true: told to the customer; false: internal"})
    created_at = DateTime()
    attachments = List(Nested(AttachmentOut))


class StatusChangeOut(Schema):
    old_status = String(allow_none=True)
    new_status = String()
    actor_id = Integer(allow_none=True)
    at = DateTime()
    note = String()


class TicketOut(Schema):
    id = Integer()
    ref = String(metadata={"description": "support.ticket:<id>"})
    title = String()
    description = String()
    party_id = Integer()
    party_name = Function(lambda t: t.party.name)
    order_ref = String(allow_none=True, metadata={"description": "e.g. crm.order:42"})
    order_number = Integer(allow_none=True)
    product_id = Integer(allow_none=True)
    channel = String(metadata={"description": " | ".join(CHANNELS)})
    category_id = Integer(allow_none=True)
    category_name = Function(lambda t: t.category.name if t.category else None)
    priority = String(metadata={"description": " | ".join(PRIORITIES)})
    status = String(metadata={"description": " | ".join(STATUSES)})
    status_label = Function(lambda t: STATUSES[t.status])
    assignee_id = Integer(allow_none=True)
    office_id = Integer(allow_none=True)
    created_by_id = Integer(allow_none=True)
    created_at = DateTime(metadata={"description": "UTC"})
    updated_at = DateTime()
    due_at = DateTime(metadata={"description": "UTC: the SLA due time of the priority"})
    due_jalali = Function(lambda t: format_datetime(t.due_at, "en"), metadata={"description": "Tehran time, Jalali"})
    overdue = Function(lambda t: t.is_overdue(utcnow()), metadata={"description": "past due while the clock runs"})
    paused = Function(lambda t: t.paused_at is not None, metadata={"description": "the SLA clock is paused (waiting for the customer)"})
    breached_at = DateTime(allow_none=True)
    resolved_at = DateTime(allow_none=True)
    closed_at = DateTime(allow_none=True)


class TicketDetailOut(TicketOut):
    notes = List(Nested(NoteOut))
    status_changes = List(Nested(StatusChangeOut))
    attachments = List(Nested(AttachmentOut))


class TicketQuery(PageQuery):
    view = String(load_default="all", validate=OneOf(VIEWS), metadata={"description": " | ".join(VIEWS)})
    status = String(load_default="", metadata={"description": "a status, or `open`"})
    priority = String(load_default="")
    party_id = Integer(load_default=None, allow_none=True)
    office_id = Integer(load_default=None, allow_none=True)
    assignee_id = Integer(load_default=None, allow_none=True)
    overdue = Boolean(load_default=False)


class TicketIn(Schema):
    party_id = Integer(load_default=None, allow_none=True, metadata={"description": "parties.id (required)"})
    title = String(load_default="")
    description = String(load_default="")
    channel = String(load_default=None, allow_none=True, metadata={"description": " | ".join(CHANNELS) + " (required)"})
    priority = String(load_default="normal", metadata={"description": " | ".join(PRIORITIES)})
    category_id = Integer(load_default=None, allow_none=True)
    product_id = Integer(load_default=None, allow_none=True)
    order_ref = String(load_default=None, allow_none=True, metadata={"description": "e.g. crm.order:42"})
    order_number = Integer(load_default=None, allow_none=True)
    assignee_id = Integer(load_default=None, allow_none=True, metadata={"description": "needs support.work"})
    office_id = Integer(load_default=None, allow_none=True, metadata={"description": "default: the caller's office"})


class TicketPatch(Schema):
    title = String()
    description = String()
    channel = String()
    priority = String(metadata={"description": "moves the due time by the difference of the two SLAs"})
    category_id = Integer(allow_none=True)
    product_id = Integer(allow_none=True)


class StatusIn(Schema):
    status = String(required=True, validate=OneOf(list(STATUSES)))
    note = String(load_default="")


class AssignIn(Schema):
    assignee_id = Integer(required=True, allow_none=True, metadata={"description": "null: back to the team queue"})


class NoteIn(Schema):
    body = String(required=True)
    for_customer = Boolean(load_default=False)


class CategoryOut(Schema):
    id = Integer()
    name = String()
    active = Boolean()


# --- endpoints ----------------------------------------------------------------------------------

def _call(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except NotFound:
        abort(404)


@api_bp.get("/tickets")
@api_bp.input(TicketQuery, location="query", arg_name="query")
@api_bp.output(page_schema(TicketOut, "TicketPage"))
@permission_required("support.view")
def list_tickets(query):
    """Tickets the caller may see: `view` mine | queue | all | overdue, with filters."""
    f = Filters(q=query["q"].strip()[:100], status=query["status"], priority=query["priority"],
                party_id=query["party_id"], office_id=query["office_id"], overdue=query["overdue"],
                assignee_ids=[query["assignee_id"]] if query["assignee_id"] else [])
    stmt = queries.ticket_query(current_user, query["view"], f)
    if query["view"] == "all":
        stmt = stmt.order_by(Ticket.id.desc())
    else:
        stmt = stmt.order_by(queries.open_first(), Ticket.due_at, Ticket.id)
    total = queries.count(stmt)
    page, per_page = query["page"], query["per_page"]
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    # ORM rows: `@output` serialises them once (core.api.paginate_json would dump twice,
    # and computed fields cannot read a dump).
    return {"items": items, "page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}


@api_bp.get("/tickets/<int:ticket_id>")
@api_bp.output(TicketDetailOut)
@permission_required("support.view")
def get_ticket(ticket_id):
    """One ticket with its notes, attachments and status changes."""
    return _call(queries.visible_ticket, current_user, ticket_id)


@api_bp.post("/tickets")
@api_bp.input(TicketIn, arg_name="data")
@api_bp.output(TicketDetailOut, status_code=201)
@permission_required("support.create")
def create_ticket(data):
    """Open a ticket for a customer; its due time comes from the SLA of its priority."""
    ticket = ticket_service.create(data, current_user)
    return _call(queries.visible_ticket, current_user, ticket.id)


@api_bp.patch("/tickets/<int:ticket_id>")
@api_bp.input(TicketPatch(partial=True), arg_name="data")
@api_bp.output(TicketDetailOut)
@permission_required("support.work")
def update_ticket(ticket_id, data):
    """Change title, description, channel, priority, category or product."""
    return _call(ticket_service.update, ticket_id, data, current_user)


@api_bp.post("/tickets/<int:ticket_id>/status")
@api_bp.input(StatusIn, arg_name="data")
@api_bp.output(TicketDetailOut)
@permission_required("support.work")
def change_status(ticket_id, data):
    """Move a ticket along the transition table; an illegal move is a 422 saying which are allowed."""
    return _call(ticket_service.change_status, ticket_id, data["status"], current_user, data["note"])


@api_bp.post("/tickets/<int:ticket_id>/assign")
@api_bp.input(AssignIn, arg_name="data")
@api_bp.output(TicketDetailOut)
@permission_required("support.work")
def assign_ticket(ticket_id, data):
    """Give a ticket to a support agent, or back to the team queue (null)."""
    return _call(ticket_service.assign, ticket_id, data["assignee_id"], current_user)


@api_bp.post("/tickets/<int:ticket_id>/notes")
@api_bp.input(NoteIn, arg_name="data")
@api_bp.output(NoteOut, status_code=201)
@permission_required("support.work", "support.create")
def add_note(ticket_id, data):
    """A note on a ticket: internal, or `for_customer`."""
    return _call(ticket_service.add_note, ticket_id, data, current_user)


@api_bp.get("/categories")
@api_bp.output(CategoryOut(many=True))
@permission_required("support.view")
def list_categories():
    return categories.all_categories()
