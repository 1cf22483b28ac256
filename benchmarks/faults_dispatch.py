"""Scenario ``kill-dispatch``: two ``iro-bot worker`` processes drain the outbox into the fake
Bot Connector; ``--kills`` times, evenly through the run, one of them is killed with SIGKILL and a
new one started in its place (as a supervisor would). Every activity the connector accepts is
counted by its idempotency key (``channelData.iroNotification.key``) with the moment it arrived.

Lost: keys never delivered (must be none). Duplicates: deliveries beyond the first for a key.
Each is put down to the kill that came first after its first delivery: a key delivered, then its
dispatcher killed before it committed ``sent``, then delivered again once the lease expired (the
only way a duplicate can arise: ``bot/workers/dispatcher.py``, "What exactly once means here"). PASS
needs none lost, all ``sent`` in the store, the surviving workers to stop cleanly (exit 0), and
no kill to have caused more duplicates than one dispatcher has sends in flight
(``--concurrency``): the bound the design promises.

The store and the seeding are ``benchmarks/dispatch_bench.py``'s (200 staff with a 1:1 reference
each; ``--count`` notifications due now).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks.dispatch_bench import key_of, seed, spawn_worker
from benchmarks.faults_common import scratch_store
from storage import dispatch_queue as queue
from storage.dispatch_queue import aware
from storage.engine import create_engine, session_factory
from storage.models import Notification
from tests.e2e.fake_connector import FakeConnector, Recorded


@dataclass
class DispatchFigures:
    count: int
    concurrency: int
    lease: float
    kills: int = 0
    delivered_at_kills: list[int] = field(default_factory=list)
    activities: int = 0
    unique: int = 0
    duplicates_per_kill: list[int] = field(default_factory=list)
    duplicates_not_near_a_kill: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    exit_codes: list[int | None] = field(default_factory=list)
    seconds: float = 0.0
    # Per notification: from the connector accepting it to the ``sent_at`` its dispatcher
    # wrote (taken just before the recording statement; its commit follows within ms). A kill
    # inside this window is what makes a duplicate.
    windows_ms: list[float] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.activities - self.unique

    @property
    def lost(self) -> int:
        return self.count - self.unique

    @property
    def rate(self) -> float:
        return self.unique / self.seconds if self.seconds else 0.0

    @property
    def passed(self) -> bool:
        return (
            self.lost == 0
            and self.statuses.get("sent", 0) == self.count
            and all(code == 0 for code in self.exit_codes)
            and self.duplicates_not_near_a_kill == 0
            and all(d <= self.concurrency for d in self.duplicates_per_kill)
        )


async def run_kill_dispatch(options: argparse.Namespace) -> DispatchFigures:
    figures = DispatchFigures(options.count, options.concurrency, options.lease)
    rng = random.Random(options.seed)
    log_dir = Path(options.logs)
    log_dir.mkdir(parents=True, exist_ok=True)
    worker_args = ["--concurrency", str(options.concurrency), "--batch", "50",
                   "--lease", str(options.lease), "--send-timeout", str(options.lease / 2.5),
                   "--poll", "0.2"]  # fmt: skip
    arrivals: list[tuple[float, str | None]] = []
    kill_times: list[float] = []

    accepted_at: dict[str, float] = {}  # key: wall-clock time of its first delivery

    def note(call: Recorded) -> bool:
        if call.operation in ("send", "reply"):
            arrivals.append((time.perf_counter(), key_of(call)))
            accepted_at.setdefault(key_of(call) or "", time.time())
        return True

    async with scratch_store(options.postgres, seed=False) as url, FakeConnector() as connector:
        connector.observer = note
        engine = create_engine(url)
        sessions = session_factory(engine)
        workers: list[Any] = []
        spawned = 0

        async def spawn() -> Any:
            nonlocal spawned
            spawned += 1
            name = f"faults-{spawned}-{uuid.uuid4().hex[:4]}"
            args = [*worker_args, "--name", name]
            return await spawn_worker(url, spawned, log_dir=log_dir, worker_args=args)

        try:
            await seed(engine, connector.url, options.count)
            started = time.perf_counter()
            workers = [await spawn(), await spawn()]
            thresholds = [options.count * (k + 1) // (options.kills + 1)
                          for k in range(options.kills)]  # fmt: skip
            last_check = 0.0
            while True:
                await asyncio.sleep(0.02)
                now = time.perf_counter()
                if now - started > options.timeout:
                    raise TimeoutError(f"not all delivered within {options.timeout:.0f}s")
                delivered = len({key for _, key in arrivals})
                if thresholds and delivered >= thresholds[0]:
                    thresholds.pop(0)
                    # Not at the instant a delivery was seen (that would always land just
                    # after one, inside its window): at a random moment soon after.
                    await asyncio.sleep(rng.uniform(0.0, 1.0))
                    victim = figures.kills % 2
                    workers[victim].send_signal(signal.SIGKILL)
                    kill_times.append(time.perf_counter())
                    figures.kills += 1
                    figures.delivered_at_kills.append(delivered)
                    await workers[victim].wait()
                    workers[victim] = await spawn()
                if now - last_check >= 0.5 or delivered >= options.count:
                    last_check = now
                    async with sessions() as session:
                        statuses = await queue.counts_by_status(session)
                    if statuses.get("sent", 0) >= options.count:
                        break
                    for worker in workers:
                        if worker.returncode is not None:
                            raise RuntimeError(f"a worker exited with {worker.returncode}")
            figures.seconds = time.perf_counter() - started
            async with sessions() as session:
                figures.statuses = await queue.counts_by_status(session)
                recorded = (await session.execute(
                    select(Notification.idempotency_key, Notification.sent_at)
                )).all()  # fmt: skip
            # Keys delivered once: a duplicate's sent_at is its second delivery's.
            deliveries = Counter(key for _, key in arrivals)
            figures.windows_ms = sorted(
                (aware(sent_at).timestamp() - accepted_at[key]) * 1000  # type: ignore[union-attr]
                for key, sent_at in recorded
                if sent_at is not None and key in accepted_at and deliveries[key] == 1
            )
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    figures.exit_codes.append(await asyncio.wait_for(worker.wait(), 60))
                except TimeoutError:
                    worker.kill()
                    figures.exit_codes.append(await worker.wait())
            await engine.dispose()
    attribute_duplicates(figures, arrivals, kill_times)
    return figures


def attribute_duplicates(
    figures: DispatchFigures, arrivals: list[tuple[float, str | None]], kill_times: list[float]
) -> None:
    """Count duplicates, and put each down to the kill nearest its key's first delivery (the
    victim's last sends can reach the connector's handler a moment after the kill was noted,
    from its socket buffer). One further than a lease from every kill is "not after a kill"."""
    keys = Counter(key for _, key in arrivals)
    figures.activities = len(arrivals)
    figures.unique = len([k for k in keys if k is not None])
    first: dict[str | None, float] = {}
    for moment, key in arrivals:
        first.setdefault(key, moment)
    per_kill = [0] * len(kill_times)
    for key, times in keys.items():
        if times < 2:
            continue
        distance, nearest = min(
            ((abs(moment - first[key]), n) for n, moment in enumerate(kill_times)),
            default=(float("inf"), -1),
        )
        if distance <= figures.lease:
            per_kill[nearest] += times - 1
        else:
            figures.duplicates_not_near_a_kill += times - 1
    figures.duplicates_per_kill = per_kill


def percentile(values: list[float], p: float) -> float:
    """``p``th percentile of sorted ``values`` (nearest rank); 0 when empty."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


def describe(figures: DispatchFigures) -> str:
    return "\n".join([
        f"{figures.count:,} notifications, 2 worker processes (concurrency "
        f"{figures.concurrency} each), {figures.kills} SIGKILLs (after "
        f"{', '.join(f'{n:,}' for n in figures.delivered_at_kills)} deliveries), each "
        f"replaced at once",
        f"delivered {figures.unique:,}/{figures.count:,} in {figures.seconds:.1f}s "
        f"({figures.rate:,.0f}/s including the lease waits), lost {figures.lost}, duplicates "
        f"{figures.duplicates} (per kill: {figures.duplicates_per_kill}; not near a kill: "
        f"{figures.duplicates_not_near_a_kill})",
        f"window from the connector accepting a message to its 'sent' being written: median "
        f"{percentile(figures.windows_ms, 50):.1f} ms, p90 {percentile(figures.windows_ms, 90):.1f}"
        f" ms, p99 {percentile(figures.windows_ms, 99):.1f} ms, max "
        f"{max(figures.windows_ms, default=0):.0f} ms (over {len(figures.windows_ms):,})",
        f"store {figures.statuses}, exit codes of the last workers {figures.exit_codes}",
        "PASS" if figures.passed else "FAIL",
    ])  # fmt: skip
