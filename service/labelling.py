"""The staff labelling queue: folders of unlabelled photos, two independent passes, resolution, export.

A folder is imported into a named queue; the model orders it (`model/uncertainty.py`: what a label
teaches most comes first). People label in passes, and the rules hold here, for the HTTP API and the
CLI alike:

- pass 1 comes first; pass 2 only on a photo with a pass-1 vote, and by someone else;
- nobody is shown another's vote before giving their own: batches of passes 1 and 2 carry no votes,
  no file name and no model guess, nothing that could anchor the label;
- pass 3 resolves a disagreement of passes 1 and 2, by a third person who does see both votes;
- votes are final: the same vote sent again changes nothing, a different one is refused.

A photo's final label is the agreed one, or the resolver's; only those are exported, as a labels file
(`datasets/labels.py`). Errors here are this module's own; the HTTP layer maps them to status codes.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PIL import Image
from sqlalchemy import Select, and_, case, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from tqdm import tqdm

from zerowaste.datasets.labels import LabelSet, PhotoLabel, Vote, allowed_labels, is_allowed, write_labels
from zerowaste.datasets.manifest import sha256_file
from zerowaste.model.image_io import ImageRejected, load_image
from zerowaste.model.runtime import Classifier
from zerowaste.model.uncertainty import signals
from zerowaste.service.db.models import LabelClaim, LabelPhoto, LabelVote
from zerowaste.service.photos import PhotoStore

log = logging.getLogger(__name__)

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
    {"format", "name", "version", "counts", "photos", "queue", "description", "allowed_labels", "agreement"}
)
DESCRIPTION = (
    "Labelled in the zerowaste staff labelling queue: two independent passes per photo by different labellers "
    "(different staff keys or --labeller names; the queue cannot tell whether they are different people); "
    "photos where they disagreed were decided by a third labeller who saw both votes. 'glass': glass of a "
    "colour nobody could tell; 'mixed' and 'other': looked at, not usable for a single-label model."
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


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(t: dt.datetime) -> dt.datetime:
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


def _require_queue(session: Session, queue: str) -> None:
    check_queue_name(queue)
    if session.scalars(select(LabelPhoto.id).where(LabelPhoto.queue == queue).limit(1)).first() is None:
        raise UnknownQueue(f"no labelling queue {queue!r}; import a folder into it first (zerowaste labels import)")


# --- import -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    path: str
    reason: str


@dataclass
class ImportResult:
    queue: str
    files: int = 0
    added: int = 0
    already: int = 0  # in the queue before this import
    duplicates: int = 0  # the same bytes as another file of this import
    problems: list[ImportProblem] = field(default_factory=list)
    model_sha256: str = ""


@dataclass(frozen=True)
class _Decoded:
    path: Path
    name: str
    sha256: str
    image: Image.Image  # already at display size: a batch of 12-megapixel photos would hold a gigabyte


def _for_display(image: Image.Image) -> Image.Image:
    if max(image.size) <= DISPLAY_MAX_SIDE:
        return image
    small = image.copy()
    small.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
    return small


def _finite(value: Any) -> Any:
    # JSON on PostgreSQL refuses NaN and infinities; a signal the model could not give is "unknown".
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _add(
    session: Session, store: PhotoStore, classifier: Classifier, queue: str, batch: list[_Decoded], known: set[str]
) -> int:
    """Score, store and insert one batch; returns how many photos it added."""
    scored = signals(classifier.predict_images([d.image for d in batch]), classifier.spec)
    created = now()
    for attempt in range(2):
        todo = [(d, s) for d, s in zip(batch, scored, strict=True) if d.sha256 not in known]
        keys: list[str] = []
        try:
            for d, s in todo:
                priority = float(s.priority)
                if not math.isfinite(priority):
                    log.warning("model gave %s no finite priority (%r); it is queued last", d.name, s.priority)
                    priority = -1.0
                keys.append(store.put(d.image))
                session.add(
                    LabelPhoto(
                        queue=queue,
                        sha256=d.sha256,
                        photo_key=keys[-1],
                        file_name=d.name[:500],
                        priority=priority,
                        signals={k: _finite(v) for k, v in s.to_dict().items()},
                        model_sha256=classifier.sha256,
                        created_at=created,
                    )
                )
            session.commit()
            known.update(d.sha256 for d, _ in todo)
            return len(todo)
        except IntegrityError:
            # Another import of the same photos committed first: keep theirs, add only what is still missing.
            session.rollback()
            for key in keys:
                store.delete(key)
            if attempt:
                raise
            known.update(session.scalars(select(LabelPhoto.sha256).where(LabelPhoto.queue == queue)))
        except BaseException:
            session.rollback()
            for key in keys:
                store.delete(key)
            raise
    return 0


def import_folder(
    session: Session,
    store: PhotoStore,
    classifier: Classifier,
    folder: str | Path,
    queue: str,
    *,
    batch_size: int = 32,
    progress: bool = True,
) -> ImportResult:
    """Add every photo of `folder` (and its sub-folders) to `queue` that is not in it yet.

    A file that cannot be read or decoded is listed in `problems` (the caller reports them) and skipped.
    Each batch is committed on its own, so an interrupted import keeps what it did and a second run adds
    only the rest.
    """
    check_queue_name(queue)
    if batch_size < 1:
        raise InvalidRequest("batch size must be at least 1")
    root = Path(folder)
    if not root.is_dir():
        raise InvalidRequest(f"{root} is not a folder")
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    before = set(session.scalars(select(LabelPhoto.sha256).where(LabelPhoto.queue == queue)))
    known = set(before)
    result = ImportResult(queue=queue, files=len(files), model_sha256=classifier.sha256)
    seen: set[str] = set()
    batch: list[_Decoded] = []
    for path in tqdm(files, desc=f"import {queue}", unit="photo", disable=not progress):
        name = path.relative_to(root).as_posix()
        try:
            sha = sha256_file(path)
        except OSError as exc:
            result.problems.append(ImportProblem(name, f"cannot be read: {exc}"))
            continue
        if sha in before:
            result.already += 1
            continue
        if sha in seen:
            result.duplicates += 1
            continue
        try:
            # The model sees the display copy too; it scales every photo far smaller than 1600 px anyway.
            image = _for_display(load_image(path))
        except (ImageRejected, OSError) as exc:
            result.problems.append(ImportProblem(name, str(exc)))
            continue
        seen.add(sha)
        batch.append(_Decoded(path, name, sha, image))
        if len(batch) >= batch_size:
            result.added += _add(session, store, classifier, queue, batch, known)
            batch = []
    if batch:
        result.added += _add(session, store, classifier, queue, batch, known)
    return result


# --- progress -----------------------------------------------------------------------------------------


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


def _votes_joined(*columns: Any) -> tuple[Select[Any], Any, Any, Any]:
    """`columns` from label_photo, each photo joined with its votes of passes 1, 2 and 3 (or NULLs)."""
    v1, v2, v3 = (aliased(LabelVote, name=f"v{n}") for n in PASSES)
    q = select(*columns)
    for n, v in zip(PASSES, (v1, v2, v3), strict=True):
        q = q.outerjoin(v, and_(v.photo_id == LabelPhoto.id, v.pass_no == n))
    return q, v1, v2, v3


def list_queues(session: Session, queue: str | None = None) -> list[QueueProgress]:
    """Every queue's progress in one query (or one queue's)."""
    base = [LabelPhoto.queue, func.count(LabelPhoto.id)]
    q, v1, v2, v3 = _votes_joined(*base)
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
    _require_queue(session, queue)
    check_pass(pass_no)
    if not 1 <= limit <= MAX_BATCH:
        raise InvalidRequest(f"limit must be between 1 and {MAX_BATCH}")
    at = at or now()
    q, v1, v2, v3 = _votes_joined(LabelPhoto.id, LabelPhoto.priority)
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


# --- votes --------------------------------------------------------------------------------------------


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
    """Whether `labeller` may give `ballot`, given the photo's votes so far (None: not in the queue)."""
    if not is_allowed(ballot.label):
        return "rejected", f"unknown label {ballot.label!r}; allowed: {', '.join(allowed_labels())}"
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
    ones) and save those allowed, in one transaction. One result per ballot, in the same order."""
    _require_queue(session, queue)
    if not labeller.strip() or len(labeller) > 100:
        raise InvalidRequest("a labeller needs a name of 1 to 100 characters")
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


# --- report and export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    progress: QueueProgress
    compared: int  # photos with both passes
    agreement: float | None
    kappa: float | None
    confusion: dict[tuple[str, str], int]  # (pass-1 label, pass-2 label) -> photos
    final_counts: dict[str, int]
    labellers: dict[str, dict[int, int]]  # labeller -> pass -> votes


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters over the same items: agreement beyond what their label frequencies
    alone would give. None when it is undefined (no items, or both used one label throughout)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in first) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def report(session: Session, queue: str) -> Report:
    progress = queue_progress(session, queue)
    q, v1, v2, v3 = _votes_joined(LabelPhoto.id)
    q = q.add_columns(v1.label, v2.label, v3.label).where(
        LabelPhoto.queue == queue, v1.id.is_not(None), v2.id.is_not(None)
    )
    pairs: list[tuple[str, str]] = []
    final: Counter[str] = Counter()
    for _pid, first, second, third in session.execute(q):
        pairs.append((first, second))
        if first == second:
            final[first] += 1
        elif third is not None:
            final[third] += 1
    labellers: dict[str, dict[int, int]] = {}
    for name, pass_no, n in session.execute(
        select(LabelVote.labeller, LabelVote.pass_no, func.count(LabelVote.id))
        .join(LabelPhoto, LabelPhoto.id == LabelVote.photo_id)
        .where(LabelPhoto.queue == queue)
        .group_by(LabelVote.labeller, LabelVote.pass_no)
    ):
        labellers.setdefault(name, {})[int(pass_no)] = int(n)
    return Report(
        progress=progress,
        compared=len(pairs),
        agreement=sum(a == b for a, b in pairs) / len(pairs) if pairs else None,
        kappa=cohen_kappa(pairs),
        confusion=dict(sorted(Counter(pairs).items())),
        final_counts=dict(sorted(final.items())),
        labellers=dict(sorted(labellers.items())),
    )


def _stamp(t: dt.datetime) -> str:
    return _utc(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def final_labels(session: Session, queue: str) -> list[PhotoLabel]:
    """Every photo of `queue` with a final label: both passes agreed, or a resolver decided."""
    _require_queue(session, queue)
    rows = session.execute(
        select(LabelPhoto.id, LabelPhoto.sha256, LabelVote)
        .join(LabelVote, LabelVote.photo_id == LabelPhoto.id)
        .where(LabelPhoto.queue == queue)
        .order_by(LabelPhoto.id, LabelVote.pass_no)
    )
    votes: dict[int, tuple[str, dict[int, LabelVote]]] = {}
    for pid, sha, vote in rows:
        votes.setdefault(pid, (sha, {}))[1][vote.pass_no] = vote
    out = []
    for sha, by_pass in votes.values():
        first, second, third = (by_pass.get(n) for n in PASSES)
        if first is None or second is None:
            continue
        if first.label == second.label:
            label, status = first.label, "agreed"
        elif third is not None:
            label, status = third.label, "resolved"
        else:
            continue
        cast = tuple(Vote(v.labeller, v.label, v.pass_no, _stamp(v.at)) for v in by_pass.values())
        out.append(PhotoLabel(sha256=sha, label=label, status=status, votes=cast))
    return out


def parse_meta(items: Iterable[str]) -> dict[str, str]:
    """`key=value` strings (from --meta or the export's query) -> header entries."""
    meta: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidRequest(f"meta takes key=value, got {item!r}")
        meta[key] = value.strip()
    return meta


def export_labels(
    session: Session, queue: str, path: str | Path, *, version: str, meta: dict[str, Any] | None = None
) -> LabelSet:
    """Write the queue's final labels as a labels file (the queue's name is the label set's name).

    The header records the queue, what the labels mean, the agreement of the two passes, and `meta`
    (give the photos' origin and licence there)."""
    if not re.fullmatch(VERSION_PATTERN, version):
        raise InvalidRequest(f"version {version!r}: letters, digits, '.', '_', '+' and '-', at most 40")
    meta = dict(meta or {})
    clash = sorted(RESERVED_META & set(meta))
    if clash:
        raise InvalidRequest(f"meta may not set {', '.join(clash)}: the labels file sets them itself")
    r = report(session, queue)
    header: dict[str, Any] = {
        "queue": queue,
        "description": DESCRIPTION,
        "allowed_labels": list(allowed_labels()),
        "agreement": {
            "photos_compared": r.compared,
            "rate": None if r.agreement is None else round(r.agreement, 4),
            "cohen_kappa": None if r.kappa is None else round(r.kappa, 4),
            "resolved": r.progress.resolved,
            "open": r.progress.open,
        },
        **meta,
    }
    return write_labels(path, queue, version, final_labels(session, queue), header)


def export_text(session: Session, queue: str, *, version: str, meta: dict[str, Any] | None = None) -> str:
    """The text `export_labels` writes (what the HTTP export answers)."""
    with tempfile.TemporaryDirectory(prefix="zerowaste-labels-") as tmp:
        path = Path(tmp) / f"{queue}.jsonl"
        export_labels(session, queue, path, version=version, meta=meta)
        return path.read_text(encoding="utf-8")


__all__ = [
    "Ballot",
    "BallotResult",
    "BatchPhoto",
    "ImportProblem",
    "ImportResult",
    "InvalidRequest",
    "LabellingError",
    "QueueProgress",
    "Report",
    "UnknownPhoto",
    "UnknownQueue",
    "cohen_kappa",
    "export_labels",
    "export_text",
    "final_labels",
    "import_folder",
    "list_queues",
    "next_batch",
    "parse_meta",
    "photo_ids",
    "photo_key",
    "queue_progress",
    "report",
    "submit_votes",
]
