"""aiosqlite connections that run each statement in one trip to the worker thread.

aiosqlite runs every sqlite3 call on a worker thread and hands the result back to the event loop
(a queue put, a GIL hand-over, ``call_soon_threadsafe``, an epoll wake-up): ~0.12 ms of CPU per
trip on the project's machine. SQLAlchemy's aiosqlite adapter makes four trips per statement
(create a cursor, execute, fetch all rows, close the cursor), plus one to roll back every
connection returned to the pool, even right after a commit. A bot turn runs ~8 statements in ~3
transactions, so the trips alone cost more CPU than a turn of the bare aiohttp floor.

``OneHopConnection`` is an ``aiosqlite.Connection`` whose cursors do all four steps in one trip
(the rows are fetched there and buffered), and whose ``commit``/``rollback`` skip the trip when
no statement ran since the last one (nothing can be pending: in sqlite3's default transaction
handling only a statement opens a transaction). It is handed to SQLAlchemy through
``create_async_engine(async_creator=...)``, the documented way to supply a driver connection;
SQLAlchemy's own aiosqlite adapter still wraps it, so SQL, types, pooling and error handling are
unchanged. The URL's connection arguments are read by SQLAlchemy's own SQLite dialect
(``create_connect_args``), so a URL means the same file and options as before.

What a cursor offers is what SQLAlchemy's adapter uses (``description``, ``rowcount``,
``lastrowid``, ``execute``, ``executemany``, ``fetchall``/``fetchone``/``fetchmany``, ``close``).
The project streams no results (no ``yield_per``/``stream``); if it did, rows would still be
right but would all be held in memory at once. Written against aiosqlite 0.22.1 (pinned):
``Connection._execute`` (queue a call for the worker thread) and ``_conn`` (the sqlite3
connection, used only on that thread) are its internals; ``tests/integration`` runs the whole
store on these connections and ``tests/unit/test_sqlite_driver.py`` pins the trip counts.

Writers queue in the process (``WriterQueue``). SQLite has one write lock per database; a
connection that finds it taken sleeps in SQLite's busy handler (1, 2, 5, ... 100 ms steps) and
tries again, so under load a turn could wait out sleeps long after the lock was free (p99 of
0.5-0.9 s at 8 users). Here a connection takes the process's writer queue (an ``asyncio.Lock``,
first come first served) before its first write, and leaves it when its transaction ends
(commit, rollback, close, or a write that opened none): writers of this process wait for each
other without sleeping, and the busy handler is left to writers in other processes (the
worker, a command). Reads never queue (WAL). A writer that waits longer than the busy timeout
gets SQLite's own "database is locked", as it would have from SQLite. A transaction that holds
the queue across a long wait blocks this process's writers exactly as it would block them on
SQLite's lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.engine import make_url

Row = tuple[Any, ...]
Description = tuple[tuple[Any, ...], ...] | None


#: Statements that never take SQLite's write lock. Every other statement queues first (writes,
#: ``BEGIN IMMEDIATE``, DDL): a connection holding the lock while waiting for the queue, behind
#: a queued writer waiting for the lock, would stall both until the busy timeout.
READ_STATEMENTS = ("SELECT", "PRAGMA", "EXPLAIN", "WITH", "BEGIN", "SAVEPOINT", "RELEASE")
#: ... except these forms of BEGIN, which take it at once.
LOCKING_BEGINS = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


def is_write(sql: str) -> bool:
    """Whether ``sql`` may take SQLite's write lock (and so must queue for it first)."""
    head = " ".join(sql[:40].split()).upper()
    return head.startswith(LOCKING_BEGINS) or not head.startswith(READ_STATEMENTS)


