"""Keeping each child's stored next-review date equal to what the domain computes.

Call ``refresh_review_schedule`` after any change to a child's period of care, reviews or
brought-forward directions, in the same transaction; ``recompute_all`` after a rules or holiday
change (`iro-bot recompute`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reviews import BroughtForward, ReviewHeld, ReviewPart, review_schedule
from domain.rules import RuleSet
from storage.models import BroughtForwardDirection, Child, Review


async def refresh_review_schedule(session: AsyncSession, child: Child, rules: RuleSet) -> bool:
    """Recompute and store ``child``'s next review; True when anything changed."""
    before = (
        child.next_review_due,
        child.next_review_practical,
        child.next_review_rule,
        child.next_review_number,
    )
    if child.looked_after_since is None:
        after: tuple = (None, None, None, None)
    else:
        held = [
            ReviewHeld(r.held_on, ReviewPart(r.part))
            for r in (
                await session.scalars(select(Review).where(Review.child_pk == child.id))
            ).all()
        ]
        directions = [
            BroughtForward(d.review_by, d.directed_on, d.reason)
            for d in (
                await session.scalars(
                    select(BroughtForwardDirection).where(
                        BroughtForwardDirection.child_pk == child.id
                    )
                )
            ).all()
        ]
        schedule = review_schedule(child.looked_after_since, held, rules, directions)
        due = schedule.next_due
        after = (due.due, due.practical_due, due.rule_id, schedule.next_number)
    if after == before:
        return False
    (
        child.next_review_due,
        child.next_review_practical,
        child.next_review_rule,
        child.next_review_number,
    ) = after
    return True


async def recompute_all(session: AsyncSession, rules: RuleSet, batch_size: int = 500) -> int:
    """Recompute every child's schedule; returns how many changed. Commits per batch."""
    changed = 0
    last_id = 0
    while True:
        children = (
            await session.scalars(
                select(Child).where(Child.id > last_id).order_by(Child.id).limit(batch_size)
            )
        ).all()
        if not children:
            return changed
        for child in children:
            changed += await refresh_review_schedule(session, child, rules)
        last_id = children[-1].id
        await session.commit()
