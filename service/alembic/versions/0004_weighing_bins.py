"""weighing bins: devices, households, bins, weighings, challenges

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:35:35.869938
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rejected_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clock_offset_s", sa.Float(), nullable=False),
        sa.Column("review_status", sa.String(length=16), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "event_id"),
    )
    with op.batch_alter_table("rejected_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejected_event_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rejected_event_review_status"), ["review_status"], unique=False)

    op.create_table(
        "challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("reduction_pct", sa.Float(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality"],
            ["municipality.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality", "key"),
    )
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_challenge_municipality"), ["municipality"], unique=False)

    op.create_table(
        "device",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("firmware", sa.String(length=64), nullable=True),
        sa.Column("clock_offset_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_key.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "neighbourhood",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column("quarters", sa.JSON(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality"],
            ["municipality.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality", "key"),
    )
    with op.batch_alter_table("neighbourhood", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_neighbourhood_municipality"), ["municipality"], unique=False)

    op.create_table(
        "household",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_key.id"],
        ),
        sa.ForeignKeyConstraint(
            ["neighbourhood_id"],
            ["neighbourhood.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_neighbourhood_id"), ["neighbourhood_id"], unique=False)

    op.create_table(
        "bin",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("max_load_kg", sa.Float(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bin_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bin_household_id"), ["household_id"], unique=False)

    op.create_table(
        "challenge_enrolment",
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("started_week", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
        ),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("household_id", "challenge_id"),
    )
    op.create_table(
        "weighing",
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
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("weighing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weighing_bin_id"), ["bin_id"], unique=False)
        batch_op.create_index("ix_weighing_household_week", ["household_id", "week"], unique=False)
        batch_op.create_index("ix_weighing_week_stream", ["week", "stream"], unique=False)

    with op.batch_alter_table("stream", schema=None) as batch_op:
        # existing rows get FIWARE's catch-all until the rules are loaded again
        batch_op.add_column(sa.Column("waste_kind", sa.JSON(), nullable=False, server_default=sa.text("'[\"other\"]'")))


def downgrade() -> None:
    with op.batch_alter_table("stream", schema=None) as batch_op:
        batch_op.drop_column("waste_kind")

    with op.batch_alter_table("weighing", schema=None) as batch_op:
        batch_op.drop_index("ix_weighing_week_stream")
        batch_op.drop_index("ix_weighing_household_week")
        batch_op.drop_index(batch_op.f("ix_weighing_bin_id"))

    op.drop_table("weighing")
    op.drop_table("challenge_enrolment")
    with op.batch_alter_table("bin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bin_household_id"))
        batch_op.drop_index(batch_op.f("ix_bin_device_id"))

    op.drop_table("bin")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_neighbourhood_id"))

    op.drop_table("household")
    with op.batch_alter_table("neighbourhood", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_neighbourhood_municipality"))

    op.drop_table("neighbourhood")
    op.drop_table("device")
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenge_municipality"))

    op.drop_table("challenge")
    with op.batch_alter_table("rejected_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_event_review_status"))
        batch_op.drop_index(batch_op.f("ix_rejected_event_device_id"))

    op.drop_table("rejected_event")
