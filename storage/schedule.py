"""Keeping each child's stored next-review date equal to what the domain computes.

Call ``refresh_review_schedule`` after any change to a child's period of care, reviews or
brought-forward directions, in the same transaction; ``recompute_all`` after a rules or holiday
change (`iro-bot recompute`). Both go through ``schedule_columns``, so a child's stored date is
the same whichever path wrote it.

Concurrency (several bot instances share PostgreSQL): both paths lock the child's row
(``SELECT ... FOR UPDATE``) before reading its reviews, so a review recorded while a recompute
runs is never overwritten by a date computed without it. SQLite has one writer at a time and
ignores ``FOR UPDATE``; there a review committed between a recompute batch's read and its write
can be missed until the next refresh or recompute (rare: the window is one batch, milliseconds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reviews import BroughtForward, ReviewHeld, ReviewPart, review_schedule
from domain.rules import RuleSet
from storage.models import BroughtForwardDirection, Child, Review

# Looked up by value once per review row: calling the enum is slow enough to show at 100k children.
_PARTS = {part.value: part for part in ReviewPart}


def _part(stored: str) -> ReviewPart:
    return _PARTS.get(stored) or ReviewPart.parse(stored)  # parse: tolerant, or a clear error


#: (next_review_due, next_review_practical, next_review_rule, next_review_number)
ScheduleColumns = tuple[date | None, date | None, str | None, int | None]
NO_SCHEDULE: ScheduleColumns = (None, None, None, None)


def schedule_columns(
    looked_after_since: date | None,
    reviews: Iterable[ReviewHeld],
    directions: Iterable[BroughtForward],
    rules: RuleSet,
) -> ScheduleColumns:
    """The stored schedule columns for one child: what the domain says, nothing else."""
    if looked_after_since is None:
        return NO_SCHEDULE
    schedule = review_schedule(looked_after_since, reviews, rules, directions)
    due = schedule.next_due
    return (due.due, due.practical_due, due.rule_id, schedule.next_number)


def _stored(child: Child) -> ScheduleColumns:
    return (
        child.next_review_due,
        child.next_review_practical,
        child.next_review_rule,
        child.next_review_number,
    )


# Built once (every "next review" answer runs it): SQLAlchemy spends longer building a
# statement and its cache key than running one it already has. One statement for both kinds of
# row, a review ("R": held on, part) or a brought-forward direction ("B": review by, reason,
# directed on), because each statement a turn runs costs ~0.3 ms of CPU in SQLAlchemy and the
# driver, far more than the database's work here. The first SELECT's columns type the result,
# hence the typed NULL.
_REVIEW_INPUTS_OF = union_all(
    select(
        literal_column("'R'").label("kind"),
        Review.held_on.label("on"),
        Review.part.label("text"),
        cast(null(), Date).label("directed_on"),
    ).where(Review.child_pk == bindparam("child_pk")),
    select(
        literal_column("'B'"),
        BroughtForwardDirection.review_by,
        BroughtForwardDirection.reason,
        BroughtForwardDirection.directed_on,
    ).where(BroughtForwardDirection.child_pk == bindparam("child_pk")),
)


#: Which children a batch read is for, as a condition on a ``child_pk`` column: ``lambda pk:
#: pk.in_(ids)``, ``lambda pk: pk.between(first, last)``.
ChildFilter = Callable[[Any], ColumnElement[bool]]


def among(ids: Sequence[int] | Select[Any]) -> ChildFilter:
    """The children with these keys (a list, or a SELECT of them)."""
    return lambda pk: pk.in_(ids)


async def reviews_held_by_child(
    session: AsyncSession, children: ChildFilter
) -> dict[int, list[ReviewHeld]]:
    """The reviews held by each child ``children`` selects, as the domain takes them."""
    reviews: dict[int, list[ReviewHeld]] = defaultdict(list)
    for child_pk, held_on, part in await session.execute(
        select(Review.child_pk, Review.held_on, Review.part).where(children(Review.child_pk))
    ):
        reviews[child_pk].append(ReviewHeld(held_on, _part(part)))
    return reviews


async def brought_forward_by_child(
    session: AsyncSession, children: ChildFilter
) -> dict[int, list[BroughtForward]]:
    """The brought-forward directions (CIC-BF) of each child ``children`` selects: the one batch
    query for them (recompute, imports and the report). One child's are read with its reviews,
    in one statement, by ``load_review_inputs``."""
    directions: dict[int, list[BroughtForward]] = defaultdict(list)
    for child_pk, review_by, directed_on, reason in await session.execute(
        select(
            BroughtForwardDirection.child_pk,
            BroughtForwardDirection.review_by,
            BroughtForwardDirection.directed_on,
            BroughtForwardDirection.reason,
        ).where(children(BroughtForwardDirection.child_pk))
    ):
        directions[child_pk].append(BroughtForward(review_by, directed_on, reason))
    return directions


async def load_review_inputs(
    session: AsyncSession, child_pk: int
) -> tuple[list[ReviewHeld], list[BroughtForward]]:
    """One child's reviews held and brought-forward directions, as the domain takes them."""
    reviews: list[ReviewHeld] = []
    directions: list[BroughtForward] = []
    for kind, on, text, directed_on in await session.execute(
        _REVIEW_INPUTS_OF, {"child_pk": child_pk}
    ):
        if kind == "R":
            reviews.append(ReviewHeld(on, _part(text)))
        else:
            directions.append(BroughtForward(on, directed_on, text))
    return reviews, directions


