"""The bot as an IRO meets it, over real HTTP: the wired bot, a migrated store seeded with the demo
authority, the fake Bot Connector. Today is pinned so every date can be checked by hand.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.demo_data import ADELE, ALEX, MEGAN, seed_demo
from bot.settings import Settings
from bot.wiring import build_bot
from cards.common import UNKNOWN_USER
from cards.elements import card_to_text
from domain.formatting import long_date
from domain.reviews import review_schedule
from domain.rules import load_rules
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import AuditEntry, Child, IssueResolution, Review, Staff
from storage.repositories.names import set_child_names
from storage.schedule import load_review_inputs
from tests.e2e.conftest import BotClient, RunningApp, TeamsUser
from tests.e2e.fake_connector import Recorded

TODAY = date(2026, 11, 26)  # a Thursday
RULES = load_rules()


def user(playground_user: object, mri: str) -> TeamsUser:
    return TeamsUser(mri, playground_user.aad_object_id, playground_user.display_name)  # type: ignore[attr-defined]


ALEX_T = user(ALEX, "29:1alex-demo")
MEGAN_T = user(MEGAN, "29:1megan-demo")
ADELE_T = user(ADELE, "29:1adele-demo")
STRANGER = TeamsUser("29:1stranger", "11111111-2222-3333-4444-555555555555", "Someone Else")


def shown(reply: Recorded) -> str:
    """What the user sees: the card's text rendering, or the plain text."""
    cards = [a["content"] for a in reply.attachments
             if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]  # fmt: skip
    return "\n".join(card_to_text(c) for c in cards) if cards else (reply.text or "")


@dataclass
class Demo:
    engine: AsyncEngine
    app: RunningApp
    client: Callable[..., BotClient]

    async def scalar(self, query: object) -> object:
        async with session_factory(self.engine)() as session:
            return await session.scalar(query)  # type: ignore[arg-type]

    async def children_of(self, email: str) -> list[Child]:
        async with session_factory(self.engine)() as session:
            staff_id = await session.scalar(select(Staff.id).where(Staff.email == email))
            rows = await session.scalars(
                select(Child).where(Child.iro_id == staff_id).order_by(Child.id)
            )
            return list(rows)

    async def expected_due(self, child: Child) -> date:
        async with session_factory(self.engine)() as session:
            reviews, directions = await load_review_inputs(session, child.id)
        assert child.looked_after_since is not None
        return review_schedule(child.looked_after_since, reviews, RULES, directions).next_due.due


@pytest_asyncio.fixture
async def demo(
    e2e_settings: Settings, start_app: Callable, teams: Callable[..., BotClient]
) -> AsyncIterator[Demo]:
    engine = create_engine(e2e_settings.database_url)
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=7)
    bot = build_bot(e2e_settings, engine, clock=lambda: TODAY)
    app = await start_app(bot, engine=engine)
    yield Demo(engine, app, lambda who=ALEX_T: teams(app, user=who))
    await engine.dispose()


def unique_named(children: list[Child]) -> list[Child]:
    """Children whose given and family names are each unique in the list (unambiguous)."""
    given = [c.given_name for c in children]
    family = [c.family_name for c in children]
    return [c for c in children if given.count(c.given_name) == 1
            and family.count(c.family_name) == 1 and c.looked_after_since]  # fmt: skip


async def test_next_review_for_a_child_is_exact_and_audited(demo: Demo) -> None:
    child = unique_named(await demo.children_of(ALEX.email))[0]
    expected = await demo.expected_due(child)
    [reply] = await demo.client().send(
        f"when is {child.given_name} {child.family_name}'s next review due?"
    )
    text = shown(reply)
    assert long_date(expected) in text
    assert child.next_review_rule in text
    reads = await demo.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "child.read", AuditEntry.entity_id == str(child.id)))  # fmt: skip
    assert reads == 1


async def test_typos_missing_capitals_and_pronouns(demo: Demo) -> None:
    child = unique_named(await demo.children_of(ALEX.email))[1]
    expected = long_date(await demo.expected_due(child))
    client = demo.client()
    family = child.family_name.lower()
    typo = family[:-1] + ("x" if family[-1] != "x" else "y") if len(family) >= 6 else family
    [first] = await client.send(f"wen is {child.given_name.lower()} {typo} reveiw due")
    assert expected in shown(first)
    [follow_up] = await client.send("why is their review due then?")
    assert f"Why {child.given_name} {child.family_name}'s next review is due {expected}" in \
        shown(follow_up)  # fmt: skip


