"""Hostile input over HTTP, on SQLite and PostgreSQL: the fuzzer of ``tests/e2e/hostile.py`` at a
few hundred requests (``python -m benchmarks.hostile`` runs thousands), and the bad requests it
found, one by one, so each stays fixed.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import session_factory
from storage.models import AuditEntry, Child, IssueResolution, Staff
from tests.e2e.conftest import BotClient, TeamsUser
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.hostile import (
    DEMO_USERS,
    HostileWorld,
    differences,
    generate_cases,
    hostile_world,
    run_cases,
    snapshot,
)
from tests.e2e.test_server import SilentBot
from tests.integration.conftest import empty_engine  # noqa: F401  (the sqlite/postgresql fixture)

FUZZ_REQUESTS = 250


@pytest_asyncio.fixture
async def world(empty_engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[HostileWorld]:  # noqa: F811
    async with hostile_world(empty_engine, tmp_path) as running:
        yield running


async def test_generated_hostile_requests_fail_nothing_change_nothing_and_are_audited(
    world: HostileWorld,
) -> None:
    cases = generate_cases(random.Random(20261126), world, FUZZ_REQUESTS)
    report = await run_cases(world, cases)

    assert report.problems == []
    assert report.sent == FUZZ_REQUESTS
    # The mix reached every kind of request, and the checks had something to check.
    assert set(report.kinds) == {"body", "wrong-type", "missing", "huge", "text", "value", "card",
                                 "invoke"}  # fmt: skip
    assert report.card_actions > 50 and report.card_actions == report.card_actions_audited
    assert report.audit_rows_added >= report.card_actions
    assert any(status >= 400 for status in report.statuses) and report.outcomes["answered"] > 50


# -- the requests the fuzzer found, one by one ----------------------------------------------------

ACTIVITY = {"type": "message", "serviceUrl": "http://127.0.0.1:9/", "channelId": "msteams",
            "conversation": {"id": "c"}, "from": {"id": "29:1x"}, "text": "hi"}  # fmt: skip


def _with(**fields: object) -> bytes:
    return json.dumps({**ACTIVITY, **fields}).encode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"type": "message", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
         "application/json"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"),
        (_with(), "application/json; charset=no-such-codec"),
        (_with(value={"version": float("inf")}), "application/json"),
        (_with(value=float("nan")), "application/json"),
        (_with(conversation={"id": {"a": 1}}), "application/json"),
        (_with(conversation={"id": 7}), "application/json"),
        (_with(conversation={"id": ""}), "application/json"),
        (_with(channelId=""), "application/json"),
        (_with(channelId=["msteams"]), "application/json"),
        (_with(type=1), "application/json"),
        (_with(serviceUrl={"url": "http://127.0.0.1:9/"}), "application/json"),
        (_with(id={"a": {"b": []}}), "application/json"),
    ],
    ids=["nested-100000-deep", "objects-50000-deep", "unknown-charset", "infinity", "nan",
         "object-conversation-id", "number-conversation-id", "empty-conversation-id",
         "empty-channel-id", "list-channel-id", "number-type", "object-service-url",
         "object-activity-id"],
)  # fmt: skip
async def test_bodies_the_fuzzer_found_are_400(
    body: bytes, content_type: str, start_app, teams, connector: FakeConnector
) -> None:
    # Refused at the edge, before any turn: no store is involved, so one store is enough.
    bot = SilentBot()
    client: BotClient = teams(await start_app(bot))
    posted = await client.post(data=body, headers={"Content-Type": content_type})
    assert posted.status == 400 and posted.body["error"]
    assert bot.seen == [] and connector.calls == []


async def test_nul_and_lone_surrogates_are_kept_as_replacement_characters(
    world: HostileWorld,
) -> None:
    """A genuine IR raised with a description holding NUL and a lone surrogate (escaped in the
    JSON): PostgreSQL refuses NUL and UTF-8 cannot encode a lone surrogate, so before the edge
    replaced them the IR could not be saved."""
    alex = DEMO_USERS[0]
    async with session_factory(world.engine)() as session:
        alex_id = await session.scalar(select(Staff.id).where(Staff.aad_object_id ==
                                                              alex.aad_object_id))  # fmt: skip
        child_id = await session.scalar(
            select(Child.child_id).where(Child.iro_id == alex_id).order_by(Child.id)
        )
    client = world.client(alex)
    await client.send(f"raise an IR for {child_id}")
    await client.send("1")
    await client.send("Reports\x00 late \ud800 again.")
    await client.send("informal")
    [raised] = await client.send("yes")
    assert "IR-2026-" in json.dumps(raised.body)
    async with session_factory(world.engine)() as session:
        saved = await session.scalar(
            select(IssueResolution.description).order_by(IssueResolution.id.desc())
        )
    assert saved == "Reports\ufffd late \ufffd again."


async def test_card_actions_without_a_verb_the_card_has_are_refused_and_audited(
    world: HostileWorld,
) -> None:
    before = await snapshot(world.engine)
    ir = world.irs[0]
    client = world.client(DEMO_USERS[0])
    for action in (
        {"type": "Action.Execute", "verb": "ir.delete", "data": {"ir": ir.reference}},
        {"type": "Action.Execute", "data": {"ir": ir.reference, "version": ir.version}},
        {"type": "Action.Submit"},
        None,
    ):
        posted = await client.post(client.invoke("adaptiveCard/action", {"action": action}))
        assert posted.status == 200
        assert "didn't come through" in json.dumps(posted.body)
    async with session_factory(world.engine)() as session:
        refused = list(await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "ir.action")))  # fmt: skip
    assert [(a.outcome, a.detail) for a in refused] == [
        ("refused", {"reason": "unknown_verb"})] * 4  # fmt: skip
    assert [a.entity_id for a in refused] == [ir.reference, ir.reference, None, None]
    assert differences(before, await snapshot(world.engine)) == []


async def test_forged_ids_of_any_length_are_refused_and_audited(world: HostileWorld) -> None:
    alex = DEMO_USERS[0]
    async with session_factory(world.engine)() as session:
        alex_id = await session.scalar(select(Staff.id).where(Staff.aad_object_id ==
                                                              alex.aad_object_id))  # fmt: skip
        families = Counter(await session.scalars(
            select(Child.family_name).where(Child.iro_id == alex_id)))  # fmt: skip
    shared = next(name for name, times in families.items() if times > 1)
    client = world.client(alex)
    [choice] = await client.send(f"when is {shared}'s next review due?")
    assert "More than one child" in json.dumps(choice.body)
    # The choice card's button, forged with a key no row can have (PostgreSQL's INTEGER id
    # cannot even be compared with it): only a child the card listed is ever accepted, so the
    # store is not even asked.
    [refused] = await client.send_activity(
        client.message("", value={"child_pk": 10**300})
    )
    assert (refused.text or "").startswith("Please choose one of the children listed")
    posted = await client.post(
        client.card_action("ir.respond", {"ir": "IR-2026-0001" + "9" * 5000, "version": 1})
    )
    assert posted.status == 200 and "didn't come through" in json.dumps(posted.body)
    stranger = world.client(TeamsUser("29:" + "x" * 5000, "y" * 5000, "Nobody"))
    await stranger.send("hello")
    async with session_factory(world.engine)() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())))
    assert [(e.action, e.outcome) for e in entries[:2]] == [
        ("access.refused", "refused"),
        ("ir.respond", "refused"),
    ]
    assert all(len(e.entity_id or "") <= 64 and len(e.actor_external_id or "") <= 200
               for e in entries[:2])  # fmt: skip
    # The forged child key read nothing, so nothing of it was audited either.
    assert not [e for e in entries if e.action == "child.read" and e.outcome == "refused"]
    assert entries[0].actor_external_id.startswith("yyyy")


async def test_conversation_fields_longer_than_their_columns_are_answered_not_stored(
    world: HostileWorld,
) -> None:
    """PostgreSQL refused the conversation reference (and so the whole turn apologised) when a
    field was longer than its column; SQLite does not check lengths."""
    before = await snapshot(world.engine)
    client = world.client(DEMO_USERS[0])
    activity = client.message("help", channelId="m" * 200)
    activity["conversation"]["tenantId"] = "9" * 200
    [reply] = await client.send_activity(activity)
    assert "What I can do" in json.dumps(reply.body)
    assert (await snapshot(world.engine)).counts["conversation_refs"] == (
        before.counts["conversation_refs"]
    )
