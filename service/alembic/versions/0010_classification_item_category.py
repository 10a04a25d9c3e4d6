"""the item's category, or the category alone where no single item was sure

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classification") as batch:
        batch.add_column(sa.Column("item_category", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("item_category_probability", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("classification") as batch:
        batch.drop_column("item_category_probability")
        batch.drop_column("item_category")
