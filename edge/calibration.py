"""Turning a load cell's raw counts into kilograms: tare and two-point calibration.

kg = (raw - zero) * factor. Tare moves `zero` to what the empty bin reads, so gross weights count
what is in the bin, not the bin. Two known masses fix `factor` (ESPHome's calibrate_linear does the
same with a list of points). Every change bumps `version`, which each weighing carries, so the
service can tell which calibration a figure came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field


class CalibrationError(ValueError):
    pass


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zero: float = Field(default=0.0, description="raw reading of the empty bin")
    factor: float = Field(default=1.0, description="kg per raw count")
    version: int = Field(default=0, ge=0, description="bumped on every tare or calibration")
    calibrated_at: dt.datetime | None = None

    def kg(self, raw: float) -> float:
        return (raw - self.zero) * self.factor

    @property
    def is_set(self) -> bool:
        """False for the defaults (zero 0, factor 1): readings would be raw counts, not kilograms."""
        return self.calibrated_at is not None or (self.zero, self.factor) != (0.0, 1.0)

    def tared(self, raw_empty: float) -> Calibration:
        return self.model_copy(
            update={"zero": raw_empty, "version": self.version + 1, "calibrated_at": dt.datetime.now(dt.UTC)}
        )


def two_point(points: Sequence[tuple[float, float]], previous: Calibration | None = None) -> Calibration:
    """Least-squares line through (raw, kg) points; at least two distinct masses.

    The first point is usually the empty bin (0 kg); zero is where the line crosses 0 kg.
    """
    if len({kg for _, kg in points}) < 2:
        raise CalibrationError("calibration needs readings for at least two different masses")
    n = len(points)
    mean_raw = sum(r for r, _ in points) / n
    mean_kg = sum(k for _, k in points) / n
    var = sum((r - mean_raw) ** 2 for r, _ in points)
    if var == 0:
        raise CalibrationError("the scale read the same value for different masses: is the load cell connected?")
    factor = sum((r - mean_raw) * (k - mean_kg) for r, k in points) / var
    zero = mean_raw - mean_kg / factor
    version = (previous.version if previous else 0) + 1
    return Calibration(zero=zero, factor=factor, version=version, calibrated_at=dt.datetime.now(dt.UTC))
