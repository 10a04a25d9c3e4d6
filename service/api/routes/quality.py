"""Bio-bin quality (issue 25): staff's list of flagged and disputed events, the donated frames, the
resolution of a dispute; and the quarters' weekly contamination rates (k-anonymous, public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from zerowaste.service import schemas
from zerowaste.service.api.deps import PhotosDep, RowId, SessionDep, SettingsDep
from zerowaste.service.api.responses import AUTH
from zerowaste.service.api.security import StaffDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import Household, Neighbourhood, QualityDispute, Weighing
from zerowaste.service.disputes import dispute_public, flagged_events, frame_state, resolve
from zerowaste.service.household_summary import current_week
from zerowaste.service.quality import municipality_quality
from zerowaste.service.weekly import WEEK
from zerowaste.service.weighings import utc
from zerowaste.wire import BinQuality

staff = APIRouter(prefix="/staff/quality", tags=[Tags.quality], responses=AUTH)
public = APIRouter(prefix="/quality", tags=[Tags.quality])
Id = Annotated[str, Path(max_length=64)]


def _flagged(w: Weighing, hood: str, d: QualityDispute | None, queue: str) -> schemas.FlaggedEvent:
    return schemas.FlaggedEvent(
        device=w.device_id,
        event_id=w.event_id,
        household=w.household_id,
        neighbourhood=hood,
        bin=w.bin_id,
        stream=w.stream,
        kind=w.kind,
        measured_at=utc(w.measured_at).isoformat(),
        contaminated=bool(w.contaminated),
        quality=BinQuality.model_validate(w.quality),
        photo_url=f"/v1/staff/quality/events/{w.device_id}/{w.event_id}/photo" if w.photo_key else None,
        dispute=None if d is None else dispute_public(d, queue, frame_state(w)),
    )


@staff.get(
    "/flagged",
    response_model=list[schemas.FlaggedEvent],
    summary="Events flagged as contaminated, and disputed ones, newest first",
)
def flagged(
    session: SessionDep,
    settings: SettingsDep,
    _key: StaffDep,
    disputed: Annotated[bool | None, Query(description="true: only disputed; false: only undisputed")] = None,
    status: Annotated[schemas.DisputeStatus | None, Query(description="only disputes in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[schemas.FlaggedEvent]:
    rows = flagged_events(session, settings.municipality, disputed=disputed, status=status, limit=limit, offset=offset)
    return [_flagged(w, hood, d, settings.quality_queue) for w, hood, d in rows]


@staff.get(
    "/events/{device_id}/{event_id}/photo",
    summary="An event's donated frame (JPEG, re-encoded without EXIF)",
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"description": "no donated frame for this event"}},
)
async def frame(device_id: Id, event_id: Id, session: SessionDep, photos: PhotosDep, _key: StaffDep) -> Response:
    w = session.get(Weighing, (device_id, event_id))
    if w is None or w.photo_key is None:
        raise HTTPException(404, f"no donated frame for event {event_id!r} of device {device_id!r}")
    try:
        data = await run_in_threadpool(photos.get, w.photo_key)
    except FileNotFoundError:
        raise HTTPException(404, "the frame is missing from the photo store") from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


@staff.post(
    "/disputes/{dispute_id}/resolve",
    response_model=schemas.FlaggedEvent,
    summary="Decide a dispute: clean upholds it (the event stops counting as contaminated)",
    responses={404: {"description": "no such dispute"}},
)
def resolve_dispute(
    dispute_id: RowId, body: schemas.DisputeResolution, session: SessionDep, settings: SettingsDep, key: StaffDep
) -> schemas.FlaggedEvent:
    d, w = resolve(session, dispute_id, body.verdict, key.name, body.note)
    hood = session.scalar(
        select(Neighbourhood.key)
        .join(Household, Household.neighbourhood_id == Neighbourhood.id)
        .where(Household.id == w.household_id)
    )
    return _flagged(w, hood or "", d, settings.quality_queue)


@public.get(
    "/neighbourhoods",
    response_model=list[schemas.NeighbourhoodQuality],
    summary="Each quarter's weekly bio-bin contamination rate (only weeks with enough households)",
)
def neighbourhoods(
    session: SessionDep,
    settings: SettingsDep,
    weeks: Annotated[int, Query(ge=1, le=52, description="complete weeks back from last week")] = 8,
) -> list[schemas.NeighbourhoodQuality]:
    last = current_week(settings) - WEEK
    first = last - (weeks - 1) * WEEK
    return [
        schemas.NeighbourhoodQuality(
            neighbourhood=hood.key,
            name=hood.name,
            weeks=[
                schemas.NeighbourhoodWeekQuality(
                    week=w.isoformat(), rate=q.rate or 0.0, assessed=q.assessed, households=q.households
                )
                for w, q in sorted(figures.items())
            ],
        )
        for hood, figures in municipality_quality(session, settings.municipality, first, last, settings.min_group_size)
    ]
