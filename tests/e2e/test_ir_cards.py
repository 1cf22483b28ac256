"""The IR on cards, end to end over HTTP: the wired bot, the seeded demo authority, the fake Bot
Connector. Card buttons are ``adaptiveCard/action`` invokes POSTed to ``/api/messages`` exactly
as Teams sends them; what the bot posts (new cards) and PUTs (cards edited in place) is read
back from the fake connector.

Notifications are delivered by ``deliver_pending`` below: a small stand-in for the dispatcher
that takes the same path (``adapter.continue_conversation`` on the stored reference) and calls
the same hooks around each send (``services.ir_cards.IrCardHooks``). The last test runs the real
``bot.workers.dispatcher.Dispatcher`` with those hooks, when it is there.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import pytest_asyncio
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import ConversationReference
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import ADAPTER_KEY
from bot.cli.demo_data import ADELE, ALEX, ISAIAH, MEGAN, PATTI, seed_demo
from bot.settings import Settings
from bot.wiring import build_bot
from cards import ir_notices
from cards.common import UNKNOWN_USER
from cards.elements import card_to_text
from cards.ir_card import ir_card
from domain.ports import StaffMember
from domain.rules import load_rules
from services.ir_cards import IrCardHooks
from services.irs import raise_issue
from services.unit_of_work import SqlUnitOfWork
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import (
    AuditEntry,
    Child,
    ConversationRef,
    IrCardMessage,
    IssueResolution,
    Notification,
    Staff,
)
from storage.repositories.staff import to_staff_member
from tests.e2e.conftest import BotClient, Posted, RunningApp, TeamsUser
from tests.e2e.fake_connector import FakeConnector, Recorded

TODAY = date(2026, 11, 26)  # a Thursday: Stage 1 answers by Thursday 3 December 2026
RULES = load_rules()
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def user(playground_user: Any, mri: str) -> TeamsUser:
    return TeamsUser(mri, playground_user.aad_object_id, playground_user.display_name)


ALEX_T = user(ALEX, "29:1alex-demo")
MEGAN_T = user(MEGAN, "29:1megan-demo")
ADELE_T = user(ADELE, "29:1adele-demo")
ISAIAH_T = user(ISAIAH, "29:1isaiah-demo")
PATTI_T = user(PATTI, "29:1patti-demo")
STRANGER = TeamsUser("29:1stranger", "11111111-2222-3333-4444-555555555555", "Someone Else")


# -- reading what the bot sent ---------------------------------------------------------------------


def card_of(recorded: Recorded) -> dict[str, Any] | None:
    for attachment in recorded.attachments:
        if attachment.get("contentType") == CARD_TYPE:
            return attachment["content"]
    return None


def verbs(card: dict[str, Any] | None) -> set[str]:
    """The Action.Execute verbs a card offers (inside show-cards too), refresh excluded."""
    found: set[str] = set()

    def walk(actions: list[dict[str, Any]]) -> None:
        for action in actions:
            if action["type"] == "Action.Execute":
                found.add(action["verb"])
            elif action["type"] == "Action.ShowCard":
                walk(action["card"].get("actions", []))

    walk((card or {}).get("actions", []))
    return found


def data_of(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The data the button with ``verb`` carries (what Teams sends back, before the inputs)."""
    for action in card.get("actions", []):
        inner = action["card"]["actions"] if action["type"] == "Action.ShowCard" else [action]
        for candidate in inner:
            if candidate.get("verb") == verb:
                return dict(candidate["data"])
    raise AssertionError(f"no {verb} button on the card")


def answered_card(posted: Posted) -> dict[str, Any]:
    """The card in an invoke answer, after checking the answer's exact shape."""
    assert posted.status == 200, (posted.status, posted.body)
    body = posted.body
    assert set(body) == {"statusCode", "type", "value"}, body
    assert body["statusCode"] == 200
    assert body["type"] == CARD_TYPE
    assert body["value"]["type"] == "AdaptiveCard"
    return body["value"]


# -- the demo, with everyone's chat --------------------------------------------------------------


@dataclass
class Sent:
    """One notification delivered by ``deliver_pending``."""

    staff_email: str
    kind: str
    conversation_id: str
    activity_id: str
    card: dict[str, Any] | None
    text: str | None


