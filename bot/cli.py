"""The `iro-bot` command line.

Each command lives in its own module exposing ``register(subparsers)``; the subparser it adds
sets ``handler``, a function of the parsed arguments that returns the exit status. Commands print
clear one-line errors and exit 2 on bad input, never a stack trace.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import (
    calc_command,
    import_command,
    migrate_command,
    recompute_command,
    seed_demo_command,
    serve_command,
)
from domain.errors import DomainError

COMMAND_MODULES = [
    calc_command,
    migrate_command,
    seed_demo_command,
    recompute_command,
    import_command,
    serve_command,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iro-bot",
        description="A Teams assistant for Independent Reviewing Officers.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except DomainError as exc:
        # One line that says what was wrong; never a stack trace.
        print(f"iro-bot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
