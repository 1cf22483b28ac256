"""Scenario ``db-outage``: the database unreachable for ``--outage`` seconds, then back.

PostgreSQL (``--postgres``): ``iro-bot serve`` reaches the database only through a TCP proxy
(``tests/e2e/tcp_proxy.py``); the outage is the proxy cut (every connection reset, new ones
refused, as when the server stops), so the shared server itself is never touched. The benchmark
keeps its own direct connection, to enqueue a nudge during the outage and to check the store.

SQLite (the default): there is no server to lose. What can make the file unusable for a while is
another process holding it locked (a backup, an ``sqlite3`` shell left in a transaction). So the
outage is another process holding the write lock (``BEGIN EXCLUSIVE``) on the file.

The run: ``--users`` users each start raising an IR and answer up to the stage question; the
outage starts; each sends their stage answer during it; ``/readyz`` is polled throughout; a
nudge is enqueued (directly) during it. Then the store comes back and each user sends the
stage answer again, then "yes". Measured: what the users got during the outage and how long it
took, what ``/readyz`` said, how long after the store came back ``/readyz`` said 200, a turn
succeeded, and the nudge arrived. PASS: every message during the outage answered with the
"can't reach the records" message (PostgreSQL) or answered correctly once the lock went
(SQLite); ``/readyz`` 503 during the outage and 200 after (PostgreSQL); every dialog carried on
from its stage question; exactly one IR per user; the nudge delivered once.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from benchmarks.dispatch_bench import key_of
from benchmarks.faults_common import ALEX_USER, Server, say, scratch_store, shown
from benchmarks.faults_dialog import choose_children
from bot.app import STORE_UNAVAILABLE
from bot.cli.demo_data import ALEX
from storage.engine import create_engine, session_factory
from storage.models import IssueResolution, Staff
from storage.outbox import enqueue
from tests.e2e.conftest import BotClient
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.tcp_proxy import TcpProxy

#: How long a SQLite connection waits for a lock (``storage.engine``: busy_timeout 30000 ms).
SQLITE_BUSY_SECONDS = 30.0
NUDGE_KEY = "faults-outage-nudge"
NUDGE_TEXT = "A reminder enqueued while the database was unreachable."


@dataclass
class OutageFigures:
    store: str
    outage: float
    users: int
    during_replies: list[str] = field(default_factory=list)  # what each user got, in short
    during_seconds: list[float] = field(default_factory=list)  # message to reply
    health_during: dict[int | str, int] = field(default_factory=dict)  # status: times seen
    first_503_after: float | None = None  # seconds from the cut
    healthy_after: float | None = None  # seconds from the restore to /readyz 200
    turn_after: float | None = None  # seconds from the restore to a turn that worked
    failed_turns_after: int = 0
    resumed: int = 0  # dialogs that carried on from the stage question
    irs_found: int = 0
    irs_duplicated: int = 0
    nudge_deliveries: int = 0
    nudge_after: float | None = None  # seconds from the restore to the nudge's arrival

    @property
    def kind_replies(self) -> int:
        return sum(1 for r in self.during_replies if r == "try again")

    @property
    def passed(self) -> bool:
        if self.store == "postgresql":
            during_ok = self.kind_replies == self.users and self.health_during.get(503, 0) > 0
        else:
            # A lock shorter than SQLite's busy timeout only delays the turns: each is answered
            # (the summary) once it goes. A longer one fails them: "try again in a minute".
            expected = "summary" if self.outage < SQLITE_BUSY_SECONDS else "try again"
            during_ok = self.during_replies == [expected] * self.users
        return (
            during_ok
            and self.healthy_after is not None
            and self.resumed == self.users
            and self.irs_found == self.users
            and self.irs_duplicated == 0
            and self.nudge_deliveries == 1
        )


def summarise(text: str) -> str:
    if text == STORE_UNAVAILABLE:
        return "try again"
    if "Goes to:" in text:
        return "summary"
    if "At which stage?" in text:
        return "stage question"
    if text.startswith("Sorry"):
        return "apology"
    return "other"


async def run_db_outage(options: argparse.Namespace) -> OutageFigures:
    figures = OutageFigures("postgresql" if options.postgres else "sqlite", options.outage,
                            options.users)  # fmt: skip
    async with scratch_store(options.postgres) as url, FakeConnector() as connector, \
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as http:  # fmt: skip
        proxy = TcpProxy.for_url(url) if options.postgres else None
        if proxy is not None:
            await proxy.start()
        served_url = proxy.url_through(url) if proxy is not None else url
        server = Server(served_url, Path(options.logs))
        direct = create_engine(url)
        locker: asyncio.subprocess.Process | None = None
        try:
            await server.start()
            children, _ = await choose_children(url, options.users, 0)
            clients = [BotClient(http, server.url + "/api/messages", connector, user=ALEX_USER)
                       for _ in children]  # fmt: skip
            for client, child in zip(clients, children, strict=True):
                await say(client, f"raise an IR for {child.child_id}")
                await say(client, "1, 4")
                asked = await say(client, f"Outage drill for {child.child_id}.")
                assert "At which stage?" in shown(asked[-1]), [shown(a) for a in asked]

            # -- the outage ------------------------------------------------------------------
            cut_at = time.perf_counter()
            if proxy is not None:
                await proxy.cut()
            else:
                locker = await lock_sqlite(url, options.outage)
            health = asyncio.create_task(poll_health(http, server.url, cut_at, figures))
            # Alongside the users: on SQLite the write waits for the lock like theirs.
            nudge = asyncio.create_task(enqueue_nudge(direct, connector.url))

            async def during(client: BotClient) -> None:
                started = time.perf_counter()
                replies = await say(client, "stage 1")
                figures.during_seconds.append(time.perf_counter() - started)
                figures.during_replies.append(summarise(shown(replies[-1])) if replies else "none")

            await asyncio.gather(*(during(c) for c in clients), nudge)
            await asyncio.sleep(max(0.0, cut_at + options.outage - time.perf_counter()))
            restored_at = time.perf_counter()
            if proxy is not None:
                await proxy.restore()
            elif locker is not None:
                await locker.wait()
            health.cancel()
            await asyncio.gather(health, return_exceptions=True)

            # -- recovery --------------------------------------------------------------------
            await wait_healthy(http, server.url, restored_at, figures)
            for client in clients:
                await carry_on(client, restored_at, figures)
            await wait_for_nudge(connector, restored_at, figures)
            await check_irs(direct, [c.id for c in children], figures)
        finally:
            if locker is not None and locker.returncode is None:
                locker.kill()
                await locker.wait()
            await server.stop()
            await direct.dispose()
            if proxy is not None:
                await proxy.close()
    return figures


async def lock_sqlite(url: str, seconds: float) -> asyncio.subprocess.Process:
    """Another process holding the SQLite file's write lock for ``seconds``; returns once the
    lock is held. (In WAL mode, which the bot uses, readers carry on; every writer waits. A
    lock that would stop readers too, ``locking_mode=EXCLUSIVE``, cannot be taken while the bot
    has the file open in WAL mode: SQLite refuses it, "database is locked".)"""
    path = url.split("///", 1)[1]
    script = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA busy_timeout=30000')\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "c.execute('COMMIT')\n"
        "c.close()\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, path, str(seconds), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = await process.stdout.readline()
    if line.strip() != b"locked":
        raise RuntimeError("could not lock the SQLite file")
    return process


async def poll_health(
    http: aiohttp.ClientSession, url: str, cut_at: float, figures: OutageFigures
) -> None:
    while True:
        try:
            async with http.get(url + "/readyz") as response:
                status: int | str = response.status
        except aiohttp.ClientError as exc:
            status = type(exc).__name__
        figures.health_during[status] = figures.health_during.get(status, 0) + 1
        if status == 503 and figures.first_503_after is None:
            figures.first_503_after = time.perf_counter() - cut_at
        await asyncio.sleep(0.2)


async def wait_healthy(
    http: aiohttp.ClientSession, url: str, restored_at: float, figures: OutageFigures
) -> None:
    while time.perf_counter() - restored_at < 60:
        async with http.get(url + "/readyz") as response:
            if response.status == 200:
                figures.healthy_after = time.perf_counter() - restored_at
                return
        await asyncio.sleep(0.05)


async def carry_on(client: BotClient, restored_at: float, figures: OutageFigures) -> None:
    """The stage answer again (until it works), then "yes"."""
    for _ in range(100):
        replies = await say(client, "stage 1")
        outcome = summarise(shown(replies[-1])) if replies else "none"
        if outcome == "summary" or outcome == "other":
            break
        figures.failed_turns_after += 1
        await asyncio.sleep(0.1)
    if figures.turn_after is None:
        figures.turn_after = time.perf_counter() - restored_at
    if outcome != "summary":
        return
    figures.resumed += 1
    await say(client, "yes")


async def enqueue_nudge(engine: object, connector_url: str) -> None:
    """A nudge to Alex, due now, written straight into the store (not through the proxy)."""
    sessions = session_factory(engine)  # type: ignore[arg-type]
    for _ in range(10):  # a SQLite lock longer than the busy timeout fails the write: again
        try:
            await _write_nudge(sessions, connector_url)
            return
        except OperationalError:
            await asyncio.sleep(0.5)
    raise RuntimeError("could not enqueue the nudge")


async def _write_nudge(sessions: Any, connector_url: str) -> None:
    from storage.conversations import remember_conversation

    async with sessions() as session, session.begin():
        alex = await session.scalar(select(Staff.id).where(Staff.email == ALEX.email))
        assert alex is not None
        await remember_conversation(session, alex, {
            "activityId": "1", "user": {"id": ALEX_USER.mri}, "bot": {"id": "28:bot"},
            "conversation": {"id": "a:1faults-nudges", "conversationType": "personal"},
            "channelId": "msteams", "serviceUrl": connector_url + "/",
        }, None)  # fmt: skip
        await enqueue(session, key=NUDGE_KEY, recipient_staff_id=alex, kind="reminder",
                      payload={"text": NUDGE_TEXT}, due_at=datetime.now(UTC))  # fmt: skip


async def wait_for_nudge(
    connector: FakeConnector, restored_at: float, figures: OutageFigures
) -> None:
    while time.perf_counter() - restored_at < 90:
        arrived = [a for a in connector.activities if key_of(a) == NUDGE_KEY]
        if arrived:
            if figures.nudge_after is None:
                figures.nudge_after = time.perf_counter() - restored_at
            # A moment more, so a second copy would be seen too.
            await asyncio.sleep(2.0)
            figures.nudge_deliveries = len(
                [a for a in connector.activities if key_of(a) == NUDGE_KEY]
            )
            return
        await asyncio.sleep(0.05)


async def check_irs(engine: object, child_pks: list[int], figures: OutageFigures) -> None:
    async with session_factory(engine)() as session:  # type: ignore[arg-type]
        for pk in child_pks:
            count = await session.scalar(
                select(func.count()).select_from(IssueResolution).where(
                    IssueResolution.child_pk == pk, IssueResolution.source == "bot")
            ) or 0  # fmt: skip
            figures.irs_found += min(count, 1)
            figures.irs_duplicated += max(0, count - 1)


def describe(figures: OutageFigures) -> str:
    during = figures.during_seconds
    replies = {r: figures.during_replies.count(r) for r in sorted(set(figures.during_replies))}
    fmt = "{:.2f}s".format

    def maybe(value: float | None) -> str:
        return fmt(value) if value is not None else "never"

    how = ("proxy cut: connections reset, new ones refused" if figures.store == "postgresql"
           else "another process holding the file's write lock")  # fmt: skip
    return "\n".join([
        f"{figures.store}: outage of {figures.outage:g}s ({how}), "
        f"{figures.users} users each at the stage question of an IR",
        f"during: replies {replies}, message to reply median "
        f"{fmt(statistics.median(during)) if during else '-'} max {fmt(max(during, default=0))}; "
        f"/readyz {figures.health_during}, first 503 {maybe(figures.first_503_after)} after "
        f"the cut",
        f"after the store came back: /readyz 200 in {maybe(figures.healthy_after)}, first turn "
        f"that worked {maybe(figures.turn_after)} ({figures.failed_turns_after} failed first), "
        f"nudge enqueued during the outage delivered {figures.nudge_deliveries}x, "
        f"{maybe(figures.nudge_after)} after",
        f"dialogs carried on from their stage question {figures.resumed}/{figures.users}; "
        f"IRs {figures.irs_found}/{figures.users}, duplicated {figures.irs_duplicated}",
        "PASS" if figures.passed else "FAIL",
    ])  # fmt: skip
