"""What the labelling modules share: names, limits, errors, checks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zerowaste.service.db.models import LabelPhoto

PASSES = (1, 2, 3)
QUEUE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"  # it names URLs and the exported file, datasets/labels/<queue>.jsonl
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}$"
MAX_BATCH = 200
# How long photos handed out in a batch stay with their labeller: a page of 24 takes a minute or two.
CLAIM_S = 600
# The stored copy is for people to look at; the labels join the original file by its sha256. Phone photos
# of 12 megapixels would make a page of 24 tiles 100 MB; 1600 px still shows a bottle's glass colour.
DISPLAY_MAX_SIDE = 1600
# The header keys write_labels sets itself; meta given for an export must not replace them.
# What the export computes itself: a --meta entry may not pass for it.
RESERVED_META = frozenset(
    {
        "format",
        "name",
        "version",
        "counts",
        "photos",
        "queue",
        "description",
        "label_set",
        "allowed_labels",
        "agreement",
    }
)
# The export's description: this, then what the queue's label set's labels mean (LabelSetSpec.meaning).
DESCRIPTION = (
    "Labelled in the zerowaste staff labelling queue: two independent passes per photo by different labellers "
    "(different staff keys or --labeller names; the queue cannot tell whether they are different people); "
    "photos where they disagreed were decided by a third labeller who saw both votes."
)

Status = Literal["saved", "unchanged", "rejected"]


class LabellingError(Exception):
    """Something the labelling queue cannot do; the message says why, for the person who asked."""


class InvalidRequest(LabellingError):
    """A bad queue name, version, meta key, pass or folder."""


class UnknownQueue(LabellingError):
    pass


class UnknownPhoto(LabellingError):
    pass


class UnknownLabel(InvalidRequest):
    """Votes with labels the queue's label set does not have; none of the request's votes is saved."""

    def __init__(self, queue: str, label_set: str, allowed: tuple[str, ...], found: list[tuple[int, str]]) -> None:
        self.queue, self.label_set, self.allowed, self.found = queue, label_set, allowed, found
        super().__init__("; ".join(self.message(label) for _, label in found))

    def message(self, label: str) -> str:
        allowed = ", ".join(self.allowed)
        return f"unknown label {label!r} in queue {self.queue!r} (label set {self.label_set}); allowed: {allowed}"


class LabelSetMismatch(LabellingError):
    """A queue asked for with another label set than the one it has."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(t: dt.datetime) -> dt.datetime:
    # SQLite hands stored UTC times back without a zone.
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def check_queue_name(queue: str) -> str:
    if not re.fullmatch(QUEUE_PATTERN, queue):
        raise InvalidRequest(f"queue name {queue!r}: lower-case letters, digits, '.', '_' and '-', at most 64")
    return queue


def check_pass(pass_no: int) -> int:
    if pass_no not in PASSES:
        raise InvalidRequest(f"pass must be 1, 2 or 3 (3 resolves a disagreement), not {pass_no!r}")
    return pass_no


def require_queue(session: Session, queue: str) -> None:
    check_queue_name(queue)
    if session.scalars(select(LabelPhoto.id).where(LabelPhoto.queue == queue).limit(1)).first() is None:
        raise UnknownQueue(f"no labelling queue {queue!r}; import a folder into it first (zerowaste labels import)")
