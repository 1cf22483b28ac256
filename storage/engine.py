"""Engines are built by a factory from one DATABASE_URL, never at import time."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
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
        # failover); the ping finds that out at checkout instead of in the middle of a turn.
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
