"""neighbourhood_week: stored medians of complete weeks, and the change counts that retire them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "neighbourhood_week",
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("min_group", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("medians", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["neighbourhood_id"], ["neighbourhood.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("neighbourhood_id", "week", "min_group"),
    )
    op.create_table(
        "neighbourhood_week_change",
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["neighbourhood_id"], ["neighbourhood.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("neighbourhood_id", "week"),
    )


def downgrade() -> None:
    op.drop_table("neighbourhood_week_change")
    op.drop_table("neighbourhood_week")
