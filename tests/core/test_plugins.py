"""The plugin host.

- A real third-party plugin (`tests/sample_plugin`, distribution `peyvand-sample-plugin`) is
  pip-installed into a private folder once per session and exercised in a subprocess with
  `PYTHONPATH` pointing there, so it never leaks into the other tests: every contribution must
  appear, and none of them when the plugin is disabled.
- In-process: validation at start-up, ordering, error isolation, entry-point discovery.
- `docs/plugins.md` agrees with `core/hookspecs.py` and `core.plugins.ENTRY_POINT_GROUP`.
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import inspect
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pluggy
import pytest
from flask import Blueprint

from core import hookspecs
from core.plugins import (BUILTIN_PLUGINS, ENTRY_POINT_GROUP, PROJECT, MenuItem, PeriodicTask,
                          Permission, PluginError, Setting)
from core.testing import plugin

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SOURCE = ROOT / "tests" / "sample_plugin"
DOCS = ROOT / "docs" / "plugins.md"


# --- the installed sample plugin, in a subprocess ---------------------------------------------

@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """`pip install` the sample plugin into a private folder (not the venv), once per session.

    The source is copied first: pip builds in-tree and would leave `build/` in the checkout."""
    base = tmp_path_factory.mktemp("sample_plugin")
    source = base / "source"
    shutil.copytree(SAMPLE_SOURCE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = base / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--quiet", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


# Runs in the subprocess. Everything it learns goes into one JSON file (argv[1]).
PROBE = r'''
import json, os, sys
from click.testing import CliRunner
from sqlalchemy import inspect as sa_inspect

from core.cli import main as peyvand

runner = CliRunner()
report = {"module_loaded": "peyvand_sample.plugin" in sys.modules}


def cli(*args):
    result = runner.invoke(peyvand, list(args))
    return {"exit": result.exit_code, "stdout": result.stdout, "output": result.output,
            "exception": repr(result.exception) if result.exception else None}


report["upgrade"] = cli("db", "upgrade")
report["plugins_json"] = cli("plugins", "--json")
report["add_note"] = cli("sample", "add-note", "یادداشت اول")
report["tasks_list"] = cli("tasks", "list")
report["tasks_run"] = cli("tasks", "run", "sample.count_notes")
report["module_loaded_after_cli"] = "peyvand_sample.plugin" in sys.modules
if report["module_loaded_after_cli"]:
    report["module_file"] = sys.modules["peyvand_sample.plugin"].__file__

from core import migrate, settings
from core.app import create_app
from core.db import db
from core.models.org import Group, GroupPermission
from core.services.users import save_user

app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
state = app.extensions["peyvand"]
with app.app_context():
    report["blueprints"] = sorted(app.blueprints)
    report["sample_rules"] = sorted(r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("sample."))
    perm = state.permissions.get("sample.view")
    report["permission"] = perm and {"name": perm.name, "plugin": perm.plugin, "roles": list(perm.roles)}
    setting = state.settings_schema.get("sample.greeting")
    report["setting"] = setting and {"plugin": setting.plugin, "default": setting.default,
                                     "value": settings.get("sample.greeting")}
    task = state.periodic_tasks.get("sample.count_notes")
    report["task"] = task and {"plugin": task.plugin, "interval": task.interval}
    report["cli_commands"] = sorted(app.cli.commands)
    report["locations"] = {k: v for k, v in migrate.locations(app).items()}
    report["tables"] = sorted(sa_inspect(db.engine).get_table_names())
    report["database_heads"] = sorted(migrate.database_heads())
    report["script_heads"] = sorted(migrate.script_heads(app))
    from alembic.script import ScriptDirectory
    script = ScriptDirectory.from_config(migrate.alembic_config(app))
    report["head_branches"] = sorted(label for head in script.get_heads()
                                     for label in script.get_revision(head).branch_labels)
    if "sample_notes" in db.metadata.tables:
        report["owner"] = migrate.table_owner(db.metadata.tables["sample_notes"], app)
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts=migrate.context_options(conn))
            report["autogenerate_diff"] = [repr(d) for d in compare_metadata(context, db.metadata)]
            context = MigrationContext.configure(conn, opts=migrate.context_options(conn, "sample"))
            report["sample_branch_tables"] = sorted(
                name for name in db.metadata.tables
                if context.opts["include_object"](db.metadata.tables[name], name, "table", False, None))

    # A user holding sample.view (granted directly: it also exists in a database that kept the
    # grant after the plugin was disabled) and one holding nothing.
    group = Group(name="sample viewers", grants=[GroupPermission(permission="sample.view")])
    db.session.add(group)
    db.session.commit()
    def user(name, group_ids):
        return save_user(dict(username=name, first_name="کاربر", last_name=name, password="password123",
                              password_repeat="password123", group_ids=group_ids))
    logins = {name: user(name, ids).get_id() for name, ids in (("viewer", [group.id]), ("outsider", []))}

# Requests outside the app context above: inside it they would share its `g` (and the user
# flask-login caches there).
report["pages"] = {}
for name, login in logins.items():
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = login, True
    home, page = client.get("/"), client.get("/sample/")
    report["pages"][name] = {"home_status": home.status_code, "home": home.get_data(as_text=True),
                             "sample_status": page.status_code, "sample": page.get_data(as_text=True)}

with app.app_context():
    if "sample" in app.blueprints:
        report["template_file"] = app.jinja_env.get_template("sample/index.html").filename
        # The plugin's branch goes down and up on its own, leaving the core's tables alone.
        migrate.downgrade(app, "sample@base")
        report["tables_after_sample_downgrade"] = sorted(sa_inspect(db.engine).get_table_names())
        migrate.upgrade(app)
        report["tables_after_reupgrade"] = sorted(sa_inspect(db.engine).get_table_names())

if len(sys.argv) > 2:  # a database the plugin had migrated before it was disabled
    kept = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[2]})
    with kept.app_context():
        migrate.upgrade(kept)
        report["kept"] = {"tables": sorted(sa_inspect(db.engine).get_table_names()),
                          "database_heads": sorted(migrate.database_heads()),
                          "script_heads": sorted(migrate.script_heads(kept))}

with open(sys.argv[1], "w") as f:
    json.dump(report, f, ensure_ascii=False)
'''


def run_probe(site: Path, workdir: Path, disabled: str = "", kept_database: Path | None = None) -> dict:
    """One scenario: a fresh SQLite file and instance folder, the sample plugin importable."""
    workdir.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEYVAND_", "DATABASE_URL", "REDIS_URL"))}
    env.update(PYTHONPATH=str(site), DATABASE_URL=f"sqlite:///{workdir / 'peyvand.db'}",
               PEYVAND_INSTANCE_PATH=str(workdir / "instance"), PEYVAND_DISABLED_PLUGINS=disabled)
    out = workdir / "report.json"
    args = [str(out)] + ([f"sqlite:///{kept_database}"] if kept_database else [])
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=workdir, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def enabled_run(sample_site, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("enabled")
    return workdir, run_probe(sample_site, workdir)


@pytest.fixture(scope="module")
def enabled(enabled_run):
    return enabled_run[1]


@pytest.fixture(scope="module")
def disabled(sample_site, enabled_run, tmp_path_factory):
    """Disabled: on a fresh database, and on a copy of the database the enabled run migrated."""
    workdir = tmp_path_factory.mktemp("disabled")
    for path in enabled_run[0].glob("peyvand.db*"):
        shutil.copy(path, workdir / path.name.replace("peyvand.db", "kept.db"))
    return run_probe(sample_site, workdir / "fresh", disabled="sample", kept_database=workdir / "kept.db")


def test_installed_plugin_is_listed_with_its_version(enabled, sample_site):
    assert enabled["module_loaded"] is False  # nothing loads at import time, only in create_app()
    assert enabled["module_file"].startswith(str(sample_site))  # the installed copy, not the source
    assert enabled["plugins_json"]["exit"] == 0, enabled["plugins_json"]
    listed = json.loads(enabled["plugins_json"]["stdout"])
    versions = {p["name"]: p["version"] for p in listed["plugins"]}
    assert versions["sample"] == "1.2.3"
    assert versions["core"] == importlib.metadata.version("peyvand")
    assert set(BUILTIN_PLUGINS) <= set(versions)
    sample_hooks = next(p["hooks"] for p in listed["plugins"] if p["name"] == "sample")
    assert {"register_blueprints", "cli_commands", "template_slot", "migration_locations"} <= set(sample_hooks)
    assert listed["disabled"] == []


def test_installed_plugin_blueprint_template_and_menu(enabled, sample_site):
    assert "sample" in enabled["blueprints"]
    assert enabled["sample_rules"] == ["/sample/"]
    viewer, outsider = enabled["pages"]["viewer"], enabled["pages"]["outsider"]
    assert viewer["sample_status"] == 200
    assert '<h1 class="h4" id="sample-greeting">سلام از افزونهٔ نمونه</h1>' in viewer["sample"]
    assert "۱ یادداشت" in viewer["sample"]  # the note added through the plugin's CLI command
    assert 'dir="rtl"' in viewer["sample"]  # the plugin's template extends the core's layout
    assert enabled["template_file"].startswith(str(sample_site))
    assert outsider["sample_status"] == 403
    # The menu item is guarded by the plugin's own permission.
    assert viewer["home_status"] == outsider["home_status"] == 200
    assert 'data-menu="sample.index" href="/sample/"' in viewer["home"]
    assert 'data-menu="sample.index"' not in outsider["home"]
    assert 'data-menu="core.home"' in outsider["home"]  # the menu itself is there
    # The template slot on the home page, filled with the page's context.
    assert '<div class="col-12" id="sample-slot">یادداشت نمونه برای viewer</div>' in viewer["home"]


def test_installed_plugin_permission_setting_task_and_command(enabled):
    assert enabled["permission"] == {"name": "sample.view", "plugin": "sample", "roles": ["administrator"]}
    assert enabled["setting"] == {"plugin": "sample", "default": "سلام از افزونهٔ نمونه",
                                  "value": "سلام از افزونهٔ نمونه"}
    assert enabled["task"] == {"plugin": "sample", "interval": 600}
    assert "sample.count_notes" in enabled["tasks_list"]["stdout"]
    assert enabled["tasks_run"]["exit"] == 0, enabled["tasks_run"]
    assert "sample.count_notes: 1" in enabled["tasks_run"]["stdout"]
    assert "sample" in enabled["cli_commands"]
    assert enabled["add_note"]["exit"] == 0, enabled["add_note"]
    assert enabled["add_note"]["stdout"].strip() == "notes: 1"


def test_installed_plugin_migrations_on_their_own_branch(enabled, sample_site):
    assert enabled["upgrade"]["exit"] == 0, enabled["upgrade"]
    assert enabled["locations"]["sample"] == [str(sample_site / "peyvand_sample" / "migrations")]
    assert "sample_notes" in enabled["tables"] and "users" in enabled["tables"]
    assert "sample_0001" in enabled["database_heads"]
    assert enabled["database_heads"] == enabled["script_heads"]
    assert "sample" in enabled["head_branches"]
    # The model and its migration agree, and `peyvand db revision -b sample` sees only its table.
    assert enabled["owner"] == "sample"
    assert enabled["autogenerate_diff"] == []
    assert enabled["sample_branch_tables"] == ["sample_notes"]
    assert "sample_notes" not in enabled["tables_after_sample_downgrade"]
    assert "users" in enabled["tables_after_sample_downgrade"]
    assert "sample_notes" in enabled["tables_after_reupgrade"]


def test_disabled_plugin_contributes_nothing(disabled):
    assert disabled["module_loaded_after_cli"] is False  # blocked before its module is imported
    listed = json.loads(disabled["plugins_json"]["stdout"])
    assert "sample" not in {p["name"] for p in listed["plugins"]}
    assert listed["disabled"] == ["sample"]
    assert set(BUILTIN_PLUGINS) <= {p["name"] for p in listed["plugins"]}
    assert "sample" not in disabled["blueprints"] and disabled["sample_rules"] == []
    viewer = disabled["pages"]["viewer"]  # holds a stale sample.view grant
    assert viewer["sample_status"] == 404
    assert viewer["home_status"] == 200
    assert 'data-menu="sample.index"' not in viewer["home"] and "sample-slot" not in viewer["home"]
    assert disabled["permission"] is None
    assert disabled["setting"] is None
    assert disabled["task"] is None and "sample.count_notes" not in disabled["tasks_list"]["stdout"]
    assert disabled["tasks_run"]["exit"] != 0
    assert "sample" not in disabled["cli_commands"]
    assert disabled["add_note"]["exit"] == 2 and "No such command" in disabled["add_note"]["output"]
    assert disabled["upgrade"]["exit"] == 0, disabled["upgrade"]
    assert "sample" not in disabled["locations"]
    assert "sample_notes" not in disabled["tables"] and "users" in disabled["tables"]
    assert disabled["database_heads"] == disabled["script_heads"]
    assert "sample_0001" not in disabled["script_heads"]


def test_disabling_a_migrated_plugin_keeps_its_tables_and_upgrades_the_rest(disabled):
    kept = disabled["kept"]
    assert "sample_notes" in kept["tables"]  # data is never dropped by disabling
    # Its revision stays recorded, so enabling it again resumes from there.
    assert "sample_0001" in kept["database_heads"] and "sample_0001" not in kept["script_heads"]
    assert set(kept["database_heads"]) == set(kept["script_heads"]) | {"sample_0001"}


# --- validation at start-up, in-process ---------------------------------------------------------

NOT_NAMESPACED = {
    "permission": dict(register_permissions=lambda: [Permission("other.view", "دیدن")]),
    "setting": dict(settings_schema=lambda: [Setting("other.limit", "سقف", "int", 1)]),
    "blueprint": dict(register_blueprints=lambda app: [Blueprint("other", __name__)]),
}
NAMESPACED = {
    "permission": dict(register_permissions=lambda: [Permission("acme.view", "دیدن")]),
    "setting": dict(settings_schema=lambda: [Setting("acme.limit", "سقف", "int", 1)]),
    "blueprint": dict(register_blueprints=lambda app: [Blueprint("acme_admin", __name__)]),
}


@pytest.mark.parametrize("kind", sorted(NOT_NAMESPACED))
def test_contributions_outside_the_plugin_namespace_stop_start_up(make_app, kind):
    with pytest.raises(PluginError, match="'acme'"):
        make_app(plugins=[("acme", plugin(**NOT_NAMESPACED[kind]))])
    app = make_app(plugins=[("acme", plugin(**NAMESPACED[kind]))])
    state = app.extensions["peyvand"]
    assert "acme.view" in state.permissions or "acme.limit" in state.settings_schema \
        or "acme_admin" in app.blueprints


@pytest.mark.parametrize("name", ["db", "tasks", "routes"])
def test_a_command_shadowing_a_core_command_stops_start_up(make_app, name):
    command = click.Command(name, callback=lambda: None)
    with pytest.raises(PluginError, match=f"'{name}'"):
        make_app(plugins=[("acme", plugin(cli_commands=lambda: [command]))])
    app = make_app(plugins=[("acme", plugin(cli_commands=lambda: [click.Group("acme")]))])
    assert "acme" in app.cli.commands


def test_duplicate_permission_stops_start_up(make_app):
    twice = plugin(register_permissions=lambda: [Permission("acme.view", "یک"), Permission("acme.view", "دو")])
    with pytest.raises(PluginError, match="twice"):
        make_app(plugins=[("acme", twice)])


@pytest.mark.parametrize("hooks", [
    dict(menu_item=lambda user: []),          # misspelt hook name: caught by check_pending()
    dict(menu_items=lambda usr: []),          # misspelt argument: caught on registration
], ids=["hook-name", "argument"])
def test_misspelt_hook_implementation_stops_start_up(make_app, hooks):
    with pytest.raises(pluggy.PluginValidationError, match="menu_item"):
        make_app(plugins=[("acme", plugin(**hooks))])
    make_app(plugins=[("acme", plugin(menu_items=lambda user: []))])  # spelt right: fine


def test_menu_items_are_sorted_by_order_not_registration(make_app, make_user):
    first = plugin(menu_items=lambda: [MenuItem("aaa.late", "دیر", "core.rules", order=700)])
    second = plugin(menu_items=lambda user: [MenuItem("zzz.early", "زود", "core.rules", order=5)])
    keys = []
    for plugins in ([("aaa", first), ("zzz", second)], [("zzz", second), ("aaa", first)]):
        app = make_app(plugins=plugins)
        items = app.extensions["peyvand"].host.menu_items(user=None)
        assert [(m.order, m.label) for m in items] == sorted((m.order, m.label) for m in items)
        keys.append([m.key for m in items])
        assert {m.key: m.plugin for m in items}["zzz.early"] == "zzz"
    assert keys[0] == keys[1]
    assert keys[0].index("core.home") < keys[0].index("zzz.early") < keys[0].index("aaa.late")
    # …and the rendered navigation follows the same order.
    boss = make_user("boss", superuser=True)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = boss.get_id(), True
    html = client.get("/").get_data(as_text=True)
    assert html.index('data-menu="zzz.early"') < html.index('data-menu="aaa.late"')


def test_call_each_isolates_a_failing_plugin(make_app, caplog):
    def broken(slot):
        raise RuntimeError("boom")
    app = make_app(plugins=[("bad", plugin(template_slot=broken)),
                            ("good", plugin(template_slot=lambda slot, context: f"{slot}:{context['n']}"))])
    host = app.extensions["peyvand"].host
    with caplog.at_level(logging.ERROR, logger="core.plugins"):
        results = dict(host.call_each("template_slot", isolate_errors=True, slot="x", context={"n": 1}))
    assert results["good"] == "x:1"
    assert isinstance(results["bad"], RuntimeError) and str(results["bad"]) == "boom"
    assert any("bad" in r.getMessage() and "template_slot" in r.getMessage() for r in caplog.records)
    with pytest.raises(RuntimeError, match="boom"):
        host.call_each("template_slot", slot="x", context={"n": 1})


def test_builtin_plugins_are_found_through_the_entry_point_group(app):
    host = app.extensions["peyvand"].host
    entry_points = {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert set(BUILTIN_PLUGINS) <= set(entry_points)
    assert set(host.names()) == {"core"} | set(entry_points)
    loaded_from = {host.pm.get_name(p): dist.project_name for p, dist in host.pm.list_plugin_distinfo()}
    for name in BUILTIN_PLUGINS:
        assert host.pm.get_plugin(name).__name__ == entry_points[name].value
        assert loaded_from[name] == "peyvand"  # registered by pluggy's entry-point loader


def test_disabled_builtin_plugin_is_blocked(make_app):
    app = make_app({"DISABLED_PLUGINS": ("support",)})
    host = app.extensions["peyvand"].host
    assert "support" not in host.names() and not host.is_enabled("support")
    assert "support" in host.disabled and host.is_enabled("crm")
    # An extra plugin under a disabled name is blocked too.
    app = make_app({"DISABLED_PLUGINS": ("acme",)},
                   plugins=[("acme", plugin(register_permissions=lambda: [Permission("acme.view", "دیدن")]))])
    assert "acme.view" not in app.extensions["peyvand"].permissions
    with pytest.raises(PluginError, match="core"):
        make_app({"DISABLED_PLUGINS": ("core",)})


def test_a_test_plugin_replaces_the_installed_one_of_the_same_name(make_app):
    stand_in = plugin(register_permissions=lambda: [Permission("dashboard.stand_in", "جایگزین")])
    app = make_app(plugins=[("dashboard", stand_in)])
    host = app.extensions["peyvand"].host
    assert host.pm.get_plugin("dashboard") is stand_in
    assert "dashboard.stand_in" in app.extensions["peyvand"].permissions
    with pytest.raises(PluginError, match="core"):
        make_app(plugins=[("core", stand_in)])


def test_hook_calls_are_traced_on_request(make_app, monkeypatch, capsys):
    monkeypatch.setenv("PEYVAND_TRACE_HOOKS", "1")
    app = make_app(plugins=[("acme", plugin(template_slot=lambda slot: "x"))])
    app.extensions["peyvand"].host.call_each("template_slot", slot="core.home", context={})
    assert "peyvand hook template_slot → acme(slot)" in capsys.readouterr().err


# --- docs/plugins.md agrees with the code -------------------------------------------------------

def hook_specs() -> dict:
    """name → spec function, as pluggy sees `core/hookspecs.py`."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    return {name: caller.spec.function for name, caller in vars(pm.hook).items()
            if getattr(caller, "spec", None) is not None}


