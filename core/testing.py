"""The core's test fixtures, shipped as a pytest plugin (`pytest11` entry point), so a plugin's
tests — ours or an integrator's — need a few lines.

Every test that uses `app` runs once per database backend chosen with `--db` (`sqlite`,
`postgresql` or `all`, the default). Each pytest worker gets its own database, upgraded once
through the real alembic migrations; tables are emptied after each test, so tests may commit,
open concurrent connections and start other processes against the same database.

Fixtures: `backend`, `database_url`, `app`, `db`, `client`, `login_as`, `make_user`,
`make_app` (an app with extra config or throw-away plugins for one test).
"""
from __future__ import annotations

import os
import types

import pytest
from flask import request_started, request_tearing_down
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("PEYVAND_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser):
    parser.addoption("--db", default="all", choices=("all",) + BACKENDS,
                     help="database backend(s) the tests run on")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: run only on SQLite")
    config.addinivalue_line("markers", "postgresql_only: run only on PostgreSQL")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db")
        backends = list(BACKENDS) if chosen == "all" else [chosen]
        if metafunc.definition.get_closest_marker("sqlite_only"):
            backends = [b for b in backends if b == "sqlite"]
        if metafunc.definition.get_closest_marker("postgresql_only"):
            backends = [b for b in backends if b == "postgresql"]
        metafunc.parametrize("backend", backends, scope="session")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _prepared_databases():
    prepared: dict[str, str] = {}
    yield prepared
    pg = prepared.get("postgresql")
    if pg:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(backend, _prepared_databases, tmp_path_factory):
    """A database at the latest migration, private to this pytest worker."""
    if backend in _prepared_databases:
        return _prepared_databases[backend]
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "peyvand-test.db"
        url = f"sqlite:///{path}"
    else:
        # Per process: several pytest runs (developers, CI) may share one server.
        name = f"peyvand_test_{_worker()}_{os.getpid()}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    from core import migrate
    from core.app import create_app
    bootstrap = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                            "INSTANCE_PATH": str(tmp_path_factory.mktemp("bootstrap"))})
    with bootstrap.app_context():
        migrate.upgrade(bootstrap)
        from core.db import db
        db.engine.dispose()
    _prepared_databases[backend] = url
    return url


def empty_all_tables(db) -> None:
    """Delete every row of every table (not alembic_version), keeping the schema."""
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "sqlite":
        # Foreign keys off (SQLite ignores the pragma inside a transaction, hence the raw
        # connection): self-references (a credit note's invoice) are checked row by row.
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA foreign_keys=OFF")
            cursor = raw.driver_connection.cursor()
            cursor.execute("BEGIN")
            for name in reversed(tables):
                cursor.execute(f'DELETE FROM "{name}"')
            if cursor.execute("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'").fetchone():
                cursor.execute("DELETE FROM sqlite_sequence")
            cursor.execute("COMMIT")
            raw.driver_connection.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()
        return
    with db.engine.begin() as conn:
        existing = set(conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
        present = [t for t in tables if t in existing]
        # TRUNCATE costs per table whatever it holds: empty only the tables that have rows
        # (one cheap query), and reset every sequence so ids start at 1 again.
        probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in present)
        used = list(conn.execute(text(probe)).scalars()) if present else []
        if used:
            conn.execute(text(f"TRUNCATE {', '.join(f'{chr(34)}{t}{chr(34)}' for t in used)} CASCADE"))
        for seq in conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() "
                                     "AND last_value IS NOT NULL")).scalars():
            conn.execute(text(f'ALTER SEQUENCE "{seq}" RESTART'))

def _clear_g(sender, **extra):
    from flask import g
    for key in list(g):
        g.pop(key, None)


@pytest.fixture
def make_app(database_url, tmp_path):
    """`make_app(config=None, plugins=())` → an app on the test database. `plugins` are
    `(name, module_or_object)` pairs registered for this app only, exactly as if installed."""
    from core.app import create_app
    from core.db import db
    made = []

    def factory(config: dict | None = None, plugins=()):
        settings = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                    "INSTANCE_PATH": str(tmp_path / f"instance{len(made)}"), "EXTRA_PLUGINS": list(plugins),
                    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}  # fast; production keeps scrypt
        settings.update(config or {})
        app = create_app(settings)
        # The `app` fixture keeps an app context pushed and Flask reuses it for the test client's
        # requests, so `g` (flask-login's user, the permission and settings caches) would leak
        # from one request into the next and into the test body. Production starts each request
        # with a fresh `g`; so do the tests.
        request_started.connect(_clear_g, app, weak=False)
        request_tearing_down.connect(_clear_g, app, weak=False)
        made.append(app)
        return app

    yield factory
    # Only apps on the test database are emptied; an app a test pointed elsewhere (a restore
    # target, say) belongs to that test, and its database may already be gone.
    emptied = False
    for app in made:
        with app.app_context():
            db.session.remove()
            if not emptied and app.config["SQLALCHEMY_DATABASE_URI"] == database_url:
                empty_all_tables(db)
                emptied = True
            db.engine.dispose()


@pytest.fixture(scope="session")
def _shared_apps():
    return {}


@pytest.fixture
def app(database_url, make_app, _shared_apps, tmp_path):
    """The default app, built once per backend and reused: building one compiles ~300 URL
    rules (a third of a second), which would otherwise dominate the suite. Each test gets a fresh
    app context (so a fresh session and `g`), an empty database and its own uploads folder.
    A test that needs a fresh app or other settings calls `make_app(...)` itself."""
    from core.db import db
    if database_url not in _shared_apps:
        _shared_apps[database_url] = make_app({"INSTANCE_PATH": str(tmp_path / "shared-instance")})
    app = _shared_apps[database_url]
    # A fresh instance folder per test, so uploads and the CLI (PEYVAND_INSTANCE_PATH) agree.
    app.instance_path = str(tmp_path / "instance")
    app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    try:
        with app.app_context():
            yield app
    finally:
        with app.app_context():
            db.session.remove()
            empty_all_tables(db)


@pytest.fixture
def db(app):
    from core.db import db as database
    return database


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """`make_user("sara", role="sales", office=office, manager=user, **fields)`; the default
    role groups are seeded on first use. Password: `password123`."""
    from core.db import db
    from core.services.groups import seed_role_groups
    from core.services.users import save_user
    counter = iter(range(1, 10_000))

    def factory(username: str | None = None, role: str | None = "sales", office=None, manager=None,
                superuser: bool = False, **fields):
        groups = seed_role_groups()
        username = username or f"user{next(counter)}"
        data = dict(username=username, first_name=fields.pop("first_name", "کاربر"),
                    last_name=fields.pop("last_name", username), password="password123",
                    password_repeat="password123", office_id=office.id if office else None,
                    manager_id=manager.id if manager else None,
                    group_ids=[groups[role].id] if role else [])
        data.update(fields)
        user = save_user(data)
        if superuser:
            user.is_superuser = True
            db.session.commit()
        return user

    return factory


@pytest.fixture
def login_as(client):
    """`login_as(user)` logs the test client in (through flask-login's session keys)."""
    def do(user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client
    return do


def plugin(**hooks) -> types.SimpleNamespace:
    """A throw-away plugin object from hook functions: `plugin(register_permissions=f)`."""
    from core.plugins import hookimpl
    return types.SimpleNamespace(**{name: hookimpl(func) for name, func in hooks.items()})

