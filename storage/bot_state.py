"""Durable bot state: botbuilder's ``Storage`` contract over one SQLAlchemy table.

``ConversationState``/``UserState`` hand us plain dicts whose values may be arbitrary objects
(``DialogState`` holding ``DialogInstance``s, ``PromptOptions`` holding ``Activity``s, ...). We
serialise them exactly as botbuilder's own durable storages (``BlobStorage``,
``CosmosDbPartitionedStorage``) do: ``jsonpickle.Pickler().flatten`` on write (minus ``e_tag``)
and ``Unpickler().restore`` on read (plus the row's current ``e_tag``), so dialogs resume where
they stopped and the data stays JSON a person can read in the database. What dialogs store (JSON
values, ``DialogState``, ``DialogInstance``) is written and read by ``storage/state_json.py``,
which gives jsonpickle's result for it several times faster, and hands anything else to
jsonpickle.

eTag contract (the one every botbuilder storage documents; see ``SqlAlchemyStorage.write``):

* no ``e_tag``, ``None`` or ``"*"``: write unconditionally (insert or overwrite);
* ``""``: rejected with ``ValueError`` (as MemoryStorage/BlobStorage/Cosmos do);
* any other value: write only if the stored row still carries that eTag, otherwise raise
  ``StorageConflictError`` and write nothing;
* every successful write stores a fresh eTag, which the next ``read`` returns.

The check-and-write is a single SQL statement (``UPDATE ... WHERE key = :k AND etag = :old``,
then ``INSERT ... ON CONFLICT DO NOTHING``), so two writers holding the same eTag cannot both
win, on SQLite or PostgreSQL, whatever process or connection they run in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import ConversationState, Storage, TurnContext
from botbuilder.core.bot_state import CachedBotState
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler
from sqlalchemy import DateTime, Insert, Table, Text, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from storage import state_json
from storage.audit import AuditValues, write_audits
from storage.base import Base
from storage.dialects import insert_for_dialect
from storage.models import AuditEntry

# The key botbuilder's storages use for the eTag inside a dict store item, or the attribute name
# on an object store item.
E_TAG = "e_tag"
WILDCARD_E_TAG = "*"


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


class StoredStateUnreadableError(Exception):
    """A stored item names a Python class that no longer exists (renamed or removed code)."""


def _class_missing(class_name: str) -> None:
    # jsonpickle would otherwise hand back the raw dict (on_missing="ignore"), which fails much
    # later and far from the cause, or raise its ClassNotFoundError, which derives from
    # BaseException and so escapes the adapter's on_turn_error handler.
    raise StoredStateUnreadableError(
        f"stored bot state refers to class {class_name!r}, which cannot be imported"
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_etag() -> str:
    return uuid.uuid4().hex


def _etag_of(item: object) -> str | None:
    """The eTag a store item carries, found where botbuilder's storages look for it."""
    if isinstance(item, Mapping):
        value = item.get(E_TAG)
    else:
        value = getattr(item, E_TAG, None)
    return None if value is None else str(value)


def _serialise(key: str, item: object) -> str:
    try:
        flat = state_json.flatten(item)
    except state_json.Unsure:
        flat = Pickler().flatten(item)
    if not isinstance(flat, dict):
        # Only dicts and objects have somewhere to carry an eTag when read back.
        raise TypeError(f"store item {key!r} must be a dict or an object, not {type(item)!r}")
    # The eTag is the row's, not the item's: never persist the one the caller read.
    flat.pop(E_TAG, None)
    return json.dumps(flat, ensure_ascii=False)


def _deserialise(data: str, etag: str) -> object:
    flat = json.loads(data)
    flat[E_TAG] = etag
    try:
        return state_json.restore(flat)
    except state_json.Unsure:
        # safe=True: never eval() a "py/repr" tag, whatever is in the table.
        return Unpickler(safe=True, on_missing=_class_missing).restore(flat)


class SqlAlchemyStorage(Storage):
    """botbuilder ``Storage`` over the ``bot_state`` table, on SQLite or PostgreSQL.

    Each ``read``/``write``/``delete`` runs in its own short transaction on a connection of the
    engine behind ``sessions`` (an ``async_sessionmaker`` bound to an engine, or the
    ``AsyncEngine``), so it never joins, commits or rolls back a caller's unit of work, and
    concurrent turns use separate connections. Plain Core connections, not ORM sessions: there
    are no ORM objects here, and a session's bookkeeping cost more than the statements.
    ``write_with_audits`` writes an item together with audit entries, both or neither.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | AsyncEngine,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__()
        engine = sessions if isinstance(sessions, AsyncEngine) else sessions.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("SqlAlchemyStorage needs an AsyncEngine or a sessionmaker bound to one")
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

    async def read(self, keys: Iterable[str] | None) -> dict[str, object]:
        """The stored items among ``keys``, each carrying its current eTag; missing keys are
        simply absent from the result."""
        return {key: value for key, (value, _data) in (await self.read_stored(keys)).items()}

    async def read_stored(self, keys: Iterable[str] | None) -> dict[str, tuple[object, str]]:
        """``read``, with each item's stored JSON beside it (what ``SqlConversationState``
        compares a turn's state with, to write only what changed)."""
        if keys is None:
            # The message the conformance suite expects from storages that reject None.
            raise ValueError("Keys are required when reading")
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        async with self._single_statement.connect() as connection:
            rows = await connection.execute(_READ, {"keys": wanted})
            return {key: (_deserialise(data, etag), data) for key, data, etag in rows}

    async def write(self, changes: Mapping[str, object] | None) -> None:
        """Store every item in ``changes``, all or nothing.

        An item without an eTag, or with ``"*"``, is written unconditionally. An item with any
        other eTag is written only if the stored row still has it; if the key is not stored at
        all it is inserted, as MemoryStorage does (the eTag cannot be stale against nothing).
        If any item's eTag is stale the whole batch is rolled back and ``StorageConflictError``
        is raised. The caller's objects are never modified: read again to get the new eTags.
        """
        if changes is None:
            # The message the conformance suite expects.
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        # Validate and serialise everything before touching the database. Sorted so concurrent
        # multi-key batches lock rows in the same order and cannot deadlock on PostgreSQL.
        pending = [
            (key, _serialise(key, changes[key]), _expected_etag(key, changes[key]))
            for key in sorted(changes)
        ]
        async with self.transaction() as connection:
            await self.write_serialised(connection, pending)

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
            values = {"data": data, "etag": _new_etag(), "updated_at": now}
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
                values = {"data": data, "etag": _new_etag(), "updated_at": self._clock()}
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

    async def delete(self, keys: Iterable[str] | None) -> None:
        """Remove the items stored under ``keys``; unknown keys are ignored."""
        if keys is None:
            raise ValueError("Keys are required when deleting")
        doomed = list(dict.fromkeys(keys))
        if not doomed:
            return
        async with self._engine.begin() as connection:
            await connection.execute(delete(_TABLE).where(_TABLE.c.key.in_(doomed)))


