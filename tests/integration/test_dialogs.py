"""The four dialogs through botbuilder's TestAdapter, on SQLite and PostgreSQL (conftest.py).

A tiny test bot stands in for the handler: it begins a dialog with the options the handler
would pass, routes every later message (typed text or a card's submitted data) into the
DialogSet, treats "cancel" as the handler does (cancel_all_dialogs) and saves the conversation
state in ``SqlAlchemyStorage`` after every turn. The store is the demo authority
(``bot.cli.demo_data``, 40 children, today Monday 2 March 2026): Alex Wilber is the IRO, his
children's social worker is Megan Bowen, whose managers are a practice supervisor, Adele Vance (team
manager), Isaiah Langer (service manager), Patti Fernandez and Lynne Robbins.

What is checked: each happy path writes exactly one row with the right values and deadlines;
"cancel" at every step of raising an IR writes nothing (rows counted; reads are audited, nothing
else); wrong answers are asked again with a message saying what to type; two plausible children
give a choice; a bot restart mid-dialog resumes at the same question; an IRO naming a child who
is not theirs learns nothing about that child.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from botbuilder.core import ConversationState, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.demo_data import seed_demo
from bot.state import SqlAlchemyStorage
from cards.elements import card_to_text
from dialogs import build_dialog_set
from dialogs.child import ACTOR
from dialogs.common import yes_or_no
from dialogs.prompts import NONCE_KEY, Rejected
from dialogs.raise_ir import reasons_from_text, stage_key
from dialogs.record_review import part_from_text
from domain.calendar import add_months
from domain.formatting import long_date
from domain.ports import StaffMember
from domain.rules import load_rules
from services.context import Services
from storage.conversation_state import BotStateRecord
from storage.models import (
    AuditEntry,
    BroughtForwardDirection,
    Child,
    IrReason,
    IrReferenceCounter,
    IrStageEntry,
    IssueResolution,
    Review,
    ReviewBooking,
    Staff,
)
from storage.repositories.staff import to_staff_member
from understanding.caseload import CaseloadCache

RULES = load_rules()
TODAY = date(2026, 3, 2)  # a Monday; no bank holiday before Good Friday, 3 April 2026

#: Every table a dialog may write to; audit_log is checked separately (reads are audited).
WRITTEN_TABLES = (IssueResolution, IrStageEntry, IrReason, IrReferenceCounter, Review,
                  ReviewBooking, BroughtForwardDirection)  # fmt: skip


# -- the store -------------------------------------------------------------------------------------


@dataclass
class World:
    sessions: async_sessionmaker[AsyncSession]
    services: Services
    storage: SqlAlchemyStorage
    alex: StaffMember
    staff: dict[str, StaffMember]  # by e-mail
    mine: list[Child]  # Alex's children (detached rows)
    others: list[Child]  # children Alex may not see
    open_irs: set[int] = field(default_factory=set)  # children with an IR not yet resolved

    def child(self, **where: Any) -> Child:
        return next(c for c in self.mine if all(getattr(c, k) == v for k, v in where.items()))

    def unique_name_child(self, rule: str | None = None) -> Child:
        """One of Alex's children with a family name no other child of his shares (and no IR
        open: raising one for such a child first asks whether to raise another)."""
        families = [c.family_name for c in self.mine]
        return next(
            c for c in self.mine
            if families.count(c.family_name) == 1 and (rule is None or c.next_review_rule == rule)
            and c.next_review_due and c.next_review_due > TODAY and c.id not in self.open_irs
        )  # fmt: skip

    def shared_family(self) -> tuple[str, list[Child]]:
        families = [c.family_name for c in self.mine]
        family = next(f for f in families if families.count(f) > 1
                      and not any(c.id in self.open_irs for c in self.mine
                                  if c.family_name == f))  # fmt: skip
        return family, [c for c in self.mine if c.family_name == family]


@pytest_asyncio.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    async with sessions() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, children=40)
    async with sessions() as session:
        staff = {s.email: to_staff_member(s) for s in await session.scalars(select(Staff))}
        alex = staff["alexw@example.com"]
        children = list(await session.scalars(select(Child).order_by(Child.id)))
        open_irs = set(await session.scalars(select(IssueResolution.child_pk).where(
            IssueResolution.status != "resolved")))  # fmt: skip
    mine = [c for c in children if alex.id in (c.iro_id, c.covering_iro_id)]
    others = [c for c in children if alex.id not in (c.iro_id, c.covering_iro_id)]
    services = Services(sessions, RULES, clock=lambda: TODAY)
    return World(sessions, services, SqlAlchemyStorage(sessions), alex, staff, mine, others,
                 open_irs)


async def row_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        return {
            table.__tablename__: await session.scalar(select(func.count()).select_from(table))
            for table in WRITTEN_TABLES
        }


async def audit_actions_since(sessions: async_sessionmaker[AsyncSession], last_id: int
                              ) -> list[str]:  # fmt: skip
    async with sessions() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.id > last_id))
        return [row.action for row in rows]


async def last_audit_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.max(AuditEntry.id))) or 0


def name_of(child: Child) -> str:
    return f"{child.given_name} {child.family_name}"


# -- the conversation ------------------------------------------------------------------------------


class Chat:
    """One user's conversation with a test bot that routes messages into the DialogSet.

    ``restart()`` throws the bot away and builds a new one (new DialogSet, ConversationState and
    caseload cache) over the same stored state, as a restarted process would.
    """

    def __init__(self, world: World, staff: StaffMember | None = None) -> None:
        self.world = world
        self.staff = staff or world.alex
        # Each chat is its own conversation (its own stored state), as each Teams chat is.
        self.adapter = TestAdapter(self._turn, Activity(
            channel_id="test", service_url="https://test.example",
            from_property=ChannelAccount(id=f"user-{self.staff.id}", name="user"),
            recipient=ChannelAccount(id="bot", name="iro-bot"),
            conversation=ConversationAccount(id=f"conversation-{uuid.uuid4().hex}"),
        ))  # fmt: skip
        self.cards: list[dict[str, Any]] = []
        self.result: Any = None
        self.status: DialogTurnStatus | None = None
        self._start: tuple[str, dict[str, Any]] | None = None
        self.restart()

    def restart(self) -> None:
        self.state = ConversationState(self.world.storage)
        accessor = self.state.create_property("DialogState")
        self.dialogs = build_dialog_set(accessor, self.world.services, CaseloadCache())

    async def _turn(self, context: TurnContext) -> None:
        context.turn_state[ACTOR] = self.staff  # as the handler does: the sender, this turn
        dc = await self.dialogs.create_context(context)
        text = (context.activity.text or "").strip().lower()
        if self._start is not None:
            outcome = await dc.begin_dialog(*self._start)
            self._start = None
        elif text == "cancel" and dc.active_dialog is not None:
            await dc.cancel_all_dialogs()
            await context.send_activity("Cancelled: nothing was saved.")
            outcome = None
        else:
            outcome = await dc.continue_dialog()
        if outcome is not None:
            self.status = outcome.status
            if outcome.status is DialogTurnStatus.Complete:
                self.result = outcome.result
        await self.state.save_changes(context)

    async def _exchange(self, activity: Activity) -> str:
        self.adapter.activity_buffer.clear()
        await self.adapter.receive_activity(activity)
        shown: list[str] = []
        for reply in self.adapter.activity_buffer:
            if reply.type != ActivityTypes.message:
                continue
            for attachment in reply.attachments or []:
                self.cards.append(attachment.content)
                shown.append(card_to_text(attachment.content))
                assert reply.summary, "every card has a text fallback"
            if reply.text:
                shown.append(reply.text)
        self.adapter.activity_buffer.clear()
        return "\n".join(shown)

    async def start(self, dialog_id: str, **options: Any) -> str:
        full = {
            "child_pk": None,
            "child_text": None,
            "date": None,
            "part": None,
            "reason": None,
            "stage": None,
            "reasons": [],
        }
        full.update(options)
        json.dumps(full)  # the handler's options are plain JSON
        self._start = (dialog_id, full)
        return await self._exchange(Activity(type=ActivityTypes.message, text="(start)"))

    async def say(self, text: str) -> str:
        return await self._exchange(Activity(type=ActivityTypes.message, text=text))

    async def send_value(self, value: dict[str, Any]) -> str:
        return await self._exchange(Activity(type=ActivityTypes.message, value=value))

    def _actions(self, card: dict[str, Any]) -> list[dict[str, Any]]:
        return [a for a in card.get("actions", []) if a.get("type") == "Action.Submit"]

    async def press(self, title: str, card_index: int = -1) -> str:
        """Press a card's button by its title, as Teams would (its data, no text)."""
        card = self.cards[card_index]
        action = next((a for a in self._actions(card) if a["title"] == title), None)
        assert action is not None, f"no button {title!r} on {card_to_text(card)!r}"
        return await self.send_value(action["data"])

    async def submit_inputs(self, **inputs: str) -> str:
        """Fill the last card's inputs and press its (first) submit button."""
        action = self._actions(self.cards[-1])[0]
        return await self.send_value({**action["data"], **inputs})

    def buttons(self, card_index: int = -1) -> list[str]:
        return [a["title"] for a in self._actions(self.cards[card_index])]

    @property
    def finished(self) -> bool:
        return self.status is DialogTurnStatus.Complete


