"""streams: the words people search them by (Sperrmüll, Gelber Sack, E-Schrott)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stream") as batch:
        batch.add_column(sa.Column("synonyms", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("stream") as batch:
        batch.drop_column("synonyms")
