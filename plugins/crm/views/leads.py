"""Lead screens: the three lists (office queue, mine, all I may see), a new lead with its duplicate
check, the lead page and its actions (take, assign, qualify, disqualify), the import wizard, and
the public web form an organisation embeds on its own site. Views parse input, call
`services.leads` / `services.lead_import`, render; the services decide."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from core.access import can, permission_required, public, scope_filter
from core.app import csrf
from core.audit import history
from core.db import db
from core.exports import export_response
from core.forms import FlaskForm, JalaliDateField, OptionalSelectField, apply_errors
from core.jalali import format_date, today_tehran, utcnow
from core.models.org import Office, User
from core.persian import to_ascii_digits, to_persian_digits
from core.phones import mask
from core.services.parties import KINDS
from core.validation import ValidationError
from core.views.helpers import paginate
from plugins.crm.models import (
    LEAD_CHANNELS,
    LEAD_STATUSES,
    NEED_LEVELS,
    PRIORITIES,
    Lead,
    ListItem,
)
from plugins.crm.services import customers as customer_service
from plugins.crm.services import lead_import
from plugins.crm.services import leads as lead_service
from plugins.crm.services.dup_audit import describe
from plugins.crm.services.negotiations import NotFound
from plugins.crm.services.visibility import can_see_customer
from plugins.crm.views import bp

# The public web form lives outside /crm: its own blueprint, no login, embedded in an <iframe>.
forms_bp = Blueprint("crm_forms", __name__, template_folder="../templates")

LEAD_ENDPOINTS = {"queue": "crm.leads_queue", "my": "crm.my_leads", "all": "crm.all_leads"}
LEAD_STATUS_COLOURS = {"new": "info", "assigned": "primary", "qualified": "success", "disqualified": "secondary"}
NEED_COLOURS = {"low": "secondary", "medium": "warning", "high": "danger"}
HISTORY_FIELDS = {"status": "وضعیت", "owner_id": "مسئول", "need_level": "سطح نیاز", "score": "امتیاز",
                  "category_id": "دسته‌بندی", "channel": "کانال", "name": "نام", "organisation": "سازمان",
                  "mobile": "تلفن همراه", "phone": "تلفن", "email": "ایمیل", "city": "شهر", "notes": "یادداشت",
                  "disqualify_reason_id": "دلیل رد صلاحیت", "disqualify_note": "توضیح رد صلاحیت",
                  "customer_id": "مشتری", "qualified_at": "زمان تبدیل"}
HONEYPOT = "website"  # a field people never see; bots fill every field they find


def lead_phone(e164: str | None) -> str:
    """A lead's number as this site shows it (masked when contacts are masked)."""
    from plugins.crm.views.customers import phone_text
    return to_persian_digits(phone_text(e164)) if e164 else ""


@bp.context_processor
def _lead_helpers():
    return dict(lead_phone=lead_phone, LEAD_STATUSES=LEAD_STATUSES, LEAD_CHANNELS=LEAD_CHANNELS, NEED_LEVELS=NEED_LEVELS,
                LEAD_STATUS_COLOURS=LEAD_STATUS_COLOURS, NEED_COLOURS=NEED_COLOURS, LEAD_ENDPOINTS=LEAD_ENDPOINTS,
                LEAD_LISTS=lead_service.LISTS, PRIORITIES=PRIORITIES)


# --- forms (they only parse; the services validate and answer in Persian) -----------------------

_LTR = {"dir": "ltr", "inputmode": "tel", "autocomplete": "off"}


