"""Staff endpoints of the weighing pilot: devices, households, bins, rejected events, exports, deletion."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import Numeric, cast, func, select

from zerowaste.service import schemas
from zerowaste.service.api.deps import PhotosDep, RowId, SessionDep, SettingsDep
from zerowaste.service.api.responses import AUTH
from zerowaste.service.api.security import StaffDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import Bin, Device, Household, Neighbourhood, RejectedEvent, Stream, Weighing
from zerowaste.service.disputes import delete_unreferenced, event_frames
from zerowaste.service.households import delete_household, register_device, register_household
from zerowaste.service.ngsi import waste_containers
from zerowaste.service.weekly import COUNTED
from zerowaste.service.weighings import (
    AmbiguousWeighing,
    UnknownWeighing,
    retry_rejected,
    utc,
    void_weighing,
)
from zerowaste.wire import EventResult

router = APIRouter(prefix="/staff", tags=[Tags.staff], responses=AUTH)


def _iso(t: dt.datetime | None) -> str | None:
    return utc(t).isoformat() if t else None


@router.post(
    "/devices",
    status_code=201,
    response_model=schemas.Credential,
    summary="Register a scale device",
    responses={409: {"description": "a device with this id exists"}},
)
def create_device(body: schemas.DeviceIn, session: SessionDep, key: StaffDep) -> schemas.Credential:
    if session.get(Device, body.id) is not None:
        raise HTTPException(409, f"device {body.id!r} exists")
    return schemas.Credential(id=body.id, token=register_device(session, body.id, key.name))


@router.get("/devices", response_model=list[schemas.DevicePublic], summary="Devices, bins, last contact, model")
def list_devices(session: SessionDep, _key: StaffDep) -> list[schemas.DevicePublic]:
    bins: dict[str, list[str]] = {}
    for b in session.scalars(select(Bin).order_by(Bin.id)):
        bins.setdefault(b.device_id, []).append(b.id)
    return [
        schemas.DevicePublic(
            id=d.id,
            created_at=_iso(d.created_at) or "",
            last_seen_at=_iso(d.last_seen_at),
            firmware=d.firmware,
            clock_offset_s=d.clock_offset_s,
            bins=bins.get(d.id, []),
            model_channel=d.model_channel,
            model_sha256=d.model_sha256,
            model_status=d.model_status,
        )
        for d in session.scalars(select(Device).order_by(Device.id))
    ]


@router.post(
    "/households",
    status_code=201,
    response_model=schemas.HouseholdCreated,
    summary="Enrol a pseudonymous household (no name, no address)",
    responses={422: {"description": "unknown neighbourhood"}},
)
def create_household(
    body: schemas.HouseholdIn, session: SessionDep, settings: SettingsDep, _key: StaffDep
) -> schemas.HouseholdCreated:
    hood = session.scalars(
        select(Neighbourhood).where(
            Neighbourhood.municipality == settings.municipality, Neighbourhood.key == body.neighbourhood
        )
    ).first()
    if hood is None:
        known = session.scalars(select(Neighbourhood.key).where(Neighbourhood.municipality == settings.municipality))
        raise HTTPException(422, f"unknown neighbourhood {body.neighbourhood!r}; known: {', '.join(known)}")
    household, token = register_household(session, hood)
    return schemas.HouseholdCreated(id=household.id, token=token, neighbourhood=hood.key)


@router.delete(
    "/households/{household_id}",
    summary="Delete a household and all its data on its request",
    responses={404: {"description": "no such household"}},
)
def remove_household(household_id: str, session: SessionDep, photos: PhotosDep, _key: StaffDep) -> dict[str, int]:
    counts = delete_household(session, household_id, photos)
    if not counts:
        raise HTTPException(404, f"no household {household_id!r}")
    return counts


@router.post(
    "/bins",
    status_code=201,
    response_model=schemas.BinIn,
    summary="Put a household's bin on a scale",
    responses={
        409: {"description": "a bin with this id exists"},
        422: {"description": "unknown household, device or stream"},
    },
)
def create_bin(body: schemas.BinIn, session: SessionDep, settings: SettingsDep, _key: StaffDep) -> schemas.BinIn:
    if session.get(Bin, body.id) is not None:
        raise HTTPException(409, f"bin {body.id!r} exists")
    if session.get(Household, body.household) is None:
        raise HTTPException(422, f"unknown household {body.household!r}")
    if session.get(Device, body.device) is None:
        raise HTTPException(422, f"unknown device {body.device!r}: register it first")
    stream = session.scalars(
        select(Stream).where(Stream.municipality == settings.municipality, Stream.key == body.stream)
    ).first()
    if stream is None:
        raise HTTPException(422, f"unknown stream {body.stream!r}")
    session.add(
        Bin(
            id=body.id,
            household_id=body.household,
            device_id=body.device,
            stream=body.stream,
            max_load_kg=body.max_load_kg,
            in_service_from=body.in_service_from,
        )
    )
    session.commit()
    return body


def _rejected_public(r: RejectedEvent) -> schemas.RejectedPublic:
    return schemas.RejectedPublic(
        id=r.id,
        device=r.device_id,
        event_id=r.event_id,
        reasons=r.reasons,
        payload=r.payload,
        received_at=_iso(r.received_at) or "",
        review_status=r.review_status,
    )


@router.get(
    "/weighings/rejected",
    response_model=list[schemas.RejectedPublic],
    summary="Events the service would not count, with the reasons",
)
def list_rejected(
    session: SessionDep,
    _key: StaffDep,
    status: Annotated[Literal["pending", "dismissed", "voided"], Query()] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[schemas.RejectedPublic]:
    rows = session.scalars(
        select(RejectedEvent).where(RejectedEvent.review_status == status).order_by(RejectedEvent.id).limit(limit)
    )
    return [_rejected_public(r) for r in rows]


@router.post(
    "/weighings/rejected/{rejected_id}/review",
    response_model=EventResult,
    summary="Check a rejected event again, or dismiss it",
    responses={404: {"description": "no such event"}},
)
def review_rejected(
    rejected_id: RowId, body: schemas.RejectedReview, session: SessionDep, settings: SettingsDep, key: StaffDep
) -> EventResult:
    r = session.get(RejectedEvent, rejected_id)
    if r is None:
        raise HTTPException(404, f"no rejected event {rejected_id}")
    if body.action == "dismiss":
        r.review_status, r.reviewed_by, r.reviewed_at = "dismissed", key.name, dt.datetime.now(dt.UTC)
        session.commit()
        return EventResult(id=r.event_id, status="rejected", reasons=r.reasons)
    device = session.get(Device, r.device_id)
    if device is None:
        raise HTTPException(409, f"device {r.device_id!r} is no longer registered")
    return retry_rejected(session, r, device, zone=settings.zone, bounds=settings.time_bounds)


@router.post(
    "/weighings/{event_id}/void",
    response_model=schemas.RejectedPublic,
    summary="Stop counting one weighing (kept, with who and why; the household's weeks are computed again)",
    responses={
        404: {"description": "no counted weighing with this event id"},
        409: {"description": "several devices used this id: name the device"},
    },
)
def void(
    event_id: str,
    body: schemas.VoidIn,
    session: SessionDep,
    photos: PhotosDep,
    key: StaffDep,
    device: Annotated[str | None, Query(max_length=64, description="the device, where several used the id")] = None,
) -> schemas.RejectedPublic:
    frames = event_frames(session, event_id, device)
    try:
        kept = void_weighing(session, event_id, by=key.name, reason=body.reason, device_id=device)
    except UnknownWeighing as exc:
        raise HTTPException(404, str(exc)) from exc
    except AmbiguousWeighing as exc:
        raise HTTPException(409, str(exc)) from exc
    # The record keeps no photo: the voided event's donated frame goes, unless the labelling queue holds it.
    delete_unreferenced(session, photos, frames)
    return _rejected_public(kept)


def _cell(v: object) -> object:
    if isinstance(v, dt.datetime):
        return utc(v).isoformat()
    return v.isoformat() if isinstance(v, dt.date) else v


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as_text(v: object) -> object:
    """Text a spreadsheet would run as a formula (a device's `firmware` of "=HYPERLINK(…)") is kept as
    text with a leading apostrophe, as OWASP advises for CSV; numbers stay numbers."""
    return "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v


def _csv(rows: Iterator[list[object]], header: list[str]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_as_text(v) for v in row])
        if buf.tell() > 64 * 1024:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@router.get(
    "/exports/weighings.csv",
    summary="Weighings (events) or weekly totals as CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
def export_csv(
    session: SessionDep,
    settings: SettingsDep,
    _key: StaffDep,
    table: Annotated[Literal["events", "weekly"], Query()] = "events",
) -> StreamingResponse:
    hood = (
        select(Household.id, Neighbourhood.key.label("hood"))
        .join(Neighbourhood, Neighbourhood.id == Household.neighbourhood_id)
        .where(Neighbourhood.municipality == settings.municipality)
        .subquery()
    )
    if table == "events":
        header = [
            "event_id",
            "household",
            "neighbourhood",
            "bin",
            "device",
            "stream",
            "kind",
            "net_kg",
            "gross_kg",
            "measured_at",
            "week",
            "calibration_version",
            "firmware",
        ]
        q = (
            select(
                Weighing.event_id,
                Weighing.household_id,
                hood.c.hood,
                Weighing.bin_id,
                Weighing.device_id,
                Weighing.stream,
                Weighing.kind,
                Weighing.net_kg,
                Weighing.gross_kg,
                Weighing.measured_at,
                Weighing.week,
                Weighing.calibration_version,
                Weighing.firmware,
            )
            .join(hood, hood.c.id == Weighing.household_id)
            .order_by(Weighing.measured_at, Weighing.event_id)
        )
    else:
        header = ["week", "household", "neighbourhood", "stream", "kg", "weighings"]
        q = (
            select(
                Weighing.week,
                Weighing.household_id,
                hood.c.hood,
                Weighing.stream,
                func.round(cast(func.sum(Weighing.net_kg), Numeric), 3),
                func.count(),
            )
            .join(hood, hood.c.id == Weighing.household_id)
            .where(Weighing.kind.in_(COUNTED))
            .group_by(Weighing.week, Weighing.household_id, hood.c.hood, Weighing.stream)
            .order_by(Weighing.week, Weighing.household_id, Weighing.stream)
        )
    # Read now: the session closes before a streamed body is sent.
    rows = [[_cell(v) for v in row] for row in session.execute(q)]
    return StreamingResponse(
        _csv(iter(rows), header),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="weighings-{table}.csv"'},
    )


@router.get(
    "/exports/ngsi-ld",
    summary="Bins as FIWARE NGSI-LD WasteContainer entities",
    responses={200: {"content": {"application/ld+json": {}}}},
)
def export_ngsi(session: SessionDep, settings: SettingsDep, _key: StaffDep) -> JSONResponse:
    return JSONResponse(waste_containers(session, settings.municipality), media_type="application/ld+json")
