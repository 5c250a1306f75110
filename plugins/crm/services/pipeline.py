"""Pipelines, stages and opportunities: the stage a negotiation is in, its value and forecast,
and the kanban board. A card enters a stage only when the stage's required fields are filled;
each move is a change of the (audited) negotiation, so the audit trail records it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.db import begin_write, db
from core.validation import Checker, ValidationError
from plugins.crm.models import PRIORITIES, STAGE_FIELDS, Negotiation, Pipeline, Stage
from plugins.crm.services.negotiations import NotFound, _load_for_update, materialize_expiry
from plugins.crm.services.visibility import can_act_on, negotiation_filter

DEFAULT_STAGES = [("تماس اولیه", 10, []), ("نیازسنجی", 25, ["need_details"]), ("ارائهٔ پیشنهاد", 50, ["value"]),
                  ("مذاکرهٔ قیمت", 75, ["value", "forecast_close"]), ("آمادهٔ قرارداد", 90, ["value", "forecast_close"])]
MAX_VALUE = 10 ** 15


def default_pipeline() -> Pipeline | None:
    return db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True), Pipeline.active.is_(True)))


def ensure_default() -> Pipeline:
    """The organisation's default pipeline, created with sensible stages the first time."""
    pipeline = default_pipeline()
    if pipeline is None:
        pipeline = Pipeline(name="قیف فروش", is_default=True)
        pipeline.stages = [Stage(name=n, position=i, probability=p, required_fields=r)
                           for i, (n, p, r) in enumerate(DEFAULT_STAGES)]
        db.session.add(pipeline)
        db.session.flush()
    return pipeline


def first_stage_id() -> int | None:
    return db.session.scalar(select(Stage.id).join(Pipeline).where(Pipeline.is_default.is_(True), Pipeline.active.is_(True))
                             .order_by(Stage.position).limit(1))


def save_pipeline(data: dict, pipeline: Pipeline | None = None) -> Pipeline:
    """`data`: name, is_default, stages = [{id?, name, probability, required_fields}] in order."""
    c = Checker(data)
    name = c.text("name", "نام قیف", required=True, max_len=120)
    stages = data.get("stages") or []
    if not stages:
        c.fail("stages", "قیف دست‌کم یک مرحله لازم دارد.")
    names = set()
    for i, row in enumerate(stages):
        stage_name = str(row.get("name") or "").strip()
        if not stage_name or len(stage_name) > 120:
            c.fail(f"stages-{i}", "نام مرحله را (تا ۱۲۰ نویسه) بنویسید.")
        elif stage_name in names:
            c.fail(f"stages-{i}", f"مرحلهٔ «{stage_name}» دو بار آمده است.")
        names.add(stage_name)
        try:
            probability = int(row.get("probability") or 0)
        except (TypeError, ValueError):
            probability = -1
        if not 0 <= probability <= 100:
            c.fail(f"stages-{i}", "احتمال هر مرحله باید بین ۰ تا ۱۰۰ باشد.")
        unknown = set(row.get("required_fields") or []) - set(STAGE_FIELDS)
        if unknown:
            c.fail(f"stages-{i}", "فیلد لازم ناشناخته: " + "، ".join(sorted(unknown)))
    if name:
        q = select(func.count()).select_from(Pipeline).where(Pipeline.name == name)
        if pipeline is not None:
            q = q.where(Pipeline.id != pipeline.id)
        if db.session.scalar(q):
            c.fail("name", "قیفی با این نام هست.")
    c.done()
    pipeline = pipeline or Pipeline()
    pipeline.name = name
    existing = {s.id: s for s in pipeline.stages}
    kept = []
    for i, row in enumerate(stages):
        stage = existing.pop(int(row["id"]), None) if row.get("id") else None
        stage = stage or Stage()
        stage.name, stage.position = str(row["name"]).strip(), i
        stage.probability, stage.required_fields = int(row.get("probability") or 0), list(row.get("required_fields") or [])
        kept.append(stage)
    for stage in existing.values():
        if db.session.scalar(select(func.count(Negotiation.id)).where(Negotiation.stage_id == stage.id)):
            raise ValidationError({"stages": f"مرحلهٔ «{stage.name}» فرصت دارد و حذف نمی‌شود؛ ابتدا فرصت‌ها را جابه‌جا کنید."})
    pipeline.stages = kept
    if data.get("is_default"):
        db.session.execute(Pipeline.__table__.update().values(is_default=False))
        pipeline.is_default = True
    db.session.add(pipeline)
    db.session.commit()
    return pipeline


