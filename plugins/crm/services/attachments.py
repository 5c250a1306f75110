"""Documents on a customer's history, stored on disk under the instance folder.

Limits: size (setting `crm.attachment_max_mb`) and type — documents and images only, checked by
extension AND by the file's first bytes, so an executable renamed `.pdf` is refused. Files are
stored under a random name and served only to users who may see the customer.
"""
from __future__ import annotations

import os

from core import settings, uploads
from core.db import db
from core.validation import ValidationError
from plugins.crm.models import Attachment, LogEntry


def folder() -> str:
    return uploads.folder("crm")


def check(storage) -> tuple[bytes, str, str]:
    """Read and validate an upload (core.uploads' rules, the CRM's size limit)."""
    return uploads.check(storage, int(settings.get("crm.attachment_max_mb")))


def save(customer_id: int, storage, actor, log_entry: LogEntry | None = None, data: tuple | None = None) -> Attachment:
    """Store a validated upload (call `check` first when other writes depend on it)."""
    content, name, content_type = data or check(storage)
    stored = uploads.store("crm", content)
    attachment = Attachment(customer_id=customer_id, log_entry_id=log_entry.id if log_entry else None,
                            uploaded_by_id=actor.id, filename=name, stored_name=stored,
                            content_type=content_type, size=len(content))
    db.session.add(attachment)
    return attachment


def path_of(attachment: Attachment) -> str:
    return os.path.join(folder(), attachment.stored_name)


def add_entry_with_file(negotiation_id: int, data: dict, storage, actor) -> LogEntry:
    """Log an interaction with a document attached, in one transaction: the upload is checked
    first (size, type, content), then the entry is written (the log's own rules), then the file
    is stored; a refusal anywhere writes nothing. Kind «سند» (`document`) needs a file and may
    leave the summary empty (the file's name stands in). Without a file this is `add_entry`."""
    from plugins.crm.services import log as log_service
    has_file = storage is not None and bool(getattr(storage, "filename", ""))
    if not has_file:
        if data.get("kind") == "document":
            raise ValidationError({"file": "برای مذاکره از نوع «سند»، فایل را پیوست کنید."})
        return log_service.add_entry(negotiation_id, data, actor)
    checked = check(storage)
    if data.get("kind") == "document" and not str(data.get("summary") or "").strip():
        data = {**data, "summary": f"سند: {checked[1]}"}
    entry = log_service.add_entry(negotiation_id, data, actor, commit=False)
    save(entry.customer_id, storage, actor, log_entry=entry, data=checked)
    db.session.commit()
    return entry
