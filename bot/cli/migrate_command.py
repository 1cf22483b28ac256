"""`iro-bot migrate`: bring the database schema up to this version of iro-bot.

Safe to run at every deployment: it does nothing when the schema is current, and several
instances running it at once queue on a lock (see ``storage.migrate``). ``--check`` only reports,
for deployment scripts that want to know without changing anything.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from storage import migrate


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    parser = subparsers.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Upgrade the database at DATABASE_URL to the schema this version of "
        "iro-bot needs (creating it, and a SQLite file's folder, if need be).",
    )
    parser.add_argument(
        "--database-url", metavar="URL", help="the database to upgrade (default: DATABASE_URL)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing: exit 0 if the schema is current, 1 if it is not",
    )
    parser.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    url = args.database_url or Settings().database_url
    try:
        migrate.validate_url(url)
    except ValueError as exc:
        print(f"iro-bot migrate: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_migrate(url, check_only=args.check))
    except migrate.SchemaAheadError as exc:
        print(f"iro-bot migrate: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, CommandError, OSError, migrate.MigrationIntegrityError) as exc:
        # One line naming the database (password hidden) and the cause; never a stack trace.
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(
            f"iro-bot migrate: could not migrate {migrate.display_url(url)}: {reason}",
            file=sys.stderr,
        )
        return 1


async def _migrate(url: str, *, check_only: bool) -> int:
    print(f"Database: {migrate.display_url(url)}")
    before = await migrate.current_revision(url)
    print(f"Schema before: {migrate.describe_revision(before)}")
    try:
        # Raises SchemaAheadError (handled by the caller) before Alembic would fail on a
        # revision it cannot find, with a message that says what to do.
        await migrate.check_schema(url)
    except migrate.SchemaBehindError as exc:
        if check_only:
            print(exc)
            return 1
        await migrate.upgrade(url)
        print(f"Schema after:  {migrate.describe_revision(await migrate.current_revision(url))}")
        return 0
    print("Schema is current: nothing to do.")
    return 0
