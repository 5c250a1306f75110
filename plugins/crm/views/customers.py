"""Customer lists, registration, the customer page and its actions (log, comment, cut, suspend,
win, claim, edit). Views parse input, call a service, render; the services decide."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from core import settings
from core.access import can, permission_required, scope_filter, scope_of, subordinate_ids
from core.db import db
from core.exports import FORMATS, export_response
from core.forms import apply_errors
from core.jalali import today_tehran, utcnow
from core.models.org import Office, User
from core.models.parties import Party
from core.models.products import Product
from core.persian import to_ascii_digits
from core.phones import display, mask
from core.validation import ValidationError
from core.views.helpers import paginate
from plugins.crm.forms import CommentForm, CustomerForm, EntryForm, StatusForm
from plugins.crm.models import (
    ENTRY_KINDS,
    POOL_STATUSES,
    PRIORITIES,
    STATUS_LABELS,
    STATUSES,
    Attachment,
    Comment,
    Customer,
    ListItem,
    LogEntry,
    Negotiation,
    StatusChange,
    Task,
)
from plugins.crm.services import attachments as attachment_service
from plugins.crm.services import customers as customer_service
from plugins.crm.services import dup_review, stale
from plugins.crm.services import log as log_service
from plugins.crm.services import negotiations as neg_service
from plugins.crm.services.queries import LISTS, customer_list, visible_negotiations
from plugins.crm.services.visibility import can_act_on, can_see_customer, negotiation_filter
from plugins.crm.views import bp

STATUS_COLOURS = {"negotiating": "primary", "cut": "danger", "suspended": "warning", "won": "success",
                  "expired": "secondary"}
STALE_LABELS = {"watch": "زیر نظر (راکد)", "yellow": "کارت زرد", "red": "کارت قرمز"}
TRANSITION_LABELS = {"cut": "قطع مذاکره", "suspended": "معلق کردن", "won": "قطعی کردن"}
OPENED_VIA = {"register": "ثبت مشتری", "claim": "برداشتن از لیست آزاد", "lead": "تبدیل سرنخ"}
LIST_ENDPOINTS = {"my": "crm.my_customers", "team": "crm.team_customers", "all": "crm.all_customers",
                  "pool": "crm.free_pool"}


# --- helpers for every screen -----------------------------------------------------------------

def masked() -> bool:
    return bool(settings.get("core.mask_contacts"))


def phone_text(e164: str) -> str:
    """A phone as this site shows it: national format, or `0912***4567` when contacts are masked."""
    return mask(e164) if masked() else display(e164)


def main_phone(party: Party):
    mobiles = [p for p in party.phones if p.kind == "mobile"]
    return (mobiles or list(party.phones) or [None])[0]


def days_left(negotiation: Negotiation, now: dt.datetime | None = None) -> int | None:
    if negotiation is None or not negotiation.is_open:
        return None
    return max(0, (negotiation.window_end - (now or utcnow())).days)


@bp.context_processor
def _crm_helpers():
    return dict(crm_phone=phone_text, crm_masked=masked, main_phone=main_phone, days_left=days_left,
                stale_level=stale.level_of, STATUS_LABELS=STATUS_LABELS, STATUS_COLOURS=STATUS_COLOURS,
                STALE_LABELS=STALE_LABELS, ENTRY_KINDS=ENTRY_KINDS, OPENED_VIA=OPENED_VIA,
                TRANSITION_LABELS=TRANSITION_LABELS, LIST_ENDPOINTS=LIST_ENDPOINTS)


def _int(value) -> int | None:
    text = to_ascii_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


# --- the four lists ---------------------------------------------------------------------------

def _filters() -> dict:
    args = request.args
    status = args.get("status", "")
    return dict(q=args.get("q", "").strip()[:200], status=status if status in STATUSES else "",
                owner_id=_int(args.get("owner")), office_id=_int(args.get("office")),
                category_id=_int(args.get("category")), product_id=_int(args.get("product")),
                sort=args.get("sort", "-registered"))


def _filter_choices(which: str) -> dict:
    """Owners among the users this user may see, offices only for those who see several."""
    users = select(User).order_by(User.last_name, User.first_name)
    if which == "team":
        users = users.where(User.id.in_(subordinate_ids(current_user.id) or [-1]))
    elif which != "pool":
        users = users.where(scope_filter(current_user, "crm", User.id, User.office_id))
    owners = db.session.scalars(users.options(joinedload(User.office))).all() if which != "my" else []
    if which == "pool" or scope_of(current_user, "crm") == "all":
        offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    else:
        seen = {u.office_id for u in owners} | {current_user.office_id}
        offices = db.session.scalars(select(Office).where(Office.id.in_(seen - {None} or {-1}))
                                     .order_by(Office.name)).all()
    categories = db.session.scalars(select(ListItem).where(ListItem.kind == "category")
                                    .order_by(ListItem.active.desc(), ListItem.name)).all()
    products = db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.name)).all()
    return dict(owners=owners, offices=offices if len(offices) > 1 else [], categories=categories,
                products=products)


def _with_row_data(stmt):
    """Everything a row shows, loaded with the page: no query per row."""
    return stmt.options(
        contains_eager(Customer.party).selectinload(Party.phones),
        contains_eager(Customer.current).joinedload(Negotiation.owner),
        contains_eager(Customer.current).joinedload(Negotiation.office))


def _export(stmt, which: str, fmt: str):
    now = utcnow()
    rows = db.session.scalars(_with_row_data(stmt)).unique().all()

    def phone(c):
        p = main_phone(c.party)
        return phone_text(p.e164) if p else ""

    def last(c):
        return c.current.last_entry_at or c.current.window_start

    columns = [
        ("شناسه", lambda c: c.id),
        ("مشتری", lambda c: c.party.name),
        ("سازمان", lambda c: c.party.organisation),
        ("شهر", lambda c: c.party.city),
        ("تلفن همراه", phone),
        ("کارشناس", lambda c: c.current.owner.full_name),
        ("دفتر", lambda c: c.current.office.name if c.current.office else ""),
        ("وضعیت", lambda c: c.current.status_label),
        ("ثبت", lambda c: c.registered_at),
        ("شروع مهلت", lambda c: c.current.window_start),
        ("پایان مهلت", lambda c: c.current.window_end),
        ("روزهای باقی‌مانده", lambda c: days_left(c.current, now)),
        ("راکد", lambda c: STALE_LABELS.get(stale.level_of(c.current, now), "")),
        ("آخرین فعالیت", last),
        ("مذاکرهٔ بعدی", lambda c: c.current.next_contact),
    ]
    return export_response(f"crm-{which}-customers", columns, rows, fmt)


def _customer_list(which: str):
    filters = _filters()
    stmt = customer_list(current_user, which, **filters)
    fmt = request.args.get("export")
    if fmt:
        if not can(current_user, "crm.export"):
            abort(403)
        return _export(stmt, which, fmt if fmt in FORMATS else "csv")
    page = paginate(_with_row_data(stmt), count_limit=current_app.config["LIST_COUNT_LIMIT"])
    return render_template("crm/customers.html", which=which, title=LISTS[which], page=page,
                           filters=filters, sort=filters["sort"], now=utcnow(), today=today_tehran(),
                           statuses=[(s, STATUS_LABELS[s]) for s in
                                     (POOL_STATUSES if which == "pool" else STATUSES)],
                           **_filter_choices(which))


@bp.route("/customers/my")
@permission_required("crm.customers")
def my_customers():
    return _customer_list("my")


@bp.route("/customers/team")
@permission_required("crm.customers")
def team_customers():
    return _customer_list("team")


@bp.route("/customers")
@permission_required("crm.customers")
def all_customers():
    return _customer_list("all")


@bp.route("/pool")
@permission_required("crm.free_pool")
def free_pool():
    return _customer_list("pool")


# --- registration and editing -----------------------------------------------------------------

def _show_errors(form: CustomerForm, exc: ValidationError) -> list[str]:
    """Put the services' errors on the form fields (`phones-<i>` is the i-th phone input)."""
    phones = form.phone_fields()
    rest = {}
    for key, message in exc.errors.items():
        if key.startswith("phones-") and key[7:].isdigit() and int(key[7:]) < len(phones):
            field = phones[int(key[7:])]
            field.errors = list(field.errors or []) + [message]
        elif key.startswith("addresses-"):
            form.address.errors = list(form.address.errors or []) + [message]
        else:
            rest[key] = message
    return apply_errors(form, ValidationError(rest)) if rest else []


