"""Alembic migrations, on SQLite and on PostgreSQL (when IRO_TEST_POSTGRES_URL is set).

Each test gets a database of its own, empty and reached by URL, exactly as ``iro-bot migrate``
reaches ``DATABASE_URL``: a SQLite file in a folder that does not exist yet, or a PostgreSQL
database created for the test and dropped after it. (``conftest.empty_engine``'s per-schema
PostgreSQL engines are used once, to prove an ``AsyncEngine`` target works too.)

The drift test is the one that matters to other engineers: it fails when a model changes without
a migration. Its message says how to write one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot import cli
from storage import migrate
from storage.audit import record_audit
from storage.base import Base
from storage.engine import create_engine, session_factory
from storage.models import AuditEntry
from tests.integration.conftest import postgres_url

HEAD = "0004"
NEXT = f"{int(HEAD) + 1:04d}"  # the extra revision some tests add on top


# -- fixtures ------------------------------------------------------------------------------------


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database; dropped afterwards."""
    if request.param == "sqlite":
        # A folder that does not exist yet: upgrade must create it.
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'iro-bot.db'}"
        return
    server = make_url(postgres_url())
    # A whole database, not a schema: the URL is all `iro-bot migrate` gets, and a URL cannot
    # carry asyncpg's search_path setting. Needs CREATEDB (the local postgres user has it).
    name = f"iro_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                # FORCE: a connection a failing test left open must not keep the database alive.
                await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest_asyncio.fixture
async def migrated_url(database_url: str) -> str:
    await migrate.upgrade(database_url)
    return database_url


async def _on_connection(url: str, fn: Any) -> Any:
    """Run ``fn(sync_connection)`` on a connection to ``url``, then dispose of the engine."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _differences(connection: Connection, metadata: MetaData) -> list[Any]:
    # The options env.py uses, so this compares exactly what autogenerate would.
    options = migrate.context_options(connection.dialect.name)
    options.pop("target_metadata")
    context = MigrationContext.configure(connection, opts=options)
    return compare_metadata(context, metadata)


# -- upgrade -------------------------------------------------------------------------------------


async def test_upgrade_from_empty_creates_every_table_and_is_idempotent(database_url: str):
    assert await migrate.current_revision(database_url) is None

    await migrate.upgrade(database_url)
    assert await migrate.current_revision(database_url) == HEAD
    tables = await _on_connection(database_url, lambda c: set(inspect(c).get_table_names()))
    expected = set(migrate.model_metadata().tables) | {"alembic_version"}
    assert tables == expected
    assert "bot_state" in tables and "audit_log" in tables

    await migrate.upgrade(database_url)  # nothing to do, and no error
    assert await migrate.current_revision(database_url) == HEAD
    assert await _on_connection(database_url, lambda c: set(inspect(c).get_table_names())) == (
        expected
    )


async def test_migrated_schema_matches_the_models_exactly(migrated_url: str):
    """Models and migrations cannot drift apart: any difference here needs a migration."""
    differences = await _on_connection(
        migrated_url, lambda c: _differences(c, migrate.model_metadata())
    )
    assert differences == [], (
        "The models differ from the schema the migrations build. Write a migration:\n"
        '    .venv/bin/python -m storage.migrate new "what changed"\n'
        "then review it (storage/migrations/README.md). Differences:\n"
        + "\n".join(f"    {difference}" for difference in differences)
    )


async def test_the_drift_check_notices_a_column_or_table_without_a_migration(migrated_url: str):
    # Proves the test above can fail: the same comparison against models with a new column on
    # an existing table and a new table.
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in migrate.model_metadata().tables.values():
        table.to_metadata(changed)
    changed.tables["children"].append_column(Column("nickname", String(50)))
    Table("pets", changed, Column("id", Integer, primary_key=True))

    differences = await _on_connection(migrated_url, lambda c: _differences(c, changed))

    kinds = {(d[0], d[2] if d[0] == "add_column" else d[1].name) for d in differences}
    assert kinds == {("add_column", "children"), ("add_table", "pets")}


async def test_schema_is_current_only_after_upgrade(database_url: str):
    assert await migrate.schema_is_current(database_url) is False
    with pytest.raises(migrate.SchemaBehindError) as behind:
        await migrate.check_schema(database_url)
    assert str(behind.value).startswith(
        "The database schema is behind this version of iro-bot: run `iro-bot migrate`"
    )
    if database_url.startswith("sqlite"):
        # Checking must not create the database (nor its folder) as a side effect.
        assert not Path(make_url(database_url).database or "").parent.exists()

    await migrate.upgrade(database_url)

    assert await migrate.schema_is_current(database_url) is True
    assert await migrate.check_schema(database_url) == HEAD


async def test_a_database_at_an_older_revision_is_behind(migrated_url: str):
    await migrate.downgrade(migrated_url, "base")
    assert await migrate.schema_is_current(migrated_url) is False
    await migrate.upgrade(migrated_url)
    assert await migrate.schema_is_current(migrated_url) is True


async def test_a_revision_this_code_does_not_know_is_refused_not_upgraded(migrated_url: str):
    await _set_version(migrated_url, "9999")

    assert await migrate.schema_is_current(migrated_url) is False
    with pytest.raises(migrate.SchemaAheadError, match="newer iro-bot"):
        await migrate.check_schema(migrated_url)


async def _set_version(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
            )
    finally:
        await engine.dispose()


async def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds_it(migrated_url: str):
    await migrate.downgrade(migrated_url, "base")

    tables = await _on_connection(migrated_url, lambda c: set(inspect(c).get_table_names()))
    assert tables == {"alembic_version"}
    assert await migrate.current_revision(migrated_url) is None
    if migrated_url.startswith("postgresql"):
        functions = await _on_connection(
            migrated_url,
            lambda c: c.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_log_refuse_change'")
            ).scalar_one(),
        )
        assert functions == 0

    await migrate.upgrade(migrated_url)
    assert await migrate.schema_is_current(migrated_url)


def _extra_revision(
    monkeypatch: pytest.MonkeyPatch, folder: Path, upgrade_body: str, name: str
) -> None:
    """Make the migrations include one more revision, after HEAD, whose upgrade() is
    ``upgrade_body``."""
    folder.mkdir()
    (folder / f"{NEXT}_{name}.py").write_text(
        f'"""{name}"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f'revision = "{NEXT}"\ndown_revision = "{HEAD}"\nbranch_labels = None\n'
        "depends_on = None\n\n\n"
        f"def upgrade():\n{upgrade_body}\n\n"
        "def downgrade():\n    pass\n"
    )
    real_config = migrate.alembic_config

    def config_with_extra_revision(url: str | None = None) -> Any:
        config = real_config(url)
        config.set_main_option("version_locations", f"{migrate.VERSIONS_DIR}{os.pathsep}{folder}")
        return config

    monkeypatch.setattr(migrate, "alembic_config", config_with_extra_revision)


