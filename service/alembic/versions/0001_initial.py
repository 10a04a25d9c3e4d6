"""initial schema: municipality rules, offers, classifications

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:58:01.046114
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classification",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("model_sha256", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.Column("top", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "municipality",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("class_map", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "abc_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_de", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("stream_key", sa.String(length=64), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality"],
            ["municipality.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality", "key"),
    )
    with op.batch_alter_table("abc_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_abc_item_municipality"), ["municipality"], unique=False)

    op.create_table(
        "offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("quarter", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("schedule_text", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["municipality"],
            ["municipality.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality", "key"),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_municipality"), ["municipality"], unique=False)

    op.create_table(
        "stream",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("where", sa.JSON(), nullable=False),
        sa.Column("instructions", sa.JSON(), nullable=False),
        sa.Column("not_allowed", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality"],
            ["municipality.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality", "key"),
    )
    with op.batch_alter_table("stream", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stream_municipality"), ["municipality"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stream", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stream_municipality"))

    op.drop_table("stream")
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_municipality"))
        batch_op.drop_index(batch_op.f("ix_offer_kind"))

    op.drop_table("offer")
    with op.batch_alter_table("abc_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_abc_item_municipality"))

    op.drop_table("abc_item")
    op.drop_table("municipality")
    op.drop_table("classification")
