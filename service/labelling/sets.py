"""Each queue's label set (`datasets/label_sets.py`), kept in `label_queue`: asked for, and made once."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zerowaste.datasets.label_sets import CLASSIFIER, LabelSetSpec, UnknownLabelSet, get_label_set
from zerowaste.service.db.models import LabelQueue
from zerowaste.service.labelling.common import InvalidRequest, LabelSetMismatch, check_queue_name, now


def _spec(name: str) -> LabelSetSpec:
    try:
        return get_label_set(name)
    except UnknownLabelSet as exc:
        raise InvalidRequest(str(exc)) from None


def queue_label_set(session: Session, queue: str) -> LabelSetSpec:
    """The label set `queue`'s photos are labelled with."""
    row = session.get(LabelQueue, queue)
    # No row: a queue made before label sets (migration 0015 gave every one then a row, so only photos
    # inserted past ensure_queue lack one); the classifier's set was the only one there was.
    return CLASSIFIER if row is None else _spec(row.label_set)


def ensure_queue(session: Session, queue: str, label_set: str | None = None) -> LabelSetSpec:
    """`queue`'s label set, making the queue with `label_set` (default: the classifier's) if it is new.

    A queue keeps its set: asking for another one raises LabelSetMismatch, since votes given in one set
    mean nothing in the other. The row is inserted at once and race-free (two imports into a new queue);
    the caller commits it with the photos."""
    check_queue_name(queue)
    wanted = None if label_set is None else _spec(label_set)
    if session.get(LabelQueue, queue) is None:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        row = {"name": queue, "label_set": (wanted or CLASSIFIER).name, "created_at": now()}
        session.execute(insert(LabelQueue).values(row).on_conflict_do_nothing(index_elements=["name"]))
    have = queue_label_set(session, queue)
    if wanted is not None and have != wanted:
        raise LabelSetMismatch(
            f"labelling queue {queue!r} is labelled with the {have.name} label set, not {wanted.name}; "
            f"a queue keeps its set: use another queue name for {wanted.name} labels"
        )
    return have
