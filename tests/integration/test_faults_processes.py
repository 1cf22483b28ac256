"""Real processes killed with SIGKILL (``benchmarks/faults.py``'s harnesses, small): ``iro-bot
serve`` killed mid-dialog and restarted, and ``iro-bot worker`` processes killed repeatedly and
replaced. Counted in the store and at the fake Bot Connector, over real HTTP.

On SQLite and, with ``IRO_TEST_POSTGRES_URL``, PostgreSQL (a throw-away database). The figures
the benchmark prints at full size are in BENCHMARKS.md (RELIABILITY, "Faults").
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from benchmarks import faults_dialog, faults_dispatch


def store_option(kind: str) -> str | None:
    if kind == "sqlite":
        return None
    url = os.environ.get("IRO_TEST_POSTGRES_URL")
    if url:
        return url
    reason = "IRO_TEST_POSTGRES_URL is not set, so the PostgreSQL case did not run"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: PostgreSQL must be tested here)")
    pytest.skip(reason)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_dialogs_survive_the_server_being_killed(kind: str, tmp_path: Path) -> None:
    options = argparse.Namespace(postgres=store_option(kind), logs=str(tmp_path), seed=3,
                                 timeout=400.0, irs=3, reviews=1, kills=2, targeted=2,
                                 verbose=True)  # fmt: skip
    figures = await faults_dialog.run_kill_dialog(options)
    print(faults_dialog.describe(figures))

    # Every kill asked for happened (at picked replies, not at the clock's mercy), and each
    # time the bot came back.
    assert (figures.random_kills, figures.targeted_kills) == (2, 2)
    assert figures.restarts == figures.random_kills + figures.targeted_kills
    assert (figures.irs_expected, figures.irs_found) == (3, 3)
    assert figures.irs_lost == figures.irs_duplicated == figures.irs_wrong == 0
    assert (figures.reviews_found, figures.reviews_duplicated) == (1, 0)
    assert figures.stuck == figures.not_back_to_help == 0
    assert figures.dialog_saves == 4


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_workers_killed_again_and_again_lose_nothing(kind: str, tmp_path: Path) -> None:
    options = argparse.Namespace(postgres=store_option(kind), logs=str(tmp_path), seed=3,
                                 timeout=400.0, count=600, kills=2, concurrency=4,
                                 lease=5.0)  # fmt: skip
    figures = await faults_dispatch.run_kill_dispatch(options)
    print(faults_dispatch.describe(figures))

    assert figures.kills == 2
    assert figures.unique == 600 and figures.lost == 0
    assert figures.statuses == {"sent": 600}
    # A kill duplicates at most the sends its worker had in flight: never more than that.
    assert all(d <= 4 for d in figures.duplicates_per_kill), figures.duplicates_per_kill
    assert figures.duplicates_not_near_a_kill == 0
    assert figures.exit_codes == [0, 0]
