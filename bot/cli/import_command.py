"""`iro-bot import KIND FILE… [--dry-run] [--partial]`: load an authority's own data.

Kinds: people, children, reviews, irs (CSV files) and ssda903 (a directory holding the
return's header, episodes, reviews and missing CSVs). Prints a summary per file and every
rejected row with its line, column and reason. Exit status: 0 when every row was imported, 1 when
any row was rejected (nothing from that file written unless --partial), 2 when the input cannot
be used at all (unknown kind, missing file or column) or the store is not ready.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.settings import Settings
from domain.rules import RuleSet, load_rules
from services.clock import today_in
from services.imports import KINDS, ImportReport, UnusableInput, import_files
from storage.engine import create_engine, session_factory


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    parser = subparsers.add_parser(
        "import",
        help="import people, children, reviews, IRs or an SSDA903 return",
        description="Import an authority's data. Dates are DD/MM/YYYY or YYYY-MM-DD. A file "
        "with any rejected row writes nothing unless --partial is given.",
    )
    # KIND is checked by the handler, not argparse `choices`, so an unknown kind gets our
    # one-line message and exit status 2 rather than argparse's usage dump.
    parser.add_argument("kind", metavar="KIND", help=f"one of {', '.join(KINDS)}")
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="CSV files (for ssda903: directories)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="check and report what would happen; write nothing"
    )
    parser.add_argument(
        "--partial", action="store_true", help="write the good rows of a file with rejected rows"
    )
    parser.add_argument("--rules", metavar="FILE", help="rules file (default: IRO_RULES)")
    parser.set_defaults(handler=run_import_command)


def run_import_command(args: argparse.Namespace) -> int:
    settings = Settings()
    rules = load_rules(args.rules or settings.rules_path or None)
    try:
        report = asyncio.run(
            _run(settings.database_url, args.kind, args.files, rules, args.dry_run, args.partial)
        )
    except UnusableInput as exc:
        for problem in exc.problems:
            print(f"iro-bot import: {problem}", file=sys.stderr)
        print("iro-bot import: nothing was imported.", file=sys.stderr)
        return 2
    except (DBAPIError, OSError) as exc:
        # asyncpg raises OSError when it cannot connect. The URL may hold a password: say what
        # went wrong, never where.
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
        reason = (str(cause).splitlines() or [type(cause).__name__])[0]
        print(
            f"iro-bot import: the store is not ready ({reason}); check DATABASE_URL and run "
            "`iro-bot migrate`. Nothing was imported.",
            file=sys.stderr,
        )
        return 2
    print(report.render())
    return report.exit_status


async def _run(
    url: str, kind: str, files: list[str], rules: RuleSet, dry_run: bool, partial: bool
) -> ImportReport:
    engine = create_engine(url)
    try:
        return await import_files(
            session_factory(engine),
            kind,
            files,
            rules=rules,
            today=today_in(rules.timezone),
            dry_run=dry_run,
            partial=partial,
        )
    finally:
        await engine.dispose()
