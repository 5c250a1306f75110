"""The sales side of the CRM's JSON API under /api/v1/crm: pipelines and the board, opportunities
(edit, move between stages), tasks (create, list, complete, cancel), documents (upload with a log
entry, list, download). The same services, visibility and refusals as the screens."""
from __future__ import annotations

import datetime as dt
import os

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, Date, DateTime, File, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask import send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.access import permission_required, subordinate_ids
from core.api import page_schema, protect
from core.db import db
from core.jalali import utcnow
from plugins.crm.models import ENTRY_KINDS, PRIORITIES, TASK_STATUSES, Attachment, LogEntry, Negotiation, Pipeline, Task
from plugins.crm.services import attachments as attachment_service
from plugins.crm.services import pipeline as pipeline_service
from plugins.crm.services import tasks as task_service
from plugins.crm.services.negotiations import NotFound
from plugins.crm.services.queries import visible_negotiations
from plugins.crm.services.visibility import can_see_customer, negotiation_filter

sales_api_bp = protect(APIBlueprint("crm_sales_api", __name__, url_prefix="/crm", tag="Sales"))

DATE_HELP = {"description": "Jalali (1403/05/12) or ISO (2024-08-02)"}


# --- schemas ------------------------------------------------------------------------------------

class StageOut(Schema):
    id = Integer()
    name = String()
    position = Integer()
    probability = Integer(metadata={"description": "percent"})
    required_fields = List(String(), metadata={"description": "of: " + ", ".join(pipeline_service.STAGE_FIELDS)})


class PipelineOut(Schema):
    id = Integer()
    name = String()
    is_default = Boolean()
    active = Boolean()
    stages = List(Nested(StageOut))


class OpportunityOut(Schema):
    id = Integer(metadata={"description": "The negotiation's id"})
    customer_id = Integer()
    customer_name = String(attribute="customer.party.name")
    owner_id = Integer()
    owner_name = String(attribute="owner.full_name")
    status = String(attribute="effective_status")
    stage_id = Integer(allow_none=True)
    probability = Integer(allow_none=True, metadata={"description": "percent; null: the stage's"})
    value = Integer(allow_none=True, metadata={"description": "Rials"})
    forecast_close = Date(allow_none=True)
    need_details = String()
    priority = String(metadata={"description": "low | normal | high"})


class OpportunityIn(Schema):
    value = Integer(allow_none=True, metadata={"description": "Rials"})
    forecast_close = String(allow_none=True, metadata=DATE_HELP)
    need_details = String()
    priority = String(validate=OneOf(list(PRIORITIES)))
    probability = Integer(allow_none=True)
    stage_id = Integer(allow_none=True, metadata={"description": "Move to this stage (its required fields must be filled)"})


class MoveIn(Schema):
    stage_id = Integer(required=True)


class BoardQuery(Schema):
    q = String(load_default="")
    owner_id = Integer(load_default=None, allow_none=True)
    per_column = Integer(load_default=30, validate=Range(min=1, max=100))


class PipelineRefOut(Schema):
    id = Integer()
    name = String()
    is_default = Boolean()


class ColumnOut(Schema):
    stage = Nested(StageOut)
    count = Integer()
    total = Integer(metadata={"description": "Sum of the column's values, Rials"})
    cards = List(Nested(OpportunityOut))


class BoardOut(Schema):
    pipeline = Nested(PipelineRefOut)
    columns = List(Nested(ColumnOut))


class TaskOut(Schema):
    id = Integer()
    title = String()
    notes = String()
    kind = String()
    due_at = DateTime(metadata={"description": "UTC"})
    priority = String()
    status = String()
    overdue = Boolean()
    assignee_id = Integer()
    assignee_name = String(attribute="assignee.full_name")
    customer_id = Integer(allow_none=True)
    negotiation_id = Integer(allow_none=True)
    created_by_id = Integer(allow_none=True)
    done_at = DateTime(allow_none=True)
    log_entry_id = Integer(allow_none=True)


class TaskIn(Schema):
    title = String(required=True)
    kind = String(load_default="call", validate=OneOf(list(ENTRY_KINDS)))
    due_date = String(required=True, metadata=DATE_HELP)
    due_time = String(load_default="09:00", metadata={"description": "HH:MM, Tehran time"})
    priority = String(load_default="normal", validate=OneOf(list(PRIORITIES)))
    assignee_id = Integer(load_default=None, allow_none=True, metadata={"description": "You or a subordinate; default you"})
    customer_id = Integer(load_default=None, allow_none=True)
    notes = String(load_default="")


class TaskQuery(Schema):
    status = String(load_default="open", validate=OneOf(list(TASK_STATUSES)))
    assignee_id = Integer(load_default=None, allow_none=True)
    customer_id = Integer(load_default=None, allow_none=True)
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))


class EntryLiteIn(Schema):
    summary = String(required=True)
    next_contact = String(load_default=None, allow_none=True, metadata=DATE_HELP)


