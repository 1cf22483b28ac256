"""Writing to the append-only audit log. There is deliberately no update or delete here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry

_EXTERNAL_ID_LENGTH = AuditEntry.__table__.c.actor_external_id.type.length
_ENTITY_ID_LENGTH = AuditEntry.__table__.c.entity_id.type.length


def _fitted(value: str | None, length: int) -> str | None:
    """An id cut to its column: a forged request's id can be any length, and an entry that
    PostgreSQL refused (too long for the column) would lose the refusal it records."""
    return value if value is None or len(value) <= length else value[: length - 1] + "…"


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
        actor_external_id=_fitted(actor_external_id, _EXTERNAL_ID_LENGTH),
        entity_type=entity_type,
        entity_id=_fitted(None if entity_id is None else str(entity_id), _ENTITY_ID_LENGTH),
        outcome=outcome,
        detail=detail,
    )
    session.add(entry)
    return entry