async def test_a_child_who_is_not_yours_stays_unknown(demo: Demo) -> None:
    mine = {c.id for c in await demo.children_of(ALEX.email)}
    async with session_factory(demo.engine)() as session:
        other = await session.scalar(
            select(Child).where(Child.id.not_in(mine), Child.given_name.is_not(None),
                                Child.covering_iro_id.is_(None)).order_by(Child.id)
        )  # fmt: skip
    assert other is not None
    [reply] = await demo.client().send(
        f"when is {other.given_name} {other.family_name}'s next review due"
    )
    text = shown(reply)
    assert "among the children you can see" in text
    assert other.child_id not in text
    assert long_date(other.next_review_due) not in text  # type: ignore[arg-type]


async def test_an_unknown_user_gets_nothing_and_is_audited(demo: Demo) -> None:
    child = (await demo.children_of(ALEX.email))[0]
    [reply] = await demo.client(STRANGER).send(f"when is {child.given_name}'s review")
    assert shown(reply) == UNKNOWN_USER
    refused = await demo.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "access.refused",
        AuditEntry.actor_external_id == STRANGER.aad_object_id))  # fmt: skip
    assert refused == 1


async def test_whats_due_this_fortnight_lists_exactly_those_children(demo: Demo) -> None:
    children = await demo.children_of(ALEX.email)
    last = date(2026, 12, 9)  # this fortnight: today to today + 13 days
    due = [c for c in children if c.next_review_due and TODAY <= c.next_review_due <= last]
    [reply] = await demo.client().send("what's due this fortnight?")
    text = shown(reply)
    listed = [line for line in text.splitlines() if " | " in line][1:]  # rows after the header
    assert len(listed) == len(due)
    for child in due:
        assert f"{child.given_name} {child.family_name}" in text


async def test_overdue_list(demo: Demo) -> None:
    overdue = [c for c in await demo.children_of(ALEX.email)
               if c.next_review_due and c.next_review_due < TODAY]  # fmt: skip
    assert overdue, "the demo gives Alex at least one overdue review"
    [reply] = await demo.client().send("anything overdue?")
    text = shown(reply)
    for child in overdue:
        assert f"{child.given_name} {child.family_name}" in text
    assert "overdue by" in text


async def test_two_plausible_children_get_a_choice_and_the_choice_answers(demo: Demo) -> None:
    children = [c for c in await demo.children_of(ALEX.email) if c.looked_after_since]
    by_given: dict[str, list[Child]] = {}
    for c in children:
        by_given.setdefault(c.given_name, []).append(c)
    shared = [group for group in by_given.values() if len(group) >= 2]
    if not shared:
        pytest.fail("the demo should give Alex two children with one given name")
    first, second = shared[0][:2]
    client = demo.client()
    [choice] = await client.send(f"when is {first.given_name}'s next review?")
    card = choice.attachments[0]["content"]
    buttons = {a["data"].get("child_pk"): a["data"] for a in card["actions"]}
    assert {first.id, second.id} <= set(buttons)
    # Pressed as Teams sends it: the button's own data, no text.
    [answer] = await client.send_activity(client.activity("message", value=buttons[second.id]))
    assert long_date(await demo.expected_due(second)) in shown(answer)


async def test_irs_waiting_for_a_team_manager(demo: Demo) -> None:
    [reply] = await demo.client(ADELE_T).send("IRs waiting for me")
    text = shown(reply)
    assert "IRs waiting for your response" in text
    assert "IR-" in text


async def test_social_worker_sees_their_own_children_only(demo: Demo) -> None:
    [reply] = await demo.client(MEGAN_T).send("what's overdue?")
    assert "Overdue reviews" in shown(reply)


async def test_a_social_worker_is_told_who_records_reviews_and_nothing_is_written(
    demo: Demo,
) -> None:
    megan_id = await demo.scalar(select(Staff.id).where(Staff.email == MEGAN.email))
    child = next(c for c in unique_named(await demo.children_of(ALEX.email))
                 if c.social_worker_id == megan_id and c.looked_after_since)  # fmt: skip
    async with session_factory(demo.engine)() as session:
        reviews_before = await session.scalar(select(func.count()).select_from(Review))
        irs_before = await session.scalar(select(func.count()).select_from(IssueResolution))
    client = demo.client(MEGAN_T)
    for message in (f"record a review for {child.given_name} {child.family_name} held yesterday",
                    f"raise an IR for {child.given_name} {child.family_name}"):  # fmt: skip
        [refused] = await client.send(message)
        assert shown(refused).startswith("Only the child's IRO"), shown(refused)
        assert "Nothing was saved." in shown(refused)
    # Questions about her own children are hers to ask; help offers only what she may do.
    [asked] = await client.send(f"when is {child.given_name} {child.family_name}'s next review?")
    assert long_date(await demo.expected_due(child)) in shown(asked)
    [helped] = await client.send("help")
    assert "When is a review due?" in shown(helped)
    assert "Record a review" not in shown(helped) and "Raise an IR" not in shown(helped)
    # She may answer an IR as a stage's owner (or delegate), never move one on.
    assert "Answer an IR" in shown(helped) and "Move an IR on" not in shown(helped)
    [helped_iro] = await demo.client().send("help")
    assert "Record a review" in shown(helped_iro) and "Raise an IR" in shown(helped_iro)
    assert "Move an IR on" in shown(helped_iro)
    async with session_factory(demo.engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Review)) == reviews_before
        assert await session.scalar(
            select(func.count()).select_from(IssueResolution)) == irs_before  # fmt: skip


