"""From a stream of kilograms to weighings: a change counts only once the weight has settled.

The detector keeps a reference: the last settled weight. A new settled weight that differs from it by
at least `min_delta_kg` is a change: up is a deposit, down to (nearly) empty after the bin was lifted
off the platform is an emptying, any other drop is a removal. Smaller differences move the reference
without an event, so slow drift never adds up to a phantom bag. Spikes (lid bumps, a bag's impact)
and someone leaning on the bin never settle within the tolerance band, so they never count.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["deposit", "removal", "emptying"]


class DetectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_s: float = Field(default=2.0, gt=0, description="how long the weight must hold still")
    tolerance_kg: float = Field(default=0.05, gt=0, description="max - min within the window when still")
    min_delta_kg: float = Field(default=0.05, gt=0, description="smaller changes are drift, not events")
    empty_kg: float = Field(default=0.5, description="after a lift, below this the bin counts as emptied")
    off_scale_kg: float = Field(default=-1.0, description="below this the bin is off the platform")


@dataclass(frozen=True)
class Change:
    t: float
    kind: Kind
    net_kg: float
    gross_kg: float


class StableWeightDetector:
    def __init__(self, config: DetectorConfig, reference_kg: float | None = None, lifted: bool = False) -> None:
        self.config = config
        self.reference = reference_kg  # None until the first settled weight after a cold start
        self.lifted = lifted
        self._window: deque[tuple[float, float]] = deque()

    def feed(self, t: float, kg: float) -> Change | None:
        cfg = self.config
        w = self._window
        w.append((t, kg))
        while len(w) > 1 and t - w[1][0] >= cfg.window_s:
            w.popleft()
        if t - w[0][0] < cfg.window_s * 0.95:
            return None
        values = [v for _, v in w]
        if max(values) - min(values) > cfg.tolerance_kg:
            return None
        settled = statistics.median(values)
        if settled < cfg.off_scale_kg:
            self.lifted = True
            return None
        if self.reference is None:
            self.reference = settled
            return None
        delta = settled - self.reference
        if abs(delta) < cfg.min_delta_kg:
            self.reference = settled  # follow drift
            if self.lifted and settled < cfg.empty_kg:
                self.lifted = False  # lifted and put back without anything to empty
            return None
        kind: Kind = "deposit" if delta > 0 else "removal"
        if self.lifted and delta < 0 and settled < cfg.empty_kg:
            kind = "emptying"
        self.lifted = False
        self.reference = settled
        w.clear()  # the next change needs a fresh settled window
        return Change(t=t, kind=kind, net_kg=round(delta, 3), gross_kg=round(settled, 3))