class WriterQueue:
    """One writer at a time per database, among this process's connections (see above).

    One ``asyncio.Lock`` per event loop (a lock belongs to the loop it is used on; tests and
    commands may run several loops in turn).
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    async def acquire(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(self._timeout):
                await lock.acquire()
        except TimeoutError:
            # What SQLite says when its busy timeout runs out; SQLAlchemy maps it as usual.
            raise sqlite3.OperationalError("database is locked") from None
        return lock


def _execute(
    connection: aiosqlite.Connection, sql: str, parameters: Any
) -> tuple[Description, list[Row], int, int | None]:
    """On the worker thread: one statement, start to finish."""
    cursor = connection._conn.cursor()
    try:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _execute_many(
    connection: aiosqlite.Connection, sql: str, parameters: Iterable[Any]
) -> tuple[int, int | None]:
    cursor = connection._conn.cursor()
    try:
        cursor.executemany(sql, parameters)
        return cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor:
    """A cursor whose statement runs, and whose rows are fetched, in one worker-thread trip."""

    arraysize = 1

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Row] = []

    # SQLAlchemy enters the cursor as an async context; there is nothing to open.
    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneHopCursor:
        if is_write(sql):
            await self._connection.queue_for_writing()
        self.description, self._rows, self.rowcount, self.lastrowid = (
            await self._connection.on_worker(_execute, self._connection, sql, parameters)
        )  # fmt: skip
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneHopCursor:
        await self._connection.queue_for_writing()  # executemany is for writes only
        self.description, self._rows = None, []
        self.rowcount, self.lastrowid = await self._connection.on_worker(
            _execute_many, self._connection, sql, parameters
        )
        return self

    async def fetchall(self) -> list[Row]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Row | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def close(self) -> None:
        # The sqlite3 cursor was closed on the worker thread already.
        self._rows = []


class OneHopConnection(aiosqlite.Connection):
    def __init__(
        self, connector: Callable[[], sqlite3.Connection], writers: WriterQueue | None = None
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        # As SQLAlchemy does for the connections it opens itself: a pooled connection's worker
        # thread must not keep the process alive at exit.
        self._thread.daemon = True
        # True while a transaction may be open (sqlite3 opens one before a write, not a read).
        self._pending = True
        self._writers = writers
        self._writing: asyncio.Lock | None = None  # the writer queue, while this one holds it

    async def queue_for_writing(self) -> None:
        if self._writers is not None and self._writing is None:
            self._writing = await self._writers.acquire()

    async def on_worker(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await self._execute(fn, *args)
        finally:
            self._transaction_may_have_ended()

    def _transaction_may_have_ended(self) -> None:
        # Read on the event loop once the worker is done with the connection: sqlite3's flag
        # for "a transaction is open" (no statement of this connection is running now).
        connection = self._connection  # None once closed: no transaction then either
        self._pending = connection is not None and connection.in_transaction
        if not self._pending and self._writing is not None:
            self._writing, writing = None, self._writing
            writing.release()

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    async def commit(self) -> None:
        # With no transaction open there is nothing to commit: no trip.
        if self._pending:
            await self.on_worker(self._conn.commit)

    async def rollback(self) -> None:
        # The pool rolls back every connection it takes back, including just after a commit or
        # a read (sqlite3 opens no transaction for a SELECT): then there is nothing to roll back.
        if self._pending:
            await self.on_worker(self._conn.rollback)

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            if self._writing is not None:
                self._writing, writing = None, self._writing
                writing.release()


def one_hop_creator(
    url: str, connect_args: dict[str, Any] | None = None
) -> Callable[[], Awaitable[OneHopConnection]]:
    """An ``async_creator`` for ``create_async_engine`` opening ``url`` as aiosqlite would."""
    parsed = make_url(url)
    dialect = parsed.get_dialect()()
    args: Sequence[Any]
    args, params = dialect.create_connect_args(parsed)
    params = {**params, **(connect_args or {})}

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(*args, **params)

    # One queue for every connection this creator opens (one engine, one database file); a
    # writer waits in it at most as long as sqlite3 would wait for the lock.
    writers = WriterQueue(float(params.get("timeout", 5.0)))

    async def create() -> OneHopConnection:
        return await OneHopConnection(connector, writers)

    return create