@dataclass
class World:
    engine: AsyncEngine
    app: RunningApp
    connector: FakeConnector
    clients: dict[str, BotClient]  # by e-mail

    def sessions(self) -> Any:
        return session_factory(self.engine)()

    async def scalar(self, query: Any) -> Any:
        async with self.sessions() as session:
            return await session.scalar(query)

    async def staff(self, email: str) -> StaffMember:
        async with self.sessions() as session:
            row = await session.scalar(select(Staff).where(Staff.email == email))
            assert row is not None
            return to_staff_member(row)

    async def ir_row(self, reference: str) -> IssueResolution:
        async with self.sessions() as session:
            row = await session.scalar(
                select(IssueResolution).where(IssueResolution.reference == reference)
            )
            assert row is not None
            return row

    async def audits(self, action: str, reference: str, outcome: str | None = None) -> list[Any]:
        query = select(AuditEntry).where(AuditEntry.action == action,
                                         AuditEntry.entity_id == reference)  # fmt: skip
        if outcome is not None:
            query = query.where(AuditEntry.outcome == outcome)
        async with self.sessions() as session:
            return list(await session.scalars(query.order_by(AuditEntry.id)))

    async def raise_at(self, stage: str) -> str:
        """Alex raises an IR about one of Megan's children (so Stage 1 goes to Adele)."""
        alex, megan = await self.staff(ALEX.email), await self.staff(MEGAN.email)
        async with self.sessions() as session, session.begin():
            child = await session.scalar(
                select(Child).where(Child.iro_id == alex.id, Child.social_worker_id == megan.id)
                .order_by(Child.id)
            )  # fmt: skip
            assert child is not None
            raised = await raise_issue(
                SqlUnitOfWork(session), RULES, alex, child.id, ["reports not available in time"],
                "The social work report was not shared before the review.", stage, TODAY,
                ir_notices,
            )  # fmt: skip
        return raised.reference

    async def press(self, who: TeamsUser, verb: str, data: dict[str, Any]) -> Posted:
        client = self.clients[who_email(who)]
        return await client.post(client.card_action(verb, data))

    def puts(self) -> list[Recorded]:
        return [c for c in self.connector.calls if c.operation == "update" and c.status == 200]

    async def wait_for_puts(self, count: int, timeout: float = 5.0) -> list[Recorded]:
        async with asyncio.timeout(timeout):
            while len(self.puts()) < count:
                await asyncio.sleep(0.02)
        return self.puts()

    def conversation_of(self, who: TeamsUser) -> str:
        return self.clients[who_email(who)].conversation_id

    def latest_put(self, sent: Sent) -> Recorded:
        found = [p for p in self.puts() if p.conversation_id == sent.conversation_id
                 and p.url_activity_id == sent.activity_id]  # fmt: skip
        assert found, "that card was never updated"
        return found[-1]


EMAILS = {t.aad_object_id: p.email for t, p in
          ((ALEX_T, ALEX), (MEGAN_T, MEGAN), (ADELE_T, ADELE), (ISAIAH_T, ISAIAH),
           (PATTI_T, PATTI))}  # fmt: skip


def who_email(who: TeamsUser) -> str:
    return EMAILS.get(who.aad_object_id, who.mri)


@pytest_asyncio.fixture
async def world(
    e2e_settings: Settings, start_app: Callable, teams: Callable[..., BotClient],
    connector: FakeConnector,
) -> AsyncIterator[World]:  # fmt: skip
    engine = create_engine(e2e_settings.database_url)
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=7)
    bot = build_bot(e2e_settings, engine, clock=lambda: TODAY)
    app = await start_app(bot, engine=engine)
    clients = {who_email(t): teams(app, user=t) for t in
               (ALEX_T, MEGAN_T, ADELE_T, ISAIAH_T, PATTI_T, STRANGER)}  # fmt: skip
    # Everyone has talked to the bot once, as they would have on installing it: the bot has
    # their 1:1 conversation reference and their Teams user id (MRI).
    for email, client in clients.items():
        if email != STRANGER.mri:
            await client.send("hello")
    yield World(engine, app, connector, clients)
    await engine.dispose()


