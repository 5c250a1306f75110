"""Typed settings contributed by plugins (`settings_schema` hook), stored in the database.

`get(key)` reads the stored value or the declared default; values are cached for one request
only, so several web processes never disagree for longer than a request.
"""
from __future__ import annotations

from flask import current_app, g, has_app_context
from flask_babel import gettext as _

from core.db import db
from core.i18n import localized_digits
from core.persian import to_ascii_digits
from core.plugins import Setting


class SettingError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def schema() -> dict[str, Setting]:
    return current_app.extensions["peyvand"].settings_schema


def _stored() -> dict[str, object]:
    from core.models.site import SettingValue

    if has_app_context() and "_peyvand_settings" in g:
        return g._peyvand_settings
    values = {row.key: row.value for row in db.session.query(SettingValue)}
    if has_app_context():  # one read per request, job or command (jobs clear it as they start)
        g._peyvand_settings = values
    return values


def get(key: str):
    setting = schema().get(key)
    if setting is None:
        raise KeyError(f"unknown setting {key!r}")
    return _stored().get(key, setting.default)


def all_values() -> dict[str, object]:
    stored = _stored()
    return {k: stored.get(k, s.default) for k, s in schema().items()}


def coerce(setting: Setting, raw) -> object:
    """Convert form or API input to the setting's type, or raise ValueError in the user's language."""
    if setting.type == "bool":
        if isinstance(raw, bool):
            return raw
        return str(raw).lower() in ("1", "true", "on", "yes", "y")
    if setting.type == "int":
        try:
            value = int(to_ascii_digits(str(raw)).strip())
        except ValueError:
            raise ValueError(_("«%(label)s» باید عدد صحیح باشد.", label=setting.label)) from None
        if setting.min is not None and value < setting.min:
            raise ValueError(_("«%(label)s» نباید کمتر از %(min)s باشد.", label=setting.label,
                               min=localized_digits(setting.min)))
        if setting.max is not None and value > setting.max:
            raise ValueError(_("«%(label)s» نباید بیشتر از %(max)s باشد.", label=setting.label,
                               max=localized_digits(setting.max)))
        return value
    if setting.type == "choice":
        if raw not in {c for c, _ in setting.choices}:
            raise ValueError(_("مقدار «%(label)s» معتبر نیست.", label=setting.label))
        return raw
    value = str(raw if raw is not None else "")
    if setting.type == "str" and len(value) > 500:
        raise ValueError(_("«%(label)s» بیش از ۵۰۰ نویسه است.", label=setting.label))
    return value


def update(values: dict[str, object], user_id: int | None = None) -> dict[str, object]:
    """Validate every value first, then write them all in one transaction (or none)."""
    from core.models.site import SettingValue

    sch, errors, clean = schema(), {}, {}
    for key, raw in values.items():
        if key not in sch:
            errors[key] = _("تنظیم «%(key)s» وجود ندارد.", key=key)
            continue
        try:
            clean[key] = coerce(sch[key], raw)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise SettingError(errors)
    for key, value in clean.items():
        row = db.session.get(SettingValue, key)
        if row is None:
            db.session.add(SettingValue(key=key, value=value, updated_by_id=user_id))
        elif row.value != value:
            row.value = value
            row.updated_by_id = user_id
    db.session.commit()
    forget_cache()
    return clean


def forget_cache() -> None:
    """Drop the cached values (after an update; at the start of each job of a long-lived worker)."""
    if has_app_context():
        g.pop("_peyvand_settings", None)
