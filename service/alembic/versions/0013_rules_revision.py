"""municipality.revision: changes with its streams, Abfall-ABC or offers, so processes reload what they keep

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("municipality") as batch:
        batch.add_column(sa.Column("revision", sa.String(32), nullable=False, server_default="0013"))


def downgrade() -> None:
    with op.batch_alter_table("municipality") as batch:
        batch.drop_column("revision")
