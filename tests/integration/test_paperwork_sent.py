"""Recording that a review's decisions or minutes were sent (CIC-DECISIONS, CIC-MINUTES): the
write (``services.paperwork``) and its dialog (``dialogs.paperwork_sent``), on SQLite and
PostgreSQL, over the demo authority of ``test_dialogs``."""

# ruff: noqa: F811  (``world`` is test_dialogs' fixture, imported, then named by each test)

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from domain.errors import ChildNotVisible, DomainError
from domain.formatting import long_date
from domain.paperwork import Paperwork
from domain.reviews import decisions_due, minutes_due
from services.paperwork import record_paperwork_sent
from services.unit_of_work import SqlUnitOfWork
from storage.models import AuditEntry, Child, Review
from tests.integration.test_dialogs import (  # noqa: F401  (world: the fixture)
    RULES,
    TODAY,
    Chat,
    World,
    last_audit_id,
    name_of,
    row_counts,
    world,
)


async def _latest_review(world: World) -> tuple[Child, Review]:
    """One of Alex's children with a unique family name and a review held before TODAY (its
    paperwork dates cleared, so each test starts from "not sent")."""
    async with world.sessions() as session, session.begin():
        for child in world.mine:
            if [c.family_name for c in world.mine].count(child.family_name) != 1:
                continue
            review = await session.scalar(
                select(Review).where(Review.child_pk == child.id, Review.held_on < TODAY)
                .order_by(Review.held_on.desc(), Review.id.desc()).limit(1)
            )  # fmt: skip
            if review is not None:
                await session.execute(update(Review).where(Review.id == review.id).values(
                    decisions_sent_on=None, minutes_sent_on=None))  # fmt: skip
                return child, review
    raise AssertionError("the demo gave Alex no child with a review")


async def _stored(world: World, review_id: int) -> tuple[date | None, date | None]:
    async with world.sessions() as session:
        review = await session.get(Review, review_id)
        assert review is not None
        return review.decisions_sent_on, review.minutes_sent_on


# -- the write -------------------------------------------------------------------------------------


async def test_the_paperwork_belongs_to_the_latest_review_held_by_the_day_it_was_sent(
    world: World,
) -> None:
    child, review = await _latest_review(world)
    sent = TODAY - timedelta(days=1)
    async with world.sessions() as session, session.begin():
        # A later review, held after the paperwork went out, is not the one it belongs to.
        session.add(Review(child_pk=child.id, held_on=TODAY, part="full"))
    async with world.sessions() as session, session.begin():
        check = await record_paperwork_sent(SqlUnitOfWork(session), RULES, world.alex, child.id,
                                            [Paperwork.MINUTES], sent, TODAY)  # fmt: skip
    assert check.held_on == review.held_on
    assert check.due == {Paperwork.MINUTES: minutes_due(review.held_on, RULES)}
    assert check.recorded == {Paperwork.MINUTES: None}
    assert await _stored(world, review.id) == (None, sent)


async def test_a_correction_hands_back_the_date_it_replaced(world: World) -> None:
    child, review = await _latest_review(world)
    first, second = TODAY - timedelta(days=3), TODAY - timedelta(days=1)
    for day in (first, second):
        async with world.sessions() as session, session.begin():
            check = await record_paperwork_sent(SqlUnitOfWork(session), RULES, world.alex, child.id,
                                                list(Paperwork), day, TODAY)  # fmt: skip
    assert check.recorded == {Paperwork.DECISIONS: first, Paperwork.MINUTES: first}
    assert await _stored(world, review.id) == (second, second)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("future", "is in the future"),
        ("no review", "No review of this child held on or before"),
        ("nothing named", "Say which was sent"),
    ],
)
async def test_refusals_write_nothing(world: World, case: str, message: str) -> None:
    child, review = await _latest_review(world)
    day = {"future": TODAY + timedelta(days=1),
           "no review": review.held_on - timedelta(days=3650)}.get(case, TODAY)  # fmt: skip
    kinds = [] if case == "nothing named" else [Paperwork.DECISIONS]
    audits = await last_audit_id(world.sessions)
    with pytest.raises(DomainError, match=message):
        async with world.sessions() as session, session.begin():
            await record_paperwork_sent(SqlUnitOfWork(session), RULES, world.alex, child.id, kinds,
                                        day, TODAY)
    assert await _stored(world, review.id) == (None, None)
    assert await last_audit_id(world.sessions) == audits


