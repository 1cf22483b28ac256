"""Durable bot state: botbuilder's ``Storage`` contract over one SQLAlchemy table.

``ConversationState``/``UserState`` hand us plain dicts whose values may be arbitrary objects
(``DialogState`` holding ``DialogInstance``s, ``PromptOptions`` holding ``Activity``s, ...). We
serialise them exactly as botbuilder's own durable storages (``BlobStorage``,
``CosmosDbPartitionedStorage``) do: ``jsonpickle.Pickler().flatten`` on write (minus ``e_tag``)
and ``Unpickler().restore`` on read (plus the row's current ``e_tag``), so dialogs resume where
they stopped and the data stays JSON a person can read in the database.

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
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler
from sqlalchemy import DateTime, Insert, Table, Text, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.dialects import insert_on_conflict

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
    # safe=True: never eval() a "py/repr" tag, whatever is in the table.
    return Unpickler(safe=True, on_missing=_class_missing).restore(flat)


class SqlAlchemyStorage(Storage):
    """botbuilder ``Storage`` over the ``bot_state`` table, on SQLite or PostgreSQL.

    Each ``read``/``write``/``delete`` runs in its own short transaction from ``sessions`` (an
    ``async_sessionmaker``, or an ``AsyncEngine`` to build one from), so it never joins, commits
    or rolls back a caller's unit of work, and concurrent turns use separate connections.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | AsyncEngine,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__()
        if isinstance(sessions, AsyncEngine):
            sessions = async_sessionmaker(sessions, expire_on_commit=False)
        self._sessions = sessions
        self._clock = clock

    async def read(self, keys: Iterable[str] | None) -> dict[str, object]:
        """The stored items among ``keys``, each carrying its current eTag; missing keys are
        simply absent from the result."""
        if keys is None:
            # The message the conformance suite expects from storages that reject None.
            raise ValueError("Keys are required when reading")
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(_READ, {"keys": wanted})
            return {key: _deserialise(data, etag) for key, data, etag in rows}

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
        now = self._clock()
        # Validate and serialise everything before touching the database. Sorted so concurrent
        # multi-key batches lock rows in the same order and cannot deadlock on PostgreSQL.
        pending: list[tuple[str, str, str | None]] = []
        for key in sorted(changes):
            item = changes[key]
            expected = _etag_of(item)
            if expected == "":
                raise ValueError(
                    f"store item {key!r} has an empty eTag: use None or '*' to write "
                    "unconditionally, or the eTag it was read with"
                )
            if expected == WILDCARD_E_TAG:
                expected = None
            pending.append((key, _serialise(key, item), expected))

        async with self._sessions() as session, session.begin():
            insert = _insert_for(session)
            for key, data, expected in pending:
                values = {"data": data, "etag": _new_etag(), "updated_at": now}
                if expected is None:
                    await session.execute(_upsert(insert, key, values))
                elif not await _write_if_unchanged(session, insert, key, expected, values):
                    # Leaving the block with an exception rolls back earlier items too.
                    raise StorageConflictError(key, expected)

    async def delete(self, keys: Iterable[str] | None) -> None:
        """Remove the items stored under ``keys``; unknown keys are ignored."""
        if keys is None:
            raise ValueError("Keys are required when deleting")
        doomed = list(dict.fromkeys(keys))
        if not doomed:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(delete(_TABLE).where(_TABLE.c.key.in_(doomed)))


def _insert_for(session: AsyncSession) -> InsertFactory:
    return insert_on_conflict(session)


def _upsert(insert: InsertFactory, key: str, values: dict[str, Any]) -> Insert:
    return (
        insert(_TABLE)
        .values(key=key, **values)
        .on_conflict_do_update(index_elements=[_TABLE.c.key], set_=values)
    )


async def _write_if_unchanged(
    session: AsyncSession,
    insert: InsertFactory,
    key: str,
    expected: str,
    values: dict[str, Any],
) -> bool:
    """Write ``key`` if it still has eTag ``expected`` or does not exist; False on conflict."""
    # RETURNING rather than rowcount: it reports the affected row the same way on every driver.
    # On PostgreSQL a concurrent writer's UPDATE waits for ours to commit, then re-checks the
    # WHERE clause against the new row, so it sees our fresh eTag and matches nothing.
    updated = await session.execute(
        _UPDATE_IF_UNCHANGED,
        {"state_key": key, "expected_etag": expected,
         **{f"new_{name}": value for name, value in values.items()}},
    )  # fmt: skip
    if updated.first() is not None:
        return True
    # No row with that eTag: either the key is absent (insert it, as MemoryStorage would) or it
    # holds another eTag (conflict). DO NOTHING makes a racing insert of the same key lose
    # cleanly instead of raising IntegrityError.
    inserted = await session.execute(
        insert(_TABLE)
        .values(key=key, **values)
        .on_conflict_do_nothing(index_elements=[_TABLE.c.key])
        .returning(_TABLE.c.key)
    )
    return inserted.first() is not None
