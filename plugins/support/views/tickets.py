"""The ticket lists, the ticket page and its actions, the new-ticket form, attachments."""
from __future__ import annotations

import os

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import case

from core import jalali, settings
from core.access import can, permission_required
from core.audit import history
from core.db import db
from core.exports import FORMATS, export_response
from core.forms import apply_errors, form_data
from core.i18n import localized_digits
from core.models.org import Office
from core.models.parties import Party
from core.persian import to_ascii_digits
from core.phones import display, mask
from core.ui import jdatetime
from core.validation import ValidationError
from core.views.helpers import apply_sort, paginate
from plugins.support.models import CHANNELS, OPEN_STATUSES, PRIORITIES, STATUSES, TRANSITIONS, Ticket, TicketAttachment
from plugins.support.services import categories, queries, sla
from plugins.support.services import tickets as ticket_service
from plugins.support.services.queries import Filters, NotFound
from plugins.support.views import bp
from plugins.support.views.forms import AssignForm, EditForm, NoteForm, StatusForm, TicketForm, staff_choices

TITLES = {"mine": "درخواست‌های من", "queue": "صف تیم", "all": "همهٔ درخواست‌ها", "overdue": "درخواست‌های سررسیدگذشته"}
SORTS = {"id": Ticket.id, "created": Ticket.created_at, "due": Ticket.due_at, "updated": Ticket.updated_at}


# --- helpers -----------------------------------------------------------------------------------

def _int(value) -> int | None:
    text = to_ascii_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _day(name: str, warnings: list[str]):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return jalali.parse_date(raw)
    except jalali.JalaliDateError as exc:
        warnings.append(f"تاریخ «{raw}» نادیده گرفته شد: {exc}")
        return None


def parse_filters() -> tuple[Filters, list[str]]:
    args, warnings = request.args, []
    status = args.get("status", "")
    priority = args.get("priority", "")
    assignees = args.getlist("assignee")
    f = Filters(q=args.get("q", "").strip()[:100],
                status=status if status == "open" or status in STATUSES else "",
                priority=priority if priority in PRIORITIES else "",
                category_id=_int(args.get("category")), office_id=_int(args.get("office")),
                assignee_ids=[i for i in (_int(a) for a in assignees) if i is not None],
                unassigned="none" in assignees, department_id=_int(args.get("department")),
                party_id=_int(args.get("party")), overdue=args.get("overdue") == "1")
    for key in ("created_from", "created_to", "breached_from", "breached_to", "resolved_from", "resolved_to"):
        setattr(f, key, _day(key, warnings))
    return f, warnings


def _visible(ticket_id) -> Ticket:
    try:
        return queries.visible_ticket(current_user, ticket_id)
    except NotFound:
        abort(404)


def _back(ticket_id: int, anchor: str = ""):
    return redirect(url_for("support.ticket", ticket_id=ticket_id) + anchor)


