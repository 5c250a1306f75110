"""Opportunities (فرصت فروش): the pipelines admin, the list and the kanban board of a pipeline,
moving a card between stages (buttons without JS, drag and drop with it), and the opportunity
form of the customer page. The services (`services.pipeline`) decide; these views parse, call,
render."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from core.access import can, permission_required, scope_of, subordinate_ids
from core.db import db
from core.exports import FORMATS, export_response
from core.forms import FlaskForm, apply_errors
from core.jalali import format_date, today_tehran
from core.models.org import User
from core.persian import to_ascii_digits
from core.ui import money, number
from core.validation import ValidationError
from core.views.helpers import get_or_404
from plugins.crm.models import PRIORITIES, STAGE_FIELDS, Negotiation, Pipeline, Stage
from plugins.crm.services import pipeline as pipeline_service
from plugins.crm.services import reports as report_service
from plugins.crm.services.negotiations import NotFound
from plugins.crm.views import bp

PRIORITY_COLOURS = {"high": "danger", "normal": "secondary", "low": "light"}
SORT_LABELS = {"value": "ارزش", "weighted": "ارزش وزنی", "probability": "احتمال", "forecast": "پیش‌بینی بسته شدن",
               "customer": "مشتری", "owner": "کارشناس", "stage": "مرحله", "priority": "اولویت"}
MAX_STAGES = 30


@bp.context_processor
def _opportunity_helpers():
    return dict(PRIORITIES=PRIORITIES, PRIORITY_COLOURS=PRIORITY_COLOURS, STAGE_FIELDS=STAGE_FIELDS)


def _int(value) -> int | None:
    text = to_ascii_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(default: str) -> str:
    """A `next` path on this site (never another host)."""
    target = request.form.get("next") or request.args.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _pipelines() -> list[Pipeline]:
    return list(db.session.scalars(select(Pipeline).where(Pipeline.active.is_(True))
                                   .order_by(Pipeline.is_default.desc(), Pipeline.name)))


def _chosen_pipeline(pipeline_id: int | None = None) -> Pipeline:
    """The pipeline asked for (`?pipeline=`), or the default one, created the first time."""
    pipeline_id = pipeline_id or _int(request.values.get("pipeline"))
    if pipeline_id:
        pipeline = db.session.get(Pipeline, pipeline_id)
        if pipeline is None or not pipeline.active:
            abort(404)
        return pipeline
    pipeline = pipeline_service.default_pipeline()
    if pipeline is None:
        pipeline = pipeline_service.ensure_default()
        db.session.commit()
    return pipeline


def _acting_ids() -> tuple[bool, set[int]]:
    """Whose cards this user may move (the rule of `visibility.can_act_on`, computed once for a
    whole board instead of once per card)."""
    if not can(current_user, "crm.log"):
        return False, set()
    if scope_of(current_user, "crm") == "all":
        return True, set()
    return False, {current_user.id, *subordinate_ids(current_user.id)}


def _owner_choices() -> list[User]:
    return report_service.visible_users(current_user)


# --- the kanban board -----------------------------------------------------------------------------

def _board_filters() -> dict:
    return dict(q=request.values.get("q", "").strip()[:200], owner_id=_int(request.values.get("owner")))


def _board_page(pipeline: Pipeline, messages=()):
    filters = _board_filters()
    columns = pipeline_service.board(pipeline, current_user, q=filters["q"], owner_id=filters["owner_id"])
    owner_ids = {row.Negotiation.owner_id for col in columns for row in col["cards"]}
    if owner_ids:  # one query for every card's owner (then found in the session, not per card)
        db.session.scalars(select(User).where(User.id.in_(owner_ids))).all()
    all_scope, ids = _acting_ids()
    stages = list(pipeline.stages)
    neighbours = {s.id: (stages[i - 1] if i > 0 else None, stages[i + 1] if i + 1 < len(stages) else None)
                  for i, s in enumerate(stages)}
    return render_template(
        "crm/opportunities/board.html", pipeline=pipeline, pipelines=_pipelines(), columns=columns,
        neighbours=neighbours, filters=filters, owners=_owner_choices(), messages=list(messages),
        movable=lambda n: all_scope or n.owner_id in ids, may_status=can(current_user, "crm.status"),
        today=today_tehran(),
        total_count=sum(c["count"] for c in columns), total_value=sum(c["total"] for c in columns),
        board_url=url_for("crm.board", pipeline=pipeline.id, q=filters["q"] or None,
                          owner=filters["owner_id"] or None))


@bp.route("/opportunities/board")
@permission_required("crm.customers")
def board():
    return _board_page(_chosen_pipeline())


@bp.route("/opportunities/<int:negotiation_id>/move", methods=["POST"])
@permission_required("crm.log")
def move_opportunity(negotiation_id):
    """Move a card to `stage_id` (a ←/→ button, or a drop on a column). A refusal shows the
    service's message and the card stays where it was."""
    stage_id = _int(request.form.get("stage_id"))
    stage = db.session.get(Stage, stage_id) if stage_id else None
    try:
        if stage is None:
            raise ValidationError("مرحلهٔ انتخاب‌شده وجود ندارد.")
        negotiation = pipeline_service.move(negotiation_id, stage.id, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        message = ("danger", str(exc), None)
        held = db.session.get(Negotiation, negotiation_id)
        if held is not None and stage is not None and pipeline_service.missing_fields(held, stage):
            # Refused for an empty required field: offer where to fill it in.
            message = ("danger", str(exc), url_for("crm.customer", customer_id=held.customer_id) + "#opportunity")
    else:
        message = ("success", f"«{negotiation.customer.party.name}» به مرحلهٔ «{negotiation.stage.name}» رفت.", None)
    if _htmx():
        pipeline = _chosen_pipeline(stage.pipeline_id if stage is not None else None)
        return _board_page(pipeline, messages=[message])
    flash(message[1], message[0])
    default = url_for("crm.board", pipeline=stage.pipeline_id) if stage is not None else url_for("crm.board")
    return redirect(_safe_next(default))


# --- the list -------------------------------------------------------------------------------------

def _list_filters() -> dict:
    args = request.args
    priority = args.get("priority", "")
    sort = args.get("sort", "-value")
    if sort.lstrip("-") not in pipeline_service.OPPORTUNITY_SORTS:
        sort = "-value"
    return dict(q=args.get("q", "").strip()[:200], owner_id=_int(args.get("owner")),
                stage_id=_int(args.get("stage")), priority=priority if priority in PRIORITIES else "", sort=sort)


def _export(stmt, pipeline: Pipeline, fmt: str):
    rows = db.session.execute(stmt).unique().all()
    columns = [
        ("شناسه مذاکره", lambda r: r.Negotiation.id),
        ("مشتری", lambda r: r.Party.name),
        ("کارشناس", lambda r: r.Negotiation.owner.full_name),
        ("مرحله", lambda r: r.Stage.name),
        ("ارزش احتمالی (ریال)", lambda r: r.Negotiation.value),
        ("احتمال (٪)", lambda r: r.effective_probability),
        ("ارزش وزنی (ریال)", lambda r: r.weighted),
        ("پیش‌بینی بسته شدن", lambda r: r.Negotiation.forecast_close),
        ("اولویت", lambda r: PRIORITIES.get(r.Negotiation.priority, "")),
        ("جزئیات نیاز", lambda r: r.Negotiation.need_details),
    ]
    return export_response(f"opportunities-{pipeline.id}", columns, rows, fmt)


@bp.route("/opportunities")
@permission_required("crm.customers")
def opportunities():
    from plugins.crm.views.reports import paginate_rows
    pipeline = _chosen_pipeline()
    filters = _list_filters()
    stmt = pipeline_service.opportunities(current_user, pipeline, **filters)
    fmt = request.args.get("export")
    if fmt:
        if not can(current_user, "crm.export"):
            abort(403)
        return _export(stmt, pipeline, fmt if fmt in FORMATS else "csv")
    return render_template("crm/opportunities/list.html", pipeline=pipeline, pipelines=_pipelines(),
                           page=paginate_rows(stmt), totals=pipeline_service.opportunity_totals(stmt),
                           filters=filters, sort=filters["sort"], owners=_owner_choices(), today=today_tehran())


# --- the opportunity form on the customer page ----------------------------------------------------

class OpportunityForm(FlaskForm):
    value = StringField("ارزش احتمالی (ریال)", render_kw={"dir": "ltr", "inputmode": "numeric", "autocomplete": "off",
                                                         "placeholder": "۴۵٬۰۰۰٬۰۰۰٬۰۰۰"})
    probability = StringField("احتمال (٪)", render_kw={"dir": "ltr", "inputmode": "numeric", "autocomplete": "off"})
    # Text, parsed by the service, so a wrong date is reported with the other fields' errors.
    forecast_close = StringField("تاریخ پیش‌بینی بسته شدن", render_kw={"data-jdp": "", "dir": "ltr", "autocomplete": "off",
                                                                     "placeholder": "۱۴۰۴/۰۶/۳۱"})
    priority = SelectField("اولویت", choices=list(PRIORITIES.items()), default="normal", validate_choice=False)
    stage_id = SelectField("مرحله", choices=[], validate_choice=False)
    need_details = TextAreaField("جزئیات نیاز", render_kw={"rows": 3})

    def fill_choices(self, negotiation: Negotiation | None = None) -> None:
        """Stages of every active pipeline, grouped by pipeline when there are several."""
        pipelines = _pipelines()
        groups = {p.name: [(str(s.id), f"{s.name} ({number(s.probability)}٪)") for s in p.stages] for p in pipelines}
        if len(groups) == 1:
            self.stage_id.choices = next(iter(groups.values()))
        else:
            self.stage_id.choices = groups

    def load(self, negotiation: Negotiation) -> None:
        self.value.data = money(negotiation.value, "") if negotiation.value is not None else ""
        self.probability.data = number(negotiation.probability) if negotiation.probability is not None else ""
        self.forecast_close.data = format_date(negotiation.forecast_close) if negotiation.forecast_close else ""
        self.priority.data = negotiation.priority or "normal"
        stage_id = negotiation.stage_id or pipeline_service.first_stage_id()
        self.stage_id.data = str(stage_id) if stage_id else ""
        self.need_details.data = negotiation.need_details or ""

    def service_data(self) -> dict:
        return {"value": self.value.data, "probability": self.probability.data,
                "forecast_close": self.forecast_close.data, "priority": self.priority.data,
                "stage_id": self.stage_id.data, "need_details": self.need_details.data}


def opportunity_form(negotiation: Negotiation | None) -> OpportunityForm:
    """The form as the customer page first shows it (filled from the negotiation)."""
    form = OpportunityForm(formdata=None)
    form.fill_choices()
    if negotiation is not None:
        form.load(negotiation)
    return form


@bp.route("/negotiations/<int:negotiation_id>/opportunity", methods=["POST"])
@permission_required("crm.log")
def save_opportunity(negotiation_id):
    from plugins.crm.views.customers import _customer_page, _visible_negotiation
    negotiation = _visible_negotiation(negotiation_id)
    customer_id = negotiation.customer_id
    form = OpportunityForm()
    form.fill_choices()
    messages = []
    if form.validate_on_submit():
        try:
            pipeline_service.save_opportunity(negotiation_id, form.service_data(), current_user)
        except NotFound:
            db.session.rollback()
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            messages = [("danger", m) for m in apply_errors(form, exc)]
        else:
            if _htmx():
                return _customer_page(customer_id, messages=[("success", "فرصت فروش ذخیره شد.")])
            flash("فرصت فروش ذخیره شد.", "success")
            return redirect(url_for("crm.customer", customer_id=customer_id) + "#opportunity")
    if not messages:
        messages = [("danger", "فرصت فروش ذخیره نشد؛ موارد مشخص‌شده را درست کنید.")]
    return _customer_page(customer_id, opp_form=form, messages=messages)


# --- pipelines admin ------------------------------------------------------------------------------

class PipelineForm(FlaskForm):
    name = StringField("نام قیف")
    is_default = BooleanField("قیف پیش‌فرض (فرصت‌های تازه در نخستین مرحلهٔ آن قرار می‌گیرند)")


def _posted_stages() -> list[dict]:
    """The stage rows as posted: `stages-<i>-id|name|probability|required` (the last repeated)."""
    rows = []
    for i in range(MAX_STAGES * 2):
        prefix = f"stages-{i}-"
        if prefix + "name" not in request.form:
            continue
        rows.append({"id": _int(request.form.get(prefix + "id")),
                     "name": request.form.get(prefix + "name", "").strip(),
                     "probability": to_ascii_digits(request.form.get(prefix + "probability", "")).strip(),
                     "required_fields": [f for f in request.form.getlist(prefix + "required") if f in STAGE_FIELDS]})
    return rows


def _stage_rows(pipeline: Pipeline | None) -> list[dict]:
    if pipeline is None:
        return [{"id": None, "name": n, "probability": str(p), "required_fields": list(r)}
                for n, p, r in pipeline_service.DEFAULT_STAGES[:3]]
    return [{"id": s.id, "name": s.name, "probability": str(s.probability), "required_fields": list(s.required_fields or [])}
            for s in pipeline.stages]


def _stage_counts(pipeline: Pipeline | None) -> dict[int, int]:
    """Opportunities (of any status) held in each stage: such a stage cannot be removed."""
    if pipeline is None:
        return {}
    return dict(db.session.execute(select(Negotiation.stage_id, func.count(Negotiation.id)).where(
        Negotiation.stage_id.in_([s.id for s in pipeline.stages] or [-1])).group_by(Negotiation.stage_id)).all())


def _edit_page(pipeline: Pipeline | None, form: PipelineForm, rows: list[dict], row_errors=None, status=200):
    return render_template("crm/pipelines/edit.html", pipeline=pipeline, form=form, rows=rows,
                           row_errors=row_errors or {}, counts=_stage_counts(pipeline)), status


def _edit(pipeline: Pipeline | None):
    form = PipelineForm() if request.method == "POST" else PipelineForm(formdata=None)
    if request.method == "GET":
        if pipeline is not None:
            form.name.data, form.is_default.data = pipeline.name, pipeline.is_default
        return _edit_page(pipeline, form, _stage_rows(pipeline))
    rows = _posted_stages()
    action = request.form.get("action", "save")
    # Reordering, adding and removing rows only changes the form; «ذخیره» saves it.
    if action == "add":
        if len(rows) < MAX_STAGES:
            rows.append({"id": None, "name": "", "probability": "", "required_fields": []})
        return _edit_page(pipeline, form, rows)
    kind, _, index = action.partition("-")
    if kind in ("up", "down", "remove") and index.isdigit() and int(index) < len(rows):
        i = int(index)
        if kind == "remove":
            rows.pop(i)
        elif kind == "up" and i > 0:
            rows[i - 1], rows[i] = rows[i], rows[i - 1]
        elif kind == "down" and i + 1 < len(rows):
            rows[i + 1], rows[i] = rows[i], rows[i + 1]
        return _edit_page(pipeline, form, rows)
    if not form.validate_on_submit():
        abort(400)
    data = {"name": form.name.data, "is_default": form.is_default.data or (pipeline is not None and pipeline.is_default),
            "stages": rows}
    try:
        saved = pipeline_service.save_pipeline(data, pipeline)
    except ValidationError as exc:
        db.session.rollback()
        pipeline = db.session.get(Pipeline, pipeline.id) if pipeline is not None else None
        row_errors, loose = {}, []
        for key, message in exc.errors.items():
            if key.startswith("stages-") and key[7:].isdigit():
                row_errors[int(key[7:])] = message
            elif key == "name":
                form.name.errors = list(form.name.errors or []) + [message]
            else:
                loose.append(message)
        for message in loose:
            flash(message, "danger")
        if not loose and not row_errors and not form.name.errors:
            flash("قیف ذخیره نشد.", "danger")
        return _edit_page(pipeline, form, rows, row_errors, status=422)
    flash(f"قیف «{saved.name}» ذخیره شد.", "success")
    return redirect(url_for("crm.pipelines"))


@bp.route("/pipelines")
@permission_required("crm.pipelines")
def pipelines():
    if pipeline_service.default_pipeline() is None:
        pipeline_service.ensure_default()
        db.session.commit()
    items = list(db.session.scalars(select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.name)))
    open_counts = {}
    for p in items:
        stage_ids = [s.id for s in p.stages] or [-1]
        open_counts[p.id] = db.session.scalar(select(func.count(Negotiation.id)).where(
            Negotiation.stage_id.in_(stage_ids), Negotiation.status == "negotiating",
            Negotiation.effective_status == "negotiating"))
    return render_template("crm/pipelines/list.html", pipelines=items, open_counts=open_counts)


@bp.route("/pipelines/new", methods=["GET", "POST"])
@permission_required("crm.pipelines")
def new_pipeline():
    return _edit(None)


@bp.route("/pipelines/<int:pipeline_id>/edit", methods=["GET", "POST"])
@permission_required("crm.pipelines")
def edit_pipeline(pipeline_id):
    return _edit(get_or_404(Pipeline, pipeline_id))


@bp.route("/pipelines/<int:pipeline_id>/default", methods=["POST"])
@permission_required("crm.pipelines")
def make_default_pipeline(pipeline_id):
    pipeline = get_or_404(Pipeline, pipeline_id)
    try:
        pipeline_service.save_pipeline({"name": pipeline.name, "is_default": True, "stages": _stage_rows(pipeline)},
                                       pipeline)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(f"«{pipeline.name}» قیف پیش‌فرض شد؛ فرصت‌های تازه در نخستین مرحلهٔ آن قرار می‌گیرند.", "success")
    return redirect(url_for("crm.pipelines"))
