"""Tables (SQLAlchemy 2 typed ORM). Rows never go straight into responses: see service/schemas.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Municipality(Base):
    __tablename__ = "municipality"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(200), default="")
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    class_map: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Stream(Base):
    __tablename__ = "stream"
    __table_args__ = (UniqueConstraint("municipality", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipality.key"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[dict[str, Any]] = mapped_column()
    where: Mapped[dict[str, Any]] = mapped_column()
    instructions: Mapped[dict[str, Any]] = mapped_column()
    not_allowed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(Text, default="")


class AbcItem(Base):
    __tablename__ = "abc_item"
    __table_args__ = (UniqueConstraint("municipality", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipality.key"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    synonyms: Mapped[list[Any]] = mapped_column(default=list)
    stream_key: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Offer(Base):
    __tablename__ = "offer"
    __table_args__ = (UniqueConstraint("municipality", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipality.key"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    district: Mapped[str | None] = mapped_column(String(100))
    quarter: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    categories: Mapped[list[Any]] = mapped_column(default=list)
    schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    schedule_text: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(Text, default="")
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


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
