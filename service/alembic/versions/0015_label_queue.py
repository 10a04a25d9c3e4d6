"""label_queue: each labelling queue's label set (classifier or contamination)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Every queue so far was labelled with the classifier's labels, the only set there was. A queue that
# holds only disputed bio-bin frames and no vote yet becomes a contamination queue, as the service makes
# its quality queue from now on; one already voted on keeps the set its votes were given in (the
# service then asks for another ZEROWASTE_QUALITY_QUEUE at start rather than mixing two sets), and so
# does one that also holds imported photos, which the contamination labels could not describe.
BACKFILL = """
INSERT INTO label_queue (name, label_set, created_at)
SELECT queue,
       CASE WHEN queue IN (SELECT p.queue FROM label_photo p JOIN quality_dispute d ON d.label_photo_id = p.id)
             AND queue NOT IN (SELECT p.queue FROM label_photo p JOIN label_vote v ON v.photo_id = p.id)
             AND queue NOT IN (
                 SELECT p.queue FROM label_photo p
                 WHERE NOT EXISTS (SELECT 1 FROM quality_dispute d WHERE d.label_photo_id = p.id)
             )
            THEN 'contamination' ELSE 'classifier' END,
       MIN(created_at)
FROM label_photo
GROUP BY queue
"""


def upgrade() -> None:
    op.create_table(
        "label_queue",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("label_set", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute(BACKFILL)
    # No foreign key from label_photo.queue: on SQLite adding one rebuilds label_photo, and dropping the
    # old table with foreign keys on (service/db/engine.py) would cascade into every vote and claim.


def downgrade() -> None:
    op.drop_table("label_queue")
