"""`iro-bot report --from D --to D [--format html|md|csv] --out PATH`: the annual report's tables.

Every figure is for the period given with the previous period of the same length beside it
("this (last)"). HTML is one self-contained file that prints well, Markdown is for pasting, and
CSV writes one file per table into the folder ``--out``. Exit status 0 when written, 2 on bad
input or when the store cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from domain.reporting import Period, Report
    from domain.rules import RuleSet
    from services.reports.context import ReportSection

FORMATS = ("html", "md", "csv")


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    parser = subparsers.add_parser(
        "report",
        help="the annual IRO report's tables, for any period",
        description="Write the IRO annual report's tables for a period, with the previous "
        "period of the same length in brackets. Dates are DD/MM/YYYY or YYYY-MM-DD; both ends "
        "are included (e.g. --from 01/04/2023 --to 31/03/2024).",
    )
    parser.add_argument("--from", dest="start", required=True, metavar="D", help="first day")
    parser.add_argument("--to", dest="end", required=True, metavar="D", help="last day")
    # Checked by the handler, not argparse `choices`, so a bad value gets our one-line error.
    parser.add_argument("--format", default="html", metavar="FORMAT", help="html, md or csv")
    parser.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="file to write (html, md; '-' for standard output) or, for csv, a folder",
    )
    parser.add_argument(
        "--sections", metavar="KEYS", help="only these sections, comma-separated (default: all)"
    )
    parser.add_argument("--rules", metavar="FILE", help="rules file (default: IRO_RULES)")
    parser.add_argument("--today", metavar="D", help="the date the report says it was made")
    parser.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    # Heavy imports here, not at module level: `iro-bot --help` and other commands stay fast.
    from sqlalchemy.exc import DBAPIError

    from bot.settings import Settings
    from domain.dates import parse_date
    from domain.errors import DomainError
    from domain.reporting import Period
    from domain.rules import load_rules
    from services.clock import today_in
    from services.reports.registry import sections_by_key

    fmt = args.format.lower().removeprefix(".")
    fmt = "md" if fmt == "markdown" else fmt
    if fmt not in FORMATS:
        raise DomainError(f"{args.format!r} is not a report format: use html, md or csv")
    period = Period(parse_date(args.start), parse_date(args.end))
    settings = Settings()
    rules = load_rules(args.rules or settings.rules_path or None)
    today = parse_date(args.today) if args.today else today_in(rules.timezone)
    available = sections_by_key()
    chosen = list(available.values())
    if args.sections:
        keys = [k.strip() for k in args.sections.split(",") if k.strip()]
        unknown = [k for k in keys if k not in available]
        if unknown:
            raise DomainError(
                f"no report section {', '.join(map(repr, unknown))}: the sections are "
                f"{', '.join(available)}"
            )
        chosen = [available[k] for k in keys]
    out = Path(args.out)
    if fmt == "csv" and args.out == "-":
        raise DomainError("--format csv writes a folder of files: give --out a folder")
    if fmt == "csv" and out.exists() and not out.is_dir():
        raise DomainError(f"{out} is a file: --format csv writes a folder of files")

    try:
        report = asyncio.run(_build(settings.database_url, period, rules, today, chosen))
    except (DBAPIError, OSError) as exc:
        # asyncpg raises OSError when it cannot connect. The URL may hold a password: say what
        # went wrong, never where.
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
        reason = (str(cause).splitlines() or [type(cause).__name__])[0]
        print(
            f"iro-bot report: the store cannot be read ({reason}); check DATABASE_URL and run "
            "`iro-bot migrate`.",
            file=sys.stderr,
        )
        return 2

    if fmt == "csv":
        from bot.reports import write_csv

        written = write_csv(report, out)
        print(f"Wrote {len(written)} CSV files to {out}/")
        return 0
    if fmt == "md":
        from bot.reports import render_markdown

        text = render_markdown(report)
    else:
        from bot.reports import render_html

        text = render_html(report)
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    if out.is_dir():
        out = out / f"iro-report-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"Wrote {out}")
    return 0


async def _build(
    url: str, period: Period, rules: RuleSet, today: date, sections: list[ReportSection]
) -> Report:
    from services.reports import annual_report
    from services.unit_of_work import SqlUnitOfWork
    from storage.engine import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            report = await annual_report(SqlUnitOfWork(session), rules, period, today, sections)
            assert report is not None  # the service itself may always see its figures
            return report
    finally:
        await engine.dispose()
