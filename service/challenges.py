"""Challenges, points and badges, all computed from the weekly figures (nothing to drift out of step).

A challenge compares a household with its own baseline: "10 % less residual waste in 4 weeks" is
met when the mean of the 4 complete weeks after joining is at most 90 % of the baseline.
Points: 10 for each complete week after the baseline in which a stream stayed below its baseline,
10 for each complete clean bio-bin week (assessed by a bin camera, nothing contaminated: see
service/quality.py), plus a challenge's points once it is met. Badges mark milestones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from zerowaste.service.db.models import Challenge
from zerowaste.service.quality import WeekQuality
from zerowaste.service.weekly import WEEK, StreamFigures, complete_weeks

POINTS_PER_WEEK_BELOW = 10
POINTS_PER_CLEAN_WEEK = 10
Status = Literal["running", "completed", "missed"]
BADGES = {
    "first-weighing": {"de": "Erste Wiegung", "en": "First weighing"},
    "baseline": {"de": "Ausgangswert steht", "en": "Baseline set"},
    "four-weeks-below": {"de": "4 Wochen in Folge unter dem Ausgangswert", "en": "4 weeks in a row below baseline"},
    "four-clean-weeks": {"de": "4 saubere Wochen in Folge", "en": "4 clean weeks in a row"},
}


@dataclass
class ChallengeProgress:
    challenge: Challenge
    started_week: dt.date
    weeks_done: int
    target_kg: float | None
    mean_kg: float | None
    status: Status

    @property
    def on_track(self) -> bool | None:
        if self.mean_kg is None or self.target_kg is None:
            return None
        return self.mean_kg <= self.target_kg


def progress(
    challenge: Challenge,
    started_week: dt.date,
    weeks: dict[dt.date, dict[str, float]],
    figures: StreamFigures,
    current: dt.date,
) -> ChallengeProgress:
    span = [started_week + i * WEEK for i in range(challenge.weeks)]
    done = [w for w in span if w < current]
    target = (
        None if figures.baseline_kg is None else round(figures.baseline_kg * (1 - challenge.reduction_pct / 100), 3)
    )
    mean = round(sum(weeks.get(w, {}).get(challenge.stream, 0.0) for w in done) / len(done), 3) if done else None
    status: Status = "running"
    if len(done) == challenge.weeks and target is not None and mean is not None:
        status = "completed" if mean <= target else "missed"
    return ChallengeProgress(challenge, started_week, len(done), target, mean, status)


def points_and_badges(
    weeks: dict[dt.date, dict[str, float]],
    figures: list[StreamFigures],
    challenges: list[ChallengeProgress],
    current: dt.date,
    quality: dict[dt.date, WeekQuality] | None = None,
) -> tuple[int, list[str]]:
    points, badges = 0, []
    if weeks:
        badges.append("first-weighing")
    if any(f.baseline_kg is not None for f in figures):
        badges.append("baseline")
    four_below = False
    for f in figures:
        if f.baseline_kg is None:
            continue
        run = 0
        for w in complete_weeks(weeks, f.stream, current)[len(f.baseline_weeks) :]:
            below = weeks.get(w, {}).get(f.stream, 0.0) < f.baseline_kg
            points += POINTS_PER_WEEK_BELOW if below else 0
            run = run + 1 if below else 0
            four_below = four_below or run >= 4
    if four_below:
        badges.append("four-weeks-below")
    clean = clean_weeks(quality or {}, current)
    points += POINTS_PER_CLEAN_WEEK * len(clean)
    if any(all(w + i * WEEK in clean for i in range(4)) for w in clean):
        badges.append("four-clean-weeks")
    for c in challenges:
        if c.status == "completed":
            points += c.challenge.points
            badges.append(f"challenge:{c.challenge.key}")
    return points, badges


def clean_weeks(quality: dict[dt.date, WeekQuality], current: dt.date) -> set[dt.date]:
    """Complete weeks with assessed events and none contaminated (the current week may still change)."""
    return {w for w, q in quality.items() if q.clean and w < current}
