"""Scale agents upload weighings here, in batches, with their device key."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from zerowaste.service.api.deps import SessionDep, SettingsDep
from zerowaste.service.api.security import DeviceDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.weighings import ingest
from zerowaste.wire import BatchResult, WeighingBatch

router = APIRouter(prefix="/weighings", tags=[Tags.weighings])


@router.post(
    "/batch",
    response_model=BatchResult,
    summary="Upload a batch of scale events (idempotent by event id)",
    responses={
        401: {"description": "no or unknown device key"},
        403: {"description": "not a device key, or no registered device"},
        413: {"description": "more events than ZEROWASTE_MAX_BATCH_EVENTS"},
    },
)
def upload_batch(body: WeighingBatch, session: SessionDep, settings: SettingsDep, device: DeviceDep) -> BatchResult:
    if len(body.events) > settings.max_batch_events:
        raise HTTPException(413, f"at most {settings.max_batch_events} events per batch; got {len(body.events)}")
    return ingest(session, device, body.events, body.sent_at, zone=settings.zone, bounds=settings.time_bounds)