async def deliver_pending(world: World) -> list[Sent]:
    """Deliver every pending notification through the adapter's proactive path, with the
    dispatcher's IR card hooks around each send. A stand-in for ``bot.workers.dispatcher``."""
    hooks = IrCardHooks(RULES, today=lambda: TODAY, render=ir_card)
    adapter = world.app.app[ADAPTER_KEY]
    async with world.sessions() as session:
        rows = list(await session.scalars(
            select(Notification).where(Notification.status == "pending").order_by(Notification.id)
        ))  # fmt: skip
        pending = [(r.id, r.recipient_staff_id, r.kind, dict(r.payload)) for r in rows]
    delivered: list[Sent] = []
    for notification_id, staff_id, kind, payload in pending:
        async with world.sessions() as session:
            stored = await session.scalar(
                select(ConversationRef.reference_json)
                .where(ConversationRef.staff_id == staff_id)
                .order_by(ConversationRef.updated_at.desc())
            )
            email = await session.scalar(select(Staff.email).where(Staff.id == staff_id))
            item = _Item(payload, staff_id)
            prepared = await hooks.prepare(session, item)
        assert stored is not None, "everyone in these tests has a 1:1 with the bot"
        reference = ConversationReference().deserialize(json.loads(stored))
        card = prepared.get("card")
        if card is not None:
            activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
            activity.summary = prepared.get("summary")
        else:
            activity = MessageFactory.text(prepared["text"])
        results: list[Any] = []

        async def send(turn: TurnContext, activity: Any = activity, out: list = results) -> None:
            out.append(await turn.send_activity(activity))

        await adapter.continue_conversation(reference, send, bot_app_id="")
        activity_id = results[0].id
        async with world.sessions() as session, session.begin():
            await hooks.on_sent(session, _Item(prepared, staff_id),
                                _Delivered(reference.conversation.id, activity_id,
                                           reference.service_url))  # fmt: skip
            await session.execute(update(Notification).where(Notification.id == notification_id)
                                  .values(status="sent"))  # fmt: skip
        delivered.append(Sent(email, kind, reference.conversation.id, activity_id, card,
                              prepared.get("text")))  # fmt: skip
    return delivered


@dataclass
class _Item:
    payload: dict[str, Any]
    recipient_staff_id: int | None


@dataclass
class _Delivered:
    conversation_id: str
    activity_id: str | None
    service_url: str


def only(sent: list[Sent], email: str, kind: str = "ir_card") -> Sent:
    found = [s for s in sent if s.staff_email == email and s.kind == kind]
    assert len(found) == 1, [(s.staff_email, s.kind) for s in sent]
    return found[0]


# -- the bar -------------------------------------------------------------------------------------


