"""ir card messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:39:34.345674

Written by `python -m storage.migrate new`, then reviewed by hand (see README.md): a new table
only (no data step), so nothing existing is rebuilt. ``ir_card_messages`` records every posted
copy of an IR card (conversation and activity id) so the bot can edit each one in place when the
IR moves on; ``services.ir_cards.record_delivery`` fills it after a successful send.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ir_card_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ir_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=400), nullable=False),
        sa.Column("activity_id", sa.String(length=200), nullable=False),
        sa.Column("service_url", sa.String(length=400), nullable=False),
        sa.Column("rendered_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ir_id"],
            ["issue_resolutions.id"],
            name=op.f("fk_ir_card_messages_ir_id_issue_resolutions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_ir_card_messages_staff_id_staff"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ir_card_messages")),
        sa.UniqueConstraint(
            "conversation_id", "activity_id", name=op.f("uq_ir_card_messages_conversation_id")
        ),
    )
    op.create_index("ix_ir_card_messages_ir_id", "ir_card_messages", ["ir_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ir_card_messages_ir_id", table_name="ir_card_messages")
    op.drop_table("ir_card_messages")
