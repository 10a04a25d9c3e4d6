"""Bio-bin quality (issue 25): a household's dispute of a flagged weighing, and what staff made of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zerowaste.service.db.models.base import Base


class QualityDispute(Base):
    """A household says a flagged event was clean. Staff see it beside the flagged events; with a donated
    frame it is also a photo of the labelling queue (`label_photo_id`), without one it cannot be."""

    __tablename__ = "quality_dispute"
    __table_args__ = (UniqueConstraint("device_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # open (waiting for staff) -> upheld (staff found it clean) or dismissed (it was contaminated)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    label_photo_id: Mapped[int | None] = mapped_column(ForeignKey("label_photo.id", ondelete="SET NULL"))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
