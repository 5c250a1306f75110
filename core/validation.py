"""Validation errors shared by services, forms and the API.

Services validate everything before writing anything, and raise `ValidationError` with a
message per field, in the language of the request (`flask_babel.gettext`; the default locale
outside a request); views attach them to form fields, the API returns them as
`fields` in its error shape.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from core.persian import to_ascii_digits, valid_national_id


def _n(value: int) -> str:
    """A number in a message, with the reader's digits and thousands separator."""
    from core.ui import number  # here, not at import time: core.ui imports the whole access layer
    return number(value)


class ValidationError(ValueError):
    def __init__(self, errors: dict[str, str] | str):
        if isinstance(errors, str):
            errors = {"": errors}
        self.errors = errors
        super().__init__(" ".join(str(v) for v in errors.values()))


class Checker:
    """Collects field errors, then raises them all at once."""

    def __init__(self, data: dict):
        self.data = data
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def text(self, field: str, label: str, required: bool = False, max_len: int = 200) -> str:
        value = self.data.get(field)
        value = "" if value is None else str(value).strip()
        if required and not value:
            self.fail(field, _("«%(label)s» را وارد کنید.", label=label))
        elif len(value) > max_len:
            self.fail(field, _("«%(label)s» نباید بیش از %(max)s نویسه باشد.", label=label, max=_n(max_len)))
        return value

    def integer(self, field: str, label: str, required: bool = False, minimum: int | None = None,
                maximum: int | None = None, default: int | None = None) -> int | None:
        raw = self.data.get(field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.fail(field, _("«%(label)s» را وارد کنید.", label=label))
            return default
        try:
            value = int(to_ascii_digits(str(raw)).replace(",", "").replace("٬", "").strip()) \
                if not isinstance(raw, bool) else None
        except ValueError:
            value = None
        if value is None:
            self.fail(field, _("«%(label)s» باید یک عدد صحیح باشد.", label=label))
            return default
        if minimum is not None and value < minimum:
            self.fail(field, _("«%(label)s» نباید کمتر از %(min)s باشد.", label=label, min=_n(minimum)))
        if maximum is not None and value > maximum:
            self.fail(field, _("«%(label)s» نباید بیشتر از %(max)s باشد.", label=label, max=_n(maximum)))
        return value

    def date(self, field: str, label: str, not_future: bool = False) -> dt.date | None:
        value = self.data.get(field)
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            from core.jalali import JalaliDateError, parse_date
            try:
                value = parse_date(str(value))
            except JalaliDateError as exc:
                self.fail(field, _("«%(label)s»: %(error)s", label=label, error=str(exc)))
                return None
        # "Today" is Tehran's: the server's own date lags it from 00:00 to 03:30 Tehran time.
        from core.jalali import today_tehran
        if not_future and value > today_tehran():
            self.fail(field, _("«%(label)s» نمی‌تواند در آینده باشد.", label=label))
        if value.year < 1900:
            self.fail(field, _("«%(label)s» معتبر نیست.", label=label))
        return value

    def national_id(self, field: str, label: str | None = None) -> str | None:
        label = label or _("کد ملی")
        value = to_ascii_digits(str(self.data.get(field) or "")).strip().replace("-", "")
        if not value:
            return None
        if not valid_national_id(value):
            self.fail(field, _("«%(label)s» معتبر نیست (۱۰ رقم با رقم کنترل درست).", label=label))
            return None
        return value

    def done(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
