"""`iro-bot seed-demo`: fill an empty store with a realistic synthetic authority for demos.

Deterministic from ``--seed``, generated offline, with dates relative to ``--today`` (default:
today in Europe/London). The Agents Playground's default users are staff in it, so the bot can be
tried there at once (see ``bot.cli.demo_data``). ``make run`` calls it with ``--if-empty``,
which does nothing, and says so, when the store already holds anyone. Without ``--if-empty`` a
store that is not empty is refused: a demo must never mix with a real authority's data.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import date
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.cli.demo_data import PLAYGROUND_USERS, DemoSummary, seed_demo, store_is_empty
from bot.settings import Settings
from domain.dates import parse_date
from domain.rules import RuleSet, load_rules
from services.clock import today_in
from storage.engine import create_engine, session_factory
from storage.migrate import display_url


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    parser = subparsers.add_parser(
        "seed-demo",
        help="fill an empty store with a synthetic authority for demos",
        description="Write a realistic synthetic local authority (staff, ~200 children, reviews, "
        "Issues Resolutions, missing episodes) into the empty store at DATABASE_URL. The "
        "Agents Playground's default users are among the staff.",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="N",
        help="the same seed always gives the same authority (default 1)",
    )
    parser.add_argument(
        "--children",
        type=int,
        default=200,
        metavar="N",
        help="how many children in care (default 200)",
    )
    parser.add_argument(
        "--today",
        metavar="DATE",
        help="the date everything is relative to, DD/MM/YYYY or YYYY-MM-DD "
        "(default: today in Europe/London)",
    )
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (successfully) if the store already holds anyone",
    )
    parser.add_argument(
        "--database-url", metavar="URL", help="the store to fill (default: DATABASE_URL)"
    )
    parser.set_defaults(handler=run_seed_demo)


def run_seed_demo(args: argparse.Namespace) -> int:
    if args.children < 1:
        print("iro-bot seed-demo: --children must be at least 1", file=sys.stderr)
        return 2
    settings = Settings()
    url = args.database_url or settings.database_url
    rules = load_rules(settings.rules_path or None)
    # A bad --today raises DomainError, which bot.cli prints as one line (exit 2).
    today = parse_date(args.today) if args.today else today_in(rules.timezone)
    started = time.perf_counter()
    try:
        summary = asyncio.run(
            _seed(url, rules, seed=args.seed, children=args.children, today=today)
        )
    except SQLAlchemyError as exc:
        # One line, never a stack trace; the commonest cause is a store not yet migrated.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(
            f"iro-bot seed-demo: nothing was written: {reason} (has `iro-bot migrate` been run?)",
            file=sys.stderr,
        )
        return 1
    if summary is None:
        if args.if_empty:
            print(
                f"The store at {display_url(url)} already holds staff or children: "
                "seed-demo left it as it is (--if-empty)."
            )
            return 0
        print(
            f"iro-bot seed-demo: the store at {display_url(url)} already holds staff or "
            "children; the demo only seeds an empty store (nothing was written).",
            file=sys.stderr,
        )
        return 1
    print(describe(summary, today, args.seed, time.perf_counter() - started))
    return 0


async def _seed(
    url: str, rules: RuleSet, *, seed: int, children: int, today: date
) -> DemoSummary | None:
    """The summary, or None when the store was not empty (left untouched, whether or not
    --if-empty was given; the caller says which). One transaction: all or nothing."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            if not await store_is_empty(session):
                return None
            return await seed_demo(session, rules, today=today, seed=seed, children=children)
    finally:
        await engine.dispose()


def describe(summary: DemoSummary, today: date, seed: int, seconds: float) -> str:
    """What was written, in counts (no names), and who to be in the Agents Playground."""
    stages = ", ".join(f"{stage} {n}" for stage, n in sorted(summary.irs_open_by_stage.items()))
    users = "; ".join(f"{u.display_name} ({u.role.replace('_', ' ')})" for u in PLAYGROUND_USERS)
    return "\n".join(
        [
            f"Seeded a demo authority (seed {seed}, dates relative to {today:%d/%m/%Y}) in "
            f"{seconds:.1f}s:",
            f"  {summary.staff} staff, {summary.children} children ({summary.uasc} UASC), "
            f"{summary.reviews} reviews ({summary.reviews_late} of {summary.reviews_counted} "
            f"counted held late, {summary.part1_reviews} Part 1), {summary.overdue_now} "
            f"overdue now, {summary.bookings} booked",
            f"  {summary.irs} Issues Resolutions ({summary.irs_open} open: {stages}), "
            f"{summary.missing_episodes} missing episodes ({summary.children_missing} children), "
            f"{summary.cp_plans} CP plans",
            f"  Agents Playground users: {users}.",
        ]
    )
