"""The municipality's rules as staff curate them: streams, the Abfall-ABC, offers. Every write
gives the municipality a new revision (the listener below), which the service's rules cache reads."""

from __future__ import annotations

import datetime as dt
import uuid
from itertools import chain
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    update,
)
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from zerowaste.service.db.models.base import Base
from zerowaste.service.schedule import Schedule


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
        """The schedule as the rules file's model (the column holds its JSON, validated on load).

        Kept beside the JSON it was made from: every photo and search ranks all offers (up to 330
        validations a search), and a new value of the column makes it again."""
        kept = self.__dict__.get("_opening_hours")
        if kept is None or kept[0] is not self.schedule:
            kept = (self.schedule, Schedule.model_validate(self.schedule))
            self.__dict__["_opening_hours"] = kept
        return kept[1]


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