# -- raise an IR -----------------------------------------------------------------------------------


async def test_raising_an_ir_for_a_child_with_one_open_names_it_first(world: World) -> None:
    child = next(c for c in world.mine if c.id in world.open_irs)
    async with world.sessions() as session:
        [open_ref] = await session.scalars(select(IssueResolution.reference).where(
            IssueResolution.child_pk == child.id,
            IssueResolution.status != "resolved"))  # fmt: skip
    before = await row_counts(world.sessions)
    chat = Chat(world)
    shown = await chat.start("raise_ir", child_pk=child.id)
    # The open IR's own card (with Alex's buttons), then the question; no reasons asked yet.
    assert f"Issues Resolution {open_ref}" in shown
    assert f"already has an open Issues Resolution: {open_ref}" in shown
    assert "Raise another IR about a different issue, or escalate it instead?" in shown \
        and "Why are you" not in shown  # fmt: skip
    assert "Please reply" in await chat.say("hmm")  # unclear: asked again
    shown = await chat.press("Don't raise")
    assert chat.result["saved"] is False and "no IR was raised" in shown
    assert await row_counts(world.sessions) == before
    # Another issue about the same child: on, to the reasons.
    await chat.start("raise_ir", child_pk=child.id)
    shown = await chat.say("yes")
    assert f"Why are you raising an IR about {name_of(child)}?" in shown