async def test_an_exact_full_name_answers_and_names_the_near_namesake(demo: Demo) -> None:
    child = unique_named(await demo.children_of(ALEX.email))[0]
    async with session_factory(demo.engine)() as session, session.begin():
        namesake = Child(child_id="NEAR-0001", looked_after_since=child.looked_after_since,
                         iro_id=child.iro_id, social_worker_id=child.social_worker_id,
                         service_area=child.service_area)  # fmt: skip
        set_child_names(namesake, child.given_name, f"{child.family_name}e")
        session.add(namesake)
    note, answer = await demo.client().send(
        f"when is {child.given_name} {child.family_name}'s next review?", replies=2
    )
    assert shown(note) == (
        f"This is about {child.given_name} {child.family_name} ({child.child_id}). Also on your "
        f"caseload with a similar name: {child.given_name} {child.family_name}e (NEAR-0001)."
    )
    assert long_date(await demo.expected_due(child)) in shown(answer)


async def test_help_and_nonsense(demo: Demo) -> None:
    client = demo.client()
    [helped] = await client.send("help")
    assert "What I can do" in shown(helped)
    [confused] = await client.send("the weather is lovely today")
    assert "didn't understand" in shown(confused)
    # Words that could be a name are looked up, and the user is pointed to help.
    [not_a_child] = await client.send("purple monkey dishwasher")
    assert 'type "help"' in shown(not_a_child)


