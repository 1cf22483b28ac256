"""Faults, over real HTTP with the wired bot: a bot stopped between saving and saying so, a
message delivered twice, a turn that fails, a database that goes away and comes back.

Each runs on SQLite and, with ``IRO_TEST_POSTGRES_URL``, on PostgreSQL (a schema per test). The
outage runs on PostgreSQL only: the bot reaches it through a TCP proxy the test cuts
(``tests/e2e/tcp_proxy.py``); the shared server is never stopped. A crash between the dialog's
write and the state that says so is made exactly: the conversation's stored state is put back to
what it was before the confirming turn, which is what a kill in that window leaves.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as create_bare_async_engine
from sqlalchemy.pool import NullPool

from bot.app import APOLOGY, STORE_UNAVAILABLE
from bot.cli.demo_data import ALEX, seed_demo
from bot.settings import Settings
from bot.state import SqlConversationState
from bot.wiring import build_bot
from cards.elements import card_to_text
from domain.rules import load_rules
from storage.conversation_state import BotStateRecord
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Child, DialogSave, IssueResolution, Review, Staff
from tests.e2e.conftest import BotClient, EmptyStore, RunningApp, StartApp, TeamsUser
from tests.e2e.fake_connector import Recorded
from tests.e2e.tcp_proxy import TcpProxy
from tests.integration.conftest import postgres_url

TODAY = date(2026, 11, 26)
RULES = load_rules()
ALEX_T = TeamsUser("29:1alex-faults", ALEX.aad_object_id, ALEX.display_name)


def shown(reply: Recorded) -> str:
    cards = [a["content"] for a in reply.attachments
             if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]  # fmt: skip
    return "\n".join(card_to_text(c) for c in cards) if cards else (reply.text or "")


@dataclass
class Bot:
    engine: AsyncEngine
    app: RunningApp
    client: Callable[[], BotClient]

    async def count(self, model: type, *where: Any) -> int:
        async with session_factory(self.engine)() as session:
            query = select(func.count()).select_from(model).where(*where)
            return int(await session.scalar(query) or 0)

    async def alex_children(self) -> list[Child]:
        """Alex's children in care with no IR open (raising one for a child who has an IR open
        first shows it and asks whether to raise another)."""
        async with session_factory(self.engine)() as session:
            alex = await session.scalar(select(Staff.id).where(Staff.email == ALEX.email))
            open_irs = select(IssueResolution.child_pk).where(
                IssueResolution.status != "resolved", IssueResolution.child_pk.is_not(None)
            )
            found = await session.scalars(
                select(Child)
                .where(Child.iro_id == alex, Child.looked_after_since.is_not(None),
                       Child.id.not_in(open_irs))
                .order_by(Child.id)
            )  # fmt: skip
            return list(found)

    async def stored_state(self) -> list[tuple[str, str, str]]:
        async with session_factory(self.engine)() as session:
            rows = await session.execute(select(BotStateRecord.key, BotStateRecord.data,
                                                BotStateRecord.etag))  # fmt: skip
            return [tuple(row) for row in rows]  # type: ignore[misc]

    async def put_back_state(self, rows: list[tuple[str, str, str]]) -> None:
        """What a kill between the dialog's write and the end of the turn leaves: the
        conversation's state as it was before the turn."""
        async with session_factory(self.engine)() as session, session.begin():
            for key, data, etag in rows:
                await session.execute(update(BotStateRecord).where(BotStateRecord.key == key)
                                      .values(data=data, etag=etag))  # fmt: skip


async def start_bot(
    start_app: StartApp, teams: Callable[..., BotClient], settings: Settings, engine: AsyncEngine
) -> Bot:
    bot = build_bot(settings, engine, clock=lambda: TODAY)
    app = await start_app(bot, engine=engine)
    return Bot(engine, app, lambda: teams(app, user=ALEX_T))


async def migrated_and_seeded(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=7, children=60)


