"""Delivery wired in: ``iro-bot worker`` as a real process, and the dispatcher inside the web
server's process (``create_app(..., dispatch=...)``, as ``iro-bot serve`` runs it)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from botbuilder.core import ActivityHandler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import cli
from bot.workers.dispatcher import CHANNEL_DATA_KEY, DISPATCHER_KEY, DispatchPolicy
from storage import migrate
from storage.conversations import remember_conversation
from storage.engine import create_engine, session_factory
from storage.models import Staff
from storage.outbox import enqueue
from tests.e2e.conftest import BOT_ID, TENANT_ID, StartApp
from tests.e2e.fake_connector import FakeConnector

REPO = Path(__file__).resolve().parents[2]
TEXT = "Stage 1 response due on Thursday 3 December 2026 (IR-2026-0042)."


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No Bot Framework settings in the environment and no .env in the working directory; the
    logging set-up the command installs (on this test's captured stderr) is undone after."""
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType",
                 "MicrosoftAppTenantId", "DATABASE_URL", "LOG_LEVEL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    handlers, level = logging.root.handlers[:], logging.root.level
    yield tmp_path
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


async def seed_one(engine: AsyncEngine, connector: FakeConnector, key: str = "n-1") -> str:
    """A member of staff with a 1:1 reference and one due notification; the conversation id."""
    conversation_id = "a:1personal-megan"
    async with session_factory(engine)() as session, session.begin():
        staff = Staff(email="megan@example.org", display_name="Megan Bowen",
                      role="social_worker", teams_user_id="29:1megan")  # fmt: skip
        session.add(staff)
        await session.flush()
        await remember_conversation(session, staff.id, {
            "activityId": "1", "user": {"id": "29:1megan"}, "bot": {"id": BOT_ID},
            "conversation": {"id": conversation_id, "conversationType": "personal",
                             "tenantId": TENANT_ID},
            "channelId": "msteams", "serviceUrl": connector.url + "/",
        }, None)  # fmt: skip
        await enqueue(session, key=key, recipient_staff_id=staff.id, kind="ir_notice",
                      payload={"text": TEXT})  # fmt: skip
    return conversation_id


def test_worker_refuses_options_that_make_no_sense(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
):
    assert cli.main(["worker", "--lease", "10", "--send-timeout", "20"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "iro-bot worker: lease_seconds must be at least twice send_timeout"


def test_worker_refuses_a_store_that_is_not_migrated(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{clean_environment / 'new.db'}")
    assert cli.main(["worker"]) == 1
    err = capsys.readouterr().err
    assert "iro-bot migrate" in err and "Traceback" not in err


async def test_worker_process_delivers_and_stops_gracefully(
    clean_environment: Path, connector: FakeConnector
):
    url = f"sqlite+aiosqlite:///{clean_environment / 'worker.db'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        conversation_id = await seed_one(engine, connector)
    finally:
        await engine.dispose()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    environment.update(DATABASE_URL=url, PYTHONPATH=str(REPO), LOG_LEVEL="INFO")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker", "--poll", "0.1"],
        env=environment, cwd=clean_environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        [call] = await connector.wait_for_activities(1, timeout=20)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(process.communicate, timeout=20)
    assert call.conversation_id == conversation_id and call.text == TEXT
    assert call.body["channelData"][CHANNEL_DATA_KEY]["key"] == "n-1"
    assert process.returncode == 0
    log = err.decode()
    assert "Dispatcher" in log and "stopped" in log
    # Ids and counts only: no message text, no names.
    assert "Stage 1" not in log and "Megan" not in log


async def test_the_server_process_delivers_the_outbox_when_asked(
    start_app: StartApp, connector: FakeConnector, tmp_path: Path
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'served.db'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        policy = DispatchPolicy(poll_interval=0.05)
        running = await start_app(ActivityHandler(), engine=engine, dispatch=policy)
        dispatcher = running.app[DISPATCHER_KEY]
        conversation_id = await seed_one(engine, connector)
        dispatcher.wake()
        [call] = await connector.wait_for_activities(1, timeout=10)
        assert call.conversation_id == conversation_id
        assert json.dumps(call.body).count(TEXT) == 1
        for _ in range(100):  # recorded just after the connector answered
            if dispatcher.stats.sent:
                break
            await asyncio.sleep(0.05)
        assert dispatcher.stats.sent == 1
    finally:
        await engine.dispose()


async def test_the_server_runs_no_dispatcher_unless_asked(start_app: StartApp):
    running = await start_app(ActivityHandler())
    assert DISPATCHER_KEY not in running.app
