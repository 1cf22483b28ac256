"""The small reads the scheduler (``bot/workers/scheduler.py``) needs to decide which reminders
are due.

Each returns the plain facts ``domain.reminders`` takes (staff ids, dates), so the rules stay in
the domain. Every read is bounded by a date range on an indexed column, so a tick costs the
same whether the store holds last month or ten years:

- open IRs whose stored running deadline (``stage_due``/``formal_due``) is on or before a
  horizon (the warning point plus some slack);
- bookings of reviews in the next few working days;
- reviews held in the last few weeks whose decisions or minutes are not recorded as sent.

Nothing here writes or commits: the caller owns the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.issues_resolution import IRStatus
from domain.permissions import visibility_for
from domain.ports import ChildSummary, Role, StaffMember
from domain.reminders import BookingFacts, HeldReviewFacts, IrFacts
from storage.models import (
    Child,
    IrStageEntry,
    IssueResolution,
    Notification,
    Review,
    ReviewBooking,
    Staff,
)
from storage.repositories import SqlChildRepository, child_display_name
from storage.repositories.ir_lists import IrListScope, IrSummary, list_irs
from storage.repositories.issues import load_ir
from storage.repositories.staff import to_staff_member

#: A booking still to be held (review_bookings.status).
BOOKED = "booked"
# Keys looked up per statement: well under SQLite's and asyncpg's parameter limits.
_KEY_CHUNK = 500


@dataclass(frozen=True)
class ChildLabel:
    """How a reminder names a child (the display name, else the authority's id), and the
    child's IRO (or covering IRO): the person the social worker's reports go to."""

    pk: int
    child_id: str
    name: str
    iro_id: int | None = None
    iro_name: str | None = None


# -- Issues Resolution ------------------------------------------------------------------------


async def ir_candidates(session: AsyncSession, through: date) -> list[str]:
    """References of unresolved IRs with a running deadline on or before ``through``.

    The stored deadlines are the running ones (``storage.repositories.issues``): ``stage_due``
    only while a response is owed, ``formal_due`` only while a formal IR is open. This is a
    filter only; the domain recomputes each IR's deadlines from its history.
    """
    rows = await session.scalars(
        select(IssueResolution.reference)
        .where(
            IssueResolution.status != IRStatus.RESOLVED.value,
            or_(IssueResolution.stage_due <= through, IssueResolution.formal_due <= through),
        )
        .order_by(IssueResolution.reference)
    )
    return list(rows)


async def ir_facts(session: AsyncSession, reference: str) -> IrFacts:
    """One IR as the domain's reminder rules take it: the IR and who its reminders go to.

    The stage owner's delegate is whoever the owner has named now (``staff.delegate_id``),
    as the IR card decides who may answer.
    """
    ir, row = await load_ir(session, reference)
    owner_id = await session.scalar(
        select(IrStageEntry.owner_id)
        .where(IrStageEntry.ir_id == row.id)
        .order_by(IrStageEntry.seq.desc())
        .limit(1)
    )
    delegate_id = None
    if owner_id is not None:
        delegate_id = await session.scalar(select(Staff.delegate_id).where(Staff.id == owner_id))
    return IrFacts(
        ir=ir,
        version=row.version,
        child_pk=row.child_pk,
        iro_id=row.raised_by_id,
        owner_id=owner_id,
        delegate_id=delegate_id,
    )


# -- staff ------------------------------------------------------------------------------------


async def active_staff(session: AsyncSession, staff_ids: Iterable[int]) -> dict[int, StaffMember]:
    """The active members of staff among ``staff_ids``: nobody who has left is reminded."""
    wanted = sorted(set(staff_ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(Staff).where(Staff.id.in_(wanted), Staff.active.is_(True)))
    return {row.id: to_staff_member(row) for row in rows}


async def qa_manager_ids(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(Staff.id)
        .where(Staff.role == Role.QA_MANAGER.value, Staff.active.is_(True))
        .order_by(Staff.id)
    )
    return list(rows)


async def active_iros(session: AsyncSession) -> list[StaffMember]:
    rows = await session.scalars(
        select(Staff).where(Staff.role == Role.IRO.value, Staff.active.is_(True)).order_by(Staff.id)
    )
    return [to_staff_member(row) for row in rows]


# -- reviews ----------------------------------------------------------------------------------


async def booking_facts(session: AsyncSession, first: date, last: date) -> list[BookingFacts]:
    """Reviews booked (not yet held or cancelled) for ``first`` to ``last``, with the child's
    social worker."""
    rows = await session.execute(
        select(ReviewBooking.id, ReviewBooking.child_pk, ReviewBooking.booked_for,
               Child.social_worker_id)
        .join(Child, Child.id == ReviewBooking.child_pk)
        .where(ReviewBooking.status == BOOKED, ReviewBooking.booked_for >= first,
               ReviewBooking.booked_for <= last)
        .order_by(ReviewBooking.booked_for, ReviewBooking.id)
    )  # fmt: skip
    return [BookingFacts(*row) for row in rows]


async def held_review_facts(
    session: AsyncSession, held_from: date, held_to: date, *, iro_id: int | None = None
) -> list[HeldReviewFacts]:
    """Reviews held from ``held_from`` to ``held_to`` with decisions or minutes not yet sent.

    They go to the child's IRO, or the covering IRO when the child has none: the IRO who holds
    the caseload now answers for its paperwork. ``iro_id``: only that IRO's.
    """
    iro = func.coalesce(Child.iro_id, Child.covering_iro_id)
    query = (
        select(Review.id, Review.child_pk, Review.held_on, iro, Review.decisions_sent_on,
               Review.minutes_sent_on)
        .join(Child, Child.id == Review.child_pk)
        .where(Review.held_on >= held_from, Review.held_on <= held_to,
               or_(Review.decisions_sent_on.is_(None), Review.minutes_sent_on.is_(None)))
        .order_by(Review.held_on, Review.id)
    )  # fmt: skip
    if iro_id is not None:
        query = query.where(iro == iro_id)
    rows = await session.execute(query)
    return [HeldReviewFacts(*row) for row in rows]


async def child_labels(
    session: AsyncSession, child_pks: Iterable[int | None]
) -> dict[int, ChildLabel]:
    wanted = sorted({pk for pk in child_pks if pk is not None})
    if not wanted:
        return {}
    iro_id = func.coalesce(Child.iro_id, Child.covering_iro_id)
    rows = await session.execute(
        select(Child.id, Child.child_id, Child.given_name, Child.family_name, iro_id,
               Staff.display_name)
        .outerjoin(Staff, Staff.id == iro_id)
        .where(Child.id.in_(wanted))
    )  # fmt: skip
    return {
        pk: ChildLabel(pk, child_id, child_display_name(given, family) or child_id, iro, name)
        for pk, child_id, given, family, iro, name in rows
    }


# -- the outbox -------------------------------------------------------------------------------


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the outbox already holds: those reminders went on an earlier tick.

    Asked before building anything, so a tick with nothing new reads and never writes (on
    SQLite a write would take the database's one write lock from the bot's turns).
    """
    found: set[str] = set()
    unique = sorted(set(keys))
    for start in range(0, len(unique), _KEY_CHUNK):
        chunk = unique[start : start + _KEY_CHUNK]
        found.update(
            await session.scalars(
                select(Notification.idempotency_key).where(Notification.idempotency_key.in_(chunk))
            )
        )
    return found


# -- the weekly digest ------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestData:
    """What one IRO's digest lists (all read with the IRO's own visibility)."""

    iro: StaffMember
    first: date
    last: date
    due: list[ChildSummary]  # next review due from ``first`` to ``last``
    overdue: list[ChildSummary]  # next review due before ``first``
    follow_ups: list[HeldReviewFacts]  # reviews held recently, decisions or minutes not sent
    irs: list[IrSummary]  # open IRs the IRO raised
    children: dict[int, ChildLabel]  # labels for ``follow_ups``

    @property
    def child_pks(self) -> list[int]:
        """Every child the digest names (for the audit log)."""
        pks = [c.pk for c in (*self.due, *self.overdue)]
        pks += [f.child_pk for f in self.follow_ups]
        pks += [i.child_pk for i in self.irs if i.child_pk is not None]
        return sorted(set(pks))


async def digest_data(
    session: AsyncSession, iro: StaffMember, first: date, last: date, held_from: date
) -> DigestData:
    visibility = visibility_for(iro)
    children = SqlChildRepository(session)
    due = await children.due_between(iro.id, first, last, visibility)
    overdue = await children.overdue(iro.id, first, visibility)
    follow_ups = await held_review_facts(session, held_from, first, iro_id=iro.id)
    irs = await list_irs(session, iro.id, visibility, IrListScope.RAISED, limit=50)
    labels = await child_labels(session, [f.child_pk for f in follow_ups])
    return DigestData(iro, first, last, due, overdue, follow_ups, irs, labels)