class LeadForm(FlaskForm):
    kind = SelectField("نوع", choices=list(KINDS), default="person", validate_choice=False)
    name = StringField("نام شخص یا سازمان", render_kw={"autocomplete": "off"})
    organisation = StringField("سازمان")
    mobile = StringField("تلفن همراه", render_kw={**_LTR, "placeholder": "۰۹۱۲ ۱۲۳ ۴۵۶۷"})
    phone = StringField("تلفن ثابت", render_kw={**_LTR, "placeholder": "۰۲۱ ۸۸۷۷ ۶۶۵۵"})
    email = StringField("ایمیل", render_kw={"dir": "ltr", "inputmode": "email"})
    city = StringField("شهر")
    channel = SelectField("کانال ورود", choices=[(c, LEAD_CHANNELS[c]) for c in lead_service.MANUAL_CHANNELS],
                          default="manual", validate_choice=False)
    need_level = SelectField("سطح نیاز", choices=list(NEED_LEVELS.items()), default="medium", validate_choice=False)
    score = StringField("امتیاز (۰ تا ۱۰۰)", render_kw={"dir": "ltr", "inputmode": "numeric", "placeholder": "۰"})
    category_id = OptionalSelectField("دسته‌بندی")
    owner_id = OptionalSelectField("مسئول")
    notes = TextAreaField("یادداشت", render_kw={"rows": 3})
    confirmed = HiddenField()

    def fill_choices(self) -> None:
        categories = db.session.scalars(select(ListItem).where(ListItem.kind == "category", ListItem.active.is_(True))
                                        .order_by(ListItem.name))
        self.category_id.choices = [(None, "—")] + [(c.id, c.name) for c in categories]
        self.owner_id.choices = [(None, "— در صف دفتر بماند")] + [
            (u.id, u.full_name + (" (خودم)" if u.id == current_user.id else ""))
            for u in lead_service.assignable_users(current_user)]

    def service_data(self) -> dict:
        return {k: self[k].data for k in ("kind", "name", "organisation", "mobile", "phone", "email", "city",
                                          "channel", "need_level", "score", "category_id", "owner_id", "notes")}


class QualifyForm(FlaskForm):
    value = StringField("ارزش احتمالی (ریال)", render_kw={"dir": "ltr", "inputmode": "numeric",
                                                           "placeholder": "۲۵۰٬۰۰۰٬۰۰۰"})
    forecast_close = JalaliDateField("پیش‌بینی بسته شدن")
    need_details = TextAreaField("جزئیات نیاز مشتری", render_kw={"rows": 2})
    priority = SelectField("اولویت", choices=list(PRIORITIES.items()), default="normal", validate_choice=False)
    customer_id = HiddenField()
    confirmed_not_duplicate = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An example a month ahead, not the field's generic date from another year.
        example = format_date(today_tehran() + dt.timedelta(days=30))
        self.forecast_close.render_kw = {**self.forecast_close.render_kw, "placeholder": example}

    def opportunity(self) -> dict:
        return {"value": self.value.data, "forecast_close": self.forecast_close.data,
                "need_details": self.need_details.data, "priority": self.priority.data}


class DisqualifyForm(FlaskForm):
    reason_id = OptionalSelectField("دلیل")
    note = TextAreaField("توضیح (اختیاری)", render_kw={"rows": 2, "maxlength": 400})

    def fill_choices(self) -> None:
        reasons = db.session.scalars(select(ListItem).where(ListItem.kind == "disqualify", ListItem.active.is_(True))
                                     .order_by(ListItem.name))
        self.reason_id.choices = [(None, "— دلیل را انتخاب کنید")] + [(r.id, r.name) for r in reasons]


class LeadFilterForm(FlaskForm):
    """The created-date range of the lists, typed in Jalali (a GET form: changes nothing)."""
    class Meta:
        csrf = False

    start = JalaliDateField("ثبت از")
    end = JalaliDateField("ثبت تا")


def _int(value) -> int | None:
    text = to_ascii_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


# --- the three lists ---------------------------------------------------------------------------

def _filters(which: str) -> tuple[dict, LeadFilterForm]:
    args = request.args
    dates = LeadFilterForm(formdata=args)
    start = end = None
    if dates.validate():
        start, end = dates.start.data, dates.end.data
        if start and end and end < start:
            dates.end.errors = ["تاریخ پایان نمی‌تواند پیش از تاریخ شروع باشد."]
            start = end = None
    for field in dates:  # what was typed comes back in Persian digits, like everything else
        if field.raw_data:
            field.raw_data = [to_persian_digits(v) for v in field.raw_data]
    filters = dict(q=args.get("q", "").strip()[:200], status=args.get("status", ""), channel=args.get("channel", ""),
                   need_level=args.get("need", ""), owner_id=_int(args.get("owner")),
                   category_id=_int(args.get("category")), created_from=start, created_to=end,
                   sort=args.get("sort", "-created"))
    if which != "all":
        filters["owner_id"] = None
    return filters, dates


