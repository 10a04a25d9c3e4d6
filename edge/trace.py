"""Weight traces for the simulated scale: generated (with what real bins do) or recorded as CSV.

A generated trace holds what tests need to tell a good detector from a bad one: sensor noise, slow
drift of the zero, lid bumps (short spikes), someone leaning on the bin (large, wobbling, not
settling), bags dropped in (spike, ringing, then a new level) and the weekly emptying (the bin is
lifted off the platform, reads negative, comes back near zero). Between events the scale is sampled
sparsely, so that weeks of a bin's life fit in a test; around events it is sampled at `sample_hz`.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class TraceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    days: float = Field(default=7.0, gt=0)
    deposits_per_day: float = Field(default=1.0, ge=0)
    deposit_kg_median: float = Field(default=1.2, gt=0, description="bags are log-normal around this")
    noise_kg: float = Field(default=0.004, ge=0, description="sensor noise, standard deviation")
    drift_kg_per_day: float = Field(default=0.01, description="slow creep of the zero")
    lid_bumps_per_day: float = Field(default=1.0, ge=0)
    leans_per_day: float = Field(default=0.3, ge=0)
    empty_every_days: float = Field(default=7.0, gt=0, description="the collection lifts and empties the bin")
    bin_mass_kg: float = Field(default=11.0, gt=0, description="what the platform loses while the bin is lifted")
    sample_hz: float = Field(default=10.0, gt=0)
    idle_every_s: float = Field(default=300.0, gt=0, description="sampling interval between events")
    start_s: float = Field(default=0.0, description="trace clock at the first sample")


@dataclass
class Trace:
    samples: list[tuple[float, float]] = field(default_factory=list)  # (t_s, kg)
    deposits: list[tuple[float, float]] = field(default_factory=list)  # ground truth (t_s, kg)
    emptyings: list[float] = field(default_factory=list)


def generate_trace(spec: TraceSpec) -> Trace:
    rng = random.Random(spec.seed)
    end = spec.start_s + spec.days * 86_400
    events: list[tuple[float, str]] = []
    for kind, per_day in (
        ("deposit", spec.deposits_per_day),
        ("bump", spec.lid_bumps_per_day),
        ("lean", spec.leans_per_day),
    ):
        n = _poisson(rng, per_day * spec.days)
        events += [(rng.uniform(spec.start_s + 60, end - 120), kind) for _ in range(n)]
    t_empty = spec.start_s + spec.empty_every_days * 86_400
    while t_empty < end - 120:
        events.append((t_empty, "empty"))
        t_empty += spec.empty_every_days * 86_400
    events.sort()

    trace = Trace()
    dt_s = 1.0 / spec.sample_hz
    t, level = spec.start_s, 0.0

    def emit(at: float, kg: float) -> None:
        nonlocal t
        at = max(at, t + 1e-3)  # strictly increasing clock
        drift = spec.drift_kg_per_day * (at - spec.start_s) / 86_400
        trace.samples.append((round(at, 3), round(kg + drift + rng.gauss(0, spec.noise_kg), 4)))
        t = at

    def hold(kg: float, seconds: float, wobble: float = 0.0) -> None:
        t0 = t
        for i in range(int(seconds * spec.sample_hz)):
            emit(t0 + (i + 1) * dt_s, kg + wobble * math.sin(2 * math.pi * 0.7 * i * dt_s) + rng.gauss(0, wobble / 4))

    emit(spec.start_s, level)
    for at, kind in events:
        if at <= t + 15:  # events closer than the last one's tail are dropped (the bin is busy)
            continue
        while t + spec.idle_every_s < at - 3:
            emit(t + spec.idle_every_s, level)
        emit(at - 3, level)
        hold(level, 3.0)
        if kind == "deposit":
            kg = round(spec.deposit_kg_median * math.exp(rng.gauss(0, 0.5)), 3)
            for i in range(int(1.5 * spec.sample_hz)):  # impact, then ringing that dies away
                decay = math.exp(-3 * i * dt_s)
                emit(t + dt_s, level + kg + 2 * kg * decay * math.cos(2 * math.pi * 2 * i * dt_s))
            level += kg
            trace.deposits.append((t, kg))
            hold(level, 6.0)
        elif kind == "bump":
            hold(level + rng.uniform(1, 4), 0.3)
            hold(level, 4.0)
        elif kind == "lean":
            hold(level + rng.uniform(5, 25), rng.uniform(3, 10), wobble=0.6)
            hold(level, 4.0)
        else:  # emptying: lifted off (negative), back on and empty
            hold(-spec.bin_mass_kg, 20.0)
            level = round(rng.uniform(0.0, 0.05), 3)  # a little always sticks to the bin
            trace.emptyings.append(t)
            hold(level, 6.0)
    while t + spec.idle_every_s < end:
        emit(t + spec.idle_every_s, level)
    return trace


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method is fine for the small rates of a household bin; split large ones.
    n = 0
    while lam > 30:
        n += round(rng.gauss(30, math.sqrt(30)))
        lam -= 30
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return n + k
        k += 1


def write_trace(path: Path, samples: list[tuple[float, float]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["t_s", "kg"])
        w.writerows(samples)


def read_trace(path: Path) -> list[tuple[float, float]]:
    """A recorded trace: CSV with columns t_s (seconds, increasing) and kg."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or {"t_s", "kg"} - set(rows[0]):
        raise ValueError(f"{path}: a trace needs the columns t_s and kg")
    samples = [(float(r["t_s"]), float(r["kg"])) for r in rows]
    if any(b[0] <= a[0] for a, b in zip(samples, samples[1:], strict=False)):
        raise ValueError(f"{path}: t_s must increase from row to row")
    return samples