class _StoredState(CachedBotState):
    """botbuilder's per-turn cache of a state, holding the JSON and eTag it was read with.

    botbuilder's ``CachedBotState`` flattens the whole state with jsonpickle to hash it when it
    is read, again to see whether it changed, then the storage flattens it to write it, then
    botbuilder a fourth time to hash what it wrote: four walks of a dialog stack, ~1 ms a turn.
    Here it is flattened once, at the end of the turn, and compared with the stored JSON: equal
    JSON (and eTag) is the same state, so nothing is written, as botbuilder's hash check would
    decide; anything else is written.
    """

    def __init__(self, state: dict[str, object] | None, data: str | None) -> None:
        # CachedBotState.__init__ is not called: it would hash the state straight away.
        self.state = state if state is not None else {}
        self.data = data
        self.etag = _etag_of(self.state)

    def serialised(self, key: str) -> str:
        return _serialise(key, self.state)

    def changed(self, data: str) -> bool:
        return data != self.data or _etag_of(self.state) != self.etag

    @property
    def is_changed(self) -> bool:
        return self.changed(_serialise("state", self.state))


class SqlConversationState(ConversationState):
    """botbuilder's ``ConversationState`` over ``SqlAlchemyStorage``, walking the state once a
    turn (see ``_StoredState``), and able to save the state with the audit entries of the
    question that changed it, both or neither (``save_changes_with``). Anything it does not
    recognise (state cleared by ``clear_state``, another storage) goes botbuilder's way."""

    def __init__(self, storage: SqlAlchemyStorage) -> None:
        super().__init__(storage)
        self._sql = storage

    async def load(self, turn_context: TurnContext, force: bool = False) -> None:
        cached = self.get_cached_state(turn_context)
        key = self.get_storage_key(turn_context)
        # The same condition as BotState.load.
        if force or not cached or not cached.state:
            found = (await self._sql.read_stored([key])).get(key)
            state, data = found if found is not None else (None, None)
            turn_context.turn_state[self._context_service_key] = _StoredState(state, data)

    async def save_changes(self, turn_context: TurnContext, force: bool = False) -> None:
        cached = self.get_cached_state(turn_context)
        if not isinstance(cached, _StoredState):
            await super().save_changes(turn_context, force)
            return
        key = self.get_storage_key(turn_context)
        data = cached.serialised(key)
        if force or cached.changed(data):
            await self._write(cached, key, data, [])

    async def save_changes_with(
        self, turn_context: TurnContext, audits: Sequence[AuditValues]
    ) -> None:
        """Save the turn's state, if it changed, with ``audits`` (the entries a question's
        session held): both or neither (``SqlAlchemyStorage.write_with_audits``). A stale eTag
        raises ``StorageConflictError`` and writes neither."""
        cached = self.get_cached_state(turn_context)
        if not isinstance(cached, _StoredState):
            # botbuilder's own save, at the end of the turn, writes the state.
            await self._sql.write_with_audits(None, audits)
            return
        key = self.get_storage_key(turn_context)
        data = cached.serialised(key)
        if cached.changed(data):
            await self._write(cached, key, data, audits)
        else:
            await self._sql.write_with_audits(None, audits)

    async def _write(
        self, cached: _StoredState, key: str, data: str, audits: Sequence[AuditValues]
    ) -> None:
        await self._sql.write_with_audits((key, data, _expected_etag(key, cached.state)), audits)
        # As botbuilder does after a write: the state keeps the eTag it was read with, and
        # counts as unchanged until it changes again.
        cached.data, cached.etag = data, _etag_of(cached.state)


def _expected_etag(key: str, item: object) -> str | None:
    """The eTag a write of ``item`` must find stored, or None to write unconditionally."""
    expected = _etag_of(item)
    if expected == "":
        raise ValueError(
            f"store item {key!r} has an empty eTag: use None or '*' to write "
            "unconditionally, or the eTag it was read with"
        )
    return None if expected == WILDCARD_E_TAG else expected


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
