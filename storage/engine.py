"""Engines are built by a factory from one DATABASE_URL, never at import time."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.defaults import DEFAULT_DATABASE_URL
from storage.sqlite_driver import one_hop_creator


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


#: Drivers that log statement parameters at DEBUG: parameters hold children's names and free
#: text, which must never reach application logs, whatever LOG_LEVEL says.
PARAMETER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


def keep_parameters_out_of_logs() -> None:
    for name in PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def create_engine(url: str = DEFAULT_DATABASE_URL, **kwargs: Any) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""
    keep_parameters_out_of_logs()
    if is_sqlite(url):
        # Several connections share one file: wait for a lock rather than failing at once.
        connect_args = {"timeout": 30, **kwargs.pop("connect_args", {})}
        # One trip to aiosqlite's worker thread per statement instead of four, and none for a
        # rollback with nothing to roll back (storage/sqlite_driver.py). The URL's connection
        # arguments are read by SQLAlchemy's SQLite dialect, as before.
        kwargs.setdefault("async_creator", one_hop_creator(url, connect_args))
        # No pre-ping: a SQLite connection is a file opened in this process, with no server or
        # network link that can drop while it sits in the pool; the ping (a SELECT 1 on the
        # worker thread at every checkout, three or four a bot turn) would find nothing.
        kwargs.setdefault("pool_pre_ping", False)
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        # A PostgreSQL connection can be closed under us (server restart, idle timeout, a
        # failover). SQLAlchemy's pre-ping would find that out with three round trips at every
        # checkout (BEGIN, ";", ROLLBACK: ~0.5 ms of CPU, two checkouts a bot turn). The server
        # tells us instead: it closes the socket, asyncpg's protocol sees the end of the stream
        # while the connection sits in the pool, and ``_closed_at_checkout`` swaps such a
        # connection for a new one without a round trip. A connection that fails in use (the
        # close arrived mid-statement, or a silent network partition) is invalidated by
        # SQLAlchemy as a "disconnect" error, and so is every other connection the pool held
        # before it: after an outage the pool refills by itself (BENCHMARKS.md, RELIABILITY).
        kwargs.setdefault("pool_pre_ping", False)
        # asyncpg waits 60 s for a connection by default: a server that has gone quiet (a
        # network partition rather than a refusal) would hold a turn far past the ~15 s Teams
        # waits for an answer. 5 s is ample on a working network.
        connect_args = {"timeout": CONNECT_TIMEOUT_SECONDS, **kwargs.pop("connect_args", {})}
        kwargs["connect_args"] = connect_args
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "checkout", _closed_at_checkout)
    return engine


def _closed_at_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has already closed; the pool then connects anew
    (SQLAlchemy's documented "pessimistic" check through the checkout event)."""
    is_closed = getattr(dbapi_connection.driver_connection, "is_closed", None)
    if is_closed is not None and is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")


#: How long a new PostgreSQL connection may take (see ``create_engine``).
CONNECT_TIMEOUT_SECONDS = 5.0

#: Driver modules whose OSErrors mean "the store cannot be reached" (a refused or reset
#: connection), not a bug: a connection refused at connect time reaches us unwrapped.
_DRIVER_MODULES = ("/sqlalchemy/", "/asyncpg/", "/aiosqlite/", "storage/sqlite_driver.py")


def is_store_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) means the store could not be reached or used just
    now: a lost or refused connection, a pool or connect timeout, a SQLite file that is locked
    or cannot be opened. Such a failure is worth retrying later; a bug or a constraint
    violation is not."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, exc.OperationalError | exc.InterfaceError | exc.TimeoutError
                      | exc.DisconnectionError):  # fmt: skip
            return True
        if isinstance(current, OSError | TimeoutError) and _raised_in_driver(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _raised_in_driver(error: BaseException) -> bool:
    frame = error.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename.replace("\\", "/")
        if any(module in filename for module in _DRIVER_MODULES):
            return True
        frame = frame.tb_next
    return False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
