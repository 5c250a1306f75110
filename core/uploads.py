"""Uploaded documents: the one check every plugin uses before storing a user's file.

Documents and images only, checked by extension AND by the file's first bytes, so an executable
renamed `.pdf` is refused; a size limit; an empty file refused. Files are stored under a random
name in a folder of the instance, never under the name the user gave.
"""
from __future__ import annotations

import os
import uuid

from flask import current_app

from flask_babel import gettext as _

from core.validation import ValidationError, _n

# extension -> (content type, accepted leading bytes; None = any text without NUL bytes)
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF",)),
    "png": ("image/png", (b"\x89PNG",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF8",)),
    "webp": ("image/webp", (b"RIFF",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "txt": ("text/plain; charset=utf-8", None),
    "csv": ("text/csv; charset=utf-8", None),
}
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")


def check(storage, max_mb: int) -> tuple[bytes, str, str]:
    """Read and validate an upload; returns (data, safe display name, content type)."""
    name = os.path.basename((getattr(storage, "filename", "") or "").replace("\\", "/")).strip()[:200]
    if not name:
        raise ValidationError({"file": _("فایلی انتخاب نشده است.")})
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise ValidationError({"file": _("این نوع فایل پذیرفته نیست؛ PDF، تصویر، Word، Excel، PowerPoint یا متن بفرستید.")})
    limit = int(max_mb) * 1024 * 1024
    data = storage.read(limit + 1)
    if not data:
        raise ValidationError({"file": _("فایل خالی است.")})
    if len(data) > limit:
        raise ValidationError({"file": _("حجم فایل نباید بیش از %(mb)s مگابایت باشد.", mb=_n(int(max_mb)))})
    content_type, magic = ALLOWED[ext]
    if data.startswith(EXECUTABLE_MAGIC) or (magic is not None and not data.startswith(magic)) \
            or (magic is None and b"\x00" in data[:4096]):
        raise ValidationError({"file": _("محتوای فایل با پسوند آن جور نیست؛ فایل پذیرفته نشد.")})
    return data, name, content_type


def folder(name: str) -> str:
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], name)
    os.makedirs(path, exist_ok=True)
    return path


def store(subfolder: str, data: bytes) -> str:
    """Write checked bytes under a random name in the instance's uploads; returns the name."""
    stored = uuid.uuid4().hex
    with open(os.path.join(folder(subfolder), stored), "wb") as f:
        f.write(data)
    return stored
