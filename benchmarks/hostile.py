"""Hostile input over HTTP: thousands of generated bad requests against the real bot.

    .venv/bin/python -m benchmarks.hostile [--count 3000] [--seed 1] [--max-seconds 600]
        [--postgres URL] [--no-sqlite]

Starts the wired bot (``build_bot``, as ``iro-bot serve`` wires it) on the seeded demo authority,
with the fake Bot Connector, all on 127.0.0.1, and sends ``--count`` requests generated from
``--seed`` by ``tests/e2e/hostile.py`` (its docstring lists the kinds: malformed bodies, wrong
types and missing fields, bodies just under and over 1 MiB, hostile text, forged button values,
forged ``adaptiveCard/action`` invokes, invoke names the bot does not offer), one at a time.
SQLite in a temporary folder; with ``--postgres URL`` also a throw-away database on that server,
dropped after. Stops generating after ``--max-seconds`` per store.

Prints, per store: requests by HTTP status, by outcome and by kind; card actions and how many
were audited as the rules require; audit rows added; whether the business tables changed; and
every failing request (kind and what went wrong). Exits 1 if anything failed: a 5xx (other
than 501 for an invoke name the bot does not offer), a turn that failed or apologised, an
error logged, a card action not audited as a refusal, a business row changed, or a server that
no longer answers.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

from benchmarks.bot_store import PostgresDatabase
from storage.engine import create_engine
from tests.e2e.hostile import NOT_COMPARED, Report, generate_cases, hostile_world, run_cases


async def run_store(label: str, url: str, count: int, seed: int, seconds: float) -> Report:
    engine = create_engine(url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with hostile_world(engine, Path(tmp)) as world:
                cases = generate_cases(random.Random(seed), world, count)
                report = await run_cases(world, cases, seconds=seconds)
    finally:
        await engine.dispose()
    print_report(label, report)
    return report


def print_report(label: str, report: Report) -> None:
    rate = report.sent / report.seconds if report.seconds else 0.0
    print(f"\n## {label}: {report.sent} requests in {report.seconds:.1f} s ({rate:.0f}/s)\n")
    _counts("HTTP status", Counter({str(k): v for k, v in report.statuses.items()}))
    _counts("outcome", report.outcomes)
    _counts("kind", report.kinds)
    print(f"card actions answered: {report.card_actions}, audited as required: "
          f"{report.card_actions_audited}")  # fmt: skip
    print(f"audit rows added: {report.audit_rows_added}")
    for name in NOT_COMPARED:
        old, new = report.not_compared[name]
        print(f"{name}: {old} -> {new} rows (written by turns by design; not compared)")
    changed = ", ".join(report.table_changes) or "none (every row equal before and after)"
    print(f"business tables changed: {changed}")
    print(f"still answers afterwards: {'yes' if report.still_answers else 'NO'}")
    problems = report.problems
    print(f"problems: {len(problems)}")
    for line, times in Counter(problems).most_common(30):
        print(f"  {times} x {line}")


def _counts(title: str, counts: Counter[str]) -> None:
    row = ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
    print(f"by {title}: {row}")


async def main_async(args: argparse.Namespace) -> int:
    reports = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'hostile.db'}"
            reports.append(await run_store("SQLite", url, args.count, args.seed,
                                           args.max_seconds))  # fmt: skip
    if args.postgres:
        async with PostgresDatabase(args.postgres) as url:
            reports.append(await run_store("PostgreSQL", url, args.count, args.seed,
                                           args.max_seconds))  # fmt: skip
    failed = [r for r in reports if r.problems]
    print(f"\nresult: {'FAIL' if failed or not reports else 'PASS'}")
    return 1 if failed or not reports else 0


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--count", type=int, default=3000, help="requests per store")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="per store")
    parser.add_argument("--postgres", metavar="URL", help="also run on a throw-away database "
                        "on this server (postgresql+asyncpg URL)")  # fmt: skip
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    # Errors are counted (and listed) by the run, not printed as they happen.
    logging.basicConfig(level=logging.ERROR, handlers=[logging.NullHandler()])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load:.1f} "
          f"at the start, {date.today().isoformat()}; {args.count} requests per store, seed "
          f"{args.seed}")  # fmt: skip
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