async def test_logs_at_debug_hold_no_child_names(
    demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    child = unique_named(await demo.children_of(ALEX.email))[2]
    with caplog.at_level(logging.DEBUG):
        await demo.client().send(f"when is {child.given_name} {child.family_name}'s review")
        await demo.client().send("why is that date")
    assert caplog.records
    assert child.given_name not in caplog.text
    assert child.family_name not in caplog.text


# -- raising an IR over HTTP -------------------------------------------------------------------

IR_TABLES = ("issue_resolutions", "ir_stage_history", "ir_reasons", "ir_reference_counters")


async def counts(demo: Demo) -> dict[str, int]:
    from sqlalchemy import text as sql

    async with session_factory(demo.engine)() as session:
        return {t: int(await session.scalar(sql(f"SELECT count(*) FROM {t}")) or 0)
                for t in IR_TABLES}  # fmt: skip


async def megans_child_of_alex(demo: Demo) -> Child:
    """One of Alex's children whose social worker is Megan (so Stage 1 goes to Adele)."""
    async with session_factory(demo.engine)() as session:
        megan = await session.scalar(select(Staff.id).where(Staff.email == MEGAN.email))
    children = [c for c in unique_named(await demo.children_of(ALEX.email))
                if c.social_worker_id == megan]  # fmt: skip
    assert children, "the demo allocates several of Alex's children to Megan"
    return children[0]


async def test_raising_an_ir_writes_exactly_one_ir_with_its_deadlines(demo: Demo) -> None:
    child = await megans_child_of_alex(demo)
    before = await counts(demo)
    client = demo.client()
    name = f"{child.given_name} {child.family_name}"
    [reasons] = await client.send(f"raise an IR for {name}")
    assert f"Why are you raising an IR about {name}?" in shown(reasons)
    [described] = await client.send("1, 4")
    assert "Describe the issue" in shown(described)
    [stage] = await client.send("Reports for the last two reviews arrived on the day.")
    assert "At which stage?" in shown(stage)
    [summary] = await client.send("stage 1")
    assert "Goes to: Adele Vance (team manager)" in shown(summary)
    [raised] = await client.send("yes")
    text = shown(raised)
    # Thursday 26 November 2026 + 5 working days = Thursday 3 December; + 20 = Thursday 24
    # December (no bank holiday before Christmas Day).
    assert "Thursday 3 December 2026" in text and "IR-STAGE" in text
    assert "Thursday 24 December 2026" in text and "IR-FORMAL" in text
    after = await counts(demo)
    assert after["issue_resolutions"] == before["issue_resolutions"] + 1
    assert after["ir_stage_history"] == before["ir_stage_history"] + 1
    assert after["ir_reasons"] == before["ir_reasons"] + 2
    async with session_factory(demo.engine)() as session:
        ir = await session.scalar(select(IssueResolution).order_by(IssueResolution.id.desc()))
        assert ir is not None and ir.child_pk == child.id
        assert (ir.stage_due, ir.formal_due) == (date(2026, 12, 3), date(2026, 12, 24))
        assert ir.reference in text
    # The conversation remembers the child: a pronoun now means them.
    [follow_up] = await client.send("when is her next review due?")
    assert long_date(await demo.expected_due(child)) in shown(follow_up)


@pytest.mark.parametrize("answers_before_cancel", [0, 1, 2, 3])
async def test_cancelling_an_ir_at_any_step_writes_nothing(
    demo: Demo, answers_before_cancel: int
) -> None:
    child = await megans_child_of_alex(demo)
    before = await counts(demo)
    client = demo.client()
    await client.send(f"raise an IR for {child.given_name} {child.family_name}")
    for answer in ["1, 4", "Reports were late.", "stage 1"][:answers_before_cancel]:
        await client.send(answer)
    [cancelled] = await client.send("cancel")
    assert shown(cancelled) == "Cancelled: nothing was saved."
    assert await counts(demo) == before
    # And the conversation carries on normally afterwards.
    [helped] = await client.send("help")
    assert "What I can do" in shown(helped)


async def test_a_button_from_a_finished_dialog_explains_itself(demo: Demo) -> None:
    child = await megans_child_of_alex(demo)
    client = demo.client()
    [reasons] = await client.send(f"raise an IR for {child.given_name} {child.family_name}")
    card = reasons.attachments[0]["content"]
    # The text rendering lists the choices, so a text-only client can answer by number.
    assert "1. reports not available in time" in card_to_text(card)
    submit_data = card["actions"][0]["data"]
    await client.send("cancel")
    [reply] = await client.send_activity(client.activity("message", value=submit_data))
    assert "already finished" in shown(reply)


async def test_whats_due_for_me_defaults_to_the_next_15_working_days(demo: Demo) -> None:
    last = RULES.calendar.add_working_days(TODAY, 15)  # Thursday 17 December 2026
    assert last == date(2026, 12, 17)
    due = [c for c in await demo.children_of(ALEX.email)
           if c.next_review_due and TODAY <= c.next_review_due <= last]  # fmt: skip
    [reply] = await demo.client().send("what's due for me?")
    text = shown(reply)
    assert "Reviews due in the next 15 working days (to 17 December 2026)" in text
    assert len([line for line in text.splitlines() if " | " in line][1:]) == len(due)


async def test_recording_minutes_sent_updates_the_review_and_nothing_else(demo: Demo) -> None:
    # The child's latest review, and the day after it (its paperwork cannot precede it).
    for child in unique_named(await demo.children_of(ALEX.email)):
        async with session_factory(demo.engine)() as session:
            review = await session.scalar(
                select(Review).where(Review.child_pk == child.id, Review.held_on < TODAY)
                .order_by(Review.held_on.desc(), Review.id.desc()).limit(1))  # fmt: skip
        if review is not None:
            break
    else:
        raise AssertionError("no child of Alex's with a review in the demo")
    before = await counts(demo)
    reviews = await demo.scalar(select(func.count()).select_from(Review))
    client = demo.client()
    name = f"{child.given_name} {child.family_name}"
    [summary] = await client.send(f"{name}'s review minutes were sent yesterday")
    text = shown(summary)
    assert "Record the minutes as sent?" in text
    assert f"Review held: {long_date(review.held_on)}" in text
    assert "Sent on: Wednesday 25 November 2026" in text
    [done] = await client.send("yes")
    assert f"Recorded for {name}" in shown(done)
    async with session_factory(demo.engine)() as session:
        stored = await session.get(Review, review.id)
        assert stored is not None
        assert (stored.minutes_sent_on, stored.decisions_sent_on) == (
            date(2026, 11, 25), review.decisions_sent_on)  # fmt: skip
    assert await counts(demo) == before
    assert await demo.scalar(select(func.count()).select_from(Review)) == reviews
