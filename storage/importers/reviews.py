"""Writing CIC reviews already held, from a reviews file (read and checked by
``services.imports.reviews``).

A review is identified by child, date and part, so a record is either new (created), already
stored with the same ``chaired`` (unchanged), or stored and now given a ``chaired`` answer
(updated: a blank never clears one already recorded). A child who gets a new review has their
next review date recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reviews import ReviewPart
from storage.importers.common import Written, children_by_id, chunks, insert_rows
from storage.models import Review


@dataclass(frozen=True)
class ReviewRow:
    line: int
    child_id: str
    held_on: date
    part: ReviewPart
    chaired_by_child: bool | None = None


async def write_reviews(session: AsyncSession, records: Sequence[ReviewRow]) -> Written:
    """Add each review not stored yet; record a ``chaired`` answer on one that is."""
    written = Written()
    children = await children_by_id(session, (r.child_id for r in records))
    held: dict[tuple[int, date, str], Review] = {}
    for batch in chunks({c.id for c in children.values()}):
        for review in await session.scalars(select(Review).where(Review.child_pk.in_(batch))):
            held[(review.child_pk, review.held_on, review.part)] = review
    new: list[dict[str, object]] = []
    for record in records:
        child = children[record.child_id]
        key = (child.id, record.held_on, record.part.value)
        stored = held.get(key)
        if stored is not None:
            chaired = record.chaired_by_child
            if chaired is not None and stored.chaired_by_child != chaired:
                stored.chaired_by_child = chaired
                written.outcomes.append("updated")
            else:
                written.outcomes.append("unchanged")
            continue
        new.append(
            {
                "child_pk": child.id,
                "held_on": record.held_on,
                "part": record.part.value,
                "chaired_by_child": record.chaired_by_child,
                "source": "import",
            }
        )
        written.schedule_changed.append(child)
        written.outcomes.append("created")
    await insert_rows(session, Review, new)
    return written