@pytest_asyncio.fixture
async def bot(
    empty_store: EmptyStore,
    start_app: StartApp,
    teams: Callable[..., BotClient],
    e2e_settings: Settings,
) -> AsyncIterator[Bot]:
    engine = empty_store.engine()
    await migrated_and_seeded(engine)
    yield await start_bot(start_app, teams, e2e_settings, engine)
    await engine.dispose()


async def to_ir_summary(client: BotClient, child: Child, description: str) -> None:
    await client.send(f"raise an IR for {child.child_id}")
    await client.send("1, 4")
    await client.send(description)
    [summary] = await client.send("stage 1")
    assert "Goes to:" in shown(summary)


# -- a dialog's write is made once ----------------------------------------------------------------


@pytest.mark.parametrize("then_say", ["yes", "help"])
async def test_a_dialog_saved_before_a_crash_is_not_saved_again(bot: Bot, then_say: str) -> None:
    child = (await bot.alex_children())[0]
    client = bot.client()
    await to_ir_summary(client, child, "Reports were late again.")
    before_yes = await bot.stored_state()
    [raised] = await client.send("yes")
    assert " raised" in shown(raised)
    await bot.put_back_state(before_yes)  # killed after the IR's commit, before the state's

    [answer] = await client.send(then_say)
    assert "That was already saved (IR-" in shown(answer)
    assert "Nothing was saved twice" in shown(answer)
    assert await bot.count(IssueResolution, IssueResolution.child_pk == child.id) == 1
    assert await bot.count(DialogSave) == 1
    # The dialog is over: the conversation carries on as normal.
    [helped] = await client.send("help")
    assert "What I can do" in shown(helped)


async def test_a_review_saved_before_a_crash_is_not_recorded_twice(bot: Bot) -> None:
    child = sorted((c for c in await bot.alex_children() if c.next_review_due),
                   key=lambda c: c.next_review_due)[0]  # fmt: skip
    client = bot.client()
    await client.send(f"record the review for {child.child_id}")
    answers = {"review held?": "26/11/2026", "Was it a full review": "full",
               "Why was it late?": "2", "take part": "1",
               "chair their own": "no", "Where was the review held?": "West Berkshire"}  # fmt: skip
    before_yes: list[tuple[str, str, str]] = []
    reply = shown(client.connector.activities_in(client.conversation_id)[-1])
    for _ in range(8):
        if "Record this review?" in reply:
            before_yes = await bot.stored_state()
            reply = shown((await client.send("yes"))[-1])
            break
        answer = next((a for question, a in answers.items() if question in reply), None)
        assert answer is not None, reply
        reply = shown((await client.send(answer))[-1])
    assert "Review recorded for" in reply
    await bot.put_back_state(before_yes)

    [again] = await client.send("yes")
    assert "That was already saved:" in shown(again)
    reviews = await bot.count(Review, Review.child_pk == child.id, Review.held_on == TODAY)
    assert reviews == 1


async def test_the_message_that_saved_sent_again_is_told_it_was_saved(bot: Bot) -> None:
    """The state was saved, but the answer never reached the user (the bot stopped before
    sending it): the user sends "yes" again."""
    child = (await bot.alex_children())[1]
    client = bot.client()
    await to_ir_summary(client, child, "No advocate was offered.")
    [raised] = await client.send("yes")
    [again] = await client.send("yes")
    assert "That was already saved (IR-" in shown(again)
    assert shown(again).split("(")[1].split(")")[0] in shown(raised)
    # Only straight after: a third "yes" is just a "yes".
    [third] = await client.send("yes")
    assert "already saved" not in shown(third)
    assert await bot.count(IssueResolution, IssueResolution.child_pk == child.id) == 1


# -- a question the user never saw ---------------------------------------------------------------


