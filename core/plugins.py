"""The plugin host: a pluggy PluginManager plus the data types plugins contribute.

Plugins load inside `create_app()`, never at import time: hookspecs → the core's own default
plugin → block the disabled → entry points of `peyvand.plugins` → `check_pending()`.
Contribution hooks return data; the host namespaces, validates and sorts it by `order`
(pluggy calls the last registered first, so registration order means nothing).
"""
from __future__ import annotations

import importlib.metadata
import inspect
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pluggy

PROJECT = "peyvand"
ENTRY_POINT_GROUP = "peyvand.plugins"
BUILTIN_PLUGINS = ("crm", "inventory", "finance", "support", "dashboard")

hookimpl = pluggy.HookimplMarker(PROJECT)
log = logging.getLogger(__name__)


# --- what plugins contribute -------------------------------------------------------------------

@dataclass(frozen=True)
class Permission:
    """A named permission. `roles` lists the default roles granted it when groups are seeded
    (administrator, inspector, manager, sales, warehouse, finance, support)."""
    name: str
    label: str
    roles: tuple[str, ...] = ()
    plugin: str = ""


@dataclass(frozen=True)
class MenuItem:
    """A navigation entry. Shown only to users holding `permission` (None: every user)."""
    key: str
    label: str
    endpoint: str
    permission: str | None = None
    section: str = ""          # items with the same section are grouped in a dropdown
    icon: str = ""             # bootstrap-icons name, e.g. "people"
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class Setting:
    """A typed administrator-editable setting. `type` is one of int, bool, str, text, choice."""
    key: str
    label: str
    type: str
    default: Any
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    min: int | None = None
    max: int | None = None
    section: str = ""
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class PeriodicTask:
    """Work run on a schedule by `peyvand worker` (rq's CronScheduler) or by `peyvand tasks run`
    from cron. `func` must be an importable module-level callable taking no arguments and must
    be idempotent: a retry or a double run changes nothing."""
    name: str
    func: Callable[[], Any]
    interval: int | None = None   # seconds
    cron: str | None = None       # crontab string, in UTC
    description: str = ""
    plugin: str = ""


@dataclass
class PluginInfo:
    name: str
    module: Any
    version: str
    hooks: list[str] = field(default_factory=list)


class PluginError(RuntimeError):
    """A plugin contributed something the host refuses (wrong namespace, duplicate name)."""


# --- the host ----------------------------------------------------------------------------------

class PluginHost:
    def __init__(self, disabled: tuple[str, ...] = (), extra: tuple = ()):
        from core import default_plugin, hookspecs

        self.disabled = tuple(n for n in disabled if n)
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.pm.register(default_plugin, name="core")
        for name in self.disabled:
            if name == "core":
                raise PluginError("the core cannot be disabled")
            self.pm.set_blocked(name)
        self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for name, obj in extra:  # tests: a throw-away plugin registered for one app
            if name == "core":
                raise PluginError("the core cannot be replaced")
            if name in self.disabled:
                continue
            if self.pm.has_plugin(name):  # a test's version replaces the installed one
                self.pm.unregister(name=name)
            self.pm.register(obj, name=name)
        self.pm.check_pending()
        self.trace = bool(os.environ.get("PEYVAND_TRACE_HOOKS"))
        if self.trace:
            self.pm.trace.root.setwriter(lambda msg: sys.stderr.write(msg))
            self.pm.enable_tracing()

    # plugins -----------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [name for name, _ in self.pm.list_name_plugin() if name and not self.pm.is_blocked(name)]

    def info(self) -> list[PluginInfo]:
        dists = {}
        for plugin, dist in self.pm.list_plugin_distinfo():
            dists[id(plugin)] = dist.version
        out = []
        for name, module in self.pm.list_name_plugin():
            if module is None:
                continue
            version = dists.get(id(module))
            if version is None and name == "core":
                version = _dist_version("peyvand")
            hooks = sorted(h.name for h in self.pm.get_hookcallers(module) or [])
            out.append(PluginInfo(name, module, version or "?", hooks))
        return sorted(out, key=lambda p: (p.name != "core", p.name))

    def is_enabled(self, name: str) -> bool:
        return self.pm.get_plugin(name) is not None

    # calling hooks -----------------------------------------------------------------------------
    def call_each(self, hook: str, isolate_errors: bool = False, **kwargs) -> list[tuple[str, Any]]:
        """Call every implementation of `hook` and return `(plugin_name, result)` pairs, in
        plugin-name order. With `isolate_errors`, an implementation that raises is logged and
        reported as `(name, exception)` instead of stopping the others."""
        caller = getattr(self.pm.hook, hook)
        out = []
        for impl in sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name):
            args = {k: kwargs[k] for k in impl.argnames}
            if self.trace:  # calls made here bypass pluggy's own tracing
                sys.stderr.write(f"peyvand hook {hook} → {impl.plugin_name}({', '.join(args)})\n")
            try:
                result = impl.function(**args)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                if not isolate_errors:
                    raise
                log.exception("plugin %s failed in hook %s", impl.plugin_name, hook)
                result = exc
            if result is not None:
                out.append((impl.plugin_name, result))
        return out

    def collect(self, hook: str, **kwargs) -> list[Any]:
        """Flatten the lists returned by a contribution hook, stamping each item's plugin."""
        items = []
        for plugin, result in self.call_each(hook, **kwargs):
            for item in result:
                if hasattr(item, "plugin") and not getattr(item, "plugin"):
                    object.__setattr__(item, "plugin", plugin)
                items.append(item)
        return items

    # contributions, validated ------------------------------------------------------------------
    def permissions(self) -> dict[str, Permission]:
        out: dict[str, Permission] = {}
        for p in self.collect("register_permissions"):
            _check_namespace(p.plugin, p.name, "permission")
            if p.name in out:
                raise PluginError(f"permission {p.name} declared twice")
            out[p.name] = p
        return out

    def settings(self) -> dict[str, Setting]:
        out: dict[str, Setting] = {}
        for s in sorted(self.collect("settings_schema"), key=lambda s: (str(s.section), s.order, s.key)):
            _check_namespace(s.plugin, s.key, "setting")
            if s.key in out:
                raise PluginError(f"setting {s.key} declared twice")
            out[s.key] = s
        return out

    def periodic_tasks(self) -> dict[str, PeriodicTask]:
        out: dict[str, PeriodicTask] = {}
        for t in self.collect("periodic_tasks"):
            _check_namespace(t.plugin, t.name, "periodic task")
            if (t.interval is None) == (t.cron is None):
                raise PluginError(f"periodic task {t.name}: give exactly one of interval or cron")
            out[t.name] = t
        return out

    def menu_items(self, user) -> list[MenuItem]:
        items = self.collect("menu_items", user=user)
        return sorted(items, key=lambda m: (m.order, str(m.label)))

    def migration_locations(self) -> dict[str, list[str]]:
        """Branch label (the plugin name) → its versions folders."""
        out: dict[str, list[str]] = {}
        for plugin, result in self.call_each("migration_locations"):
            for path in result:
                out.setdefault(plugin, []).append(str(path))
        return out


def _check_namespace(plugin: str, name: str, what: str) -> None:
    if not (name == plugin or name.startswith(plugin + ".")):
        raise PluginError(f"{what} {name!r} of plugin {plugin!r} must be named '{plugin}.…'")


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def plugin_dir(module) -> str:
    """The folder of a plugin module (templates, static files, migrations live beside it)."""
    return os.path.dirname(inspect.getfile(module))
