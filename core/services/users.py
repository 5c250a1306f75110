"""Users: creation and editing with every field of the spec, photos, the manager hierarchy."""
from __future__ import annotations

import io
import os
import re
import uuid

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import auth
from core.access import subordinate_ids
from core.db import db
from core.models.org import Department, Group, Office, Position, User
from core.i18n import localized_digits
from core.phones import PhoneError, canonical, is_mobile
from core.validation import Checker, ValidationError

USERNAME = re.compile(r"^[a-zA-Z0-9_.\-]{3,80}$")
PHOTO_SIZE = 512  # pixels: photos are re-encoded, never served as uploaded


def _exists(model, id_):
    return db.session.get(model, id_) if id_ else None


def save_user(data: dict, user: User | None = None, *, by_admin: bool = True) -> User:
    """Create (`user=None`) or update a user. A user editing their own profile
    (`by_admin=False`) may change only contact fields and the photo."""
    c = Checker(data)
    creating = user is None
    first = c.text("first_name", _("نام"), required=True, max_len=80)
    last = c.text("last_name", _("نام خانوادگی"), required=True, max_len=80)
    email = c.text("email", _("ایمیل"), max_len=200)
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        c.fail("email", _("ایمیل معتبر نیست."))
    phone = c.text("phone", _("تلفن"), max_len=40)
    mobile = c.text("mobile", _("تلفن همراه"), max_len=40)
    for field, value, want_mobile in (("phone", phone, False), ("mobile", mobile, True)):
        if value:
            try:
                e164 = canonical(value, (user.office.area_code if user and user.office else None))
                if want_mobile and not is_mobile(e164):
                    c.fail(field, _("این شماره، تلفن همراه نیست."))
            except PhoneError as exc:
                c.fail(field, str(exc))
    values = dict(first_name=first, last_name=last, email=email, phone=phone, mobile=mobile)

    if by_admin:
        username = c.text("username", _("نام کاربری"), required=True, max_len=80).lower()
        if username and not USERNAME.match(username):
            c.fail("username", _("نام کاربری فقط حروف لاتین، رقم و . _ - است (دست‌کم ۳ نویسه)."))
        elif username:
            q = select(func.count()).select_from(User).where(func.lower(User.username) == username)
            if user is not None:
                q = q.where(User.id != user.id)
            if db.session.scalar(q):
                c.fail("username", _("این نام کاربری گرفته شده است."))
        national_id = c.national_id("national_id")
        if national_id:
            q = select(func.count()).select_from(User).where(User.national_id == national_id)
            if user is not None:
                q = q.where(User.id != user.id)
            if db.session.scalar(q):
                c.fail("national_id", _("کاربر دیگری با این کد ملی هست."))
        birth = c.date("birth_date", _("تاریخ تولد"), not_future=True)
        start = c.date("contract_start", _("شروع قرارداد"))
        end = c.date("contract_end", _("پایان قرارداد"))
        if start and end and end < start:
            c.fail("contract_end", _("پایان قرارداد نمی‌تواند پیش از شروع آن باشد."))
        office_id = c.integer("office_id", _("دفتر"))
        office = _exists(Office, office_id)
        if office_id and office is None:
            c.fail("office_id", _("دفتر انتخاب‌شده وجود ندارد."))
        department_id = c.integer("department_id", _("بخش"))
        department = _exists(Department, department_id)
        if department_id and (department is None or (office and department.office_id != office.id)):
            c.fail("department_id", _("این بخش در دفتر انتخاب‌شده نیست."))
        position_id = c.integer("position_id", _("سمت"))
        if position_id and _exists(Position, position_id) is None:
            c.fail("position_id", _("سمت انتخاب‌شده وجود ندارد."))
        manager_id = c.integer("manager_id", _("مدیر"))
        if manager_id:
            if _exists(User, manager_id) is None:
                c.fail("manager_id", _("مدیر انتخاب‌شده وجود ندارد."))
            elif user is not None and (manager_id == user.id or manager_id in subordinate_ids(user.id)):
                c.fail("manager_id", _("مدیر یک کاربر نمی‌تواند خود او یا یکی از زیردستانش باشد."))
        from core import settings
        max_open = c.integer("max_open_negotiations", _("حداکثر مذاکرات باز"), minimum=0, maximum=100000,
                             default=settings.get("core.default_max_open_negotiations") if creating else user.max_open_negotiations)
        raw_groups = data.get("group_ids") or []
        group_ids = [int(g) for g in raw_groups if str(g).isdigit()]
        groups = list(db.session.scalars(select(Group).where(Group.id.in_(group_ids)))) if group_ids else []
        if len(group_ids) != len(raw_groups) or len(groups) != len(set(group_ids)):
            c.fail("group_ids", _("یکی از گروه‌های انتخاب‌شده وجود ندارد."))
        password = data.get("password") or ""
        if creating or password:
            try:
                auth.validate_new_password(password, data.get("password_repeat", password))
            except auth.LoginError as exc:
                c.fail("password", str(exc))
        values.update(username=username, national_id=national_id, birth_date=birth, contract_start=start,
                      contract_end=end, office_id=office_id or None, department_id=department_id or None,
                      position_id=position_id or None, manager_id=manager_id or None,
                      max_open_negotiations=max_open)
    c.done()

    if creating:
        user = User(session_token=auth.new_session_token(), password_hash="")
        db.session.add(user)
    for key, value in values.items():
        setattr(user, key, value)
    if by_admin:
        user.groups = groups
        if "active" in data:
            active = bool(data["active"])
            if user.active and not active:
                user.session_token = auth.new_session_token()  # end their sessions now
            user.active = active
        if data.get("password"):
            user.password_hash = auth.hash_password(data["password"])
            if not creating:
                user.session_token = auth.new_session_token()
    db.session.commit()
    return user


