"""The PostgreSQL pool: no round trip at checkout, and a connection the server closed is replaced
without the caller seeing it (``storage.engine._closed_at_checkout``).

The server is never stopped (it is shared); one backend is ended with ``pg_terminate_backend``,
which closes its socket as a server restart or an idle timeout would.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as create_bare_async_engine
from sqlalchemy.pool import NullPool

from bot.state import SqlAlchemyStorage
from storage.base import Base
from storage.conversation_state import BotStateRecord
from storage.engine import create_engine
from tests.integration.conftest import postgres_url


async def _backend_pid(engine: AsyncEngine) -> tuple[int, Any]:
    async with engine.connect() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        raw = await connection.get_raw_connection()
        return pid, raw.driver_connection


async def test_checkout_sends_nothing_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(postgres_url())
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(
        engine.dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn)
    )
    try:
        first, _ = await _backend_pid(engine)
        for _ in range(5):
            again, _ = await _backend_pid(engine)
            assert again == first  # the pooled connection, reused
        assert pings == []
    finally:
        await engine.dispose()


async def test_a_connection_the_server_closed_is_replaced_at_checkout() -> None:
    engine = create_engine(postgres_url())
    admin = create_bare_async_engine(postgres_url(), poolclass=NullPool)
    try:
        pid, driver_connection = await _backend_pid(engine)  # now idle in the pool
        async with admin.begin() as connection:
            ended = await connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
            )
            assert ended.scalar_one() is True
        for _ in range(100):  # the close reaches the pooled connection's protocol
            if driver_connection.is_closed():
                break
            await asyncio.sleep(0.02)
        assert driver_connection.is_closed()

        # The caller sees nothing: a new backend answers.
        replacement, _ = await _backend_pid(engine)
        assert replacement != pid
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_reading_bot_state_sends_no_begin_or_rollback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One SELECT needs no transaction: the state read (every turn) is one round trip."""
    url = postgres_url()
    schema = f"iro_test_{uuid.uuid4().hex[:12]}"
    admin = create_bare_async_engine(url, poolclass=NullPool)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all, tables=[BotStateRecord.__table__])
        storage = SqlAlchemyStorage(engine)
        await storage.write({"conversation/1": {"turns": 1}})

        simple_queries: list[str] = []
        real_execute = asyncpg.Connection.execute

        async def execute(self: asyncpg.Connection, query: str, *args: Any, **kw: Any) -> str:
            simple_queries.append(query)  # BEGIN, COMMIT and ROLLBACK are sent this way
            return await real_execute(self, query, *args, **kw)

        monkeypatch.setattr(asyncpg.Connection, "execute", execute)
        found = await storage.read(["conversation/1", "conversation/2"])
        assert list(found) == ["conversation/1"] and found["conversation/1"]["turns"] == 1
        assert simple_queries == []
        await storage.write({"conversation/2": {"turns": 2}})  # writes still commit
        assert [q.split()[0].rstrip(";") for q in simple_queries] == ["BEGIN", "COMMIT"]
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