def missing_fields(negotiation: Negotiation, stage: Stage) -> list[str]:
    missing = []
    for field in stage.required_fields or []:
        value = getattr(negotiation, field, None)
        if value in (None, "") or (field == "priority" and value not in PRIORITIES):
            missing.append(STAGE_FIELDS[field])
    return missing


def move(negotiation_id: int, stage_id: int, actor) -> Negotiation:
    """Move an open opportunity to a stage, if its required fields are filled."""
    begin_write()
    negotiation = _load_for_update(negotiation_id, actor)
    if not can_act_on(actor, negotiation):
        raise ValidationError("فقط کارشناس مسئول یا مدیران او می‌توانند مرحلهٔ این فرصت را تغییر دهند.")
    if materialize_expiry(negotiation):
        db.session.commit()
        raise ValidationError("مهلت این مذاکره به پایان رسیده و منقضی شده است.")
    if negotiation.status != "negotiating":
        raise ValidationError("فقط فرصتِ در جریان را می‌توان بین مراحل جابه‌جا کرد.")
    stage = db.session.get(Stage, stage_id)
    if stage is None or not stage.pipeline.active:
        raise ValidationError("مرحلهٔ انتخاب‌شده وجود ندارد.")
    missing = missing_fields(negotiation, stage)
    if missing:
        raise ValidationError(f"برای رفتن به مرحلهٔ «{stage.name}» ابتدا این‌ها را پر کنید: " + "، ".join(missing))
    if negotiation.stage_id != stage.id:
        negotiation.stage_id = stage.id
        negotiation.probability = stage.probability
    db.session.commit()
    return negotiation


def clean_opportunity(data: dict) -> dict:
    """Check the opportunity fields; returns the values, raises `ValidationError`. Nothing is
    written (lead qualification checks them before it registers anything)."""
    c = Checker(data)
    value = c.integer("value", "ارزش احتمالی (ریال)", minimum=0, maximum=MAX_VALUE)
    forecast = c.date("forecast_close", "تاریخ پیش‌بینی بسته شدن")
    need = c.text("need_details", "جزئیات نیاز", max_len=10000)
    priority = c.text("priority", "اولویت", max_len=8) or "normal"
    if priority not in PRIORITIES:
        c.fail("priority", "اولویت باید کم، عادی یا زیاد باشد.")
    probability = c.integer("probability", "احتمال (٪)", minimum=0, maximum=100)
    if forecast and forecast < dt.date(2000, 1, 1):
        c.fail("forecast_close", "تاریخ پیش‌بینی معتبر نیست.")
    c.done()
    return {"value": value, "forecast_close": forecast, "need_details": need, "priority": priority,
            "probability": probability}


def update_opportunity(negotiation_id: int, data: dict, actor, commit: bool = True) -> Negotiation:
    """Value (Rials), forecast close date (Jalali), need details, priority, probability."""
    values = clean_opportunity(data)
    negotiation = db.session.scalar(select(Negotiation).where(Negotiation.id == negotiation_id, negotiation_filter(actor)))
    if negotiation is None:
        raise NotFound("فرصت پیدا نشد.")
    if not can_act_on(actor, negotiation):
        raise ValidationError("فقط کارشناس مسئول یا مدیران او می‌توانند این فرصت را ویرایش کنند.")
    apply_opportunity(negotiation, values)
    if commit:
        db.session.commit()
    return negotiation


def apply_opportunity(negotiation: Negotiation, values: dict) -> None:
    """Set the values `clean_opportunity` returned (a probability left empty keeps the stage's)."""
    negotiation.value, negotiation.forecast_close = values["value"], values["forecast_close"]
    negotiation.need_details, negotiation.priority = values["need_details"], values["priority"]
    if values["probability"] is not None:
        negotiation.probability = values["probability"]