def _lead_list(which: str):
    filters, dates = _filters(which)
    page = paginate(lead_service.lead_list(current_user, which, **filters))
    owners = []
    if which == "all":
        owners = db.session.scalars(select(User).where(scope_filter(current_user, "crm", User.id, User.office_id))
                                    .order_by(User.last_name, User.first_name)).all()
    categories = db.session.scalars(select(ListItem).where(ListItem.kind == "category")
                                    .order_by(ListItem.active.desc(), ListItem.name)).all()
    offices = []
    if which == "queue" and can(current_user, "core.settings"):
        offices = db.session.scalars(select(Office).where(Office.active.is_(True)).order_by(Office.name)).all()
    return render_template("crm/leads/list.html", which=which, title=lead_service.LISTS[which], page=page,
                           filters=filters, dates=dates, sort=filters["sort"], owners=owners, categories=categories,
                           embed_offices=offices, date_hint="سال/ماه/روز", queue_count=_queue_count() if which != "queue" else page.total)


def _queue_count() -> int:
    from sqlalchemy import func
    stmt = lead_service.lead_list(current_user, "queue")
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


@bp.route("/leads/queue")
@permission_required("crm.leads")
def leads_queue():
    return _lead_list("queue")


@bp.route("/leads/my")
@permission_required("crm.leads")
def my_leads():
    return _lead_list("my")


@bp.route("/leads")
@permission_required("crm.leads")
def all_leads():
    return _lead_list("all")


# --- a new lead ----------------------------------------------------------------------------------

def _lead_matches(found: dict) -> tuple[list[dict], list[dict]]:
    """What a user may see of the duplicates: customers masked (`dup_audit.describe`), open leads
    with masked phones and a link only when the user may open them."""
    customers = describe(found["customers"], current_user)
    for match in customers:
        match["visible"] = can_see_customer(current_user, match["customer_id"])
    visible_ids = set(db.session.scalars(lead_service.visible(current_user).where(
        Lead.id.in_([lead.id for lead in found["leads"]] or [-1])).with_only_columns(Lead.id)))
    leads = [{"id": lead.id, "name": lead.name, "organisation": lead.organisation, "city": lead.city,
              "phones": [mask(p) for p in (lead.mobile_e164, lead.phone_e164) if p],
              "owner": lead.owner.full_name if lead.owner else "", "office": lead.office.name if lead.office else "",
              "status": lead.status, "created_at": lead.created_at, "visible": lead.id in visible_ids}
             for lead in found["leads"]]
    return customers, leads


@bp.route("/leads/new", methods=["GET", "POST"])
@permission_required("crm.leads")
def new_lead():
    form = LeadForm()
    form.fill_choices()
    if request.method == "GET":
        form.owner_id.data = current_user.id  # typed in by a rep: usually theirs to follow up
    matches = None
    if form.validate_on_submit():
        data = form.service_data()
        area = current_user.office.area_code if current_user.office else None
        values, errors = lead_service.clean(data, area)
        if data["channel"] not in lead_service.MANUAL_CHANNELS:  # web form, import, API: set by those
            errors.setdefault("channel", "کانال ورود را از فهرست انتخاب کنید.")
        if errors:
            for message in apply_errors(form, ValidationError(errors)):
                flash(message, "danger")
        else:
            found = lead_service.lead_duplicates(values)
            if (found["customers"] or found["leads"]) and form.confirmed.data != "1":
                matches = _lead_matches(found)
            else:
                try:
                    lead = lead_service.create(data, current_user)
                except ValidationError as exc:
                    db.session.rollback()
                    for message in apply_errors(form, exc):
                        flash(message, "danger")
                else:
                    flash(f"سرنخ «{lead.name}» ثبت شد.", "success")
                    return redirect(url_for("crm.lead", lead_id=lead.id))
    elif form.errors:
        flash("برخی از مقادیر فرم معتبر نیستند؛ موارد مشخص‌شده را درست کنید.", "danger")
    form.confirmed.data = ""  # "save anyway" is answered once, for the matches on screen
    return render_template("crm/leads/new.html", form=form, matches=matches)


# --- the lead page and its actions -------------------------------------------------------------

def _load_lead(lead_id: int) -> Lead:
    try:
        return lead_service.get_visible(lead_id, current_user)
    except NotFound:
        abort(404)


