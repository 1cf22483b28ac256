"""The transactional outbox: a notification is written in the same transaction as its cause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.models._columns import created_at


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Makes writing the same notification twice harmless (e.g. "IR-2026-0042:stage-1:due-2").
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    # timezone=True like every other timestamp: a naive TIMESTAMP column on PostgreSQL refuses
    # the aware UTC datetimes the code writes (asyncpg raises DataError), while SQLite accepts them.
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # pending, sending, sent, failed, unreachable
    status: Mapped[str] = mapped_column(String(14), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Index("ix_notifications_status_due", Notification.status, Notification.due_at)
