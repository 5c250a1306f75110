"""Job functions for tests/core/test_jobs.py. Jobs must be module-level functions a worker can
import, so they live in a module of their own (the worker gets this folder on PYTHONPATH)."""
from __future__ import annotations

from core.db import db
from core.models.org import Office


def add_office(name: str) -> int:
    """Write one audited row; the job runner commits."""
    office = Office(name=name, city="تهران")
    db.session.add(office)
    db.session.flush()
    return office.id


def add_office_then_fail(name: str) -> None:
    """Write, then fail: nothing of it may stay."""
    db.session.add(Office(name=name))
    db.session.flush()
    raise RuntimeError("job failed on purpose")
