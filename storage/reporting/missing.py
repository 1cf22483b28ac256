"""Children missing from care (domain brief 7; seed report 19.4, 19.10-19.12, 19.16; MISS-STRAT).

Episodes are numbered among all of a child's recorded episodes and MISS-STRAT windows may open
before the period, so the query loads every episode (to the span's end) of each child who had
one in the span, not only the episodes in the span. The counting rules are in
``domain.report_missing``; the section is ``services.reports.missing``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.report_missing import MissingFact
from domain.reporting import Period
from storage.models import Child, MissingEpisode


async def load_missing_facts(session: AsyncSession, span: Period) -> list[MissingFact]:
    """Every episode, started by the span's end, of each child with an episode in the span."""
    wanted = (
        select(MissingEpisode.child_pk)
        .where(MissingEpisode.started_on >= span.start, MissingEpisode.started_on <= span.end)
        .distinct()
    )
    rows = await session.execute(
        select(
            Child.child_id,
            Child.date_of_birth,
            Child.sex,
            MissingEpisode.started_on,
            MissingEpisode.ended_on,
            MissingEpisode.kind,
            MissingEpisode.rhi_outcome,
        )
        .join(Child, Child.id == MissingEpisode.child_pk)
        .where(MissingEpisode.child_pk.in_(wanted), MissingEpisode.started_on <= span.end)
    )
    return [
        MissingFact(
            child_key=row.child_id,
            started_on=row.started_on,
            ended_on=row.ended_on,
            kind=row.kind,
            rhi_outcome=row.rhi_outcome or "not_recorded",
            born_on=row.date_of_birth,
            sex=row.sex,
        )
        for row in rows
    ]
