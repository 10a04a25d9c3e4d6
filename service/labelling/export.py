"""The report of a queue (agreement, disagreements) and the export of its final labels."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zerowaste.datasets.label_sets import LabelSetSpec
from zerowaste.datasets.labels import LabelSet, PhotoLabel, Vote, write_labels
from zerowaste.service.db.models import LabelPhoto, LabelVote
from zerowaste.service.labelling.common import (
    DESCRIPTION,
    PASSES,
    RESERVED_META,
    VERSION_PATTERN,
    InvalidRequest,
    require_queue,
    utc,
)
from zerowaste.service.labelling.queue import (
    QueueProgress,
    queue_progress,
    votes_joined,
)
from zerowaste.service.labelling.sets import queue_label_set


@dataclass(frozen=True)
class Report:
    progress: QueueProgress
    label_set: LabelSetSpec
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
    q, v1, v2, v3 = votes_joined(LabelPhoto.id)
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
        label_set=queue_label_set(session, queue),
        compared=len(pairs),
        agreement=sum(a == b for a, b in pairs) / len(pairs) if pairs else None,
        kappa=cohen_kappa(pairs),
        confusion=dict(sorted(Counter(pairs).items())),
        final_counts=dict(sorted(final.items())),
        labellers=dict(sorted(labellers.items())),
    )


def _stamp(t: dt.datetime) -> str:
    return utc(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def final_labels(session: Session, queue: str) -> list[PhotoLabel]:
    """Every photo of `queue` with a final label: both passes agreed, or a resolver decided."""
    require_queue(session, queue)
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
    """Write the queue's final labels as a labels file (the queue's name is the file's name).

    The header records the queue, its label set and what the labels mean, the agreement of the two
    passes, and `meta` (give the photos' origin and licence there)."""
    if not re.fullmatch(VERSION_PATTERN, version):
        raise InvalidRequest(f"version {version!r}: letters, digits, '.', '_', '+' and '-', at most 40")
    meta = dict(meta or {})
    clash = sorted(RESERVED_META & set(meta))
    if clash:
        raise InvalidRequest(f"meta may not set {', '.join(clash)}: the labels file sets them itself")
    r = report(session, queue)
    header: dict[str, Any] = {
        "queue": queue,
        "description": f"{DESCRIPTION} {r.label_set.meaning}",
        "allowed_labels": list(r.label_set.allowed),
        "agreement": {
            "photos_compared": r.compared,
            "rate": None if r.agreement is None else round(r.agreement, 4),
            "cohen_kappa": None if r.kappa is None else round(r.kappa, 4),
            "resolved": r.progress.resolved,
            "open": r.progress.open,
        },
        **meta,
    }
    return write_labels(path, queue, version, final_labels(session, queue), header, label_set=r.label_set)


def export_text(session: Session, queue: str, *, version: str, meta: dict[str, Any] | None = None) -> str:
    """The text `export_labels` writes (what the HTTP export answers)."""
    with tempfile.TemporaryDirectory(prefix="zerowaste-labels-") as tmp:
        path = Path(tmp) / f"{queue}.jsonl"
        export_labels(session, queue, path, version=version, meta=meta)
        return path.read_text(encoding="utf-8")
