"""Computing the dashboard's figures through the `dashboard_kpis` hook, and caching them.

The dashboard imports no plugin: every figure is a `core.payloads.Kpi` some plugin returned for
a `Period` and a `Scope`. Each contributor runs inside a SAVEPOINT, so one that raises (or whose
SQL fails, which on PostgreSQL would abort the whole transaction) is rolled back alone, logged,
and reported as a notice while the others' figures are shown.

Results are cached in `dashboard_cache` per (audience, period, scope) with the time they were
computed. A cached entry younger than the `dashboard.cache_minutes` setting is served as is; the
periodic task `dashboard.refresh` recomputes the common views (this month, this quarter, this
year; for the whole reach and, for viewers who see every office, for each office) so they are
always warm; the page's refresh button recomputes the view on screen.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import sys
import time

from flask import current_app
from sqlalchemy import delete, select

from core import settings
from core.db import db, insert_ignore
from core.jalali import utcnow
from core.models.org import GroupPermission, Office, User, user_groups
from core.payloads import Kpi, Period, Scope
from plugins.dashboard.models import CacheEntry
from plugins.dashboard.services import periods
from plugins.dashboard.services import scope as scopes

log = logging.getLogger(__name__)
UNITS = ("count", "rial", "percent_bp", "days")
KEEP_DAYS = 7      # entries nobody asked for again are pruned by the periodic job after this


@dataclasses.dataclass
class Figures:
    kpis: list[dict]
    errors: list[dict]            # [{"plugin": "finance", "message": "…"}]
    computed_at: dt.datetime
    duration_ms: int
    cached: bool = False

    def by_group(self) -> list[tuple[str, list[dict]]]:
        groups: dict[str, list[dict]] = {}
        for kpi in self.kpis:
            groups.setdefault(kpi["group"] or "سایر", []).append(kpi)
        # Plugins in name order (the CRM's groups together, then finance, inventory, support…),
        # within a plugin by the figures' `order`.
        ordered = sorted(groups.items(), key=lambda item: min((k["plugin"], k["order"]) for k in item[1]) + (item[0],))
        return [(name, sorted(items, key=lambda k: (k["order"], k["key"]))) for name, items in ordered]

    def get(self, key: str) -> dict | None:
        return next((k for k in self.kpis if k["key"] == key), None)


# --- computing -----------------------------------------------------------------------------------

def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)  # lazy strings, Markup, Decimal


def _as_dict(plugin: str, kpi) -> dict:
    if not isinstance(kpi, Kpi):
        raise TypeError(f"plugin {plugin} returned {type(kpi).__name__}, not core.payloads.Kpi")
    if not (kpi.key.startswith(plugin + ".")):
        raise ValueError(f"KPI {kpi.key!r} of plugin {plugin!r} must be named '{plugin}.…'")
    if kpi.value is not None and (isinstance(kpi.value, bool) or not isinstance(kpi.value, int)):
        raise TypeError(f"KPI {kpi.key}: value must be an int or None")
    data = _json_safe(dataclasses.asdict(kpi))
    data["plugin"] = plugin
    data["unit"] = data["unit"] if data["unit"] in UNITS else "count"
    return data


def compute(period: Period, scope: Scope) -> Figures:
    """Call every plugin's `dashboard_kpis`, each in its own savepoint."""
    host = current_app.extensions["peyvand"].host
    impls = sorted(host.pm.hook.dashboard_kpis.get_hookimpls(), key=lambda i: i.plugin_name)
    kpis: list[dict] = []
    errors: list[dict] = []
    started = time.perf_counter()
    arguments = {"period": period, "scope": scope}
    for impl in impls:
        if host.trace:
            sys.stderr.write(f"peyvand hook dashboard_kpis → {impl.plugin_name}\n")
        try:
            with db.session.begin_nested():
                result = impl.function(**{k: arguments[k] for k in impl.argnames})
                items = [_as_dict(impl.plugin_name, k) for k in (result or [])]
        except Exception as exc:  # noqa: BLE001 - one contributor must not take the page down
            log.exception("plugin %s failed in hook dashboard_kpis (%s, %s)", impl.plugin_name, period, scope)
            errors.append({"plugin": impl.plugin_name, "message": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        kpis.extend(items)
    return Figures(kpis, errors, utcnow(), int((time.perf_counter() - started) * 1000))


# --- the cache -----------------------------------------------------------------------------------

def cache_key(audience: str, period: Period, scope: Scope) -> str:
    data = {"a": audience, "s": period.start.isoformat(), "e": period.end.isoformat(), "o": scope.office_id,
            "d": scope.department_id, "u": None if scope.user_ids is None else sorted(scope.user_ids)}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def max_age() -> dt.timedelta:
    return dt.timedelta(minutes=int(settings.get("dashboard.cache_minutes")))


def cached(key: str) -> CacheEntry | None:
    return db.session.scalar(select(CacheEntry).where(CacheEntry.key == key))


def store(key: str, audience: str, period: Period, scope: Scope, figures: Figures, common: bool = False) -> None:
    """Insert or replace the entry (two requests computing the same view at once: last wins)."""
    values = dict(key=key, audience=audience, viewer_id=scope.viewer_id, period_start=period.start,
                  period_end=period.end, office_id=scope.office_id, department_id=scope.department_id,
                  user_ids=None if scope.user_ids is None else json.dumps(sorted(scope.user_ids)),
                  payload={"kpis": figures.kpis, "errors": figures.errors}, computed_at=figures.computed_at,
                  duration_ms=figures.duration_ms, common=common)
    stmt = insert_ignore(CacheEntry).values(**values)
    update = {k: stmt.excluded[k] for k in values if k not in ("key", "common")}
    if common:
        update["common"] = stmt.excluded.common
    db.session.execute(stmt.on_conflict_do_update(index_elements=[CacheEntry.key], set_=update))


def figures_for(viewer: User, period: Period, scope: Scope, reach: scopes.Reach | None = None,
                refresh: bool = False) -> Figures:
    """The figures for one view: from the cache when fresh enough, else computed and stored."""
    reach = reach or scopes.reach_of(viewer)
    who = scopes.audience(viewer, reach)
    key = cache_key(who, period, scope)
    entry = None if refresh else cached(key)
    if entry is not None and entry.computed_at >= utcnow() - max_age():
        return Figures(entry.payload.get("kpis", []), entry.payload.get("errors", []), entry.computed_at,
                       entry.duration_ms, cached=True)
    figures = compute(period, scope)
    store(key, who, period, scope, figures)
    db.session.commit()
    return figures


# --- the periodic refresh ------------------------------------------------------------------------

def dashboard_viewers() -> list[User]:
    """Active users who may open the dashboard."""
    granted = (select(user_groups.c.user_id).join(GroupPermission, GroupPermission.group_id == user_groups.c.group_id)
               .where(GroupPermission.permission == "dashboard.view"))
    return list(db.session.scalars(select(User).where(User.active.is_(True),
                                                      (User.is_superuser.is_(True)) | User.id.in_(granted))
                                   .order_by(User.id)))


def common_views(today: dt.date | None = None) -> list[tuple[User, scopes.Reach, str, Period, Scope]]:
    """(viewer, reach, audience, period, scope) of every view the job keeps warm: this month,
    quarter and year, for one viewer of each audience; for whole-company viewers also per office."""
    offices = list(db.session.scalars(select(Office.id).where(Office.active.is_(True)).order_by(Office.id)))
    seen: set[str] = set()
    views = []
    for viewer in dashboard_viewers():
        reach = scopes.reach_of(viewer)
        who = scopes.audience(viewer, reach)
        if who in seen:
            continue
        seen.add(who)
        for period in periods.common_periods(today):
            for office_id in [None, *offices] if reach.all else [None]:
                views.append((viewer, reach, who, period, scopes.build(viewer, office_id, reach=reach)))
    return views


def refresh_common(today: dt.date | None = None) -> int:
    """The periodic task: recompute every common view and commit each; prune entries nobody has
    asked for in `KEEP_DAYS`. Returns how many views were computed."""
    with current_app.test_request_context("/"):  # the plugins build their links with url_for
        views = common_views(today)
        for viewer, reach, who, period, scope in views:
            figures = compute(period, scope)
            store(cache_key(who, period, scope), who, period, scope, figures, common=True)
            db.session.commit()
        db.session.execute(delete(CacheEntry).where(CacheEntry.computed_at < utcnow() - dt.timedelta(days=KEEP_DAYS)))
        db.session.commit()
    return len(views)
