"""Another request while a dialog waits is never its answer, over real HTTP.

Generated from the route table and the dialogs, so a new dialog or a new intent is covered
without new test code: every dialog is opened with the words that give nothing
(``bot.routes.OPENS_WITH``) and walked question by question (answered from the question's own
buttons, else from a few plain answers); at every question, every other request's example
(``bot.routes.EXAMPLES``, about another child) is typed. Each must write nothing, be offered
as "carry on or leave it", and, after "carry on", the same question must be asked again (so the
message was not taken as its answer). At the confirmation the dialog is declined: nothing of
the whole walk is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from bot.cli.demo_data import ALEX, seed_demo
from bot.routes import EXAMPLES, OPENS_WITH, ROUTES
from bot.settings import Settings
from bot.wiring import build_bot
from cards.asking import CARRY_ON, OFFER_KEY, SWITCH
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Base
from tests.e2e.conftest import BotClient
from tests.e2e.fake_connector import Recorded
from tests.e2e.test_conversation import ALEX_T, RULES, TODAY, Demo, shown, unique_named

#: Tables a conversation may write to without changing the record: the audit of reads, and
#: where to reach each person, the conversation's own state.
NOT_THE_RECORD = {"audit_log", "conversation_refs", "bot_state"}
OFFERED = "That reads like a new request"
#: Plain answers tried, in order, at a question with no buttons to press.
ANSWERS = ["yesterday", "today", "next Wednesday", "in three weeks", "full",
           "reports not available in time", "the placement moved", "informal"]  # fmt: skip


class Clock:
    """The bot's wall clock, moved on by a test."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 26, 10, 0, tzinfo=datetime.now().astimezone().tzinfo)

    def __call__(self) -> datetime:
        return self.at


@pytest_asyncio.fixture
async def town(e2e_settings: Settings, start_app: Callable,
               teams: Callable[..., BotClient]) -> Any:  # fmt: skip
    engine = create_engine(e2e_settings.database_url)
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=7)
    clock = Clock()
    bot = build_bot(e2e_settings, engine, clock=lambda: TODAY)
    bot.now = clock
    app = await start_app(bot, engine=engine)
    yield Demo(engine, app, lambda who=ALEX_T: teams(app, user=who)), clock
    await engine.dispose()


async def record_counts(demo: Demo) -> dict[str, int]:
    async with session_factory(demo.engine)() as session:
        return {table.name: int(await session.scalar(select(func.count()).select_from(table)))
                for table in Base.metadata.sorted_tables
                if table.name not in NOT_THE_RECORD}  # fmt: skip


async def turn(client: BotClient, text: str = "", value: dict[str, Any] | None = None
               ) -> list[Recorded]:  # fmt: skip
    """Send a message (or a card's submit) and return everything the bot said in answer."""
    before = len(client.connector.activities_in(client.conversation_id))
    fields = {"value": value} if value is not None else {}
    posted = await client.post(client.message(text, **fields))
    assert posted.status in (200, 201, 202)
    return client.connector.activities_in(client.conversation_id)[before:]


def question_in(replies: list[Recorded]) -> Recorded | None:
    """The question the bot is now waiting on (a reply sent expecting input), if any."""
    asked = [r for r in replies if isinstance(r.body, dict)
             and r.body.get("inputHint") == "expectingInput"]  # fmt: skip
    return asked[-1] if asked else None


def buttons(reply: Recorded) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk([a.get("content") for a in reply.attachments])
    return found


def is_confirmation(reply: Recorded) -> bool:
    return any((b.get("data") or {}).get("confirm") == "yes" for b in buttons(reply))


async def requests_are_never_answers(client: BotClient, demo: Demo, question: Recorded,
                                     other_child: str, own: set[Any]) -> None:  # fmt: skip
    asked = shown(question)
    for intent, example in EXAMPLES.items():
        if intent in own:
            continue
        message = example.replace("Jamie Smith", other_child)
        before = await record_counts(demo)
        replies = await turn(client, message)
        said = "\n".join(shown(r) for r in replies)
        assert OFFERED in said, (asked, message, said)
        assert await record_counts(demo) == before, message
        again = question_in(await turn(client, value={OFFER_KEY: CARRY_ON}))
        assert again is not None and shown(again) == asked, (message, asked)


async def answer(client: BotClient, question: Recorded, child_name: str) -> Recorded:
    """Answer ``question`` acceptably; the next question. (An answer refused is said without
    asking again, so the next of the answers is tried.)"""
    asked = shown(question)
    tries: list[tuple[str, dict[str, Any] | None]] = [
        ("", dict(b["data"])) for b in buttons(question)
        if b.get("data") and (b["data"].get("confirm") not in ("no",))
    ]
    tries += [(child_name, None)] + [(a, None) for a in ANSWERS]
    for text, value in tries:
        replies = await turn(client, text, value)
        if any(OFFERED in shown(r) for r in replies):
            await turn(client, value={OFFER_KEY: CARRY_ON})  # not an answer: carry on, try next
            continue
        following = question_in(replies)
        if following is not None and shown(following) != asked:
            return following
    raise AssertionError(f"no answer was accepted for: {asked}")


