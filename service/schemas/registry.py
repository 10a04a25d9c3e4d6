"""The model registry: versions, channels, audit, the signing key."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Channel = Literal["stable", "canary"]


class ModelVersionPublic(BaseModel):
    id: int
    sha256: str
    size: int
    precision: str
    taxonomy_version: str
    status: Literal["validating", "accepted", "refused"]
    progress: float = Field(description="share of the gate's scoring done (0-1)")
    uploaded_by: str
    uploaded_at: str
    note: str
    signed: bool
    channels: list[str] = Field(description="channels this model is current on")
    reasons: list[str] = Field(description="why the gate refused it (empty when accepted)")
    report: dict[str, Any] | None = Field(default=None, description="the gate's full report (detail view only)")
    metrics: dict[str, Any] | None = Field(default=None, description="test metrics the file carries (detail view)")


class ChannelChange(BaseModel):
    reason: str = Field(min_length=3, max_length=500, description="why; kept in the audit log")


class Promotion(ChannelChange):
    channel: Channel


class ChannelPublic(BaseModel):
    channel: str
    model_id: int | None
    sha256: str | None
    since: str | None
    by: str | None
    reason: str | None
    can_roll_back: bool


class AuditEntry(BaseModel):
    at: str
    actor: str
    action: str
    model_id: int | None
    channel: str | None
    reason: str
    detail: dict[str, Any]


class DeviceChannel(BaseModel):
    channel: Channel


class SigningKey(BaseModel):
    key_id: str
    public_key: str = Field(description="raw Ed25519 public key, base64; give it to devices out of band")
