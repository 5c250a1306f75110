"""Database: one SQLAlchemy metadata for the core and every plugin, SQLite or PostgreSQL.

SQLite is opened with WAL, foreign keys on and a busy timeout, and SQLAlchemy (not the driver)
decides when a transaction begins, so `BEGIN IMMEDIATE` can be asked for where a service must
serialise writers (see `lock_for_write`).
"""
from __future__ import annotations

import datetime as dt

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, BigInteger, DateTime, MetaData, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.jalali import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
# Money is integer Rials: tens of billions must fit, so money columns are BIGINT.
Money = BigInteger


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record):
    if dbapi_connection.__class__.__module__.startswith("psycopg"):
        # PostgreSQL's JIT compiles any query its planner costs high (an OR of sub-selects in a
        # visibility filter is enough): 1–2 s of compiling for a 50 ms list page. Not for OLTP.
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.commit()
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        # Let SQLAlchemy emit BEGIN itself (the driver's implicit transactions are off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', '')}")


def begin_write(session=None) -> None:
    """Start the session's transaction as a writer before it reads what it will decide on.

    On PostgreSQL the service then locks its rows with `SELECT ... FOR UPDATE`. On SQLite a
    transaction that has read a snapshot cannot become a writer once another writer committed,
    so the transaction starts with `BEGIN IMMEDIATE` (waiting on the busy timeout) instead.
    An open read-only transaction (the request's user lookup, say) is ended first.
    """
    session = session or db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write() called with unflushed changes in the session")
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def ping() -> bool:
    db.session.execute(text("SELECT 1"))
    return True


def insert_ignore(model):
    """`INSERT … ON CONFLICT DO NOTHING` for the current dialect (PostgreSQL or SQLite): for rows
    that may be created by two transactions at once, or written twice by a retried job."""
    from sqlalchemy.dialects import postgresql, sqlite
    return (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def bulk_insert(table, rows: list[dict], returning_ids: bool = False) -> list[int]:
    """Insert many rows (dicts with the same keys, JSON columns as Python objects) in the
    current transaction, fast: PostgreSQL `COPY` (ids drawn from the table's sequence first
    when wanted), SQLite `executemany` in process. An INSERT … VALUES of thousands of rows costs
    more to build and parse than to run. Returns the ids, in the order of `rows`."""
    import json

    if not rows:
        return []
    columns = list(dict.fromkeys(k for row in rows for k in row))  # a key a row lacks is NULL
    rows = [row if len(row) == len(columns) else {k: row.get(k) for k in columns} for row in rows]
    if db.session.get_bind().dialect.name != "postgresql":
        if returning_ids:
            stmt = table.insert().returning(table.c.id, sort_by_parameter_order=True)
            return list(db.session.execute(stmt, rows).scalars())
        db.session.execute(table.insert(), rows)
        return []
    ids: list[int] = []
    if returning_ids:
        ids = list(db.session.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                                      {"t": table.name, "n": len(rows)}).scalars())
        columns = ["id", *columns]
    json_columns = {c.key for c in table.columns if isinstance(c.type, JSON)}
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for i, row in enumerate(rows):
            values = [row[k] if k not in json_columns else json.dumps(row[k], ensure_ascii=False)
                      for k in columns[1 if returning_ids else 0:]]
            copy.write_row([ids[i], *values] if returning_ids else values)
    return ids


def pg_array(items: list) -> str:
    """A list as PostgreSQL's array literal (the statement casts it): psycopg's own list
    adaptation, in pure Python, costs more than the query at thousands of values."""
    if not items or not isinstance(items[0], str):
        return "{" + ",".join(str(int(x)) for x in items) + "}"
    joined = "\x00".join(items)
    if "\\" in joined or '"' in joined:
        joined = joined.replace("\\", "\\\\").replace('"', '\\"')
    return '{"' + joined.replace("\x00", '","') + '"}'


def not_in_ids(column, ids: list[int]):
    """`column NOT IN (ids)` for thousands of integers, as one parameter read back as a table
    (PostgreSQL: `unnest` of an array; SQLite: `json_each`), which the database hashes once:
    psycopg spent 8 ms parsing a statement with a thousand placeholders, and `<> ALL (array)` is
    checked item by item on every row."""
    import json

    from sqlalchemy import Integer, cast, func, literal, select
    from sqlalchemy.dialects.postgresql import ARRAY
    if not ids:
        return column.not_in([])
    if db.session.get_bind().dialect.name == "postgresql":
        return column.not_in(select(func.unnest(cast(literal(pg_array(ids)), ARRAY(Integer)))).scalar_subquery())
    return column.not_in(select(func.json_each(literal(json.dumps([int(i) for i in ids]))).table_valued("value").c.value)
                         .scalar_subquery())


def in_values(column, values: list):
    """`column IN (values)` for a long list: on PostgreSQL one array parameter (`= ANY`), which
    psycopg neither adapts item by item nor parses as thousands of placeholders."""
    from sqlalchemy import String, any_, cast, literal
    from sqlalchemy.dialects.postgresql import ARRAY
    if db.session.get_bind().dialect.name == "postgresql" and values and isinstance(values[0], str):
        return column == any_(cast(literal(pg_array(values)), ARRAY(String)))
    return column.in_(values)
