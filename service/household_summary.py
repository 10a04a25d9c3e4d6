"""What a pilot household sees: its weeks, baseline, trend, neighbourhood median, challenges, points."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from zerowaste.service import schemas
from zerowaste.service.challenges import BADGES, ChallengeProgress, clean_weeks, points_and_badges, progress
from zerowaste.service.config import Settings
from zerowaste.service.db.models import Bin, Challenge, ChallengeEnrolment, Household, Neighbourhood, Stream
from zerowaste.service.disputes import dispute_public, frame_state
from zerowaste.service.quality import (
    WeekQuality,
    finding_text,
    household_findings,
    household_quality,
    neighbourhood_quality,
)
from zerowaste.service.weekly import WEEK, household_weeks, neighbourhood_medians, stream_figures
from zerowaste.service.weighings import utc, week_of

SHOWN_WEEKS = 52


def current_week(settings: Settings, now: dt.datetime | None = None) -> dt.date:
    return week_of(now or dt.datetime.now(dt.UTC), settings.zone)


def challenge_public(c: Challenge, lang: schemas.Lang, p: ChallengeProgress | None) -> schemas.ChallengePublic:
    pub = schemas.ChallengePublic(
        key=c.key,
        name=c.name.get(lang, c.key),
        stream=c.stream,
        reduction_pct=c.reduction_pct,
        weeks=c.weeks,
        points=c.points,
    )
    if p is None:
        return pub
    return pub.model_copy(
        update={
            "joined": True,
            "started_week": p.started_week.isoformat(),
            "weeks_done": p.weeks_done,
            "target_kg": p.target_kg,
            "mean_kg": p.mean_kg,
            "on_track": p.on_track,
            "status": p.status,
        }
    )


def summarise(
    session: Session, household: Household, settings: Settings, lang: schemas.Lang, now: dt.datetime | None = None
) -> schemas.HouseholdSummary:
    current = current_week(settings, now)
    hood = session.get(Neighbourhood, household.neighbourhood_id)
    assert hood is not None  # a foreign key
    weeks = household_weeks(session, household.id)
    bin_streams = set(session.scalars(select(Bin.stream).where(Bin.household_id == household.id)))
    streams = sorted(bin_streams | {s for kg in weeks.values() for s in kg})
    names = {
        s.key: s.name.get(lang, s.key)
        for s in session.scalars(
            select(Stream).where(Stream.municipality == hood.municipality, Stream.key.in_(streams))
        )
    }
    figures = [stream_figures(weeks, s, current, settings.baseline_weeks) for s in streams]
    by_stream = {f.stream: f for f in figures}

    shown: list[dt.date] = []
    if weeks:
        w = max(min(weeks), current - (SHOWN_WEEKS - 1) * WEEK)
        while w <= current:
            shown.append(w)
            w += WEEK
    medians = (
        neighbourhood_medians(session, hood.id, shown[0], shown[-1], settings.min_group_size, complete_before=current)
        if shown
        else {}
    )

    enrolled = {
        e.challenge_id: e
        for e in session.scalars(select(ChallengeEnrolment).where(ChallengeEnrolment.household_id == household.id))
    }
    progresses: list[ChallengeProgress] = []
    challenges = []
    for c in session.scalars(
        select(Challenge).where(Challenge.municipality == hood.municipality).order_by(Challenge.key)
    ):
        e = enrolled.get(c.id)
        p = None
        if e is not None:
            p = progress(
                c,
                e.started_week,
                weeks,
                by_stream.get(c.stream) or stream_figures(weeks, c.stream, current, settings.baseline_weeks),
                current,
            )
            progresses.append(p)
        challenges.append(challenge_public(c, lang, p))
    quality = household_quality(session, household.id)
    # Complete weeks only: the running week's rate moves with every deposit, so a neighbour who saw one
    # would read what the camera found in it off the difference, whatever k is.
    hood_quality = (
        neighbourhood_quality(session, [hood.id], shown[0], current - WEEK, settings.min_group_size) if shown else {}
    )
    points, badge_keys = points_and_badges(weeks, figures, progresses, current, quality)
    challenge_names = {c.key: c.name for c in challenges}
    badges = [
        schemas.Badge(key=k, name=BADGES[k][lang] if k in BADGES else challenge_names.get(k.split(":", 1)[1], k))
        for k in badge_keys
    ]

    return schemas.HouseholdSummary(
        household=household.id,
        neighbourhood=hood.key,
        neighbourhood_name=hood.name,
        current_week=current.isoformat(),
        streams=[
            schemas.StreamSummary(
                stream=f.stream,
                name=names.get(f.stream, f.stream),
                baseline_kg=f.baseline_kg,
                baseline_weeks=[w.isoformat() for w in f.baseline_weeks],
                last_week_kg=f.last_week_kg,
                trend_pct=f.trend_pct,
            )
            for f in figures
        ],
        weeks=[
            schemas.WeekFigures(
                week=w.isoformat(),
                complete=w < current,
                kg=weeks.get(w, {}),
                neighbourhood_median_kg={s: m for (mw, s), (m, _n) in medians.items() if mw == w},
                contamination=_week_quality(quality.get(w)),
                neighbourhood_contamination_rate=q.rate if (q := hood_quality.get((hood.id, w))) else None,
            )
            for w in shown
        ],
        challenges=challenges,
        points=points,
        badges=badges,
        quality=_household_quality(session, household, settings, lang, quality, current),
    )


def _week_quality(q: WeekQuality | None) -> schemas.WeekQualityPublic | None:
    if q is None:
        return None
    return schemas.WeekQualityPublic(assessed=q.assessed, contaminated=q.contaminated, rate=q.rate)


def _household_quality(
    session: Session,
    household: Household,
    settings: Settings,
    lang: schemas.Lang,
    quality: dict[dt.date, WeekQuality],
    current: dt.date,
) -> schemas.HouseholdQuality | None:
    """Its own rate and what was found, as its page shows them; None where no bin camera ever reported."""
    if not quality:
        return None
    done = [w for w in sorted(quality) if w < current]
    return schemas.HouseholdQuality(
        last_week=_week_quality(quality[done[-1]]) if done else None,
        clean_weeks=len(clean_weeks(quality, current)),
        findings=[
            schemas.FindingPublic(
                device=f.weighing.device_id,
                event_id=f.weighing.event_id,
                measured_at=utc(f.weighing.measured_at).isoformat(),
                day=f.day.isoformat(),
                stream=f.weighing.stream,
                kinds=f.kinds,
                text=finding_text(f.kinds, f.day, lang),
                counted_as_contaminated=bool(f.weighing.contaminated),
                photo_donated=f.quality.photo_donated,
                dispute=None
                if f.dispute is None
                else dispute_public(f.dispute, settings.quality_queue, frame_state(f.weighing)),
            )
            for f in household_findings(session, household.id, settings.zone)
        ],
    )
