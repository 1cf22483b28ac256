"""`iro-bot run`: the bot's server and, where Node.js is present, the Agents Playground beside it.

`make run` migrates the store and seeds the demo first; this starts the two processes and stops
both together. The Playground (a local Teams simulator, pinned in package.json) talks to the bot
on loopback and needs no Microsoft account.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

PLAYGROUND_PORT = 56150
PLAYGROUND_BIN = Path("node_modules") / ".bin" / "agentsplayground"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="serve the bot on loopback, with the Agents Playground when it is installed",
    )
    parser.add_argument("--port", type=int, default=3978)
    parser.add_argument("--no-playground", action="store_true",
                        help="do not start the Agents Playground")  # fmt: skip
    parser.set_defaults(handler=run_local)


def start_playground(port: int) -> subprocess.Popen[bytes] | None:
    if not (shutil.which("node") and PLAYGROUND_BIN.exists()):
        print("The Agents Playground is not installed (it needs Node.js and `npm ci`). Try "
              "the bot in a terminal instead: .venv/bin/iro-bot chat --as alexw@example.com")
        return None
    # Without this variable the Playground exits when it cannot open a browser.
    env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none"}
    process = subprocess.Popen(
        [str(PLAYGROUND_BIN), "-e", f"http://127.0.0.1:{port}/api/messages", "-c", "msteams"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    print(f"Agents Playground: open http://127.0.0.1:{PLAYGROUND_PORT} (you are Alex Wilber, an "
          "IRO; switch user in its menu to be Megan Bowen, Adele Vance, ...)")  # fmt: skip
    return process


def run_local(args: argparse.Namespace) -> int:
    from bot.serve_command import run_serve_until_stopped

    playground = None if args.no_playground else start_playground(args.port)
    try:
        print(f"iro-bot: http://127.0.0.1:{args.port}/api/messages  (Ctrl-C to stop)")
        return run_serve_until_stopped("127.0.0.1", args.port)
    finally:
        if playground is not None:
            playground.terminate()
            try:
                playground.wait(timeout=10)
            except subprocess.TimeoutExpired:
                playground.kill()

