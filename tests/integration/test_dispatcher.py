"""The outbox dispatcher against the fake Bot Connector over real HTTP, on SQLite and PostgreSQL.

Each test writes staff, conversation references and notifications into a fresh store, runs a
``Dispatcher`` (``bot/workers/dispatcher.py``) in this process until nothing is due, and reads what
arrived at the connector (``tests/e2e/fake_connector.py``) and what the store says. Faults are
injected at the connector: 429 with Retry-After, 500, 403 ``BotNotInConversationRoster``, slow
answers. The clock is a fake one the tests move, so retries are checked without waiting.

Proactive sends through ``continue_conversation`` reach the connector as replies (botbuilder
addresses them to the continuation activity), so faults are injected on ``reply``.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapter import IroCloudAdapter, create_adapter
from bot.settings import Settings
from bot.workers.dispatcher import (
    CHANNEL_DATA_KEY,
    Delivered,
    Dispatcher,
    DispatchHooks,
    DispatchPolicy,
    report_text,
)
from storage import dispatch_queue as queue
from storage.conversations import remember_conversation
from storage.dispatch_queue import DELIVERY_REPORT_KIND, REPORT_TO, ClaimedNotification
from storage.models import AuditEntry, ConversationRef, Notification, Staff
from storage.outbox import enqueue
from tests.e2e.fake_connector import FakeConnector, Recorded

TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
BOT = {"id": "28:00000000-0000-0000-0000-0000000000b0", "name": "iro-bot"}
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

FAST = DispatchPolicy(
    batch_size=10,
    concurrency=4,
    lease_seconds=60,
    send_timeout=5,
    poll_interval=0.02,
    max_attempts=3,
    retry_base=2.0,
    retry_cap=60.0,
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Person:
    id: int
    mri: str
    aad: str
    name: str
    conversation_id: str | None = None


@pytest_asyncio.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest_asyncio.fixture
async def adapter() -> AsyncIterator[IroCloudAdapter]:
    settings = Settings(_env_file=None, app_id="", app_password="", database_url="sqlite://")
    made = create_adapter(settings)
    yield made
    await made.close()


def reference_for(person: Person, connector: FakeConnector, conversation_id: str) -> dict:
    """A serialised ConversationReference as the handler stores it from a Teams 1:1 turn."""
    return {
        "activityId": "1700000000001",
        "user": {"id": person.mri, "aadObjectId": person.aad, "name": person.name},
        "bot": BOT,
        "conversation": {
            "id": conversation_id,
            "conversationType": "personal",
            "tenantId": TENANT_ID,
        },
        "channelId": "msteams",
        "locale": "en-GB",
        "serviceUrl": connector.url + "/",
    }


async def add_person(
    sessions: async_sessionmaker[AsyncSession],
    connector: FakeConnector,
    number: int,
    name: str,
    *,
    role: str = "social_worker",
    teams_id: bool = True,
    reference: bool = True,
    active: bool = True,
) -> Person:
    mri = f"29:1fake-mri-{number:04d}"
    aad = f"00000000-0000-0000-0000-{number:012d}"
    async with sessions() as session, session.begin():
        staff = Staff(
            email=f"person{number}@example.org",
            display_name=name,
            role=role,
            aad_object_id=aad,
            teams_user_id=mri if teams_id else None,
            active=active,
        )
        session.add(staff)
        await session.flush()
        person = Person(staff.id, mri, aad, name)
        if reference:
            person.conversation_id = f"a:1personal-{number:04d}"
            await remember_conversation(
                session, staff.id, reference_for(person, connector, person.conversation_id), None
            )
    return person


async def notify(
    sessions: async_sessionmaker[AsyncSession],
    recipient: Person,
    key: str,
    *,
    report_to: Person | None = None,
    text: str = "Stage 1 response due on Thursday 3 December 2026 (IR-2026-0042).",
    due_at: datetime = START,
    **payload: Any,
) -> bool:
    body: dict[str, Any] = {"text": text, **payload}
    if report_to is not None:
        body[REPORT_TO] = report_to.id
    async with sessions() as session, session.begin():
        return await enqueue(
            session, key=key, recipient_staff_id=recipient.id, kind="ir_notice",
            payload=body, due_at=due_at,
        )  # fmt: skip


def dispatcher(
    adapter: IroCloudAdapter,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock | None = None,
    policy: DispatchPolicy = FAST,
    **kwargs: Any,
) -> Dispatcher:
    return Dispatcher(adapter, sessions, app_id="", policy=policy, clock=clock or Clock(), **kwargs)


async def rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Notification]:
    async with sessions() as session:
        found = (await session.scalars(select(Notification).order_by(Notification.id))).all()
    return {n.idempotency_key: n for n in found}


def key_of(call: Recorded) -> str | None:
    data = call.body.get("channelData") if isinstance(call.body, dict) else None
    return ((data or {}).get(CHANNEL_DATA_KEY) or {}).get("key")


def delivered_keys(connector: FakeConnector) -> Counter[str | None]:
    return Counter(key_of(call) for call in connector.activities)


# -- delivery paths -------------------------------------------------------------------------------


async def test_delivers_through_the_stored_reference(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    assert await notify(sessions, megan, "IR-2026-0042:notice")

    stats = await dispatcher(adapter, sessions).run_until_idle()

    [call] = connector.activities
    assert call.conversation_id == megan.conversation_id
    assert call.text.startswith("Stage 1 response due")
    assert call.body["channelData"]["notification"] == {"alert": True}
    assert key_of(call) == "IR-2026-0042:notice"
    assert connector.created_conversations == []
    row = (await rows(sessions))["IR-2026-0042:notice"]
    assert (row.status, row.attempts, row.claimed_until) == ("sent", 1, None)
    assert queue.aware(row.sent_at) == START
    assert stats.sent == 1 and stats.claimed == 1


async def test_sends_a_card_with_its_summary(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock",
            "text": "IR-2026-0042"}]}  # fmt: skip
    async with sessions() as session, session.begin():
        await enqueue(session, key="card-1", recipient_staff_id=megan.id, kind="ir_card",
                      payload={"card": card, "summary": "IR-2026-0042: response due"},
                      due_at=START)  # fmt: skip

    await dispatcher(adapter, sessions).run_until_idle()

    [call] = connector.activities
    assert call.attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert call.attachments[0]["content"] == card
    assert call.body["summary"] == "IR-2026-0042: response due"


async def test_opens_a_1to1_with_the_teams_user_id_and_keeps_the_reference(
    sessions, connector, adapter
):
    iro = await add_person(sessions, connector, 20, "Alex Wilber", role="iro")  # a reference
    adele = await add_person(sessions, connector, 22, "Adele Vance", reference=False)
    await notify(sessions, adele, "n-1")

    await dispatcher(adapter, sessions).run_until_idle()

    [created] = connector.created_conversations
    assert created.body["members"] == [{"id": adele.mri, "aadObjectId": adele.aad}]
    assert created.body["isGroup"] is False
    # Teams reads the tenant from channelData (botbuilder also sends a "tenantID" field).
    assert created.body["channelData"] == {"tenant": {"id": TENANT_ID}}
    assert created.body["bot"]["id"] == BOT["id"]  # learnt from the IRO's stored reference
    [call] = connector.activities
    assert call.conversation_id == created.assigned_id
    async with sessions() as session:
        found = await session.scalars(
            select(ConversationRef).where(ConversationRef.staff_id == adele.id)
        )
        [ref] = found.all()
    assert ref.conversation_id == created.assigned_id
    assert ref.conversation_type == "personal"
    assert json.loads(ref.reference_json)["user"]["id"] == adele.mri
    assert iro.conversation_id not in {created.assigned_id}

    # The next notification goes through the reference: no second conversation.
    await notify(sessions, adele, "n-2")
    await dispatcher(adapter, sessions).run_until_idle()
    assert len(connector.created_conversations) == 1
    assert [c.conversation_id for c in connector.activities] == [created.assigned_id] * 2


async def test_falls_back_to_the_aad_id_only_without_a_teams_id(sessions, connector, adapter):
    await add_person(sessions, connector, 20, "Alex Wilber", role="iro")
    isaiah = await add_person(sessions, connector, 23, "Isaiah Langer", reference=False,
                              teams_id=False)  # fmt: skip
    await notify(sessions, isaiah, "n-1")

    stats = await dispatcher(adapter, sessions).run_until_idle()

    [created] = connector.created_conversations
    assert created.body["members"][0]["id"] == isaiah.aad
    assert stats.sent == 1


async def test_someone_the_bot_has_no_way_to_reach_is_reported(sessions, connector, adapter):
    iro = await add_person(sessions, connector, 20, "Alex Wilber", role="iro")
    async with sessions() as session, session.begin():
        staff = Staff(email="new@example.org", display_name="Nia New", role="social_worker")
        session.add(staff)
        await session.flush()
        nobody = Person(staff.id, "", "", "Nia New")
    await notify(sessions, nobody, "n-1", report_to=iro)

    await dispatcher(adapter, sessions).run_until_idle()

    assert (await rows(sessions))["n-1"].status == "unreachable"
    [report] = connector.activities
    assert report.conversation_id == iro.conversation_id
    assert report.text.startswith("I couldn't deliver a message to Nia New: they have never used")


# -- faults ---------------------------------------------------------------------------------------


async def test_429_honours_retry_after_then_delivers(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1")
    connector.fail("reply", status=429, code="Throttled", headers={"Retry-After": "7"})
    clock = Clock()

    stats = await dispatcher(adapter, sessions, clock).run_until_idle()

    row = (await rows(sessions))["n-1"]
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "http 429 Throttled")
    # Retry-After (7 s) is longer than the backoff step (1-2 s at the first attempt): it wins.
    assert queue.aware(row.due_at) - START >= timedelta(seconds=7)
    assert queue.aware(row.due_at) - START < timedelta(seconds=8)
    assert stats.retried == 1 and connector.activities == []

    clock.advance(6)  # not yet
    await dispatcher(adapter, sessions, clock).run_until_idle()
    assert connector.activities == []
    clock.advance(2)
    await dispatcher(adapter, sessions, clock).run_until_idle()
    assert delivered_keys(connector) == {"n-1": 1}
    row = (await rows(sessions))["n-1"]
    assert (row.status, row.attempts) == ("sent", 2)


async def test_500s_are_retried_a_bounded_number_of_times_then_failed_and_reported(
    sessions, connector, adapter
):
    iro = await add_person(sessions, connector, 20, "Alex Wilber", role="iro")
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1", report_to=iro, summary="IR-2026-0042: response due")
    connector.fail("reply", status=500, times=FAST.max_attempts)
    clock = Clock()

    for _ in range(FAST.max_attempts + 2):
        await dispatcher(adapter, sessions, clock).run_until_idle()
        clock.advance(FAST.retry_cap)

    row = (await rows(sessions))["n-1"]
    assert (row.status, row.attempts) == ("failed", FAST.max_attempts)
    assert row.last_error == "http 500 ServiceError"
    tries = [c for c in connector.calls if c.operation == "reply" and c.status == 500]
    assert len(tries) == FAST.max_attempts  # bounded: no hidden retries underneath
    [report] = connector.activities
    assert report.conversation_id == iro.conversation_id
    assert report.text == report_text(
        "Megan Bowen", "gave_up", "IR-2026-0042: response due",
        detail="3 attempts; the last: http 500 ServiceError",
    )  # fmt: skip
    assert "Teams kept failing" in report.text and "contact them another way" in report.text
    report_row = (await rows(sessions))[f"delivery-report:{row.id}"]
    assert (report_row.kind, report_row.status) == (DELIVERY_REPORT_KIND, "sent")
    async with sessions() as session:
        [audit] = (await session.scalars(select(AuditEntry))).all()
    assert audit.action == "notification.failed" and audit.entity_id == str(row.id)
    assert audit.detail["reported_to_staff_id"] == iro.id


async def test_403_marks_the_recipient_unreachable_and_tells_the_iro(sessions, connector, adapter):
    iro = await add_person(sessions, connector, 20, "Alex Wilber", role="iro")
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1", report_to=iro)
    connector.fail("reply", status=403, code="BotNotInConversationRoster")

    stats = await dispatcher(adapter, sessions).run_until_idle()

    row = (await rows(sessions))["n-1"]
    assert (row.status, row.attempts) == ("unreachable", 1)
    assert row.last_error == "http 403 BotNotInConversationRoster"
    async with sessions() as session:
        ref = await session.scalar(
            select(ConversationRef).where(ConversationRef.staff_id == megan.id)
        )
    assert ref is not None and queue.aware(ref.unreachable_since) == START
    [report] = connector.activities
    assert report.conversation_id == iro.conversation_id
    assert report.text.startswith(
        "I couldn't deliver a message to Megan Bowen: Teams says the IRO bot isn't installed "
        "for them (or they removed it). Please ask them to add the IRO bot in Teams"
    )
    assert "The message was: \u201cStage 1 response due" in report.text
    assert (stats.unreachable, stats.reported, stats.sent) == (1, 1, 1)

    # The next notification for her skips the refused chat and tries a new 1:1 (she may have
    # reinstalled the app); refused again, it is reported again, once.
    await notify(sessions, megan, "n-2", report_to=iro)
    connector.fail("create_conversation", status=403, code="BotNotInConversationRoster")
    await dispatcher(adapter, sessions).run_until_idle()
    assert (await rows(sessions))["n-2"].status == "unreachable"
    assert [c.conversation_id for c in connector.activities] == [iro.conversation_id] * 2


async def test_a_report_that_cannot_be_delivered_is_failed_not_reported(
    sessions, connector, adapter
):
    iro = await add_person(sessions, connector, 20, "Alex Wilber", role="iro")
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1", report_to=iro)
    connector.fail("reply", status=403, code="BotNotInConversationRoster", times=2)

    stats = await dispatcher(adapter, sessions).run_until_idle()

    found = await rows(sessions)
    assert found["n-1"].status == "unreachable"
    report = found[f"delivery-report:{found['n-1'].id}"]
    assert (report.status, report.kind) == ("failed", DELIVERY_REPORT_KIND)
    assert len(found) == 2  # no report about the report
    assert connector.activities == []
    assert (stats.unreachable, stats.failed, stats.reported) == (1, 1, 1)


async def test_inactive_staff_are_reported_not_messaged(sessions, connector, adapter):
    iro = await add_person(sessions, connector, 20, "Alex Wilber", role="iro")
    gone = await add_person(sessions, connector, 24, "Former Worker", active=False)
    await notify(sessions, gone, "n-1", report_to=iro)

    await dispatcher(adapter, sessions).run_until_idle()

    assert (await rows(sessions))["n-1"].status == "unreachable"
    [report] = connector.activities
    assert "aren't an active member of staff" in report.text


async def test_a_timeout_is_retried(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1")
    slow = DispatchPolicy(**{**FAST.__dict__, "send_timeout": 0.3, "lease_seconds": 10})
    connector.delay("reply", 1.0)
    clock = Clock()

    stats = await dispatcher(adapter, sessions, clock, slow).run_until_idle()
    row = (await rows(sessions))["n-1"]
    assert (row.status, row.last_error, stats.retried) == ("pending", "timeout", 1)

    clock.advance(slow.retry_cap)
    await dispatcher(adapter, sessions, clock, slow).run_until_idle()
    row = (await rows(sessions))["n-1"]
    assert (row.status, row.attempts) == ("sent", 2)
    await asyncio.sleep(1.0)
    # A timeout is ambiguous: the slow first send may still have landed. If it did, it is a
    # duplicate that carries the same idempotency key, so it can be recognised.
    keys = delivered_keys(connector)
    assert set(keys) == {"n-1"} and 1 <= keys["n-1"] <= 2


async def test_the_connector_client_gives_up_when_the_dispatcher_does(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1")
    await dispatcher(adapter, sessions).run_until_idle()
    [client] = [c for f in adapter.reusing_authentication.connector_factories.values()
                for c in f.clients]  # fmt: skip
    assert client.config.connection.timeout == FAST.send_timeout


async def test_one_failure_does_not_hold_up_the_others(sessions, connector, adapter):
    people = [await add_person(sessions, connector, 30 + i, f"Person {i}") for i in range(6)]
    for i, person in enumerate(people):
        await notify(sessions, person, f"n-{i}")
    connector.fail("reply", status=500)  # whichever goes first

    stats = await dispatcher(adapter, sessions).run_until_idle()

    assert stats.sent == 5 and stats.retried == 1
    assert len(connector.activities) == 5


# -- idempotency and claims -----------------------------------------------------------------------


async def test_enqueueing_twice_delivers_once(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    assert await notify(sessions, megan, "IR-2026-0042:stage-1:due-2") is True
    assert await notify(sessions, megan, "IR-2026-0042:stage-1:due-2") is False

    await dispatcher(adapter, sessions).run_until_idle()
    await notify(sessions, megan, "IR-2026-0042:stage-1:due-2")  # after delivery too
    await dispatcher(adapter, sessions).run_until_idle()

    assert delivered_keys(connector) == {"IR-2026-0042:stage-1:due-2": 1}


async def test_not_yet_due_waits(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "later", due_at=START + timedelta(hours=1))
    clock = Clock()
    await dispatcher(adapter, sessions, clock).run_until_idle()
    assert connector.activities == []
    clock.advance(3600)
    await dispatcher(adapter, sessions, clock).run_until_idle()
    assert delivered_keys(connector) == {"later": 1}


async def test_two_dispatchers_deliver_each_notification_once(sessions, connector, adapter):
    people = [await add_person(sessions, connector, 40 + i, f"Person {i}") for i in range(10)]
    async with sessions() as session, session.begin():
        for i in range(300):
            await enqueue(session, key=f"bulk-{i}", recipient_staff_id=people[i % 10].id,
                          kind="ir_notice", payload={"text": f"n {i}"}, due_at=START)  # fmt: skip
    first = dispatcher(adapter, sessions, name="first")
    second = dispatcher(adapter, sessions, name="second")

    a, b = await asyncio.gather(first.run_until_idle(), second.run_until_idle())

    keys = delivered_keys(connector)
    assert len(keys) == 300 and set(keys.values()) == {1}
    assert a.sent + b.sent == 300
    assert a.sent > 0 and b.sent > 0  # both took part
    async with sessions() as session:
        assert await queue.counts_by_status(session) == {"sent": 300}


async def test_an_expired_lease_is_taken_over_and_the_old_owner_is_fenced_out(
    sessions, connector, adapter
):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1")
    lease = timedelta(seconds=60)
    async with sessions() as session, session.begin():
        [dead] = await queue.claim_due(session, token="dead#1", now=START, lease=lease, limit=5)
    async with sessions() as session, session.begin():  # still leased: nothing to claim
        assert await queue.claim_due(session, token="b#1", now=START, lease=lease, limit=5) == []
    later = START + lease + timedelta(seconds=1)
    async with sessions() as session, session.begin():
        [taken] = await queue.claim_due(session, token="b#2", now=later, lease=lease, limit=5)
    assert taken.id == dead.id and taken.attempts == 2
    async with sessions() as session, session.begin():
        assert await queue.mark_sent(session, dead.id, "dead#1", now=later) is False
        assert await queue.mark_sent(session, taken.id, "b#2", now=later) is True
        assert await queue.release(session, taken.id, "b#2") is False  # sent stays sent


async def test_stopping_releases_claimed_notifications_not_yet_tried(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    for i in range(5):
        await notify(sessions, megan, f"n-{i}")
    connector.delay("reply", 0.5, times=None)
    one_at_a_time = DispatchPolicy(**{**FAST.__dict__, "concurrency": 1})
    running = dispatcher(adapter, sessions, policy=one_at_a_time)
    task = asyncio.create_task(running.run())
    await connector.wait_for_activities(1, timeout=5)
    running.stop()
    await asyncio.wait_for(task, 5)

    found = await rows(sessions)
    statuses = Counter(n.status for n in found.values())
    assert statuses["sending"] == 0
    assert statuses["sent"] == running.stats.sent >= 1
    assert statuses["pending"] == 5 - running.stats.sent == running.stats.released
    assert all(n.attempts == 0 for n in found.values() if n.status == "pending")


async def test_claims_on_postgresql_skip_rows_another_claimer_has_locked(
    engine: AsyncEngine, sessions, connector
):
    if engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite claims under its single write lock")
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    for i in range(10):
        await notify(sessions, megan, f"n-{i}")
    lease = timedelta(seconds=60)
    async with sessions() as first, first.begin():
        mine = await queue.claim_due(first, token="a#1", now=START, lease=lease, limit=4)
        # Not committed yet: the other claimer must neither wait for these rows nor take them.
        async with sessions() as second, second.begin():
            theirs = await asyncio.wait_for(
                queue.claim_due(second, token="b#1", now=START, lease=lease, limit=100), 5
            )
    assert len(mine) == 4 and len(theirs) == 6
    assert not {n.id for n in mine} & {n.id for n in theirs}


async def test_hooks_prepare_the_payload_and_see_where_it_landed(sessions, connector, adapter):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1", ir_reference="IR-2026-0042")
    seen: list[tuple[ClaimedNotification, Delivered]] = []

    async def prepare(session: AsyncSession, item: ClaimedNotification) -> dict[str, Any]:
        count = await session.scalar(select(func.count()).select_from(Staff))
        return {**item.payload, "text": f"rendered at send time ({count} staff)"}

    async def on_sent(session: AsyncSession, item: ClaimedNotification, where: Delivered) -> None:
        seen.append((item, where))

    hooks = DispatchHooks(prepare=prepare, on_sent=on_sent)
    await dispatcher(adapter, sessions, hooks=hooks).run_until_idle()

    [call] = connector.activities
    assert call.text == "rendered at send time (1 staff)"
    [(item, where)] = seen
    assert item.payload["text"] == call.text
    assert where.conversation_id == megan.conversation_id
    assert where.activity_id == call.assigned_id
    assert where.service_url == connector.url + "/"


async def test_a_failing_on_sent_hook_does_not_leave_a_delivery_unrecorded(
    sessions, connector, adapter
):
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1")
    await notify(sessions, megan, "n-2")

    async def on_sent(session: AsyncSession, item: ClaimedNotification, where: Delivered) -> None:
        if item.key == "n-1":
            raise RuntimeError("a bug in a hook")

    hooks = DispatchHooks(on_sent=on_sent)
    stats = await dispatcher(adapter, sessions, hooks=hooks).run_until_idle()

    # Recorded without the hook rather than left to be delivered again when the lease expires.
    assert {k: n.status for k, n in (await rows(sessions)).items()} == {
        "n-1": "sent",
        "n-2": "sent",
    }
    assert delivered_keys(connector) == {"n-1": 1, "n-2": 1}
    assert stats.sent == 2


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (404, "ConversationNotFound", "Teams says their chat with the IRO bot no longer exists"),
        (403, "BotDisabledByAdmin", "Teams says the IRO bot isn't installed for them"),
    ],
)
async def test_other_refusals_are_unreachable_too(
    sessions, connector, adapter, status: int, code: str, reason: str
):
    iro = await add_person(sessions, connector, 20, "Alex Wilber", role="iro")
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1", report_to=iro)
    connector.fail("reply", status=status, code=code)

    await dispatcher(adapter, sessions).run_until_idle()

    assert (await rows(sessions))["n-1"].last_error == f"http {status} {code}"
    [report] = connector.activities
    assert report.text.startswith(f"I couldn't deliver a message to Megan Bowen: {reason}")


async def test_a_message_the_connector_refuses_is_failed_at_once(sessions, connector, adapter):
    iro = await add_person(sessions, connector, 20, "Alex Wilber", role="iro")
    megan = await add_person(sessions, connector, 21, "Megan Bowen")
    await notify(sessions, megan, "n-1", report_to=iro)
    connector.fail("reply", status=400, code="BadArgument")

    await dispatcher(adapter, sessions).run_until_idle()

    row = (await rows(sessions))["n-1"]
    assert (row.status, row.attempts) == ("failed", 1)  # retrying would not help
    [report] = connector.activities
    assert "Teams refused the message (http 400 BadArgument)" in report.text
