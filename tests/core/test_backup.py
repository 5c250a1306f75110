"""Backup and restore: a database-independent archive taken on one backend restores exactly on
the other; refusals leave everything as it was; the administrator downloads it from the UI."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine, func, select, text

from core import backup, migrate
from core import settings as settings_service
from core.audit import acting_as
from core.db import db as database
from core.jalali import utcnow
from core.models.audit import AuditEntry
from core.models.org import ApiToken, Department, LoginAttempt, Office, Position, User
from core.models.products import Product
from core.models.site import SettingValue, SitePage
from core.services.parties import save_party
from core.services.products import save_product
from core.services.users import prepare_photo, save_user, store_photo
from core.testing import PG_ADMIN_URL, empty_all_tables

PEYVAND = str(Path(sys.executable).with_name("peyvand"))
BIG_PRICE = 45_000_000_000


def national_id(serial: int) -> str:
    digits = [int(d) for d in f"{serial:09d}"]
    rem = sum(d * (10 - i) for i, d in enumerate(digits)) % 11
    return "".join(map(str, digits)) + str(rem if rem < 2 else 11 - rem)


def png_bytes() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 90)).save(out, "PNG")
    out.seek(0)
    return out


def build_data(make_user) -> dict:
    """Every kind of value the archive must carry, with the awkward cases on purpose."""
    db = database
    tehran = Office(name="دفتر مرکزی تهران", city="تهران", area_code="21",
                    address="تهران، خیابان ولیعصر، پلاک ۱۲۴۰\nطبقهٔ دوم")
    isfahan = Office(name="شعبهٔ اصفهان", city="اصفهان", area_code="31", active=False)
    db.session.add_all([tehran, isfahan])
    db.session.add(Department(office=tehran, name="فروش سازمانی"))
    db.session.add(Position(name="کارشناس فروش"))
    db.session.commit()

    # The subordinate is created first, so their manager has the HIGHER id.
    rep = make_user("sara", office=tehran, first_name="سارا", last_name="محمدی",
                    national_id=national_id(111222333), birth_date=dt.date(1990, 5, 12),
                    contract_start=dt.date(2023, 3, 21), mobile="0912 123 4567")
    boss = make_user("boss", role="manager", office=tehran, first_name="علیرضا", last_name="کریمی")
    admin = make_user("admin", role="administrator", office=isfahan, superuser=True)
    assert boss.id > rep.id
    with acting_as(admin.id):
        save_user({"username": rep.username, "first_name": rep.first_name, "last_name": rep.last_name,
                   "national_id": rep.national_id, "birth_date": rep.birth_date,
                   "contract_start": rep.contract_start, "office_id": tehran.id, "manager_id": boss.id,
                   "mobile": rep.mobile, "group_ids": [g.id for g in rep.groups]}, rep)
        store_photo(rep, prepare_photo(png_bytes()))

        save_product({"code": "SRV-45", "name": "سرور ذخیره‌سازی ۴۵ ترابایتی", "unit": "دستگاه",
                      "list_price": BIG_PRICE, "cost_price": BIG_PRICE - 7_123_456_789,
                      "description": "شامل نصب\u200cو راه‌اندازی؛ «گارانتی» ۲ ساله ✓"})
        save_product({"code": "P-0", "name": "خدمت رایگان", "list_price": 0, "tax_class": "exempt"})
        first = save_party({"kind": "organisation", "name": "شرکت پخش سپهر آریا", "city": "تهران",
                            "phones": [{"number": "021-88776655", "kind": "phone"}],
                            "addresses": [{"city": "تهران", "address": "خیابان آزادی، پلاک ۷",
                                           "postal_code": "۱۲۳۴۵۶۷۸۹۰"}],
                            "office_id": tehran.id, "created_by_id": rep.id})
        second = save_party({"kind": "person", "name": "محمد رضایی", "city": "کرج",
                             "phones": [{"number": "09351234567", "kind": "mobile"}]})
        first.merged_into_id = second.id  # a self-reference pointing to a HIGHER id
        db.session.commit()
        settings_service.update({"core.company_name": "شرکت «پیوند» نمونه", "core.mask_contacts": True,
                                 "core.default_max_open_negotiations": 75}, admin.id)
        db.session.add(SettingValue(key="core.test_structured", updated_by_id=admin.id,
                                    value={"سطح‌ها": [1, 2.5, None, True, "متن"], "nested": {"k": []}}))
        db.session.add(SitePage(slug="rules", title="قوانین و مقررات", body="۱. بند اول\n۲. بند دوم"))
        db.session.add(ApiToken(user_id=admin.id, name="یکپارچه‌سازی", prefix="pv_abc", token_hash="f" * 64,
                                last_used_at=dt.datetime(2024, 7, 1, 12, 30, 45, 123456)))
        db.session.commit()
    db.session.add(LoginAttempt(username="ghost", ip="10.1.2.3", at=utcnow() - dt.timedelta(minutes=5)))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) > 10
    return {"rep": rep.id, "boss": boss.id, "photo": rep.photo}


def dump_all() -> dict[str, list[dict]]:
    """Every row of every table, in primary-key order, as Python values."""
    out = {}
    with database.engine.connect() as conn:
        for table in database.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [dict(r) for r in conn.execute(select(table).order_by(*order)).mappings()]
    return out


def table_counts() -> dict[str, int]:
    with database.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in database.metadata.sorted_tables}


def uploaded_files(app) -> dict[str, bytes]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def other_database(backend, tmp_path):
    """A fresh, empty database on the OTHER backend (SQLite → PostgreSQL and back)."""
    if backend == "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"peyvand_restore_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_target(make_app, url: str, tmp_path):
    target = make_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path / "target-instance")})
    with target.app_context():
        migrate.upgrade(target)
        assert all(n == 0 for n in table_counts().values())
    return target


def assert_same_rows(source: dict, target: dict) -> None:
    assert set(source) == set(target)
    for name in source:
        assert target[name] == source[name], f"table {name} differs after restore"


def assert_restored_database_works(target_app, expected_office_id: int) -> None:
    """New rows get fresh ids (PostgreSQL sequences were moved past the restored rows)."""
    with target_app.app_context():
        office = Office(name="دفتر تازه پس از بازگردانی")
        database.session.add(office)
        database.session.commit()  # also writes an audit row: that sequence too
        assert office.id == expected_office_id
        product = save_product({"code": "NEW-1", "name": "کالای تازه", "list_price": BIG_PRICE * 2})
        assert product.id > 2
        sara = database.session.scalar(select(User).where(User.username == "sara"))
        assert sara.manager.username == "boss" and sara.birth_date == dt.date(1990, 5, 12)
        assert database.session.scalar(select(Product.list_price).where(Product.code == "SRV-45")) == BIG_PRICE


# --- round trips across backends ----------------------------------------------------------------

def test_backup_restores_exactly_on_the_other_backend(app, make_app, make_user, other_database, tmp_path):
    ids = build_data(make_user)
    archive = tmp_path / "peyvand-backup.zip"
    manifest = backup.create(str(archive))
    source_rows, source_files = dump_all(), uploaded_files(app)
    assert manifest["dialect"] == database.engine.dialect.name
    assert manifest["tables"]["users"] == 3 and manifest["tables"]["products"] == 2
    assert f"photos/{ids['photo']}" in source_files

    target = fresh_target(make_app, other_database, tmp_path)
    with target.app_context():
        assert database.engine.dialect.name != manifest["dialect"]
        restored = backup.restore(str(archive))
        assert restored["tables"] == manifest["tables"]
        assert_same_rows(source_rows, dump_all())
    assert uploaded_files(target) == source_files  # the photo came back, byte for byte
    assert_restored_database_works(target, max(r["id"] for r in source_rows["offices"]) + 1)


def test_cli_backup_create_and_restore_across_backends(app, make_app, make_user, database_url, other_database,
                                                       tmp_path):
    build_data(make_user)
    source_rows, source_files = dump_all(), uploaded_files(app)
    archive = tmp_path / "from-cli.zip"
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}

    made = subprocess.run([PEYVAND, "backup", "create", str(archive)], capture_output=True, text=True,
                          env={**base, "DATABASE_URL": database_url, "PEYVAND_INSTANCE_PATH": app.instance_path},
                          timeout=120)
    assert made.returncode == 0, made.stderr
    assert "پشتیبان ساخته شد" in made.stdout
    with zipfile.ZipFile(archive) as zf:
        assert json.loads(zf.read("manifest.json"))["tables"]["offices"] == 2

    target = fresh_target(make_app, other_database, tmp_path)
    restored = subprocess.run([PEYVAND, "backup", "restore", str(archive)], capture_output=True, text=True,
                              env={**base, "DATABASE_URL": other_database,
                                   "PEYVAND_INSTANCE_PATH": target.instance_path}, timeout=120)
    assert restored.returncode == 0, restored.stderr
    assert "بازگردانی انجام شد" in restored.stdout
    with target.app_context():
        assert_same_rows(source_rows, dump_all())
    assert uploaded_files(target) == source_files
    assert_restored_database_works(target, 3)

    # Restoring a second time: the database is no longer empty.
    again = subprocess.run([PEYVAND, "backup", "restore", str(archive)], capture_output=True, text=True,
                           env={**base, "DATABASE_URL": other_database,
                                "PEYVAND_INSTANCE_PATH": target.instance_path}, timeout=120)
    assert again.returncode != 0 and "خالی نیست" in again.stderr


# --- refusals -----------------------------------------------------------------------------------

@pytest.fixture
def archive(app, make_user, tmp_path):
    build_data(make_user)
    path = tmp_path / "backup.zip"
    backup.create(str(path))
    return path


def rewrite(path: Path, out: Path, manifest=None, drop=(), extra=None) -> Path:
    """Copy an archive, changing its manifest, leaving members out or adding some."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename in drop:
                continue
            data = src.read(item.filename)
            if item.filename == "manifest.json" and manifest is not None:
                data = json.dumps(manifest(json.loads(data)), ensure_ascii=False).encode()
            dst.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out


