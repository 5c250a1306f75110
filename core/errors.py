"""Error pages in the user's language for the UI, one JSON error shape for the API.

API errors look like `{"error": {"status": 404, "code": "not_found", "message": "…",
"fields": {"name": ["…"]}}}` whatever raised them (abort, validation, a service error).
"""
from __future__ import annotations

import logging
import re

from apiflask import HTTPError
from flask import jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("درخواست نامعتبر است."),
    401: _l("برای این کار باید وارد شوید."),
    403: _l("شما اجازهٔ دسترسی به این بخش را ندارید."),
    404: _l("صفحه یا رکوردی که خواستید پیدا نشد."),
    405: _l("این روش درخواست پذیرفته نیست."),
    409: _l("این کار با وضعیت فعلی رکورد سازگار نیست."),
    413: _l("حجم فایل یا درخواست بیش از حد مجاز است."),
    422: _l("داده‌های ارسال‌شده معتبر نیستند."),
    429: _l("تعداد درخواست‌ها بیش از حد مجاز است؛ کمی بعد دوباره امتحان کنید."),
    500: _l("خطایی در سامانه رخ داد. خطا ثبت شد؛ دوباره امتحان کنید."),
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
         429: "too_many_requests", 500: "server_error"}


# Input the API schemas reject (webargs/marshmallow) comes with fixed English messages;
# integrators' users read these, so they are given in the request's language (Persian by
# default) like the services' own messages.
_FIELD_MESSAGES = [(re.compile(pattern), persian) for pattern, persian in (
    (r"Missing data for required field\.", _l("این فیلد را وارد کنید.")),
    (r"Field may not be null\.", _l("این فیلد نمی‌تواند خالی (null) باشد.")),
    (r"Not a valid integer\.", _l("عدد صحیح معتبر نیست.")),
    (r"Not a valid number\.", _l("عدد معتبر نیست.")),
    (r"Number too large\.", _l("عدد بیش از حد بزرگ است.")),
    (r"Not a valid string\.", _l("باید متن باشد.")),
    (r"Not a valid utf-8 string\.", _l("متن با کدگذاری UTF-8 معتبر نیست.")),
    (r"Not a valid boolean\.", _l("باید true یا false باشد.")),
    (r"Not a valid date\.", _l("تاریخ معتبر نیست.")),
    (r"Not a valid datetime\.", _l("زمان معتبر نیست.")),
    (r"Not a valid list\.", _l("باید فهرست (آرایه) باشد.")),
    (r"Not a valid mapping type\.", _l("باید شیء JSON باشد.")),
    (r"Invalid input type\.", _l("نوع داده‌های ارسال‌شده معتبر نیست؛ یک شیء JSON بفرستید.")),
    (r"Not a valid email address\.", _l("ایمیل معتبر نیست.")),
    (r"Unknown field\.", _l("این فیلد شناخته نیست.")),
    (r"Invalid value\.", _l("مقدار معتبر نیست.")),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.", _l("باید از {0} تا {1} باشد.")),
    (r"Must be greater than or equal to (\S+)\.", _l("نباید کمتر از {0} باشد.")),
    (r"Must be less than or equal to (\S+)\.", _l("نباید بیشتر از {0} باشد.")),
    (r"Must be greater than (\S+)\.", _l("باید بیشتر از {0} باشد.")),
    (r"Must be less than (\S+)\.", _l("باید کمتر از {0} باشد.")),
    (r"Length must be between (\S+) and (\S+)\.", _l("طول باید از {0} تا {1} نویسه باشد.")),
    (r"Shorter than minimum length (\S+)\.", _l("دست‌کم {0} نویسه لازم است.")),
    (r"Longer than maximum length (\S+)\.", _l("نباید بیش از {0} نویسه باشد.")),
    (r"Length must be (\S+)\.", _l("طول باید {0} باشد.")),
    (r"Must be one of: (.*)\.", _l("باید یکی از این‌ها باشد: {0}.")),
)]


def persian_field_messages(value):
    """Translate marshmallow's messages (nested dicts and lists of strings) into the request's
    language; messages that are already translated or unknown are kept."""
    if isinstance(value, dict):
        return {k: persian_field_messages(v) for k, v in value.items()}
    if isinstance(value, list):
        return [persian_field_messages(v) for v in value]
    if isinstance(value, str):
        for pattern, persian in _FIELD_MESSAGES:
            m = pattern.fullmatch(value)
            if m:
                return str(persian).format(*m.groups())
    return value


def wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str | None = None, fields: dict | None = None, code: str | None = None):
    body = {"status": status, "code": code or CODES.get(status, "error"),
            "message": str(message or MESSAGES.get(status, ""))}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def init_app(app):
    from core.app import login_manager
    from core.validation import ValidationError

    # First: APIFlask's `error_processor` also registers a handler for every Werkzeug
    # HTTPException, which would answer the UI's 403/404/405 in JSON. `http_error` below
    # replaces that registration and sends only /api/ requests to the JSON shape.
    @app.error_processor
    def apiflask_error(error: HTTPError):
        fields = None
        if error.status_code == 422 and isinstance(error.detail, dict):
            # {"json": {"name": ["…"]}} → {"name": ["…"]}
            fields = {}
            for location in error.detail.values():
                if isinstance(location, dict):
                    fields.update(persian_field_messages(location))
        message = error.message if error.message and error.message not in (
            "Validation error", "Not Found", "Forbidden", "Unauthorized", "Bad Request", "Conflict") \
            else MESSAGES.get(error.status_code, error.message)
        message = str(message) if message is not None else message
        extra = {"fields": fields} if fields else {}
        if error.status_code != 422 and error.detail:
            extra["detail"] = error.detail  # e.g. the duplicate matches of a 409
        return {"error": {"status": error.status_code, "code": CODES.get(error.status_code, "error"),
                          "message": message, **extra}}, error.status_code, error.headers

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for
        if wants_json():
            return api_error(401, _("کلید API نامعتبر است یا فرستاده نشده است."))
        flash(str(login_manager.login_message), "warning")  # lazy: the session stores text
        return redirect(url_for("core.login", next=request.full_path.rstrip("?")))

    @app.errorhandler(ValidationError)
    def validation_error(exc):
        from core.db import db
        db.session.rollback()
        if wants_json():
            fields = {k: [v] for k, v in exc.errors.items() if k}
            loose = [v for k, v in exc.errors.items() if not k]
            return api_error(422, " ".join(str(v) for v in loose) or MESSAGES[422], fields or None)
        return render_template("errors/error.html", status=422, message=str(exc)), 422

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = _("فرم منقضی شده یا ناقص ارسال شده است. صفحه را دوباره باز کنید و دوباره بفرستید.")
        if wants_json():
            return api_error(400, message, code="csrf")
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc):
        status = exc.code or 500
        message = MESSAGES.get(status, exc.description)
        if wants_json():
            return api_error(status, message)
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def unexpected(exc):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        log.exception("unhandled error on %s", request.path)
        from core.db import db
        db.session.rollback()
        if wants_json():
            return api_error(500)
        return render_template("errors/error.html", status=500, message=MESSAGES[500]), 500
