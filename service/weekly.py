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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zerowaste.service.db.models import Household, NeighbourhoodWeek, NeighbourhoodWeekChange, Weighing

Medians = dict[tuple[dt.date, str], tuple[float, int]]

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


def _compute_medians(session: Session, neighbourhood_id: int, weeks: list[dt.date], min_group: int) -> Medians:
    per_household = (
        select(Weighing.week, Weighing.stream, Weighing.household_id, func.sum(Weighing.net_kg).label("kg"))
        .join(Household, Household.id == Weighing.household_id)
        .where(Household.neighbourhood_id == neighbourhood_id, Weighing.kind.in_(COUNTED), Weighing.week.in_(weeks))
        .group_by(Weighing.week, Weighing.stream, Weighing.household_id)
    )
    groups: dict[tuple[dt.date, str], list[float]] = defaultdict(list)
    for week, stream, _household, kg in session.execute(per_household):
        groups[(week, stream)].append(float(kg))
    return {k: (round(statistics.median(v), 3), len(v)) for k, v in groups.items() if len(v) >= min_group}


def neighbourhood_medians(
    session: Session,
    neighbourhood_id: int,
    first: dt.date,
    last: dt.date,
    min_group: int,
    *,
    complete_before: dt.date | None = None,
) -> Medians:
    """(week, stream) -> (median kg per household, households) for groups of at least min_group.

    Weeks (Mondays) before `complete_before` are read from `neighbourhood_week` where stored at the
    week's current change count, and stored once computed; later weeks are always computed, as is
    everything without `complete_before`.
    """
    weeks = [first + i * WEEK for i in range((last - first) // WEEK + 1)]
    if complete_before is None:
        return _compute_medians(session, neighbourhood_id, weeks, min_group)
    # Change counts first, weighings after: a weighing committed in between raises the count past the
    # one stored with these figures, so they are never served for it (no lock needed).
    changes: dict[Any, Any] = dict(
        session.execute(
            select(NeighbourhoodWeekChange.week, NeighbourhoodWeekChange.changes).where(
                NeighbourhoodWeekChange.neighbourhood_id == neighbourhood_id,
                NeighbourhoodWeekChange.week >= first,
                NeighbourhoodWeekChange.week <= last,
            )
        ).all()
    )
    rows = {
        row.week: row
        for row in session.scalars(
            select(NeighbourhoodWeek).where(
                NeighbourhoodWeek.neighbourhood_id == neighbourhood_id,
                NeighbourhoodWeek.min_group == min_group,
                NeighbourhoodWeek.week >= first,
                NeighbourhoodWeek.week <= last,
            )
        )
    }
    stored = {w: row for w, row in rows.items() if row.changes == changes.get(w, 0)}
    out: Medians = {(row.week, stream): (m, n) for row in stored.values() for stream, (m, n) in row.medians.items()}
    missing = [w for w in weeks if w not in stored]
    if not missing:
        return out
    fresh = _compute_medians(session, neighbourhood_id, missing, min_group)
    out.update(fresh)
    now = dt.datetime.now(dt.UTC)
    new = [
        NeighbourhoodWeek(
            neighbourhood_id=neighbourhood_id,
            week=w,
            min_group=min_group,
            changes=changes.get(w, 0),
            computed_at=now,
            medians={s: [m, n] for (mw, s), (m, n) in fresh.items() if mw == w},
        )
        for w in missing
        if w < complete_before
    ]
    if new:
        try:
            with session.begin_nested():
                session.execute(
                    delete(NeighbourhoodWeek).where(  # figures of an older change count
                        NeighbourhoodWeek.neighbourhood_id == neighbourhood_id,
                        NeighbourhoodWeek.min_group == min_group,
                        NeighbourhoodWeek.week.in_([row.week for row in new]),
                    )
                )
                session.add_all(new)
        except IntegrityError:
            pass  # another request stored these weeks a moment ago; the next one reads them
        session.commit()
    return out


def weeks_changed(session: Session, neighbourhood_weeks: Iterable[tuple[int, dt.date]]) -> None:
    """Count a change of weighings in these (neighbourhood, week) pairs: their stored medians stop being
    served. One upsert per pair, atomic on SQLite and PostgreSQL alike. The caller commits."""
    pairs = sorted(set(neighbourhood_weeks))
    if not pairs:
        return
    table = NeighbourhoodWeekChange.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(NeighbourhoodWeekChange).values([{"neighbourhood_id": n, "week": w, "changes": 1} for n, w in pairs])
    session.execute(
        stmt.on_conflict_do_update(index_elements=["neighbourhood_id", "week"], set_={"changes": table.c.changes + 1})
    )


def forget_weeks_before(session: Session, cutoff: dt.date) -> None:
    """Stored medians and change counts of weeks the purge removed. The caller commits."""
    session.execute(delete(NeighbourhoodWeek).where(NeighbourhoodWeek.week < cutoff))
    session.execute(delete(NeighbourhoodWeekChange).where(NeighbourhoodWeekChange.week < cutoff))


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


def stream_figures(
    weeks: dict[dt.date, dict[str, float]], stream: str, current: dt.date, baseline_weeks: int
) -> StreamFigures:
    done = complete_weeks(weeks, stream, current)
    kg = [weeks.get(w, {}).get(stream, 0.0) for w in done]
    if len(done) < baseline_weeks:
        return StreamFigures(stream, None, done, kg[-1] if kg else None, None)
    baseline = round(sum(kg[:baseline_weeks]) / baseline_weeks, 3)
    last = kg[-1]
    trend = round((last - baseline) / baseline * 100, 1) if baseline > 0 and len(done) > baseline_weeks else None
    return StreamFigures(stream, baseline, done[:baseline_weeks], last, trend)
