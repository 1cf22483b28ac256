"""dialog saves

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000

A new table only (no data step), so nothing existing is rebuilt. ``dialog_saves`` records the
key each confirmed dialog write was made under (``storage.dialog_saves``), so a confirmation
repeated after a crash does not write twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dialog_saves",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("dialog", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_dialog_saves")),
    )


def downgrade() -> None:
    op.drop_table("dialog_saves")