def _history(lead: Lead, created_by: User | None = None) -> list[dict]:
    """The audit trail in words: who, when, which field from what to what. A lead stored outside
    a request (a job, the CLI) is attributed to whoever the lead names as its creator."""
    entries = history("crm_leads", lead.id)
    user_ids, item_ids = set(), set()
    for e in entries:
        for field, (old, new) in e.changes.items():
            if field == "owner_id":
                user_ids.update(v for v in (old, new) if v)
            elif field in ("category_id", "disqualify_reason_id"):
                item_ids.update(v for v in (old, new) if v)
    users = {u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_(user_ids or [-1])))}
    items = {i.id: i.name for i in db.session.scalars(select(ListItem).where(ListItem.id.in_(item_ids or [-1])))}
    labels = {"status": LEAD_STATUSES, "channel": LEAD_CHANNELS, "need_level": NEED_LEVELS}

    def show(field, value):
        if value in (None, ""):
            return None
        if field == "owner_id":
            return users.get(value, f"#{value}")
        if field in ("category_id", "disqualify_reason_id"):
            return items.get(value, f"#{value}")
        if field in labels:
            return labels[field].get(value, value)
        if field == "customer_id":
            return f"#{value}"
        return value

    out = []
    for e in entries:
        if e.action == "insert":
            changes = []
            summary = "ثبت سرنخ از «" + LEAD_CHANNELS.get(e.changes.get("channel", [None, ""])[1], "—") + "»"
        else:
            summary = {"update": "ویرایش", "delete": "حذف"}.get(e.action, e.action)
            changes = [(HISTORY_FIELDS[f], show(f, old), show(f, new)) for f, (old, new) in e.changes.items()
                       if f in HISTORY_FIELDS]
            if not changes:
                continue
        user = e.user.full_name if e.user else None
        if user is None and e.action == "insert" and created_by is not None:
            user = created_by.full_name
        out.append({"at": e.at, "user": user, "summary": summary,
                    "changes": changes})
    return out


def _lead_page(lead: Lead, *, qualify_form: QualifyForm | None = None, disqualify_form: DisqualifyForm | None = None,
               status: int = 200, open_qualify: bool = False):
    is_open = lead.status in lead_service.OPEN
    customers, other_leads = _lead_matches(lead_service.duplicates_of(lead)) if is_open else ([], [])
    manages = lead_service.may_manage(lead, current_user)
    assignees = lead_service.assignable_users(current_user, lead) if is_open and (lead.owner_id is None or manages) else []
    if disqualify_form is None:
        disqualify_form = DisqualifyForm(formdata=None)
    disqualify_form.fill_choices()
    owner_ok = lead.owner_id is None or manages
    created_by = db.session.get(User, lead.created_by_id) if lead.created_by_id else None
    return render_template(
        "crm/leads/lead.html", lead=lead, is_open=is_open, customers=customers, other_leads=other_leads,
        history=_history(lead, created_by), assignees=assignees if any(u.id != current_user.id for u in assignees) else [],
        may_take=is_open and lead.owner_id is None,
        may_qualify=is_open and owner_ok and can(current_user, "crm.register"),
        may_disqualify=is_open and owner_ok,
        mergeable=[m for m in customers if m["in_pool"] or m["status"] == "won"],
        qualify_form=qualify_form or QualifyForm(formdata=None), disqualify_form=disqualify_form,
        open_qualify=open_qualify or bool(qualify_form and qualify_form.errors),
        customer_visible=bool(lead.customer_id and can_see_customer(current_user, lead.customer_id)),
        created_by=created_by,
        now=utcnow()), status


@bp.route("/leads/<int:lead_id>")
@permission_required("crm.leads")
def lead(lead_id):
    return _lead_page(_load_lead(lead_id))


def _back(lead_id: int):
    return redirect(url_for("crm.lead", lead_id=lead_id))