def _may_reopen(customer_id: int) -> bool:
    """A new sale on a won customer: for one the rep may see, or one a duplicate warning shown
    to this rep named (that is how a rep learns of another rep's won customer)."""
    if can_see_customer(current_user, customer_id):
        return True
    from plugins.crm.models import DuplicateWarning, DuplicateWarningMatch
    return db.session.scalar(select(DuplicateWarningMatch.customer_id).join(
        DuplicateWarning, DuplicateWarning.id == DuplicateWarningMatch.warning_id).where(
        DuplicateWarningMatch.customer_id == customer_id, DuplicateWarning.user_id == current_user.id)
        .limit(1)) is not None


def _reopen(customer_id: int | None):
    if customer_id is None or not _may_reopen(customer_id):
        abort(404)
    try:
        negotiation = customer_service.register({}, current_user, reopen_customer_id=customer_id)
    except neg_service.NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("crm.customer", customer_id=customer_id)
                        if can_see_customer(current_user, customer_id) else url_for("crm.register"))
    flash("فروش تازه برای این مشتری ثبت شد و مذاکرهٔ شما باز شد.", "success")
    return redirect(url_for("crm.customer", customer_id=negotiation.customer_id))


@bp.route("/customers/new", methods=["GET", "POST"])
@permission_required("crm.register")
def register():
    if request.method == "POST" and "reopen_customer_id" in request.form:
        reopen_id = _int(request.form.get("reopen_customer_id"))
        if reopen_id is not None and not _may_reopen(reopen_id):
            # Pressed on a match of the live check, which stored nothing: store it as shown.
            from plugins.crm.views.duplicates import remember_live_match
            remember_live_match(reopen_id)
        return _reopen(reopen_id)
    form = CustomerForm()
    form.fill_choices()
    warning = None
    if form.validate_on_submit():
        try:
            negotiation = customer_service.register(
                form.service_data(), current_user,
                confirmed_not_duplicate=bool(form.confirmed_not_duplicate.data),
                warning_id=_int(form.warning_id.data))
        except customer_service.DuplicateWarning as exc:
            warning = exc
        except ValidationError as exc:
            db.session.rollback()
            for message in _show_errors(form, exc):
                flash(message, "danger")
        else:
            flash(f"مشتری «{negotiation.customer.party.name}» ثبت شد و مذاکرهٔ شما آغاز شد.", "success")
            return redirect(url_for("crm.customer", customer_id=negotiation.customer_id))
    elif form.errors:
        flash("برخی از مقادیر فرم معتبر نیستند؛ موارد مشخص‌شده را درست کنید.", "danger")
    # The "not a duplicate" answer is given once, for the warning on screen.
    form.confirmed_not_duplicate.data = False
    form.warning_id.data = warning.warning_id if warning else ""
    visible = {m["customer_id"] for m in warning.shown if can_see_customer(current_user, m["customer_id"])} \
        if warning else set()
    return render_template("crm/register.html", form=form, warning=warning, visible_matches=visible)


