"""Template filters and globals: Jalali dates, digits, money, menus, plugin slots, language.

Numbers and dates come out in Persian digits for a Persian reader and in Latin digits in any
other language (`core.i18n`).
"""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import gettext as _, pgettext
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

import datetime as dt
import re

from core import jalali
from core.access import can
from core.i18n import ENDONYMS, current_language, localized_digits, text_direction, uses_persian_digits
from core.persian import to_ascii_digits, to_persian_digits


def _grouped(value: int, persian: bool | None = None) -> str:
    """`۱۲٬۵۰۰٬۰۰۰` with the Persian thousands separator, `12,500,000` in other languages."""
    text = f"{int(value):,}"
    if persian is None:
        persian = uses_persian_digits()
    return to_persian_digits(text.replace(",", "٬")) if persian else text


def money(value, unit: str | None = None) -> str:
    """`۱۲٬۵۰۰٬۰۰۰ ریال` — integer Rials (`12,500,000 Rials` in English); `unit=""` omits it."""
    if value is None:
        return ""
    unit = _("ریال") if unit is None else unit
    return _grouped(value) + (f" {unit}" if unit else "")


def number(value, persian: bool | None = None) -> str:
    """`persian`: the digit set when the caller knows it already (else looked up)."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return _grouped(value, persian)
    if persian is None:
        return localized_digits(value)
    return to_persian_digits(str(value)) if persian else to_ascii_digits(str(value))


@pass_context
def _number_filter(context, value) -> str:
    """`|num`, with the page's digit set looked up once per render (`persian_digits`, a context
    processor) rather than once per number: a language lookup costs more than the formatting,
    and report 1 for 200 users formats 2,200 numbers."""
    return number(value, context.get("persian_digits"))


def _digit_set() -> str:
    return "fa" if uses_persian_digits() else "en"


def jdate(value, digits: str | None = None) -> str:
    return jalali.format_date(value, digits or _digit_set())


def jdatetime(value, digits: str | None = None) -> str:
    return jalali.format_datetime(value, digits or _digit_set())


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def audit_value(value) -> str:
    """An audit-trail value as a reader expects it: stored dates (ISO, UTC for times) in
    Jalali, yes/no for booleans, the reader's digits for numbers; other text as stored."""
    if value is None:
        return "—"
    if isinstance(value, bool) or value in ("True", "False"):
        return _("بله") if value in (True, "True") else _("خیر")
    text = str(value)
    try:
        if _ISO_DATE.fullmatch(text):
            return jdate(dt.date.fromisoformat(text))
        if _ISO_DATETIME.fullmatch(text):
            return jdatetime(dt.datetime.fromisoformat(text))
    except ValueError:
        return text
    if _NUMBER.fullmatch(text):
        return localized_digits(text)
    return text


def bdi(value) -> Markup:
    """User data inside translated text (`_('… %(name)s', name=x|bdi)`) or next to arrows, in a
    left-to-right page: isolated, so a Persian name in an English sentence keeps its direction
    and does not reorder the words around it. Persian pages are left exactly as they were."""
    value = "" if value is None else value
    return Markup("<bdi>%s</bdi>") % value if text_direction() == "ltr" else escape(value)


def datepicker_labels() -> dict:
    """Month names and weekday initials (Saturday first) for the Jalali date picker."""
    days = [pgettext("weekday initial", "ش"), pgettext("weekday initial", "ی"), pgettext("weekday initial", "د"),
            pgettext("weekday initial", "س"), pgettext("weekday initial", "چ"), pgettext("weekday initial", "پ"),
            pgettext("weekday initial", "ج")]
    return {"months": [jalali.month_name(m) for m in range(1, 13)], "days": days,
            "persianDigits": uses_persian_digits()}


def plugin_slot(slot: str, **context) -> Markup:
    """Render what plugins contribute to a named slot (the `template_slot` hook)."""
    host = current_app.extensions["peyvand"].host
    parts = []
    for _plugin, html in host.call_each("template_slot", slot=slot, context=context):
        parts.append(html if isinstance(html, Markup) else escape(html))
    return Markup("\n").join(parts)


def nav_menu():
    """Menu items the current user may use, grouped by section, in `order`."""
    if not current_user.is_authenticated:
        return []
    host = current_app.extensions["peyvand"].host
    sections: dict[str, list] = {}
    order: list[str] = []
    for item in host.menu_items(current_user):
        if item.permission and not can(current_user, item.permission):
            continue
        if item.section not in sections:
            sections[item.section] = []
            order.append(item.section)
        sections[item.section].append(item)
    return [(section, sections[section]) for section in order]


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (sorting and paging links); repeated
    arguments (`?rep=3&rep=5`) are kept."""
    args = request.args.to_dict(flat=False)
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = [v]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app):
    app.add_template_filter(jdate, "jdate")
    app.add_template_filter(jdatetime, "jdatetime")
    app.add_template_filter(jalali.format_long, "jlong")
    app.add_template_filter(jalali.relative, "jrelative")
    app.add_template_filter(localized_digits, "fa")  # Persian digits in Persian only
    app.add_template_filter(money, "money")
    app.add_template_filter(_number_filter, "num")
    app.context_processor(lambda: {"persian_digits": uses_persian_digits()})
    app.add_template_filter(audit_value, "audit_value")
    app.add_template_filter(bdi, "bdi")
    app.jinja_env.globals.update(
        plugin_slot=plugin_slot, nav_menu=nav_menu, url_with=url_with, datepicker_labels=datepicker_labels,
        can=lambda permission: can(current_user, permission), now_tehran=jalali.utcnow,
        text_direction=text_direction, current_lang=current_language,
        languages=lambda: [(code, ENDONYMS.get(code, code)) for code in app.config["LANGUAGES"]],
    )
    app.jinja_env.add_extension("jinja2.ext.do")
