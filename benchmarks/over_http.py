"""What the benchmarks that talk to a bot over HTTP share (``turn_bench``, ``load_bench``).

- ``server_process``: a bot's aiohttp app, named ``"module:function"``, served in its own OS
  process on 127.0.0.1 (so nothing one installs, such as our msrest fix, leaks into another, and
  the bot has a core to itself); it prints ``READY`` once listening and stops on SIGTERM.
  ``python -m benchmarks.over_http --serve FACTORY --port N`` is that process.
- ``teams_activity``: a Teams-shaped message activity from a user in a personal chat.
- ``shown``: what a delivered reply shows a person (its card's text rendering, or its text).
- ``cpu_seconds``: a process's (or one thread's) CPU time, from ``/proc``.
- ``percentile``: the value below which ``fraction`` of the samples fall (nearest rank).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib
import inspect
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.e2e.fake_connector import Recorded

TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
BOT_ID = "28:00000000-0000-0000-0000-0000000000b0"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# A server process that has not said READY by then has failed to start (imports, a store it
# cannot open): the run stops rather than hangs.
START_TIMEOUT_SECONDS = 60.0


def default_sender(user: int) -> dict[str, str]:
    """The Teams account of benchmark user ``user`` when a scenario names no staff member."""
    return {
        "id": f"29:1bench-user-{user:04d}",
        "aadObjectId": f"00000000-0000-0000-0000-{user:012d}",
        "name": f"Bench User {user}",
    }


def teams_activity(
    service_url: str, user: int, conversation_id: str, text: str,
    sender: Mapping[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A message from ``sender`` (else ``default_sender(user)``) in a personal chat, as Teams
    posts it to ``/api/messages``."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "timestamp": now,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": dict(sender or default_sender(user)),
        "conversation": {
            "conversationType": "personal",
            "tenantId": TENANT_ID,
            "id": conversation_id,
        },
        "recipient": {"id": BOT_ID, "name": "iro-bot"},
        "locale": "en-GB",
        "textFormat": "plain",
        "text": text,
        "channelData": {"tenant": {"id": TENANT_ID}},
    }


def shown(reply: Recorded) -> str:
    """What a delivered reply shows: its Adaptive Cards' text rendering, or its text."""
    from cards.elements import card_to_text

    cards = [a["content"] for a in reply.attachments if a.get("contentType") == ADAPTIVE_CARD]
    return "\n".join(card_to_text(c) for c in cards) if cards else (reply.text or "")


def cpu_seconds(pid: int, thread: int | None = None) -> float | None:
    """CPU time (user + system) of a process, or of one of its threads (Linux /proc)."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (the same definition in every benchmark table here)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def server_process(
    app: str, env: Mapping[str, str], *, label: str, profile_path: str | None = None
) -> AsyncIterator[tuple[str, int]]:
    """Serve ``app`` ("module:function") in a new process on 127.0.0.1 with ``env`` added to
    this process's environment; yields its ``/api/messages`` URL and its pid. SIGTERM at the end
    (SIGKILL if it has not stopped 30 s later)."""
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.over_http", "--serve", app, "--port", str(port)]
    if profile_path:
        command += ["--profile-to", profile_path]
    environment = {**os.environ, **env}
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), environment.get("PYTHONPATH", "")]
    )
    process = await asyncio.create_subprocess_exec(
        *command, env=environment, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=START_TIMEOUT_SECONDS)
        if line.strip() != b"READY":
            raise RuntimeError(f"{label}: the server did not start ({line!r})")
        yield f"http://127.0.0.1:{port}/api/messages", process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()


def _import(path: str) -> Callable[[], Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


async def serve(factory: str, port: int, profile_path: str | None = None) -> None:
    """The server process: serve until SIGTERM; with a profile path, profile the serving."""
    app = _import(factory)()
    if inspect.isawaitable(app):
        app = await app
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    profiler = cProfile.Profile() if profile_path else None
    print("READY", flush=True)
    if profiler is not None:
        profiler.enable()
    await stop.wait()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_path)
    await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve one benchmark app (used by the benches).")
    parser.add_argument("--serve", metavar="FACTORY", required=True, help='"module:function"')
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--profile-to", help="cProfile the event loop into this file")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.serve, args.port, args.profile_to))
    return 0


if __name__ == "__main__":
    sys.exit(main())
