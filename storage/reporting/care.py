"""Children in care (seed report 7.1, 7.3): the query behind the section ``services.reports.care``.

``load_children_in_care`` is also what the leaving-care and caseload sections read: every child
with a period of care touching the two periods, with their periods, date of birth, UASC flag and
allocated IRO.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.report_care import ChildCare, care_history
from domain.reporting import Period
from storage.models import Child, PeriodOfCare, Review, Staff


@dataclass(frozen=True)
class CareData:
    children: tuple[ChildCare, ...]
    # When each child with a review in the span but no known period of care had those reviews
    # (one date per child and review): they were looked after, but from when is not known.
    reviewed_without_period: tuple[tuple[str, date], ...]


async def load_children_in_care(session: AsyncSession, span: Period) -> CareData:
    touching = and_(
        PeriodOfCare.started_on <= span.end,
        or_(PeriodOfCare.ended_on.is_(None), PeriodOfCare.ended_on >= span.start),
    )
    wanted = select(PeriodOfCare.child_pk).where(touching)
    stored: dict[int, list[tuple[date, date | None, str | None]]] = defaultdict(list)
    for pk, started, ended, reason in await session.execute(
        select(
            PeriodOfCare.child_pk,
            PeriodOfCare.started_on,
            PeriodOfCare.ended_on,
            PeriodOfCare.reason_ended,
        ).where(touching)
    ):
        stored[pk].append((started, ended, reason))
    rows = await session.execute(
        select(
            Child.id,
            Child.child_id,
            Child.looked_after_since,
            Child.date_of_birth,
            Child.uasc,
            Staff.display_name,
        )
        .outerjoin(Staff, Staff.id == Child.iro_id)
        .where(or_(Child.id.in_(wanted), Child.looked_after_since <= span.end))
    )
    children = [
        ChildCare(
            child_key=child_id,
            periods=care_history(stored.get(pk, []), since),
            date_of_birth=born,
            uasc=bool(uasc),
            iro=iro,
        )
        for pk, child_id, since, born, uasc, iro in rows
    ]
    has_period = select(PeriodOfCare.child_pk)
    reviewed = await session.execute(
        select(Child.child_id, Review.held_on)
        .join(Child, Child.id == Review.child_pk)
        .where(
            Review.held_on >= span.start,
            Review.held_on <= span.end,
            Child.looked_after_since.is_(None),
            Child.id.not_in(has_period),
        )
    )
    return CareData(tuple(children), tuple((child, held) for child, held in reviewed))
