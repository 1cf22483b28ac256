"""What the fault scenarios share: a scratch store, a real ``iro-bot serve`` process that can be
killed and restarted, and a user who answers whatever the bot is asking.

See ``benchmarks/faults.py`` for the scenarios and how to run them.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import aiohttp

from benchmarks.dispatch_bench import key_of, scratch_database
from bot.cli.demo_data import ALEX, seed_demo
from cards.elements import card_to_text
from domain.rules import RuleSet, load_rules
from services.clock import today_in
from storage import migrate
from storage.engine import create_engine, session_factory
from tests.e2e.conftest import BotClient, TeamsUser
from tests.e2e.fake_connector import FakeConnector, Recorded

ROOT = Path(__file__).resolve().parent.parent
RULES: RuleSet = load_rules()
#: The demo's IRO, as Teams would name her in an activity.
ALEX_USER = TeamsUser("29:1alex-faults", ALEX.aad_object_id, ALEX.display_name)
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def today() -> date:
    """The date ``iro-bot serve`` will use (its clock is the real one)."""
    return today_in(RULES.timezone)


def shown(reply: Recorded) -> str:
    """What the user sees: the card's text rendering, or the plain text."""
    cards = [a["content"] for a in reply.attachments if a.get("contentType") == ADAPTIVE_CARD]
    return "\n".join(card_to_text(c) for c in cards) if cards else (reply.text or "")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def scratch_store(postgres: str | None, *, seed: bool = True) -> AsyncIterator[str]:
    """A migrated store with the demo authority seeded for today: a new PostgreSQL database on
    the server at ``postgres`` (dropped afterwards), else a SQLite file in a temporary folder."""
    async with _empty_store(postgres) as url:
        if seed:
            engine = create_engine(url)
            try:
                async with session_factory(engine)() as session, session.begin():
                    await seed_demo(session, RULES, today=today(), seed=7)
            finally:
                await engine.dispose()
        yield url


@asynccontextmanager
async def _empty_store(postgres: str | None) -> AsyncIterator[str]:
    if postgres:
        async with scratch_database(postgres) as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="iro-faults-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'faults.db'}"
        await migrate.upgrade(url)
        yield url


@dataclass
class Server:
    """``iro-bot serve`` as a real process on a fixed port, which survives being killed: every
    restart is on the same port and store, as a supervisor (systemd, a container runtime) would
    bring it back."""

    database_url: str
    log_dir: Path
    port: int = field(default_factory=free_port)
    scheduler: bool = False
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    start_seconds: list[float] = field(default_factory=list)  # spawn to /healthz 200, each
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *, timeout: float = 90.0) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "LOG_LEVEL": "WARNING",
            "MicrosoftAppId": "",
            "MicrosoftAppPassword": "",
            "IRO_SCHEDULER_ENABLED": "true" if self.scheduler else "false",
            "PYTHONUNBUFFERED": "1",
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self.starts += 1
        with (self.log_dir / f"serve-{self.starts}.log").open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port),
                cwd=ROOT, env=env, stdout=log, stderr=log,
            )  # fmt: skip
        async with aiohttp.ClientSession() as http:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"iro-bot serve exited with {self.process.returncode}")
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"iro-bot serve not healthy within {timeout:.0f}s")
                try:
                    async with http.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        self.start_seconds.append(time.perf_counter() - started)
        self.ready.set()

    def kill(self) -> None:
        """SIGKILL, at once: no shutdown, no cleanup, in-flight work abandoned."""
        self.ready.clear()
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def wait_dead(self) -> None:
        if self.process is not None:
            await self.process.wait()

    async def stop(self) -> int | None:
        """SIGTERM (a graceful stop); the exit status."""
        self.ready.clear()
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 60)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()


# -- the user --------------------------------------------------------------------------------


def is_notification(activity: Recorded) -> bool:
    """A proactive message from the dispatcher (an IR card copy for the IRO, a nudge), not an
    answer to what the user said: it carries its notification's key."""
    return key_of(activity) is not None


def answers_since(connector: FakeConnector, conversation_id: str, before: int) -> list[Recorded]:
    """What the bot said in a conversation after its first ``before`` activities, leaving out
    proactive notifications (they can land in the same chat at any moment)."""
    return [a for a in connector.activities_in(conversation_id)[before:] if not is_notification(a)]


async def say(client: BotClient, text: str) -> list[Recorded]:
    """Send ``text`` and return the bot's answers (the turn has finished when the POST is
    answered, so they have all arrived)."""
    before = len(client.connector.activities_in(client.conversation_id))
    posted = await client.post(client.message(text))
    if not 200 <= posted.status < 300:
        raise RuntimeError(f"POST /api/messages answered {posted.status}")
    return answers_since(client.connector, client.conversation_id, before)


RAISED = re.compile(r"\bIR-\d{4}-\d+ raised\b")
ALREADY = re.compile(r"already saved(?: \((IR-\d{4}-\d+)\))?")
DONE = "<done>"


def answer_to(text: str, *, description: str, held_on: str) -> str | None:
    """What a user answers to what the bot showed: the next answer, ``DONE`` when the dialog's
    outcome is shown, None when it is not a question (an apology, "try again in a minute"):
    then the user sends their last answer again."""
    if RAISED.search(text) or "Review recorded for" in text or ALREADY.search(text):
        return DONE
    # A question, or the message saying its answer was not understood (an answer that arrived
    # after a restart at a step the bot had not saved yet): either way, answer that question.
    if "Why are you raising an IR about" in text or "match that to the reasons" in text:
        return "1, 4"
    if "Describe the issue" in text:
        return description
    if "At which stage?" in text or "which stage you meant" in text:
        return "stage 1"
    if "Record this review?" in text or "Goes to:" in text or 'reply "yes" to save' in text:
        return "yes"
    if "review held?" in text or "read that as a date" in text:
        return held_on
    if "Was it a full review" in text or 'reply "full"' in text:
        return "full"
    if "Why was it late?" in text or "Why could only Part 1" in text or "Which of these did " \
            "you mean" in text or "Please choose one of the" in text:  # fmt: skip
        return "1"  # the first reason on the authority's list
    if "How did the young person take part" in text or "Please choose how they took" in text:
        return "1"
    if "chair their own review" in text:
        return "no"
    if "Where was the review held?" in text:
        return "West Berkshire"
    return None
