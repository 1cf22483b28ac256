"""The `iro-bot` command line.

Each command lives in its own module exposing ``register(subparsers)``; the subparser it adds
sets ``handler``, a function of the parsed arguments that returns the exit status. Commands print
clear one-line errors and exit 2 on bad input, never a stack trace.

Only the module of the command being run is imported: the server's modules load botbuilder,
SQLAlchemy and Alembic (seconds on a cold machine), which `iro-bot calc` does not need.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from domain.errors import DomainError

#: command -> (module, one-line help for `iro-bot --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "calc": ("bot.cli.calc_command", "work out a statutory date and explain it"),
    "migrate": ("bot.cli.migrate_command", "bring the store's schema up to date"),
    "seed-demo": ("bot.cli.seed_demo_command", "fill an empty store with a synthetic authority"),
    "import": (
        "bot.cli.import_command",
        "import people, children, reviews, IRs or an SSDA903 return",
    ),
    "recompute": ("bot.cli.recompute_command", "recompute every child's next review date"),
    "serve": ("bot.cli.serve_command", "run the bot's web server"),
    "run": ("bot.cli.run_command", "serve on loopback with the Agents Playground (make run)"),
    "chat": ("bot.cli.chat_command", "talk to the bot in this terminal"),
    "worker": ("bot.cli.worker_command", "deliver notifications without the web server"),
    "report": ("bot.cli.report_command", "the annual IRO report's tables, for any period"),
    "manifest": (
        "bot.cli.manifest_command",
        "build the Teams app package (manifest.json and icons)",
    ),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, the other commands are listed but not loaded."""
    parser = argparse.ArgumentParser(
        prog="iro-bot",
        description="A Teams assistant for Independent Reviewing Officers.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, summary) in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(module).register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in arguments if not a.startswith("-")), None)
    args = build_parser(command if command in COMMANDS else None).parse_args(arguments)
    try:
        return int(args.handler(args))
    except DomainError as exc:
        # One line that says what was wrong; never a stack trace.
        print(f"iro-bot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