async def test_another_iros_child_is_refused_as_not_found(world: World) -> None:
    other = world.others[0]
    with pytest.raises(ChildNotVisible):
        async with world.sessions() as session, session.begin():
            await record_paperwork_sent(SqlUnitOfWork(session), RULES, world.alex, other.id,
                                        [Paperwork.DECISIONS], TODAY, TODAY)  # fmt: skip


# -- the dialog ------------------------------------------------------------------------------------


async def test_paperwork_sent_end_to_end(world: World) -> None:
    child, review = await _latest_review(world)
    before = await row_counts(world.sessions)
    audits = await last_audit_id(world.sessions)
    chat = Chat(world)
    shown = await chat.start("paperwork_sent", child_pk=child.id)
    assert "What was sent: the review's decisions, its minutes, or both?" in shown
    assert chat.buttons() == ["Decisions", "Minutes", "Both"]
    assert 'Please reply "decisions", "minutes" or "both"' in await chat.say("sideways")
    shown = await chat.press("Both")
    assert f"When were the decisions and minutes for {name_of(child)}'s review sent?" in shown
    assert "is in the future" in await chat.say("25/12/2026")
    shown = await chat.say("yesterday")
    sent = TODAY - timedelta(days=1)
    assert "Record the decisions and minutes as sent?" in shown
    assert f"Review held: {long_date(review.held_on)}" in shown
    assert f"Sent on: {long_date(sent)}" in shown
    for label, deadline in (("Decisions", decisions_due(review.held_on, RULES)),
                            ("Minutes", minutes_due(review.held_on, RULES))):  # fmt: skip
        standing = "in time" if sent <= deadline.due else "late"
        assert f"{label}: due by {long_date(deadline.due)} ({deadline.rule_id}): {standing}" \
            in shown  # fmt: skip
    shown = await chat.press("Record it")

    assert chat.result["saved"] is True and chat.result["child_pk"] == child.id
    assert chat.result["review_held_on"] == review.held_on.isoformat()
    assert f"Recorded for {name_of(child)}" in shown and "The reminders about them stop." in shown
    assert await _stored(world, review.id) == (sent, sent)
    # Only the review row changed; the change is audited, by ids (no name in the entry).
    assert await row_counts(world.sessions) == before
    async with world.sessions() as session:
        entries = list(await session.scalars(
            select(AuditEntry).where(AuditEntry.id > audits,
                                     AuditEntry.action == "review.paperwork_sent")))  # fmt: skip
    assert len(entries) == 1
    assert (entries[0].entity_type, entries[0].entity_id) == ("child", str(child.id))
    assert entries[0].detail == {"review_id": review.id, "sent_on": sent.isoformat(),
                                 "sent": ["decisions", "minutes"]}  # fmt: skip
    assert child.given_name not in str(entries[0].detail)


async def test_values_from_the_message_skip_their_questions_and_cancel_writes_nothing(
    world: World,
) -> None:
    child, review = await _latest_review(world)
    chat = Chat(world)
    shown = await chat.start("paperwork_sent", child_pk=child.id, paperwork=["minutes"],
                             date=TODAY.isoformat())  # fmt: skip
    assert "Record the minutes as sent?" in shown and "Decisions:" not in shown
    assert "Cancelled" in await chat.say("cancel")
    assert await _stored(world, review.id) == (None, None)


async def test_a_correction_is_shown_before_it_is_saved(world: World) -> None:
    child, review = await _latest_review(world)
    earlier = TODAY - timedelta(days=2)
    async with world.sessions() as session, session.begin():
        await session.execute(update(Review).where(Review.id == review.id).values(
            decisions_sent_on=earlier))  # fmt: skip
    chat = Chat(world)
    shown = await chat.start("paperwork_sent", child_pk=child.id, paperwork=["decisions"],
                             date=TODAY.isoformat())  # fmt: skip
    assert f"recorded as sent on {long_date(earlier)}: this corrects that date" in shown
    await chat.press("Record it")
    assert await _stored(world, review.id) == (TODAY, None)


async def test_a_child_with_no_review_held_is_told_so_at_once(world: World) -> None:
    child = world.unique_name_child()
    async with world.sessions() as session, session.begin():
        await session.execute(delete(Review).where(Review.child_pk == child.id))
    chat = Chat(world)
    shown = await chat.start("paperwork_sent", child_pk=child.id, paperwork=["minutes"])
    assert "No review of this child held on or before" in shown
    assert "When were" not in shown
    assert chat.result["saved"] is False
