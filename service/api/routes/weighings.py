"""Scale agents upload weighings here, in batches, with their device key; and donated bio-bin frames."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool

from zerowaste.service import schemas
from zerowaste.service.api.deps import PhotosDep, SessionDep, SettingsDep
from zerowaste.service.api.responses import Responses
from zerowaste.service.api.security import DeviceDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.disputes import attach_photo, donation_target
from zerowaste.service.uploads import DEVICE_PHOTO_FORMATS, read_photo
from zerowaste.service.weighings import ingest
from zerowaste.wire import ID_CHARS, BatchResult, WeighingBatch

router = APIRouter(prefix="/weighings", tags=[Tags.weighings])
DEVICE_AUTH: Responses = {
    401: {"description": "no or unknown device key"},
    403: {"description": "not a device key, or no registered device"},
}


@router.post(
    "/batch",
    response_model=BatchResult,
    summary="Upload a batch of scale events (idempotent by event id)",
    responses={**DEVICE_AUTH, 413: {"description": "more events than ZEROWASTE_MAX_BATCH_EVENTS"}},
)
def upload_batch(body: WeighingBatch, session: SessionDep, settings: SettingsDep, device: DeviceDep) -> BatchResult:
    if len(body.events) > settings.max_batch_events:
        raise HTTPException(413, f"at most {settings.max_batch_events} events per batch; got {len(body.events)}")
    return ingest(session, device, body.events, body.sent_at, zone=settings.zone, bounds=settings.time_bounds)


class _Body:
    """The request body as an upload to read in a bounded piece (service/uploads.py reads it)."""

    def __init__(self, request: Request) -> None:
        self._chunks = request.stream()

    async def read(self, size: int = -1, /) -> bytes:
        data = bytearray()
        async for chunk in self._chunks:
            data += chunk
            if 0 <= size < len(data):
                break
        return bytes(data)


@router.put(
    "/{event_id}/photo",
    response_model=schemas.DonatedPhotoReceipt,
    summary="Donate the bio-bin frame of one counted event (the household consented: photo_donated)",
    description="The body is the JPEG or PNG itself (any Content-Type). Stored once per event: the same "
    "PUT again answers `unchanged`. A disputed event's frame goes into the staff labelling queue.",
    openapi_extra={"requestBody": {"content": {"image/jpeg": {}, "image/png": {}}, "required": True}},
    responses={
        **DEVICE_AUTH,
        404: {"description": "no counted event with this id from this device"},
        409: {"description": "the event's quality does not say photo_donated: true"},
        413: {"description": "larger than ZEROWASTE_MAX_UPLOAD_BYTES"},
        415: {"description": "neither JPEG nor PNG"},
        422: {"description": "not a readable image"},
    },
)
async def donate_photo(
    event_id: Annotated[str, Path(min_length=8, max_length=64, pattern=f"^{ID_CHARS}+$")],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    photos: PhotosDep,
    device: DeviceDep,
) -> schemas.DonatedPhotoReceipt:
    weighing = donation_target(session, device, event_id)
    if weighing.photo_key is not None:  # a resend: answered without reading or storing it again
        return schemas.DonatedPhotoReceipt(event_id=event_id, status="unchanged", queued=False)
    image = await read_photo(_Body(request), settings, DEVICE_PHOTO_FORMATS)
    return await run_in_threadpool(attach_photo, session, photos, weighing, image, settings.quality_queue)
