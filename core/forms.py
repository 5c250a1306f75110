"""Form fields for Persian users, and the glue between forms and services."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from core import jalali
from core.i18n import uses_persian_digits
from core.persian import INVISIBLE_MARKS, to_ascii_digits
from core.validation import ValidationError


class _StopOnParseError:
    """When the typed text could not be parsed, its Persian message is the one to show: the
    field's validators would only add a wrong one (DataRequired: «enter a date»)."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class JalaliDateField(_StopOnParseError, Field):
    """A Jalali date typed as `۱۴۰۳/۰۵/۱۲` (Persian, Arabic-Indic or Latin digits); `data` is a
    Gregorian `datetime.date`. An impossible date gets a Persian error."""
    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        # Defaults first so a caller's own placeholder etc. wins; never mutate the caller's dict.
        kwargs["render_kw"] = {"data-jdp": "", "autocomplete": "off", "placeholder": _("۱۴۰۳/۰۱/۰۱"),
                               "dir": "ltr", **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if not isinstance(self.data, dt.date):
            return ""
        return jalali.format_date(self.data, "fa" if uses_persian_digits() else "en")

    def process_formdata(self, valuelist):
        if not valuelist:
            return      # not posted at all (a disabled input): keep the object's date
        self.data = None
        if valuelist[0].strip():
            try:
                self.data = jalali.parse_date(valuelist[0])
            except jalali.JalaliDateError as exc:
                raise ValueError(str(exc)) from None


class PersianIntegerField(_StopOnParseError, IntegerField):
    """Accepts Persian digits and thousands separators (`۱٬۲۰۰٬۰۰۰`)."""

    def process_formdata(self, valuelist):
        if valuelist:
            # Direction marks ride along when a number is pasted from RTL text.
            raw = INVISIBLE_MARKS.sub("", to_ascii_digits(valuelist[0]))
            raw = raw.replace(",", "").replace("٬", "").strip()
            if not raw:
                self.data = None
                return
            try:
                self.data = int(raw)
            except ValueError:
                self.data = None
                raise ValueError(_("یک عدد صحیح وارد کنید.")) from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OptionalSelectField(SelectField):
    """A select whose first option is empty ("—"); `data` is None or the coerced value."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("coerce", lambda v: int(v) if v not in (None, "", "None") else None)
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)


def apply_errors(form: FlaskForm, exc: ValidationError) -> list[str]:
    """Put a service's field errors on the form; return those that belong to no field."""
    loose = []
    for field, message in exc.errors.items():
        target = getattr(form, field, None)
        if isinstance(target, Field):
            target.errors = list(target.errors or []) + [message]
        else:
            loose.append(message)
    return loose


def form_data(form: FlaskForm) -> dict:
    data = {k: v for k, v in form.data.items() if k not in ("csrf_token", "submit")}
    return data


__all__ = ["FlaskForm", "JalaliDateField", "PersianIntegerField", "MultiCheckboxField",
           "OptionalSelectField", "StringField", "apply_errors", "form_data"]
