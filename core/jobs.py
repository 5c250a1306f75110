"""Background jobs: one `enqueue` for all code, rq on Redis when REDIS_URL is set, inline
otherwise (the embedded default needs no server). Periodic tasks come from the plugins'
`periodic_tasks` hook and run from rq's CronScheduler (`peyvand worker`) or from cron
(`peyvand tasks run --all`).
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import multiprocessing
from typing import Any, Callable

from flask import current_app
from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from core.audit import _actor_id, acting_as
from core.db import db
from core.jalali import utcnow

log = logging.getLogger(__name__)


def _path(func: Callable | str) -> str:
    if isinstance(func, str):
        return func
    if func.__qualname__ != func.__name__ or func.__name__ == "<lambda>":
        raise ValueError("jobs must be module-level functions")
    return f"{func.__module__}:{func.__name__}"


def _resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def redis_connection(app=None):
    from redis import Redis
    return Redis.from_url((app or current_app).config["REDIS_URL"])


def queue(app=None):
    from rq import Queue
    app = app or current_app
    return Queue(app.config["RQ_QUEUE"], connection=redis_connection(app))


def enqueue(func: Callable | str, *args, **kwargs) -> Any:
    """Run `func(*args, **kwargs)` in the background, attributed to the current user.

    With Redis: returns the rq Job. Inline: runs now in a fresh app context, so in a session and
    transaction of its own (committed on success, rolled back on error), exactly as a worker
    would, and returns the function's result. Arguments must be JSON-safe values (ids, not ORM
    objects). Enqueue after committing what the job must see (or use `emit_after_commit`).
    """
    path = _path(func)
    if current_app.config.get("REDIS_URL"):
        return queue().enqueue(run_job, args=(path, args, kwargs, _actor_id()), job_timeout=3600)
    actor = _actor_id()
    with current_app.app_context():
        try:
            return run_job(path, args, kwargs, actor)
        finally:
            db.session.remove()


def run_job(path: str, args=(), kwargs=None, user_id: int | None = None):
    """The one entry point a worker executes: resolves `path`, runs it, commits."""
    func = _resolve(path)
    from core.settings import forget_cache
    forget_cache()  # a worker keeps one app context for many jobs: read settings afresh
    with acting_as(user_id):
        try:
            result = func(*args, **(kwargs or {}))
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.close()  # a worker runs many jobs: never carry one's identity map over


# --- after-commit events ------------------------------------------------------------------------

def emit_after_commit(name: str, payload: dict) -> None:
    """Fire the `after_commit_event` hook once the current transaction commits (never if it
    rolls back)."""
    pending = db.session.info.setdefault("peyvand_events", [])
    pending.append((name, payload))


def dispatch_event(name: str, payload: dict) -> None:
    current_app.extensions["peyvand"].host.call_each("after_commit_event", name=name, payload=payload)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    events = session.info.pop("peyvand_events", None)
    if events:
        for name, payload in events:
            enqueue(dispatch_event, name, payload)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    # The outermost transaction ended without the commit above (which pops first): rolled
    # back, failed or closed. Its events must not fire on a later, unrelated commit.
    if transaction.parent is None:
        session.info.pop("peyvand_events", None)


# --- periodic tasks -----------------------------------------------------------------------------

def tasks(app=None) -> dict:
    return (app or current_app).extensions["peyvand"].periodic_tasks


def run_periodic(name: str):
    """Run one periodic task by name (what the CronScheduler enqueues)."""
    task = tasks().get(name)
    if task is None:
        raise LookupError(f"no periodic task named {name!r}")
    log.info("periodic task %s", name)
    return task.func()


def prune_login_attempts() -> int:
    """Forget failed logins older than a day (throttling looks at minutes)."""
    from core.models.org import LoginAttempt
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - dt.timedelta(days=1)))
    return result.rowcount or 0


def _cron_process(redis_url: str, queue_name: str, entries: list[tuple[str, int | None, str | None]]):
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    for name, interval, cron in entries:
        scheduler.register(run_job, queue_name=queue_name, args=("core.jobs:run_periodic", (name,), {}, None),
                           interval=interval, cron=cron, name=name)
    scheduler.start()


def start_cron(app) -> multiprocessing.Process:
    entries = [(t.name, t.interval, t.cron) for t in tasks(app).values()]
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_cron_process, args=(app.config["REDIS_URL"], app.config["RQ_QUEUE"], entries),
                       daemon=True, name="peyvand-cron")
    proc.start()
    return proc


def work(app, burst: bool = False, with_cron: bool = True) -> None:
    """Run an rq worker inside the app context (SimpleWorker: no fork, so the app's engine
    and plugins are set up once)."""
    from rq import SimpleWorker

    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL is not set: jobs run inline and need no worker")
    cron = start_cron(app) if with_cron and not burst else None
    try:
        with app.app_context():
            worker = SimpleWorker([queue(app)], connection=redis_connection(app))
            worker.work(burst=burst, with_scheduler=not burst)
    finally:
        if cron is not None:
            cron.terminate()
            # Let the scheduler unregister itself from Redis before this process exits (exiting
            # would signal the daemonic child a second time, in the middle of that).
            cron.join(timeout=10)
