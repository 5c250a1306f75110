"""The managers' dashboard: parse the filters (Jalali period, office, department, rep), get the
figures (cache or hook), render cards and charts; the refresh button recomputes the view."""
from __future__ import annotations

import dataclasses

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from core.access import permission_required
from core.i18n import localized_digits
from core.jalali import MONTHS
from core.payloads import Period, Scope
from core.ui import money, number
from core.validation import ValidationError
from plugins.dashboard.services import figures as figures_service
from plugins.dashboard.services import periods
from plugins.dashboard.services import scope as scopes

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
               static_folder="static", static_url_path="/static")
FILTER_ARGS = ("period", "year", "month", "quarter", "start", "end", "office", "department", "rep")


@dataclasses.dataclass
class View:
    reach: scopes.Reach
    selection: periods.Selection
    period: Period | None = None
    scope: Scope | None = None
    errors: dict = dataclasses.field(default_factory=dict)


def _filters() -> dict:
    return {k: request.values.get(k) for k in FILTER_ARGS if request.values.get(k)}


def _view() -> View:
    """The period and scope the request asks for; raises `scopes.Forbidden`."""
    view = View(scopes.reach_of(current_user), periods.Selection())
    try:
        view.period, view.selection = periods.parse(request.values, selection=view.selection)
    except ValidationError as exc:
        view.errors.update(exc.errors)
    try:
        view.scope = scopes.from_args(current_user, request.values, view.reach)
    except ValidationError as exc:
        view.errors.update(exc.errors)
    return view


def _render(view: View, figures=None, status: int = 200):
    scope = view.scope
    narrowed = scope is not None and (scope.department_id is not None or scope.user_ids is not None and (
        view.reach.all or set(scope.user_ids) != set(view.reach.user_ids)))
    choices = scopes.choices(current_user, view.reach, scope.office_id if scope else None)
    # Wide charts first (full width), then the others in pairs, in the figures' order.
    charted = [k for k in figures.kpis if (k.get("extra") or {}).get("chart")] if figures else []
    charted.sort(key=lambda k: (not k["extra"]["chart"].get("wide"), k["order"], k["key"]))
    charts = [chart_spec(k) for k in charted]
    return render_template(
        "dashboard/index.html", figures=figures, period=view.period, scope=scope, narrowed=narrowed,
        selection=view.selection, filters=_filters(), reach=view.reach, errors=view.errors, kinds=periods.KINDS,
        quarters=periods.QUARTERS, years=periods.year_choices(), months=MONTHS, charts=charts,
        formatted=formatted, signed=signed, scope_text=describe(scope, view.reach, choices), plugin_labels=PLUGIN_LABELS, **choices), status


PLUGIN_LABELS = {"crm": "مشتریان و فروش", "inventory": "انبار", "finance": "مالی", "support": "پشتیبانی"}


MINUS = "\u200e−"  # a real minus, kept on the left of the digits in right-to-left text (as the charts)


def signed(value, unit: str = "count") -> str:
    """An integer in the reader's digits; a negative one as `−۳۸۴` (with a bare `-` the bidi
    algorithm puts the sign on the right of the digits: `۳۸۴-`, `۱۲۰- ریال`)."""
    if value is None:
        return ""
    show = money if unit == "rial" else number
    return MINUS + show(-value) if value < 0 else show(value)


def formatted(kpi: dict) -> str:
    """A figure as the cards show it, in the reader's digits."""
    value, unit = kpi.get("value"), kpi.get("unit")
    if value is None:
        return "—"
    if unit == "rial":
        return signed(value, "rial")
    if unit == "percent_bp":
        sign = MINUS if value < 0 else ""
        whole, part = divmod(abs(value), 100)
        return localized_digits(f"{sign}{whole}{'٫' + f'{part:02d}'.rstrip('0') if part else ''}٪")
    if unit == "days":
        return f"{signed(value)} روز"
    return signed(value)


def chart_spec(kpi: dict) -> dict:
    """What `dashboard.js` draws for a figure with `extra["chart"]`: labels, datasets, links."""
    chart = kpi["extra"]["chart"]
    series = kpi.get("series") or []
    datasets = [{"label": d.get("label", ""), "type": d.get("type", "bar"), "color": d.get("color", "#2f6fb0"),
                 "dashed_from": d.get("dashed_from"),
                 "data": [item.get(d.get("key", "value")) for item in series]} for d in chart.get("datasets", [])]
    return {"id": "chart-" + kpi["key"].replace(".", "-"), "key": kpi["key"], "type": chart.get("type", "bar"),
            "unit": chart.get("unit", kpi.get("unit", "count")), "labels": [item.get("label", "") for item in series],
            "links": [item.get("link") or "" for item in series], "datasets": datasets}


def describe(scope: Scope | None, reach: scopes.Reach, choices: dict) -> str:
    """«همهٔ دفترها»، «دفتر تهران، بخش فروش خرده»، «شما و زیرمجموعه‌تان، علی احمدی»"""
    if scope is None:
        return ""
    offices = {o.id: o.name for o in choices["offices"]}
    departments = {d.id: d.name for d in choices["departments"]}
    reps = {u.id: u.full_name for u in choices["reps"]}
    everyone = "همهٔ دفترها" if reach.all else "شما و زیرمجموعه‌تان"
    parts = [offices.get(scope.office_id, "") if scope.office_id else everyone]
    if scope.department_id:
        parts.append("بخش " + departments.get(scope.department_id, ""))
    if scope.user_ids is not None and len(scope.user_ids) == 1:
        parts.append(reps.get(scope.user_ids[0], ""))
    return "، ".join(p for p in parts if p)


def _forbidden(exc: scopes.Forbidden):
    return render_template("errors/error.html", status=403, message=exc.message), 403


@bp.route("/")
@permission_required("dashboard.view")
def index():
    try:
        view = _view()
    except scopes.Forbidden as exc:
        return _forbidden(exc)
    if view.errors:
        return _render(view, status=400)
    return _render(view, figures_service.figures_for(current_user, view.period, view.scope, view.reach))


@bp.route("/refresh", methods=["POST"])
@permission_required("dashboard.view")
def refresh():
    """Recompute the view on screen now, whatever the cache holds, then show it."""
    try:
        view = _view()
    except scopes.Forbidden as exc:
        return _forbidden(exc)
    if view.errors:
        return _render(view, status=400)
    figures_service.figures_for(current_user, view.period, view.scope, view.reach, refresh=True)
    return redirect(url_for("dashboard.index", **_filters()))
