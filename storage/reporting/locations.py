"""Where CIC reviews were held (seed report 11): the query.

Reads every review meeting held in the span (one row a full review, one a part of a split
review) with where it was held; the counting rules are in ``domain.report_locations``, the
section is ``services.reports.locations``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.report_locations import ReviewLocation
from domain.reporting import Period
from storage.models import Review


async def load_review_locations(session: AsyncSession, span: Period) -> list[ReviewLocation]:
    rows = await session.execute(
        select(Review.held_on, Review.held_at).where(
            Review.held_on >= span.start, Review.held_on <= span.end
        )
    )
    return [ReviewLocation(held_on=row.held_on, held_at=row.held_at) for row in rows]