def create_admin(username: str, password: str, first_name="مدیر", last_name="سامانه") -> User:
    """A superuser in the administrators group (used by `peyvand user create-admin`)."""
    from core.services.groups import seed_role_groups
    groups = seed_role_groups()
    user = save_user(dict(username=username, password=password, password_repeat=password,
                          first_name=first_name, last_name=last_name,
                          group_ids=[groups["administrator"].id]))
    user.is_superuser = True
    db.session.commit()
    return user


def save_photo(user: User, storage) -> None:
    store_photo(user, prepare_photo(storage))


def prepare_photo(storage) -> bytes:
    """Validate an uploaded photo (size, really an image) and re-encode it as a JPEG of at most
    512 px, before anything is written."""
    from PIL import Image, UnidentifiedImageError

    data = storage.read(current_app.config["PHOTO_MAX_BYTES"] + 1)
    if not data:
        raise ValidationError({"photo": _("فایلی انتخاب نشده است.")})
    if len(data) > current_app.config["PHOTO_MAX_BYTES"]:
        limit = current_app.config["PHOTO_MAX_BYTES"] / 1024 / 1024
        raise ValidationError({"photo": _("حجم عکس نباید بیش از %(size)s مگابایت باشد.",
                                          size=localized_digits(f"{limit:g}"))})
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("JPEG", "PNG", "WEBP", "GIF"):
                raise UnidentifiedImageError
            img.load()
            img = img.convert("RGB")
            img.thumbnail((PHOTO_SIZE, PHOTO_SIZE))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=85)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"photo": _("فایل انتخاب‌شده عکس نیست (JPEG، PNG، WEBP یا GIF).")}) from None
    return out.getvalue()


def store_photo(user: User, jpeg: bytes) -> None:
    folder = os.path.join(current_app.config["UPLOAD_FOLDER"], "photos")
    os.makedirs(folder, exist_ok=True)
    name = f"{uuid.uuid4().hex}.jpg"
    with open(os.path.join(folder, name), "wb") as f:
        f.write(jpeg)
    old = user.photo
    user.photo = name
    db.session.commit()
    if old:
        try:
            os.remove(os.path.join(folder, old))
        except OSError:
            pass
