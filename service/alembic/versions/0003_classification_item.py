"""the household item shown beside the material

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classification") as batch:
        batch.add_column(sa.Column("item", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("item_probability", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("classification") as batch:
        batch.drop_column("item_probability")
        batch.drop_column("item")
