"""Refreshing the stored review schedule of every child an import touched, in its transaction.

``storage.schedule.refresh_review_schedule`` does one child in four round trips, which is right
for the bot and slow for a caseload: importing 5,000 new children took 38 s that way, 6 s so.
``refresh_schedules`` locks, reads and computes a batch at a time through the same
``schedule_columns``, so the stored dates are the same whichever path wrote them (the tests
check every imported child against ``refresh_review_schedule``). A handful of children still go
through the one-child function.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.rules import RuleSet
from storage.importers.common import chunks
from storage.models import Child
from storage.schedule import (
    among,
    brought_forward_by_child,
    refresh_review_schedule,
    reviews_held_by_child,
    schedule_columns,
)

_ONE_BY_ONE = 20  # up to this many children, the one-child function is as quick


def _schedule_may_change(child: Child) -> bool:
    """False only when refreshing is certainly a no-op.

    A child who is not looked after has no schedule; one who has none stored already has
    nothing to clear. An SSDA903 return adds reviews for thousands of such children.
    """
    return child.looked_after_since is not None or child.next_review_due is not None


async def refresh_schedules(
    session: AsyncSession, children: Iterable[Child], rules: RuleSet
) -> int:
    """``refresh_review_schedule`` for each of ``children``; returns how many changed."""
    todo = [child for child in children if _schedule_may_change(child)]
    if len(todo) <= _ONE_BY_ONE:
        return sum([await refresh_review_schedule(session, child, rules) for child in todo])
    await session.flush()  # new children need ids; new reviews must be readable
    changed = 0
    for batch in chunks(todo, 500):
        ids = [child.id for child in batch]
        # Lock the rows first, as refresh_review_schedule does, so a review recorded by the bot
        # meanwhile (PostgreSQL) waits for this transaction instead of being overwritten.
        await session.execute(select(Child.id).where(Child.id.in_(ids)).with_for_update())
        reviews = await reviews_held_by_child(session, among(ids))
        directions = await brought_forward_by_child(session, among(ids))
        for child in batch:
            after = schedule_columns(
                child.looked_after_since, reviews[child.id], directions[child.id], rules
            )
            before = (
                child.next_review_due,
                child.next_review_practical,
                child.next_review_rule,
                child.next_review_number,
            )
            if after != before:
                (
                    child.next_review_due,
                    child.next_review_practical,
                    child.next_review_rule,
                    child.next_review_number,
                ) = after
                changed += 1
    return changed
