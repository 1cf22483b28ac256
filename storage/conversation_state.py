"""The conversation state's table and the statements that read and write it, eTag-checked.

Persistence only: items arrive already serialised (JSON text) and leave as JSON text. The
botbuilder ``Storage`` that turns dialog state into that text, and back, is ``bot/state.py``;
nothing here knows the SDK, so a move to another bot SDK keeps this table and these statements.

eTag contract (the one every botbuilder storage documents, enforced here):

* an expected eTag of ``None``: write unconditionally (insert or overwrite);
* any other value: write only if the stored row still carries that eTag, otherwise raise
  ``StorageConflictError`` and write nothing;
* every successful write stores a fresh eTag, which the next ``read_rows`` returns.

The check-and-write is a single SQL statement (``UPDATE ... WHERE key = :k AND etag = :old``,
then ``INSERT ... ON CONFLICT DO NOTHING``), so two writers holding the same eTag cannot both
win, on SQLite or PostgreSQL, whatever process or connection they run in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Insert, Table, Text, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from storage.audit import AuditValues, write_audits
from storage.base import Base
from storage.dialects import insert_for_dialect
from storage.models import AuditEntry


class BotStateRecord(Base):
    """One stored item: a conversation's, user's or private-conversation's bot state."""

    __tablename__ = "bot_state"

    # Keys are "<channel>/conversations/<conversation id>" and the like. Teams conversation ids
    # run to hundreds of characters (thread ids with ";messageid=..."), so no length cap: TEXT
    # is unbounded on both SQLite and PostgreSQL. (A PostgreSQL btree entry must stay under
    # ~2.7 kB, far beyond any id Teams issues.)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    # jsonpickle's JSON for the item, without its eTag (that lives in its own column so the
    # conditional UPDATE can compare it without parsing JSON).
    data: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Plain Core statements on the table: there are no ORM objects to keep in sync, and every
# statement must be exactly the one the eTag check relies on.
_TABLE: Table = BotStateRecord.__table__  # type: ignore[assignment]

InsertFactory = Callable[[Table], Any]

# Every turn reads its conversation's state and most write it back: these two statements are
# built once (SQLAlchemy spends longer building a statement and its cache key than running a
# prebuilt one). The eTag check is the same single statement as ever.
_READ = select(_TABLE.c.key, _TABLE.c.data, _TABLE.c.etag).where(
    _TABLE.c.key.in_(bindparam("keys", expanding=True))
)
_UPDATE_IF_UNCHANGED = (
    update(_TABLE)
    .where(_TABLE.c.key == bindparam("state_key"), _TABLE.c.etag == bindparam("expected_etag"))
    .values(
        data=bindparam("new_data"),
        etag=bindparam("new_etag"),
        updated_at=bindparam("new_updated_at"),
    )
    .returning(_TABLE.c.key)
)

# PostgreSQL only: a changed conversation state and the turn's one audit entry in one statement
# (``SqlAlchemyStorage.write_with_audits``). The UPDATE's eTag check decides for both: the entry
# is inserted from the UPDATE's RETURNING row, so a stale eTag (or a state not stored yet)
# writes neither. A single statement is atomic without BEGIN and COMMIT, so the whole write is
# one round trip instead of four. (SQLite has no data-modifying CTEs.)
_AUDIT = AuditEntry.__table__
_AUDIT_COLUMNS = ("at", "action", "actor_staff_id", "actor_external_id", "entity_type",
                  "entity_id", "outcome", "detail")  # fmt: skip
_STATE_WRITTEN = _UPDATE_IF_UNCHANGED.cte("state_written")
_WRITE_STATE_AND_AUDIT = select(_STATE_WRITTEN.c.key).add_cte(
    insert(_AUDIT)
    .from_select(
        _AUDIT_COLUMNS,
        select(
            *(bindparam(f"audit_{c}", type_=_AUDIT.c[c].type) for c in _AUDIT_COLUMNS)
        ).select_from(_STATE_WRITTEN),
    )
    .cte("audit_written")
)


