"""Is an offer open at a given moment? Weekly slots and "nth weekday of the month" slots."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOCAL = ZoneInfo("Europe/Berlin")


def _within(t: dt.time, open_: str, close: str) -> bool:
    return dt.time.fromisoformat(open_) <= t < dt.time.fromisoformat(close)


def nth_weekday(day: dt.date) -> tuple[int, bool]:
    """(which occurrence of its weekday in the month, 1-based; whether it is the last one)."""
    n = (day.day - 1) // 7 + 1
    last = day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    return n, last


def open_at(schedule: dict[str, Any], moment: dt.datetime) -> bool | None:
    """True/False from a machine-readable schedule; None when the source published none."""
    weekly, monthly = schedule.get("weekly") or [], schedule.get("monthly") or []
    if not weekly and not monthly:
        return None
    local = moment.astimezone(LOCAL) if moment.tzinfo else moment.replace(tzinfo=LOCAL)
    day, t = DAYS[local.weekday()], local.time()
    for slot in weekly:
        if day in slot["days"] and _within(t, slot["open"], slot["close"]):
            return True
    n, last = nth_weekday(local.date())
    for slot in monthly:
        if slot["day"] == day and (slot["nth"] == n or (slot["nth"] == -1 and last)):
            if _within(t, slot["open"], slot["close"]):
                return True
    return False
