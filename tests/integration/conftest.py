"""Integration-test fixtures: a real, isolated, throw-away database per test, on both back ends.

Fixtures (all function-scoped, so no test sees another's rows):

``empty_engine``
    An ``AsyncEngine`` (built by ``storage.engine.create_engine``, so the production SQLite
    pragmas and pool settings are exercised) on a database with **no tables**. Parametrised:
    ``[sqlite]`` is a file in ``tmp_path``; ``[postgresql]`` is a fresh schema, named
    ``iro_test_<random>``, inside the database at ``$IRO_TEST_POSTGRES_URL`` (asyncpg URL), made
    the connection's ``search_path`` and dropped with ``CASCADE`` afterwards. Use it to test
    Alembic migrations from nothing (run them on a connection from this engine: unqualified
    names, including ``alembic_version``, land in the per-test schema).
``engine``
    ``empty_engine`` plus ``Base.metadata.create_all``. Every module under ``storage/`` (except
    ``storage/migrations``) is imported first, so a model added anywhere in ``storage/`` gets its
    table here without touching this file.
``sessions``
    ``storage.engine.session_factory(engine)``.

PostgreSQL runs only when ``IRO_TEST_POSTGRES_URL`` is set, e.g.
``postgresql+asyncpg://postgres@127.0.0.1:5432/test`` (``.ci/run`` sets it). When it is unset the
``[postgresql]`` cases are *skipped* with that reason, never passed, and when ``CI`` is set they
*fail*, so a pipeline cannot go green without PostgreSQL. A set but unreachable URL is an error.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as create_bare_async_engine
from sqlalchemy.pool import NullPool

import storage
from storage.base import Base
from storage.engine import create_engine, session_factory

POSTGRES_URL_VARIABLE = "IRO_TEST_POSTGRES_URL"

# Sub-packages of storage/ that hold no models and must not be imported by a test run
# (Alembic's env.py runs migrations at import time).
_NOT_MODEL_PACKAGES = frozenset({"migrations"})


def _import_storage_modules(package: ModuleType = storage) -> None:
    """Import every module under ``storage/`` so all models register on ``Base.metadata``."""
    for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        if info.name.rsplit(".", 1)[-1] in _NOT_MODEL_PACKAGES:
            continue
        module = importlib.import_module(info.name)
        if info.ispkg:
            _import_storage_modules(module)


_import_storage_modules()


def postgres_url() -> str:
    """The PostgreSQL server every PostgreSQL test uses (imported by the suites that need it):
    skipped, with the reason, without the variable; failed in CI, where it must be tested."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    reason = (
        f"{POSTGRES_URL_VARIABLE} is not set, so the PostgreSQL case did not run; set it to an "
        "asyncpg URL such as postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: PostgreSQL must be tested here)")
    pytest.skip(reason)


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'iro-test.db'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return

    url = postgres_url()
    if make_url(url).get_driver_name() != "asyncpg":
        pytest.fail(f"{POSTGRES_URL_VARIABLE} must use postgresql+asyncpg, got {url!r}")
    # A schema per test rather than a database per test: creating one is cheap, needs no
    # CREATEDB right, and DROP SCHEMA ... CASCADE removes every table a test or migration made.
    schema = f"iro_test_{uuid.uuid4().hex[:12]}"
    admin = create_bare_async_engine(url, poolclass=NullPool)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(url, connect_args={"server_settings": {"search_path": schema}})
        try:
            yield engine
        finally:
            await engine.dispose()
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@pytest_asyncio.fixture
async def engine(empty_engine: AsyncEngine) -> AsyncEngine:
    async with empty_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    return empty_engine


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)