def empty_everything(app) -> None:
    database.session.remove()
    empty_all_tables(database)
    for path in Path(app.config["UPLOAD_FOLDER"]).rglob("*"):
        if path.is_file():
            path.unlink()


def assert_refused(path, *words) -> None:
    with pytest.raises(backup.BackupError) as info:
        backup.restore(str(path))
    message = str(info.value)
    assert any("\u0600" <= ch <= "\u06ff" for ch in message), message
    for word in words:
        assert word in message, message


def test_restore_into_a_non_empty_database_is_refused(app, archive):
    photo = next(Path(app.config["UPLOAD_FOLDER"]).rglob("*.jpg"))
    photo.unlink()
    database.session.query(Office).filter_by(name="شعبهٔ اصفهان").update({"city": "اصفهان (ویرایش)"})
    database.session.commit()
    before = dump_all()
    assert_refused(archive, "خالی نیست")
    assert dump_all() == before
    assert not photo.exists()  # no file written either


def test_restore_refuses_a_newer_schema_and_writes_nothing(app, archive, tmp_path):
    newer = rewrite(archive, tmp_path / "newer.zip",
                    manifest=lambda m: {**m, "schema": m["schema"] + ["f00dfeedbeef"]})
    empty_everything(app)
    assert_refused(newer, "تازه‌تر")
    assert all(n == 0 for n in table_counts().values())
    assert uploaded_files(app) == {}

    # The same archive, untouched, restores into that empty database.
    backup.restore(str(archive))
    assert table_counts()["users"] == 3


