"""A queue's progress and the batches people label."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from zerowaste.service.db.models import LabelClaim, LabelPhoto, LabelVote
from zerowaste.service.labelling.common import (
    CLAIM_S,
    MAX_BATCH,
    PASSES,
    InvalidRequest,
    UnknownPhoto,
    UnknownQueue,
    check_pass,
    check_queue_name,
    now,
    require_queue,
)


@dataclass(frozen=True)
class QueueProgress:
    queue: str
    total: int
    pass1: int  # photos with a pass-1 vote
    pass2: int
    agreed: int
    open: int  # passes 1 and 2 disagree, no resolution yet
    resolved: int

    @property
    def labelled(self) -> int:
        """Photos with a final label (what an export holds)."""
        return self.agreed + self.resolved


def votes_joined(*columns: Any) -> tuple[Select[Any], Any, Any, Any]:
    """`columns` from label_photo, each photo joined with its votes of passes 1, 2 and 3 (or NULLs)."""
    v1, v2, v3 = (aliased(LabelVote, name=f"v{n}") for n in PASSES)
    q = select(*columns)
    for n, v in zip(PASSES, (v1, v2, v3), strict=True):
        q = q.outerjoin(v, and_(v.photo_id == LabelPhoto.id, v.pass_no == n))
    return q, v1, v2, v3


def list_queues(session: Session, queue: str | None = None) -> list[QueueProgress]:
    """Every queue's progress in one query (or one queue's)."""
    base = [LabelPhoto.queue, func.count(LabelPhoto.id)]
    q, v1, v2, v3 = votes_joined(*base)
    q = q.add_columns(
        func.count(v1.id),
        func.count(v2.id),
        func.sum(case((v1.label == v2.label, 1), else_=0)),
        func.sum(case((and_(v1.label != v2.label, v3.id.is_(None)), 1), else_=0)),
        func.count(v3.id),
    )
    if queue is not None:
        q = q.where(LabelPhoto.queue == queue)
    rows = session.execute(q.group_by(LabelPhoto.queue).order_by(LabelPhoto.queue)).all()
    return [QueueProgress(r[0], *(int(x or 0) for x in r[1:])) for r in rows]


def queue_progress(session: Session, queue: str) -> QueueProgress:
    check_queue_name(queue)
    found = list_queues(session, queue)
    if not found:
        raise UnknownQueue(f"no labelling queue {queue!r}; import a folder into it first (zerowaste labels import)")
    return found[0]


# --- batches ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchPhoto:
    id: int
    priority: float
    votes: tuple[tuple[int, str], ...] = ()  # (pass, label): only in pass 3, the two votes to resolve


def next_batch(
    session: Session, queue: str, labeller: str, pass_no: int, limit: int = 24, *, at: dt.datetime | None = None
) -> list[BatchPhoto]:
    """The next photos `labeller` may label in `pass_no`, most useful first, and held for them a while.

    Never a photo they voted on, never one held for someone else; pass 3 only open disagreements, with
    both votes (never the voters' names: who said it must not weigh).
    """
    require_queue(session, queue)
    check_pass(pass_no)
    if not 1 <= limit <= MAX_BATCH:
        raise InvalidRequest(f"limit must be between 1 and {MAX_BATCH}")
    at = at or now()
    q, v1, v2, v3 = votes_joined(LabelPhoto.id, LabelPhoto.priority)
    q = q.add_columns(v1.label, v2.label).where(LabelPhoto.queue == queue)
    if pass_no == 1:
        q = q.where(v1.id.is_(None))
    elif pass_no == 2:
        q = q.where(v1.id.is_not(None), v2.id.is_(None), v1.labeller != labeller)
    else:
        q = q.where(
            v1.id.is_not(None),
            v2.id.is_not(None),
            v1.label != v2.label,
            v3.id.is_(None),
            v1.labeller != labeller,
            v2.labeller != labeller,
        )
    held = exists().where(
        LabelClaim.photo_id == LabelPhoto.id,
        LabelClaim.pass_no == pass_no,
        LabelClaim.labeller != labeller,
        LabelClaim.expires_at > at,
    )
    q = q.where(~held).order_by(LabelPhoto.priority.desc(), LabelPhoto.id).limit(limit)
    for attempt in range(3):
        rows = session.execute(q).all()
        ids = [r[0] for r in rows]
        session.execute(delete(LabelClaim).where(LabelClaim.expires_at <= at))
        if ids:
            session.execute(
                delete(LabelClaim).where(
                    LabelClaim.pass_no == pass_no, LabelClaim.photo_id.in_(ids), LabelClaim.labeller == labeller
                )
            )
            until = at + dt.timedelta(seconds=CLAIM_S)
            session.add_all(LabelClaim(photo_id=i, pass_no=pass_no, labeller=labeller, expires_at=until) for i in ids)
        try:
            session.commit()
        except IntegrityError:
            # Someone else's batch took some of these photos a moment ago: choose again without them.
            session.rollback()
            if attempt == 2:
                raise
            continue
        return [
            BatchPhoto(id=r[0], priority=float(r[1]), votes=((1, r[2]), (2, r[3])) if pass_no == 3 else ())
            for r in rows
        ]
    return []


def photo_key(session: Session, queue: str, photo_id: int) -> str:
    """The photo store key of a photo of `queue`."""
    check_queue_name(queue)
    key = session.scalars(
        select(LabelPhoto.photo_key).where(LabelPhoto.queue == queue, LabelPhoto.id == photo_id)
    ).first()
    if key is None:
        raise UnknownPhoto(f"no photo {photo_id} in labelling queue {queue!r}")
    return key


def photo_ids(session: Session, queue: str, sha256s: Iterable[str]) -> dict[str, int]:
    """sha256 -> photo id, for the photos of `queue` among `sha256s`."""
    wanted = sorted(set(sha256s))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(LabelPhoto.sha256, LabelPhoto.id).where(LabelPhoto.queue == queue, LabelPhoto.sha256.in_(chunk))
        )
        found.update((sha, pid) for sha, pid in rows)
    return found