async def test_raise_ir_typed_end_to_end(world: World) -> None:
    child = world.unique_name_child()
    before = await row_counts(world.sessions)
    chat = Chat(world)

    assert "Which child is this IR about?" in await chat.start("raise_ir")
    shown = await chat.say(name_of(child).lower())  # typed in lower case
    assert f"Why are you raising an IR about {name_of(child)}?" in shown
    assert "[Reasons]" in shown and chat.cards[-1]["body"][2]["isMultiSelect"] is True
    shown = await chat.say("1, 4")
    assert "Describe the issue in your own words" in shown
    await chat.say("Reports for the last two reviews arrived on the day.")
    shown = await chat.say("stage 1")
    assert "Raise this IR?" in shown
    assert "Goes to: Adele Vance (team manager)" in shown
    assert "reports not available in time" in shown
    shown = await chat.press("Raise the IR")

    assert chat.finished and chat.result["saved"] is True
    reference = chat.result["reference"]
    assert reference.startswith("IR-2026-")
    assert chat.result["child_pk"] == child.id
    assert chat.result["child"]["child_id"] == child.child_id
    # IR-STAGE: 5 working days after Monday 2 March 2026; IR-FORMAL: 20 working days.
    assert f"{reference} raised" in shown
    assert "Monday 9 March 2026" in shown and "IR-STAGE" in shown
    assert "Monday 30 March 2026" in shown and "IR-FORMAL" in shown

    after = await row_counts(world.sessions)
    assert after["issue_resolutions"] == before["issue_resolutions"] + 1
    async with world.sessions() as session:
        ir = await session.scalar(select(IssueResolution).where(
            IssueResolution.reference == reference))  # fmt: skip
        assert ir is not None
        assert (ir.child_pk, ir.raised_by_id, ir.raised_on) == (child.id, world.alex.id, TODAY)
        assert ir.stage_raised == "1" and ir.current_stage == "1"
        assert ir.description == "Reports for the last two reviews arrived on the day."
        assert (ir.stage_due, ir.formal_due, ir.formal_since) == (
            date(2026, 3, 9),
            date(2026, 3, 30),
            TODAY,
        )
        reasons = set(await session.scalars(select(IrReason.reason).where(
            IrReason.ir_id == ir.id)))  # fmt: skip
        assert reasons == {RULES.reasons[0], RULES.reasons[3]}
        entry = await session.scalar(select(IrStageEntry).where(IrStageEntry.ir_id == ir.id))
        assert entry is not None and entry.owner_id == world.staff["adelev@example.com"].id


async def test_raise_ir_card_multiselect_other_needs_description(world: World) -> None:
    child = world.unique_name_child()
    chat = Chat(world)
    shown = await chat.start("raise_ir", child_pk=child.id, stage="informal")
    assert "[Reasons]" in shown  # the child was given: straight to the reasons
    other = RULES.reasons.index("other") + 1
    shown = await chat.submit_inputs(reasons=f"2,{other}")
    assert 'You chose "other"' in shown
    shown = await chat.say("skip")
    assert 'A description is needed because you chose "other"' in shown
    shown = await chat.say("The placement wants a different school transport plan.")
    # The stage was given ("informal"): straight to the summary with the line manager by name.
    assert "Raise this IR?" in shown and "Stage: Informal" in shown
    supervisor = next(s for s in world.staff.values() if s.role == "practice_supervisor"
                      and s.id == world.staff["meganb@example.com"].manager_id)  # fmt: skip
    assert f"Goes to: {supervisor.display_name} (line manager)" in shown
    shown = await chat.say("yes please")
    assert chat.result["saved"] is True
    assert "Monday 9 March 2026" in shown
    assert "IR-FORMAL" not in shown  # informal: no formal deadline yet
    async with world.sessions() as session:
        ir = await session.scalar(select(IssueResolution).where(
            IssueResolution.reference == chat.result["reference"]))  # fmt: skip
        assert ir is not None and ir.stage_raised == "informal" and ir.formal_due is None
        reasons = set(await session.scalars(select(IrReason.reason).where(
            IrReason.ir_id == ir.id)))  # fmt: skip
        assert reasons == {RULES.reasons[1], "other"}


async def test_raise_ir_prefilled_reasons_and_change_stage(world: World) -> None:
    child = world.unique_name_child()
    chat = Chat(world)
    shown = await chat.start("raise_ir", child_text=name_of(child),
                             reasons=["no advocate", "not a reason"])  # fmt: skip
    assert "Describe the issue" in shown  # reasons understood already: not asked again
    await chat.say("skip")
    shown = await chat.press("Stage 1 (team manager)")
    assert "Adele Vance" in shown
    shown = await chat.press("Choose another stage")
    assert "At which stage?" in shown
    shown = await chat.say("2")
    assert "Goes to: Isaiah Langer (service manager)" in shown
    assert "Reasons: no advocate" in shown
    # The reasons can be changed from the summary too: the card comes back with them ticked.
    await chat.press("Change the reasons")
    advocate = str(RULES.reasons.index("no advocate") + 1)
    assert chat.cards[-1]["body"][2]["value"] == advocate
    shown = await chat.submit_inputs(reasons=f"1,{advocate}")
    assert "Reasons: reports not available in time; no advocate" in shown  # nothing else asked
    assert "Stage: Stage 2" in shown
    assert "At which stage?" in await chat.say("no, another stage")
    await chat.say("stage 2")
    await chat.press("Raise the IR")
    assert chat.result["saved"] is True
    async with world.sessions() as session:
        ir = await session.scalar(select(IssueResolution).where(
            IssueResolution.reference == chat.result["reference"]))  # fmt: skip
        assert ir is not None and ir.stage_raised == "2" and ir.description == ""
        reasons = set(await session.scalars(select(IrReason.reason).where(
            IrReason.ir_id == ir.id)))  # fmt: skip
        assert reasons == {RULES.reasons[0], "no advocate"}


