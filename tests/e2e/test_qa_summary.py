"""A QA manager asks for the service's figures in Teams, over real HTTP, on the seeded demo.

The figures on the card must be those `iro-bot report` computes from the same store; anyone
else who asks is refused politely, and both are audited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date

import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.demo_data import ALEX, seed_demo
from bot.settings import Settings
from bot.wiring import build_bot
from cards.elements import card_to_text
from cards.summary import NOT_FOR_YOU
from domain.reporting import Compared, Period, ir_figures, review_facts, review_figures
from domain.rules import load_rules
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import AuditEntry, Staff
from storage.reporting.issues import load_ir_facts
from storage.reporting.reviews import load_care_episodes
from tests.e2e.conftest import BotClient, TeamsUser
from tests.e2e.fake_connector import Recorded

TODAY = date(2026, 11, 26)
RULES = load_rules()
QA_AAD = "00000000-0000-0000-0000-0000000000c1"
QA = TeamsUser("29:1qa-demo", QA_AAD, "QA Manager")
ALEX_T = TeamsUser("29:1alex-demo", ALEX.aad_object_id, ALEX.display_name)


def shown(reply: Recorded) -> str:
    cards = [a["content"] for a in reply.attachments
             if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]  # fmt: skip
    return "\n".join(card_to_text(c) for c in cards) if cards else (reply.text or "")


@pytest_asyncio.fixture
async def demo(
    e2e_settings: Settings, start_app: Callable, teams: Callable[..., BotClient]
) -> AsyncIterator[tuple[AsyncEngine, Callable[[TeamsUser], BotClient]]]:
    engine = create_engine(e2e_settings.database_url)
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=7)
        qa = await session.scalar(select(Staff).where(Staff.role == "qa_manager"))
        assert qa is not None
        qa.aad_object_id = QA_AAD  # the demo's QA manager, signed in to Teams
    bot = build_bot(e2e_settings, engine, clock=lambda: TODAY)
    app = await start_app(bot, engine=engine)
    yield engine, lambda who: teams(app, user=who)
    await engine.dispose()


async def test_a_qa_manager_gets_the_figures_of_the_year_so_far(demo) -> None:
    engine, client = demo
    this_year = Period(date(2026, 4, 1), TODAY)
    same_dates_last_year = Period(date(2025, 4, 1), date(2025, 11, 26))
    async with session_factory(engine)() as session:
        facts = await load_ir_facts(session, Period(same_dates_last_year.start, TODAY))
        reviews = review_facts(await load_care_episodes(session, Period(date(2026, 7, 1), TODAY)),
                               RULES)  # fmt: skip
    irs_now, irs_then = ir_figures(facts, this_year), ir_figures(facts, same_dates_last_year)
    assert irs_now.raised > 0  # the demo raises IRs all year: a real check, not 0 (0)

    [reply] = await client(QA).send("IR summary this year")
    text = shown(reply).splitlines()
    assert text[0] == "IR summary: this year so far"
    assert f"IRs raised: {Compared(irs_now.raised, irs_then.raised).text()}" in text

    quarter = Period(date(2026, 10, 1), TODAY)
    before = Period(date(2026, 7, 1), date(2026, 8, 26))
    now, then = review_figures(reviews, quarter), review_figures(reviews, before)
    [reply] = await client(QA).send("how many reviews were late this quarter?")
    text = shown(reply).splitlines()
    assert text[0] == "Reviews: this quarter so far"
    assert f"Held late: {Compared(now.late, then.late).text()}" in text
    assert f"Reviews held: {Compared(now.held, then.held).text()}" in text


async def test_anyone_else_is_refused_and_it_is_audited(demo) -> None:
    engine, client = demo
    [reply] = await client(ALEX_T).send("IR summary this year")
    assert shown(reply) == NOT_FOR_YOU
    [reply] = await client(QA).send("IR summary last year")
    assert shown(reply).startswith("IR summary: last year")
    async with session_factory(engine)() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "report.summary")
                .order_by(AuditEntry.id)
            )
        )
    assert [e.outcome for e in entries] == ["refused", "ok"]
    assert entries[1].detail == {"topic": "irs", "from": "2025-04-01", "to": "2026-03-31"}
