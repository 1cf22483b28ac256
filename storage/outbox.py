"""Writing notifications into the transactional outbox.

``enqueue`` adds a notification to the caller's transaction, so it is stored exactly when the
change that causes it is (an IR raised, a stage escalated) and never without it. The idempotency
key makes enqueueing the same notification twice harmless: the second is ignored. Delivering
them is the dispatcher's job (``bot/workers/dispatcher.py``).

Payload shape (JSON): ``{"text": str}`` and/or ``{"card": <Adaptive Card dict>, "summary": str}``,
plus optional routing keys the dispatcher and card updates use (``"ir_reference"``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_on_conflict
from storage.models import Notification


class NotificationStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after bounded retries; reported, never dropped silently
    UNREACHABLE = "unreachable"  # 403/404: the bot is not installed for them, or chat gone


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    recipient_staff_id: int,
    kind: str,
    payload: dict[str, Any],
    due_at: datetime | None = None,
) -> bool:
    """Add a notification to the session's transaction; False when ``key`` was already used."""
    values = {
        "idempotency_key": key,
        "recipient_staff_id": recipient_staff_id,
        "kind": kind,
        "payload": payload,
        "due_at": due_at or datetime.now(UTC),
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "created_at": datetime.now(UTC),
    }
    statement = (
        insert_on_conflict(session)(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
