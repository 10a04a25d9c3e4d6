"""labelling queue: photos to label, two independent votes and a resolving one, batch claims

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("photo_key", sa.String(length=80), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("model_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("queue", "sha256"),
    )
    with op.batch_alter_table("label_photo", schema=None) as batch_op:
        batch_op.create_index("ix_label_photo_queue_priority", ["queue", "priority"], unique=False)

    op.create_table(
        "label_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("pass_no", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("labeller", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("pass_no IN (1, 2, 3)", name="ck_label_vote_pass_no"),
        sa.ForeignKeyConstraint(["photo_id"], ["label_photo.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("photo_id", "pass_no"),
    )
    with op.batch_alter_table("label_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_vote_labeller"), ["labeller"], unique=False)

    op.create_table(
        "label_claim",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("pass_no", sa.Integer(), nullable=False),
        sa.Column("labeller", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["label_photo.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id", "pass_no"),
    )
    with op.batch_alter_table("label_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_claim_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("label_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_claim_expires_at"))
    op.drop_table("label_claim")
    with op.batch_alter_table("label_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_vote_labeller"))
    op.drop_table("label_vote")
    with op.batch_alter_table("label_photo", schema=None) as batch_op:
        batch_op.drop_index("ix_label_photo_queue_priority")
    op.drop_table("label_photo")
