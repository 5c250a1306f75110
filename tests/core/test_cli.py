"""The `peyvand` command as an operator runs it: a real process on a fresh SQLite database."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

PEYVAND = str(Path(sys.executable).with_name("peyvand"))
ROLES = ("administrator", "inspector", "manager", "sales", "warehouse", "finance", "support")


class Site:
    """A temporary installation: its instance folder and SQLite database."""

    def __init__(self, tmp_path: Path):
        self.instance = tmp_path / "instance"
        self.url = f"sqlite:///{tmp_path / 'cli.db'}"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PEYVAND_RQ_QUEUE")}
        self.env.update(DATABASE_URL=self.url, PEYVAND_INSTANCE_PATH=str(self.instance))

    def run(self, *args, timeout=300) -> subprocess.CompletedProcess:
        return subprocess.run([PEYVAND, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def query(self, sql: str, **params):
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).all()
        finally:
            engine.dispose()

    def counts(self) -> dict[str, int]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar()
                        for t in inspect(conn).get_table_names()}
        finally:
            engine.dispose()

    def login(self, username: str, password: str):
        """Log in through the real login form of an app on this database; returns the client."""
        from core.app import create_app
        from core.db import db
        app = create_app({"SQLALCHEMY_DATABASE_URI": self.url, "INSTANCE_PATH": str(self.instance),
                          "TESTING": True, "WTF_CSRF_ENABLED": False})
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": password})
        home = client.get("/")
        with app.app_context():
            db.engine.dispose()
        return response, home


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path)


@pytest.fixture
def upgraded(site):
    result = site.run("db", "upgrade")
    assert result.returncode == 0, result.stderr
    return site


def assert_persian(text_: str) -> None:
    assert any("\u0600" <= ch <= "\u06ff" for ch in text_), text_


def test_db_upgrade_creates_the_schema_and_is_repeatable(site):
    result = site.run("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "به‌روز" in result.stdout
    counts = site.counts()
    for table in ("users", "offices", "groups", "parties", "products", "audit_entries", "alembic_version"):
        assert table in counts
    assert counts["users"] == 0 and counts["alembic_version"] >= 1

    heads = site.run("db", "heads")
    assert heads.returncode == 0, heads.stderr
    lines = dict(line.split(":", 1) for line in heads.stdout.strip().splitlines())
    assert lines["code"].strip() == lines["database"].strip() != ""

    again = site.run("db", "upgrade")
    assert again.returncode == 0, again.stderr
    assert site.counts() == counts


def test_without_database_url_the_instance_folder_holds_sqlite(tmp_path):
    site = Site(tmp_path)
    del site.env["DATABASE_URL"]
    result = site.run("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (site.instance / "peyvand.db").is_file()
    assert (site.instance / "secret_key").is_file()


def test_demo_loads_every_role_customers_and_products(upgraded):
    site = upgraded
    result = site.run("demo")
    assert result.returncode == 0, result.stderr
    assert "بارگذاری شد" in result.stdout

    counts = site.counts()
    assert counts["offices"] >= 3 and counts["departments"] >= 3 and counts["positions"] >= 5
    assert counts["parties"] >= 50 and counts["party_phones"] >= 50
    assert counts["products"] >= 10
    roles = {role for (role,) in site.query(
        "SELECT DISTINCT g.role FROM users u JOIN user_groups ug ON ug.user_id = u.id "
        "JOIN groups g ON g.id = ug.group_id WHERE u.active")}
    assert set(ROLES) <= roles
    # Subordinates exist (the visibility rules have something to show) and one admin is superuser.
    assert site.query("SELECT COUNT(*) FROM users WHERE manager_id IS NOT NULL")[0][0] >= 3
    assert site.query("SELECT username FROM users WHERE is_superuser")[0][0] == "admin"
    # Persian text is stored as typed.
    assert any("تهران" in name for (name,) in site.query("SELECT name FROM offices"))

    logins = site.run("logins")
    assert logins.returncode == 0 and "sara" in logins.stdout

    response, home = site.login("sara", "peyvand1403")
    assert response.status_code == 302 and home.status_code == 200


def test_demo_twice_if_empty_changes_nothing_and_plain_refuses(upgraded):
    site = upgraded
    assert site.run("demo").returncode == 0
    before = site.counts()
    snapshot = site.query("SELECT id, username, password_hash FROM users ORDER BY id")

    again = site.run("demo", "--if-empty")
    assert again.returncode == 0, again.stderr
    assert_persian(again.stdout)
    assert site.counts() == before

    refused = site.run("demo")
    assert refused.returncode != 0
    assert "خالی نیست" in refused.stderr
    assert site.counts() == before
    assert site.query("SELECT id, username, password_hash FROM users ORDER BY id") == snapshot


def test_create_admin_makes_a_superuser_who_can_log_in(upgraded):
    site = upgraded
    result = site.run("user", "create-admin", "--username", "Root.Admin", "--password", "a-long-passw0rd")
    assert result.returncode == 0, result.stderr
    assert "root.admin" in result.stdout
    (user_id, superuser, active), = site.query(
        "SELECT id, is_superuser, active FROM users WHERE username = 'root.admin'")
    assert superuser and active
    roles = [r for (r,) in site.query("SELECT g.role FROM user_groups ug JOIN groups g ON g.id = ug.group_id "
                                      "WHERE ug.user_id = :id", id=user_id)]
    assert roles == ["administrator"]

    response, home = site.login("root.admin", "a-long-passw0rd")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert home.status_code == 200
    wrong, _ = site.login("root.admin", "not-the-password")
    assert wrong.status_code == 200 and "درست نیست" in wrong.get_data(as_text=True)


def test_create_admin_refuses_a_short_password_and_a_taken_name(upgraded):
    site = upgraded
    short = site.run("user", "create-admin", "--username", "root", "--password", "short")
    assert short.returncode != 0
    assert "۸ نویسه" in short.stderr
    assert site.counts()["users"] == 0

    assert site.run("user", "create-admin", "--username", "root", "--password", "a-long-passw0rd").returncode == 0
    taken = site.run("user", "create-admin", "--username", "ROOT", "--password", "another-passw0rd")
    assert taken.returncode != 0 and "گرفته شده" in taken.stderr
    assert site.counts()["users"] == 1
