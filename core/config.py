"""Configuration: defaults, then environment variables, then `test_config`.

Environment: DATABASE_URL (PostgreSQL; SQLite file in the instance folder otherwise),
REDIS_URL (rq jobs; inline otherwise), PEYVAND_RQ_QUEUE (rq queue name, default `peyvand`),
SECRET_KEY (generated into the instance folder otherwise), PEYVAND_DISABLED_PLUGINS
(comma-separated plugin names), PEYVAND_INSTANCE_PATH.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets


def database_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def defaults(instance_path: str) -> dict:
    return dict(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(instance_path, 'peyvand.db')}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        REDIS_URL=None,
        RQ_QUEUE="peyvand",
        DISABLED_PLUGINS=(),
        UPLOAD_FOLDER=os.path.join(instance_path, "uploads"),
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        PHOTO_MAX_BYTES=2 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="fa",
        BABEL_DEFAULT_TIMEZONE="Asia/Tehran",
        LANGUAGES=("fa", "en"),
        WTF_CSRF_TIME_LIMIT=None,  # valid for the whole session: long forms must not expire
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        REMEMBER_COOKIE_DURATION=dt.timedelta(days=14),
        LOGIN_MAX_FAILURES=5,
        LOGIN_FAILURE_WINDOW=dt.timedelta(minutes=15),
        PAGE_SIZE=25,
        # Customer lists count at most this many rows per page view (see `paginate`).
        LIST_COUNT_LIMIT=1000,
        # APIFlask: JSON errors only under /api (the UI renders Persian HTML error pages).
        DOCS_FAVICON="/static/favicon.svg",
        SWAGGER_UI_CSS="/static/vendor/swagger-ui/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS="/static/vendor/swagger-ui/swagger-ui-standalone-preset.js",
        INFO={"description": "Peyvand JSON API. Authenticate with `Authorization: Bearer <token>`; "
                             "create tokens on your profile page."},
    )


def from_environment(instance_path: str) -> dict:
    env = {}
    if os.environ.get("DATABASE_URL"):
        env["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    if os.environ.get("PEYVAND_RQ_QUEUE"):
        env["RQ_QUEUE"] = os.environ["PEYVAND_RQ_QUEUE"]
    if os.environ.get("PEYVAND_DISABLED_PLUGINS"):
        env["DISABLED_PLUGINS"] = tuple(
            n.strip() for n in os.environ["PEYVAND_DISABLED_PLUGINS"].split(",") if n.strip())
    if os.environ.get("PEYVAND_PROXIES", "").isdigit():
        env["PROXIES"] = int(os.environ["PEYVAND_PROXIES"])
    env["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _instance_secret(instance_path)
    return env


def _instance_secret(instance_path: str) -> str:
    """A secret generated once per instance, so sessions survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        os.makedirs(instance_path, exist_ok=True)
        key = secrets.token_hex(32)
        with open(path, "w") as f:
            f.write(key)
        os.chmod(path, 0o600)
        return key