async def test_raise_ir_without_a_recorded_owner(world: World) -> None:
    child = world.unique_name_child()
    async with world.sessions() as session, session.begin():
        await session.execute(update(Child).where(Child.id == child.id)
                              .values(social_worker_id=None))  # fmt: skip
    chat = Chat(world)
    await chat.start("raise_ir", child_pk=child.id, reasons=["no advocate"])
    await chat.say("skip")
    shown = await chat.press("Stage 1 (team manager)")
    assert "No social worker is recorded for this child" in shown
    assert "raised without an owner" in shown
    shown = await chat.press("Raise the IR")
    assert "nobody yet: no owner is recorded" in shown
    async with world.sessions() as session:
        ir = await session.scalar(select(IssueResolution).where(
            IssueResolution.reference == chat.result["reference"]))  # fmt: skip
        entry = await session.scalar(select(IrStageEntry).where(IrStageEntry.ir_id == ir.id))
        assert entry is not None and entry.owner_id is None


RAISE_IR_STEPS = ["child", "reasons", "description", "stage", "confirm"]


@pytest.mark.parametrize("stop_at", [*RAISE_IR_STEPS, "dont_save"])
async def test_raise_ir_cancel_at_any_step_writes_nothing(world: World, stop_at: str) -> None:
    child = world.unique_name_child()
    before = await row_counts(world.sessions)
    audit_before = await last_audit_id(world.sessions)
    chat = Chat(world)
    answers = [name_of(child), "1", "Late reports again.", "stage 3"]
    shown = await chat.start("raise_ir")
    for step, answer in zip(RAISE_IR_STEPS, answers, strict=False):
        if step == stop_at:
            break
        shown = await chat.say(answer)
    if stop_at == "dont_save":
        assert "Raise this IR?" in shown
        shown = await chat.press("Don't save")
        assert "I haven't saved anything" in shown
        assert chat.result["saved"] is False
    else:
        shown = await chat.say("cancel")
        assert "nothing was saved" in shown
    assert await row_counts(world.sessions) == before
    # Reads of the child's record are audited; nothing else was written.
    assert set(await audit_actions_since(world.sessions, audit_before)) <= {"child.read"}
    # And nothing of the dialog is left running.
    await chat.say("1")
    assert chat.status is DialogTurnStatus.Empty


async def test_raise_ir_wrong_answers_are_asked_again(world: World) -> None:
    child = world.unique_name_child()
    chat = Chat(world)
    await chat.start("raise_ir", child_pk=child.id)
    count = len(RULES.reasons)
    assert f"There is no reason 99: the reasons are numbered 1 to {count}." in await chat.say(
        "1, 99"
    )
    assert "I couldn't match that to the reasons listed" in await chat.say("the weather")
    assert "Please tick at least one reason" in await chat.submit_inputs(reasons="")
    shown = await chat.say("no advocate and late reports")
    assert "Describe the issue" in shown
    assert "Please write a sentence or two" in await chat.say("   ")
    await chat.say("Nobody has referred her for an advocate.")
    assert "I couldn't tell which stage you meant" in await chat.say("stage 9")
    shown = await chat.say("team manager")
    assert "Raise this IR?" in shown
    assert "reports not available in time; no advocate" in shown  # in the rules' order
    assert 'Please reply "yes" to save it' in await chat.say("maybe later")
    assert "cancel" not in await chat.say("hmm")
    shown = await chat.say("perhaps")
    assert '(Or type "cancel" to stop' in shown  # after three muddles, how to stop
    await chat.say("yes")
    assert chat.result["saved"] is True


async def test_a_stale_card_button_is_not_taken_as_the_answer(world: World) -> None:
    child = world.unique_name_child()
    chat = Chat(world)
    await chat.start("raise_ir", child_pk=child.id, reasons=["no advocate"])
    await chat.say("skip")
    stage_card = len(chat.cards) - 1
    await chat.press("Stage 2 (service manager)")
    # The stage card is still on screen: pressing it again now is not an answer to "confirm".
    shown = await chat.press("Stage 4 (director of children & family services)", stage_card)
    assert "That button belongs to an earlier question" in shown
    assert "Raise this IR?" in shown and "Stage: Stage 2" in shown
    # A forged confirm value from another question is refused the same way.
    shown = await chat.send_value({"confirm": "yes", NONCE_KEY: "not-the-current-one"})
    assert "That button belongs to an earlier question" in shown
    assert not chat.finished
    await chat.press("Raise the IR")
    assert chat.result["saved"] is True


# -- choosing the child ----------------------------------------------------------------------------


