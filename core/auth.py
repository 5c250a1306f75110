"""Authentication services: passwords, login throttling, sessions and API tokens."""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import db
from core.jalali import utcnow
from core.models.org import ApiToken, LoginAttempt, User


class LoginError(Exception):
    """A refused login; the message is shown to the user as is."""


def hash_password(password: str) -> str:
    # Werkzeug's default (scrypt) unless configured: the test suite picks a cheap method, since
    # every user it makes and every login it checks would otherwise cost a quarter second.
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return generate_password_hash(password, method) if method else generate_password_hash(password)


def new_session_token() -> str:
    return secrets.token_hex(16)


def load_user(session_id: str) -> User | None:
    """flask-login loader: `id:token`, so changing the token ends every session of the user."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def authenticate(username: str, password: str, ip: str) -> User:
    """Check a login, counting failures per username and per address across processes."""
    username = (username or "").strip().lower()
    window_start = utcnow() - current_app.config["LOGIN_FAILURE_WINDOW"]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    failures = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.at >= window_start,
            or_(LoginAttempt.username == username, LoginAttempt.ip == ip)))
    if failures >= limit * 2 or db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.at >= window_start, LoginAttempt.username == username)) >= limit:
        minutes = int(current_app.config["LOGIN_FAILURE_WINDOW"].total_seconds() // 60)
        raise LoginError(_("تلاش‌های ناموفق بیش از حد بوده است. %(minutes)s دقیقه دیگر دوباره امتحان کنید.",
                           minutes=minutes))
    user = db.session.scalar(select(User).where(func.lower(User.username) == username))
    if user is None or not check_password_hash(user.password_hash, password or ""):
        db.session.add(LoginAttempt(username=username, ip=ip))
        db.session.commit()
        raise LoginError(_("نام کاربری یا گذرواژه درست نیست."))
    if not user.active:
        raise LoginError(_("حساب کاربری شما غیرفعال است. با مدیر سامانه تماس بگیرید."))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str, repeat: str) -> None:
    if not check_password_hash(user.password_hash, current or ""):
        raise LoginError(_("گذرواژه فعلی درست نیست."))
    validate_new_password(new, repeat)
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    db.session.commit()


def validate_new_password(new: str, repeat: str) -> None:
    if len(new or "") < 8:
        raise LoginError(_("گذرواژه باید دست‌کم ۸ نویسه باشد."))
    if new != repeat:
        raise LoginError(_("گذرواژه و تکرار آن یکسان نیستند."))


# --- API tokens ---------------------------------------------------------------------------------

def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise LoginError(_("برای کلید یک نام (تا ۱۲۰ نویسه) بنویسید."))
    secret = "pv_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:10], token_hash=_digest(secret))
    db.session.add(token)
    db.session.commit()
    return token, secret


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise LookupError(_("این کلید پیدا نشد."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()


def user_for_token(secret: str) -> User | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now  # at most once a minute: no write per request
        db.session.commit()
    return token.user
