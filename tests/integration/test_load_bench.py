"""The load benchmark's core, briefly: a few IROs' conversations at once against the real bot in
its own process(es), over HTTP with the fake Bot Connector; every reply must be the one meant,
and the store must hold exactly one IR per raise dialog confirmed (none for a cancelled one).

``benchmarks/load_bench.py`` runs the same thing for 60 s with 50 users (BENCHMARKS.md,
"RELIABILITY"). Here: 3 users, a bounded number of turns, a store of ~650 children; SQLite with
one bot process, and PostgreSQL (``IRO_TEST_POSTGRES_URL``, a throw-away database) with two bot
processes sharing it, each user's turns alternating between them. No timing is asserted.
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import pytest

from benchmarks.bot_store import PostgresDatabase
from benchmarks.load_bench import (
    BOT_APP,
    INTENTS,
    IndexedConnector,
    Mix,
    check_store,
    drive,
    prepare_store,
    require_loopback,
    run_phase,
)
from tests.integration.conftest import postgres_url

TODAY = date(2026, 11, 26)
USERS = 3
# Six demo IROs topped up to 80 children each, then bench IROs of 80: 650 gives Alex and two
# bench IROs with caseloads.
CHILDREN = 650
TURNS = 90
# More raise dialogs than the benchmark's mix, half cancelled, so a short run has both kinds.
MIX = Mix(next_review=3, due_fortnight=1, overdue=1, my_irs=1, raise_ir=3, cancel_share=0.5)


@pytest.mark.parametrize(("backend", "processes"), [("sqlite", 1), ("postgresql", 2)])
async def test_concurrent_conversations_get_the_right_replies_and_one_ir_per_confirmed_dialog(
    backend: str, processes: int, tmp_path: Path
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'load.db'}"
        else:
            url = await stack.enter_async_context(PostgresDatabase(postgres_url()))
        users = await prepare_store(url, USERS, CHILDREN, TODAY)
        connector = await stack.enter_async_context(IndexedConnector())
        env = {"DATABASE_URL": url, "IRO_BENCH_TODAY": TODAY.isoformat()}
        # Bounded by turns; the time limit is only a backstop.
        result = await run_phase(
            "bot", BOT_APP, env, processes, connector, users, seconds=120, warmup_seconds=0,
            max_turns=TURNS, mix=MIX, seed=7, store_url=url,
        )  # fmt: skip
        assert result.store is not None and result.raised
        # The check can fail: told of one confirmed dialog fewer, it finds that IR a stray.
        one_fewer = await check_store(url, result.store.before, result.raised[1:])

    assert result.errors == []
    assert result.turns == TURNS
    assert result.store is not None and result.store.problems == []
    # The invariant, spelt out: IRs written = dialogs confirmed, each with its own reference.
    assert result.store.written == result.confirmed == len(result.raised)
    assert len({r.reference for r in result.raised}) == result.confirmed
    # Not vacuous: both kinds of dialog ran, and every intent was asked at least once.
    assert result.confirmed >= 1 and result.cancelled >= 1
    assert set(result.latencies) == set(INTENTS)
    assert any(result.raised[0].reference in p for p in one_fewer.problems), one_fewer.problems


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1:3978/api/messages", "http://example.org/api/messages",
     "http://0.0.0.0:3978/api/messages"],
)  # fmt: skip
async def test_the_load_refuses_any_target_but_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="only loopback"):
        require_loopback(url)
    async with IndexedConnector() as connector:
        with pytest.raises(ValueError, match="only loopback"):
            await drive([url], connector, [], seconds=1, warmup_seconds=0, max_turns=1, mix=Mix(),
                        seed=1, echo=True, label="refused")  # fmt: skip
    assert connector.calls == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/api/messages", "http://[::1]:1/x",
                                 "http://localhost:1/x"])  # fmt: skip
def test_loopback_targets_are_allowed(url: str) -> None:
    require_loopback(url)
