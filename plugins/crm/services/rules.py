"""The Saba numbers, always read from the settings at the moment they are used."""
from __future__ import annotations

import datetime as dt

from core import settings
from core.jalali import add_months

EVENTS = {"negotiating", "cut", "suspended", "won", "expired"}


def points(event: str) -> int:
    if event not in EVENTS:
        raise KeyError(event)
    return int(settings.get(f"crm.points_{event}"))


def window_end(start: dt.datetime) -> dt.datetime:
    return add_months(start, int(settings.get("crm.window_months")))


def stale_thresholds() -> tuple[int, int, int]:
    return (int(settings.get("crm.stale_watch_days")), int(settings.get("crm.stale_yellow_days")),
            int(settings.get("crm.stale_red_days")))
