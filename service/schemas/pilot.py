"""The weighing pilot: devices, households, bins, rejected events, household figures."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from zerowaste.service.schemas.quality import HouseholdQuality, WeekQualityPublic

Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class DeviceIn(BaseModel):
    id: Key = Field(examples=["awg-scale-0001"])


class DevicePublic(BaseModel):
    id: str
    created_at: str
    last_seen_at: str | None
    firmware: str | None
    clock_offset_s: float | None
    bins: list[str]
    model_channel: str = "stable"
    model_sha256: str | None = Field(default=None, description="the model the device last said it runs")
    model_status: str | None = None


class Credential(BaseModel):
    id: str
    token: str = Field(description="shown once; only its hash is stored")


class HouseholdIn(BaseModel):
    neighbourhood: Key = Field(examples=["arrenberg"])


class HouseholdCreated(Credential):
    neighbourhood: str


class BinIn(BaseModel):
    id: Key = Field(examples=["bin-a1b2"])
    household: str = Field(max_length=36)
    device: Key
    stream: Key = Field(examples=["restmuell"])
    max_load_kg: float = Field(default=60.0, gt=0, le=2000, description="EN 840 120 l bins: about 50-60 kg")
    in_service_from: AwareDatetime | None = Field(
        default=None,
        description="since when the scale weighs under this bin (default: now); earlier weighings are rejected",
    )


class RejectedPublic(BaseModel):
    id: int
    device: str
    event_id: str
    reasons: list[str]
    payload: dict[str, Any]
    received_at: str
    review_status: str


class VoidIn(BaseModel):
    reason: str = Field(min_length=3, max_length=500, description="why it must not count; kept with the weighing")


class RejectedReview(BaseModel):
    action: Literal["retry", "dismiss"] = Field(
        description="retry: check the event again now (e.g. after registering its bin); dismiss: keep, never count"
    )


class WeekFigures(BaseModel):
    week: str = Field(description="Monday of the week")
    complete: bool
    kg: dict[str, float]
    neighbourhood_median_kg: dict[str, float] = Field(
        description="per stream, only where enough households contribute (ZEROWASTE_MIN_GROUP_SIZE)"
    )
    contamination: WeekQualityPublic | None = Field(default=None, description="bio-bin camera results, if any")
    neighbourhood_contamination_rate: float | None = Field(
        default=None, description="pooled over the quarter, only where enough households contribute"
    )


class StreamSummary(BaseModel):
    stream: str
    name: str
    baseline_kg: float | None
    baseline_weeks: list[str]
    last_week_kg: float | None
    trend_pct: float | None


class ChallengePublic(BaseModel):
    key: str
    name: str
    stream: str
    reduction_pct: float
    weeks: int
    points: int
    joined: bool = False
    started_week: str | None = None
    weeks_done: int | None = None
    target_kg: float | None = None
    mean_kg: float | None = None
    on_track: bool | None = None
    status: Literal["available", "running", "completed", "missed"] = "available"


class Badge(BaseModel):
    key: str
    name: str


class HouseholdSummary(BaseModel):
    household: str
    neighbourhood: str
    neighbourhood_name: str
    current_week: str
    streams: list[StreamSummary]
    weeks: list[WeekFigures]
    challenges: list[ChallengePublic]
    points: int
    badges: list[Badge]
    quality: HouseholdQuality | None = Field(default=None, description="only where a bin camera reports")