async def test_the_message_that_led_to_a_question_sent_again_asks_it_again(bot: Bot) -> None:
    child = (await bot.alex_children())[2]
    client = bot.client()
    [reasons] = await client.send(f"raise an IR for {child.child_id}")
    [again] = await client.send(f"raise an IR for {child.child_id}")
    assert shown(again) == shown(reasons)  # asked again, not read as the reasons
    [described] = await client.send("1, 4")
    assert "Describe the issue" in shown(described)
    [still] = await client.send("1, 4")
    assert shown(still) == shown(described)  # not taken as the description
    [stage] = await client.send("Reports arrived on the day.")
    assert "At which stage?" in shown(stage)
    [summary] = await client.send("stage 1")
    assert "Reports arrived on the day." in shown(summary)
    assert "1, 4" not in shown(summary)


# -- a turn that fails says nothing it had said ---------------------------------------------------


async def test_a_turn_that_fails_sends_only_the_apology_and_keeps_the_dialog(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = (await bot.alex_children())[3]
    client = bot.client()
    [reasons] = await client.send(f"raise an IR for {child.child_id}")

    async def failing_save(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the state could not be saved")

    # The bot's conversation state (bot.state: written only when it changed).
    monkeypatch.setattr(SqlConversationState, "save_changes", failing_save)
    replies = await client.send("1, 4")
    assert [shown(r) for r in replies] == [APOLOGY]  # not "Describe the issue", then sorry
    monkeypatch.undo()
    # The reasons were never saved as answered: the question is still the reasons.
    [described] = await client.send("1, 4")
    assert "Describe the issue" in shown(described)
    assert shown(reasons) != shown(described)


# -- the database goes away and comes back -------------------------------------------------------


async def test_an_outage_gets_a_kind_reply_a_503_and_recovers_by_itself(
    start_app: StartApp,
    teams: Callable[..., BotClient],
    e2e_settings: Settings,
    tmp_path: Path,
) -> None:
    url = postgres_url()
    schema = f"iro_test_{uuid.uuid4().hex[:12]}"
    settings = {"server_settings": {"search_path": schema}}
    admin = create_bare_async_engine(url, poolclass=NullPool)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        async with TcpProxy.for_url(url) as proxy:
            engine = create_engine(proxy.url_through(url), connect_args=settings)
            try:
                await migrated_and_seeded(engine)
                bot = await start_bot(start_app, teams, e2e_settings, engine)
                await outage_round(bot, proxy)
            finally:
                await engine.dispose()
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def outage_round(bot: Bot, proxy: TcpProxy) -> None:
    child = (await bot.alex_children())[0]
    client = bot.client()
    await client.send(f"raise an IR for {child.child_id}")
    await client.send("1, 4")
    [stage] = await client.send("Outage drill.")
    assert "At which stage?" in shown(stage)
    health_url = bot.app.url + "/readyz"

    await proxy.cut()
    replies = await client.send("stage 1", timeout=30)
    assert [shown(r) for r in replies] == [STORE_UNAVAILABLE]
    async with aiohttp.ClientSession() as http:
        async with http.get(health_url) as response:
            assert response.status == 503
            assert (await response.json())["status"] == "unavailable"

        await proxy.restore()
        statuses = []
        for _ in range(50):  # bounded: the pool's next checkout reconnects
            async with http.get(health_url) as response:
                statuses.append(response.status)
            if statuses[-1] == 200:
                break
        assert statuses[-1] == 200, statuses
    # The dialog is where it was: the same answer now gets the summary, and saves once.
    [summary] = await client.send("stage 1", timeout=30)
    assert "Goes to:" in shown(summary)
    [raised] = await client.send("yes")
    assert " raised" in shown(raised)
    assert await bot.count(IssueResolution, IssueResolution.child_pk == child.id) == 1


def test_store_urls_keep_the_database_name_through_the_proxy() -> None:
    proxy = TcpProxy.for_url("postgresql+asyncpg://iro:secret@db.example:6543/records")
    assert (proxy.target_host, proxy.target_port) == ("db.example", 6543)
    proxy.port = 40001
    through = make_url(proxy.url_through("postgresql+asyncpg://iro:secret@db.example:6543/records"))
    assert (through.host, through.port, through.database, through.password) == (
        "127.0.0.1", 40001, "records", "secret")  # fmt: skip