class StorageConflictError(KeyError):
    """A write carried an eTag that no longer matches the stored item; nothing was written.

    Subclasses ``KeyError`` because that is what botbuilder's ``MemoryStorage`` raises on an eTag
    conflict, so code written against it keeps catching ours.
    """

    def __init__(self, key: str, e_tag: str) -> None:
        super().__init__(key, e_tag)
        self.key = key
        self.e_tag = e_tag

    def __str__(self) -> str:
        # KeyError's own __str__ would print the args tuple; say what happened instead.
        return (
            f"eTag conflict writing {self.key!r}: it was changed or created by another writer "
            f"since it was read with eTag {self.e_tag!r}; nothing was written. "
            "Read it again and reapply the change, or write with eTag '*' to overwrite."
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def new_etag() -> str:
    return uuid.uuid4().hex


class StateStore:
    """The ``bot_state`` table, on SQLite or PostgreSQL: serialised items by key, eTag-checked.

    Each ``read_rows``/``delete`` (and ``write_with_audits``) runs in its own short transaction
    on a connection of the engine behind ``sessions`` (an ``async_sessionmaker`` bound to an
    engine, or the ``AsyncEngine``), so it never joins, commits or rolls back a caller's unit of
    work, and concurrent turns use separate connections. Plain Core connections, not ORM
    sessions: there are no ORM objects here, and a session's bookkeeping cost more than the
    statements.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | AsyncEngine,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        engine = sessions if isinstance(sessions, AsyncEngine) else sessions.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("The state store needs an AsyncEngine or a sessionmaker bound to one")
        self._engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        # One statement needs no transaction around it. On PostgreSQL, autocommit mode saves
        # the BEGIN and ROLLBACK (or COMMIT) round trips SQLAlchemy would wrap it in (the read,
        # every turn, is then one round trip); SQLite's driver here opens no transaction for a
        # SELECT.
        self._single_statement = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if self._postgresql else engine
        )
        self._insert = insert_for_dialect(engine.dialect.name)
        self._clock = clock

    async def read_rows(self, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``{key: (data, etag)}`` for the stored items among ``keys`` (missing keys absent)."""
        if not keys:
            return {}
        async with self._single_statement.connect() as connection:
            rows = await connection.execute(_READ, {"keys": list(keys)})
            return {key: (data, etag) for key, data, etag in rows}

    async def write_serialised(
        self,
        connection: AsyncConnection | AsyncSession,
        pending: Iterable[tuple[str, str, str | None]],
    ) -> None:
        """Write already serialised items ``(key, data, expected eTag or None)`` in the
        transaction ``connection`` is in (the caller commits; a conflict raises
        ``StorageConflictError`` and the caller's transaction must then be rolled back)."""
        now = self._clock()
        for key, data, expected in pending:
            values = {"data": data, "etag": new_etag(), "updated_at": now}
            if expected is None:
                await connection.execute(_upsert(self._insert, key, values))
            elif not await _write_if_unchanged(connection, self._insert, key, expected, values):
                # Leaving the transaction with an exception rolls back earlier items too.
                raise StorageConflictError(key, expected)

    async def write_with_audits(
        self, item: tuple[str, str, str | None] | None, audits: Sequence[AuditValues]
    ) -> None:
        """Write a serialised item ``(key, data, expected eTag or None)`` (or none) and audit
        entries, both or neither; a stale eTag raises ``StorageConflictError`` and writes
        neither. In as few round trips as the database allows:

        - PostgreSQL, an item whose eTag is checked (every turn of a conversation but its first)
          and at most one entry (a question about a child): one statement, the eTag-checked
          UPDATE, with the entry inserted from its RETURNING row (``_WRITE_STATE_AND_AUDIT``).
          If it wrote nothing (the eTag is stale, or nothing is stored yet), the general way
          below decides, as ``write_serialised`` does;
        - PostgreSQL, one entry and no item: the INSERT alone, atomic by itself;
        - otherwise one transaction: the entries, then the item.
        """
        if item is None and not audits:
            return
        if self._postgresql and len(audits) <= 1 and (item is None or item[2] is not None):
            async with self._single_statement.connect() as connection:
                if item is None:
                    await write_audits(connection, audits)
                    return
                key, data, expected = item
                values = {"data": data, "etag": new_etag(), "updated_at": self._clock()}
                params = _update_params(key, expected, values)
                statement = _WRITE_STATE_AND_AUDIT if audits else _UPDATE_IF_UNCHANGED
                for audit in audits:
                    params.update({f"audit_{c}": audit[c] for c in _AUDIT_COLUMNS})
                if (await connection.execute(statement, params)).first() is not None:
                    return
        async with self.transaction() as connection:
            await write_audits(connection, audits)
            if item is not None:
                await self.write_serialised(connection, [item])

    def transaction(self) -> AsyncContextManager[AsyncConnection]:
        """A connection in a transaction of its own, committed when the block ends normally."""
        return self._engine.begin()

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove the items stored under ``keys``; unknown keys are ignored."""
        doomed = list(dict.fromkeys(keys))
        if not doomed:
            return
        async with self._engine.begin() as connection:
            await connection.execute(delete(_TABLE).where(_TABLE.c.key.in_(doomed)))


def _upsert(insert: InsertFactory, key: str, values: dict[str, Any]) -> Insert:
    return (
        insert(_TABLE)
        .values(key=key, **values)
        .on_conflict_do_update(index_elements=[_TABLE.c.key], set_=values)
    )


def _update_params(key: str, expected: str, values: dict[str, Any]) -> dict[str, Any]:
    """``_UPDATE_IF_UNCHANGED``'s parameters: write ``values`` to ``key`` if it has ``expected``."""
    return {"state_key": key, "expected_etag": expected,
            **{f"new_{name}": value for name, value in values.items()}}  # fmt: skip


async def _write_if_unchanged(
    connection: AsyncConnection | AsyncSession,
    insert: InsertFactory,
    key: str,
    expected: str,
    values: dict[str, Any],
) -> bool:
    """Write ``key`` if it still has eTag ``expected`` or does not exist; False on conflict."""
    # RETURNING rather than rowcount: it reports the affected row the same way on every driver.
    # On PostgreSQL a concurrent writer's UPDATE waits for ours to commit, then re-checks the
    # WHERE clause against the new row, so it sees our fresh eTag and matches nothing.
    updated = await connection.execute(_UPDATE_IF_UNCHANGED, _update_params(key, expected, values))
    if updated.first() is not None:
        return True
    # No row with that eTag: either the key is absent (insert it, as MemoryStorage would) or it
    # holds another eTag (conflict). DO NOTHING makes a racing insert of the same key lose
    # cleanly instead of raising IntegrityError.
    inserted = await connection.execute(
        insert(_TABLE)
        .values(key=key, **values)
        .on_conflict_do_nothing(index_elements=[_TABLE.c.key])
        .returning(_TABLE.c.key)
    )
    return inserted.first() is not None
