"""Importing a folder of photos into a labelling queue."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tqdm import tqdm

from zerowaste.datasets.manifest import sha256_file
from zerowaste.model.image_io import ImageRejected, load_image
from zerowaste.model.runtime import Classifier
from zerowaste.model.uncertainty import signals
from zerowaste.service.db.models import LabelPhoto
from zerowaste.service.labelling.common import DISPLAY_MAX_SIDE, InvalidRequest, check_queue_name, now
from zerowaste.service.labelling.sets import ensure_queue
from zerowaste.service.photos import PhotoStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportProblem:
    path: str
    reason: str


@dataclass
class ImportResult:
    queue: str
    label_set: str = ""
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
    label_set: str | None = None,
) -> ImportResult:
    """Add every photo of `folder` (and its sub-folders) to `queue` that is not in it yet.

    A new queue is made with `label_set` (default: the classifier's); an existing one keeps its own, and
    naming another is refused (LabelSetMismatch) before anything is added.

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
    spec = ensure_queue(session, queue, label_set)
    # Committed on its own: a batch that meets another import's photos rolls back, and must not take
    # the queue's row with it.
    session.commit()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    before = set(session.scalars(select(LabelPhoto.sha256).where(LabelPhoto.queue == queue)))
    known = set(before)
    result = ImportResult(queue=queue, label_set=spec.name, files=len(files), model_sha256=classifier.sha256)
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
