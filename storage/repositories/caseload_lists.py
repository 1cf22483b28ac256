"""The everyday questions' reads about a caseload and one child's record: how many children, who
is due, which reviews are booked (and who is due with none), and the facts of a child's record
that the child lookup does not read (UASC, the periods of care).

Persistence only: whose children a list covers is the domain's (``domain.permissions.scope_view``,
handed in as a ``Visibility``), what is shown the use cases' (``services.caseload``,
``services.child_facts``). Every read of children is filtered by ``visibility_clause``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ports import ChildSummary, Visibility
from storage.models import Child, PeriodOfCare, ReviewBooking
from storage.repositories.children import summary_select, to_summary
from storage.repositories.visibility import visibility_clause

# Table columns, as in children.py: the rows become plain values, not ORM objects.
_child = Child.__table__.c
_booking = ReviewBooking.__table__.c
_period = PeriodOfCare.__table__.c

#: A booking still to happen: booked (not held or cancelled). Those dated before today are
#: reviews whose holding was never recorded, and are not counted as booked from today.
BOOKED = "booked"


async def count_children(session: AsyncSession, visibility: Visibility) -> int:
    """How many children ``visibility`` covers."""
    if visibility.nothing:
        return 0
    found = await session.scalar(
        select(func.count()).select_from(Child.__table__).where(visibility_clause(visibility))
    )
    return int(found or 0)


async def caseload_counts(session: AsyncSession, visibility: Visibility) -> tuple[int, int]:
    """How many children ``visibility`` covers, and how many of them are in care now (a child
    whose care has ended stays on the record, with their IRO and social worker)."""
    if visibility.nothing:
        return 0, 0
    query = select(func.count(), func.count(_child.looked_after_since)).where(
        visibility_clause(visibility)
    )
    total, in_care = (await session.execute(query)).one()
    return int(total), int(in_care)


async def children_due(
    session: AsyncSession, visibility: Visibility, *, first: date | None = None,
    last: date | None = None, before: date | None = None, limit: int = 2000,
) -> list[ChildSummary]:  # fmt: skip
    """Children whose next review is due in ``[first, last]``, or before ``before`` (overdue),
    soonest first. For a caseload read by its visibility (an area, the whole service); one IRO's
    own dates have their indexed reads in ``SqlChildRepository.due_between`` and ``overdue``."""
    if visibility.nothing:
        return []
    due = _child.next_review_due
    if before is not None:
        condition = due < before
    else:
        assert first is not None and last is not None, "a window or a day to be overdue by"
        condition = and_(due >= first, due <= last)
    query = _in_due_order(summary_select().where(condition, visibility_clause(visibility)))
    return [to_summary(row) for row in await session.execute(query.limit(limit))]


def _in_due_order(query: Select[Any]) -> Select[Any]:
    return query.order_by(_child.next_review_due, _child.full_name_norm, _child.id)


# -- booked reviews -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BookedReview:
    child: ChildSummary  # its next_review_due is the date the booking is measured against
    booked_for: date


def _booked_from(today: date) -> Any:
    return and_(_booking.status == BOOKED, _booking.booked_for >= today)


async def bookings_of_child(session: AsyncSession, child_pk: int, today: date) -> list[date]:
    """The days a review is booked for the child, from ``today`` on, earliest first."""
    rows = await session.scalars(
        select(_booking.booked_for)
        .where(_booking.child_pk == child_pk, _booked_from(today))
        .order_by(_booking.booked_for)
    )
    return list(rows)


async def booked_reviews(
    session: AsyncSession, visibility: Visibility, today: date, limit: int
) -> list[BookedReview]:
    """The reviews booked from ``today`` on for the children ``visibility`` covers, by date."""
    if visibility.nothing or limit <= 0:
        return []
    query = (
        summary_select()
        .add_columns(_booking.booked_for)
        .join(ReviewBooking.__table__, _booking.child_pk == _child.id)
        .where(_booked_from(today), visibility_clause(visibility))
        .order_by(_booking.booked_for, _child.full_name_norm, _child.id)
        .limit(limit)
    )
    return [BookedReview(to_summary(row[:-1]), row[-1]) for row in await session.execute(query)]


async def due_without_booking(
    session: AsyncSession, visibility: Visibility, today: date, until: date, limit: int
) -> list[ChildSummary]:
    """Children whose next review is due by ``until`` (overdue included) with no review booked
    from ``today`` on, soonest due first: the reviews still to be arranged."""
    if visibility.nothing or limit <= 0:
        return []
    booked = exists().where(_booking.child_pk == _child.id, _booked_from(today))
    due = summary_select().where(
        _child.next_review_due <= until, ~booked, visibility_clause(visibility)
    )
    query = _in_due_order(due)
    return [to_summary(row) for row in await session.execute(query.limit(limit))]


# -- one child's record -------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFacts:
    """What a child's record holds beyond its ``ChildSummary``."""

    uasc: bool
    #: Every period of care, earliest first: (started, ended; None while it lasts).
    periods: tuple[tuple[date, date | None], ...]


async def record_facts(
    session: AsyncSession, child_pk: int, visibility: Visibility
) -> RecordFacts | None:
    """The child's UASC flag and periods of care (one statement); None when not visible."""
    query = (
        select(_child.uasc, _period.started_on, _period.ended_on)
        .select_from(
            Child.__table__.outerjoin(PeriodOfCare.__table__, _period.child_pk == _child.id)
        )
        .where(_child.id == child_pk, visibility_clause(visibility, as_filter=True))
        .order_by(_period.started_on)
    )
    rows = list(await session.execute(query))
    if not rows:
        return None
    periods = tuple((started, ended) for _, started, ended in rows if started is not None)
    return RecordFacts(bool(rows[0][0]), periods)
