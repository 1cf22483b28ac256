"""Writing to the append-only audit log. There is deliberately no update or delete here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record_audit(
    session: AsyncSession,
    action: str,
    *,
    actor_staff_id: int | None = None,
    actor_external_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session's transaction (it commits with the change it records).

    ``detail`` holds ids, counts and field names only: never a child's name or free text.
    """
    entry = AuditEntry(
        action=action,
        actor_staff_id=actor_staff_id,
        actor_external_id=actor_external_id,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        outcome=outcome,
        detail=detail,
    )
    session.add(entry)
    return entry