async def test_an_ir_from_stage_1_to_resolved_on_cards(world: World) -> None:
    reference = await world.raise_at("1")

    # Raised at Stage 1: the team manager's card, the IRO's copy, a word to the social worker.
    first = await deliver_pending(world)
    assert sorted((s.staff_email, s.kind) for s in first) == sorted([
        (ADELE.email, "ir_card"), (ALEX.email, "ir_card"), (MEGAN.email, "ir_notice")])  # fmt: skip
    adele_card = only(first, ADELE.email)
    alex_card = only(first, ALEX.email)
    assert adele_card.conversation_id == world.conversation_of(ADELE_T)
    assert verbs(adele_card.card) == {"ir.respond", "ir.decline"}
    assert verbs(alex_card.card) == set()  # nothing for the IRO to do until Stage 1 answers
    text = card_to_text(adele_card.card or {})
    assert f"Issues Resolution {reference}" in text
    assert "Waiting for Adele Vance (team manager) to respond by Thursday 3 December 2026." in text
    assert "Reasons: reports not available in time" in text
    assert "The social work report was not shared before the review." in text
    refresh = (adele_card.card or {})["refresh"]
    assert refresh["action"]["verb"] == "refresh"
    assert ADELE_T.mri in refresh["userIds"] and ALEX_T.mri in refresh["userIds"]
    assert all(mri.startswith("29:") for mri in refresh["userIds"])
    social_worker = only(first, MEGAN.email, "ir_notice")
    assert social_worker.text is not None
    assert "Adele Vance (team manager) must respond by Thursday 3 December 2026" in \
        social_worker.text  # fmt: skip
    registered = await world.scalar(select(func.count()).select_from(IrCardMessage))
    assert registered == 2

    # Refresh: Teams asks for each actor's own view.
    adele_view = answered_card(await world.press(ADELE_T, "refresh", data_of(
        adele_card.card or {}, "ir.respond")))  # fmt: skip
    assert verbs(adele_view) == {"ir.respond", "ir.decline"}
    megan_view = answered_card(await world.press(MEGAN_T, "refresh", data_of(
        adele_card.card or {}, "ir.respond")))  # fmt: skip
    assert verbs(megan_view) == set()

    # Another user pressing the manager's button: refused, audited, nothing changed.
    respond = {**data_of(adele_card.card or {}, "ir.respond"),
               "response": "Reports will be shared five working days ahead from now on.",
               "target_date": "2026-12-10"}  # fmt: skip
    refused = answered_card(await world.press(ISAIAH_T, "ir.respond", respond))
    assert "Only the team manager answering Stage 1 of this IR, or their delegate" in \
        card_to_text(refused)  # fmt: skip
    assert verbs(refused) == set()
    isaiah = await world.staff(ISAIAH.email)
    [audit] = await world.audits("ir.respond", reference, "refused")
    assert audit.actor_staff_id == isaiah.id and audit.detail["reason"] == "not_authorised"
    assert (await world.ir_row(reference)).version == 1
    stranger = answered_card(await world.press(STRANGER, "ir.respond", respond))
    assert card_to_text(stranger) == UNKNOWN_USER

    # The manager agrees, with a double click: two invokes at once, one change.
    first_click, second_click = await asyncio.gather(
        world.press(ADELE_T, "ir.respond", respond), world.press(ADELE_T, "ir.respond", respond)
    )
    answers = sorted(card_to_text(answered_card(p)).splitlines()[0]
                     for p in (first_click, second_click))  # fmt: skip
    assert answers == [
        "Already answered by Adele Vance on 26 November 2026. Nothing was changed: the card "
        "now shows the latest.",
        "Your response is recorded. Alex Wilber has been told.",
    ]
    row = await world.ir_row(reference)
    assert (row.status, row.version) == ("responded", 2)
    assert len(await world.audits("ir.respond", reference, "ok")) == 1

    # The IRO's card updates in place (and Adele's own copy), now with the IRO's buttons.
    await world.wait_for_puts(2)
    alex_updated = card_of(world.latest_put(alex_card))
    assert verbs(alex_updated) == {"ir.resolve", "ir.escalate", "ir.refer"}
    updated_text = card_to_text(alex_updated or {})
    assert "Stage 1: Adele Vance agreed and responded on Thursday 26 November 2026." in \
        updated_text  # fmt: skip
    assert "Reports will be shared five working days ahead from now on." in updated_text
    assert "Target date: Thursday 10 December 2026" in updated_text
    assert verbs(card_of(world.latest_put(adele_card))) == set()

    # ... and the IRO is sent the card with the response.
    second = await deliver_pending(world)
    assert [(s.staff_email, s.kind) for s in second] == [(ALEX.email, "ir_card")]
    alex_response_card = second[0]

    # The IRO escalates straight to Stage 3 (IR-BYPASS): the service director's card.
    escalate = {**data_of(alex_response_card.card or {}, "ir.escalate"), "to_stage": "3",
                "escalate_reason": "Reports have been late at three reviews running."}  # fmt: skip
    escalated = answered_card(await world.press(ALEX_T, "ir.escalate", escalate))
    assert (
        card_to_text(escalated)
        .splitlines()[0]
        .startswith("Escalated to Stage 3. Patti Fernandez (service director) has been sent the IR")
    )
    third = await deliver_pending(world)
    assert sorted((s.staff_email, s.kind) for s in third) == sorted([
        (PATTI.email, "ir_card"), (MEGAN.email, "ir_notice")])  # fmt: skip
    patti_card = only(third, PATTI.email)
    assert verbs(patti_card.card) == {"ir.respond", "ir.decline"}
    assert "Escalated because: Reports have been late at three reviews running." in \
        card_to_text(patti_card.card or {})  # fmt: skip
    # Every earlier copy now shows Stage 3, waiting for Patti, with no buttons for Adele.
    puts_before = len(world.puts())
    assert puts_before >= 5
    for sent in (adele_card, alex_card, alex_response_card):
        shown_now = card_of(world.latest_put(sent))
        assert "Waiting for Patti Fernandez (service director)" in card_to_text(shown_now or {})
    assert verbs(card_of(world.latest_put(adele_card))) == set()

    # Adele's old button, pressed after the IR moved on: explained, nothing changed.
    late = answered_card(await world.press(ADELE_T, "ir.respond", respond))
    assert card_to_text(late).splitlines()[0] == (
        "It was escalated to Stage 3 on 26 November 2026, where it is waiting for Patti "
        "Fernandez. Nothing was changed: the card now shows the latest.")  # fmt: skip
    assert (await world.ir_row(reference)).version == 3

    # The service director agrees; the IRO resolves.
    patti_respond = {**data_of(patti_card.card or {}, "ir.respond"),
                     "response": "A reports tracker is in place across the service."}  # fmt: skip
    answered_card(await world.press(PATTI_T, "ir.respond", patti_respond))
    fourth = await deliver_pending(world)
    assert [(s.staff_email, s.kind) for s in fourth] == [(ALEX.email, "ir_card")]
    resolve = {**data_of(fourth[0].card or {}, "ir.resolve"),
               "outcome": "Reports tracked service-wide; shared on time since."}  # fmt: skip
    resolved = answered_card(await world.press(ALEX_T, "ir.resolve", resolve))
    assert verbs(resolved) == set() and "refresh" not in resolved
    row = await world.ir_row(reference)
    assert (row.status, row.resolved_at_stage, row.version) == ("resolved", "3", 5)

    # Every card shows resolved: each copy's latest version, with no buttons and no refresh.
    async with world.sessions() as session:
        copies = list(await session.scalars(select(IrCardMessage)))
    assert len(copies) == 5  # Adele, Alex (raised), Alex (response), Patti, Alex (Stage 3 answer)
    assert all(c.rendered_version == 5 for c in copies)
    for copy in copies:
        latest = [p for p in world.puts() if p.url_activity_id == copy.activity_id][-1]
        card = card_of(latest) or {}
        assert "Resolved on Thursday 26 November 2026 at Stage 3." in card_to_text(card)
        assert verbs(card) == set() and "refresh" not in card
    # ... and those who had a card and did not resolve it are told.
    told = await deliver_pending(world)
    assert sorted((s.staff_email, s.kind) for s in told) == sorted([
        (ADELE.email, "ir_notice"), (PATTI.email, "ir_notice")])  # fmt: skip


