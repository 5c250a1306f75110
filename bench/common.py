"""What the benches share: a database of their own and a logged-in test client."""
from __future__ import annotations

import tempfile

from sqlalchemy import create_engine, text

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def database(kind: str, name: str, reuse: bool = False) -> str:
    """A new empty database (a fresh SQLite file, or PostgreSQL database `name`, dropped and
    created again); with `reuse`, an existing PostgreSQL database `name` as it is. Each bench
    names its own so that two can run at once."""
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/{name}.db"
    admin = create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not (reuse and exists):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG + name


def login(client, user_id: str) -> None:
    """Make the test client's next requests those of `user_id` (flask-login's session keys)."""
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
