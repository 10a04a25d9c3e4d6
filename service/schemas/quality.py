"""Bio-bin quality (issue 25): weekly contamination, findings, disputes, donated frames, flagged events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from zerowaste.wire import BinQuality, Contaminant, printable

# A text a person typed in: without control characters (PostgreSQL takes no NUL in a text; a
# direction override would turn what staff read around), as stored and shown.
Typed = Annotated[str, AfterValidator(printable)]

DisputeStatus = Literal["open", "upheld", "dismissed"]


class WeekQualityPublic(BaseModel):
    assessed: int = Field(description="deposits and emptyings with a camera result")
    contaminated: int
    rate: float | None = Field(description="contaminated / assessed (0..1); null without assessed events")


class DisputePublic(BaseModel):
    id: int
    device: str
    event_id: str
    status: DisputeStatus = Field(description="open; upheld: staff found it clean; dismissed: it was contaminated")
    reason: str
    created_at: str
    in_labelling_queue: bool = Field(description="the donated frame is a photo of the staff labelling queue")
    labelling_queue: str | None = None
    label_photo_id: int | None = None
    not_queued_because: str | None = Field(
        default=None, description="why the event is not in the labelling queue (no donated frame)"
    )
    resolved_at: str | None = None
    note: str | None = None


class FindingPublic(BaseModel):
    """One flagged event on the household's page."""

    device: str
    event_id: str
    measured_at: str
    day: str = Field(description="the day in the municipality's time zone")
    stream: str
    kinds: list[Contaminant] = Field(description="what was found, most confident first")
    text: str = Field(examples=["Plastiktüte erkannt, 12. Nov."])
    counted_as_contaminated: bool = Field(description="false once staff upheld a dispute")
    photo_donated: bool
    dispute: DisputePublic | None = None


class HouseholdQuality(BaseModel):
    last_week: WeekQualityPublic | None = Field(description="the last complete week with assessed events")
    clean_weeks: int = Field(description="complete weeks with assessed events and none contaminated")
    findings: list[FindingPublic]


class DisputeIn(BaseModel):
    device: str = Field(max_length=64)
    event_id: str = Field(max_length=64)
    reason: Typed = Field(default="", max_length=500, description="what the household says was in the bin")


class DonatedPhotoReceipt(BaseModel):
    event_id: str
    status: Literal["stored", "unchanged"] = Field(description="unchanged: this event's frame was stored before")
    queued: bool = Field(description="this request put the frame into the labelling queue (the event is disputed)")


class FlaggedEvent(BaseModel):
    device: str
    event_id: str
    household: str
    neighbourhood: str
    bin: str
    stream: str
    kind: str
    measured_at: str
    contaminated: bool = Field(description="what counts now: the device's verdict, or staff's after a dispute")
    quality: BinQuality
    photo_url: str | None = Field(description="the donated frame (staff key), where the household donated it")
    dispute: DisputePublic | None = None


class DisputeResolution(BaseModel):
    verdict: Literal["clean", "contaminated"] = Field(
        description="clean: the dispute is upheld and the event no longer counts as contaminated"
    )
    note: Typed = Field(default="", max_length=500)


class NeighbourhoodWeekQuality(BaseModel):
    week: str
    rate: float
    assessed: int
    households: int


class NeighbourhoodQuality(BaseModel):
    neighbourhood: str
    name: str
    weeks: list[NeighbourhoodWeekQuality] = Field(
        description="only weeks where at least ZEROWASTE_MIN_GROUP_SIZE households had assessed events"
    )