async def test_a_replay_after_the_stage_answered_changes_nothing_and_says_why(
    world: World,
) -> None:
    reference = await world.raise_at("1")
    sent = await deliver_pending(world)
    card = only(sent, ADELE.email).card or {}
    decline = {**data_of(card, "ir.decline"), "decline_reason": "This is for the court."}
    declined = answered_card(await world.press(ADELE_T, "ir.decline", decline))
    assert card_to_text(declined).startswith("Your decision to decline is recorded.")
    replay = answered_card(await world.press(ADELE_T, "ir.respond", {
        **data_of(card, "ir.respond"), "response": "Actually, yes."}))  # fmt: skip
    assert (
        card_to_text(replay)
        .splitlines()[0]
        .startswith("Already declined by Adele Vance on 26 November 2026. Nothing was changed")
    )
    row = await world.ir_row(reference)
    assert (row.status, row.version) == ("responded", 2)
    [stale] = await world.audits("ir.respond", reference, "refused")
    assert stale.detail == {"reason": "stale", "version": 1, "current": 2}


async def test_a_forged_version_or_missing_input_is_refused_without_a_500(world: World) -> None:
    reference = await world.raise_at("1")
    sent = await deliver_pending(world)
    data = data_of(only(sent, ADELE.email).card or {}, "ir.respond")
    forged = answered_card(await world.press(ADELE_T, "ir.respond",
                                             {**data, "version": 7, "response": "x"}))  # fmt: skip
    assert "Nothing was changed" in card_to_text(forged)
    empty = answered_card(await world.press(ADELE_T, "ir.respond", {**data, "response": " "}))
    assert card_to_text(empty).startswith("Please give the response")
    nonsense = answered_card(await world.press(ADELE_T, "ir.respond", {"ir": "IR-1999-0001",
                                                                       "version": 1}))  # fmt: skip
    assert "can't find that Issues Resolution" in card_to_text(nonsense)
    no_verb = await world.clients[ADELE.email].post(
        world.clients[ADELE.email].invoke("adaptiveCard/action", {"action": {"type": "x"}})
    )
    assert "didn't come through" in card_to_text(answered_card(no_verb))
    assert (await world.ir_row(reference)).version == 1


