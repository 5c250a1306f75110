"""Alembic environment for Peyvand: the app's engine and metadata, batch mode on SQLite.

The options (metadata, include rules) come from `core.migrate.context_options`, which the
migration tests use too, so "autogenerate finds no difference" means the same thing in both.
"""
from alembic import context

from core.db import db
from core.migrate import context_options, set_aside_disabled_heads

config = context.config
app = config.attributes.get("app")


def run():
    ctx = app.app_context() if app is not None else None
    if ctx:
        ctx.push()
    try:
        with db.engine.connect() as connection:
            # Batch mode rebuilds a SQLite table (copy, DROP, rename); with foreign keys on, the
            # DROP cascades into every child table (a negotiation's points, log, cards…). SQLite
            # ignores this pragma inside a transaction, so it goes to the driver before BEGIN.
            raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                context.configure(connection=connection,
                                  **context_options(connection, config.attributes.get("autogenerate_branch")))
                with context.begin_transaction(), set_aside_disabled_heads(connection, context.script):
                    context.run_migrations()
                connection.commit()
            finally:
                if raw is not None:
                    raw.execute("PRAGMA foreign_keys=ON")
    finally:
        if ctx:
            ctx.pop()


run()
