"""Weekly figures: a household's kilograms per week and stream, its baseline and trend, and the
neighbourhood median (only where enough households contribute that no one can be singled out).

Weeks are stored on each weighing at ingestion (Monday, municipality time zone), so every figure
is a plain GROUP BY that runs the same on SQLite and PostgreSQL. Deposits and removals count;
emptyings do not (the truck is not the household).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zerowaste.service.db.models import Household, Weighing

COUNTED = ("deposit", "removal")
WEEK = dt.timedelta(days=7)


def household_weeks(session: Session, household_id: str) -> dict[dt.date, dict[str, float]]:
    rows = session.execute(
        select(Weighing.week, Weighing.stream, func.sum(Weighing.net_kg))
        .where(Weighing.household_id == household_id, Weighing.kind.in_(COUNTED))
        .group_by(Weighing.week, Weighing.stream)
    ).all()
    weeks: dict[dt.date, dict[str, float]] = defaultdict(dict)
    for week, stream, kg in rows:
        weeks[week][stream] = round(float(kg), 3)
    return dict(weeks)


def neighbourhood_medians(session: Session, neighbourhood_id: int, first: dt.date, last: dt.date,
                          min_group: int) -> dict[tuple[dt.date, str], tuple[float, int]]:
    """(week, stream) -> (median kg per household, households) for groups of at least min_group."""
    per_household = (
        select(Weighing.week, Weighing.stream, Weighing.household_id, func.sum(Weighing.net_kg).label("kg"))
        .join(Household, Household.id == Weighing.household_id)
        .where(Household.neighbourhood_id == neighbourhood_id, Weighing.kind.in_(COUNTED),
               Weighing.week >= first, Weighing.week <= last)
        .group_by(Weighing.week, Weighing.stream, Weighing.household_id)
    )
    groups: dict[tuple[dt.date, str], list[float]] = defaultdict(list)
    for week, stream, _household, kg in session.execute(per_household):
        groups[(week, stream)].append(float(kg))
    return {k: (round(statistics.median(v), 3), len(v)) for k, v in groups.items() if len(v) >= min_group}


@dataclass
class StreamFigures:
    stream: str
    baseline_kg: float | None
    baseline_weeks: list[dt.date]
    last_week_kg: float | None
    trend_pct: float | None  # last complete week against the baseline


def complete_weeks(weeks: dict[dt.date, dict[str, float]], stream: str, current: dt.date) -> list[dt.date]:
    """Every complete week from the stream's first weighing on, empty weeks included (they count as 0 kg)."""
    with_data = sorted(w for w, kg in weeks.items() if stream in kg)
    if not with_data:
        return []
    out, w = [], with_data[0]
    while w < current:
        out.append(w)
        w += WEEK
    return out


def stream_figures(weeks: dict[dt.date, dict[str, float]], stream: str, current: dt.date,
                   baseline_weeks: int) -> StreamFigures:
    done = complete_weeks(weeks, stream, current)
    kg = [weeks.get(w, {}).get(stream, 0.0) for w in done]
    if len(done) < baseline_weeks:
        return StreamFigures(stream, None, done, kg[-1] if kg else None, None)
    baseline = round(sum(kg[:baseline_weeks]) / baseline_weeks, 3)
    last = kg[-1]
    trend = round((last - baseline) / baseline * 100, 1) if baseline > 0 and len(done) > baseline_weeks else None
    return StreamFigures(stream, baseline, done[:baseline_weeks], last, trend)
