"""Durable bot state: botbuilder's ``Storage`` contract over the store's ``bot_state`` table.

``ConversationState``/``UserState`` hand us plain dicts whose values may be arbitrary objects
(``DialogState`` holding ``DialogInstance``s, ``PromptOptions`` holding ``Activity``s, ...). We
serialise them exactly as botbuilder's own durable storages (``BlobStorage``,
``CosmosDbPartitionedStorage``) do: ``jsonpickle.Pickler().flatten`` on write (minus ``e_tag``)
and ``Unpickler().restore`` on read (plus the row's current ``e_tag``), so dialogs resume where
they stopped and the data stays JSON a person can read in the database. What dialogs store (JSON
values, ``DialogState``, ``DialogInstance``) is written and read by ``bot/state_json.py``,
which gives jsonpickle's result for it several times faster, and hands anything else to
jsonpickle.

The table and its eTag-checked statements are ``storage/conversation_state.py`` (no SDK there).
eTag contract, as botbuilder's storages document it (``SqlAlchemyStorage.write``):

* no ``e_tag``, ``None`` or ``"*"``: write unconditionally (insert or overwrite);
* ``""``: rejected with ``ValueError`` (as MemoryStorage/BlobStorage/Cosmos do);
* any other value: write only if the stored row still carries that eTag, otherwise raise
  ``StorageConflictError`` and write nothing;
* every successful write stores a fresh eTag, which the next ``read`` returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from botbuilder.core import ConversationState, Storage, TurnContext
from botbuilder.core.bot_state import CachedBotState
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import state_json
from storage.audit import AuditValues
from storage.conversation_state import StateStore, StorageConflictError

# The key botbuilder's storages use for the eTag inside a dict store item, or the attribute name
# on an object store item.
E_TAG = "e_tag"
WILDCARD_E_TAG = "*"


class StoredStateUnreadableError(Exception):
    """A stored item names a Python class that no longer exists (renamed or removed code)."""


def _class_missing(class_name: str) -> None:
    # jsonpickle would otherwise hand back the raw dict (on_missing="ignore"), which fails much
    # later and far from the cause, or raise its ClassNotFoundError, which derives from
    # BaseException and so escapes the adapter's on_turn_error handler.
    raise StoredStateUnreadableError(
        f"stored bot state refers to class {class_name!r}, which cannot be imported"
    )


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
    """botbuilder ``Storage`` over the ``bot_state`` table (``storage.conversation_state``), on
    SQLite or PostgreSQL: items serialised here, stored and eTag-checked there.
    ``write_with_audits`` writes an item together with audit entries, both or neither.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | AsyncEngine,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.store = StateStore(sessions, clock=clock) if clock else StateStore(sessions)

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
        rows = await self.store.read_rows(list(dict.fromkeys(keys)))
        return {key: (_deserialise(data, etag), data) for key, (data, etag) in rows.items()}

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
        async with self.store.transaction() as connection:
            await self.store.write_serialised(connection, pending)

    async def write_with_audits(
        self, item: tuple[str, str, str | None] | None, audits: Sequence[AuditValues]
    ) -> None:
        """``StateStore.write_with_audits``: a serialised item and audit entries, both or
        neither."""
        await self.store.write_with_audits(item, audits)

    async def delete(self, keys: Iterable[str] | None) -> None:
        """Remove the items stored under ``keys``; unknown keys are ignored."""
        if keys is None:
            raise ValueError("Keys are required when deleting")
        await self.store.delete(keys)


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


__all__ = ["SqlAlchemyStorage", "SqlConversationState", "StorageConflictError"]