async def test_two_plausible_children_give_a_choice(world: World) -> None:
    family, siblings = world.shared_family()
    chat = Chat(world)
    shown = await chat.start("raise_ir", child_text=family)
    assert f'More than one child could be "{family}". Which one?' in shown
    for sibling in siblings:
        assert f"{name_of(sibling)} ({sibling.child_id})" in chat.buttons()
    assert "Please choose one of the children listed" in await chat.say("7")
    # "none of these" asks for the name again; then a number picks from the new choice.
    assert "Which child is it, then?" in await chat.say("none of these")
    await chat.say(family)
    shown = await chat.say("2")
    assert f"Why are you raising an IR about {name_of(siblings[1])}?" in shown or \
        f"Why are you raising an IR about {name_of(siblings[0])}?" in shown  # fmt: skip
    # The choice by button, in a fresh conversation.
    chat = Chat(world)
    await chat.start("book_review", child_text=family)
    shown = await chat.press(f"{name_of(siblings[0])} ({siblings[0].child_id})")
    assert f"Which date is {name_of(siblings[0])}'s review booked for?" in shown


async def test_a_child_not_on_the_caseload_is_never_found_or_described(world: World) -> None:
    other = world.others[0]
    for named in (name_of(other), other.child_id):
        chat = Chat(world)
        shown = await chat.start("raise_ir", child_text=named)
        assert f'I couldn\'t find a child called "{named}" among the children you can see.' in (
            shown)  # fmt: skip
        assert other.child_id not in shown.replace(f'"{named}"', "")
        # Suggestions come only from Alex's own children.
        mine = {c.id for c in world.mine}
        for card in chat.cards:
            for action in card.get("actions", []):
                if "child_pk" in action["data"]:
                    assert action["data"]["child_pk"] in mine
        # Typing it again finds nothing either; nothing about the child is ever shown.
        shown = await chat.say(named)
        assert "I couldn't find a child called" in shown
        assert not chat.finished
    # A forged key (as a handler option, or as a card value) finds nothing and says the same.
    chat = Chat(world)
    shown = await chat.start("record_review", child_pk=other.id)
    assert shown.startswith("I can't find that child among the children you can see.")
    assert other.child_id not in shown and str(other.family_name) not in shown
    shown = await chat.send_value({"child_pk": other.id})
    assert "I can't find that child among the children you can see." in shown
    assert not chat.finished


async def test_a_name_with_a_typo_is_resolved_and_unknown_names_get_suggestions(
    world: World,
) -> None:
    child = world.unique_name_child()
    chat = Chat(world)
    shown = await chat.start("book_review", child_text="Zebedee Quarrington")
    assert 'I couldn\'t find a child called "Zebedee Quarrington"' in shown
    # The real name, with one letter wrong in the family name, still finds the child.
    typo = f"{child.given_name} {child.family_name[:-1]}x"
    shown = await chat.say(typo)
    assert f"Which date is {name_of(child)}'s review booked for?" in shown


# -- record a review -------------------------------------------------------------------------------


#: The questions the annual report counts, answered ahead (as a message could): the tests that
#: are about something else start with these, so the summary follows the date and the part.
DETAILS = {"participation": "PN1", "chaired": False, "held_at": "Hampshire"}


async def test_record_review_end_to_end(world: World) -> None:
    child = world.unique_name_child(rule="CIC-3")
    before = await row_counts(world.sessions)
    chat = Chat(world)
    shown = await chat.start("record_review", child_pk=child.id)
    assert f"When was {name_of(child)}'s review held?" in shown
    assert f"(It was due by {long_date(child.next_review_due)}.)" in shown
    assert "I couldn't read that as a date. Try 14/01/2026" in await chat.say("banana")
    assert "February 2026 has 28 days" in await chat.say("31/02/2026")
    shown = await chat.say("02/30/2026")
    assert "dates are day/month/year" in shown
    assert "is in the future" in await chat.say("25/12/2026")
    shown = await chat.say("last Friday")  # Friday 27 February 2026
    assert "Was it a full review" in shown and chat.buttons() == ["Full review", "Part 1",
                                                                   "Part 2"]  # fmt: skip
    assert 'Please reply "full", "part 1" or "part 2"' in await chat.say("sideways")
    shown = await chat.press("Full review")
    # What the report counts: how they took part (the 903's codes, in plain English)...
    assert "How did the young person take part in the review?" in shown
    assert "Please choose how they took part" in await chat.say("dunno")
    shown = await chat.press("Attended and spoke for themselves (PN1)")
    # ...whether they chaired it (asked only of a young person who was there)...
    assert "Did the young person chair their own review?" in shown
    assert 'Please reply "yes" or "no"' in await chat.say("maybe")
    shown = await chat.press("Yes")
    # ...and where it was held: the authority's list, typed words matched to it.
    assert "Where was the review held?" in shown and "1. West Berkshire" in shown
    shown = await chat.say("hampshire")
    assert "Record this review?" in shown
    assert "How they took part: Attended and spoke for themselves (PN1)" in shown
    assert "Chaired by the young person: yes" in shown and "Held at: Hampshire" in shown
    assert "Held on: Friday 27 February 2026" in shown
    assert f"On time: due by {long_date(child.next_review_due)}" in shown
    shown = await chat.press("Record it")

    held = date(2026, 2, 27)
    assert chat.result["saved"] is True and chat.result["child_pk"] == child.id
    assert f"Review recorded for {name_of(child)}" in shown
    next_due = add_months(held, 6)  # CIC-3: an early review resets the cadence from its date
    assert chat.result["next_review_due"] == next_due.isoformat()
    assert f"Due: {long_date(next_due)}" in shown and "CIC-3: Subsequent review" in shown
    assert "6 months after the previous review held on 27 February 2026" in shown
    assert "Friday 6 March 2026" in shown and "CIC-DECISIONS" in shown  # 5 working days
    assert "Friday 27 March 2026" in shown and "CIC-MINUTES" in shown  # 20 working days

    after = await row_counts(world.sessions)
    assert after["reviews"] == before["reviews"] + 1
    async with world.sessions() as session:
        review = await session.scalar(select(Review).where(Review.child_pk == child.id,
                                                           Review.held_on == held))  # fmt: skip
        assert review is not None
        assert (review.part, review.late_reason, review.recorded_by_id) == (
            "full",
            None,
            world.alex.id,
        )
        assert (review.participation_code, review.chaired_by_child, review.held_at) == (
            "PN1", True, "Hampshire")  # fmt: skip
        stored = await session.get(Child, child.id)
        assert stored is not None and stored.next_review_due == next_due


