"""storage/sqlite_driver.py: one worker-thread trip per statement, and nothing else changes.

The whole integration suite runs on these connections (``storage.engine.create_engine``); here
are the trip counts it promises and the driver behaviour SQLAlchemy relies on: rows, rowcount,
lastrowid, RETURNING, executemany, errors, rollback, and the URL's connection arguments.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine, session_factory
from storage.sqlite_driver import OneHopConnection, WriterQueue, is_write

METADATA = MetaData()
THINGS = Table(
    "things", METADATA,
    Column("id", Integer, primary_key=True), Column("name", String(20), unique=True),
)  # fmt: skip


class Trips:
    """Counts calls queued for aiosqlite's worker thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        queue = OneHopConnection._execute

        def counted(connection: OneHopConnection, fn: object, *args: object) -> object:
            self.count += 1
            return queue(connection, fn, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(OneHopConnection, "_execute", counted)


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield engine
    await engine.dispose()


async def test_a_statement_is_one_trip_and_a_committed_transaction_one_more(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await session.execute(text("SELECT 1"))  # the pool has a connection open now
    trips = Trips(monkeypatch)
    async with sessions() as session, session.begin():
        await session.execute(text("SELECT 1"))
        await session.execute(text("SELECT 2"))
    # Two statements; no pre-ping, no commit and no rollback when the pool takes the connection
    # back (sqlite3 opens no transaction for a read, so there is none to end). aiosqlite +
    # SQLAlchemy made 14.
    assert trips.count == 2
    trips.count = 0
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
    assert trips.count == 1
    trips.count = 0
    async with sessions() as session, session.begin():
        await session.execute(insert(THINGS).values(name="w"))
    assert trips.count == 2  # the write, and the commit of the transaction it opened


async def test_rows_rowcount_lastrowid_returning_and_executemany(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(insert(THINGS).values(name="a"))
        assert inserted.inserted_primary_key == (1,)
        many = await connection.execute(insert(THINGS), [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2
        changed = await connection.execute(
            update(THINGS).where(THINGS.c.id > 1).values(name=THINGS.c.name + "2")
        )
        assert changed.rowcount == 2
    async with engine.begin() as connection:
        returned = await connection.execute(
            update(THINGS).where(THINGS.c.id == 1).values(name="a1").returning(THINGS.c.name)
        )
        assert returned.all() == [("a1",)]
        rows = await connection.execute(select(THINGS.c.id, THINGS.c.name).order_by(THINGS.c.id))
        assert rows.all() == [(1, "a1"), (2, "b2"), (3, "c2")]
        one = await connection.execute(select(THINGS.c.name).where(THINGS.c.id == 9))
        assert one.first() is None


async def test_an_error_is_sqlalchemy_s_and_the_transaction_rolls_back(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(THINGS).values(name="kept"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(THINGS).values(name="dropped"))
            await connection.execute(insert(THINGS).values(name="kept"))  # unique: fails
    async with engine.connect() as connection:
        names = (await connection.execute(select(THINGS.c.name))).scalars().all()
    assert names == ["kept"]


async def test_a_rolled_back_write_is_gone(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(insert(THINGS).values(name="never"))
        await connection.rollback()
        assert (await connection.execute(select(THINGS.c.name))).all() == []


async def test_the_url_and_the_engine_settings_reach_the_connection(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, OneHopConnection)


# -- the writer queue -----------------------------------------------------------------------------


async def test_a_second_writer_waits_in_the_queue_not_in_sqlite_s_busy_handler(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []  # what reached the worker threads, in order
    queue = OneHopConnection._execute

    def recorded(connection: OneHopConnection, fn: object, *args: object, **kw: object) -> object:
        sql = args[1] if len(args) > 1 and isinstance(args[1], str) else getattr(fn, "__name__", "")
        if sql.split()[0] in ("INSERT", "commit"):  # not a new connection's set-up
            sent.append(f"{id(connection)} {sql.split()[0]}")
        return queue(connection, fn, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(OneHopConnection, "_execute", recorded)
    first_wrote = asyncio.Event()

    async def first() -> None:
        async with engine.begin() as connection:
            await connection.execute(insert(THINGS).values(name="first"))
            first_wrote.set()
            await asyncio.sleep(0.2)  # the write lock is held meanwhile

    async def second() -> None:
        await first_wrote.wait()
        async with engine.begin() as connection:
            await connection.execute(insert(THINGS).values(name="second"))

    await asyncio.gather(first(), second())
    steps = [step.split()[1] for step in sent]
    owners = [step.split()[0] for step in sent]
    # The second INSERT went to SQLite only after the first transaction's commit (had it gone
    # at once, its worker thread would have slept in the busy handler until the lock was free).
    assert steps == ["INSERT", "commit", "INSERT", "commit"]
    assert owners[0] == owners[1] != owners[2] == owners[3]
    async with engine.connect() as connection:
        names = (await connection.execute(select(THINGS.c.name).order_by(THINGS.c.id))).scalars()
        assert names.all() == ["first", "second"]


async def test_the_queue_is_left_after_a_rollback_and_a_failed_write(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(THINGS).values(name="kept"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(THINGS).values(name="kept"))
    async with engine.connect() as connection:
        await connection.execute(insert(THINGS).values(name="rolled back"))
        await connection.rollback()
    async with asyncio.timeout(5):  # a queue left held would block this for 30 s
        async with engine.begin() as connection:
            await connection.execute(insert(THINGS).values(name="after"))
    async with engine.connect() as connection:
        names = (await connection.execute(select(THINGS.c.name).order_by(THINGS.c.id))).scalars()
        assert names.all() == ["kept", "after"]


async def test_a_writer_waiting_past_the_busy_timeout_gets_database_is_locked(
    tmp_path: Path,
) -> None:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'locked.db'}", connect_args={"timeout": 0.2}
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        async with engine.begin() as holder:
            await holder.execute(insert(THINGS).values(name="holder"))
            with pytest.raises(OperationalError, match="database is locked"):
                async with engine.begin() as waiter:
                    await waiter.execute(insert(THINGS).values(name="waiter"))
    finally:
        await engine.dispose()


async def test_the_queue_is_first_come_first_served_and_times_out_as_sqlite_does() -> None:
    writers = WriterQueue(timeout=0.1)
    held = await writers.acquire()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        await writers.acquire()
    order: list[int] = []

    async def writer(n: int) -> None:
        lock = await queue.acquire()
        order.append(n)
        lock.release()

    queue = WriterQueue(timeout=5)
    first = await queue.acquire()
    waiting = [asyncio.create_task(writer(n)) for n in range(5)]
    await asyncio.sleep(0)
    first.release()
    await asyncio.gather(*waiting)
    assert order == [0, 1, 2, 3, 4]
    held.release()


@pytest.mark.parametrize(
    ("sql", "queues"),
    [
        ("INSERT INTO things (name) VALUES (?)", True),
        ("  update things SET name = ?", True),
        ("DELETE FROM things", True),
        ("BEGIN IMMEDIATE", True),
        ("begin  exclusive", True),
        ("CREATE TABLE t (x)", True),
        ("SELECT 1", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("PRAGMA foreign_key_check", False),
        ("BEGIN", False),  # deferred: takes the lock at its first write, which queues then
        ("SAVEPOINT sa_1", False),
    ],
)
def test_what_queues_for_the_write_lock(sql: str, queues: bool) -> None:
    assert is_write(sql) is queues
