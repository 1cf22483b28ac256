"""Fault scenarios (issue 7, "Faults"): one command each, figures printed, then PASS or FAIL.

    .venv/bin/python -m benchmarks.faults kill-dialog [--postgres [URL]] [--irs 16]
        [--reviews 4] [--kills 8] [--targeted 4] [--seed 1]
    .venv/bin/python -m benchmarks.faults kill-dispatch [--postgres [URL]] [--count 3000]
        [--kills 4] [--concurrency 8]
    .venv/bin/python -m benchmarks.faults db-outage [--postgres [URL]] [--outage 5]
        [--users 6]

Without ``--postgres`` the store is a SQLite file in a temporary folder; with it, a new database
on that PostgreSQL server (``$IRO_TEST_POSTGRES_URL`` when no URL is given), dropped afterwards.
Nothing here stops the PostgreSQL server: ``db-outage`` cuts a TCP proxy between the bot and it
(``tests/e2e/tcp_proxy.py``).

- ``kill-dialog``: ``benchmarks/faults_dialog.py``.
- ``kill-dispatch``: ``benchmarks/faults_dispatch.py``.
- ``db-outage``: ``benchmarks/faults_outage.py``.

The exit status is 0 for PASS, 1 for FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform

from sqlalchemy.engine import make_url


def postgres_option(value: str | None) -> str | None:
    if value is None:
        return None
    url = value or os.environ.get("IRO_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit("--postgres needs a URL, or IRO_TEST_POSTGRES_URL set")
    return url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    scenarios = parser.add_subparsers(dest="scenario", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--postgres", nargs="?", const="", default=None,
                         help="use PostgreSQL (URL, default $IRO_TEST_POSTGRES_URL)")  # fmt: skip
        sub.add_argument("--logs", default="/tmp/iro-faults", help="folder for process logs")
        sub.add_argument("--seed", type=int, default=1)
        sub.add_argument("--timeout", type=float, default=600.0)
        sub.add_argument("--verbose", action="store_true", help="say why a dialog got stuck")

    dialog = scenarios.add_parser("kill-dialog", help="SIGKILL iro-bot serve mid-dialog")
    common(dialog)
    dialog.add_argument("--irs", type=int, default=16, help="raise-IR dialogs")
    dialog.add_argument("--reviews", type=int, default=4, help="record-review dialogs")
    dialog.add_argument("--kills", type=int, default=8, help="kills at random moments")
    dialog.add_argument("--targeted", type=int, default=4,
                        help="kills the instant a dialog's result is sent")  # fmt: skip

    dispatch = scenarios.add_parser("kill-dispatch", help="SIGKILL dispatchers mid-run")
    common(dispatch)
    dispatch.add_argument("--count", type=int, default=3000)
    dispatch.add_argument("--kills", type=int, default=4)
    dispatch.add_argument("--concurrency", type=int, default=8)
    dispatch.add_argument("--lease", type=float, default=5.0)

    outage = scenarios.add_parser("db-outage", help="the database unreachable for a while")
    common(outage)
    outage.add_argument("--outage", type=float, default=5.0, help="seconds cut off")
    outage.add_argument("--users", type=int, default=6)
    return parser


async def main_async(options: argparse.Namespace) -> bool:
    options.postgres = postgres_option(options.postgres)
    store = (f"PostgreSQL at {make_url(options.postgres).host}" if options.postgres
             else "SQLite file")  # fmt: skip
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{options.scenario}: Python {platform.python_version()} on {os.cpu_count()} CPUs, "
          f"{store}, load average {load:.1f} at start", flush=True)  # fmt: skip
    if options.scenario == "kill-dialog":
        from benchmarks.faults_dialog import describe, run_kill_dialog

        figures = await run_kill_dialog(options)
    elif options.scenario == "kill-dispatch":
        from benchmarks.faults_dispatch import describe, run_kill_dispatch  # type: ignore[assignment]

        figures = await run_kill_dispatch(options)  # type: ignore[assignment]
    else:
        from benchmarks.faults_outage import describe, run_db_outage  # type: ignore[assignment]

        figures = await run_db_outage(options)  # type: ignore[assignment]
    print(describe(figures), flush=True)  # type: ignore[arg-type]
    return figures.passed


def main() -> None:
    raise SystemExit(0 if asyncio.run(main_async(build_parser().parse_args())) else 1)


if __name__ == "__main__":
    main()
