"""Request and response models of the HTTP API (pydantic); table rows never leave without one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from zerowaste.datasets.labels import allowed_labels, is_allowed
from zerowaste.model.items import item_map
from zerowaste.service import examples

Lang = Literal["de", "en"]


def _known_category(key: str) -> str:
    known = item_map().categories
    if key not in known:
        raise ValueError(f"unknown category {key!r}; known: {', '.join(sorted(known))}")
    return key


Category = Annotated[str, AfterValidator(_known_category)]


class LabelProbability(BaseModel):
    label: str = Field(examples=["battery"])
    name: str = Field(examples=["Batterie"])
    probability: float = Field(ge=0, le=1, examples=[0.93])


class StreamPublic(BaseModel):
    key: str = Field(examples=["batterien"])
    name: str = Field(examples=["Batterien und Akkus"])
    where: str
    instructions: str
    not_allowed: list[str]
    source: str


class Question(BaseModel):
    text: str = Field(examples=["Ist es eine Verpackung (z. B. Dose, Deckel, Alufolie)?"])
    answers: dict[str, StreamPublic] = Field(description="stream for each answer, keyed 'yes' / 'no'")


class Guidance(BaseModel):
    label: str
    stream: StreamPublic
    container: str | None = Field(default=None, description="which glass container", examples=["Braunglas"])
    question: Question | None = Field(default=None, description="a follow-up that can change the stream")


class ItemPublic(BaseModel):
    key: str = Field(description="Abfall-ABC key of the item", examples=["toaster"])
    imagenet: str = Field(description="the item head's class that names it", examples=["toaster"])
    name: str = Field(examples=["Toaster"])
    category: str | None = Field(
        description="what reuse offers accept; null: no second life", examples=["small-electrical"]
    )
    display: str = Field(description="name with category, ready to show", examples=["Toaster (Elektrokleingerät)"])
    probability: float = Field(ge=0, le=1, description="summed over every item-head class naming this item")
    stream: StreamPublic = Field(description="where the item goes under the municipality's Abfall-ABC")
    note: str | None = None
    agrees: bool = Field(description="false: the item's stream is not one the material allows; the answer asks")


class ItemCategoryPublic(BaseModel):
    key: Category = Field(description="what reuse offers accept", examples=["small-electrical"])
    name: str = Field(examples=["Elektrokleingerät"])
    probability: float = Field(ge=0, le=1, description="summed over every item-head class of this category")
    stream: StreamPublic | None = Field(
        description="where anything of this category goes; null: the category does not decide it (kitchenware)"
    )
    agrees: bool = Field(description="false: the category's stream is not one the material allows; the answer asks")


class OfferPublic(BaseModel):
    key: str
    name: str
    kind: str = Field(examples=["repair"])
    address: str
    district: str | None
    lat: float | None
    lon: float | None
    categories: list[str]
    matches: list[str] = Field(description="the item's categories this offer accepts")
    for_item: bool = Field(default=False, description="it takes the recognised household item, not only the material")
    distance_km: float | None = Field(description="only where both positions are known")
    open_now: bool | None = Field(description="null where no machine-readable schedule is published")
    schedule: str
    source: str
    checked_on: dt.date | None = Field(default=None, description="when someone last checked the offer")
    information_as_of: int | None = Field(
        default=None, description="the year the source's facts are from, where older than the check"
    )


class ModelInfo(BaseModel):
    sha256: str
    taxonomy_version: str
    precision: str


class ClassifyResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CLASSIFY]})

    id: str = Field(description="classification id, for feedback")
    lang: Lang
    model: ModelInfo
    top: list[LabelProbability]
    item: ItemPublic | None = Field(
        default=None,
        description="the household item, when the item head is sure enough and the item is one households discard",
    )
    item_category: ItemCategoryPublic | None = Field(
        default=None,
        description="the item's category; without a sure item, the category alone when that is sure "
        "(a phone photo the head spreads over phone, MP3 player and remote control is a small electrical device)",
    )
    decided: bool = Field(description="false: the model is unsure, or item and material disagree, and it asks")
    clarify: str | None = Field(default=None, description="the question to ask when not decided")
    guidance: list[Guidance] = Field(description="one entry when decided, one per candidate otherwise")
    offers: list[OfferPublic] = Field(
        description="reuse, repair and lending first: shown before the bin; "
        "offers for the item before those for the material"
    )
    location_note: str | None = Field(
        default=None, description="why the position sent was not used (outside the municipality)"
    )


class AbcHit(BaseModel):
    kind: Literal["item", "stream"] = Field(
        default="item", description="an Abfall-ABC entry, or a whole stream (Sperrmüll, Altglas) named by the query"
    )
    key: str = Field(description="the entry's key, or the stream's")
    name: str
    matched: str = Field(description="the name or synonym that matched")
    score: float
    stream: StreamPublic
    categories: list[str]
    note: str | None = None
    offers: list[OfferPublic] = Field(
        default=[], description="reuse, repair and lending offers for the entry, as a photo of it would get"
    )


class SearchResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.SEARCH]})

    query: str
    lang: Lang
    results: list[AbcHit]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    database: str
    model_sha256: str
    municipality: str


class FeedbackReceipt(BaseModel):
    id: str
    photo_stored: bool
    receipt: str | None = Field(
        default=None,
        description="keep it: DELETE /v1/feedback/photo/{receipt} removes the donated photo again. Shown only once.",
    )


class FeedbackPublic(BaseModel):
    id: str
    created_at: str
    classification_id: str
    predicted: str
    correct: bool
    label: str | None
    comment: str | None
    has_photo: bool
    review_status: str
    reviewed_label: str | None


class Review(BaseModel):
    action: Literal["accept", "relabel", "reject"]
    label: str | None = Field(default=None, description="required for relabel: a model class")


class OfferIn(BaseModel):
    key: str = Field(pattern=r"^[a-z0-9-]{2,100}$")
    name: str = Field(min_length=2, max_length=300)
    kind: Literal["repair", "second-hand", "lending", "book-shelf", "food-sharing", "give-away"]
    address: str = Field(max_length=300)
    district: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    categories: list[Category] = Field(min_length=1)
    schedule_text_de: str = ""
    schedule_text_en: str = ""
    source: str = Field(min_length=4, description="where the facts come from (URL)")


class OffersResponse(BaseModel):
    offers: list[OfferPublic]
    location_note: str | None = Field(
        default=None, description="why the position sent was not used (outside the municipality)"
    )


class OfferDue(BaseModel):
    key: str
    name: str
    kind: str
    checked_on: dt.date | None
    information_as_of: int | None
    ends_on: dt.date | None
    active: bool
    reasons: list[str] = Field(description="why it is due: its check is old, its facts are, or its event is over")


class OfferPatch(BaseModel):
    name: str | None = Field(default=None, min_length=2, max_length=300)
    address: str | None = Field(default=None, max_length=300)
    district: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    categories: list[Category] | None = None
    schedule_text_de: str | None = None
    schedule_text_en: str | None = None
    source: str | None = None
    active: bool | None = None
    information_as_of: int | None = Field(default=None, ge=1990, le=2100)
    ends_on: dt.date | None = None

    @model_validator(mode="after")
    def _no_null_where_the_column_needs_a_value(self) -> OfferPatch:
        # Absent means "leave it"; an explicit null may only clear district, coordinates and dates.
        nullable = {"district", "lat", "lon", "information_as_of", "ends_on"}
        for name in self.model_fields_set - nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ItemStreamPatch(BaseModel):
    stream: str = Field(description="key of an existing stream")


class StreamPatch(BaseModel):
    where_de: str | None = Field(default=None, min_length=2, max_length=500)
    where_en: str | None = Field(default=None, min_length=2, max_length=500)
    instructions_de: str | None = Field(default=None, min_length=2, max_length=2000)
    instructions_en: str | None = Field(default=None, min_length=2, max_length=2000)
    source: str | None = Field(default=None, min_length=4)


# --- weighing bins: devices, households, bins, uploads, household figures -------------------------

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


# --- model registry -------------------------------------------------------------------------------

Channel = Literal["stable", "canary"]


class ModelVersionPublic(BaseModel):
    id: int
    sha256: str
    size: int
    precision: str
    taxonomy_version: str
    status: Literal["validating", "accepted", "refused"]
    progress: float = Field(description="share of the gate's scoring done (0-1)")
    uploaded_by: str
    uploaded_at: str
    note: str
    signed: bool
    channels: list[str] = Field(description="channels this model is current on")
    reasons: list[str] = Field(description="why the gate refused it (empty when accepted)")
    report: dict[str, Any] | None = Field(default=None, description="the gate's full report (detail view only)")
    metrics: dict[str, Any] | None = Field(default=None, description="test metrics the file carries (detail view)")


class ChannelChange(BaseModel):
    reason: str = Field(min_length=3, max_length=500, description="why; kept in the audit log")


class Promotion(ChannelChange):
    channel: Channel


class ChannelPublic(BaseModel):
    channel: str
    model_id: int | None
    sha256: str | None
    since: str | None
    by: str | None
    reason: str | None
    can_roll_back: bool


class AuditEntry(BaseModel):
    at: str
    actor: str
    action: str
    model_id: int | None
    channel: str | None
    reason: str
    detail: dict[str, Any]


class DeviceChannel(BaseModel):
    channel: Channel


class SigningKey(BaseModel):
    key_id: str
    public_key: str = Field(description="raw Ed25519 public key, base64; give it to devices out of band")


# --- staff labelling queue ------------------------------------------------------------------------


def _allowed_label(label: str) -> str:
    if not is_allowed(label):
        raise ValueError(f"unknown label {label!r}; allowed: {', '.join(allowed_labels())}")
    return label


AllowedLabel = Annotated[str, Field(max_length=64, examples=["metal"]), AfterValidator(_allowed_label)]
PassNo = Literal[1, 2, 3]


class QueueProgressPublic(BaseModel):
    queue: str = Field(examples=["drinks"])
    total: int = Field(description="photos in the queue")
    pass1_done: int = Field(description="photos with a pass-1 vote")
    pass2_done: int = Field(description="photos with a pass-2 vote")
    agreed: int = Field(description="passes 1 and 2 gave the same label")
    disagreements_open: int = Field(description="passes 1 and 2 disagree and nobody resolved it yet (pass 3)")
    resolved: int = Field(description="disagreements a third person decided")
    labelled: int = Field(description="photos with a final label (agreed or resolved): what an export holds")


class ShownVote(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    pass_: PassNo = Field(alias="pass")
    label: str


class LabelBatchPhoto(BaseModel):
    id: int
    priority: float = Field(description="higher: the model expects to learn more from its label")
    url: str = Field(description="the photo (JPEG), with the same staff key")
    votes: list[ShownVote] = Field(
        default_factory=list,
        description="pass 3 only: the two votes to resolve; empty in passes 1 and 2, "
        "so that nobody sees another's label before giving their own",
    )


class LabelBatch(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    queue: str
    pass_: int = Field(alias="pass", ge=1, le=3)
    labeller: str = Field(description="the staff key's name: votes are recorded under it")
    progress: QueueProgressPublic
    photos: list[LabelBatchPhoto] = Field(description="highest priority first; held for this labeller a while")


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    photo_id: int = Field(ge=1, le=2**31 - 1)
    pass_: PassNo = Field(alias="pass", description="1 and 2: independent labels; 3: resolves a disagreement")
    label: AllowedLabel


class VoteResult(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    photo_id: int
    pass_: int = Field(alias="pass")
    label: str
    status: Literal["saved", "unchanged", "rejected"] = Field(
        description="unchanged: the same vote was saved before; rejected: see detail, nothing was saved"
    )
    detail: str | None = None


class VotesAnswer(BaseModel):
    saved: int
    unchanged: int
    rejected: int
    results: list[VoteResult] = Field(description="one per vote sent, in the same order")
    progress: QueueProgressPublic


class ConfusionCell(BaseModel):
    pass1: str
    pass2: str
    photos: int


class LabellerVotes(BaseModel):
    labeller: str
    pass1: int = 0
    pass2: int = 0
    pass3: int = 0


class LabellingReport(BaseModel):
    progress: QueueProgressPublic
    compared: int = Field(description="photos with both passes")
    agreement: float | None = Field(description="share of compared photos where passes 1 and 2 agree")
    kappa: float | None = Field(description="Cohen's kappa between pass 1 and pass 2 (null where undefined)")
    confusion: list[ConfusionCell] = Field(description="pass-1 label x pass-2 label, photos per pair")
    final_counts: dict[str, int] = Field(description="photos per final label (agreed or resolved)")
    labellers: list[LabellerVotes]
