"""IR actions by text, end to end over HTTP (issue 17, item 8): respond, decline, escalate (to a
named stage), resolve and refer to Cafcass, typed in chat, through the same use case and rules
as the IR card's buttons (``services.ir_actions.act_on_ir``), asked for what is missing, shown a
summary and written only after a clear yes. After a change every sent copy of the IR's card is
edited in place, as after a button press (the fake connector records the PUTs).

The world is ``test_ir_cards``'s: the demo authority, everyone's 1:1 chat, Alex Wilber's IR about
one of Megan Bowen's children at Stage 1, answered by Adele Vance (team manager); Stage 2 is
Isaiah Langer's (service manager).
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.cli.demo_data import ADELE, ALEX, ISAIAH, MEGAN
from cards import ir_notices
from cards.elements import card_to_text
from services.irs import raise_issue
from services.unit_of_work import SqlUnitOfWork
from storage.models import Child, IrCardMessage, IssueResolution, Notification, Staff
from tests.e2e import test_ir_cards as on_cards
from tests.e2e.fake_connector import Recorded
from tests.e2e.test_ir_cards import (
    ADELE_T,
    ALEX_T,
    ISAIAH_T,
    MEGAN_T,
    RULES,
    TODAY,
    World,
    answered_card,
    card_of,
    deliver_pending,
    verbs,
)

world = on_cards.world  # the fixture: the demo authority, everyone's chat, the fake connector


def said(replies: list[Recorded]) -> str:
    """What the user sees: each card's text rendering, or the plain text."""
    return "\n".join(card_to_text(c) if (c := card_of(r)) else (r.text or "") for r in replies)


async def say(world: World, who: object, text: str, replies: int = 1) -> str:
    client = world.clients[{ALEX_T: ALEX.email, ADELE_T: ADELE.email, MEGAN_T: MEGAN.email,
                            ISAIAH_T: ISAIAH.email}[who]]  # type: ignore[index]  # fmt: skip
    return said(await client.send(text, replies=replies))


async def copies(world: World, reference: str) -> list[IrCardMessage]:
    async with world.sessions() as session:
        ir_id = await session.scalar(
            select(IssueResolution.id).where(IssueResolution.reference == reference)
        )
        return list(await session.scalars(select(IrCardMessage).where(
            IrCardMessage.ir_id == ir_id).order_by(IrCardMessage.id)))  # fmt: skip


async def pending_for(world: World, reference: str) -> list[tuple[str, str]]:
    """(recipient e-mail, kind) of the notifications not yet sent about the IR."""
    async with world.sessions() as session:
        rows = await session.execute(
            select(Staff.email, Notification.kind)
            .join(Staff, Staff.id == Notification.recipient_staff_id)
            .where(Notification.status == "pending")
            .where(Notification.payload["ir_reference"].as_string() == reference)
        )
        return sorted((email, kind) for email, kind in rows)


async def raised_and_delivered(world: World) -> str:
    """Alex's IR at Stage 1, its cards delivered (Adele's and Alex's copies recorded)."""
    reference = await world.raise_at("1")
    await deliver_pending(world)
    assert [c.rendered_version for c in await copies(world, reference)] == [1, 1]
    return reference


