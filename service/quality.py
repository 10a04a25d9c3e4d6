"""Bio-bin quality in the weekly figures (issue 25): a contamination rate beside the kilograms.

An event is *assessed* when it is a deposit or an emptying that carries a camera result
(`WeighingEvent.quality`); removals and events without a result are not assessed and count in no
denominator. A week's contamination rate is its contaminated assessed events over its assessed events.
A *clean week* has at least one assessed event and none contaminated.

A neighbourhood's rate pools the events of its households in that week, and is given only where at
least `min_group` households had an assessed event then (the k of ZEROWASTE_MIN_GROUP_SIZE): a rate of
fewer would single one out. What counts is `weighing.contaminated`: the device's verdict, or staff's
after a household disputed it (service/disputes.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zerowaste.model.contamination import NAMES
from zerowaste.service.db.models import Household, Neighbourhood, QualityDispute, Weighing
from zerowaste.service.weighings import utc
from zerowaste.wire import CONTAMINANTS, BinQuality, Contaminant

ASSESSED = ("deposit", "emptying")
Lang = Literal["de", "en"]

MONTHS: dict[Lang, tuple[str, ...]] = {
    "de": ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


@dataclass(frozen=True)
class WeekQuality:
    assessed: int
    contaminated: int
    households: int = 1  # how many households' events these are (a neighbourhood's week)

    @property
    def rate(self) -> float | None:
        return round(self.contaminated / self.assessed, 4) if self.assessed else None

    @property
    def clean(self) -> bool:
        return self.assessed > 0 and self.contaminated == 0


# Assessed events, counted and the contaminated among them (clauses shared by the queries below).
IS_ASSESSED = (Weighing.kind.in_(ASSESSED), Weighing.contaminated.is_not(None))
COUNT = func.count()
CONTAMINATED = func.sum(case((Weighing.contaminated.is_(True), 1), else_=0))


def household_quality(session: Session, household_id: str) -> dict[dt.date, WeekQuality]:
    """Week (Monday) -> the household's assessed and contaminated events, for weeks with any assessed."""
    rows = session.execute(
        select(Weighing.week, COUNT, CONTAMINATED)
        .where(Weighing.household_id == household_id, *IS_ASSESSED)
        .group_by(Weighing.week)
    )
    return {week: WeekQuality(int(n), int(bad or 0)) for week, n, bad in rows}


def neighbourhood_quality(
    session: Session, neighbourhood_ids: Sequence[int], first: dt.date, last: dt.date, min_group: int
) -> dict[tuple[int, dt.date], WeekQuality]:
    """(neighbourhood, week) -> its pooled figures, only where at least `min_group` households contribute."""
    rows = session.execute(
        select(Household.neighbourhood_id, Weighing.week, Weighing.household_id, COUNT, CONTAMINATED)
        .join(Household, Household.id == Weighing.household_id)
        .where(
            Household.neighbourhood_id.in_(list(neighbourhood_ids)),
            Weighing.week >= first,
            Weighing.week <= last,
            *IS_ASSESSED,
        )
        .group_by(Household.neighbourhood_id, Weighing.week, Weighing.household_id)
    )
    pooled: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for hood, week, _household, n, bad in rows:
        p = pooled[(hood, week)]
        p[0], p[1], p[2] = p[0] + int(n), p[1] + int(bad or 0), p[2] + 1
    return {k: WeekQuality(n, bad, households) for k, (n, bad, households) in pooled.items() if households >= min_group}


def municipality_quality(
    session: Session, municipality: str, first: dt.date, last: dt.date, min_group: int
) -> list[tuple[Neighbourhood, dict[dt.date, WeekQuality]]]:
    """Every neighbourhood with its weeks' figures (only the weeks that pass the k rule)."""
    hoods = list(
        session.scalars(
            select(Neighbourhood).where(Neighbourhood.municipality == municipality).order_by(Neighbourhood.key)
        )
    )
    figures = neighbourhood_quality(session, [h.id for h in hoods], first, last, min_group)
    return [(h, {w: q for (hid, w), q in figures.items() if hid == h.id}) for h in hoods]


def finding_text(kinds: Sequence[Contaminant], day: dt.date, lang: Lang) -> str:
    """ "Plastiktüte erkannt, 12. Nov." / "Plastic bag found, 12 Nov" (several: "… und Glas erkannt")."""
    names = [NAMES[k][lang] for k in kinds] or [NAMES["other"][lang]]
    month = MONTHS[lang][day.month - 1]
    if lang == "de":
        what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " und " + names[-1]
        return f"{what} erkannt, {day.day}. {month}"
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{what[0].upper()}{what[1:]} found, {day.day} {month}"


def found_kinds(quality: BinQuality) -> list[Contaminant]:
    """The contaminants found, most confident first, each once."""
    kinds: list[Contaminant] = []
    for f in sorted(quality.findings, key=lambda f: (-f.confidence, CONTAMINANTS.index(f.kind))):
        if f.kind not in kinds:
            kinds.append(f.kind)
    return kinds


@dataclass(frozen=True)
class Found:
    """One flagged event of a household, as its page shows it."""

    weighing: Weighing
    quality: BinQuality
    kinds: list[Contaminant]
    day: dt.date  # in the municipality's time zone
    dispute: QualityDispute | None


def household_findings(session: Session, household_id: str, zone: ZoneInfo, limit: int = 20) -> list[Found]:
    """The household's flagged events (the device's verdict, or staff's after a dispute), newest first;
    an event staff found clean after a dispute stays listed with its dispute's status."""
    disputed = select(QualityDispute.event_id).where(QualityDispute.household_id == household_id)
    rows = session.execute(
        select(Weighing, QualityDispute)
        .outerjoin(
            QualityDispute,
            (QualityDispute.device_id == Weighing.device_id) & (QualityDispute.event_id == Weighing.event_id),
        )
        .where(
            Weighing.household_id == household_id,
            Weighing.contaminated.is_not(None),  # quality's JSON null is no SQL NULL: ask this column
            Weighing.contaminated.is_(True) | Weighing.event_id.in_(disputed),
        )
        .order_by(Weighing.measured_at.desc(), Weighing.event_id)
        .limit(limit)
    )
    out = []
    for weighing, dispute in rows:
        quality = BinQuality.model_validate(weighing.quality)
        day = utc(weighing.measured_at).astimezone(zone).date()
        out.append(Found(weighing, quality, found_kinds(quality), day, dispute))
    return out