def test_restore_refuses_a_file_that_is_not_a_zip(app, tmp_path):
    bogus = tmp_path / "backup.zip"
    bogus.write_text("این فایل پشتیبان نیست", encoding="utf-8")
    assert_refused(bogus, "zip")
    missing = tmp_path / "missing.zip"
    assert_refused(missing, "zip")
    assert all(n == 0 for n in table_counts().values())


def test_restore_refuses_a_zip_without_manifest(app, archive, tmp_path):
    bare = rewrite(archive, tmp_path / "bare.zip", drop=("manifest.json",))
    empty_everything(app)
    assert_refused(bare, "manifest.json")
    broken = rewrite(archive, tmp_path / "broken.zip", extra=None,
                     manifest=lambda m: {**m, "app": "another-crm"})
    assert_refused(broken, "قالب")
    assert all(n == 0 for n in table_counts().values())
    assert uploaded_files(app) == {}


def test_restore_refuses_tables_this_installation_lacks(app, archive, tmp_path):
    foreign = rewrite(archive, tmp_path / "foreign.zip",
                      manifest=lambda m: {**m, "tables": {**m["tables"], "acme_widgets": 3}},
                      extra={"data/acme_widgets.jsonl": b'{"id": 1}\n'})
    empty_everything(app)
    assert_refused(foreign, "acme_widgets")
    assert all(n == 0 for n in table_counts().values())


def test_a_failing_restore_leaves_the_database_empty(app, archive, tmp_path):
    """A bad row late in the archive: the rows loaded before it are rolled back too."""
    with zipfile.ZipFile(archive) as zf:
        rows = zf.read("data/audit_entries.jsonl").decode().splitlines()
    bad = json.loads(rows[-1])
    bad["user_id"] = 999_999  # no such user: a foreign-key violation
    broken = rewrite(archive, tmp_path / "broken-rows.zip", drop=("data/audit_entries.jsonl",),
                     extra={"data/audit_entries.jsonl": "\n".join(rows[:-1] + [json.dumps(bad)]) + "\n"})
    empty_everything(app)
    assert_refused(broken, "audit_entries")
    database.session.remove()
    assert all(n == 0 for n in table_counts().values())
    assert uploaded_files(app) == {}


def test_archive_paths_escaping_uploads_are_ignored(app, archive, tmp_path):
    target = Path(app.config["UPLOAD_FOLDER"]).parent / "escaped.txt"
    sneaky = rewrite(archive, tmp_path / "sneaky.zip", extra={"files/../escaped.txt": b"gotcha"})
    empty_everything(app)
    backup.restore(str(sneaky))
    assert not target.exists()
    assert table_counts()["users"] == 3


# --- the administrator's download ---------------------------------------------------------------

def test_admin_downloads_a_backup_zip(client, login_as, make_user):
    admin = make_user("admin", role="administrator")
    make_user("sara")
    login_as(admin)
    assert client.get("/admin/backup").status_code == 200
    response = client.post("/admin/backup")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["app"] == "peyvand" and manifest["tables"]["users"] == 2
        users = [json.loads(line) for line in zf.read("data/users.jsonl").splitlines()]
    assert sorted(u["username"] for u in users) == ["admin", "sara"]


def test_backup_download_needs_the_backup_permission(client, login_as, make_user):
    login_as(make_user("sara", role="manager"))
    assert client.get("/admin/backup").status_code == 403
    response = client.post("/admin/backup")
    assert response.status_code == 403
    assert response.mimetype == "text/html"  # the Persian error page, not an archive


def test_backup_download_needs_a_login(client):
    response = client.post("/admin/backup")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
