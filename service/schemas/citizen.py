"""What citizens and the staff who curate their answers send and get: classify, search, feedback, offers, streams."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

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