async def test_record_review_late_asks_why(world: World) -> None:
    overdue = next(c for c in world.mine if c.next_review_due and c.next_review_due < TODAY)
    due = overdue.next_review_due
    assert due is not None
    chat = Chat(world)
    # Date and part understood by the handler already; the late reason is asked for.
    shown = await chat.start("record_review", child_pk=overdue.id, date=TODAY.isoformat(),
                             part="part1", **DETAILS)  # fmt: skip
    assert f"This review was late: {name_of(overdue)}'s review was due by {long_date(due)}" in (
        shown)  # fmt: skip
    assert "1. Foster home breakdown or change" in shown  # the authority's list, numbered
    assert "Please choose one of the 10" in await chat.submit_inputs()  # "Next", nothing chosen
    assert "Please say it in a few words" in await chat.say("yes")  # meant for the summary
    assert "under 200 characters" in await chat.say("other: " + "x" * 201)
    # Close to two of the list: a choice, with the words as "other" too.
    shown = await chat.say("availability")
    assert "Which of these did you mean" in shown and "Other: availability" in chat.buttons()
    shown = await chat.say("foster home change")  # close to one label: that label
    assert "Why could only Part 1 of" in shown
    shown = await chat.submit_inputs(choice="other", words="Snow closed the roads")
    assert f"Late: it was due by {long_date(due)}" in shown
    assert "Why it was late: Foster home breakdown or change" in shown
    assert "Why only Part 1: Other: Snow closed the roads" in shown
    assert "Part: Part 1 of a split review" in shown
    shown = await chat.say("yes")
    assert "Part 2 of this review is still to be held" in shown
    async with world.sessions() as session:
        review = await session.scalar(select(Review).where(Review.child_pk == overdue.id,
                                                           Review.held_on == TODAY))  # fmt: skip
        assert review is not None and (review.part, review.late_reason, review.part1_reason) \
            == ("part1", "Foster home breakdown or change", "Other: Snow closed the roads")


async def test_record_review_prefilled_values_are_checked_too(world: World) -> None:
    child = world.unique_name_child(rule="CIC-3")
    chat = Chat(world)
    # A future date (as the handler may pass it) is refused and asked for again.
    shown = await chat.start("record_review", child_pk=child.id, date="2026-12-25",
                             part="full", reason="because of a move", **DETAILS)  # fmt: skip
    assert "25 December 2026 is in the future" in shown
    assert f"When was {name_of(child)}'s review held?" in shown
    shown = await chat.say("yesterday")
    # On time, so the reason given is not needed and not asked for.
    assert "Record this review?" in shown and "Why it was late" not in shown


async def test_each_step_checks_the_member_of_staff_of_that_turn(world: World) -> None:
    # The dialog keeps no copy of who started it: an account deactivated (or a role changed)
    # mid-dialog counts from the next message, and nothing is written for the old one.
    child = world.unique_name_child(rule="CIC-3")
    before = await row_counts(world.sessions)
    chat = Chat(world)
    shown = await chat.start("record_review", child_pk=child.id)
    assert f"When was {name_of(child)}'s review held?" in shown
    chat.staff = dataclasses.replace(world.alex, active=False)  # as read in the next turn
    shown = await chat.say("yesterday")
    assert "I can't find that child among the children you can see." in shown
    assert "Record this review?" not in shown
    assert await row_counts(world.sessions) == before


async def test_a_refused_answer_keeps_the_audit_of_the_read_it_showed(world: World) -> None:
    # The refusal names a date of the child's record (when the period of care began), so the
    # check's read of that record is audited even though the check refused.
    child = world.unique_name_child(rule="CIC-3")
    assert child.looked_after_since is not None
    before_care = child.looked_after_since - timedelta(days=1)
    chat = Chat(world)
    await chat.start("record_review", child_pk=child.id)
    last = await last_audit_id(world.sessions)
    shown = await chat.say(before_care.strftime("%d/%m/%Y"))
    assert "before this period of care began" in shown
    assert "review.record" not in await audit_actions_since(world.sessions, last)
    async with world.sessions() as session:
        reads = list(await session.scalars(select(AuditEntry).where(
            AuditEntry.id > last, AuditEntry.action == "child.read")))  # fmt: skip
    assert [(r.entity_id, r.detail) for r in reads] == [(str(child.id), {"what": "review_check"})]


