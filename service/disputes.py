"""Flagged events, households' disputes and donated frames (issue 25).

A device sends a frame only where the household consented (`BinQuality.photo_donated`); the frame is
stored once per event (`weighing.photo_key`, re-encoded without EXIF by the photo store). A household
may dispute one of its flagged events: staff see every dispute beside the flagged events, and where the
event's frame was donated the frame becomes a photo of the staff labelling queue
(ZEROWASTE_QUALITY_QUEUE), at once or when the frame arrives later. Without a donated frame the dispute
cannot enter that queue (`not_queued_because` says so); staff decide it from the event's scores.

Staff resolve a dispute: `clean` upholds it and the event stops counting as contaminated in every
rate and clean week; `contaminated` dismisses it. The device's own result stays as it was sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Literal

from PIL import Image
from sqlalchemy import CursorResult, delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zerowaste.datasets.label_sets import CONTAMINATION
from zerowaste.service import schemas
from zerowaste.service.db.models import (
    Device,
    Feedback,
    Household,
    LabelPhoto,
    Neighbourhood,
    QualityDispute,
    Weighing,
)
from zerowaste.service.errors import Conflict, NotFound
from zerowaste.service.labelling import LabelSetMismatch, ensure_queue
from zerowaste.service.photos import PhotoStore
from zerowaste.service.weighings import utc
from zerowaste.wire import BinQuality

# Every dispute is worth a person's look; the queue holds nothing else, so they come in the order filed.
DISPUTE_PRIORITY = 1.0
NO_FRAME = "the household did not donate this frame (photo_donated is false): it stays on the device"
FRAME_PENDING = "the frame is donated but has not arrived yet; it joins the queue when the device sends it"


Frame = Literal["none", "pending", "stored"]  # an event's frame: not donated, donated but not here yet, stored


def dispute_public(d: QualityDispute, queue: str, frame: Frame = "none") -> schemas.DisputePublic:
    queued = d.label_photo_id is not None
    return schemas.DisputePublic(
        id=d.id,
        device=d.device_id,
        event_id=d.event_id,
        status=d.status,
        reason=d.reason,
        created_at=utc(d.created_at).isoformat(),
        in_labelling_queue=queued,
        labelling_queue=queue if queued else None,
        label_photo_id=d.label_photo_id,
        not_queued_because=None if queued else (FRAME_PENDING if frame == "pending" else NO_FRAME),
        resolved_at=utc(d.resolved_at).isoformat() if d.resolved_at else None,
        note=d.note,
    )


def frame_state(w: Weighing) -> Frame:
    if w.photo_key is not None:
        return "stored"
    return "pending" if w.quality and w.quality.get("photo_donated") else "none"


def _weighing(session: Session, device_id: str, event_id: str) -> Weighing | None:
    return session.get(Weighing, (device_id, event_id))


def _dispute_of(session: Session, w: Weighing) -> QualityDispute | None:
    return session.scalars(
        select(QualityDispute).where(QualityDispute.device_id == w.device_id, QualityDispute.event_id == w.event_id)
    ).first()


# --- donated frames -----------------------------------------------------------------------------------


def donation_target(session: Session, device: Device, event_id: str) -> Weighing:
    """The counted event of `device` a frame may be donated for (checked before the body is read)."""
    w = _weighing(session, device.id, event_id)
    if w is None:
        raise NotFound(f"no counted event {event_id!r} of this device: upload the event before its frame")
    if not (w.quality and w.quality.get("photo_donated") is True):
        raise Conflict(f"event {event_id!r} does not say photo_donated: true; its frame stays on the device")
    return w


def attach_photo(
    session: Session, photos: PhotoStore, w: Weighing, image: Image.Image, queue: str
) -> schemas.DonatedPhotoReceipt:
    """Store the event's frame once; a disputed event's frame goes into the labelling queue."""
    unchanged = schemas.DonatedPhotoReceipt(event_id=w.event_id, status="unchanged", queued=False)
    if w.photo_key is not None:
        return unchanged
    key = photos.put_shared(image)
    # Only where no other request stored a frame for the event since this one read it: the loser's
    # file would otherwise be named by nothing, never deleted, not even with the household.
    won = session.execute(
        update(Weighing)
        .where(Weighing.device_id == w.device_id, Weighing.event_id == w.event_id, Weighing.photo_key.is_(None))
        .values(photo_key=key)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(won, CursorResult) or won.rowcount != 1:
        session.rollback()
        delete_unreferenced(session, photos, [key])
        return unchanged
    session.expire(w, ["photo_key"])
    dispute = _dispute_of(session, w)
    if dispute is not None and dispute.label_photo_id is None:
        enqueue(session, photos, w, dispute, queue)
    session.commit()
    return schemas.DonatedPhotoReceipt(
        event_id=w.event_id, status="stored", queued=dispute is not None and dispute.label_photo_id is not None
    )


def enqueue(session: Session, photos: PhotoStore, w: Weighing, dispute: QualityDispute, queue: str) -> None:
    """The event's frame as a photo of the labelling queue (the same stored file). The caller commits.

    The queue is labelled with the contamination set (clean, or the contaminants seen): the classifier's
    waste classes cannot say what a bio-bin frame shows. The service made it so at start
    (`ensure_quality_queue`); a queue of another set raises LabelSetMismatch here rather than take it."""
    assert w.photo_key is not None
    ensure_queue(session, queue, CONTAMINATION.name)
    sha = hashlib.sha256(photos.get(w.photo_key)).hexdigest()
    photo_id = session.scalars(select(LabelPhoto.id).where(LabelPhoto.queue == queue, LabelPhoto.sha256 == sha)).first()
    if photo_id is None:
        quality = BinQuality.model_validate(w.quality)
        row = LabelPhoto(
            queue=queue,
            sha256=sha,
            photo_key=w.photo_key,
            file_name=f"{w.device_id}/{w.event_id}.jpg",
            priority=DISPUTE_PRIORITY,
            # Never shown to labellers in passes 1 and 2 (batches carry no model guess).
            signals={"source": "dispute", "contaminated": quality.contaminated, "scores": dict(quality.scores)},
            model_sha256=quality.model_sha256,
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
        photo_id = row.id
    dispute.label_photo_id = photo_id


def ensure_quality_queue(session: Session, queue: str) -> None:
    """Make ZEROWASTE_QUALITY_QUEUE a contamination queue at the service's start, or refuse to start: a
    queue of the classifier's labels (imported into under that name, or voted on before label sets)
    would take disputed frames nobody could label for what they show."""
    try:
        ensure_queue(session, queue, CONTAMINATION.name)
    except LabelSetMismatch as exc:
        raise LabelSetMismatch(f"ZEROWASTE_QUALITY_QUEUE={queue!r}: {exc}") from None
    session.commit()


# --- disputes -----------------------------------------------------------------------------------------


def open_dispute(
    session: Session, photos: PhotoStore, household: Household, device_id: str, event_id: str, reason: str, queue: str
) -> tuple[QualityDispute, Weighing, bool]:
    """The household's dispute of one of its flagged events; the same dispute again is the first one
    (returned with False)."""
    w = _weighing(session, device_id, event_id)
    if w is None or w.household_id != household.id:
        raise NotFound(f"no event {event_id!r} of device {device_id!r} in this household")
    earlier = _dispute_of(session, w)
    if earlier is not None:
        return earlier, w, False
    if w.contaminated is not True:
        raise Conflict(f"event {event_id!r} is not flagged as contaminated: there is nothing to dispute")
    dispute = QualityDispute(
        device_id=w.device_id,
        event_id=w.event_id,
        household_id=household.id,
        reason=reason,
        created_at=dt.datetime.now(dt.UTC),
        status="open",
    )
    session.add(dispute)
    try:
        session.flush()
        if w.photo_key is not None:
            enqueue(session, photos, w, dispute, queue)
        session.commit()
    except IntegrityError:  # the same dispute sent twice at once: the other one counts
        session.rollback()
        w = session.get_one(Weighing, (device_id, event_id))
        earlier = _dispute_of(session, w)
        if earlier is None:
            raise
        return earlier, w, False
    return dispute, w, True


def resolve(session: Session, dispute_id: int, verdict: str, by: str, note: str) -> tuple[QualityDispute, Weighing]:
    dispute = session.get(QualityDispute, dispute_id)
    w = None if dispute is None else _weighing(session, dispute.device_id, dispute.event_id)
    if dispute is None or w is None:
        raise NotFound(f"no dispute {dispute_id} (or its event is no longer counted)")
    w.contaminated = verdict == "contaminated"
    dispute.status = "dismissed" if w.contaminated else "upheld"
    dispute.resolved_by, dispute.resolved_at, dispute.note = by, dt.datetime.now(dt.UTC), note or None
    session.commit()
    return dispute, w


def flagged_events(
    session: Session,
    municipality: str,
    *,
    disputed: bool | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[tuple[Weighing, str, QualityDispute | None]]:
    """Events flagged as contaminated, or disputed, newest first: (weighing, neighbourhood key, dispute)."""
    q = (
        select(Weighing, Neighbourhood.key, QualityDispute)
        .join(Household, Household.id == Weighing.household_id)
        .join(Neighbourhood, Neighbourhood.id == Household.neighbourhood_id)
        .outerjoin(
            QualityDispute,
            (QualityDispute.device_id == Weighing.device_id) & (QualityDispute.event_id == Weighing.event_id),
        )
        .where(
            Neighbourhood.municipality == municipality,
            Weighing.contaminated.is_not(None),
            Weighing.contaminated.is_(True) | QualityDispute.id.is_not(None),
        )
    )
    if disputed is not None:
        q = q.where(QualityDispute.id.is_not(None) if disputed else QualityDispute.id.is_(None))
    if status is not None:
        q = q.where(QualityDispute.status == status)
    q = q.order_by(Weighing.measured_at.desc(), Weighing.device_id, Weighing.event_id).offset(offset).limit(limit)
    return [(w, hood, d) for w, hood, d in session.execute(q)]


# --- deletion -----------------------------------------------------------------------------------------


def forget_household_photos(session: Session, household_id: str) -> set[str]:
    """Before a household's rows go: its disputes' photos leave the labelling queue (votes with them);
    returns the keys of its frames, for `delete_unreferenced` once the deletion is committed."""
    keys = set(
        session.scalars(
            select(Weighing.photo_key).where(Weighing.household_id == household_id, Weighing.photo_key.is_not(None))
        )
    )
    queued = select(QualityDispute.label_photo_id).where(
        QualityDispute.household_id == household_id, QualityDispute.label_photo_id.is_not(None)
    )
    # A queued frame whose weighing was voided is named by its queue photo alone.
    keys.update(session.scalars(select(LabelPhoto.photo_key).where(LabelPhoto.id.in_(queued))))
    session.execute(delete(LabelPhoto).where(LabelPhoto.id.in_(queued)))
    return {k for k in keys if k is not None}


def event_frames(session: Session, event_id: str, device_id: str | None = None) -> set[str]:
    """The stored frames of the weighings with this event id (of this device): to be deleted, once
    unreferenced, when a weighing is voided (service/weighings.void_weighing keeps no photo)."""
    q = select(Weighing.photo_key).where(Weighing.event_id == event_id, Weighing.photo_key.is_not(None))
    if device_id is not None:
        q = q.where(Weighing.device_id == device_id)
    return {k for k in session.scalars(q) if k is not None}


def forget_orphan_disputes(session: Session) -> None:
    """Disputes whose event is gone (purged after the retention period). The caller commits; a photo
    they put into the labelling queue stays there, donated for labelling."""
    counted = exists().where(
        Weighing.device_id == QualityDispute.device_id, Weighing.event_id == QualityDispute.event_id
    )
    session.execute(delete(QualityDispute).where(~counted))


def delete_unreferenced(session: Session, photos: PhotoStore, keys: Iterable[str]) -> int:
    """Delete the stored files no weighing, labelling photo or feedback names any more."""
    deleted = 0
    for key in keys:
        named = [
            select(Weighing.event_id).where(Weighing.photo_key == key).limit(1),
            select(LabelPhoto.id).where(LabelPhoto.photo_key == key).limit(1),
            select(Feedback.id).where(Feedback.photo_key == key).limit(1),
        ]
        if all(session.scalar(q) is None for q in named):
            deleted += photos.delete(key)
    return deleted
