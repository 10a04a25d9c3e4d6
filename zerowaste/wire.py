"""The messages between a device (edge/) and the service (service/), defined once.

Both sides import these models: the device builds and reads its messages with them, the service
validates requests and writes answers with them, so a field renamed on one side fails the other's
tests instead of a pilot's uploads. Only pydantic: the edge install (`.[edge]`) has no FastAPI or
SQLAlchemy, and must not need them to speak to the service.

The paths are the service's routes; the device's client prefixes nothing else.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

WEIGHINGS_PATH = "/v1/weighings/batch"
MODEL_OFFER_PATH = "/v1/models/current"
MODEL_REPORT_PATH = "/v1/models/report"
# A donated frame of one event (the household consented): PUT, the body is the JPEG.
DONATED_PHOTO_PATH = "/v1/weighings/{event_id}/photo"

ID_CHARS = r"[A-Za-z0-9_.:-]"  # what an event id is made of (the agent makes UUIDs)

EventKind = Literal["deposit", "removal", "emptying"]
# What a bio-bin camera can find that does not belong in organic waste (model/contamination.py).
# Wuppertal's Biotonne takes no plastic bag, "compostable" bio-bags included.
Contaminant = Literal["plastic_bag", "plastic_other", "glass", "metal", "other"]
CONTAMINANTS: tuple[Contaminant, ...] = ("plastic_bag", "plastic_other", "glass", "metal", "other")
Camera = Literal["lid", "truck"]
EventStatus = Literal["accepted", "duplicate", "rejected"]
ModelStatus = Literal["installed", "rolled-back", "refused"]


def printable(text: str) -> str:
    """Without control characters (NUL among them, which PostgreSQL refuses in text)."""
    return "".join(c for c in text if c.isprintable())


class Finding(BaseModel):
    """One contaminant the camera saw, with where (a box in fractions of the frame, 0..1)."""

    model_config = ConfigDict(extra="forbid")

    kind: Contaminant
    confidence: float = Field(ge=0.0, le=1.0)
    box: tuple[float, float, float, float] | None = Field(
        default=None, description="x0, y0, x1, y1 as fractions of the frame's width and height"
    )

    @field_validator("box")
    @classmethod
    def _box(cls, v: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if v is not None and not (0.0 <= v[0] < v[2] <= 1.0 and 0.0 <= v[1] < v[3] <= 1.0):
            raise ValueError("a box is x0 < x1 and y0 < y1, each within 0..1")
        return v


class BinQuality(BaseModel):
    """How clean a bio bin looked when the deposit settled (lid camera) or the bin was emptied (truck).

    The device runs the contamination model on the frame and sends only this; the frame itself stays
    on the device unless the household consented to donating it (`photo_donated`)."""

    model_config = ConfigDict(extra="forbid")

    contaminated: bool
    findings: list[Finding] = Field(default=[], max_length=len(CONTAMINANTS))
    scores: dict[Contaminant, float] = Field(description="each contaminant's probability, 0..1")
    model_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    camera: Camera
    captured_at: AwareDatetime
    photo_donated: bool = False

    @field_validator("scores")
    @classmethod
    def _scores(cls, v: dict[str, float]) -> dict[str, float]:
        if any(not (math.isfinite(p) and 0.0 <= p <= 1.0) for p in v.values()):
            raise ValueError("scores are probabilities within 0..1")
        return v


class WeighingEvent(BaseModel):
    """One weighing as the scale agent made it (edge/agent.py)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=8, max_length=64, pattern=f"^{ID_CHARS}+$")
    device: str = Field(max_length=64)
    bin: str = Field(max_length=64)
    stream: str = Field(max_length=64)
    kind: EventKind
    net_kg: float
    gross_kg: float
    measured_at: dt.datetime
    firmware: str = Field(default="", max_length=64)
    calibration_version: int = Field(default=0, ge=0)
    quality: BinQuality | None = Field(default=None, description="the bio-bin camera's result, where there is one")

    @field_validator("device", "bin", "stream", "firmware")
    @classmethod
    def _printable(cls, v: str) -> str:
        return printable(v)  # a NUL would reach PostgreSQL's text columns; it names no device or bin

    @field_validator("net_kg", "gross_kg")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @field_validator("measured_at")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("needs a time zone (the agent sends UTC)")
        return v


class WeighingBatch(BaseModel):
    sent_at: AwareDatetime = Field(description="the device's clock when it sent the batch (for skew correction)")
    # Any JSON value: an element that is not an object is answered as rejected on its own, the rest of
    # the batch still counts (a whole-batch 422 would make an agent resend it forever). Each element is
    # a WeighingEvent when the agent is well; the service checks each one alone.
    events: list[Any] = Field(description="events as the scale agent made them; each is checked alone")


class EventResult(BaseModel):
    id: str
    status: EventStatus
    reasons: list[str] = []


class BatchResult(BaseModel):
    server_time: dt.datetime
    clock_offset_s: float = Field(description="server clock minus device clock; added to event times")
    accepted: int
    duplicates: int
    rejected: int
    results: list[EventResult]


class ModelOffer(BaseModel):
    """What a device should run. Verify size, sha256 and the Ed25519 signature before loading it."""

    channel: str
    model_id: int
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    precision: str
    signature: str = Field(description="base64 Ed25519 over 'zerowaste-model-v1\\n<sha256>\\n<size>'")
    key_id: str
    url: str = Field(description="path of the file on this service (supports HTTP Range)")


class ModelReport(BaseModel):
    """What a device tells the service after an update: staff see what each device runs."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    status: ModelStatus
    detail: str = Field(default="", max_length=500)
