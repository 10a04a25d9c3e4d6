"""Registering pilot devices, households and bins; deleting a household's data; retention."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CursorResult, Delete, delete, select
from sqlalchemy.orm import Session

from zerowaste.service.db.models import (
    ApiKey,
    Bin,
    ChallengeEnrolment,
    Device,
    Household,
    Neighbourhood,
    RejectedEvent,
    Weighing,
)
from zerowaste.service.disputes import delete_unreferenced, forget_household_photos, forget_orphan_disputes
from zerowaste.service.keys import new_key
from zerowaste.service.photos import PhotoStore
from zerowaste.service.weekly import forget_weeks_before, weeks_changed


def register_device(session: Session, device_id: str, registered_by: str) -> str:
    key, token = new_key(session, f"device:{device_id}", "device")
    session.add(Device(id=device_id, api_key_id=key.id, registered_by=registered_by))
    session.commit()
    return token


def register_household(session: Session, neighbourhood: Neighbourhood) -> tuple[Household, str]:
    household_id = str(uuid.uuid4())
    key, token = new_key(session, f"household:{household_id}", "household")
    household = Household(id=household_id, neighbourhood_id=neighbourhood.id, api_key_id=key.id)
    session.add(household)
    session.commit()
    return household, token


def delete_household(session: Session, household_id: str, photos: PhotoStore | None = None) -> dict[str, int]:
    """Everything that belongs to the household goes: weighings, bins, challenges, its key, rejected
    events that name its bins, its disputes, and its donated bio-bin frames (from the labelling queue
    too; the files where `photos` is given); the weeks it weighed in count as changed, so its
    neighbourhood's medians are computed again without it."""
    household = session.get(Household, household_id)
    if household is None:
        return {}
    frames = forget_household_photos(session, household_id)
    bins = list(session.scalars(select(Bin).where(Bin.household_id == household_id)))
    bin_ids = {b.id for b in bins}
    weeks = session.scalars(select(Weighing.week).where(Weighing.household_id == household_id).distinct())
    weeks_changed(session, {(household.neighbourhood_id, w) for w in weeks})
    counts = {"weighings": _deleted(session, delete(Weighing).where(Weighing.household_id == household_id))}
    # Whichever device sent them: a misconfigured scale may name another household's bin.
    counts["rejected_events"] = _deleted(
        session, delete(RejectedEvent).where(RejectedEvent.payload["bin"].as_string().in_(bin_ids))
    )
    session.execute(delete(ChallengeEnrolment).where(ChallengeEnrolment.household_id == household_id))
    counts["bins"] = _deleted(session, delete(Bin).where(Bin.household_id == household_id))
    key_id = household.api_key_id
    session.delete(household)
    session.flush()
    session.execute(delete(ApiKey).where(ApiKey.id == key_id))
    session.commit()
    counts["photos"] = delete_unreferenced(session, photos, frames) if photos is not None else 0
    return counts


def _deleted(session: Session, statement: Delete) -> int:
    """Rows a DELETE removed (SQLAlchemy's `Result` type does not show a DML result's rowcount)."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def purge_expired(
    session: Session, retention_weeks: int, today: dt.date | None = None, photos: PhotoStore | None = None
) -> dict[str, int]:
    """Delete weighings and rejected events older than the retention period, and the donated frames of
    those weighings (a frame in the labelling queue stays there: it was donated for labelling)."""
    cutoff = (today or dt.date.today()) - dt.timedelta(weeks=retention_weeks)
    cutoff_t = dt.datetime.combine(cutoff, dt.time(), dt.UTC)
    old = select(Weighing.photo_key).where(Weighing.week < cutoff, Weighing.photo_key.is_not(None))
    frames = {k for k in session.scalars(old) if k is not None}
    counts = {
        "weighings": _deleted(session, delete(Weighing).where(Weighing.week < cutoff)),
        "rejected_events": _deleted(session, delete(RejectedEvent).where(RejectedEvent.received_at < cutoff_t)),
    }
    forget_weeks_before(session, cutoff)
    forget_orphan_disputes(session)
    session.commit()
    if photos is not None:
        counts["photos"] = delete_unreferenced(session, photos, frames)
    return counts