async def test_the_stage_owner_responds_by_text_and_every_copy_updates(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reference = await raised_and_delivered(world)
    summary = await say(world, ADELE_T, f"respond to {reference}: reports will be shared five "
                        "working days before every review")  # fmt: skip
    assert f"Send this response to {reference}?" in summary
    assert "reports will be shared five working days before every review" in summary
    assert "Alex Wilber (the IRO) will be sent the IR's card with your answer." in summary
    assert (await world.ir_row(reference)).version == 1  # nothing before the yes

    done = await say(world, ADELE_T, "yes")
    assert done.startswith("Your response is recorded. Alex Wilber has been told.")
    assert f"Issues Resolution {reference}" in done
    row = await world.ir_row(reference)
    assert (row.status, row.version) == ("responded", 2)
    assert len(await world.audits("ir.respond", reference, "ok")) == 1
    # Both sent copies (Adele's and Alex's) were edited in place to the new version.
    await world.wait_for_puts(2)
    assert [c.rendered_version for c in await copies(world, reference)] == [2, 2]
    alex_copy = [p for p in world.puts() if p.conversation_id == world.conversation_of(ALEX_T)]
    assert verbs(card_of(alex_copy[-1])) == {"ir.resolve", "ir.escalate", "ir.refer"}
    assert "reports will be shared five working days" in card_to_text(card_of(alex_copy[-1]) or {})
    # The IRO is sent the card with the response; the manager is not told of her own action.
    assert await pending_for(world, reference) == [(ALEX.email, "ir_card")]
    # Logged: intents and outcomes, never the words or a name.
    assert "Dialog ir_action finished (saved=True)" in caplog.text
    assert "five working days" not in caplog.text and "Adele" not in caplog.text


async def test_the_iro_escalates_it_after_a_status_question_to_a_named_stage(
    world: World,
) -> None:
    reference = await raised_and_delivered(world)
    status = await say(world, ALEX_T, f"status of {reference}")
    assert reference in status
    summary = await say(world, ALEX_T, "escalate it to stage 2 because reports are still late")
    assert f"Escalate {reference}?" in summary
    assert "Escalate to: Stage 2 (service manager)" in summary
    assert "Goes to: Isaiah Langer" in summary
    assert "Response due: Thursday 3 December 2026" in summary
    assert "Formal IR to be resolved by: Thursday 24 December 2026" in summary
    assert "reports are still late" in summary

    done = await say(world, ALEX_T, "yes please")
    assert done.startswith("Escalated to Stage 2. Isaiah Langer (service manager) has been sent "
                           "the IR and must respond by Thursday 3 December 2026.")  # fmt: skip
    row = await world.ir_row(reference)
    assert (row.current_stage, row.version) == ("2", 2)
    await world.wait_for_puts(2)
    assert [c.rendered_version for c in await copies(world, reference)] == [2, 2]
    # Isaiah gets the card and Megan (the social worker) a word; Alex is not told of his own.
    assert await pending_for(world, reference) == [(ISAIAH.email, "ir_card"),
                                                   (MEGAN.email, "ir_notice")]  # fmt: skip


async def test_escalating_offers_only_the_stages_above_the_current_one(world: World) -> None:
    reference = await world.raise_at("2")
    asked = await say(world, ALEX_T, f"escalate {reference} to stage 1")
    assert "It is at Stage 2, so it can only go to a higher stage, not Stage 1." in asked
    # The question that follows offers Stage 3 and Stage 4 only.
    client = world.clients[ALEX.email]
    question = client.connector.activities_in(client.conversation_id)[-1]
    card = card_of(question) or {}
    assert [a["data"]["stage"] for a in card["actions"]] == ["3", "4"]
    reason = await say(world, ALEX_T, "stage 3")
    assert f"Why are you escalating {reference} to Stage 3?" in reason
    summary = await say(world, ALEX_T, "The service manager has not answered in ten days.")
    assert "Escalate to: Stage 3 (service director)" in summary
    assert "Goes to: Patti Fernandez" in summary
    # "Another stage" at the summary asks the stage again and keeps the reason.
    again = await say(world, ALEX_T, "choose another stage")
    assert f"Escalate {reference} to which stage?" in again
    summary = await say(world, ALEX_T, "stage 4")
    assert "Escalate to: Stage 4 (director of children & family services)" in summary
    assert "Goes to: Lynne Robbins" in summary
    assert "The service manager has not answered in ten days." in summary
    assert await say(world, ALEX_T, "no") == "OK, I haven't saved anything."
    assert (await world.ir_row(reference)).version == 1


async def test_decline_without_a_reason_is_asked_for_one(world: World) -> None:
    reference = await raised_and_delivered(world)
    asked = await say(world, ADELE_T, f"decline {reference}")
    assert f"Why are you declining {reference}? Alex Wilber will see your reason." in asked
    again = await say(world, ADELE_T, "skip")
    assert "Please write the reason for declining in a sentence or two." in again
    summary = await say(world, ADELE_T, "This is a matter for the court.")
    assert f"Decline {reference}?" in summary and "This is a matter for the court." in summary
    done = await say(world, ADELE_T, "yes")
    assert done.startswith("Your decision to decline is recorded. Alex Wilber has been told.")
    row = await world.ir_row(reference)
    assert (row.status, row.version) == ("responded", 2)


async def test_resolve(world: World) -> None:
    reference = await raised_and_delivered(world)
    asked = await say(world, ALEX_T, f"resolve {reference}")
    assert "What was the outcome: how was" in asked
    summary = await say(world, ALEX_T, "Reports now reach the IRO on time.")
    assert f"Resolve {reference}?" in summary
    assert "The IR will be closed, and everyone who had its card told." in summary
    done = await say(world, ALEX_T, "yes")
    assert done.startswith(f"{reference} is resolved. Everyone who had its card now sees it "
                           "resolved.")  # fmt: skip
    row = await world.ir_row(reference)
    assert (row.status, row.resolved_at_stage, row.version) == ("resolved", "1", 2)
    await world.wait_for_puts(2)
    assert [c.rendered_version for c in await copies(world, reference)] == [2, 2]
    assert await pending_for(world, reference) == [(ADELE.email, "ir_notice")]


async def test_refer_to_cafcass_needs_nothing_more(world: World) -> None:
    reference = await raised_and_delivered(world)
    summary = await say(world, ALEX_T, f"refer {reference} to Cafcass")
    assert f"Refer {reference} to Cafcass?" in summary
    assert "The IR stays open until it is resolved." in summary
    done = await say(world, ALEX_T, "yes")
    assert done.startswith("The referral to Cafcass on 26 November 2026 is recorded.")
    row = await world.ir_row(reference)
    assert (row.status, row.version) == ("open_awaiting_response", 2)
    assert row.cafcass_referred_on is not None
    again = await say(world, ALEX_T, f"refer {reference} to Cafcass")
    assert "already referred to Cafcass on 26 November 2026" in again  # refused before asking


async def test_those_who_may_not_are_told_who_can_and_nothing_is_saved(world: World) -> None:
    reference = await raised_and_delivered(world)
    # A social worker's role never escalates: refused before the IR is looked up.
    social_worker = await say(world, MEGAN_T, f"escalate {reference} to stage 2 please")
    assert social_worker == ("Only the IRO who raised an IR, or a QA manager, can escalate it. "
                             "Nothing was changed.")  # fmt: skip
    # A manager who is not this stage's owner may not respond to it.
    manager = await say(world, ISAIAH_T, f"respond to {reference}: we will sort it")
    assert manager == (f"Only the team manager answering Stage 1 of {reference}, or their "
                       "delegate, can respond to it, so nothing was changed.")  # fmt: skip
    # The IRO may not answer the stage; a manager's role never resolves.
    iro = await say(world, ALEX_T, f"decline {reference} because it is mine")
    assert iro == (f"Only the team manager answering Stage 1 of {reference}, or their delegate, "
                   "can decline it, so nothing was changed.")  # fmt: skip
    owner = await say(world, ADELE_T, f"resolve {reference}: sorted")
    assert owner == ("Only the IRO who raised an IR, or a QA manager, can resolve it. Nothing "
                     "was changed.")  # fmt: skip
    # An IR that does not exist and one this person may not see get the same answer.
    missing = await say(world, ISAIAH_T, "respond to IR-2026-9999: fine")
    assert missing == "I can't find IR-2026-9999 among the IRs you can see, so nothing was changed."
    row = await world.ir_row(reference)
    assert (row.status, row.version) == ("open_awaiting_response", 1)


async def test_an_ir_that_moved_after_the_summary_is_not_overwritten(world: World) -> None:
    reference = await raised_and_delivered(world)
    summary = await say(world, ALEX_T, f"resolve {reference}: reports are now on time")
    assert f"Resolve {reference}?" in summary
    # Meanwhile Adele declines on her card (the button carries the version it was sent at).
    press = {"ir": reference, "version": 1, "decline_reason": "Not for this service."}
    answered_card(await world.press(ADELE_T, "ir.decline", press))
    assert (await world.ir_row(reference)).version == 2

    done = await say(world, ALEX_T, "yes")
    assert done.startswith("Already declined by Adele Vance on 26 November 2026. Nothing was "
                           "changed")  # fmt: skip
    row = await world.ir_row(reference)
    assert (row.status, row.version) == ("responded", 2)  # declined, not resolved
    [stale] = await world.audits("ir.resolve", reference, "refused")
    assert stale.detail == {"reason": "stale", "version": 1, "current": 2}


async def test_nothing_is_written_on_no(world: World) -> None:
    reference = await raised_and_delivered(world)
    before = await world.scalar(select(func.count()).select_from(Notification))
    summary = await say(world, ALEX_T, f"resolve {reference}: the plan was updated")
    assert f"Resolve {reference}?" in summary
    declined = await say(world, ALEX_T, "no")
    assert declined == "OK, I haven't saved anything."
    row = await world.ir_row(reference)
    assert (row.status, row.version) == ("open_awaiting_response", 1)
    assert await world.scalar(select(func.count()).select_from(Notification)) == before
    assert await world.audits("ir.resolve", reference) == []
    assert world.puts() == []


async def test_without_a_reference_the_choice_is_the_persons_own_irs(world: World) -> None:
    reference = await raised_and_delivered(world)
    asked = await say(world, ALEX_T, "escalate an IR")
    assert "Which IR do you want to escalate?" in asked
    client = world.clients[ALEX.email]
    question = card_of(client.connector.activities_in(client.conversation_id)[-1]) or {}
    offered = [a["data"]["ir"] for a in question.get("actions", [])]
    assert reference in offered
    async with world.sessions() as session:  # only IRs Alex raised, still open
        raised = set(await session.scalars(select(IssueResolution.reference).where(
            IssueResolution.raised_by_id == (await world.staff(ALEX.email)).id,
            IssueResolution.status != "resolved")))  # fmt: skip
    assert set(offered) <= raised
    pressed = next(a for a in question["actions"] if a["data"]["ir"] == reference)
    reply = said(await client.send_activity(client.message("", value=pressed["data"])))
    assert f"Escalate {reference} to which stage?" in reply


@pytest.mark.parametrize("how", ["button", "typed"])
async def test_raising_for_a_child_with_one_open_offers_to_escalate_it(world: World,
                                                                       how: str) -> None:
    alex, megan = await world.staff(ALEX.email), await world.staff(MEGAN.email)
    async with world.sessions() as session, session.begin():
        open_about = select(IssueResolution.child_pk).where(IssueResolution.status != "resolved")
        child = await session.scalar(
            select(Child).where(Child.iro_id == alex.id, Child.social_worker_id == megan.id,
                                Child.id.not_in(open_about.scalar_subquery()))
            .order_by(Child.id)
        )  # fmt: skip
        assert child is not None, "the demo has a child of Alex and Megan with no IR open"
        raised = await raise_issue(
            SqlUnitOfWork(session), RULES, alex, child.id, ["no advocate"], "", "1", TODAY,
            ir_notices,
        )  # fmt: skip
    reference = raised.reference
    await deliver_pending(world)
    client = world.clients[ALEX.email]
    replies = await client.send(f"raise an IR for {child.child_id}", replies=2)
    assert f"Issues Resolution {reference}" in said(replies[:1])  # its card, with his buttons
    question = said(replies[1:])
    assert "Raise another IR about a different issue, or escalate it instead?" in question
    ask = card_of(replies[-1]) or {}
    escalate = next(a for a in ask["actions"] if a["data"].get("confirm") == "escalate")
    stage = said(await client.send_activity(client.message("", value=escalate["data"]))) \
        if how == "button" else await say(world, ALEX_T, "escalate it")  # fmt: skip
    assert f"Escalate {reference} to which stage?" in stage
    # Typed, the answer can be the request itself: the escalation, begun inside the raise
    # dialog, is what is open, so it is not offered as another request.
    reason = await say(world, ALEX_T, "stage 2" if how == "button" else "escalate it to stage 2")
    assert f"Why are you escalating {reference} to Stage 2?" in reason
    summary = await say(world, ALEX_T, "No response and reports still late.")
    assert "Goes to: Isaiah Langer" in summary
    done = await say(world, ALEX_T, "yes")
    assert done.startswith("Escalated to Stage 2.")
    row = await world.ir_row(reference)
    assert (row.current_stage, row.version) == ("2", 2)
    assert await world.scalar(select(func.count()).select_from(IssueResolution).where(
        IssueResolution.child_pk == child.id)) == 1  # nothing else raised  # fmt: skip
    await world.wait_for_puts(2)
    assert [c.rendered_version for c in await copies(world, reference)] == [2, 2]
