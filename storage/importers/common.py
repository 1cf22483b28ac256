"""What every import's writes share: what a write did, batched look-ups and inserts.

A write takes records already read and checked (``services.imports``) and returns what happened
to each, as data: ``Written.outcomes`` (created, updated or unchanged) and the children whose
stored review schedule must be refreshed before the file's savepoint is released
(``storage.importers.schedules.refresh_schedules``). It never words anything for a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import Base
from storage.models import Child, Staff

Outcome = Literal["created", "updated", "unchanged"]

# Well under SQLite's and asyncpg's limits on bound parameters in one statement.
CHUNK = 900


def outcome(created: bool, changed: bool) -> Outcome:
    return "created" if created else "updated" if changed else "unchanged"


@dataclass
class Written:
    """What a write did: one outcome per thing written, and the children to reschedule."""

    outcomes: list[Outcome] = field(default_factory=list)
    # Children whose period of care or reviews changed, in the order they were touched.
    schedule_changed: list[Child] = field(default_factory=list)


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def children_by_id(session: AsyncSession, child_ids: Iterable[str]) -> dict[str, Child]:
    found: dict[str, Child] = {}
    for batch in chunks(sorted(set(child_ids))):
        for child in await session.scalars(select(Child).where(Child.child_id.in_(batch))):
            found[child.child_id] = child
    return found


async def insert_rows(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert many new rows in a few statements.

    ORM objects are inserted one statement per row on SQLite (it cannot match RETURNING rows
    to objects in a batch): an SSDA903 return's 12,000 reviews would take seconds that way.
    Column defaults (created_at, ...) still apply.
    """
    for batch in chunks(rows, 1000):
        await session.execute(insert(model).execution_options(render_nulls=True), batch)


async def all_staff(session: AsyncSession) -> list[Staff]:
    # An authority has hundreds of staff, not millions: one query beats many look-ups.
    return list(await session.scalars(select(Staff)))
