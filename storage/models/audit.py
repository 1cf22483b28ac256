"""The append-only audit log: every read of a child's record and every change.

The code only ever inserts here; on PostgreSQL a trigger (see the migrations) makes the database
itself refuse UPDATE and DELETE. Details hold ids and field names, never names or free text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.models._columns import created_at


class AuditEntry(Base):
    __tablename__ = "audit_log"

    # BigInteger on PostgreSQL, INTEGER (the rowid alias) on SQLite so it still autoincrements.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = created_at()
    actor_staff_id: Mapped[int | None]
    # Set when the actor is not known staff (a refused, unknown user): their AAD id or channel id.
    actor_external_id: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))  # e.g. child.read, ir.escalate, import.children
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20), default="ok")  # ok, refused, error
    detail: Mapped[dict | None] = mapped_column(JSON)


Index("ix_audit_log_entity", AuditEntry.entity_type, AuditEntry.entity_id)
Index("ix_audit_log_at", AuditEntry.at)
