"""Importing leads from CSV or XLSX: upload → map columns → preview → import.

Encodings: UTF-8 with or without BOM, and Windows-1256 (Excel on Persian Windows). Dates in
Jalali or Gregorian, any common format. Every row is checked like a lead typed by hand, plus
duplicates within the file and against customers and open leads; valid rows are imported in
one transaction, the others are listed with their reasons (downloadable), nothing is lost.
"""
from __future__ import annotations

import csv
import io
import os
import uuid

from flask import current_app

from core import settings
from core.audit import insert_audited
from core.db import begin_write, db
from core.validation import ValidationError
from plugins.crm.models import Lead, LeadImport, ListItem
from plugins.crm.services import leads as lead_service
from plugins.crm.services import match_index

FIELDS = {"name": "نام", "organisation": "سازمان", "mobile": "تلفن همراه", "phone": "تلفن", "email": "ایمیل",
          "city": "شهر", "notes": "یادداشت", "need_level": "سطح نیاز", "category": "دسته‌بندی",
          "score": "امتیاز", "created": "تاریخ ثبت"}
REQUIRED = ("name",)
MAX_ROWS = 200_000
DUPLICATE_BATCH = 1000  # rows checked for duplicates together
# Header words that suggest a mapping (Persian and English).
GUESS = {"name": ("نام", "name", "نام و نام خانوادگی", "مشتری"), "organisation": ("سازمان", "شرکت", "company", "organisation"),
         "mobile": ("موبایل", "همراه", "تلفن همراه", "mobile", "cell"), "phone": ("تلفن", "phone", "tel"),
         "email": ("ایمیل", "email", "e-mail"), "city": ("شهر", "city"), "notes": ("یادداشت", "توضیحات", "notes"),
         "need_level": ("سطح نیاز", "نیاز", "need"), "category": ("دسته", "دسته‌بندی", "category"),
         "score": ("امتیاز", "score"), "created": ("تاریخ", "date", "تاریخ ثبت")}
NEED_WORDS = {"کم": "low", "low": "low", "متوسط": "medium", "medium": "medium", "زیاد": "high", "high": "high", "بالا": "high"}


def folder() -> str:
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], "imports")
    os.makedirs(path, exist_ok=True)
    return path


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Windows-1256."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise ValidationError({"file": "رمزگذاری فایل شناخته نشد؛ آن را با UTF-8 یا Windows-1256 ذخیره کنید."})
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1256")
        except UnicodeDecodeError:
            raise ValidationError({"file": "رمزگذاری فایل شناخته نشد؛ آن را با UTF-8 یا Windows-1256 ذخیره کنید."}) from None


def read_rows(path: str, filename: str) -> list[list[str]]:
    """All rows (header first) of a CSV or XLSX file, as strings; blank rows left out."""
    return [row for _line, row in numbered_rows(path, filename)]


