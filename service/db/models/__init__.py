"""Tables (SQLAlchemy 2 typed ORM), one module per area. Rows never go straight into responses: see
service/schemas/. Importing this package registers every table on Base.metadata (Alembic compares
the migrations with it)."""

from __future__ import annotations

from zerowaste.service.db.models.base import Base
from zerowaste.service.db.models.citizen import ApiKey, Classification, Feedback
from zerowaste.service.db.models.labelling import LabelClaim, LabelPhoto, LabelQueue, LabelVote
from zerowaste.service.db.models.pilot import (
    Bin,
    Challenge,
    ChallengeEnrolment,
    Device,
    Household,
    Neighbourhood,
    NeighbourhoodWeek,
    NeighbourhoodWeekChange,
    RejectedEvent,
    Weighing,
)
from zerowaste.service.db.models.quality import QualityDispute
from zerowaste.service.db.models.registry import ChannelAssignment, ModelAudit, ModelVersion
from zerowaste.service.db.models.rules import AbcItem, Municipality, Offer, Stream

__all__ = [
    "AbcItem",
    "ApiKey",
    "Base",
    "Bin",
    "Challenge",
    "ChallengeEnrolment",
    "ChannelAssignment",
    "Classification",
    "Device",
    "Feedback",
    "Household",
    "LabelClaim",
    "LabelPhoto",
    "LabelQueue",
    "LabelVote",
    "ModelAudit",
    "ModelVersion",
    "Municipality",
    "Neighbourhood",
    "NeighbourhoodWeek",
    "NeighbourhoodWeekChange",
    "Offer",
    "QualityDispute",
    "RejectedEvent",
    "Stream",
    "Weighing",
]
