"""Backup and restore: a database-independent zip archive.

Layout: `manifest.json` (format, application version, schema revisions, row counts),
`data/<table>.jsonl` (one JSON object per row, values in portable form) and `files/…` (the
uploads folder). A backup taken on SQLite restores on PostgreSQL and back. Restore refuses a
non-empty database and a schema that differs from the backup's; it writes everything in one
transaction or nothing.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import os
import zipfile

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, Numeric, Time, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from core import __version__
from core.db import db
from core.jalali import utcnow

FORMAT = 1


class BackupError(Exception):
    """The archive cannot be restored here; the message says why (in the default locale
    from the CLI)."""


def _tables():
    return [t for t in db.metadata.sorted_tables]


def _encode(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def _decode(column, value):
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return dt.date.fromisoformat(value)
    if isinstance(kind, Time):
        return dt.time.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, Numeric) and not isinstance(kind, Integer):
        return decimal.Decimal(value)
    if isinstance(kind, Boolean):
        return bool(value)
    return value


def create(path: str) -> dict:
    """Write a backup of the whole database and the uploads folder to `path`."""
    from core.migrate import database_heads

    counts = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with db.engine.connect() as conn:
            for table in _tables():
                n = 0
                with zf.open(f"data/{table.name}.jsonl", "w") as out:
                    order = list(table.primary_key.columns) or list(table.columns)[:1]
                    result = conn.execution_options(yield_per=2000).execute(select(table).order_by(*order))
                    for row in result.mappings():
                        out.write(json.dumps({k: _encode(v) for k, v in row.items()},
                                             ensure_ascii=False).encode() + b"\n")
                        n += 1
                counts[table.name] = n
        uploads = current_app.config["UPLOAD_FOLDER"]
        for root, _dirs, files in os.walk(uploads):
            for name in files:
                full = os.path.join(root, name)
                zf.write(full, "files/" + os.path.relpath(full, uploads))
        manifest = {"format": FORMAT, "app": "peyvand", "version": __version__,
                    "created_at": utcnow().isoformat(), "dialect": db.engine.dialect.name,
                    "schema": sorted(database_heads()), "tables": counts}
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def read_manifest(zf: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError):
        raise BackupError(_("این فایل پشتیبان پیوند نیست (manifest.json ندارد).")) from None
    if manifest.get("app") != "peyvand" or manifest.get("format") != FORMAT:
        raise BackupError(_("قالب این فایل پشتیبان شناخته نیست."))
    return manifest


def restore(path: str) -> dict:
    """Restore a backup into an empty database at the same schema revision."""
    from core.migrate import database_heads, script_heads

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise BackupError(_("فایل پشتیبان خراب است یا zip نیست.")) from None
    with zf:
        manifest = read_manifest(zf)
        backup_schema, db_schema = set(manifest["schema"]), database_heads()
        known = _known_revisions()
        if backup_schema - known:
            raise BackupError(_("این پشتیبان از نسخهٔ تازه‌تری از پیوند است؛ ابتدا برنامه را به‌روز کنید."))
        if backup_schema != db_schema:
            raise BackupError(_("ساختار پایگاه داده با پشتیبان یکسان نیست. پایگاه دادهٔ خالی را با "
                                "«peyvand db upgrade» به همان نسخه برسانید و دوباره امتحان کنید."))
        tables = {t.name: t for t in _tables()}
        missing = set(manifest["tables"]) - set(tables)
        if missing:
            raise BackupError(_("جدول‌های این پشتیبان در این نصب نیستند (افزونهٔ غیرفعال؟): %(tables)s",
                                tables=_("، ").join(sorted(missing))))
        with db.engine.begin() as conn:
            for table in tables.values():
                if conn.execute(select(func.count()).select_from(table)).scalar():
                    raise BackupError(_("پایگاه داده خالی نیست؛ بازگردانی فقط در پایگاه دادهٔ خالی انجام می‌شود."))
            for table in tables.values():
                if table.name in manifest["tables"]:
                    try:
                        _load_table(conn, zf, table)
                    except (SQLAlchemyError, KeyError, ValueError, TypeError) as exc:
                        # The transaction rolls back: nothing of the archive stays.
                        detail = getattr(exc, "orig", None) or exc
                        raise BackupError(_("داده‌های جدول %(table)s در پشتیبان خراب یا ناسازگار است؛ "
                                            "هیچ داده‌ای بازگردانده نشد. (%(detail)s)",
                                            table=table.name, detail=str(detail).splitlines()[0])) from exc
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, tables.values())
        _restore_files(zf)
    return manifest


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _load_table(conn, zf, table):
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    columns = {c.name: c for c in table.columns}
    batch, deferred = [], []
    with zf.open(f"data/{table.name}.jsonl") as src:
        for line in src:
            raw = json.loads(line)
            row = {k: _decode(columns[k], v) for k, v in raw.items() if k in columns}
            # Self-references (a user's manager) are set after every row exists.
            later = {k: row.pop(k) for k in self_refs if row.get(k) is not None}
            if later:
                row.update({k: None for k in later})
                deferred.append((row, later))
            batch.append(row)
            if len(batch) >= 1000:
                conn.execute(table.insert(), batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)
    pk = list(table.primary_key.columns)
    for row, later in deferred:
        conn.execute(table.update().where(*[c == row[c.name] for c in pk]).values(**later))


def _reset_sequences(conn, tables):
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": pk[0].name}).scalar()
            if seq:
                conn.execute(text(f"SELECT setval('{seq}', COALESCE((SELECT MAX({pk[0].name}) FROM "
                                  f"{table.name}), 0) + 1, false)"))


def _restore_files(zf):
    uploads = os.path.realpath(current_app.config["UPLOAD_FOLDER"])
    for name in zf.namelist():
        if not name.startswith("files/") or name.endswith("/"):
            continue
        target = os.path.realpath(os.path.join(uploads, name[len("files/"):]))
        if not target.startswith(uploads + os.sep):
            continue  # a path escaping the uploads folder is ignored, never written
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with zf.open(name) as src, open(target, "wb") as dst:
            dst.write(src.read())