async def test_a_missed_review_is_placed_in_its_order_and_the_later_ones_judged_again(
    world: World,
) -> None:
    child = world.unique_name_child(rule="CIC-3")
    async with world.sessions() as session:
        held = sorted(await session.scalars(
            select(Review.held_on).where(Review.child_pk == child.id)))  # fmt: skip
    missed = held[-1] - timedelta(days=1)
    assert missed > held[-2]
    chat = Chat(world)
    shown = await chat.start("record_review", child_pk=child.id, date=missed.isoformat(),
                             part="full", **DETAILS)  # fmt: skip
    if "Why was it late?" in shown:
        shown = await chat.say("the placement moved")
    assert "Record this review?" in shown
    assert (f"This review was held before the latest one recorded ({long_date(held[-1])}): it "
            "is placed in its order") in shown  # fmt: skip
    assert "Next review due:" in shown


async def test_an_unclear_answer_at_confirm_asks_again_and_keeps_everything(
    world: World,
) -> None:
    child = world.unique_name_child(rule="CIC-3")
    chat = Chat(world)
    shown = await chat.start("record_review", child_pk=child.id, date="2026-02-27", part="full",
                             **DETAILS)
    assert "Record this review?" in shown
    before = await row_counts(world.sessions)
    for unclear in ("not sure", "yes but is that the right date?", "hmm"):
        shown = await chat.say(unclear)
        assert chat.result is None, unclear  # still open: nothing decided, nothing lost
        assert await row_counts(world.sessions) == before
    shown = await chat.say("yes")
    assert chat.result["saved"] is True
    async with world.sessions() as session:
        held = await session.scalar(select(Review.held_on).where(
            Review.child_pk == child.id, Review.held_on == date(2026, 2, 27)))  # fmt: skip
    assert held == date(2026, 2, 27)


async def test_a_refusal_at_confirm_is_shown_kindly_and_nothing_is_written(world: World) -> None:
    child = world.unique_name_child(rule="CIC-3")
    chat = Chat(world)
    await chat.start("record_review", child_pk=child.id, date="2026-02-27", part="full",
                             **DETAILS)
    # Someone else records the same review while the summary is on screen.
    async with world.sessions() as session, session.begin():
        session.add(Review(child_pk=child.id, held_on=date(2026, 2, 27), part="full"))
    before = await row_counts(world.sessions)
    shown = await chat.say("yes")
    assert "A review on 27 February 2026 is already recorded. Nothing was saved." in shown
    assert "Traceback" not in shown
    assert chat.result["saved"] is False
    assert await row_counts(world.sessions) == before


# -- book a review ---------------------------------------------------------------------------------


async def test_book_review_end_to_end(world: World) -> None:
    child = world.unique_name_child()
    before = await row_counts(world.sessions)
    chat = Chat(world)
    shown = await chat.start("book_review", child_pk=child.id)
    assert f"Which date is {name_of(child)}'s review booked for?" in shown
    assert "has passed" in await chat.say("14/01/2026")
    assert "I couldn't read that as a date. Try 14/01/2027" in await chat.say("soonish")
    shown = await chat.say("in two weeks")  # Monday 16 March 2026
    assert "Book this review?" in shown and "Review on: Monday 16 March 2026" in shown
    shown = await chat.press("Book it")
    assert chat.result["saved"] is True
    # CIC-REPORTS: 3 working days before the review.
    assert "Wednesday 11 March 2026" in shown and "CIC-REPORTS" in shown
    assert chat.result["reports_due"] == "2026-03-11"
    after = await row_counts(world.sessions)
    assert after["review_bookings"] == before["review_bookings"] + 1
    async with world.sessions() as session:
        booking = await session.scalar(
            select(ReviewBooking).where(
                ReviewBooking.child_pk == child.id, ReviewBooking.booked_for == date(2026, 3, 16)
            )
        )
        assert booking is not None and booking.booked_by_id == world.alex.id


async def test_a_booking_on_a_day_that_is_not_a_working_day_is_warned_before_it_is_saved(
    world: World,
) -> None:
    child = world.unique_name_child()
    chat = Chat(world)
    await chat.start("book_review", child_pk=child.id)
    # Today is Monday 2 March 2026: Saturday 14 March, and Good Friday 3 April 2026.
    for typed, day in (("14/03/2026", "Saturday 14 March 2026"), ("03/04/2026",
                                                                  "Friday 3 April 2026")):
        shown = await chat.say(typed)
        assert "Book this review?" in shown
        assert f"{day} is not a working day" in shown
        shown = await chat.say("no")
        assert chat.result["saved"] is False
        await chat.start("book_review", child_pk=child.id)
    shown = await chat.say("16/03/2026")  # a Monday
    assert "Book this review?" in shown and "not a working day" not in shown


