"""The model registry: uploaded versions, channel assignments, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zerowaste.service.db.models.base import Base


class ModelVersion(Base):
    """A model file in the registry (stored by its sha256) with the gate's verdict and report.

    Only a model the gate accepted is signed, and only a signed model can be put on a channel.
    """

    __tablename__ = "model_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    precision: Mapped[str] = mapped_column(String(16))
    taxonomy_version: Mapped[str] = mapped_column(String(32))
    spec: Mapped[dict[str, Any]] = mapped_column()  # the file's own metadata (labels, metrics, data hash)
    card: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)  # validating | accepted | refused
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)  # test-set hash -> score, reused by later gates
    signature: Mapped[str | None] = mapped_column(String(200))
    key_id: Mapped[str | None] = mapped_column(String(16))


class ChannelAssignment(Base):
    """One change of a channel's model. The newest row is the channel's model; `previous_id` is what a
    rollback returns to, so rolling back twice walks back two promotions, not to and fro."""

    __tablename__ = "model_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("model_channel.id"))
    action: Mapped[str] = mapped_column(String(16))  # promote | rollback
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ModelAudit(Base):
    """Everything that happened to registry models: who, when, what, why."""

    __tablename__ = "model_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("model_version.id"))
    channel: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
