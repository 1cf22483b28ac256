"""Alembic, driven from code: `iro-bot migrate` upgrades the schema, `iro-bot serve` checks it.

Alembic is configured here, programmatically (no ``alembic.ini``): ``script_location`` is the
``storage/migrations`` folder found through ``__file__``, so migrations run the same from an
installed package and from any working directory. Every function takes a database URL (as in
``DATABASE_URL``) or an ``AsyncEngine`` that is already built (``serve`` has one; tests pass
engines bound to a per-test schema).

The upgrade runs on one async connection (``connection.run_sync``), inside one transaction
that also holds a lock, so two instances starting ``iro-bot migrate`` at once run one after the
other and the second finds nothing to do. See ``storage/migrations/README.md`` for how to add a
migration (``python -m storage.migrate new "what changed"``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.base import Base
from storage.engine import create_engine, is_sqlite

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"

# Where env.py finds the (synchronous face of the) connection our code opened.
CONNECTION_ATTRIBUTE = "connection"

# Any constant shared by every iro-bot instance: the key of the PostgreSQL advisory lock that
# serialises concurrent upgrades ("iro-bot" in ASCII).
_PG_MIGRATION_LOCK_KEY = 0x69726F2D626F74

DatabaseTarget = str | AsyncEngine
T = TypeVar("T")


class SchemaMismatchError(RuntimeError):
    """The database's schema is not the one this version of iro-bot was built for."""


class SchemaBehindError(SchemaMismatchError):
    """The database is empty or at an older revision: ``iro-bot migrate`` fixes it."""


class SchemaAheadError(SchemaMismatchError):
    """The database is at a revision this code does not know: a newer iro-bot migrated it."""


class MigrationIntegrityError(RuntimeError):
    """A migration on SQLite left rows that break a foreign key; it was rolled back."""


# -- configuration -------------------------------------------------------------------------------


def model_metadata() -> MetaData:
    """``Base.metadata`` with every table iro-bot owns registered on it.

    The one place that knows which modules declare tables: env.py (autogenerate) and the drift
    test use it. ``storage.models`` holds the domain's tables; ``storage.conversation_state``
    declares ``bot_state`` beside the statements that use it. Imported lazily so that
    ``check_schema`` at start-up costs no model imports.
    """
    import storage.conversation_state
    import storage.models  # noqa: F401

    return Base.metadata


