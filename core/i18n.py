"""The interface language: which one is in use, its direction and its digits.

Message ids are the Persian source strings (Persian is the default locale and needs no
catalog); `core/translations/en` holds the English one. Outside a request (CLI commands,
jobs) the default locale is used, so stored text and command output never depend on who
triggered them.
"""
from __future__ import annotations

from core.persian import to_ascii_digits, to_persian_digits

DEFAULT = "fa"
RTL_LANGUAGES = {"fa", "ar", "ckb", "ps", "ur", "he"}
# Each language named in itself: the switch must be readable whatever language is shown.
ENDONYMS = {"fa": "فارسی", "en": "English"}


def current_language() -> str:
    """`fa`, `en`…: the language of the current request (the default outside one)."""
    from flask_babel import get_locale
    try:
        locale = get_locale()
    except RuntimeError:  # no application context
        locale = None
    return locale.language if locale is not None else DEFAULT


def text_direction() -> str:
    return "rtl" if current_language() in RTL_LANGUAGES else "ltr"


def uses_persian_digits() -> bool:
    return current_language() == "fa"


def localized_digits(value) -> str:
    """Persian digits for a Persian reader, Latin digits for everyone else."""
    text = "" if value is None else str(value)
    return to_persian_digits(text) if uses_persian_digits() else to_ascii_digits(text)