async def test_the_iro_cannot_answer_and_the_manager_cannot_resolve(world: World) -> None:
    reference = await world.raise_at("1")
    sent = await deliver_pending(world)
    data = data_of(only(sent, ADELE.email).card or {}, "ir.respond")
    iro = answered_card(await world.press(ALEX_T, "ir.decline", {**data, "decline_reason": "x"}))
    assert "Only the team manager answering Stage 1" in card_to_text(iro)
    manager = answered_card(await world.press(ADELE_T, "ir.resolve", {**data, "outcome": "x"}))
    assert "Only the IRO who raised this IR, or a QA manager" in card_to_text(manager)
    assert verbs(manager) == {"ir.respond", "ir.decline"}  # her own buttons stay
    assert len(await world.audits("ir.decline", reference, "refused")) == 1
    assert len(await world.audits("ir.resolve", reference, "refused")) == 1
    assert (await world.ir_row(reference)).version == 1


async def test_refresh_user_ids_are_only_teams_mris(world: World) -> None:
    # A QA manager whose stored Teams id is an AAD object id (say, from an old import): it
    # must not reach refresh.userIds, where Teams would silently ignore it.
    async with world.sessions() as session, session.begin():
        aad_like = "00000000-0000-0000-0000-0000000000ff"
        await session.execute(
            update(Staff).where(Staff.role == "qa_manager").values(teams_user_id=aad_like)
        )
    await world.raise_at("1")
    sent = await deliver_pending(world)
    user_ids = (only(sent, ADELE.email).card or {})["refresh"]["userIds"]
    assert user_ids == [ADELE_T.mri, ALEX_T.mri]


async def test_logs_hold_no_names_or_free_text(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    with caplog.at_level(logging.DEBUG):
        await world.raise_at("1")
        sent = await deliver_pending(world)
        data = data_of(only(sent, ADELE.email).card or {}, "ir.respond")
        await world.press(ADELE_T, "ir.respond", {**data, "response": "Secret plan text."})
    assert caplog.records
    assert "Secret plan text" not in caplog.text
    assert "Adele" not in caplog.text


async def test_with_the_real_dispatcher(world: World) -> None:
    dispatcher_module = pytest.importorskip("bot.workers.dispatcher")
    hooks = IrCardHooks(RULES, today=lambda: TODAY, render=ir_card)
    dispatcher = dispatcher_module.Dispatcher(
        world.app.app[ADAPTER_KEY], session_factory(world.engine),
        hooks=dispatcher_module.DispatchHooks(prepare=hooks.prepare, on_sent=hooks.on_sent),
    )  # fmt: skip
    reference = await world.raise_at("1")
    await dispatcher.run_until_idle(timeout=20)
    async with world.sessions() as session:
        copies = list(await session.scalars(select(IrCardMessage)))
    assert len(copies) == 2
    posted = {c.conversation_id: c for c in world.connector.calls
              if c.operation in ("send", "reply") and card_of(c)}  # fmt: skip
    adele = card_of(posted[world.conversation_of(ADELE_T)]) or {}
    assert verbs(adele) == {"ir.respond", "ir.decline"}
    respond = {**data_of(adele, "ir.respond"), "response": "Agreed."}
    answered_card(await world.press(ADELE_T, "ir.respond", respond))
    await world.wait_for_puts(2)
    alex_put = [p for p in world.puts() if p.conversation_id == world.conversation_of(ALEX_T)]
    assert verbs(card_of(alex_put[-1])) == {"ir.resolve", "ir.escalate", "ir.refer"}
    assert (await world.ir_row(reference)).version == 2
