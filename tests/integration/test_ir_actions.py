"""IR card actions against a real store, on SQLite and PostgreSQL: notifications written with the
change, two clicks at once changing the IR once, delegates and QA managers, the sent-card
registry. The HTTP side is tested in tests/e2e/test_ir_cards.py.
"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest_asyncio
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.demo_data import ADELE, ALEX, ISAIAH, MEGAN, seed_demo
from cards import ir_notices
from cards.ir_card import ir_card
from cards.ir_wording import action_message
from domain.ports import StaffMember
from domain.rules import load_rules
from services.ir_actions import CardActionResult, Outcome, act_on_ir
from services.ir_cards import prepare_delivery, record_delivery
from services.irs import raise_issue
from services.unit_of_work import SqlUnitOfWork
from storage.dispatch_queue import REPORT_TO
from storage.models import AuditEntry, Child, IrCardMessage, IssueResolution, Notification, Staff
from storage.repositories.staff import to_staff_member

TODAY = date(2026, 11, 26)
RULES = load_rules()
Sessions = async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture
async def seeded(sessions: Sessions) -> Sessions:
    async with sessions() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=7)
    return sessions


async def staff(sessions: Sessions, email: str) -> StaffMember:
    async with sessions() as session:
        row = await session.scalar(select(Staff).where(Staff.email == email))
        assert row is not None
        return to_staff_member(row)


async def raise_one(sessions: Sessions, stage: str = "1") -> str:
    alex, megan = await staff(sessions, ALEX.email), await staff(sessions, MEGAN.email)
    async with sessions() as session, session.begin():
        child = await session.scalar(
            select(Child.id).where(Child.iro_id == alex.id, Child.social_worker_id == megan.id)
            .order_by(Child.id)
        )  # fmt: skip
        assert child is not None
        raised = await raise_issue(SqlUnitOfWork(session), RULES, alex, child, ["no advocate"],
                                   "", stage, TODAY, ir_notices)  # fmt: skip
    return raised.reference


async def act(
    sessions: Sessions, who: StaffMember, verb: str, data: dict[str, object]
) -> CardActionResult:
    async with sessions() as session, session.begin():
        return await act_on_ir(SqlUnitOfWork(session), RULES, who, verb, data, TODAY, ir_notices)


async def notification_keys(sessions: Sessions, reference: str) -> dict[str, Notification]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Notification).where(Notification.idempotency_key.like(f"{reference}:%"))
        )
        return {row.idempotency_key: row for row in rows}


async def test_raising_writes_its_notifications_in_the_same_transaction(seeded: Sessions):
    reference = await raise_one(seeded)
    alex, adele, megan = [await staff(seeded, e) for e in (ALEX.email, ADELE.email, MEGAN.email)]
    keys = await notification_keys(seeded, reference)
    assert set(keys) == {
        f"{reference}:v1:card:{adele.id}",
        f"{reference}:v1:card:{alex.id}",
        f"{reference}:v1:social-worker:{megan.id}",
    }
    assert all(n.payload[REPORT_TO] == alex.id for n in keys.values())
    assert keys[f"{reference}:v1:card:{adele.id}"].payload["ir_card"] is True
    # The summary shows on lock screens: the reference and the date, not the child.
    assert keys[f"{reference}:v1:card:{adele.id}"].payload["summary"] == (
        f"{reference} needs a response by Thursday 3 December 2026"
    )


async def test_a_raise_that_is_rolled_back_leaves_no_notification(seeded: Sessions):
    alex = await staff(seeded, ALEX.email)
    async with seeded() as session:
        await session.begin()
        child = await session.scalar(select(Child.id).where(Child.iro_id == alex.id).limit(1))
        assert child is not None
        raised = await raise_issue(SqlUnitOfWork(session), RULES, alex, child, ["no advocate"],
                                   "", "1", TODAY, ir_notices)  # fmt: skip
        await session.rollback()
    assert await notification_keys(seeded, raised.reference) == {}


async def test_two_clicks_at_once_change_the_ir_once(seeded: Sessions):
    reference = await raise_one(seeded)
    adele = await staff(seeded, ADELE.email)
    data = {"ir": reference, "version": 1, "response": "Agreed."}
    results = await asyncio.gather(act(seeded, adele, "ir.respond", data),
                                   act(seeded, adele, "ir.respond", data))  # fmt: skip
    assert sorted(r.outcome for r in results) == sorted([Outcome.DONE, Outcome.STALE])
    assert [r.changed for r in results].count(True) == 1
    stale = next(r for r in results if r.outcome is Outcome.STALE)
    message = action_message(stale)
    assert message is not None
    assert message.startswith("Already answered by Adele Vance on 26 November 2026.")
    async with seeded() as session:
        version = await session.scalar(
            select(IssueResolution.version).where(IssueResolution.reference == reference)
        )
        ok = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "ir.respond", AuditEntry.entity_id == reference,
            AuditEntry.outcome == "ok"))  # fmt: skip
    assert (version, ok) == (2, 1)
    alex = await staff(seeded, ALEX.email)
    assert f"{reference}:v2:card:{alex.id}" in await notification_keys(seeded, reference)


async def test_a_delegate_gets_the_card_and_may_answer(seeded: Sessions):
    adele, isaiah = await staff(seeded, ADELE.email), await staff(seeded, ISAIAH.email)
    async with seeded() as session, session.begin():
        await session.execute(update(Staff).where(Staff.id == adele.id)
                              .values(delegate_id=isaiah.id))  # fmt: skip
    reference = await raise_one(seeded)
    keys = await notification_keys(seeded, reference)
    assert f"{reference}:v1:card:{isaiah.id}" in keys
    assert "on behalf of Adele Vance" in keys[f"{reference}:v1:card:{isaiah.id}"].payload["text"]
    done = await act(seeded, isaiah, "ir.respond", {"ir": reference, "version": 1,
                                                    "response": "Covering: agreed."})  # fmt: skip
    assert done.outcome is Outcome.DONE
    assert done.view is not None and done.view.current.responded_by_name == "Isaiah Langer"


async def test_a_qa_manager_may_direct_an_ir_they_did_not_raise(seeded: Sessions):
    reference = await raise_one(seeded)
    adele = await staff(seeded, ADELE.email)
    async with seeded() as session:
        qa_row = await session.scalar(select(Staff).where(Staff.role == "qa_manager"))
        assert qa_row is not None
        qa = to_staff_member(qa_row)
    await act(seeded, adele, "ir.respond", {"ir": reference, "version": 1, "response": "Yes."})
    resolved = await act(seeded, qa, "ir.resolve", {"ir": reference, "version": 2,
                                                     "outcome": "Advocate allocated."})  # fmt: skip
    assert resolved.outcome is Outcome.DONE and resolved.view is not None
    assert resolved.view.is_resolved
    # Everyone who had a card and did not resolve it is told: Adele and Alex.
    alex = await staff(seeded, ALEX.email)
    keys = await notification_keys(seeded, reference)
    told = {f"{reference}:v3:resolved:{adele.id}", f"{reference}:v3:resolved:{alex.id}"}
    assert told <= set(keys)


async def test_the_sent_card_registry_follows_versions(seeded: Sessions):
    reference = await raise_one(seeded)
    adele = await staff(seeded, ADELE.email)
    async with seeded() as session, session.begin():
        payload = {"ir_reference": reference, "ir_version": 1, "ir_card": True, "text": "x"}
        uow = SqlUnitOfWork(session)
        prepared = await prepare_delivery(uow, RULES, payload=payload,
                                          recipient_staff_id=adele.id, today=TODAY,
                                          render=ir_card)  # fmt: skip
        assert prepared["card"]["type"] == "AdaptiveCard" and prepared["ir_version"] == 1
        for _ in range(2):  # a dispatcher retrying its bookkeeping records one copy
            behind = await record_delivery(uow, payload=prepared, recipient_staff_id=adele.id,
                                           conversation_id="a:1chat", activity_id="act-1",
                                           service_url="https://smba.example/uk/")  # fmt: skip
            assert behind is False
        # Not an IR card (no "card"), or a notice: nothing recorded.
        assert not await record_delivery(uow, payload=payload, recipient_staff_id=adele.id,
                                         conversation_id="a:1chat", activity_id="act-2",
                                         service_url="https://smba.example/uk/")  # fmt: skip
        assert await uow.irs.copies_to_update(reference) == []
    assert len(await _copies(seeded)) == 1
    await act(seeded, adele, "ir.decline", {"ir": reference, "version": 1,
                                            "decline_reason": "Not ours."})  # fmt: skip
    async with seeded() as session, session.begin():
        uow = SqlUnitOfWork(session)
        [copy] = await uow.irs.copies_to_update(reference)
        assert (copy.activity_id, copy.rendered_version) == ("act-1", 1)
        assert copy.conversation_reference()["conversation"]["id"] == "a:1chat"
        await uow.irs.mark_updated([copy.id], 2)
        assert await uow.irs.copies_to_update(reference) == []


async def test_a_refresh_is_an_audited_read_and_strangers_see_nothing(seeded: Sessions):
    reference = await raise_one(seeded)
    adele = await staff(seeded, ADELE.email)
    seen = await act(seeded, adele, "refresh", {"ir": reference, "version": 1})
    assert seen.outcome is Outcome.DONE and seen.rights.may_answer
    async with seeded() as session:
        outsider_row = await session.scalar(
            select(Staff).where(Staff.role == "social_worker", Staff.email != MEGAN.email)
            .order_by(Staff.id)
        )  # fmt: skip
        assert outsider_row is not None
    outsider = to_staff_member(outsider_row)
    refused = await act(seeded, outsider, "refresh", {"ir": reference, "version": 1})
    assert refused.outcome is Outcome.REFUSED and refused.view is None
    async with seeded() as session:
        reads = list(await session.scalars(select(AuditEntry.outcome).where(
            AuditEntry.action == "ir.read", AuditEntry.entity_id == reference)))  # fmt: skip
    assert sorted(reads) == ["ok", "refused"]


async def _copies(sessions: Sessions) -> list[IrCardMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(IrCardMessage)))
