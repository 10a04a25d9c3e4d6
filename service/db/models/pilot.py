"""The weighing pilot: neighbourhoods, households, devices, bins, weighings and their weekly figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from zerowaste.service.db.models.base import Base


class Neighbourhood(Base):
    """A pilot quarter (from the rules file). Its centre is the only location a bin is ever exported with."""

    __tablename__ = "neighbourhood"
    __table_args__ = (UniqueConstraint("municipality", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipality.key"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(100))
    quarters: Mapped[list[Any]] = mapped_column(default=list)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text, default="")


class Challenge(Base):
    __tablename__ = "challenge"
    __table_args__ = (UniqueConstraint("municipality", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipality.key"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[dict[str, Any]] = mapped_column()
    stream: Mapped[str] = mapped_column(String(64))
    reduction_pct: Mapped[float] = mapped_column(Float)
    weeks: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)


class Household(Base):
    """Pseudonymous: a random id and a neighbourhood. No name, no address, ever."""

    __tablename__ = "household"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Device(Base):
    """A scale agent. Its token is an api_key row with role device (stored hashed)."""

    __tablename__ = "device"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"))
    registered_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    firmware: Mapped[str | None] = mapped_column(String(64))
    clock_offset_s: Mapped[float | None] = mapped_column(Float)
    model_channel: Mapped[str] = mapped_column(String(16), default="stable", server_default="stable")
    model_sha256: Mapped[str | None] = mapped_column(String(64))  # what the device last said it runs
    model_status: Mapped[str | None] = mapped_column(String(200))


class Bin(Base):
    __tablename__ = "bin"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"), index=True)
    stream: Mapped[str] = mapped_column(String(64))
    max_load_kg: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Since when the scale weighs under it (staff may date it back to the installation; else created_at):
    # a weighing from before then is a wrong clock, not history.
    in_service_from: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Weighing(Base):
    """One accepted scale event. The primary key is the device and its event id: resending is harmless,
    and one device's ids never shadow another's."""

    __tablename__ = "weighing"
    __table_args__ = (
        Index("ix_weighing_household_week", "household_id", "week"),
        Index("ix_weighing_week_stream", "week", "stream"),
    )

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bin_id: Mapped[str] = mapped_column(ForeignKey("bin.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    net_kg: Mapped[float] = mapped_column(Float)
    gross_kg: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # corrected for clock skew
    device_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # as the device said
    week: Mapped[dt.date] = mapped_column(Date)  # Monday of measured_at, municipality's time zone
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    firmware: Mapped[str] = mapped_column(String(64), default="")
    calibration_version: Mapped[int] = mapped_column(Integer, default=0)
    # The bio-bin camera's result as the device sent it (wire.BinQuality), where there is one (issue 25).
    quality: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # What counts: the device's verdict, or staff's after a dispute (service/disputes.py); None: not assessed.
    contaminated: Mapped[bool | None] = mapped_column(Boolean, default=None)
    photo_key: Mapped[str | None] = mapped_column(String(80), default=None)  # the donated frame, if any


class NeighbourhoodWeek(Base):
    """The neighbourhood medians of one complete week, kept once computed: at city scale they are most of
    a household summary's time. Served only while the week's change count is still `changes`."""

    __tablename__ = "neighbourhood_week"

    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    min_group: Mapped[int] = mapped_column(Integer, primary_key=True)
    changes: Mapped[int] = mapped_column(Integer)  # NeighbourhoodWeekChange.changes when computed
    medians: Mapped[dict[str, Any]] = mapped_column()  # stream -> [median kg, households]
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class NeighbourhoodWeekChange(Base):
    """How often a neighbourhood's weighings of one week changed (accepted, or deleted with a household).
    Raised in the same transaction as the change, so stored medians can never outlive it."""

    __tablename__ = "neighbourhood_week_change"

    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    changes: Mapped[int] = mapped_column(Integer)


class RejectedEvent(Base):
    """An implausible or malformed event, kept with its reasons for staff, never silently dropped."""

    __tablename__ = "rejected_event"
    __table_args__ = (UniqueConstraint("device_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    reasons: Mapped[list[Any]] = mapped_column()
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    clock_offset_s: Mapped[float] = mapped_column(Float, default=0.0)  # the batch's skew, for a later retry
    review_status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ChallengeEnrolment(Base):
    __tablename__ = "challenge_enrolment"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), primary_key=True)
    started_week: Mapped[dt.date] = mapped_column(Date)