@bp.route("/leads/<int:lead_id>/take", methods=["POST"])
@permission_required("crm.leads")
def take_lead(lead_id):
    _load_lead(lead_id)
    try:
        lead_service.assign(lead_id, current_user.id, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        if request.form.get("next") == "queue":
            return redirect(url_for("crm.leads_queue"))
    else:
        flash("این سرنخ را برداشتید؛ اکنون در «سرنخ‌های من» است.", "success")
    return _back(lead_id)


@bp.route("/leads/<int:lead_id>/assign", methods=["POST"])
@permission_required("crm.leads")
def assign_lead(lead_id):
    _load_lead(lead_id)
    user_id = _int(request.form.get("user_id"))
    if user_id is None:
        flash("کارشناسی را برای واگذاری انتخاب کنید.", "danger")
        return _back(lead_id)
    try:
        lead = lead_service.assign(lead_id, user_id, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(f"سرنخ به {lead.owner.full_name} واگذار شد.", "success")
    return _back(lead_id)


@bp.route("/leads/<int:lead_id>/qualify", methods=["POST"])
@permission_required("crm.leads")
def qualify_lead(lead_id):
    """Into an opportunity: a new customer (confirmed when duplicates exist) or, with
    `customer_id`, onto a matching customer in the free pool or one whose deal was won."""
    if not can(current_user, "crm.register"):
        abort(403)
    lead = _load_lead(lead_id)
    form = QualifyForm()
    if not form.validate_on_submit():
        return _lead_page(lead, qualify_form=form, status=422)
    customer_id = _int(form.customer_id.data) if form.customer_id.data else None
    if form.customer_id.data and customer_id is None:
        abort(404)
    try:
        negotiation = lead_service.qualify(lead_id, current_user, customer_id=customer_id,
                                           confirmed_not_duplicate=form.confirmed_not_duplicate.data == "1",
                                           opportunity=form.opportunity())
    except NotFound:
        db.session.rollback()
        abort(404)
    except customer_service.DuplicateWarning:
        db.session.rollback()
        flash("مشتری مشابهی پیدا شد. موارد مشابه را ببینید و یا با مشتری موجود ادغام کنید، "
              "یا تأیید کنید که مشتری تازه است.", "warning")
        return _lead_page(_load_lead(lead_id), qualify_form=form, status=409, open_qualify=True)
    except ValidationError as exc:
        db.session.rollback()
        for message in apply_errors(form, exc):
            flash(message, "danger")
        return _lead_page(_load_lead(lead_id), qualify_form=form, status=422, open_qualify=True)
    flash("سرنخ به فرصت فروش تبدیل شد و مذاکره آغاز شد.", "success")
    return redirect(url_for("crm.customer", customer_id=negotiation.customer_id))


@bp.route("/leads/<int:lead_id>/disqualify", methods=["POST"])
@permission_required("crm.leads")
def disqualify_lead(lead_id):
    lead = _load_lead(lead_id)
    form = DisqualifyForm()
    form.fill_choices()
    try:
        lead_service.disqualify(lead_id, form.reason_id.data if form.validate_on_submit() else None,
                                form.note.data or "", current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        loose = apply_errors(form, exc)
        if exc.errors.keys() <= {"reason_id", "note"} and not loose:
            return _lead_page(_load_lead(lead.id), disqualify_form=form, status=422)
        flash(str(exc), "danger")
        return _back(lead_id)
    flash("سرنخ رد صلاحیت شد.", "success")
    return _back(lead_id)


# --- the import wizard: upload → columns → preview → import → report -----------------------------

def _job(job_id: int):
    try:
        return lead_import.get_job(job_id, current_user)
    except NotFound:
        abort(404)


@bp.route("/leads/import", methods=["GET", "POST"])
@permission_required("crm.leads_import")
def import_upload():
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        storage = request.files.get("file")
        if storage is None or not storage.filename:
            error = "فایلی انتخاب نشده است."
        else:
            try:
                job = lead_import.upload(storage, current_user)
            except ValidationError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                return redirect(url_for("crm.import_mapping", job_id=job.id))
    recent = db.session.scalars(select(lead_import.LeadImport).where(lead_import.LeadImport.user_id == current_user.id)
                                .order_by(lead_import.LeadImport.id.desc()).limit(10)).all()
    return render_template("crm/leads/import_upload.html", error=error, recent=recent, step=1,
                           fields=lead_import.FIELDS), 422 if error else 200


@bp.route("/leads/import/<int:job_id>/mapping", methods=["GET", "POST"])
@permission_required("crm.leads_import")
def import_mapping(job_id):
    job = _job(job_id)
    if job.status == "imported":
        return redirect(url_for("crm.import_report", job_id=job.id))
    header, rows = lead_import.sample(job)
    mapping = job.mapping or lead_import.guess_mapping(header)
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        mapping = {field: request.form.get(f"map-{field}", "") for field in lead_import.FIELDS}
        try:
            lead_import.save_mapping(job, mapping)
        except ValidationError as exc:
            db.session.rollback()
            error = str(exc)
            mapping = {f: _int(c) for f, c in mapping.items() if _int(c) is not None}
        else:
            return redirect(url_for("crm.import_preview", job_id=job.id))
    return render_template("crm/leads/import_mapping.html", job=job, header=header, rows=rows, mapping=mapping,
                           fields=lead_import.FIELDS, required=lead_import.REQUIRED, error=error,
                           step=2), 422 if error else 200


@bp.route("/leads/import/<int:job_id>/preview")
@permission_required("crm.leads_import")
def import_preview(job_id):
    job = _job(job_id)
    if job.status == "imported":
        return redirect(url_for("crm.import_report", job_id=job.id))
    if not job.mapping:
        return redirect(url_for("crm.import_mapping", job_id=job.id))
    try:
        results = lead_import.evaluate(job, job.mapping, current_user)
    except ValidationError as exc:  # the stored mapping no longer fits the file
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("crm.import_mapping", job_id=job.id))
    valid = sum(1 for r in results if not r["errors"])
    _header, cells = lead_import.sample(job, 20)  # the first rows as typed, in the results' order
    fields = [f for f in lead_import.FIELDS if f in job.mapping]
    rows = [{**r, "cells": {f: row[job.mapping[f]] for f in fields}} for r, row in zip(results[:20], cells)]
    return render_template("crm/leads/import_preview.html", job=job, rows=rows, total=len(results),
                           valid=valid, invalid=len(results) - valid, fields=fields, labels=lead_import.FIELDS,
                           step=3)


@bp.route("/leads/import/<int:job_id>/run", methods=["POST"])
@permission_required("crm.leads_import")
def import_run(job_id):
    job = _job(job_id)
    if not job.mapping:
        return redirect(url_for("crm.import_mapping", job_id=job.id))
    try:
        lead_import.run(job.id, job.mapping, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        job = _job(job_id)
        if job.status != "imported":
            return redirect(url_for("crm.import_mapping", job_id=job.id))
    return redirect(url_for("crm.import_report", job_id=job_id))


@bp.route("/leads/import/<int:job_id>")
@permission_required("crm.leads_import")
def import_report(job_id):
    job = _job(job_id)
    if job.status != "imported":
        return redirect(url_for("crm.import_mapping", job_id=job.id))
    errors = job.errors or []
    return render_template("crm/leads/import_report.html", job=job, errors=errors[:500], left_out=len(errors),
                           labels=lead_import.FIELDS, step=4)


@bp.route("/leads/import/<int:job_id>/rejected.csv")
@permission_required("crm.leads_import")
def import_rejected(job_id):
    job = _job(job_id)
    if job.status != "imported":
        abort(404)
    header, rows = lead_import.rejected_rows(job)
    columns = [(title, (lambda i: lambda row: row[i])(i)) for i, title in enumerate(header)]
    return export_response(f"leads-import-{job.id}-left-out", columns, rows, "csv")


# --- the public web form ------------------------------------------------------------------------

@forms_bp.route("/forms/lead/<int:office_id>", methods=["GET", "POST"])
@public  # visitors of the organisation's own website: no account, no session privileges
def web_form(office_id):
    """A small page an organisation embeds with an <iframe>. Its leads wait in the office's
    queue. Spam: a honeypot field (filled → thanked, nothing stored) and a limit per address
    and hour counted in the database (`crm.web_form_per_hour`)."""
    try:
        office = lead_service.web_form_office(office_id)
    except NotFound:
        abort(404)
    errors, values = {}, {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in lead_service.WEB_FORM_FIELDS}
        if request.form.get(HONEYPOT):
            return _framable(render_template("crm/leads/web_form.html", office=office, done=True))
        try:
            lead_service.capture_web_form(office.id, request.form, request.remote_addr or "")
        except lead_service.RateLimited:
            db.session.rollback()
            return _framable(render_template("crm/leads/web_form.html", office=office, too_many=True), 429)
        except ValidationError as exc:
            db.session.rollback()
            errors = {("message" if k == "notes" else k): v for k, v in exc.errors.items()}
        else:
            return _framable(render_template("crm/leads/web_form.html", office=office, done=True))
    return _framable(render_template("crm/leads/web_form.html", office=office, errors=errors, values=values,
                                     honeypot=HONEYPOT), 422 if errors else 200)


# Embedded on other sites and posted without a session: there is no session privilege to protect
# and a CSRF token could not be fetched across sites, so this one endpoint is exempt.
csrf.exempt(web_form)


def _framable(body, status: int = 200):
    """The form is meant to be framed by the organisation's site: no X-Frame-Options."""
    from flask import make_response
    response = make_response(body, status)
    response.headers.pop("X-Frame-Options", None)
    return response
