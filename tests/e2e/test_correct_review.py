"""Correcting what was recorded about a review, in chat, over real HTTP (issue 18: "each can be
corrected later in chat")."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.cli.demo_data import ALEX
from storage.models import AuditEntry, Review
from tests.e2e.test_conversation import (  # noqa: F401 - demo is the fixture
    MEGAN_T,
    Demo,
    demo,
    shown,
    unique_named,
)


async def latest_review(world: Demo, child_pk: int) -> Review:
    found = await world.scalar(select(Review).where(Review.child_pk == child_pk)
                               .order_by(Review.held_on.desc(), Review.id.desc())
                               .limit(1))  # fmt: skip
    assert isinstance(found, Review)
    return found


async def test_the_participation_of_the_last_review_is_corrected(demo: Demo) -> None:  # noqa: F811
    child = unique_named(await demo.children_of(ALEX.email))[4]
    name = f"{child.given_name} {child.family_name}"
    before = await latest_review(demo, child.id)
    client = demo.client()
    [asked] = await client.send(f"change the participation for {name}'s last review")
    assert "How did the young person take part in the review?" in shown(asked)
    wanted = "PN3" if before.participation_code != "PN3" else "PN5"
    [summary] = await client.send(wanted.lower())
    text = shown(summary)
    assert "Correct this review?" in text and f"({wanted})" in text
    assert (await latest_review(demo, child.id)).participation_code == before.participation_code
    [done] = await client.send("yes")
    assert shown(done).startswith("Corrected: how they took part for")
    after = await latest_review(demo, child.id)
    assert (after.participation_code, after.held_on, after.late_reason) == (
        wanted, before.held_on, before.late_reason)  # fmt: skip
    audited = await demo.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "review.correct", AuditEntry.entity_id == str(child.id)))  # fmt: skip
    assert audited == 1


async def test_where_it_was_held_is_asked_from_the_list_and_no_writes_nothing(
    demo: Demo,  # noqa: F811
) -> None:
    child = unique_named(await demo.children_of(ALEX.email))[5]
    before = await latest_review(demo, child.id)
    client = demo.client()
    await client.send(f"correct {child.given_name} {child.family_name}'s review")
    [asked] = await client.send("where it was held")
    assert "Where was the review held?" in shown(asked) and "1. West Berkshire" in shown(asked)
    [summary] = await client.send("in oxfordshire")
    assert "Where it was held, corrected: Oxfordshire" in shown(summary)
    [dropped] = await client.send("no")
    assert "haven't saved" in shown(dropped).lower() or "nothing" in shown(dropped).lower()
    assert (await latest_review(demo, child.id)).held_at == before.held_at


async def test_a_social_worker_is_told_who_can_correct_a_review(demo: Demo) -> None:  # noqa: F811
    child = unique_named(await demo.children_of(ALEX.email))[4]
    [refused] = await demo.client(MEGAN_T).send(
        f"change the participation for {child.given_name} {child.family_name}'s last review")
    assert shown(refused).startswith("Only the child's IRO") and "Nothing was saved" in shown(
        refused)  # fmt: skip
