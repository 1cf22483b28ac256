"""Children's participation in their reviews (seed report 14.1, 14.2): the query.

Reads every review held in the span with its SSDA903 participation code, who chaired it where
recorded, and the child's date of birth; the counting rules are in
``domain.report_participation``, the section is ``services.reports.participation``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.report_participation import ParticipationFact
from domain.reporting import Period
from storage.models import Child, Review


async def load_participation_facts(session: AsyncSession, span: Period) -> list[ParticipationFact]:
    rows = await session.execute(
        select(
            Child.child_id,
            Child.date_of_birth,
            Review.held_on,
            Review.participation_code,
            Review.chaired_by_child,
        )
        .join(Child, Child.id == Review.child_pk)
        .where(Review.held_on >= span.start, Review.held_on <= span.end)
    )
    return [
        ParticipationFact(
            child_key=row.child_id,
            held_on=row.held_on,
            code=row.participation_code,
            born_on=row.date_of_birth,
            chaired_by_child=row.chaired_by_child,
        )
        for row in rows
    ]
