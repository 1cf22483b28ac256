"""`iro-bot run`: the bot's server and, where Node.js is present, Agents Playgrounds beside it.

`make run` migrates the store and seeds the demo first; this starts the bot and one Playground
per person named by ``--as`` (by default Alex Wilber, an IRO, and Adele Vance, his colleague
Megan's team manager: the two sides of a Stage 1 IR), and stops them all together. Each
Playground (a local Teams simulator, pinned in package.json) is that person's own Teams: see
bot/cli/playground.py. They talk to the bot on loopback and need no Microsoft account.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bot.cli.demo_data import PlaygroundUser
from bot.cli.playground import (
    DEFAULT_PEOPLE,
    UnknownPersonError,
    first_name,
    port_for,
    who,
    write_config,
)

PLAYGROUND_BIN = Path("node_modules") / ".bin" / "agentsplayground"
# Beside the Playground's own default log folder (git ignores it): configs and one log each.
PLAYGROUND_FOLDER = Path("devTools")


def _person(name: str) -> PlaygroundUser:
    try:
        return who(name)
    except UnknownPersonError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="serve the bot on loopback, with the Agents Playground when it is installed",
    )
    parser.add_argument("--port", type=int, default=3978)
    parser.add_argument(
        "--as", dest="people", nargs="+", type=_person, metavar="WHO",
        default=[who(name) for name in DEFAULT_PEOPLE],
        help="whose Playgrounds to open: first names or e-mails of the demo's Playground "
        f"users (default: {' '.join(first_name(who(name)) for name in DEFAULT_PEOPLE)})",
    )  # fmt: skip
    parser.add_argument("--no-playground", action="store_true",
                        help="do not start the Agents Playground")  # fmt: skip
    parser.set_defaults(handler=run_local)


def playground_command(user: PlaygroundUser, bot_port: int) -> list[str]:
    return [
        str(PLAYGROUND_BIN), "-e", f"http://127.0.0.1:{bot_port}/api/messages", "-c", "msteams",
        "-p", str(port_for(user)), "--disable-telemetry",
    ]  # fmt: skip


def playground_environment(user: PlaygroundUser, folder: Path) -> dict[str, str]:
    name = user.email.split("@", 1)[0]
    return {
        **os.environ,
        # Without this the Playground exits when it cannot open a browser.
        "TEAMSAPPTESTER_BROWSER": "none",
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(write_config(user, folder).resolve()),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str((folder / f"playground-{name}.log").resolve()),
    }


def start_playgrounds(
    people: list[PlaygroundUser], bot_port: int, folder: Path = PLAYGROUND_FOLDER
) -> list[subprocess.Popen[bytes]]:
    if not people:
        return []
    if not (shutil.which("node") and PLAYGROUND_BIN.exists()):
        print(
            "The Agents Playground is not installed (it needs Node.js and `npm ci`). Try "
            "the bot in a terminal instead: .venv/bin/iro-bot chat --as alexw@example.com"
        )
        return []
    processes = []
    for user in dict.fromkeys(people):  # each person once, in the order asked for
        processes.append(subprocess.Popen(
            playground_command(user, bot_port), env=playground_environment(user, folder),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
        print(f"Agents Playground as {user.display_name} ({user.role.replace('_', ' ')}): "
              f"open http://127.0.0.1:{port_for(user)}")  # fmt: skip
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def run_local(args: argparse.Namespace) -> int:
    from bot.cli.serve_command import run_serve_until_stopped

    playgrounds = [] if args.no_playground else start_playgrounds(args.people, args.port)
    try:
        print(f"iro-bot: http://127.0.0.1:{args.port}/api/messages  (Ctrl-C to stop)")
        return run_serve_until_stopped("127.0.0.1", args.port)
    finally:
        stop(playgrounds)
