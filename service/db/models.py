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
