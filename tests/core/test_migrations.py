"""The migrations: one alembic environment, a branch per plugin, always `upgrade heads`.

Each test runs on SQLite and PostgreSQL. The shared test database was built by `upgrade heads`
from empty (`core.testing.database_url`); the tests below also build brand-new databases.
"""
from __future__ import annotations

import itertools
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from core import migrate
from core.testing import PG_ADMIN_URL

_counter = itertools.count()


@pytest.fixture
def fresh_database_url(backend, tmp_path):
    """A brand-new empty database on the backend under test, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"peyvand_fresh_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{next(_counter)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def table_names(db) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def model_tables(db) -> set[str]:
    return set(db.metadata.tables)


def test_fresh_database_upgrades_to_every_head(fresh_database_url, make_app):
    from core.db import db
    app = make_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        assert table_names(db) == set()
        migrate.upgrade(app)
        assert model_tables(db) | {"alembic_version"} == table_names(db)
        assert migrate.database_heads() == migrate.script_heads(app)
        assert migrate.database_heads()  # not vacuously equal


def test_downgrade_to_base_and_upgrade_again(fresh_database_url, make_app):
    from core.db import db
    app = make_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        migrate.upgrade(app)
        migrate.downgrade(app, "base")
        assert table_names(db) <= {"alembic_version"}
        assert migrate.database_heads() == set()
        migrate.upgrade(app)
        assert model_tables(db) | {"alembic_version"} == table_names(db)
        assert migrate.database_heads() == migrate.script_heads(app)


def test_test_database_is_at_every_head(app):
    assert migrate.database_heads() == migrate.script_heads(app)


def test_models_and_migrations_agree(app, db):
    """Fails when a model changes without a migration (or a migration without its model),
    compared exactly the way `peyvand db revision` autogenerates."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=migrate.context_options(conn))
        diff = compare_metadata(context, db.metadata)
    assert diff == [], ("models and migrations differ; write a revision with "
                        "`peyvand db revision -b <branch> -m ...`:\n" + "\n".join(map(repr, diff)))


def test_each_branch_has_exactly_one_head(app):
    locations = migrate.locations(app)
    script = ScriptDirectory.from_config(migrate.alembic_config(app))
    revisions = list(script.walk_revisions())
    assert revisions
    labels = {label for rev in revisions for label in rev.branch_labels}
    for label in labels:
        # A head of a branch: no later revision of the same branch builds on it (a revision of
        # another branch that merely `depends_on` it does not count).
        heads = [rev.revision for rev in revisions if label in rev.branch_labels and not rev.nextrev]
        assert len(heads) == 1, f"branch {label} has heads {heads}: merge them (`alembic merge`)"
    # Every revision sits in the folder of the one branch it belongs to: a plugin branch that
    # starts with `down_revision` of a core revision (instead of `depends_on`) would inherit
    # the core's label and fail here.
    for rev in revisions:
        folder = os.path.dirname(os.path.abspath(rev.path))
        owners = [branch for branch, folders in locations.items()
                  if folder in {os.path.abspath(f) for f in folders}]
        assert owners and set(rev.branch_labels) == set(owners), \
            f"revision {rev.revision} in {folder} has branches {rev.branch_labels}, expected {owners}"


def test_every_table_belongs_to_a_branch_with_migrations(app, db):
    """`peyvand db revision -b <plugin>` sees only the tables that plugin owns, and each table
    is owned by a branch that has a migration folder."""
    locations = migrate.locations(app)
    with db.engine.connect() as conn:
        seen = {}
        for branch in locations:
            include = migrate.context_options(conn, branch)["include_object"]
            for name, table in db.metadata.tables.items():
                if include(table, name, "table", False, None):
                    seen.setdefault(name, []).append(branch)
    assert {name: branches for name, branches in seen.items() if len(branches) != 1} == {}
    assert set(seen) == model_tables(db), f"tables no branch owns: {model_tables(db) - set(seen)}"
    assert {"users", "groups", "parties"} <= {n for n, b in seen.items() if b == ["core"]}