def board(pipeline: Pipeline, viewer, per_column: int = 30, q: str = "", owner_id: int | None = None) -> list[dict]:
    """The kanban columns: each stage's count, total value and its first cards (by priority,
    value). Two queries whatever the number of open opportunities: one pass over the open
    negotiations of the pipeline's stages numbers each stage's cards (value, then newest) and
    counts and sums the stage alongside (window functions), then the cards kept are loaded
    with their customers."""
    from core.jalali import utcnow
    from core.models.parties import Party
    from core.persian import like_pattern
    from plugins.crm.models import Customer
    stage_ids = [s.id for s in pipeline.stages]
    if not stage_ids:
        return []
    # Open within its window: `effective_status` says so; the range on `window_end` (taken
    # before it, so never wider) lets the (status, window_end) index skip the overdue ones.
    now = utcnow()
    base = [Negotiation.status == "negotiating", Negotiation.window_end > now,
            Negotiation.effective_status == "negotiating", negotiation_filter(viewer)]
    if owner_id:
        base.append(Negotiation.owner_id == owner_id)
    # Negotiations without a stage sit in the first column.
    stage_col = func.coalesce(Negotiation.stage_id, stage_ids[0]) if pipeline.is_default else Negotiation.stage_id
    order = (Negotiation.value.desc().nulls_last(), Negotiation.id.desc())
    ranked = select(stage_col.label("stage"), Negotiation.id.label("id"),
                    func.row_number().over(partition_by=stage_col, order_by=order).label("rn"),
                    func.count().over(partition_by=stage_col).label("n"),
                    func.sum(Negotiation.value).over(partition_by=stage_col).label("total")).where(
        *base, stage_col.in_(stage_ids))
    if q:
        ranked = ranked.join(Customer, Customer.id == Negotiation.customer_id).join(
            Party, Party.id == Customer.party_id).where(Party.search_key.like(like_pattern(q), escape="\\"))
    ranked = ranked.subquery()
    totals, kept = {}, {}
    for stage, negotiation_id, rn, n, total in db.session.execute(
            select(ranked.c.stage, ranked.c.id, ranked.c.rn, ranked.c.n, ranked.c.total)
            .where(ranked.c.rn <= per_column)):
        totals[stage] = (n, total or 0)
        kept[negotiation_id] = (stage, rn)
    cards: dict[int, list] = {}
    if kept:
        rows = db.session.execute(select(Negotiation, Customer, Party).join(Customer, Customer.id == Negotiation.customer_id)
                                  .join(Party, Party.id == Customer.party_id).where(Negotiation.id.in_(list(kept)))).all()
        rows.sort(key=lambda r: kept[r.Negotiation.id][1])
        for row in rows:
            cards.setdefault(kept[row.Negotiation.id][0], []).append(row)
    priority_rank = {"high": 0, "normal": 1, "low": 2}
    columns = []
    for stage in pipeline.stages:
        rows = cards.get(stage.id, [])
        rows.sort(key=lambda r: priority_rank.get(r.Negotiation.priority, 1))
        n, total = totals.get(stage.id, (0, 0))
        columns.append({"stage": stage, "count": n, "total": total, "cards": rows})
    return columns


def save_opportunity(negotiation_id: int, data: dict, actor, commit: bool = True) -> Negotiation:
    """The opportunity form of the customer page and the API: the fields of
    `update_opportunity` and, with `stage_id`, a move to that stage, checked against the
    stage's required fields as they stand after this edit. One transaction: a refused stage
    writes none of the fields either. Only an open (negotiating) opportunity is edited.

    Probability: a stage change takes the new stage's probability unless the caller sent a
    probability different from the stored one (then theirs is kept)."""
    raw_stage = str(data.get("stage_id") or "").strip()
    stage_id = None
    if raw_stage:
        from core.persian import to_ascii_digits
        raw_stage = to_ascii_digits(raw_stage)
        if not raw_stage.isdigit():
            raise ValidationError({"stage_id": "مرحلهٔ انتخاب‌شده وجود ندارد."})
        stage_id = int(raw_stage)
    before = db.session.get(Negotiation, negotiation_id)
    old_probability = before.probability if before is not None else None
    negotiation = update_opportunity(negotiation_id, data, actor, commit=False)
    if negotiation.effective_status != "negotiating":
        raise ValidationError("فقط فرصتِ در جریان را می‌توان ویرایش کرد؛ این مذاکره بسته یا منقضی شده است.")
    if stage_id is not None and stage_id != negotiation.stage_id:
        stage = db.session.get(Stage, stage_id)
        if stage is None or not stage.pipeline.active:
            raise ValidationError({"stage_id": "مرحلهٔ انتخاب‌شده وجود ندارد."})
        missing = missing_fields(negotiation, stage)
        if missing:
            raise ValidationError({"stage_id": f"برای رفتن به مرحلهٔ «{stage.name}» ابتدا این‌ها را پر کنید: "
                                               + "، ".join(missing)})
        explicit = data.get("probability") not in (None, "") and negotiation.probability != old_probability
        negotiation.stage_id = stage.id
        if not explicit:
            negotiation.probability = stage.probability
    if commit:
        db.session.commit()
    return negotiation