@pytest.mark.parametrize("dialog", sorted(OPENS_WITH))
async def test_no_request_typed_at_any_question_is_taken_as_its_answer(
    town: tuple[Demo, Clock], dialog: str
) -> None:
    demo, _ = town
    mine = unique_named(await demo.children_of(ALEX.email))
    child, other = mine[2], mine[3]
    child_name = f"{child.given_name} {child.family_name}"
    other_name = f"{other.given_name} {other.family_name}"
    own = {i for i, r in ROUTES.items() if r.dialog == dialog}
    client = demo.client()
    at_start = await record_counts(demo)
    question = question_in(await turn(client, OPENS_WITH[dialog]))
    asked: list[str] = []
    assert question is not None, OPENS_WITH[dialog]
    while not is_confirmation(question):
        asked.append(shown(question))
        await requests_are_never_answers(client, demo, question, other_name, own)
        question = await answer(client, question, child_name)
    await requests_are_never_answers(client, demo, question, other_name, own)
    summary = shown(question)
    for example in EXAMPLES.values():
        assert example.replace("Jamie Smith", other_name) not in summary
    assert other_name not in summary
    await turn(client, "no")
    assert await record_counts(demo) == at_start
    assert len(asked) >= 2, asked  # the walk met the child's question and at least one more


async def test_leave_it_drops_the_open_dialog_and_does_the_new_request(
    town: tuple[Demo, Clock],
) -> None:
    demo, _ = town
    child = unique_named(await demo.children_of(ALEX.email))[2]
    client = demo.client()
    await turn(client, f"record a review for {child.given_name} {child.family_name}")
    replies = await turn(client, "what's due this fortnight?")
    assert any(OFFERED in shown(r) for r in replies)
    replies = await turn(client, "leave it")
    said = "\n".join(shown(r) for r in replies)
    assert "left recording a review" in said and "unsaved" in said
    assert "Reviews due this fortnight" in said
    assert question_in(await turn(client, "yesterday")) is None  # nothing waits any more


async def test_a_late_reason_that_reads_like_a_request_can_still_be_the_answer(
    town: tuple[Demo, Clock],
) -> None:
    """"That was my answer" makes the words held back the answer after all."""
    demo, _ = town
    overdue = [c for c in unique_named(await demo.children_of(ALEX.email))
               if c.next_review_due and c.next_review_due < TODAY]  # fmt: skip
    child = overdue[0]
    client = demo.client()
    name = f"{child.given_name} {child.family_name}"
    question = question_in(await turn(client, f"record a full review for {name} held yesterday"))
    assert question is not None and "late" in shown(question).lower(), shown(question)
    reason = "can you believe it, the SW booked it late"
    replies = await turn(client, reason)
    assert any(OFFERED in shown(r) for r in replies)
    question = question_in(await turn(client, value={OFFER_KEY: "answer"}))
    assert question is not None and "late" not in shown(question).lower()  # on to the next
    while not is_confirmation(question):
        question = await answer(client, question, name)
    assert f"Why it was late: Other: {reason}" in shown(question)


async def test_a_dialog_left_idle_is_closed_and_the_next_message_says_so(
    town: tuple[Demo, Clock],
) -> None:
    demo, clock = town
    child = unique_named(await demo.children_of(ALEX.email))[2]
    client = demo.client()
    before = await record_counts(demo)
    name = f"{child.given_name} {child.family_name}"
    confirmation = question_in(await turn(client, f"book {name}'s review for next Wednesday"))
    assert confirmation is not None and is_confirmation(confirmation)
    clock.at += timedelta(hours=23)
    replies = await turn(client, "hmm")  # not a yes or a no: asked again, still open
    assert not any("closed it" in shown(r) for r in replies)
    clock.at += timedelta(hours=24, minutes=1)
    replies = await turn(client, "yes")
    said = "\n".join(shown(r) for r in replies)
    assert f"booking a review for {name}" in said and "closed it" in said, said
    assert "Nothing of it was saved" in said
    assert await record_counts(demo) == before  # the late "yes" saved nothing


async def test_a_change_asked_as_a_question_asks_before_starting(
    town: tuple[Demo, Clock],
) -> None:
    demo, _ = town
    child = unique_named(await demo.children_of(ALEX.email))[2]
    client = demo.client()
    name = f"{child.given_name} {child.family_name}"
    replies = await turn(client, f"have I recorded {name}'s review?")
    said = "\n".join(shown(r) for r in replies)
    assert f"Do you want to start recording a review for {name}" in said
    assert question_in(replies) is None
    replies = await turn(client, "no")
    assert "haven't started anything" in "\n".join(shown(r) for r in replies)
    replies = await turn(client, f"have I recorded {name}'s review?")
    question = question_in(await turn(client, value={OFFER_KEY: "start"}))
    assert question is not None and "held" in shown(question).lower()


async def test_an_offer_button_pressed_after_the_choice_was_made_does_nothing(
    town: tuple[Demo, Clock],
) -> None:
    demo, _ = town
    client = demo.client()
    replies = await turn(client, value={OFFER_KEY: SWITCH})
    assert "already finished" in "\n".join(shown(r) for r in replies)