async def test_a_store_failure_at_save_offers_the_summary_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dialogs.book_review as module

    calls = 0
    real = module.book_review

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("INSERT ...", {}, Exception("connection lost"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(module, "book_review", flaky)
    child = world.unique_name_child()
    before = await row_counts(world.sessions)
    chat = Chat(world)
    await chat.start("book_review", child_pk=child.id, date="2026-03-16")
    shown = await chat.say("yes")
    assert "something went wrong while saving, so nothing was saved" in shown
    assert "Book this review?" in shown and "connection lost" not in shown
    assert await row_counts(world.sessions) == before
    await chat.press("Book it")
    assert chat.result["saved"] is True
    after = await row_counts(world.sessions)
    assert after["review_bookings"] == before["review_bookings"] + 1


# -- bring a review forward ------------------------------------------------------------------------


async def test_bring_forward_end_to_end(world: World) -> None:
    child = world.unique_name_child(rule="CIC-3")
    due = child.next_review_due
    assert due is not None and due > date(2026, 3, 20)
    before = await row_counts(world.sessions)
    chat = Chat(world)
    shown = await chat.start("bring_forward", child_text=name_of(child))
    assert f"{name_of(child)}'s next review is due by {long_date(due)} (CIC-3)" in shown
    assert "has passed: choose today or a later date" in await chat.say("27/02/2026")
    later = await chat.say(due.replace(year=due.year + 1).strftime("%d/%m/%Y"))
    assert "nothing to bring forward" in later
    shown = await chat.say("20/03/2026")
    assert f"Why is {name_of(child)}'s review being brought forward?" in shown
    assert "Please say in a few words" in await chat.say(" ")
    shown = await chat.say("Planned placement move")
    assert "Bring this review forward?" in shown and "Hold by: Friday 20 March 2026" in shown
    shown = await chat.press("Bring it forward")
    assert chat.result["saved"] is True
    assert "Next review due: Friday 20 March 2026" in shown and "CIC-BF" in shown
    after = await row_counts(world.sessions)
    assert after["brought_forward_directions"] == before["brought_forward_directions"] + 1
    async with world.sessions() as session:
        direction = await session.scalar(select(BroughtForwardDirection).where(
            BroughtForwardDirection.child_pk == child.id,
            BroughtForwardDirection.review_by == date(2026, 3, 20)))  # fmt: skip
        assert direction is not None
        assert (direction.reason, direction.directed_on, direction.directed_by_id) == (
            "Planned placement move",
            TODAY,
            world.alex.id,
        )
        stored = await session.get(Child, child.id)
        assert stored is not None and stored.next_review_due == date(2026, 3, 20)


# -- a restart in the middle -----------------------------------------------------------------------


def _stored_classes(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if "py/object" in node:
            found.add(node["py/object"])
        for child in node.values():
            found |= _stored_classes(child)
    elif isinstance(node, list):
        for child in node:
            found |= _stored_classes(child)
    return found


async def test_a_restart_mid_dialog_resumes_at_the_same_question(world: World) -> None:
    child = world.unique_name_child()
    chat = Chat(world)
    await chat.start("raise_ir", child_pk=child.id)
    shown = await chat.say("1")
    assert "Describe the issue" in shown

    # What is stored is plain JSON: botbuilder's own state classes and nothing of ours.
    async with world.sessions() as session:
        rows = list(await session.scalars(select(BotStateRecord.data)))
    assert rows
    for data in rows:
        for name in _stored_classes(json.loads(data)):
            assert name.startswith("botbuilder."), name

    chat.restart()  # a new process: new DialogSet, ConversationState and caseload cache
    shown = await chat.say("Reports late again.")
    assert "At which stage?" in shown
    chat.restart()
    shown = await chat.press("Informal (line manager)")
    assert "Raise this IR?" in shown and "Reports late again." in shown
    chat.restart()
    await chat.press("Raise the IR")
    assert chat.result["saved"] is True
    async with world.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(IssueResolution)
            .where(IssueResolution.child_pk == child.id, IssueResolution.raised_on == TODAY)
        )
        assert count == 1


async def test_a_restart_mid_record_review_keeps_its_dates(world: World) -> None:
    child = world.unique_name_child(rule="CIC-3")
    chat = Chat(world)
    await chat.start("record_review", child_pk=child.id, **DETAILS)
    await chat.say("27/02/2026")
    async with world.sessions() as session:
        stored = " ".join(await session.scalars(select(BotStateRecord.data)))
    assert '"2026-02-27"' in stored  # dates are kept as ISO text
    chat.restart()
    shown = await chat.say("part 2")
    assert "Record this review?" in shown and "Part: Part 2 of a split review" in shown
    chat.restart()
    await chat.say("yes")
    assert chat.result["saved"] is True


# -- the pieces ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1, 4", [0, 3]),
        ("1 and 4", [0, 3]),
        ("4;1", [0, 3]),
        ("no advocate", [5]),
        ("other", [12]),
        ("late reports and no advocate", [0, 5]),
        ("statutory visits out of time, 2", [1, 7]),
    ],
)
def test_reasons_from_text(typed: str, expected: Sequence[int]) -> None:
    assert reasons_from_text(typed, RULES) == [RULES.reasons[i] for i in expected]


def test_reasons_from_text_whole_words_only() -> None:
    assert isinstance(reasons_from_text("her mother", RULES), Rejected)  # not "other"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("yes", "yes"), ("Yes please", "yes"), ("ok, save it", "yes"), ("no", "no"),
     ("no thanks", "no"), ("don't", "no"), ("please don't", "no"), ("maybe", None),
     ("", None)],
)  # fmt: skip
def test_yes_or_no(typed: str, expected: str | None) -> None:
    assert yes_or_no(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("full", "full"), ("part 1", "part1"), ("Part 2", "part2"), ("1", "part1"),
     ("pt 2", "part2"), ("second part", "part2"), ("whole", "full"), ("sideways", None)],
)  # fmt: skip
def test_part_from_text(typed: str, expected: str | None) -> None:
    part = part_from_text(typed)
    assert (part.value if part else None) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("informal", "informal"), ("stage 2", "2"), ("3", "3"), ("Stage 4", "4"),
     ("team manager", "1"), ("default", "informal"), ("stage 9", None), ("", None)],
)  # fmt: skip
def test_stage_key(typed: str, expected: str | None) -> None:
    assert stage_key(typed, RULES) == expected
