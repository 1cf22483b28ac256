"""Alembic's entry point for iro-bot's migrations; Alembic runs it, nothing imports it.

It is driven from ``storage.migrate`` (see there), which builds the ``Config`` in code. Two ways
in, both ending in ``do_run_migrations`` on the synchronous face of an async connection:

* ``config.attributes["connection"]`` is set: ``storage.migrate.upgrade`` has already opened an
  async connection and a locked transaction and is calling us inside ``connection.run_sync``;
  we run on that connection (an event loop is already running, so we must not start one).
* otherwise the URL comes from the ``Config``'s ``sqlalchemy.url`` (set by our code from
  ``DATABASE_URL``); we build the async engine ourselves and run in a fresh event loop.
  ``python -m storage.migrate new`` takes this path.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection, make_url

from storage.engine import create_engine
from storage.migrate import CONNECTION_ATTRIBUTE, context_options, run_in_migration_transaction

config = context.config


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, **context_options(connection.dialect.name))
    # Inside the caller's transaction this is a no-op: storage.migrate commits, once, at the end.
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await run_in_migration_transaction(connection, do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """``--sql`` mode: print the SQL for a DBA instead of running it (PostgreSQL mainly)."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("offline migrations need sqlalchemy.url in the Alembic Config")
    dialect = make_url(url).get_backend_name()
    context.configure(url=url, literal_binds=True, **context_options(dialect))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get(CONNECTION_ATTRIBUTE)
    if connection is not None:
        do_run_migrations(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "no database given: set config.attributes['connection'] or sqlalchemy.url "
            "(use storage.migrate rather than calling Alembic directly)"
        )
    asyncio.run(run_async_migrations(url))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