def _load_customer(customer_id: int) -> Customer:
    """The customer if this user may see it; a 404 otherwise (also for ids that do not exist)."""
    if not can_see_customer(current_user, customer_id):
        abort(404)
    return db.session.scalar(select(Customer).where(Customer.id == customer_id).options(
        selectinload(Customer.party).selectinload(Party.phones),
        selectinload(Customer.party).selectinload(Party.addresses),
        joinedload(Customer.category), joinedload(Customer.activity), joinedload(Customer.source),
        joinedload(Customer.marketer), joinedload(Customer.product), joinedload(Customer.registered_by)))


def _may_edit(current: Negotiation | None) -> bool:
    """«ویرایش مشتری»: the holder of the current negotiation and those above them."""
    return (can(current_user, "crm.register") and current is not None
            and can_act_on(current_user, current))


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@permission_required("crm.register")
def edit_customer(customer_id):
    customer = _load_customer(customer_id)
    current = _visible_current(customer)
    if not _may_edit(current):
        flash("فقط کارشناس مسئول این مشتری یا مدیران او می‌توانند مشخصات آن را ویرایش کنند.", "danger")
        return redirect(url_for("crm.customer", customer_id=customer.id))
    form = CustomerForm()
    form.fill_choices(customer)
    contacts_hidden = masked()
    if request.method == "GET":
        form.load(customer)
    elif form.validate_on_submit():
        data = form.service_data(customer.party)
        if contacts_hidden:  # the inputs were not shown: keep what is stored
            data["phones"] = [{"number": p.number, "kind": p.kind} for p in customer.party.phones]
            data["addresses"] = [{"city": a.city, "address": a.address, "postal_code": a.postal_code}
                                 for a in customer.party.addresses]
        try:
            customer_service.update(customer, data, current_user)
        except ValidationError as exc:
            db.session.rollback()
            customer = _load_customer(customer_id)
            for message in _show_errors(form, exc):
                flash(message, "danger")
        else:
            flash("مشخصات مشتری ذخیره شد.", "success")
            return redirect(url_for("crm.customer", customer_id=customer.id))
    return render_template("crm/customer_edit.html", form=form, customer=customer,
                           contacts_hidden=contacts_hidden)


