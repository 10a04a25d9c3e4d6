"""weighing ids per device: the primary key is (device_id, event_id), not the event id alone

One device's id could shadow another device's real event (ids are made on the devices). The table is
rebuilt under the new key; every row keeps its values.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = (
    "event_id, bin_id, household_id, device_id, stream, kind, net_kg, gross_kg, measured_at, device_time, "
    "week, received_at, firmware, calibration_version"
)
INDEXES = {
    "ix_weighing_bin_id": ["bin_id"],
    "ix_weighing_household_week": ["household_id", "week"],
    "ix_weighing_week_stream": ["week", "stream"],
}


def _rebuild(primary_key: list[str]) -> None:
    op.create_table(
        "weighing_rebuilt",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("bin_id", sa.String(length=64), nullable=False),
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("net_kg", sa.Float(), nullable=False),
        sa.Column("gross_kg", sa.Float(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("firmware", sa.String(length=64), nullable=False),
        sa.Column("calibration_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bin_id"], ["bin.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*primary_key),
    )
    op.execute(f"INSERT INTO weighing_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM weighing")
    for name in INDEXES:
        op.drop_index(name, table_name="weighing")
    op.drop_table("weighing")
    op.rename_table("weighing_rebuilt", "weighing")
    for name, columns in INDEXES.items():
        op.create_index(name, "weighing", columns, unique=False)


def upgrade() -> None:
    _rebuild(["device_id", "event_id"])


def downgrade() -> None:
    _rebuild(["event_id"])  # fails if two devices used one id: their events were not one event