def context_options(dialect_name: str) -> dict[str, Any]:
    """Options for ``context.configure``; shared by env.py and the drift test so they agree."""
    return {
        "target_metadata": model_metadata(),
        # SQLite cannot ALTER most things: batch mode rebuilds the table (copy, drop, rename).
        # On PostgreSQL the same batch operations become plain ALTER TABLE statements.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        "compare_server_default": True,
    }


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` for our migrations, built without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # "0002_add_child_email.py": readable, sorted in the order they run.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # Only set explicitly so Alembic does not warn about its legacy default.
    config.set_main_option("path_separator", "os")
    # New revisions come out in the project's style (sorted imports, ruff format), so the
    # review diff is the change and nothing else. Only `new_revision` (a developer tool, with the
    # dev dependencies installed) ever triggers these.
    config.set_section_option("post_write_hooks", "hooks", "ruff_imports, ruff_format")
    for name, arguments in (
        ("ruff_imports", "check --select I --fix --quiet REVISION_SCRIPT_FILENAME"),
        ("ruff_format", "format --quiet REVISION_SCRIPT_FILENAME"),
    ):
        config.set_section_option("post_write_hooks", f"{name}.type", "module")
        config.set_section_option("post_write_hooks", f"{name}.module", "ruff")
        config.set_section_option("post_write_hooks", f"{name}.options", arguments)
    if url is not None:
        # ConfigParser interpolation: a literal '%' (e.g. in an encoded password) must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> tuple[str, ...]:
    """The revision(s) this version of the code expects the database to be at."""
    return tuple(script_directory().get_heads())


def describe_revision(revision: str | None) -> str:
    """``"0001 (initial schema)"``, or ``"none (no iro-bot schema)"`` for an empty database."""
    if revision is None:
        return "none (no iro-bot schema)"
    script = script_directory().get_revision(revision) if _is_known(revision) else None
    if script is None:
        return f"{revision} (unknown to this version of iro-bot)"
    return f"{revision} ({script.doc})" if script.doc else revision


SUPPORTED_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}


def validate_url(url: str) -> None:
    """Raise ``ValueError`` with a message a person can act on unless ``url`` is one we support."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not echoed: a mistyped URL may still hold a password.
        raise ValueError("DATABASE_URL is not a database URL (dialect+driver://...)") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if SUPPORTED_DRIVERS.get(backend) != driver:
        raise ValueError(
            f"DATABASE_URL must start sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"not {parsed.drivername}://"
        )


def display_url(target: DatabaseTarget) -> str:
    """The database URL with any password hidden, for messages and logs."""
    if isinstance(target, AsyncEngine):
        return target.url.render_as_string(hide_password=True)
    try:
        return make_url(target).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"  # never echo it: it may hold a password


# -- connections ---------------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL points at, or None for an in-memory or URI-style database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


@asynccontextmanager
async def _engine(target: DatabaseTarget) -> AsyncIterator[AsyncEngine]:
    """The caller's engine (left open), or one built from a URL for this call (disposed)."""
    if isinstance(target, AsyncEngine):
        yield target
        return
    validate_url(target)
    # storage.engine's factory, so migrations see the same SQLite pragmas as the running bot.
    engine = create_engine(target)
    try:
        yield engine
    finally:
        await engine.dispose()


async def run_in_migration_transaction(
    connection: AsyncConnection, fn: Callable[[Connection], T]
) -> T:
    """Run ``fn`` (Alembic work, on the sync connection) in one locked transaction, and commit.

    Used by ``upgrade`` and by env.py when it is given only a URL.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations rebuild a table by copy, DROP and rename. With foreign keys on, SQLite
        # turns that DROP into a DELETE that fires ON DELETE CASCADE: rebuilding `children`
        # would silently delete every review. The pragma is ignored inside a transaction, so it
        # goes first; integrity is checked with foreign_key_check before committing instead.
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        if sqlite:
            # Python's sqlite3 only opens a transaction before DML, so DDL would autocommit one
            # statement at a time and a failed migration would leave half a schema. An explicit
            # BEGIN makes the whole upgrade atomic; IMMEDIATE takes the write lock now, so a
            # second `iro-bot migrate` waits (busy_timeout) and then finds nothing to do.
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # PostgreSQL DDL is transactional already; the advisory lock (released at commit)
            # makes concurrent upgrades from several instances queue instead of racing.
            await connection.execute(select(func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK_KEY)))
        result = await connection.run_sync(fn)
        if sqlite:
            broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                raise MigrationIntegrityError(
                    f"the migration left {len(broken)} row(s) breaking a foreign key "
                    f"(first: {tuple(broken[0])}); nothing was changed"
                )
        await connection.commit()
        return result
    except BaseException:
        await connection.rollback()
        raise
    finally:
        if sqlite:
            # The connection goes back to a pool the bot may keep using (a caller's engine).
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()


async def _run_alembic(target: DatabaseTarget, action: Callable[[Config], object]) -> None:
    """Run an Alembic command on our own async connection, in one locked transaction."""

    def run(sync_connection: Connection) -> None:
        config = alembic_config()
        # env.py runs on this connection instead of opening one (and an event loop) itself.
        config.attributes[CONNECTION_ATTRIBUTE] = sync_connection
        action(config)

    async with _engine(target) as engine, engine.connect() as connection:
        await run_in_migration_transaction(connection, run)


# -- the API -------------------------------------------------------------------------------------


async def upgrade(target: DatabaseTarget, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest). Idempotent.

    For a SQLite file, the folder it lives in is created if missing.
    """
    if isinstance(target, str) and is_sqlite(target):
        validate_url(target)
        path = _sqlite_file(target)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    await _run_alembic(target, lambda config: command.upgrade(config, revision))


async def downgrade(target: DatabaseTarget, revision: str) -> None:
    """Downgrade the database to ``revision`` (``"base"``: no iro-bot tables at all).

    For rolling back a deployment by hand; it drops data, so nothing calls it automatically.
    """

    await _run_alembic(target, lambda config: command.downgrade(config, revision))


async def current_revisions(target: DatabaseTarget) -> tuple[str, ...]:
    """The revision(s) the database is at; empty for a database without our schema.

    Never creates anything: a SQLite file that does not exist is reported empty, not created.
    """
    if isinstance(target, str) and is_sqlite(target):
        validate_url(target)
        path = _sqlite_file(target)
        if path is not None and not path.exists():
            return ()

    def read(sync_connection: Connection) -> tuple[str, ...]:
        return tuple(MigrationContext.configure(sync_connection).get_current_heads())

    async with _engine(target) as engine, engine.connect() as connection:
        return await connection.run_sync(read)


async def current_revision(target: DatabaseTarget) -> str | None:
    """The revision the database is at, or None for a database without our schema."""
    revisions = await current_revisions(target)
    # Our history is linear; several heads would mean someone merged branches by hand.
    return ", ".join(sorted(revisions)) if revisions else None


async def schema_is_current(target: DatabaseTarget) -> bool:
    """True when the database is at exactly the revision(s) this code expects."""
    return set(await current_revisions(target)) == set(head_revisions())


async def check_schema(target: DatabaseTarget) -> str:
    """Return the current revision, or raise ``SchemaMismatchError`` saying what to do.

    ``iro-bot serve`` calls this before accepting traffic: running on a schema that is behind
    would fail later, on some request, far from the cause.
    """
    current = await current_revisions(target)
    heads = head_revisions()
    if set(current) == set(heads):
        return ", ".join(current)
    unknown = [revision for revision in current if not _is_known(revision)]
    if unknown:
        raise SchemaAheadError(
            f"The database schema is at revision {', '.join(unknown)}, which this version of "
            "iro-bot does not know: a newer iro-bot has migrated it. Run that version, or "
            "upgrade this installation."
        )
    where = f"it is at revision {', '.join(current)}" if current else "it has no iro-bot schema yet"
    raise SchemaBehindError(
        "The database schema is behind this version of iro-bot: run `iro-bot migrate` "
        f"({where}; this version needs revision {', '.join(heads)})."
    )


def _is_known(revision: str) -> bool:
    try:
        return script_directory().get_revision(revision) is not None
    except Exception:  # alembic raises several types for unknown or malformed ids
        return False


# -- creating a migration (developers) -----------------------------------------------------------


def next_revision_id(directory: ScriptDirectory | None = None) -> str:
    """``"0002"`` after ``"0001"``: numbered ids keep the history readable and in order."""
    directory = directory or script_directory()
    numbers = [int(s.revision) for s in directory.walk_revisions() if s.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def new_revision(
    message: str,
    *,
    autogenerate: bool = True,
    version_path: Path | None = None,
) -> Script | None:
    """Write a new migration comparing the models with a scratch database at the current head.

    The scratch database is a temporary SQLite file upgraded through every existing migration,
    so no server is needed and the result shows exactly what the models add. Returns None (and
    writes nothing) when autogenerate finds no change. Review the file by hand before committing:
    autogenerate misses renames (it sees a drop and an add), triggers and data changes.

    Synchronous: env.py runs its own event loop here, so call it outside one.
    """
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    if not slug:
        raise ValueError("the message must say what the migration changes")
    with tempfile.TemporaryDirectory(prefix="iro-bot-revision-") as scratch:
        config = alembic_config(f"sqlite+aiosqlite:///{Path(scratch) / 'head.db'}")
        if version_path is not None:
            # Tests write into a temporary folder: it must also be searched for revisions.
            config.set_main_option("version_locations", f"{VERSIONS_DIR}{os.pathsep}{version_path}")
        command.upgrade(config, "head")

        def skip_if_empty(_context: Any, _revision: Any, directives: list[Any]) -> None:
            script: MigrationScript = directives[0]
            if autogenerate and all(ops.is_empty() for ops in script.upgrade_ops_list):
                directives[:] = []  # command.revision then returns [] and writes nothing

        result = command.revision(
            config,
            message=message,
            autogenerate=autogenerate,
            rev_id=next_revision_id(ScriptDirectory.from_config(config)),
            version_path=str(version_path) if version_path is not None else None,
            process_revision_directives=skip_if_empty,
        )
    return result if isinstance(result, Script) else None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m storage.migrate new "add child email"``: write a migration for the models."""
    parser = argparse.ArgumentParser(prog="python -m storage.migrate")
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="write a migration for what the models changed")
    new.add_argument("message", help="what the migration changes, e.g. 'add child email'")
    new.add_argument("--empty", action="store_true", help="an empty migration (data changes)")
    commands.add_parser("heads", help="print the revision the code expects")
    args = parser.parse_args(argv)
    if args.command == "heads":
        print(", ".join(head_revisions()))
        return 0
    script = new_revision(args.message, autogenerate=not args.empty)
    if script is None:
        print("The models match the migrations: nothing to write.")
        return 1
    print(f"Wrote {script.path}\nReview it by hand before committing (see migrations/README.md).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