def _cell(v) -> str:
    """An XLSX cell as text: a date cell (midnight) as its date, not a timestamp."""
    import datetime as dt
    if v is None:
        return ""
    if isinstance(v, dt.datetime) and v.time() == dt.time():
        return v.date().isoformat()
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def numbered_rows(path: str, filename: str) -> list[tuple[int, list[str]]]:
    """(line, row) for every non-blank row, header first; `line` is the row's number in the
    file (1 = first line), so a report points at the right row even when blank rows are skipped."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
            raise ValidationError({"file": "فایل XLSX خراب است یا Excel نیست."}) from None
        ws = wb.worksheets[0]
        rows = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        with open(path, "rb") as f:
            text = decode(f.read())
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [(line, r) for line, r in enumerate(rows, start=1) if any((c or "").strip() for c in r)]
    if len(rows) < 2:
        raise ValidationError({"file": "فایل سطر داده‌ای ندارد (سطر اول باید عنوان ستون‌ها باشد)."})
    if len(rows) - 1 > MAX_ROWS:
        raise ValidationError({"file": f"هر فایل حداکثر {MAX_ROWS:,} سطر می‌تواند داشته باشد."})
    return rows


def upload(storage, actor) -> LeadImport:
    name = os.path.basename((storage.filename or "").replace("\\", "/"))[:200]
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise ValidationError({"file": "فقط فایل CSV یا XLSX پذیرفته می‌شود."})
    data = storage.read(50 * 1024 * 1024 + 1)
    if not data:
        raise ValidationError({"file": "فایل خالی است."})
    if len(data) > 50 * 1024 * 1024:
        raise ValidationError({"file": "حجم فایل نباید بیش از ۵۰ مگابایت باشد."})
    stored = uuid.uuid4().hex + (".xlsx" if name.lower().endswith(".xlsx") else ".csv")
    path = os.path.join(folder(), stored)
    with open(path, "wb") as f:
        f.write(data)
    try:
        read_rows(path, stored)  # refuse a file we cannot read now, not after the mapping step
    except ValidationError:
        os.remove(path)
        raise
    job = LeadImport(user_id=actor.id, filename=name, stored_name=stored)
    db.session.add(job)
    db.session.commit()
    return job


def headers(job: LeadImport) -> list[str]:
    return read_rows(os.path.join(folder(), job.stored_name), job.stored_name)[0]


def guess_mapping(header: list[str]) -> dict[str, int]:
    from core.persian import normalize
    out = {}
    for i, title in enumerate(header):
        key = normalize(title)
        for field, words in GUESS.items():
            if field not in out and any(normalize(w) == key for w in words):
                out[field] = i
    for i, title in enumerate(header):  # looser: contains
        key = normalize(title)
        for field, words in GUESS.items():
            if field not in out and i not in out.values() and any(normalize(w) in key for w in words if len(w) > 2):
                out[field] = i
    return out


def check_mapping(mapping: dict, width: int) -> dict[str, int]:
    clean = {}
    for field, column in (mapping or {}).items():
        if field not in FIELDS or column in (None, "", "-1", -1):
            continue
        try:
            column = int(column)
        except (TypeError, ValueError):
            continue
        if not 0 <= column < width:
            raise ValidationError({"mapping": "ستون انتخاب‌شده در فایل نیست."})
        clean[field] = column
    missing = [FIELDS[f] for f in REQUIRED if f not in clean]
    if missing:
        raise ValidationError({"mapping": "ستون این فیلدها را مشخص کنید: " + "، ".join(missing)})
    if "mobile" not in clean and "phone" not in clean and "email" not in clean:
        raise ValidationError({"mapping": "دست‌کم یکی از ستون‌های تلفن همراه، تلفن یا ایمیل لازم است."})
    return clean


def _row_data(row: list[str], mapping: dict[str, int], categories: dict[str, int]) -> tuple[dict, list[str], object]:
    from core.persian import normalize
    get = lambda f: (row[mapping[f]] if f in mapping and mapping[f] < len(row) else "").strip()  # noqa: E731
    data = {f: get(f) for f in ("name", "organisation", "mobile", "phone", "email", "city", "notes")}
    problems = []
    if data["mobile"] and not data["phone"] and _is_landline(data["mobile"], data["city"]):
        data["phone"], data["mobile"] = data["mobile"], ""  # a landline in the mobile column
    level = get("need_level")
    if level:
        data["need_level"] = NEED_WORDS.get(normalize(level))
        if data["need_level"] is None:
            problems.append(f"سطح نیاز «{level}» شناخته نشد (کم، متوسط یا زیاد).")
    category = get("category")
    if category:
        data["category_id"] = categories.get(normalize(category))
        if data["category_id"] is None:
            problems.append(f"دسته‌بندی «{category}» در فهرست نیست.")
    if get("score"):
        data["score"] = get("score")
    created = None
    if get("created"):
        from core.jalali import today_tehran
        try:
            created = lead_service.parse_date_any(get("created"))
        except (ValueError, OverflowError) as exc:
            problems.append(str(exc) if isinstance(exc, ValueError) and str(exc) else "تاریخ معتبر نیست.")
        else:
            if created > today_tehran():
                problems.append("تاریخ ثبت نمی‌تواند در آینده باشد.")
                created = None
            elif created.year < 1900:
                problems.append("تاریخ ثبت معتبر نیست.")
                created = None
    return data, problems, created


def _is_landline(number: str, city: str) -> bool:
    from core.phones import PhoneError, area_code_for, canonical, is_mobile
    try:
        return not is_mobile(canonical(number, area_code_for(city)))
    except PhoneError:
        return False


def evaluate(job: LeadImport, mapping: dict, actor, limit: int | None = None) -> list[dict]:
    """Check every row (or the first `limit` for the preview): returns one dict per row with
    `line`, `data`, `values` (when valid) and `errors`."""
    from core.persian import normalize
    rows = numbered_rows(os.path.join(folder(), job.stored_name), job.stored_name)
    mapping = check_mapping(mapping, len(rows[0][1]))
    categories = {normalize(i.name): i.id for i in db.session.query(ListItem).filter_by(kind="category", active=True)}
    area = actor.office.area_code if actor.office else None
    seen: dict[str, int] = {}
    out = []
    for line, row in rows[1:]:
        if limit is not None and len(out) >= limit:
            break
        data, errors, created = _row_data(row, mapping, categories)
        values, field_errors = lead_service.clean({**data, "channel": "import"}, area)
        errors += list(field_errors.values())
        if created is not None:
            from plugins.crm.services.reports import midnight_utc
            values["created_at"] = midnight_utc(created)  # the day it was captured, as the file says
        if not field_errors:
            for key in filter(None, (values.get("mobile_e164"), values.get("phone_e164"),
                                     values["search_key"] + "|" + normalize(values["city"]))):
                if key in seen:
                    errors.append(f"تکراری در همین فایل (سطر {seen[key]}).")
                    break
            for key in filter(None, (values.get("mobile_e164"), values.get("phone_e164"),
                                     values["search_key"] + "|" + normalize(values["city"]))):
                seen.setdefault(key, line)
        out.append({"line": line, "data": data, "values": values if not errors else None, "errors": errors})
    # Duplicates against customers and open leads, for the rows still valid: in batches, a few
    # set-based queries per batch instead of three per row (the answers of `lead_duplicates`).
    pending = [r for r in out if r["values"] is not None]
    index = match_index.Candidates(int(settings.get("crm.dup_max_key_share")))
    for start in range(0, len(pending), DUPLICATE_BATCH):
        batch = pending[start:start + DUPLICATE_BATCH]
        for r, found in zip(batch, lead_service.lead_duplicates_many([r["values"] for r in batch], index)):
            if found["customers"]:
                r["errors"].append(f"احتمالاً همان مشتری موجود است (شمارهٔ {found['customers'][0].customer_id}).")
            elif found["leads"]:
                r["errors"].append(f"سرنخ باز مشابهی هست (شمارهٔ {found['leads'][0]}).")
            if r["errors"]:
                r["values"] = None
    return out


def run(job_id: int, mapping: dict, actor) -> LeadImport:
    """Import the valid rows in one transaction; store the list of rows left out."""
    job = db.session.get(LeadImport, job_id)
    if job is None or job.user_id != actor.id:
        raise lead_service.NotFound("این ورود فایل پیدا نشد.")
    if job.status == "imported":
        raise ValidationError("این فایل پیش‌تر وارد شده است.")
    results = evaluate(job, mapping, actor)
    # Written once, however many requests run it (a double click on a slow file): the job's row
    # is locked (SQLite: the one writer) and its status read again before anything is written.
    begin_write()
    job = db.session.get(LeadImport, job_id, with_for_update=True, populate_existing=True)
    if job.status == "imported":
        raise ValidationError("این فایل پیش‌تر وارد شده است.")
    good = [r["values"] for r in results if r["values"]]
    insert_audited(Lead, [{**v, "channel": "import", "office_id": actor.office_id, "created_by_id": actor.id,
                           "import_id": job.id} for v in good])
    job.status, job.imported = "imported", len(good)
    job.mapping = {k: int(v) for k, v in check_mapping(mapping, 10 ** 6).items()}
    job.errors = [{"line": r["line"], "errors": r["errors"], "data": r["data"]} for r in results if r["errors"]]
    db.session.commit()
    return job


# --- the wizard's steps (what the screens and the API call) --------------------------------------

def get_job(job_id: int, actor) -> LeadImport:
    """The actor's own import; NotFound for anyone else's (the same answer as a missing id)."""
    job = db.session.get(LeadImport, job_id)
    if job is None or job.user_id != actor.id:
        raise lead_service.NotFound("این ورود فایل پیدا نشد.")
    return job


def sample(job: LeadImport, count: int = 5) -> tuple[list[str], list[list[str]]]:
    """The header and the first `count` data rows, for the mapping step."""
    rows = read_rows(os.path.join(folder(), job.stored_name), job.stored_name)
    width = len(rows[0])
    return rows[0], [(r + [""] * width)[:width] for r in rows[1:count + 1]]


def save_mapping(job: LeadImport, mapping: dict) -> dict[str, int]:
    """Check the chosen columns against the file and keep them on the import for the next steps."""
    if job.status == "imported":
        raise ValidationError("این فایل پیش‌تر وارد شده است.")
    clean = check_mapping(mapping, len(headers(job)))
    job.mapping = clean
    db.session.commit()
    return clean


def rejected_rows(job: LeadImport) -> tuple[list[str], list[list[str]]]:
    """The rows left out, as they were in the file (every column, under the file's own headers),
    each with its line number and reasons: fix them and import the download again."""
    errors = {e["line"]: "؛ ".join(e["errors"]) for e in (job.errors or [])}
    path = os.path.join(folder(), job.stored_name)
    if not os.path.exists(path):  # the file is gone: what was mapped is still stored
        header = list(FIELDS.values())
        keys = list(FIELDS)
        return ["سطر", "دلیل", *header], [[e["line"], errors[e["line"]], *[e["data"].get(k, "") for k in keys]]
                                          for e in job.errors or []]
    rows = numbered_rows(path, job.stored_name)
    header = rows[0][1]
    width = len(header)
    return ["سطر", "دلیل", *header], [[line, errors[line], *(row + [""] * width)[:width]]
                                      for line, row in rows[1:] if line in errors]