# --- the customer page ------------------------------------------------------------------------

def _visible_current(customer: Customer) -> Negotiation | None:
    if customer.current_negotiation_id is None:
        return None
    return db.session.scalar(select(Negotiation).where(
        Negotiation.id == customer.current_negotiation_id,
        Negotiation.id.in_(visible_negotiations(current_user, customer.id).with_only_columns(Negotiation.id))))


def customer_panels(customer: Customer) -> list[dict]:
    """The panels other plugins contribute (`customer_panels` hook), in `order` then plugin
    name. A plugin that raises, or answers with something that is not a list of panels, is
    skipped with a notice in its place (and logged); the others still show."""
    import logging

    from markupsafe import Markup, escape
    host = current_app.extensions["peyvand"].host
    panels = []
    for plugin, result in host.call_each("customer_panels", isolate_errors=True, customer=customer, user=current_user):
        try:
            if isinstance(result, Exception):
                raise result
            for item in result:
                if isinstance(item, (tuple, list)) and len(item) == 2:
                    item = {"title": item[0], "html": item[1]}
                html = item["html"]
                panels.append({"plugin": plugin, "title": str(item["title"]), "order": int(item.get("order", 100)),
                               "html": html if isinstance(html, Markup) else escape(str(html)), "failed": False})
        except Exception:  # noqa: BLE001 - one plugin's fault must not take the page down
            if not isinstance(result, Exception):
                logging.getLogger(__name__).exception("plugin %s returned a malformed customer panel", plugin)
            panels = [p for p in panels if p["plugin"] != plugin]
            panels.append({"plugin": plugin, "title": plugin, "order": 10_000, "html": Markup(""), "failed": True})
    return sorted(panels, key=lambda p: (p["order"], p["plugin"]))


def _opportunity_view(current: Negotiation | None) -> dict | None:
    """The opportunity side of the current negotiation, for the profile's card."""
    if current is None:
        return None
    from plugins.crm.models import Stage
    from plugins.crm.services import pipeline as pipeline_service
    stage = current.stage
    if stage is None and (first := pipeline_service.first_stage_id()) is not None:
        stage = db.session.get(Stage, first)  # not placed yet: the default pipeline's first stage
    probability = current.probability if current.probability is not None else (stage.probability if stage else None)
    weighted = current.value * probability // 100 if current.value is not None and probability is not None else None
    return {"stage": stage, "pipeline": stage.pipeline if stage else None, "probability": probability,
            "weighted": weighted, "priority": PRIORITIES.get(current.priority, current.priority)}


