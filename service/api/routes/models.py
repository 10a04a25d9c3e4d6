"""The model registry over HTTP: staff upload, inspect, promote and roll back; devices fetch signed models."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse
from sqlalchemy import select

from zerowaste.model import signing
from zerowaste.service import registry, schemas
from zerowaste.service.api.deps import (
    ModelStoreDep,
    RowId,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    SigningKeyDep,
)
from zerowaste.service.api.responses import AUTH
from zerowaste.service.api.security import DeviceDep, StaffDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import Device, ModelAudit, ModelVersion
from zerowaste.service.uploads import read_bounded
from zerowaste.service.weighings import utc
from zerowaste.wire import ModelOffer, ModelReport

MAX_CARD_BYTES = 256 * 1024
staff = APIRouter(prefix="/staff", tags=[Tags.models], responses=AUTH)
devices = APIRouter(prefix="/models", tags=[Tags.models])


def _current_channels(session: SessionDep) -> dict[int, list[str]]:
    on: dict[int, list[str]] = {}
    for channel in registry.CHANNELS:
        row = registry.current(session, channel)
        if row is not None:
            on.setdefault(row.model_id, []).append(channel)
    return on


def _public(m: ModelVersion, channels: dict[int, list[str]], detail: bool = False) -> schemas.ModelVersionPublic:
    checks = m.report.get("checks", []) if m.report else []
    return schemas.ModelVersionPublic(
        id=m.id,
        sha256=m.sha256,
        size=m.size,
        precision=m.precision,
        taxonomy_version=m.taxonomy_version,
        status=m.status,
        progress=m.progress,
        uploaded_by=m.uploaded_by,
        uploaded_at=utc(m.uploaded_at).isoformat(),
        note=m.note,
        signed=bool(m.signature),
        channels=channels.get(m.id, []),
        reasons=[f"{c['name']}: {c['detail']}" for c in checks if not c["ok"]],
        report=m.report if detail else None,
        metrics=m.spec.get("metrics") if detail else None,
    )


def _model(session: SessionDep, model_id: RowId) -> ModelVersion:
    model = session.get(ModelVersion, model_id)
    if model is None:
        raise HTTPException(404, f"no model {model_id}")
    return model


@staff.post(
    "/models",
    status_code=202,
    response_model=schemas.ModelVersionPublic,
    summary="Upload a candidate model; the gate validates it in the background",
    responses={
        409: {"description": "the registry has this file"},
        413: {"description": "file too large"},
        422: {"description": "not a model file or card"},
    },
)
async def upload_model(
    session: SessionDep,
    sessions: SessionmakerDep,
    store: ModelStoreDep,
    signing_key: SigningKeyDep,
    settings: SettingsDep,
    key: StaffDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="the ONNX file (its metadata must be complete)")],
    card: Annotated[UploadFile | None, File(description="model card, Markdown")] = None,
    note: Annotated[str, Form(max_length=500, description="why this model (kept in the audit log)")] = "",
) -> schemas.ModelVersionPublic:
    card_text = ""
    if card is not None:
        try:
            card_text = (await read_bounded(card, MAX_CARD_BYTES)).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(422, "the model card must be UTF-8 text (Markdown)") from exc
    _, sha256, size = await store.receive(file, settings.max_model_bytes)
    model = registry.register(session, sha256, size, key.name, card_text, note)
    background.add_task(registry.validate, sessions, store, settings, signing_key, model.id)
    return _public(model, {})


@staff.get("/models", response_model=list[schemas.ModelVersionPublic], summary="Registry models, newest first")
def list_models(
    session: SessionDep,
    _key: StaffDep,
    status: Annotated[str | None, Query(pattern="^(validating|accepted|refused)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[schemas.ModelVersionPublic]:
    q = select(ModelVersion).order_by(ModelVersion.id.desc()).limit(limit)
    if status:
        q = q.where(ModelVersion.status == status)
    channels = _current_channels(session)
    return [_public(m, channels) for m in session.scalars(q)]


@staff.get(
    "/models/{model_id}",
    response_model=schemas.ModelVersionPublic,
    summary="One model with its gate report",
    responses={404: {"description": "no such model"}},
)
def get_model(model_id: RowId, session: SessionDep, _key: StaffDep) -> schemas.ModelVersionPublic:
    return _public(_model(session, model_id), _current_channels(session), detail=True)


@staff.get(
    "/models/{model_id}/card",
    response_class=PlainTextResponse,
    summary="The model card (Markdown)",
    responses={404: {"description": "no such model"}},
)
def model_card(model_id: RowId, session: SessionDep, _key: StaffDep) -> PlainTextResponse:
    return PlainTextResponse(_model(session, model_id).card, media_type="text/markdown; charset=utf-8")


@staff.post(
    "/models/{model_id}/promote",
    response_model=schemas.ChannelPublic,
    summary="Put an accepted model on a channel (stable or canary)",
    responses={404: {"description": "no such model"}, 409: {"description": "not accepted, or already there"}},
)
def promote(model_id: RowId, body: schemas.Promotion, session: SessionDep, key: StaffDep) -> schemas.ChannelPublic:
    registry.promote(session, _model(session, model_id), body.channel, key.name, body.reason)
    return _channel(session, body.channel)


@staff.post(
    "/channels/{channel}/rollback",
    response_model=schemas.ChannelPublic,
    summary="Return a channel to the model it had before its last promotion",
    responses={409: {"description": "nothing earlier to return to"}},
)
def rollback(
    channel: schemas.Channel, body: schemas.ChannelChange, session: SessionDep, key: StaffDep
) -> schemas.ChannelPublic:
    registry.rollback(session, channel, key.name, body.reason)
    return _channel(session, channel)


def _channel(session: SessionDep, channel: str) -> schemas.ChannelPublic:
    row = registry.current(session, channel)
    if row is None:
        return schemas.ChannelPublic(
            channel=channel, model_id=None, sha256=None, since=None, by=None, reason=None, can_roll_back=False
        )
    sha256 = session.get_one(ModelVersion, row.model_id).sha256
    return schemas.ChannelPublic(
        channel=channel,
        model_id=row.model_id,
        sha256=sha256,
        since=utc(row.at).isoformat(),
        by=row.actor,
        reason=row.reason,
        can_roll_back=row.previous_id is not None,
    )


@staff.get("/channels", response_model=list[schemas.ChannelPublic], summary="Each channel's current model")
def channels(session: SessionDep, _key: StaffDep) -> list[schemas.ChannelPublic]:
    return [_channel(session, c) for c in registry.CHANNELS]


@staff.get("/models-audit", response_model=list[schemas.AuditEntry], summary="Who changed what in the registry, why")
def audit_log(
    session: SessionDep, _key: StaffDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[schemas.AuditEntry]:
    rows = session.scalars(select(ModelAudit).order_by(ModelAudit.id.desc()).limit(limit))
    return [
        schemas.AuditEntry(
            at=utc(a.at).isoformat(),
            actor=a.actor,
            action=a.action,
            model_id=a.model_id,
            channel=a.channel,
            reason=a.reason,
            detail=a.detail,
        )
        for a in rows
    ]


@staff.put(
    "/devices/{device_id}/channel",
    response_model=schemas.DeviceChannel,
    summary="Move a device to the stable or the canary channel",
    responses={404: {"description": "no device"}},
)
def set_device_channel(
    device_id: str, body: schemas.DeviceChannel, session: SessionDep, key: StaffDep
) -> schemas.DeviceChannel:
    device = session.get(Device, device_id)
    if device is None:
        raise HTTPException(404, f"no device {device_id!r}")
    registry.audit(
        session,
        key.name,
        "device-channel",
        channel=body.channel,
        reason=f"device {device_id}",
        previous=device.model_channel,
    )
    device.model_channel = body.channel
    session.commit()
    return body


# --- devices ---------------------------------------------------------------------------------------


@devices.get("/signing-key", response_model=schemas.SigningKey, summary="The public key model signatures verify with")
def public_signing_key(key: SigningKeyDep) -> schemas.SigningKey:
    public = registry.public_key(key)
    return schemas.SigningKey(key_id=signing.key_id(public), public_key=public)


@devices.get(
    "/current",
    response_model=ModelOffer,
    summary="The model this device's channel runs",
    responses={**AUTH, 404: {"description": "the registry holds no model yet"}},
)
def current_model(device: DeviceDep, session: SessionDep) -> ModelOffer:
    found = registry.for_device(session, device.model_channel)
    if found is None:
        raise HTTPException(404, "the registry holds no model yet")
    channel, model = found
    assert model.signature and model.key_id  # only accepted, signed models reach a channel
    return ModelOffer(
        channel=channel,
        model_id=model.id,
        sha256=model.sha256,
        size=model.size,
        precision=model.precision,
        signature=model.signature,
        key_id=model.key_id,
        url=f"/v1/models/files/{model.sha256}",
    )


@devices.get(
    "/files/{sha256}",
    summary="A model file (HTTP Range supported, for resuming)",
    response_class=FileResponse,
    responses={
        **AUTH,
        200: {"content": {"application/octet-stream": {}}},
        206: {"description": "a range"},
        404: {"description": "no accepted model with this sha256"},
    },
)
def model_file(sha256: str, store: ModelStoreDep, session: SessionDep, _device: DeviceDep) -> FileResponse:
    model = session.scalars(
        select(ModelVersion).where(ModelVersion.sha256 == sha256, ModelVersion.status == "accepted")
    ).first()
    if model is None:
        raise HTTPException(404, "no accepted model with this sha256")
    return FileResponse(
        store.path(sha256),
        media_type="application/octet-stream",
        filename=f"zerowaste-{model.id}-{model.precision}.onnx",
    )


@devices.post("/report", status_code=204, summary="Tell the service what the device now runs", responses=AUTH)
def report(body: ModelReport, device: DeviceDep, session: SessionDep) -> None:
    model = session.scalars(select(ModelVersion).where(ModelVersion.sha256 == body.sha256)).first()
    if body.status == "installed":
        device.model_sha256 = body.sha256
    device.model_status = f"{body.status}: {body.detail}"[:200]
    registry.audit(
        session,
        f"device:{device.id}",
        f"device-{body.status}",
        model_id=model.id if model else None,
        channel=device.model_channel,
        reason=body.detail,
        sha256=body.sha256,
    )
    session.commit()


__all__ = ["devices", "staff"]
