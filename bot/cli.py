"""The `iro-bot` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.calc_command import add_calc_parser, run_calc
from domain.errors import DomainError
from domain.rules import load_rules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iro-bot",
        description="A Teams assistant for Independent Reviewing Officers.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_calc_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rules = load_rules(getattr(args, "rules", None) or os.environ.get("IRO_RULES") or None)
        if args.command == "calc":
            status, text = run_calc(args, rules)
        else:  # pragma: no cover - argparse refuses unknown commands first
            parser.error(f"unknown command {args.command}")
    except DomainError as exc:
        # One line that says what was wrong; never a stack trace.
        print(f"iro-bot: {exc}", file=sys.stderr)
        return 2
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