def _safe_next(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/support/") and "//" not in target else default


def _phones(party) -> list[tuple[str, str]]:
    masked = bool(settings.get("core.mask_contacts"))
    return [(p.kind, mask(p.e164) if masked else display(p.e164)) for p in party.phones]


# --- lists -------------------------------------------------------------------------------------

@bp.route("/")
@permission_required("support.view")
def index():
    return redirect(url_for("support.my_tickets" if can(current_user, "support.work") else "support.tickets"))


@bp.route("/tickets/mine")
@permission_required("support.work")
def my_tickets():
    return _list("mine")


@bp.route("/tickets/queue")
@permission_required("support.work")
def queue():
    return _list("queue")


@bp.route("/tickets")
@permission_required("support.view")
def tickets():
    return _list("all")


@bp.route("/tickets/overdue")
@permission_required("support.view")
def overdue():
    return _list("overdue")


def _list(view: str):
    f, warnings = parse_filters()
    if view == "queue" and f.office_id is None:
        f.office_id = current_user.office_id
    stmt = queries.ticket_query(current_user, view, f)
    if view in ("mine", "queue", "overdue"):
        stmt = stmt.order_by(queries.open_first())
        if view == "queue":
            stmt = stmt.order_by(case((Ticket.assignee_id.is_(None), 0), else_=1))
        if request.args.get("sort", "due") == "due":  # paused tickets after those whose clock runs
            stmt = stmt.order_by(case((Ticket.status == "waiting_customer", 1), else_=0))
        stmt, sort = apply_sort(stmt, SORTS, "due")
    else:
        stmt, sort = apply_sort(stmt, SORTS, "-created")
    stmt = stmt.order_by(Ticket.id.desc())
    fmt = request.args.get("export")
    if fmt:
        return _export(db.session.scalars(stmt).unique().all(), fmt if fmt in FORMATS else "csv")
    page = paginate(stmt)
    scope_all = can(current_user, "support.scope_all")
    offices = db.session.query(Office).order_by(Office.name).all() if scope_all else \
        [o for o in [current_user.office] if o is not None]
    return render_template(
        "support/list.html", view=view, title=TITLES[view], page=page, f=f, sort=sort, warnings=warnings,
        counts=queries.tab_counts(current_user), now=jalali.utcnow(), offices=offices,
        staff=queries.support_staff(), categories=categories.all_categories(),
        may_work=can(current_user, "support.work"), may_create=can(current_user, "support.create"),
        party=db.session.get(Party, f.party_id) if f.party_id else None)


def _export(rows, fmt):
    return export_response("support-tickets", [
        ("شماره", lambda t: t.id), ("عنوان", lambda t: t.title), ("مشتری", lambda t: t.party.name),
        ("وضعیت", lambda t: STATUSES[t.status]), ("اولویت", lambda t: PRIORITIES[t.priority]),
        ("کانال", lambda t: CHANNELS[t.channel]), ("دسته", lambda t: t.category.name if t.category else ""),
        ("سفارش", lambda t: t.order_number or t.order_ref or ""),
        ("کارشناس", lambda t: t.assignee.full_name if t.assignee else ""),
        ("دفتر", lambda t: t.office.name if t.office else ""), ("ثبت", lambda t: t.created_at),
        ("سررسید", lambda t: t.due_at), ("نقض مهلت", lambda t: t.breached_at), ("حل", lambda t: t.resolved_at),
    ], rows, fmt)


# --- the ticket page ---------------------------------------------------------------------------

def _ticket_page(ticket: Ticket, *, note_form=None, edit_form=None, messages=(), open_edit=False):
    timeline = [("status", s.at, s) for s in ticket.status_changes if s.old_status is not None]
    timeline += [("note", n.created_at, n) for n in ticket.notes]
    timeline.sort(key=lambda item: (item[1], item[2].id if item[0] == "note" else 0))
    may_work = can(current_user, "support.work")
    assign_form = AssignForm(formdata=None)
    if may_work:
        assign_form.assignee_id.choices = staff_choices()
        assign_form.assignee_id.data = ticket.assignee_id
    if edit_form is None:
        edit_form = EditForm(formdata=None, obj=ticket).fill(ticket)
    may_history = may_work or can(current_user, "core.audit")
    return render_template(
        "support/ticket.html", ticket=ticket, party=ticket.party, phones=_phones(ticket.party), timeline=timeline,
        loose_files=[a for a in ticket.attachments if a.note_id is None], now=jalali.utcnow(),
        next_statuses=TRANSITIONS.get(ticket.status, ()), may_work=may_work,
        may_note=may_work or can(current_user, "support.create"),
        note_form=note_form or NoteForm(formdata=None), status_form=StatusForm(formdata=None),
        assign_form=assign_form, edit_form=edit_form, open_edit=open_edit, messages=list(messages),
        sla_hours=sla.hours_for(ticket.priority), max_mb=settings.get("support.attachment_max_mb"),
        max_files=settings.get("support.max_attachments"),
        audit=history(Ticket.__tablename__, ticket.id) if may_history else None)


@bp.route("/tickets/<int:ticket_id>")
@permission_required("support.view")
def ticket(ticket_id):
    return _ticket_page(_visible(ticket_id))


@bp.route("/tickets/<int:ticket_id>/status", methods=["POST"])
@permission_required("support.work")
def change_status(ticket_id):
    _visible(ticket_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("فرم منقضی شده است؛ دوباره بفرستید.", "danger")
        return _back(ticket_id)
    new = request.form.get("status", "")
    try:
        ticket_service.change_status(ticket_id, new, current_user, form.note.data or "")
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(message, "danger")
    else:
        flash(f"وضعیت درخواست «{STATUSES[new]}» شد.", "success")
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/assign", methods=["POST"])
@permission_required("support.work")
def assign(ticket_id):
    _visible(ticket_id)
    form = AssignForm()
    form.assignee_id.choices = staff_choices()
    if not form.validate_on_submit():
        flash("فرم منقضی شده است؛ دوباره بفرستید.", "danger")
        return _back(ticket_id)
    return _assign(ticket_id, form.assignee_id.data, _back(ticket_id))


@bp.route("/tickets/<int:ticket_id>/take", methods=["POST"])
@permission_required("support.work")
def take(ticket_id):
    """«برمی‌دارم»: the agent takes a ticket from the team queue."""
    _visible(ticket_id)
    if not StatusForm().validate_on_submit():
        flash("فرم منقضی شده است؛ دوباره بفرستید.", "danger")
        return _back(ticket_id)
    return _assign(ticket_id, current_user.id, redirect(_safe_next(url_for("support.ticket", ticket_id=ticket_id))))


def _assign(ticket_id: int, assignee_id, response):
    try:
        ticket = ticket_service.assign(ticket_id, assignee_id, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(message, "danger")
    else:
        who = ticket.assignee.full_name if ticket.assignee else None
        number = localized_digits(ticket.id)
        flash(f"درخواست {number} به {who} واگذار شد." if who else f"درخواست {number} به صف تیم برگشت.", "success")
    return response


@bp.route("/tickets/<int:ticket_id>/edit", methods=["POST"])
@permission_required("support.work")
def edit(ticket_id):
    ticket = _visible(ticket_id)
    form = EditForm().fill(ticket)
    messages = []
    if form.validate_on_submit():
        try:
            ticket_service.update(ticket_id, form_data(form), current_user)
        except NotFound:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            messages = [("danger", m) for m in apply_errors(form, exc)]
        else:
            flash("جزئیات درخواست ذخیره شد.", "success")
            return _back(ticket_id)
    return _ticket_page(_visible(ticket_id), edit_form=form, open_edit=True,
                        messages=messages or [("danger", "تغییرات ذخیره نشد؛ موارد مشخص‌شده را درست کنید.")])


@bp.route("/tickets/<int:ticket_id>/notes", methods=["POST"])
@permission_required("support.work", "support.create")
def add_note(ticket_id):
    _visible(ticket_id)
    form = NoteForm()
    messages = []
    if form.validate_on_submit():
        try:
            ticket_service.add_note(ticket_id, {"body": form.body.data, "for_customer": form.for_customer.data},
                                    current_user, request.files.getlist("files"))
        except NotFound:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            messages = [("danger", m) for m in apply_errors(form, exc)]
        else:
            flash("یادداشت افزوده شد.", "success")
            return _back(ticket_id, "#timeline")
    return _ticket_page(_visible(ticket_id), note_form=form,
                        messages=messages or [("danger", "یادداشت افزوده نشد؛ موارد مشخص‌شده را درست کنید.")])


@bp.route("/attachments/<int:attachment_id>")
@permission_required("support.view")
def attachment(attachment_id):
    """A ticket's file, only to those who may see the ticket (404 for everyone else, as for an
    id that does not exist)."""
    item = db.session.get(TicketAttachment, attachment_id)
    if item is None:
        abort(404)
    _visible(item.ticket_id)
    path = ticket_service.path_of(item)
    if not os.path.exists(path):
        abort(404)
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.filename,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- a new ticket ------------------------------------------------------------------------------

@bp.route("/tickets/new", methods=["GET", "POST"])
@permission_required("support.create")
def new_ticket():
    may_assign = can(current_user, "support.work")
    form = TicketForm().fill(may_assign)
    messages = []
    if request.method == "GET":
        party_id = _int(request.args.get("party_id"))
        party = queries.kept_party(party_id, current_user) if party_id else None
        form.party_id.data = party.id if party else ""
        order_ref = request.args.get("order_ref", "")[:120]
        if party and ticket_service.ORDER_REF.match(order_ref):
            form.order_ref.data = order_ref
            form.order_number.data = _int(request.args.get("order_number")) or ""
        form.office_id.data = current_user.office_id
        if may_assign and queries.is_support_staff(current_user.id):
            form.assignee_id.data = current_user.id
    elif form.validate_on_submit():
        try:
            ticket = ticket_service.create(form_data(form), current_user, request.files.getlist("files"))
        except ValidationError as exc:
            db.session.rollback()
            messages = apply_errors(form, exc)
        else:
            flash(f"درخواست شمارهٔ {localized_digits(ticket.id)} ثبت شد؛ مهلت رسیدگی تا {jdatetime(ticket.due_at)}.", "success")
            return redirect(url_for("support.ticket", ticket_id=ticket.id))
    party_id = _int(form.party_id.data)
    party = queries.kept_party(party_id, current_user) if party_id else None
    sla_hours = {key: sla.hours_for(key) for key in PRIORITIES}
    return render_template("support/new.html", form=form, party=party, phones=_phones(party) if party else [],
                           messages=messages, sla_hours=sla_hours, max_mb=settings.get("support.attachment_max_mb"),
                           open_tickets=queries.customer_tickets(party.id, current_user, limit=5) if party else None,
                           open_statuses=OPEN_STATUSES)


@bp.route("/parties")
@permission_required("support.create")
def party_search():
    """Customer suggestions for the new-ticket form (htmx): name, organisation or phone."""
    rows = queries.party_search(request.args.get("q", ""), current_user)
    masked = bool(settings.get("core.mask_contacts"))
    return render_template("support/_party_results.html", rows=rows, q=request.args.get("q", "").strip(),
                           phone_of=lambda p: (mask(p.phones[0].e164) if masked else display(p.phones[0].e164))
                           if p.phones else "")


@bp.route("/parties/<int:party_id>/card")
@permission_required("support.create")
def party_card(party_id):
    """The chosen customer of the new-ticket form (htmx): `0` clears the choice."""
    party = queries.kept_party(party_id, current_user) if party_id else None
    return render_template("support/_party_card.html", party=party, phones=_phones(party) if party else [],
                           htmx=True, open_statuses=OPEN_STATUSES,
                           open_tickets=queries.customer_tickets(party.id, current_user, limit=5) if party else None)
