"""bins: since when the scale has weighed under them (staff may date a bin back to its installation)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 21:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_service_from", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bin", schema=None) as batch_op:
        batch_op.drop_column("in_service_from")