async def test_a_failing_migration_changes_nothing(
    migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A second revision that creates a table and then fails: the table must not survive, on
    # SQLite as on PostgreSQL (SQLite DDL is made transactional by storage.migrate).
    _extra_revision(
        monkeypatch,
        tmp_path / "versions",
        '    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    raise RuntimeError("migration failed half way")\n',
        name="broken",
    )

    with pytest.raises(RuntimeError, match="half way"):
        await migrate.upgrade(migrated_url)

    tables = await _on_connection(migrated_url, lambda c: set(inspect(c).get_table_names()))
    assert "half_done" not in tables
    assert await migrate.current_revision(migrated_url) == HEAD


async def test_rebuilding_a_table_keeps_the_rows_that_refer_to_it(
    migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # On SQLite a batch migration rebuilds `children` (copy, DROP, rename). With foreign keys
    # on, that DROP would cascade and delete every review; storage.migrate turns them off for
    # the migration and checks integrity before committing.
    engine = create_engine(migrated_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO children (id, child_id, uasc, created_at, updated_at) "
                    "VALUES (1, 'C1', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO reviews (child_pk, held_on, part, source, created_at) "
                    "VALUES (1, '2026-01-05', 'full', 'manual', CURRENT_TIMESTAMP)"
                )
            )
    finally:
        await engine.dispose()
    _extra_revision(
        monkeypatch,
        tmp_path / "versions",
        # A type change: SQLite can only do it by rebuilding the table; PostgreSQL ALTERs.
        '    with op.batch_alter_table("children") as batch:\n'
        '        batch.alter_column("sex", type_=sa.String(2))\n',
        name="rebuild_children",
    )

    await migrate.upgrade(migrated_url)

    assert await migrate.current_revision(migrated_url) == NEXT
    count = "SELECT count(*) FROM reviews"
    reviews = await _on_connection(migrated_url, lambda c: c.execute(text(count)).scalar_one())
    assert reviews == 1


async def test_an_engine_can_be_the_target(empty_engine: AsyncEngine):
    # `serve` will check the schema with the engine it already has; on PostgreSQL this engine
    # is bound to a per-test schema, so this also proves migrations follow the search_path.
    assert await migrate.schema_is_current(empty_engine) is False
    await migrate.upgrade(empty_engine)
    assert await migrate.check_schema(empty_engine) == HEAD
    # The caller's engine is still usable afterwards, with SQLite's foreign keys back on.
    async with empty_engine.connect() as connection:
        assert (await connection.execute(select(text("1")))).scalar_one() == 1
        if empty_engine.dialect.name == "sqlite":
            pragma = await connection.exec_driver_sql("PRAGMA foreign_keys")
            assert pragma.scalar_one() == 1


# -- the append-only audit log -------------------------------------------------------------------


async def test_audit_log_accepts_inserts_and_refuses_update_and_delete(migrated_url: str):
    engine = create_engine(migrated_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            await record_audit(session, "child.read", entity_type="child", entity_id=7)
        original = await _audit_rows(engine)
        [(first_id, *_)] = original

        refused = [
            "UPDATE audit_log SET action = 'tampered'",
            f"UPDATE audit_log SET outcome = 'error' WHERE id = {first_id}",
            f"DELETE FROM audit_log WHERE id = {first_id}",
            "DELETE FROM audit_log",
        ]
        if engine.dialect.name == "postgresql":
            refused.append("TRUNCATE audit_log")
        for statement in refused:
            with pytest.raises(IntegrityError, match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(text(statement))
            assert await _audit_rows(engine) == original, statement

        # Inserting still works, as the bot does it.
        async with sessions() as session, session.begin():
            await record_audit(session, "ir.escalate", entity_type="ir", entity_id="IR-2026-0001")
        rows = await _audit_rows(engine)
        assert rows[0] == original[0]
        assert [row[1] for row in rows] == ["child.read", "ir.escalate"]
    finally:
        await engine.dispose()


async def _audit_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        result = await connection.execute(
            select(
                AuditEntry.id, AuditEntry.action, AuditEntry.outcome, AuditEntry.entity_id
            ).order_by(AuditEntry.id)
        )
        return [tuple(row) for row in result]


# -- `iro-bot migrate` ---------------------------------------------------------------------------


def test_iro_bot_migrate_upgrades_the_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Sync test: the command runs its own event loop, as it does from the shell.
    database = tmp_path / "not" / "yet" / "iro-bot.db"
    monkeypatch.chdir(tmp_path)  # no stray .env from the working copy
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")

    assert cli.main(["migrate", "--check"]) == 1
    assert "run `iro-bot migrate`" in capsys.readouterr().out
    assert not database.exists()

    assert cli.main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "Schema before: none" in out
    assert f"Schema after:  {HEAD} (where a review was held)" in out
    assert database.exists()

    assert cli.main(["migrate"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert cli.main(["migrate", "--check"]) == 0


def test_iro_bot_migrate_says_in_one_line_when_it_cannot_connect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    url = "postgresql+asyncpg://iro:s3cret@127.0.0.1:1/iro"  # nothing listens on port 1
    assert cli.main(["migrate", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("iro-bot migrate: could not migrate")
    assert "s3cret" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "url", ["not a url", "postgresql://iro@db/iro", "sqlite:///iro.db", "mysql+aiomysql://x@y/z"]
)
def test_iro_bot_migrate_refuses_an_unsupported_url(url: str, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["migrate", "--database-url", url]) == 2
    assert capsys.readouterr().err.startswith("iro-bot migrate: DATABASE_URL ")


# -- writing a migration -------------------------------------------------------------------------


def test_model_metadata_knows_every_table_declared_under_storage():
    # conftest.py imports every module under storage/, so Base.metadata here holds every
    # table anyone declared. A fresh interpreter shows what env.py (autogenerate) sees.
    seen_by_alembic = subprocess.run(
        [
            sys.executable,
            "-c",
            "from storage.migrate import model_metadata; "
            "print(' '.join(sorted(model_metadata().tables)))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert sorted(Base.metadata.tables) == seen_by_alembic, (
        "A module under storage/ declares a table that storage.migrate.model_metadata() does "
        "not import, so autogenerate cannot see it: import it in storage/models/__init__.py "
        "(or in model_metadata())."
    )


def test_new_revision_writes_nothing_when_models_match(tmp_path: Path):
    assert migrate.new_revision("no change", version_path=tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_new_revision_writes_a_numbered_migration_for_a_new_table(tmp_path: Path):
    table = Table("scratch_widgets", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        script = migrate.new_revision("add scratch widgets", version_path=tmp_path)
    finally:
        Base.metadata.remove(table)
    assert script is not None
    assert script.revision == f"{int(HEAD) + 1:04d}"
    assert script.down_revision == HEAD
    written = Path(script.path)
    assert written.parent == tmp_path
    assert written.name == f"{script.revision}_add_scratch_widgets.py"
    assert 'op.create_table(\n        "scratch_widgets"' in written.read_text()
