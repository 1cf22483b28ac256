"""Delivery benchmark: dispatcher processes draining the outbox into a fake Bot Connector.

    .venv/bin/python -m benchmarks.dispatch_bench [--count 10000] [--dispatchers 1,2]
        [--kill] [--postgres URL] [--concurrency 8] [--batch 50] [--lease 5]

For each scenario it creates a throw-away PostgreSQL database (``iro_dispatch_<random>`` on the
server at URL, default ``$IRO_TEST_POSTGRES_URL``), migrates it, writes 200 staff with a stored
1:1 conversation reference each and ``count`` due notifications spread over them, starts the
fake Bot Connector (``tests/e2e/fake_connector.py``) in this process, and spawns ``N``
``iro-bot worker`` processes (real OS processes, real HTTP). It counts, at the connector, every
activity delivered and its idempotency key (``channelData.iroNotification.key``), and waits until
the store has every notification ``sent``. Then it stops the workers with SIGTERM (a graceful
stop: each must exit 0) and drops the database.

``--kill`` runs the crash scenario instead: two workers, and once a third of the notifications
have arrived one worker is killed with SIGKILL. Its leased notifications are taken over by the
survivor when the lease (``--lease`` seconds) expires.

Reported: the rate from the first to the last delivery (notifications/s; process start-up
excluded) and from spawning the workers, duplicates (activities beyond one per key), losses
(keys never delivered), and the store's final counts by status.

The same harness is run by ``tests/integration/test_dispatcher_processes.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as create_bare_async_engine
from sqlalchemy.pool import NullPool

from bot.workers.dispatcher import CHANNEL_DATA_KEY
from storage import dispatch_queue as queue
from storage import migrate
from storage.engine import create_engine, session_factory
from storage.models import ConversationRef, Notification, Staff
from tests.e2e.fake_connector import FakeConnector, Recorded

ROOT = Path(__file__).resolve().parent.parent
STAFF = 200
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
BOT_ID = "28:00000000-0000-0000-0000-0000000000b0"
INSERT_CHUNK = 2000


@dataclass
class RunResult:
    """What one scenario measured."""

    dispatchers: int
    count: int
    killed: bool
    seconds_from_spawn: float = 0.0
    seconds_delivering: float = 0.0  # first delivery to last
    activities: int = 0
    unique: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    exit_codes: list[int | None] = field(default_factory=list)
    killed_after: int | None = None  # deliveries counted when the SIGKILL was sent
    logs: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.activities - self.unique

    @property
    def lost(self) -> int:
        return self.count - self.unique

    @property
    def rate(self) -> float:
        return self.unique / self.seconds_delivering if self.seconds_delivering else 0.0

    @property
    def rate_from_spawn(self) -> float:
        return self.unique / self.seconds_from_spawn if self.seconds_from_spawn else 0.0


def postgres_url(given: str | None = None) -> str:
    url = given or os.environ.get("IRO_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit("give --postgres URL or set IRO_TEST_POSTGRES_URL")
    return url


@asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """A new, migrated database on the server at ``server_url``; dropped afterwards.

    A database rather than a schema: the workers are separate processes configured only by
    ``DATABASE_URL``, which cannot carry a ``search_path``.
    """
    name = f"iro_dispatch_{uuid.uuid4().hex[:10]}"
    admin = create_bare_async_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        await migrate.upgrade(url)
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def seed(engine: AsyncEngine, connector_url: str, count: int) -> None:
    """``STAFF`` staff with a 1:1 reference each, and ``count`` notifications due now."""
    now = datetime.now(UTC)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await session.execute(insert(Staff), [
            {"id": i, "email": f"staff{i}@example.org", "display_name": f"Staff {i}",
             "role": "social_worker", "aad_object_id": f"00000000-0000-0000-0000-{i:012d}",
             "teams_user_id": f"29:1bench-{i}", "active": True}
            for i in range(1, STAFF + 1)
        ])  # fmt: skip
        await session.execute(insert(ConversationRef), [
            {"staff_id": i, "conversation_id": f"a:1bench-{i}", "conversation_type": "personal",
             "service_url": connector_url + "/", "channel_id": "msteams", "tenant_id": TENANT_ID,
             "reference_json": reference_json(i, connector_url)}
            for i in range(1, STAFF + 1)
        ])  # fmt: skip
        if engine.dialect.name == "postgresql":  # SQLite needs no sequence moved on
            await session.execute(text("SELECT setval('staff_id_seq', :n)"), {"n": STAFF})
    for start in range(0, count, INSERT_CHUNK):
        async with sessions() as session, session.begin():
            await session.execute(insert(Notification), [
                {"idempotency_key": f"bench-{n}", "recipient_staff_id": 1 + n % STAFF,
                 "kind": "ir_notice", "payload": {"text": f"Benchmark notification {n}"},
                 "due_at": now, "status": "pending", "attempts": 0, "created_at": now}
                for n in range(start, min(count, start + INSERT_CHUNK))
            ])  # fmt: skip


def reference_json(staff_id: int, connector_url: str) -> str:
    import json

    return json.dumps({
        "activityId": "1700000000001",
        "user": {"id": f"29:1bench-{staff_id}", "name": f"Staff {staff_id}"},
        "bot": {"id": BOT_ID, "name": "iro-bot"},
        "conversation": {"id": f"a:1bench-{staff_id}", "conversationType": "personal",
                         "tenantId": TENANT_ID},
        "channelId": "msteams",
        "serviceUrl": connector_url + "/",
    }, sort_keys=True)  # fmt: skip


def key_of(call: Recorded) -> str | None:
    data = call.body.get("channelData") if isinstance(call.body, dict) else None
    return ((data or {}).get(CHANNEL_DATA_KEY) or {}).get("key")


async def spawn_worker(
    database_url: str, index: int, *, log_dir: Path, worker_args: list[str]
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "MicrosoftAppId": "",
        "MicrosoftAppPassword": "",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "bot.cli", "worker", "--name", f"bench-{index}",
               *worker_args]  # fmt: skip
    with (log_dir / f"worker-{index}.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=log, stderr=log
        )


async def run_scenario(
    server_url: str,
    *,
    count: int,
    dispatchers: int,
    kill: bool = False,
    worker_args: list[str] | None = None,
    log_dir: Path,
    timeout: float = 600.0,
) -> RunResult:
    """Drain ``count`` notifications with ``dispatchers`` worker processes (see module doc)."""
    result = RunResult(dispatchers, count, kill)
    args = worker_args or []
    log_dir.mkdir(parents=True, exist_ok=True)
    async with scratch_database(server_url) as url, FakeConnector() as connector:
        engine = create_engine(url)
        processes: list[Any] = []
        try:
            await seed(engine, connector.url, count)
            started = time.perf_counter()
            for index in range(dispatchers):
                processes.append(await spawn_worker(url, index, log_dir=log_dir, worker_args=args))
            first: float | None = None
            last_check = 0.0
            sessions = session_factory(engine)
            while True:
                await asyncio.sleep(0.05)
                now = time.perf_counter()
                delivered = len(connector.activities)
                if first is None and delivered:
                    first = now
                if now - started > timeout:
                    raise TimeoutError(f"{delivered} of {count} delivered in {timeout:.0f}s")
                if kill and result.killed_after is None and delivered >= count // 3:
                    processes[0].send_signal(signal.SIGKILL)
                    result.killed_after = delivered
                if now - last_check >= 0.5 or delivered >= count:
                    last_check = now
                    async with sessions() as session:
                        statuses = await queue.counts_by_status(session)
                    if statuses.get("sent", 0) >= count:
                        break
                    for process in processes:
                        if process.returncode not in (None, -signal.SIGKILL):
                            raise RuntimeError(f"a worker exited with {process.returncode}")
            ended = now  # the loop's last observation: all sent
            calls = connector.activities
            result.seconds_from_spawn = ended - started
            result.seconds_delivering = ended - (first or started)
            keys = Counter(key_of(call) for call in calls)
            result.activities = len(calls)
            result.unique = len([k for k in keys if k is not None])
            async with sessions() as session:
                result.statuses = await queue.counts_by_status(session)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    result.exit_codes.append(await asyncio.wait_for(process.wait(), 60))
                except TimeoutError:
                    process.kill()
                    result.exit_codes.append(await process.wait())
            await engine.dispose()
    return result


def describe(result: RunResult) -> str:
    scenario = (f"{result.dispatchers} dispatcher(s)" if not result.killed
                else f"{result.dispatchers} dispatchers, one SIGKILLed after "
                     f"{result.killed_after} deliveries")  # fmt: skip
    return (
        f"{scenario}: {result.unique:,}/{result.count:,} delivered in "
        f"{result.seconds_delivering:.1f}s ({result.rate:,.0f}/s; {result.rate_from_spawn:,.0f}/s "
        f"from spawn), duplicates {result.duplicates}, lost {result.lost}, "
        f"store {result.statuses}, exit codes {result.exit_codes}"
    )


async def main_async(options: argparse.Namespace) -> None:
    url = postgres_url(options.postgres)
    worker_args = ["--concurrency", str(options.concurrency), "--batch", str(options.batch),
                   "--lease", str(options.lease), "--send-timeout", str(options.lease / 2.5),
                   "--poll", "0.2"]  # fmt: skip
    print(f"Python {platform.python_version()} on {os.cpu_count()} CPUs; PostgreSQL at "
          f"{make_url(url).host}; {options.count:,} notifications; worker options "
          f"{' '.join(worker_args)}")  # fmt: skip
    log_dir = Path(options.logs)
    scenarios = [(n, False) for n in options.dispatchers] if not options.kill_only else []
    if options.kill or options.kill_only:
        scenarios.append((2, True))
    for dispatchers, kill in scenarios:
        result = await run_scenario(url, count=options.count, dispatchers=dispatchers, kill=kill,
                                    worker_args=worker_args, log_dir=log_dir)  # fmt: skip
        print(describe(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--dispatchers", type=lambda v: [int(x) for x in v.split(",")],
                        default=[1, 2])  # fmt: skip
    parser.add_argument("--kill", action="store_true", help="also run the SIGKILL scenario")
    parser.add_argument("--kill-only", action="store_true", help="run only the SIGKILL scenario")
    parser.add_argument("--postgres", help="asyncpg URL (default $IRO_TEST_POSTGRES_URL)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument(
        "--lease",
        type=float,
        default=5.0,
        help="lease seconds (short, so the SIGKILL scenario finishes soon)",
    )
    parser.add_argument("--logs", default="/tmp/iro-dispatch-bench",
                        help="folder for the workers' logs")  # fmt: skip
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
