"""Tables (SQLAlchemy 2 typed ORM). Rows never go straight into responses: see service/schemas.py."""

from __future__ import annotations

import datetime as dt
import uuid
from itertools import chain
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, UOWTransaction, mapped_column

from zerowaste.service.schedule import Schedule


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Municipality(Base):
    __tablename__ = "municipality"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(200), default="")
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    class_map: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A new value whenever the municipality's streams, Abfall-ABC or offers change (migration 0013): every
    # service process keeps what it read of them, and the search index built from them, until it differs.
    revision: Mapped[str] = mapped_column(String(32), default=lambda: uuid.uuid4().hex)


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
    waste_kind: Mapped[list[Any]] = mapped_column(default=list)  # FIWARE storedWasteKind values
    synonyms: Mapped[list[Any]] = mapped_column(default=list)  # what people search it by (migration 0011)


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
    verified_on: Mapped[dt.date | None] = mapped_column(Date)  # when someone last checked the offer
    # the year the source's facts are from, where older than the check ("Stand 2014"); migration 0012
    information_as_of: Mapped[int | None] = mapped_column(Integer, default=None)
    ends_on: Mapped[dt.date | None] = mapped_column(Date, default=None)  # an event's last day; then hidden
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def opening_hours(self) -> Schedule:
        """The schedule as the rules file's model (the column holds its JSON, validated on load)."""
        return Schedule.model_validate(self.schedule)


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


class LabelPhoto(Base):
    """A photo waiting in (or done with) a staff labelling queue. The sha256 is the original file's, so a
    labels file joins it again with the folder it came from; the stored copy is only for showing it."""

    __tablename__ = "label_photo"
    __table_args__ = (
        UniqueConstraint("queue", "sha256"),
        Index("ix_label_photo_queue_priority", "queue", "priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    photo_key: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str] = mapped_column(String(500))
    priority: Mapped[float] = mapped_column(Float)  # higher: label first (model/uncertainty.py)
    signals: Mapped[dict[str, Any]] = mapped_column()
    model_sha256: Mapped[str] = mapped_column(String(64))  # the model the priority came from
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LabelVote(Base):
    """One person's label for one photo in one pass: 1 and 2 are independent, 3 resolves a disagreement.
    Votes are final; the unique pair is what stops two people giving the same pass at once."""

    __tablename__ = "label_vote"
    __table_args__ = (
        UniqueConstraint("photo_id", "pass_no"),
        CheckConstraint("pass_no IN (1, 2, 3)", name="ck_label_vote_pass_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("label_photo.id", ondelete="CASCADE"))
    pass_no: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))
    labeller: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LabelClaim(Base):
    """Photos handed out in a batch, held for one labeller a few minutes, so that two people labelling
    the same pass at once get different photos. A courtesy, not a rule: votes never check it."""

    __tablename__ = "label_claim"

    photo_id: Mapped[int] = mapped_column(ForeignKey("label_photo.id", ondelete="CASCADE"), primary_key=True)
    pass_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    labeller: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


@event.listens_for(Session, "before_flush")
def _new_rules_revision(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Whoever writes a stream, an Abfall-ABC entry, an offer or a municipality's class map (staff routes,
    `load_rules`, a script) gives the municipality a new revision in the same transaction."""
    touched = {
        o.municipality if not isinstance(o, Municipality) else o.key
        for o in chain(session.new, session.dirty, session.deleted)
        if isinstance(o, Stream | AbcItem | Offer | Municipality)
        and (o in session.new or o in session.deleted or session.is_modified(o))
    }
    for key in touched:
        # a core UPDATE: the ORM would flush again from inside this flush
        session.connection().execute(
            update(Municipality).where(Municipality.key == key).values(revision=uuid.uuid4().hex)
        )
