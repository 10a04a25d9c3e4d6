"""Votes: the passes' rules, judged per vote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zerowaste.service.db.models import LabelPhoto, LabelVote
from zerowaste.service.labelling.common import PASSES, InvalidRequest, Status, UnknownLabel, now, require_queue
from zerowaste.service.labelling.sets import queue_label_set


@dataclass(frozen=True)
class Ballot:
    photo_id: int
    pass_no: int
    label: str


@dataclass(frozen=True)
class BallotResult:
    photo_id: int
    pass_no: int
    label: str
    status: Status
    detail: str | None = None


@dataclass
class _Cast:
    label: str
    labeller: str


def _judge(ballot: Ballot, votes: dict[int, _Cast] | None, labeller: str, queue: str) -> tuple[Status, str | None]:
    """Whether `labeller` may give `ballot`, given the photo's votes so far (None: not in the queue).
    Its label is the queue's: submit_votes checked every label before judging any vote."""
    if ballot.pass_no not in PASSES:
        return "rejected", f"pass must be 1, 2 or 3, not {ballot.pass_no!r}"
    if votes is None:
        return "rejected", f"no photo {ballot.photo_id} in labelling queue {queue!r}"
    mine = votes.get(ballot.pass_no)
    if mine is not None:
        if mine.labeller != labeller:
            return "rejected", f"pass {ballot.pass_no} of photo {ballot.photo_id} was given by someone else already"
        if mine.label == ballot.label:
            return "unchanged", "this vote was saved before"
        return "rejected", f"you gave {mine.label!r} in pass {ballot.pass_no} already; votes are final"
    if ballot.pass_no == 2:
        first = votes.get(1)
        if first is None:
            return "rejected", f"photo {ballot.photo_id} has no pass-1 vote yet: pass 1 comes first"
        if first.labeller == labeller:
            return "rejected", "pass 2 must be given by someone other than pass 1's labeller: you gave pass 1"
    if ballot.pass_no == 3:
        first, second = votes.get(1), votes.get(2)
        if first is None or second is None:
            return "rejected", f"photo {ballot.photo_id} has not had both passes: pass 3 resolves their disagreement"
        if first.label == second.label:
            return "rejected", f"passes 1 and 2 agree on photo {ballot.photo_id}: there is nothing to resolve"
        if labeller in (first.labeller, second.labeller):
            return "rejected", "a disagreement is resolved by a third person: you gave one of its votes"
    return "saved", None


def submit_votes(
    session: Session, queue: str, labeller: str, ballots: Sequence[Ballot], *, at: dt.datetime | None = None
) -> list[BallotResult]:
    """Judge every ballot by the rules (in order: a pass-1 vote earlier in the list counts for later
    ones) and save those allowed, in one transaction. One result per ballot, in the same order.

    A label the queue's label set lacks is no vote to judge but a mistake in the request (a classifier
    label in a bio-bin queue, a typo): UnknownLabel names each, and nothing is saved."""
    require_queue(session, queue)
    if not labeller.strip() or len(labeller) > 100:
        raise InvalidRequest("a labeller needs a name of 1 to 100 characters")
    spec = queue_label_set(session, queue)
    unknown = [(i, b.label) for i, b in enumerate(ballots) if not spec.is_allowed(b.label)]
    if unknown:
        raise UnknownLabel(queue, spec.name, spec.allowed, unknown)
    at = at or now()
    ids = sorted({b.photo_id for b in ballots})
    for attempt in range(3):
        state: dict[int, dict[int, _Cast]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            state.update(
                {
                    pid: {}
                    for pid in session.scalars(
                        select(LabelPhoto.id).where(LabelPhoto.queue == queue, LabelPhoto.id.in_(chunk))
                    )
                }
            )
            for v in session.scalars(select(LabelVote).where(LabelVote.photo_id.in_(chunk))):
                if v.photo_id in state:
                    state[v.photo_id][v.pass_no] = _Cast(v.label, v.labeller)
        results = []
        for b in ballots:
            votes = state.get(b.photo_id)
            status, detail = _judge(b, votes, labeller, queue)
            if status == "saved" and votes is not None:
                votes[b.pass_no] = _Cast(b.label, labeller)
                session.add(LabelVote(photo_id=b.photo_id, pass_no=b.pass_no, label=b.label, labeller=labeller, at=at))
            results.append(BallotResult(b.photo_id, b.pass_no, b.label, status, detail))
        try:
            session.commit()
            return results
        except IntegrityError:
            # Someone gave one of these passes in the meantime: judge everything again against what is stored.
            session.rollback()
            if attempt == 2:
                raise
    return []
