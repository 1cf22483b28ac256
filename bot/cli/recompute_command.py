"""`iro-bot recompute`: recompute every child's stored next review after a rules or holiday change.

The stored dates are what "due between" and "overdue" read, so after editing the rules file (or
upgrading the holiday tables) run this once; it is idempotent and safe while the bot runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from domain.rules import RuleSet, load_rules
from storage.engine import create_engine, session_factory
from storage.schedule import RecomputeResult, recompute_all


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    parser = subparsers.add_parser(
        "recompute",
        help="recompute every child's next review date (after a rules or holiday change)",
        description="Recompute every child's stored next review date with the current rules "
        "(IRO_RULES) and holiday tables, against DATABASE_URL.",
    )
    parser.add_argument("--batch-size", type=int, default=2000, metavar="N",
                        help="children per transaction (default 2000)")  # fmt: skip
    parser.set_defaults(handler=run_recompute)


def run_recompute(args: argparse.Namespace) -> int:
    settings = Settings()
    rules = load_rules(settings.rules_path or None)
    started = time.perf_counter()
    try:
        result = asyncio.run(_recompute(settings.database_url, rules, max(1, args.batch_size)))
    except (SQLAlchemyError, OSError) as exc:
        # One line, never a stack trace; the commonest cause is a store not yet migrated.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"iro-bot: recompute failed: {reason} (has `iro-bot migrate` been run?)",
              file=sys.stderr)  # fmt: skip
        return 1
    seconds = time.perf_counter() - started
    print(
        f"Checked {result.checked} children; {result.changed} changed "
        f"({rules.authority_name} rules, {seconds:.1f}s)."
    )
    return 0


async def _recompute(database_url: str, rules: RuleSet, batch_size: int) -> RecomputeResult:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await recompute_all(session, rules, batch_size=batch_size)
    finally:
        await engine.dispose()
