"""The staff labelling queue: photos, votes, claims."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zerowaste.service.db.models.base import Base


class LabelQueue(Base):
    """A labelling queue and the label set its photos are labelled with (`datasets/label_sets.py`). Stored,
    not read off the queue's name: the label set decides what a vote may say and what an export means.
    A queue gets its row when its first photo comes (an import, a disputed frame), and keeps its set.
    `label_photo.queue` has no foreign key to it (see migration 0015); a queue without a row is read as a
    classifier queue, which every queue was before there were two sets."""

    __tablename__ = "label_queue"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    label_set: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LabelPhoto(Base):
    """A photo waiting in (or done with) a staff labelling queue. The sha256 is the original file's, so a
    labels file joins it again with the folder it came from; the stored copy is only for showing it."""

    __tablename__ = "label_photo"
    __table_args__ = (
        UniqueConstraint("queue", "sha256"),
        Index("ix_label_photo_queue_priority", "queue", "priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))  # a LabelQueue's name
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