def _customer_page(customer_id: int, *, entry_form: EntryForm | None = None, comment_form=None,
                   comment_entry_id: int | None = None, messages=(), opp_form=None, task_form=None,
                   complete_form=None, complete_task_id: int | None = None, file_error: str | None = None):
    """The customer profile in one place: details, negotiations and their status, the
    opportunity, interactions (log and documents), tasks, and the panels other plugins add
    (`customer_panels`). After an htmx post the same page, of which the browser keeps
    `#customer-page` (with `messages` shown at its top)."""
    from plugins.crm.views.opportunities import opportunity_form
    from plugins.crm.views.tasks import TaskForm, actionable_ids, complete_forms
    customer = _load_customer(customer_id)
    negotiations = db.session.scalars(visible_negotiations(current_user, customer.id).options(
        joinedload(Negotiation.owner), joinedload(Negotiation.office))).all()
    ids = [n.id for n in negotiations] or [-1]
    changes, entries = {}, {}
    for change in db.session.scalars(select(StatusChange).where(StatusChange.negotiation_id.in_(ids))
                                     .options(joinedload(StatusChange.actor))
                                     .order_by(StatusChange.at, StatusChange.id)):
        changes.setdefault(change.negotiation_id, []).append(change)
    for entry in db.session.scalars(select(LogEntry).where(LogEntry.negotiation_id.in_(ids)).options(
            joinedload(LogEntry.author), selectinload(LogEntry.comments).joinedload(Comment.author),
            selectinload(LogEntry.attachments).joinedload(Attachment.uploaded_by))
            .order_by(LogEntry.date.desc(), LogEntry.id.desc())):
        entries.setdefault(entry.negotiation_id, []).append(entry)
    current = next((n for n in negotiations if n.id == customer.current_negotiation_id), None)
    acts = current is not None and can_act_on(current_user, current)
    if entry_form is None:
        entry_form = EntryForm(formdata=None)
        entry_form.date.data = today_tehran()
    may_log = bool(current and current.is_open and acts and can(current_user, "crm.log"))
    if opp_form is None:
        opp_form = opportunity_form(current)
    if task_form is None:
        task_form = TaskForm(formdata=None)
        task_form.fill_choices(current.owner_id if current else None)
    # Documents: those on the log entries shown here (a hidden negotiation's stay hidden).
    documents = [a for log in entries.values() for e in log for a in e.attachments]
    documents += db.session.scalars(select(Attachment).where(Attachment.customer_id == customer.id,
                                                             Attachment.log_entry_id.is_(None))
                                    .options(joinedload(Attachment.uploaded_by))).all()
    documents.sort(key=lambda a: (a.created_at, a.id), reverse=True)
    open_tasks = list(db.session.scalars(select(Task).where(Task.customer_id == customer.id, Task.status == "open")
                                         .options(joinedload(Task.assignee)).order_by(Task.due_at, Task.id)))
    closed_tasks = list(db.session.scalars(select(Task).where(Task.customer_id == customer.id, Task.status != "open")
                                           .options(joinedload(Task.assignee))
                                           .order_by(Task.done_at.desc().nulls_last(), Task.id.desc()).limit(5)))
    return render_template(
        "crm/customer.html", customer=customer, party=customer.party, negotiations=negotiations,
        changes=changes, entries=entries, current=current, now=utcnow(), today=today_tehran(),
        may_log=may_log, opp_form=opp_form, task_form=task_form, documents=documents,
        open_tasks=open_tasks, closed_tasks=closed_tasks, task_actionable=actionable_ids(current_user),
        complete_forms=complete_forms(open_tasks, complete_form, complete_task_id),
        may_task=may_log,
        panels=customer_panels(customer),
        opportunity=_opportunity_view(current), attachment_max_mb=settings.get("crm.attachment_max_mb"),
        file_error=file_error,
        may_status=bool(current and current.is_open and acts and can(current_user, "crm.status")),
        may_claim=bool(current and current.in_pool and can(current_user, "crm.free_pool")),
        may_comment=can(current_user, "crm.comment"),
        may_edit=_may_edit(current),
        may_reopen=bool(current and current.effective_status == "won" and can(current_user, "crm.register")),
        held_elsewhere=current is None and customer.current_negotiation_id is not None,
        entry_form=entry_form, comment_form=comment_form, comment_entry_id=comment_entry_id,
        messages=list(messages), status_form=StatusForm(formdata=None),
        audit_url=(url_for("crm.duplicate_audit", customer_id=customer.id)
                   if can(current_user, "crm.duplicates_audit") else None),
    )


@bp.route("/customers/<int:customer_id>")
@permission_required("crm.customers")
def customer(customer_id):
    if (kept_id := dup_review.kept_customer_id(customer_id)) is not None:  # merged into another
        return redirect(url_for("crm.customer", customer_id=kept_id))
    return _customer_page(customer_id)


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _visible_negotiation(negotiation_id: int) -> Negotiation:
    negotiation = db.session.scalar(select(Negotiation).where(
        Negotiation.id == negotiation_id, negotiation_filter(current_user)))
    if negotiation is None:
        abort(404)
    return negotiation


