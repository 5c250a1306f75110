"""Audit trail recorded by the session itself, so no service has to remember it.

Any mapped class with `__audited__ = True` gets one `audit_entries` row per insert, update and
delete flushed through the ORM, written in the same transaction (who, when, record, and the
changed fields with old and new values). Set-based statements (`update()`, `delete()`) bypass
the ORM and so the trail: services using them record their own history.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal

from flask import g, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session

from core.db import Base
from core.jalali import utcnow

_actor: contextvars.ContextVar[int | None] = contextvars.ContextVar("audit_actor", default=None)


@contextlib.contextmanager
def acting_as(user_id: int | None):
    """Attribute changes made outside a request (CLI, jobs) to `user_id`."""
    token = _actor.set(user_id)
    try:
        yield
    finally:
        _actor.reset(token)


def _actor_id() -> int | None:
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    if has_app_context():
        user = g.get("_login_user")  # flask-login's cache: reading it never queries
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id
    return None


def _safe(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    return str(value)


def _columns(obj):
    state = inspect(obj)
    exclude = set(getattr(type(obj), "__audit_exclude__", ()))
    for attr in state.mapper.column_attrs:
        if attr.key not in exclude:
            yield attr.key, state.attrs[attr.key]


def _record_id(obj) -> str:
    # The identity key is assigned only after the flush; the primary key values already are.
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _audited(obj) -> bool:
    return getattr(type(obj), "__audited__", False)


def _want_old_values(mapper, cls):
    """Have SQLAlchemy load an expired attribute's stored value before it is overwritten.

    After a commit every attribute is expired; a service that then sets one without reading
    it first leaves no old value in the attribute's history, and the trail would record
    `None → new`. One load of the row when that happens keeps the old value right."""
    if not getattr(cls, "__audited__", False):
        return
    exclude = set(getattr(cls, "__audit_exclude__", ()))
    for attr in mapper.column_attrs:
        if attr.key not in exclude:
            event.listen(getattr(cls, attr.key), "set", _ignore_set, active_history=True)


def _ignore_set(target, value, oldvalue, initiator):
    pass  # the listener exists only for `active_history`


event.listen(Mapper, "mapper_configured", _want_old_values)
for _mapper in Base.registry.mappers:  # configured before this module was imported
    if _mapper.configured:
        _want_old_values(_mapper, _mapper.class_)


@event.listens_for(Session, "after_flush")
def _write_audit(session, flush_context):
    from core.models.audit import AuditEntry

    rows = []
    now, actor = utcnow(), _actor_id()

    def add(obj, action, changes):
        rows.append(dict(at=now, user_id=actor, table_name=obj.__tablename__,
                         record_id=_record_id(obj), action=action, changes=changes))

    for obj in session.new:
        if _audited(obj):
            add(obj, "insert", _inserted({k: a.value for k, a in _columns(obj)}))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = {}
            for key, attr in _columns(obj):
                hist = attr.history
                if hist.has_changes():
                    old = hist.deleted[0] if hist.deleted else None
                    new = hist.added[0] if hist.added else None
                    if old != new:
                        changes[key] = [_safe(old), _safe(new)]
            if changes:
                add(obj, "update", changes)
    for obj in session.deleted:
        if _audited(obj):
            add(obj, "delete", {k: [_safe(a.value), None] for k, a in _columns(obj) if a.value is not None})
    if rows:
        session.connection().execute(AuditEntry.__table__.insert(), rows)


def _inserted(values: dict) -> dict:
    return {k: [None, _safe(v)] for k, v in values.items() if v is not None}


def insert_audited(model, rows: list[dict]) -> list[int]:
    """Insert many rows of an audited model set-based (a file import: the ORM's unit of work
    costs a fraction of a millisecond a row) with the trail the session would have written:
    Python-side column defaults applied, then one "insert" entry per row with its values.
    Returns the new ids, in the order of `rows`."""
    from core.db import bulk_insert
    from core.models.audit import AuditEntry

    if not rows:
        return []
    table = model.__table__
    exclude = set(getattr(model, "__audit_exclude__", ()))
    defaults = [(c.key, c.default) for c in table.columns
                if c.default is not None and not c.primary_key and (c.default.is_scalar or c.default.is_callable)]
    full = []
    for row in rows:
        values = dict(row)
        for key, default in defaults:
            if key not in values:
                values[key] = default.arg(None) if default.is_callable else default.arg
        full.append(values)
    ids = bulk_insert(table, full, returning_ids=True)
    now, actor = utcnow(), _actor_id()
    bulk_insert(AuditEntry.__table__, [
        dict(at=now, user_id=actor, table_name=table.name, record_id=str(new_id), action="insert",
             changes=_inserted({"id": new_id, **{k: v for k, v in values.items() if k not in exclude}}))
        for new_id, values in zip(ids, full)])
    return ids


def history(table_name: str, record_id, limit: int = 200):
    """Entries for one record, newest first, for a record's history panel."""
    from core.db import db
    from core.models.audit import AuditEntry

    return (db.session.query(AuditEntry)
            .filter_by(table_name=table_name, record_id=str(record_id))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).all())
