"""Citizens' classifications and feedback, and the API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from zerowaste.service.db.models.base import Base


class Classification(Base):
    """What the model said about one photo (the photo itself is not kept): the anchor for feedback."""

    __tablename__ = "classification"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    municipality: Mapped[str] = mapped_column(String(64))
    model_sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    decided: Mapped[bool] = mapped_column(Boolean)
    top: Mapped[list[Any]] = mapped_column(default=list)
    item: Mapped[str | None] = mapped_column(String(100), default=None)  # item-head class shown, if any
    item_probability: Mapped[float | None] = mapped_column(Float, default=None)
    # the item's category, or the category alone when no single item was sure (migration 0010)
    item_category: Mapped[str | None] = mapped_column(String(40), default=None)
    item_category_probability: Mapped[float | None] = mapped_column(Float, default=None)


class Feedback(Base):
    """A citizen's verdict on a classification; the photo only with explicit consent."""

    __tablename__ = "feedback"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    classification_id: Mapped[str] = mapped_column(ForeignKey("classification.id"), index=True)
    correct: Mapped[bool] = mapped_column(Boolean)
    label: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    photo_key: Mapped[str | None] = mapped_column(String(80))
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    review_status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reviewed_label: Mapped[str | None] = mapped_column(String(64))
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """Credentials for staff and devices. Only the SHA-256 of a key is stored; the key is shown once."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
