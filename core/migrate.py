"""One alembic environment (`migrations/`), a branch per plugin.

The core's revisions live in `migrations/versions` (branch `core`); each plugin contributes its
own folder through the `migration_locations` hook (branch named after the plugin). Upgrades
always go to `heads`. `peyvand db revision -b crm -m "…"` autogenerates a revision holding only
the tables the chosen plugin owns.

A disabled plugin's revisions are not loaded, but its tables and its row in `alembic_version`
stay; `set_aside_disabled_heads` keeps that row out of alembic's way so the enabled branches
still upgrade, and the plugin resumes from it when enabled again.
"""
from __future__ import annotations

import contextlib
import logging
import os

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from core.db import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIGRATIONS_DIR = os.path.join(ROOT, "migrations")
CORE_VERSIONS = os.path.join(MIGRATIONS_DIR, "versions")
log = logging.getLogger(__name__)


def locations(app=None) -> dict[str, list[str]]:
    """Branch → versions folders, for the core and every enabled plugin."""
    app = app or current_app
    out = {"core": [CORE_VERSIONS]}
    out.update(app.extensions["peyvand"].host.migration_locations())
    return out


def alembic_config(app=None) -> Config:
    app = app or current_app
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    cfg.set_main_option("path_separator", "os")
    folders = [folder for group in locations(app).values() for folder in group]
    cfg.set_main_option("version_locations", os.pathsep.join(folders))
    cfg.attributes["app"] = app
    return cfg


def context_options(connection, branch: str | None = None) -> dict:
    """What `migrations/env.py` gives `context.configure()`; the migration tests compare models
    and database with the very same options. With `branch`, autogenerate sees only the tables
    that branch owns."""
    def include_object(obj, name, type_, reflected, compare_to):
        if type_ == "table" and branch:
            table = obj if not reflected else compare_to
            if table is None:
                return False  # a table in the database that no loaded model owns: not ours to drop
            return table_owner(table) == branch
        return True

    return dict(target_metadata=db.metadata, render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True, include_object=include_object)


@contextlib.contextmanager
def set_aside_disabled_heads(connection, script: ScriptDirectory, app=None):
    """Hide, for one migration run, the `alembic_version` rows that no loaded migration folder
    knows, if some plugin is disabled (they are its heads); put them back afterwards in the same
    transaction. With no plugin disabled an unknown row means code older than the database, and
    alembic's own error ("Can't locate revision") is the right answer."""
    app = app or current_app
    current = set(MigrationContext.configure(connection).get_current_heads())
    unknown = current - {rev.revision for rev in script.walk_revisions()}
    if not unknown or not app.extensions["peyvand"].host.disabled:
        yield
        return
    log.warning("leaving revisions %s (disabled plugins %s) as they are", sorted(unknown),
                ", ".join(app.extensions["peyvand"].host.disabled))
    version = sa.table("alembic_version", sa.column("version_num", sa.String))
    connection.execute(version.delete().where(version.c.version_num.in_(sorted(unknown))))
    yield
    connection.execute(version.insert(), [{"version_num": rev} for rev in sorted(unknown)])


def upgrade(app=None, target: str = "heads") -> None:
    command.upgrade(alembic_config(app), target)


def downgrade(app=None, target: str = "base") -> None:
    command.downgrade(alembic_config(app), target)


def script_heads(app=None) -> set[str]:
    """The heads `alembic_version` holds after `upgrade heads`: alembic's heads without those
    another head depends on (a plugin's first revision `depends_on` a core revision, and
    alembic drops that core revision from the table once the dependant is applied)."""
    script = ScriptDirectory.from_config(alembic_config(app))
    heads = set(script.get_heads())
    below = {rev.revision for head in heads for rev in script.iterate_revisions(head, "base")
             if rev.revision != head}
    return heads - below


def database_heads() -> set[str]:
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def revision(message: str, branch: str, app=None, autogenerate: bool = True) -> None:
    cfg = alembic_config(app)
    cfg.attributes["autogenerate_branch"] = branch
    script = ScriptDirectory.from_config(cfg)
    kwargs = {}
    try:
        script.get_revision(f"{branch}@head")
        kwargs["head"] = f"{branch}@head"
    except Exception:  # first revision of a new branch
        if branch not in locations(app):
            raise ValueError(f"no migration folder for {branch!r}: is the plugin enabled and does it "
                             "implement migration_locations?")
        kwargs.update(head="base", branch_label=branch, version_path=locations(app)[branch][0])
        if branch != "core":
            kwargs["depends_on"] = "core@head"
    command.revision(cfg, message=message, autogenerate=autogenerate, **kwargs)


def table_owner(table, app=None) -> str:
    """Which branch owns a table: `info["plugin"]`, else the plugin whose package holds the
    mapped class (`plugins.crm.models` → crm, `acme_peyvand.models` → acme), else the top-level
    package's name (a branch without migrations, which the migration tests report)."""
    if table.info.get("plugin"):
        return table.info["plugin"]
    for mapper in db.Model.registry.mappers:
        if table in mapper.tables:
            module = mapper.class_.__module__
            for plugin, package in _plugin_packages(app):
                if module == package or module.startswith(package + "."):
                    return plugin
            if module.startswith("plugins."):
                return module.split(".")[1]
            return module.split(".")[0]
    # A plain Table (a link table): by its name's prefix, `crm_…` → crm.
    for plugin, _package in _plugin_packages(app):
        if plugin != "core" and table.name.startswith(plugin + "_"):
            return plugin
    return "core"


def _plugin_packages(app=None) -> list[tuple[str, str]]:
    """(plugin name, package of its plugin module), longest package first."""
    app = app or current_app
    out = [("core", "core")]
    for name, module in app.extensions["peyvand"].host.pm.list_name_plugin():
        module_name = getattr(module, "__name__", None)
        if module is None or name == "core" or not isinstance(module_name, str):
            continue
        package = getattr(module, "__package__", None) or module_name
        out.append((name, package))
    return sorted(out, key=lambda pair: -len(pair[1]))