async def refresh_review_schedule(session: AsyncSession, child: Child, rules: RuleSet) -> bool:
    """Recompute and store ``child``'s next review; True when anything changed."""
    # Flush the caller's pending changes (a new review, a changed start date) and take the
    # row lock, refreshing the child so "before" is what is stored now, not what was loaded.
    await session.flush()
    if child.id is not None:
        await session.execute(
            select(Child)
            .where(Child.id == child.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    before = _stored(child)
    reviews: list[ReviewHeld] = []
    directions: list[BroughtForward] = []
    if child.looked_after_since is not None:
        reviews, directions = await load_review_inputs(session, child.id)
    after = schedule_columns(child.looked_after_since, reviews, directions, rules)
    if after == before:
        return False
    (
        child.next_review_due,
        child.next_review_practical,
        child.next_review_rule,
        child.next_review_number,
    ) = after
    return True


@dataclass(frozen=True)
class RecomputeResult:
    checked: int
    changed: int


async def recompute_all(
    session: AsyncSession, rules: RuleSet, batch_size: int = 2000, retries: int = 3
) -> RecomputeResult:
    """Recompute every child's schedule; commits per batch (so progress survives a failure).

    Per batch of children (keyset order by id) there are three reads, one for the children and
    one each for the reviews and directions of the whole id range, then one executemany UPDATE
    of the children whose schedule changed: the cost is linear in the data, with no query per
    child. A batch that hits a lock conflict or deadlock is rolled back and retried alone.
    """
    checked = changed = 0
    last_id = 0
    while True:
        for attempt in range(retries + 1):
            try:
                batch = await _recompute_batch(session, rules, last_id, batch_size)
                await session.commit()
                break
            except DBAPIError:
                await session.rollback()
                if attempt == retries:
                    raise
        if batch is None:
            return RecomputeResult(checked, changed)
        batch_checked, batch_changed, last_id = batch
        checked += batch_checked
        changed += batch_changed


async def _recompute_batch(
    session: AsyncSession, rules: RuleSet, after_id: int, batch_size: int
) -> tuple[int, int, int] | None:
    """(checked, changed, last id) for the next batch after ``after_id``; None when done."""
    children = (
        await session.execute(
            select(
                Child.id,
                Child.looked_after_since,
                Child.next_review_due,
                Child.next_review_practical,
                Child.next_review_rule,
                Child.next_review_number,
            )
            .where(Child.id > after_id)
            .order_by(Child.id)
            .limit(batch_size)
            .with_for_update()
        )
    ).all()
    if not children:
        return None
    first_id, last_id = children[0].id, children[-1].id
    # A range on child_pk (its index) rather than IN (...2000 ids...): every row in the range
    # belongs to this batch because the batch is every child with an id in it.
    def in_batch(pk: Any) -> ColumnElement[bool]:
        return pk.between(first_id, last_id)

    reviews = await reviews_held_by_child(session, in_batch)
    directions = await brought_forward_by_child(session, in_batch)

    updates = []
    for pk, since, *stored in children:
        after = schedule_columns(since, reviews.get(pk, ()), directions.get(pk, ()), rules)
        if after != tuple(stored):
            due, practical, rule_id, number = after
            updates.append(
                {
                    "id": pk,
                    "next_review_due": due,
                    "next_review_practical": practical,
                    "next_review_rule": rule_id,
                    "next_review_number": number,
                }
            )
    if updates:
        # ORM bulk UPDATE by primary key: one executemany, updated_at set by its onupdate.
        await session.execute(update(Child), updates)
    return len(children), len(updates), last_id