@bp.route("/negotiations/<int:negotiation_id>/entries", methods=["POST"])
@permission_required("crm.log")
def add_entry(negotiation_id):
    negotiation = _visible_negotiation(negotiation_id)
    customer_id = negotiation.customer_id
    form = EntryForm()
    messages, file_error = [], None
    if form.validate_on_submit():
        data = {"date": form.date.data, "kind": form.kind.data, "summary": form.summary.data,
                "next_contact": form.next_contact.data}
        try:
            # With a file (and always for kind «سند»): checked, logged and stored in one step.
            attachment_service.add_entry_with_file(negotiation_id, data, request.files.get("file"), current_user)
        except neg_service.NotFound:
            db.session.rollback()
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            file_error = exc.errors.pop("file", None)  # shown under the file input
            messages = [("danger", m) for m in apply_errors(form, exc)]
        else:
            if _htmx():
                return _customer_page(customer_id, messages=[("success", "مذاکره درج شد.")])
            flash("مذاکره درج شد.", "success")
            return redirect(url_for("crm.customer", customer_id=customer_id) + "#crm-negotiations")
    if not messages:
        messages = [("danger", "مذاکره درج نشد؛ موارد مشخص‌شده را درست کنید.")]
    return _customer_page(customer_id, entry_form=form, messages=messages, file_error=file_error)


@bp.route("/documents/<int:attachment_id>")
@permission_required("crm.customers")
def download_document(attachment_id):
    """A document of a customer's history, only to those who may see the customer and the
    negotiation it was logged on (404 for everyone else, as for an id that does not exist)."""
    import os

    from flask import send_file
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_see_customer(current_user, attachment.customer_id):
        abort(404)
    if attachment.log_entry_id is not None:
        entry = db.session.get(LogEntry, attachment.log_entry_id)
        visible = visible_negotiations(current_user, attachment.customer_id).where(
            Negotiation.id == entry.negotiation_id)
        if db.session.scalar(visible.with_only_columns(Negotiation.id)) is None:
            abort(404)
    path = attachment_service.path_of(attachment)
    if not os.path.exists(path):
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/entries/<int:entry_id>/comments", methods=["POST"])
@permission_required("crm.comment")
def add_comment(entry_id):
    entry = db.session.scalar(select(LogEntry).join(Negotiation, Negotiation.id == LogEntry.negotiation_id)
                              .where(LogEntry.id == entry_id, negotiation_filter(current_user)))
    if entry is None:
        abort(404)
    customer_id = entry.customer_id
    form = CommentForm()
    try:
        log_service.add_comment(entry_id, form.body.data, current_user)
    except neg_service.NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        loose = apply_errors(form, exc)
        return _customer_page(customer_id, comment_form=form, comment_entry_id=entry_id,
                              messages=[("danger", m) for m in loose])
    if _htmx():
        return _customer_page(customer_id, messages=[("success", "نظر شما ثبت شد و به کارشناس می‌رسد.")])
    flash("نظر شما ثبت شد و به کارشناس می‌رسد.", "success")
    return redirect(url_for("crm.customer", customer_id=customer_id) + f"#entry-{entry_id}")


@bp.route("/negotiations/<int:negotiation_id>/status/<new>")
@permission_required("crm.status")
def confirm_status(negotiation_id, new):
    """The confirmation step (a screen of its own; the customer page shows it as a modal)."""
    if new not in TRANSITION_LABELS:
        abort(404)
    negotiation = _visible_negotiation(negotiation_id)
    form = StatusForm(formdata=None, status=new, confirmed="1")
    return render_template("crm/confirm_status.html", negotiation=negotiation, new=new, form=form,
                           customer=negotiation.customer)


@bp.route("/negotiations/<int:negotiation_id>/status", methods=["POST"])
@permission_required("crm.status")
def change_status(negotiation_id):
    negotiation = _visible_negotiation(negotiation_id)
    customer_id = negotiation.customer_id
    new = request.form.get("status", "")
    try:
        neg_service.change_status(negotiation_id, new, current_user, request.form.get("reason", ""),
                                  confirmed=request.form.get("confirmed") == "1")
    except neg_service.NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash({"cut": "مذاکره قطع شد و مشتری به لیست آزاد رفت.",
               "suspended": "مذاکره معلق شد و مشتری در لیست آزاد است.",
               "won": "تبریک! مذاکره قطعی شد."}[new], "success")
    return redirect(url_for("crm.customer", customer_id=customer_id))


@bp.route("/customers/<int:customer_id>/claim", methods=["POST"])
@permission_required("crm.free_pool")
def claim(customer_id):
    if not can_see_customer(current_user, customer_id):
        abort(404)
    try:
        neg_service.claim(customer_id, current_user)
    except neg_service.NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        if not can_see_customer(current_user, customer_id):
            return redirect(url_for("crm.free_pool"))
    else:
        flash("این مشتری به شما منتسب شد و مذاکرهٔ تازهٔ شما آغاز شد.", "success")
    return redirect(url_for("crm.customer", customer_id=customer_id))