def documented_hooks() -> dict[str, tuple[str, str]]:
    """`### name(args)` headings of the hook reference → (heading signature, text below it)."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("\n## Hook reference")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end != -1 else None]
    out = {}
    parts = re.split(r"^### (.+?)\s*$", section, flags=re.M)
    for heading, body in zip(parts[1::2], parts[2::2]):
        name = heading.strip("`").split("(")[0]
        assert name not in out, f"{name} documented twice"
        out[name] = (heading.strip("`"), body)
    return out


def _words(text: str) -> str:
    return " ".join(text.split())


def test_every_hook_is_documented_with_its_signature_and_docstring():
    specs, documented = hook_specs(), documented_hooks()
    assert specs, "no hookspecs found"
    for name, func in specs.items():
        signature, doc = f"{name}{inspect.signature(func)}", inspect.getdoc(func)
        expected = f"### {signature}\n\n{doc}\n"
        assert name in documented, f"hook {name} is missing from docs/plugins.md; add:\n\n{expected}"
        heading, body = documented[name]
        assert heading == signature, f"docs/plugins.md documents {heading}, the code says {signature}"
        assert _words(doc) in _words(body), f"the docs of {name} differ from its docstring; use:\n\n{expected}"
    assert not set(documented) - set(specs), f"documented hooks that do not exist: {set(documented) - set(specs)}"


def _signature_of(cls) -> str:
    def default(value):
        return f'"{value}"' if isinstance(value, str) else repr(value)
    parts = [f.name if f.default is dataclasses.MISSING else f"{f.name}={default(f.default)}"
             for f in dataclasses.fields(cls)]
    return f"{cls.__name__}({', '.join(parts)})"


def test_contribution_types_are_documented_with_their_fields():
    text = DOCS.read_text(encoding="utf-8")
    for cls in (Permission, MenuItem, Setting, PeriodicTask):
        assert f"**`{_signature_of(cls)}`**" in text, f"document {_signature_of(cls)} in docs/plugins.md"


def test_docs_name_the_entry_point_group_of_the_code():
    text = DOCS.read_text(encoding="utf-8")
    groups = re.findall(r'\[project\.entry-points\."([^"]+)"\]', text)
    assert groups and set(groups) == {ENTRY_POINT_GROUP}, f"docs name {groups}, the code {ENTRY_POINT_GROUP!r}"
    assert "PEYVAND_DISABLED_PLUGINS" in text
    sample = (SAMPLE_SOURCE / "pyproject.toml").read_text()
    assert f'[project.entry-points."{ENTRY_POINT_GROUP}"]' in sample


def test_the_example_plugin_in_the_docs_works(make_app, make_user, tmp_path):
    """The files of the docs' complete example (fenced blocks with `title="acme_peyvand/…"`)
    are written out, imported and registered exactly as if installed."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r'^```\w+ title="(acme_peyvand/[^"]+)"\n(.*?)^```', text, flags=re.M | re.S)
    files = dict(blocks)
    assert {"acme_peyvand/plugin.py", "acme_peyvand/views.py"} <= set(files)
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    (tmp_path / "acme_peyvand" / "__init__.py").touch()
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("acme_peyvand.plugin")
        app = make_app(plugins=[("acme", module)])
        state = app.extensions["peyvand"]
        assert "acme.view" in state.permissions
        assert any(key.startswith("acme.") for key in state.settings_schema)
        boss = make_user("boss", superuser=True)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = boss.get_id(), True
        home = client.get("/").get_data(as_text=True)
        assert 'data-menu="acme.index"' in home
        assert 'id="acme-card"' in home
        page = client.get("/acme/")
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "acme_peyvand" or m.startswith("acme_peyvand.")]:
            del sys.modules[name]