class CompleteIn(Schema):
    entry = Nested(EntryLiteIn, load_default=None, allow_none=True,
                   metadata={"description": "Also log the interaction (kind = the task's) in the same step"})


class DocumentOut(Schema):
    id = Integer()
    customer_id = Integer()
    log_entry_id = Integer(allow_none=True)
    filename = String()
    content_type = String()
    size = Integer(metadata={"description": "bytes"})
    uploaded_by_id = Integer(allow_none=True)
    created_at = DateTime()
    url = String(attribute="api_url")


class DocumentIn(Schema):
    file = File(required=True)
    kind = String(load_default="document", validate=OneOf(list(ENTRY_KINDS)))
    summary = String(load_default="", metadata={"description": "Optional for kind document (the file name stands in)"})
    date = String(load_default=None, allow_none=True, metadata=DATE_HELP)
    next_contact = String(load_default=None, allow_none=True, metadata=DATE_HELP)


class DocumentEntryOut(Schema):
    entry_id = Integer(attribute="id")
    negotiation_id = Integer()
    documents = List(Nested(DocumentOut), attribute="attachments")


# --- helpers ------------------------------------------------------------------------------------

def _dates(data: dict, *keys) -> dict:
    """ISO dates (19xx/20xx) become dates; anything else goes to the service as typed (Jalali)."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and len(value.strip()) == 10 and value.strip()[:2] in ("19", "20") \
                and value.strip()[4] == "-":
            try:
                data[key] = dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
    return data


def _service(call):
    try:
        return call()
    except NotFound:
        db.session.rollback()
        abort(404)


def _visible_opportunity(negotiation_id: int) -> Negotiation:
    negotiation = db.session.scalar(select(Negotiation).where(Negotiation.id == negotiation_id,
                                                              negotiation_filter(current_user)))
    if negotiation is None:
        abort(404)
    return negotiation


def _with_urls(attachments):
    for a in attachments:
        a.api_url = url_for("crm_sales_api.download_document", attachment_id=a.id)
    return attachments


def _task_out(task: Task) -> Task:
    task.overdue = task.status == "open" and task.due_at < utcnow()
    return task


# --- pipelines and the board --------------------------------------------------------------------

@sales_api_bp.get("/pipelines")
@sales_api_bp.output(PipelineOut(many=True))
@permission_required("crm.customers")
def list_pipelines():
    """Active pipelines with their stages in order (the default first)."""
    return db.session.scalars(select(Pipeline).where(Pipeline.active.is_(True))
                              .order_by(Pipeline.is_default.desc(), Pipeline.name)).all()


@sales_api_bp.get("/pipelines/<int:pipeline_id>/board")
@sales_api_bp.input(BoardQuery, location="query", arg_name="query")
@sales_api_bp.output(BoardOut)
@permission_required("crm.customers")
def board(pipeline_id, query):
    """The kanban board: per stage the count and total value of the visible open opportunities
    and the first `per_column` cards (by priority, then value)."""
    pipeline = db.session.get(Pipeline, pipeline_id)
    if pipeline is None or not pipeline.active:
        abort(404)
    columns = pipeline_service.board(pipeline, current_user, per_column=query["per_column"], q=query["q"],
                                     owner_id=query["owner_id"])
    return {"pipeline": pipeline, "columns": [
        {"stage": c["stage"], "count": c["count"], "total": c["total"], "cards": [r.Negotiation for r in c["cards"]]}
        for c in columns]}


# --- opportunities ------------------------------------------------------------------------------

@sales_api_bp.get("/opportunities/<int:negotiation_id>")
@sales_api_bp.output(OpportunityOut)
@permission_required("crm.customers")
def get_opportunity(negotiation_id):
    return _visible_opportunity(negotiation_id)


@sales_api_bp.patch("/opportunities/<int:negotiation_id>")
@sales_api_bp.input(OpportunityIn(partial=True), arg_name="data")
@sales_api_bp.output(OpportunityOut)
@permission_required("crm.log")
def update_opportunity(negotiation_id, data):
    """Value, forecast close date, need details, priority, probability and, with `stage_id`,
    the stage (checked against its required fields after this edit). Fields not sent keep
    their values."""
    negotiation = _visible_opportunity(negotiation_id)
    current = {"value": negotiation.value, "forecast_close": negotiation.forecast_close,
               "need_details": negotiation.need_details, "priority": negotiation.priority,
               "probability": negotiation.probability, "stage_id": negotiation.stage_id}
    current.update(_dates(dict(data), "forecast_close"))
    return _service(lambda: pipeline_service.save_opportunity(negotiation_id, current, current_user))


@sales_api_bp.post("/opportunities/<int:negotiation_id>/move")
@sales_api_bp.input(MoveIn, arg_name="data")
@sales_api_bp.output(OpportunityOut)
@permission_required("crm.log")
def move_opportunity(negotiation_id, data):
    """Move a card to another stage (refused with 422 when its required fields are empty, the
    opportunity is someone else's or no longer open)."""
    return _service(lambda: pipeline_service.move(negotiation_id, data["stage_id"], current_user))


# --- tasks --------------------------------------------------------------------------------------

@sales_api_bp.get("/tasks")
@sales_api_bp.input(TaskQuery, location="query", arg_name="query")
@sales_api_bp.output(page_schema(TaskOut, "TaskPage"))
@permission_required("crm.log")
def list_tasks(query):
    """Your tasks and your subordinates': open ones soonest first, closed ones latest first."""
    ids = [current_user.id, *subordinate_ids(current_user.id)]
    if query["status"] == "open":
        stmt = task_service.for_user(current_user)
    else:
        stmt = select(Task).where(Task.assignee_id.in_(ids), Task.status == query["status"]).order_by(
            Task.done_at.desc().nulls_last(), Task.id.desc())
    if query["assignee_id"]:
        stmt = stmt.where(Task.assignee_id == query["assignee_id"])
    if query["customer_id"]:
        stmt = stmt.where(Task.customer_id == query["customer_id"])
    from sqlalchemy import func
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = query["page"], query["per_page"]
    items = db.session.scalars(stmt.options(joinedload(Task.assignee)).limit(per_page)
                               .offset((page - 1) * per_page)).all()
    return {"items": [_task_out(t) for t in items], "page": page, "per_page": per_page, "total": total,
            "pages": max(1, -(-total // per_page))}


@sales_api_bp.post("/tasks")
@sales_api_bp.input(TaskIn, arg_name="data")
@sales_api_bp.output(TaskOut, status_code=201)
@permission_required("crm.log")
def create_task(data):
    """A task (reminder) for you or a subordinate, optionally on a customer you may see."""
    return _task_out(_service(lambda: task_service.create(_dates(data, "due_date"), current_user)))


@sales_api_bp.post("/tasks/<int:task_id>/complete")
@sales_api_bp.input(CompleteIn, arg_name="data")
@sales_api_bp.output(TaskOut)
@permission_required("crm.log")
def complete_task(task_id, data):
    """Mark done; with `entry`, the interaction is logged on the customer's open negotiation in
    the same transaction (a refused entry leaves the task open)."""
    entry = _dates(dict(data["entry"]), "next_contact") if data.get("entry") else None
    return _task_out(_service(lambda: task_service.complete(task_id, current_user, entry=entry)))


@sales_api_bp.post("/tasks/<int:task_id>/cancel")
@sales_api_bp.output(TaskOut)
@permission_required("crm.log")
def cancel_task(task_id):
    return _task_out(_service(lambda: task_service.cancel(task_id, current_user)))


# --- documents ----------------------------------------------------------------------------------

def _visible_entry_ids(customer_id: int) -> list[int]:
    negotiation_ids = visible_negotiations(current_user, customer_id).with_only_columns(Negotiation.id)
    return list(db.session.scalars(select(LogEntry.id).where(LogEntry.negotiation_id.in_(negotiation_ids))))


@sales_api_bp.get("/customers/<int:customer_id>/documents")
@sales_api_bp.output(DocumentOut(many=True))
@permission_required("crm.customers")
def list_documents(customer_id):
    """The documents on the customer's history that you may see, newest first."""
    if not can_see_customer(current_user, customer_id):
        abort(404)
    from sqlalchemy import or_
    entry_ids = _visible_entry_ids(customer_id) or [-1]
    return _with_urls(db.session.scalars(select(Attachment).where(
        Attachment.customer_id == customer_id,
        or_(Attachment.log_entry_id.in_(entry_ids), Attachment.log_entry_id.is_(None)))
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())).all())


@sales_api_bp.post("/negotiations/<int:negotiation_id>/documents")
@sales_api_bp.input(DocumentIn, location="form_and_files", arg_name="data")
@sales_api_bp.output(DocumentEntryOut, status_code=201)
@permission_required("crm.log")
def upload_document(negotiation_id, data):
    """Upload a document (multipart `file`) with the log entry it belongs to (kind `document`
    by default): size, type and content are checked, and the entry and the file are saved
    together or not at all."""
    _visible_opportunity(negotiation_id)
    storage = data.pop("file")
    entry = _service(lambda: attachment_service.add_entry_with_file(
        negotiation_id, _dates(data, "date", "next_contact"), storage, current_user))
    _with_urls(entry.attachments)
    return entry


@sales_api_bp.get("/documents/<int:attachment_id>")
@sales_api_bp.doc(responses={200: "The file, as an attachment with its stored content type"})
@permission_required("crm.customers")
def download_document(attachment_id):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_see_customer(current_user, attachment.customer_id) or (
            attachment.log_entry_id is not None
            and attachment.log_entry_id not in _visible_entry_ids(attachment.customer_id)):
        abort(404)
    path = attachment_service.path_of(attachment)
    if not os.path.exists(path):
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
