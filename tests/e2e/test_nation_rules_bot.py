"""The bot with a nation's rules (issue 21): ``IRO_RULES=scotland``, over real HTTP.

The demo authority is seeded, then the bot is started with Scotland's rules: its answers give
the Scottish dates and cite the Scottish regulation, and a date the Scottish file leaves out
(no regulation sets it) is said so in words, never with a stack trace or "something went wrong".
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date

import pytest_asyncio
from sqlalchemy import select

from bot.cli.demo_data import ALEX, seed_demo
from bot.settings import Settings
from bot.wiring import build_bot
from domain.formatting import long_date
from domain.reviews import review_schedule
from domain.rules import load_rules
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Child, CpPlan, Staff
from storage.schedule import load_review_inputs
from tests.e2e.conftest import BotClient, RunningApp
from tests.e2e.test_conversation import ALEX_T, shown, unique_named

TODAY = date(2026, 11, 26)  # a Thursday
SCOTLAND = load_rules("scotland")
CRASH = "something went wrong"


@dataclass
class ScottishBot:
    app: RunningApp
    client: Callable[..., BotClient]
    child: Child
    expected_due: date


@pytest_asyncio.fixture
async def scottish(
    e2e_settings: Settings, start_app: Callable, teams: Callable[..., BotClient]
) -> AsyncIterator[ScottishBot]:
    engine = create_engine(e2e_settings.database_url)
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await seed_demo(session, load_rules(), today=TODAY, seed=7)
    settings = e2e_settings.model_copy(update={"rules_path": "scotland"})  # IRO_RULES=scotland
    bot = build_bot(settings, engine, clock=lambda: TODAY)
    app = await start_app(bot, engine=engine, settings=settings)
    async with session_factory(engine)() as session:
        alex = await session.scalar(select(Staff.id).where(Staff.email == ALEX.email))
        mine = await session.scalars(select(Child).where(Child.iro_id == alex).order_by(Child.id))
        child = unique_named(list(mine))[0]
        reviews, directions = await load_review_inputs(session, child.id)
    assert child.looked_after_since is not None
    due = review_schedule(child.looked_after_since, reviews, SCOTLAND, directions).next_due.due
    yield ScottishBot(app, lambda: teams(app, user=ALEX_T), child, due)
    await engine.dispose()


def name(child: Child) -> str:
    return f"{child.given_name} {child.family_name}"


async def test_next_review_is_the_scottish_date_citing_the_scottish_regulation(
    scottish: ScottishBot,
) -> None:
    client = scottish.client()
    [reply] = await client.send(f"when is {name(scottish.child)}'s next review due?")
    text = shown(reply)
    assert long_date(scottish.expected_due) in text
    assert "Source: SSI 2009/210, reg 45(2)" in text
    [why] = await client.send("why is their review due then?")
    assert "Source: SSI 2009/210, reg 45(2)" in shown(why)


async def test_booking_without_a_reports_timescale_is_made_and_says_so(
    scottish: ScottishBot,
) -> None:
    client = scottish.client()
    await client.send(f"book {name(scottish.child)}'s review for 3rd December")
    replies = await client.send("yes")
    text = "\n".join(shown(r) for r in replies)
    assert CRASH not in text.lower()
    # Scotland's rules set no time for the social worker's reports: the booking is made, and
    # the card says there is no such timescale rather than inventing England's.
    assert f"Review booked for {name(scottish.child)}" in text
    assert "Your rules set no timescale for this" in text


async def test_cp_conference_without_a_timescale_is_said_kindly(
    scottish: ScottishBot, e2e_settings: Settings
) -> None:
    engine = create_engine(e2e_settings.database_url)
    async with session_factory(engine)() as session, session.begin():
        session.add(CpPlan(child_pk=scottish.child.id, strategy_discussion_on=date(2026, 11, 20)))
    await engine.dispose()
    [reply] = await scottish.client().send(f"when is {name(scottish.child)}'s next CP conference?")
    text = shown(reply)
    assert CRASH not in text.lower()
    assert "(CP-1), so I can't work that date out" in text
