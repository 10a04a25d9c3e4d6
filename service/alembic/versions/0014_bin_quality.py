"""bio-bin quality: a weighing's camera result, its verdict and donated frame; households' disputes (issue 25)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("weighing") as batch:
        batch.add_column(sa.Column("quality", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("contaminated", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("photo_key", sa.String(80), nullable=True))
    op.create_table(
        "quality_dispute",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("household.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label_photo_id", sa.Integer(), sa.ForeignKey("label_photo.id", ondelete="SET NULL"), nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("device_id", "event_id"),
    )
    op.create_index("ix_quality_dispute_household_id", "quality_dispute", ["household_id"])
    op.create_index("ix_quality_dispute_status", "quality_dispute", ["status"])


def downgrade() -> None:
    op.drop_index("ix_quality_dispute_status", "quality_dispute")
    op.drop_index("ix_quality_dispute_household_id", "quality_dispute")
    op.drop_table("quality_dispute")
    with op.batch_alter_table("weighing") as batch:
        batch.drop_column("photo_key")
        batch.drop_column("contaminated")
        batch.drop_column("quality")
