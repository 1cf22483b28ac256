"""Writing to the append-only audit log. There is deliberately no update or delete here.

An entry is written in the caller's transaction when it is recorded, so it commits with the
change it records or not at all. A question's session (``services.context.Services.answering``)
instead *holds* its entries (``hold_audits``): its reads run outside a transaction, and the
entries are written at the end of the turn together with the conversation state
(``bot.state.SqlAlchemyStorage.write_with_audits``), both or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.ports import StaffMember
from storage.models import AuditEntry
from storage.models._columns import utcnow

#: One entry's column values, as ``audit_values`` makes them.
AuditValues = dict[str, Any]
#: Where a session keeps the entries it holds (``hold_audits``), in its ``info``.
_HELD = "iro.audit.held"

_EXTERNAL_ID_LENGTH = AuditEntry.__table__.c.actor_external_id.type.length
_ENTITY_ID_LENGTH = AuditEntry.__table__.c.entity_id.type.length
#: Built once: the values are bound parameters, so SQLAlchemy compiles it once per dialect.
_INSERT = insert(AuditEntry.__table__)


def _fitted(value: str | None, length: int) -> str | None:
    """An id cut to its column: a forged request's id can be any length, and an entry that
    PostgreSQL refused (too long for the column) would lose the refusal it records."""
    return value if value is None or len(value) <= length else value[: length - 1] + "…"


async def record_audit(
    session: AsyncSession | AsyncConnection,
    action: str,
    *,
    actor_staff_id: int | None = None,
    actor_external_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Write an audit entry in the session's transaction (it commits with the change it records,
    or not at all), or hold it if the session holds its entries (``hold_audits``).

    A Core INSERT rather than an ORM object flushed later: an entry is never read back or
    changed, so the unit of work's bookkeeping (~0.6 ms of CPU an entry, with every read of a
    child audited) bought nothing. ``detail`` holds ids, counts and field names only: never a
    child's name or free text.
    """
    values: AuditValues = {
        "at": utcnow(),
        "action": action,
        "actor_staff_id": actor_staff_id,
        "actor_external_id": _fitted(actor_external_id, _EXTERNAL_ID_LENGTH),
        "entity_type": entity_type,
        "entity_id": _fitted(None if entity_id is None else str(entity_id), _ENTITY_ID_LENGTH),
        "outcome": outcome,
        "detail": detail,
    }
    held: list[AuditValues] | None = session.info.get(_HELD)
    if held is not None:
        held.append(values)
    else:
        await session.execute(_INSERT, values)


async def write_audits(
    session: AsyncSession | AsyncConnection, entries: Sequence[AuditValues]
) -> None:
    """Write held entries in the session's transaction (one statement)."""
    if entries:
        await session.execute(_INSERT, list(entries))


def hold_audits(session: AsyncSession) -> None:
    """From now on ``record_audit`` keeps the session's entries for ``take_held_audits``."""
    session.info[_HELD] = []


def take_held_audits(session: AsyncSession) -> list[AuditValues]:
    """The entries held so far, now the caller's to write (the session holds none after)."""
    held: list[AuditValues] = session.info.get(_HELD, [])
    if _HELD in session.info:
        session.info[_HELD] = []
    return held


async def audit_child_read(
    session: AsyncSession, staff: StaffMember, child_pk: int, what: str
) -> None:
    """A child's record shown to ``staff`` (``what``: which answer or check read it)."""
    await record_audit(session, "child.read", actor_staff_id=staff.id, entity_type="child",
                       entity_id=child_pk, detail={"what": what})  # fmt: skip
