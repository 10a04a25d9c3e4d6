"""The staff labelling queue: batches, votes, progress, the report."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from zerowaste.datasets.label_sets import LABEL_SETS

# Which labels a vote may carry depends on its queue's label set, which the body cannot know: the
# queue checks them (service/labelling/votes.py), and answers an unknown one with the same 422 as this.
Label = Annotated[str, Field(min_length=1, max_length=64, examples=["metal", "plastic_bag"])]
LabelSetName = Annotated[
    str, Field(examples=list(LABEL_SETS), description="the queue's label set: " + ", ".join(LABEL_SETS))
]
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
    # The set's name only: its labels (the report lists them) would put label words into passes 1 and 2.
    label_set: LabelSetName
    progress: QueueProgressPublic
    photos: list[LabelBatchPhoto] = Field(description="highest priority first; held for this labeller a while")


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    photo_id: int = Field(ge=1, le=2**31 - 1)
    pass_: PassNo = Field(alias="pass", description="1 and 2: independent labels; 3: resolves a disagreement")
    label: Label = Field(description="one of the queue's label set's labels (its report lists them)")


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
    label_set: LabelSetName
    allowed_labels: list[str]
    compared: int = Field(description="photos with both passes")
    agreement: float | None = Field(description="share of compared photos where passes 1 and 2 agree")
    kappa: float | None = Field(description="Cohen's kappa between pass 1 and pass 2 (null where undefined)")
    confusion: list[ConfusionCell] = Field(description="pass-1 label x pass-2 label, photos per pair")
    final_counts: dict[str, int] = Field(description="photos per final label (agreed or resolved)")
    labellers: list[LabellerVotes]
