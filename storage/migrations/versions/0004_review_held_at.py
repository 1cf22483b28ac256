"""where a review was held

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 02:30:00.000000

One nullable column, ``reviews.held_at``: the locality the review was held in (the authority's
list, or the words typed), for the annual report's reviews by locality (seed section 11). No
data step: reviews recorded before it have no locality, and are counted as not recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("held_at", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("held_at")
