"""Is an offer open at a given moment? Weekly slots and "nth weekday of the month" slots, in the
municipality's time zone (`ZEROWASTE_TIMEZONE`)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = get_args(Day)  # Monday first, as datetime.weekday() counts
HourMinute = Annotated[str, Field(pattern=r"^\d\d:\d\d$")]


class Strict(BaseModel):
    """A model of the rules file: an unknown key is a typo, refused (service/rules.py builds on it)."""

    model_config = ConfigDict(extra="forbid")


class WeeklySlot(Strict):
    days: list[Day]
    open: HourMinute
    close: HourMinute


class MonthlySlot(Strict):
    nth: int = Field(ge=-1, le=5)
    day: Day
    open: HourMinute
    close: HourMinute


class Schedule(Strict):
    weekly: list[WeeklySlot] = []
    monthly: list[MonthlySlot] = []


def _within(t: dt.time, open_: str, close: str) -> bool:
    return dt.time.fromisoformat(open_) <= t < dt.time.fromisoformat(close)


def nth_weekday(day: dt.date) -> tuple[int, bool]:
    """(which occurrence of its weekday in the month, 1-based; whether it is the last one)."""
    n = (day.day - 1) // 7 + 1
    last = day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    return n, last


def open_at(schedule: Schedule, moment: dt.datetime, zone: ZoneInfo) -> bool | None:
    """True/False from a machine-readable schedule; None when the source published none. The slots are
    local times in `zone`; a moment without a zone is taken as local."""
    if not schedule.weekly and not schedule.monthly:
        return None
    local = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
    day, t = DAYS[local.weekday()], local.time()
    for weekly in schedule.weekly:
        if day in weekly.days and _within(t, weekly.open, weekly.close):
            return True
    n, last = nth_weekday(local.date())
    for monthly in schedule.monthly:
        if monthly.day == day and (monthly.nth == n or (monthly.nth == -1 and last)):
            if _within(t, monthly.open, monthly.close):
                return True
    return False
