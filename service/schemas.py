"""Request and response models of the HTTP API (pydantic); table rows never leave without one."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zerowaste.service import examples

Lang = Literal["de", "en"]


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
    distance_km: float | None = Field(description="only where both positions are known")
    open_now: bool | None = Field(description="null where no machine-readable schedule is published")
    schedule: str
    source: str


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
    decided: bool = Field(description="false: the model is unsure and asks which candidate it is")
    clarify: str | None = Field(default=None, description="the question to ask when not decided")
    guidance: list[Guidance] = Field(description="one entry when decided, one per candidate otherwise")
    offers: list[OfferPublic] = Field(description="reuse, repair and lending first: shown before the bin")


class AbcHit(BaseModel):
    key: str
    name: str
    matched: str = Field(description="the name or synonym that matched")
    score: float
    stream: StreamPublic
    categories: list[str]
    note: str | None = None


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
    receipt: str | None = Field(default=None, description="keep it: DELETE /v1/feedback/photo/{receipt} removes "
                                                           "the donated photo again. Shown only once.")


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
    categories: list[str] = Field(min_length=1)
    schedule_text_de: str = ""
    schedule_text_en: str = ""
    source: str = Field(min_length=4, description="where the facts come from (URL)")


class OfferPatch(BaseModel):
    name: str | None = Field(default=None, min_length=2, max_length=300)
    address: str | None = Field(default=None, max_length=300)
    district: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    categories: list[str] | None = None
    schedule_text_de: str | None = None
    schedule_text_en: str | None = None
    source: str | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _no_null_where_the_column_needs_a_value(self) -> OfferPatch:
        # Absent means "leave it"; an explicit null may only clear district and coordinates.
        nullable = {"district", "lat", "lon"}
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