def test_upgrading_a_database_with_data_keeps_every_row(fresh_database_url, make_app):
    """A later migration that rebuilds a table (SQLite batch mode: copy, drop, rename) must not
    cascade the drop into the rows that reference it."""
    from core.db import db
    app = make_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        migrate.upgrade(app, "crm@crm_0004")  # before crm_0005 adds columns to crm_negotiations
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, username, password_hash, session_token, first_name, last_name, "
                              "email, photo, phone, mobile, max_open_negotiations, is_superuser, active, locale, created_at) "
                              "VALUES (1, 'u', 'x', 't', 'a', 'b', '', '', '', '', 5, false, true, 'fa', '2024-01-01')"))
            conn.execute(text("INSERT INTO parties (id, kind, name, organisation, email, city, notes, search_key, created_at) "
                              "VALUES (1, 'person', 'علی', '', '', '', '', 'علی', '2024-01-01')"))
            conn.execute(text("INSERT INTO crm_customers (id, party_id, registered_at) VALUES (1, 1, '2024-01-01')"))
            conn.execute(text("INSERT INTO crm_negotiations (id, customer_id, owner_id, status, window_start, window_end, "
                              "opened_via, created_at) VALUES (1, 1, 1, 'negotiating', '2024-01-01', '2024-04-01', "
                              "'register', '2024-01-01')"))
            conn.execute(text("INSERT INTO crm_points (user_id, negotiation_id, event, points, at, reason) "
                              "VALUES (1, 1, 'negotiating', -1, '2024-01-01', '')"))
            conn.execute(text("INSERT INTO crm_log_entries (negotiation_id, customer_id, author_id, date, kind, summary, "
                              "created_at) VALUES (1, 1, 1, '2024-01-02', 'call', 'تماس', '2024-01-02')"))
            conn.execute(text("UPDATE crm_customers SET current_negotiation_id = 1"))
        migrate.upgrade(app)
        with db.engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                      for t in ("crm_negotiations", "crm_points", "crm_log_entries", "crm_customers")}
            assert counts == {"crm_negotiations": 1, "crm_points": 1, "crm_log_entries": 1, "crm_customers": 1}
            assert conn.execute(text("SELECT priority FROM crm_negotiations")).scalar() == "normal"
            if conn.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_finance_scope_all_goes_to_the_groups_that_kept_the_books(fresh_database_url, make_app):
    """finance_0004: the groups that saw every office's books before keep seeing them; the sales
    managers' group (and hand-made groups that only view) now see their own office's."""
    from core.db import db
    app = make_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    groups = {1: ("administrator", ["finance.view", "finance.receipts", "finance.credit"]),
              2: ("finance", ["finance.view", "finance.receipts"]), 3: ("inspector", ["finance.view"]),
              4: ("manager", ["finance.view"]), 5: ("", ["finance.view", "finance.receipts"]),
              6: ("", ["finance.view"]), 7: ("sales", ["crm.customers"])}
    with app.app_context():
        migrate.upgrade(app, "finance@finance_0003")
        with db.engine.begin() as conn:
            for gid, (role, perms) in groups.items():
                conn.execute(text("INSERT INTO groups (id, name, description, role, created_at) VALUES (:i, :n, '', :r, '2024-01-01')"),
                             {"i": gid, "n": f"g{gid}", "r": role})
                for perm in perms:
                    conn.execute(text("INSERT INTO group_permissions (group_id, permission) VALUES (:i, :p)"),
                                 {"i": gid, "p": perm})
        migrate.upgrade(app)
        with db.engine.connect() as conn:
            granted = set(conn.execute(text(
                "SELECT group_id FROM group_permissions WHERE permission = 'finance.scope_all'")).scalars())
        assert granted == {1, 2, 3, 5}