# --- the opportunity list -------------------------------------------------------------------------

OPPORTUNITY_SORTS = ("value", "weighted", "probability", "forecast", "customer", "owner", "stage", "priority")


def opportunities(viewer, pipeline: Pipeline, *, q: str = "", owner_id: int | None = None,
                  stage_id: int | None = None, priority: str = "", sort: str = "-value"):
    """SELECT (Negotiation, Customer, Party, Stage, effective_probability, weighted) rows: the open
    opportunities of `pipeline` that `viewer` may see, filtered and sorted (`-key` descending;
    keys in OPPORTUNITY_SORTS). `effective_probability` is the opportunity's own or its stage's;
    `weighted` is value × probability ÷ 100, in Rials. In the default pipeline a negotiation
    without a stage counts as being in the first stage (as on the board)."""
    from sqlalchemy import case
    from sqlalchemy.orm import contains_eager

    from core.models.org import User
    from core.models.parties import Party
    from core.persian import like_pattern
    from plugins.crm.models import Customer
    stage_ids = [s.id for s in pipeline.stages]
    first = stage_ids[0] if stage_ids else None
    stage_col = func.coalesce(Negotiation.stage_id, first) if pipeline.is_default else Negotiation.stage_id
    probability = func.coalesce(Negotiation.probability, Stage.probability, 0)
    weighted = func.coalesce(Negotiation.value, 0) * probability // 100
    stmt = (select(Negotiation, Customer, Party, Stage, probability.label("effective_probability"), weighted.label("weighted"))
            .join(Customer, Customer.id == Negotiation.customer_id)
            .join(Party, Party.id == Customer.party_id)
            .join(User, User.id == Negotiation.owner_id)
            .join(Stage, Stage.id == stage_col)
            .options(contains_eager(Negotiation.owner))
            .where(Negotiation.status == "negotiating", Negotiation.effective_status == "negotiating",
                   negotiation_filter(viewer), Stage.pipeline_id == pipeline.id))
    if q:
        stmt = stmt.where(Party.search_key.like(like_pattern(q), escape="\\"))
    if owner_id:
        stmt = stmt.where(Negotiation.owner_id == owner_id)
    if stage_id:
        stmt = stmt.where(Stage.id == stage_id)
    if priority in PRIORITIES:
        stmt = stmt.where(Negotiation.priority == priority)
    columns = {"value": Negotiation.value, "weighted": weighted, "probability": probability,
               "forecast": Negotiation.forecast_close, "customer": Party.name,
               "owner": User.last_name, "stage": Stage.position,
               "priority": case({"low": 0, "normal": 1, "high": 2}, value=Negotiation.priority, else_=1)}
    key = sort.lstrip("-")
    column = columns.get(key, columns["value"])
    ordered = column.desc() if sort.startswith("-") or key not in columns else column.asc()
    return stmt.order_by(ordered.nulls_last(), Negotiation.id.desc())


def opportunity_totals(stmt) -> dict:
    """Count, total value and total weighted value of an `opportunities()` selection."""
    sub = stmt.order_by(None).subquery()
    n, total, weighted = db.session.execute(select(func.count(), func.coalesce(func.sum(sub.c.value), 0),
                                                   func.coalesce(func.sum(sub.c.weighted), 0))).one()
    return {"count": n, "value": int(total), "weighted": int(weighted)}
