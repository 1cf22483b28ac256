"""In-memory fakes of the unit of work and its repositories (``services.unit_of_work``).

As in cosmicpython (``tests/unit/test_services.py``: ``FakeRepository``, ``FakeUnitOfWork``):
the review use cases run on plain dicts and lists, so they can be tested without a database, and
``tests/integration/test_review_use_cases.py`` runs the same assertions on this fake, SQLite and
PostgreSQL, which keeps the fake honest.

Standard library and ``domain`` only: a fake that borrowed ``storage`` code (its schedule
columns, say) would pass by running the code it is meant to stand in for.

One unit of work at a time: a commit replaces what is stored with the unit of work's copy, so
two overlapping units of work would lose the first one's changes, where a database would order
them or refuse one. No test runs two at once.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import Any

from domain.names import normalise_name
from domain.paperwork import Paperwork
from domain.ports import ChildSummary, NameCandidate, StaffMember, Visibility
from domain.reviews import BroughtForward, ReviewHeld, ReviewPart, review_schedule
from domain.rules import RuleSet

# -- the rows --------------------------------------------------------------------------------


@dataclass
class FakeChild:
    """A child's row: what the use cases read, and the stored schedule they keep up to date."""

    id: int
    child_id: str
    looked_after_since: date | None
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    service_area: str | None = None
    iro_id: int | None = None
    covering_iro_id: int | None = None
    social_worker_id: int | None = None
    next_review_due: date | None = None
    next_review_practical: date | None = None
    next_review_rule: str | None = None
    next_review_number: int | None = None


@dataclass
class FakeReview:
    id: int
    child_pk: int
    held_on: date
    part: str  # a ReviewPart value, as the reviews table keeps it
    recorded_by_id: int | None = None
    late_reason: str | None = None
    decisions_sent_on: date | None = None
    minutes_sent_on: date | None = None


@dataclass
class FakeBooking:
    id: int
    child_pk: int
    booked_for: date
    booked_by_id: int | None
    status: str = "booked"  # booked, held, cancelled


@dataclass
class FakeDirection:
    """CIC-BF: the IRO's direction that the next review be held by ``review_by``."""

    id: int
    child_pk: int
    review_by: date
    directed_on: date
    reason: str
    directed_by_id: int | None


@dataclass(frozen=True)
class FakeAuditEntry:
    action: str
    actor_staff_id: int | None = None
    actor_external_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None  # text, as the audit table keeps it
    outcome: str = "ok"
    detail: dict[str, Any] | None = None


@dataclass
class FakeData:
    """Everything the fake store holds (deep-copied whole for each unit of work)."""

    staff: dict[int, StaffMember] = field(default_factory=dict)
    children: dict[int, FakeChild] = field(default_factory=dict)
    reviews: list[FakeReview] = field(default_factory=list)
    bookings: list[FakeBooking] = field(default_factory=list)
    directions: list[FakeDirection] = field(default_factory=list)
    audit: list[FakeAuditEntry] = field(default_factory=list)
    last_id: int = 0

    def new_id(self) -> int:
        """One sequence for every kind of row: ids need only be unique, not dense."""
        self.last_id += 1
        return self.last_id

    # Set-up helpers, for tests: they write here directly, as a test inserts rows.

    def add_staff(self, email: str, display_name: str, role: str, **fields: Any) -> StaffMember:
        member = StaffMember(self.new_id(), email.lower(), display_name, role, **fields)
        self.staff[member.id] = member
        return member

    def add_child(self, child_id: str, looked_after_since: date | None, **fields: Any
                  ) -> FakeChild:  # fmt: skip
        child = FakeChild(self.new_id(), child_id, looked_after_since, **fields)
        self.children[child.id] = child
        return child


@dataclass
class FakeStore:
    """What is committed; each ``FakeUnitOfWork`` works on a copy of it."""

    committed: FakeData = field(default_factory=FakeData)


def summary(child: FakeChild, staff: dict[int, StaffMember]) -> ChildSummary:
    """The child as ``ChildRepository`` reads it, with its staff's names."""

    def name(staff_id: int | None) -> str | None:
        member = None if staff_id is None else staff.get(staff_id)
        return None if member is None else member.display_name

    return ChildSummary(
        pk=child.id, child_id=child.child_id, given_name=child.given_name,
        family_name=child.family_name, date_of_birth=child.date_of_birth,
        service_area=child.service_area, looked_after_since=child.looked_after_since,
        next_review_due=child.next_review_due, next_review_practical=child.next_review_practical,
        next_review_rule=child.next_review_rule, next_review_number=child.next_review_number,
        iro_id=child.iro_id, iro_name=name(child.iro_id), covering_iro_id=child.covering_iro_id,
        covering_iro_name=name(child.covering_iro_id), social_worker_id=child.social_worker_id,
        social_worker_name=name(child.social_worker_id),
    )  # fmt: skip


# -- the repositories ------------------------------------------------------------------------


class FakeChildRepository:
    """``domain.ports.ChildRepository``, in part: the reads the use cases under test make.

    ``find_by_name``, ``due_between``, ``overdue`` and ``visible_to`` are not faked yet; a test
    that needs one adds it here (with ``Visibility.allows``, as below).
    """

    def __init__(self, data: FakeData) -> None:
        self._data = data

    def _visible(self, visibility: Visibility) -> list[ChildSummary]:
        every = (summary(child, self._data.staff) for child in self._data.children.values())
        return [child for child in every if visibility.allows(child)]

    async def get(self, pk: int, visibility: Visibility) -> ChildSummary | None:
        child = self._data.children.get(pk)
        if child is None:
            return None
        found = summary(child, self._data.staff)
        # Not visible and absent look the same, as the SQL filter makes them.
        return found if visibility.allows(found) else None

    async def get_by_child_id(self, child_id: str, visibility: Visibility) -> ChildSummary | None:
        wanted = child_id.strip()
        return next((c for c in self._visible(visibility) if c.child_id == wanted), None)

    async def can_see(self, pk: int, visibility: Visibility) -> bool:
        return await self.get(pk, visibility) is not None

    async def candidate_names(
        self, visibility: Visibility, limit: int | None = None
    ) -> list[NameCandidate]:
        candidates = [
            NameCandidate(c.pk, c.child_id, c.display_name, normalise_name(c.display_name),
                          c.given_name, c.family_name)
            for c in self._visible(visibility)
        ]  # fmt: skip
        candidates.sort(key=lambda c: (c.normalised, c.pk))  # the SQL order: folded name, key
        return candidates if limit is None else candidates[:limit]


class FakeStaffRepository:
    """``domain.ports.StaffRepository``."""

    def __init__(self, data: FakeData) -> None:
        self._data = data

    async def by_id(self, staff_id: int) -> StaffMember | None:
        return self._data.staff.get(staff_id)

    async def by_email(self, email: str) -> StaffMember | None:
        wanted = email.strip().lower()  # stored lower-case, as the people import stores them
        return next((s for s in self._data.staff.values() if wanted and s.email == wanted), None)

    async def by_aad_object_id(self, aad_object_id: str) -> StaffMember | None:
        wanted = aad_object_id.strip()
        return next(
            (s for s in self._data.staff.values() if wanted and s.aad_object_id == wanted), None
        )

    async def identify(self, aad_object_id: str | None, email: str | None) -> StaffMember | None:
        staff = await self.by_aad_object_id(aad_object_id) if aad_object_id else None
        if staff is None and email:
            staff = await self.by_email(email)
        return staff if staff is not None and staff.active else None

    async def by_ids(self, staff_ids: Sequence[int]) -> dict[int, StaffMember]:
        return {i: self._data.staff[i] for i in set(staff_ids) if i in self._data.staff}


_SENT_ON = {Paperwork.DECISIONS: "decisions_sent_on", Paperwork.MINUTES: "minutes_sent_on"}


class FakeReviewRecords:
    """``services.unit_of_work.ReviewRecords``: a child's reviews, bookings and directions."""

    def __init__(self, data: FakeData) -> None:
        self._data = data

    async def child(self, child_pk: int, visibility: Visibility) -> FakeChild | None:
        child = self._data.children.get(child_pk)
        if child is None or not visibility.allows(summary(child, self._data.staff)):
            return None
        return child

    async def inputs(self, child_pk: int) -> tuple[list[ReviewHeld], list[BroughtForward]]:
        reviews = [ReviewHeld(r.held_on, ReviewPart(r.part))
                   for r in self._data.reviews if r.child_pk == child_pk]  # fmt: skip
        directions = [BroughtForward(d.review_by, d.directed_on, d.reason)
                      for d in self._data.directions if d.child_pk == child_pk]  # fmt: skip
        return reviews, directions

    async def add_review(
        self, child_pk: int, held_on: date, part: ReviewPart, recorded_by_id: int,
        late_reason: str | None,
    ) -> None:  # fmt: skip
        # The reviews table's unique constraint: a use case that skipped its own check fails
        # here, as it would on a database, rather than passing on the fake alone.
        if any((r.child_pk, r.held_on, r.part) == (child_pk, held_on, part.value)
               for r in self._data.reviews):  # fmt: skip
            raise ValueError(f"a {part.value} review on {held_on} is already stored")
        self._data.reviews.append(FakeReview(
            self._data.new_id(), child_pk, held_on, part.value, recorded_by_id, late_reason
        ))  # fmt: skip

    async def mark_bookings_held(self, child_pk: int, held_on: date) -> None:
        for booking in self._data.bookings:
            if (booking.child_pk == child_pk and booking.status == "booked"
                    and booking.booked_for <= held_on):  # fmt: skip
                booking.status = "held"

    async def add_booking(self, child_pk: int, booked_for: date, booked_by_id: int) -> bool:
        if any(b.child_pk == child_pk and b.booked_for == booked_for and b.status == "booked"
               for b in self._data.bookings):  # fmt: skip
            return False
        self._data.bookings.append(
            FakeBooking(self._data.new_id(), child_pk, booked_for, booked_by_id)
        )
        return True

    async def add_direction(
        self, child_pk: int, review_by: date, directed_on: date, reason: str, directed_by_id: int
    ) -> None:
        self._data.directions.append(FakeDirection(
            self._data.new_id(), child_pk, review_by, directed_on, reason, directed_by_id
        ))  # fmt: skip

    async def refresh_schedule(self, child: FakeChild, rules: RuleSet) -> bool:
        """Store the next review as ``domain.reviews.review_schedule`` computes it."""
        row = self._data.children[child.id]  # the stored row, whichever copy was passed
        before = (row.next_review_due, row.next_review_practical, row.next_review_rule,
                  row.next_review_number)  # fmt: skip
        after: tuple[date | None, date | None, str | None, int | None] = (None, None, None, None)
        if row.looked_after_since is not None:
            reviews, directions = await self.inputs(row.id)
            schedule = review_schedule(row.looked_after_since, reviews, rules, directions)
            due = schedule.next_due
            after = (due.due, due.practical_due, due.rule_id, schedule.next_number)
        (row.next_review_due, row.next_review_practical, row.next_review_rule,
         row.next_review_number) = after  # fmt: skip
        return after != before

    async def latest_held_by(self, child_pk: int, day: date) -> FakeReview | None:
        held = [r for r in self._data.reviews if r.child_pk == child_pk and r.held_on <= day]
        return max(held, key=lambda r: (r.held_on, r.id), default=None)

    @staticmethod
    def paperwork_sent(review: FakeReview, kind: Paperwork) -> date | None:
        return getattr(review, _SENT_ON[kind])

    async def set_paperwork_sent(
        self, review: FakeReview, kinds: Sequence[Paperwork], sent_on: date
    ) -> None:
        for kind in kinds:
            setattr(review, _SENT_ON[kind], sent_on)


class FakeAuditLog:
    """``services.unit_of_work.AuditLog``: entries appended to a list, in the unit of work."""

    def __init__(self, data: FakeData) -> None:
        self._data = data

    async def record(
        self, action: str, *, actor_staff_id: int | None = None,
        actor_external_id: str | None = None, entity_type: str | None = None,
        entity_id: str | int | None = None, outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self._data.audit.append(FakeAuditEntry(
            action, actor_staff_id, actor_external_id, entity_type,
            None if entity_id is None else str(entity_id), outcome, detail,
        ))  # fmt: skip

    async def child_read(self, staff: StaffMember, child_pk: int, what: str) -> None:
        await self.record("child.read", actor_staff_id=staff.id, entity_type="child",
                          entity_id=child_pk, detail={"what": what})  # fmt: skip


# -- the unit of work ------------------------------------------------------------------------


class FakeUnitOfWork:
    """``services.unit_of_work.UnitOfWork`` over a ``FakeStore``.

        async with FakeUnitOfWork(store) as uow:   # commits when the block ends normally,
            await record_review(uow, ...)          # drops every change when it raises

    The repositories work on a deep copy of what was committed when the unit of work was made,
    so a rollback really discards the changes (the use cases mutate rows in place, as the ORM
    lets them: a shared copy could not be rolled back).
    """

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.data = copy.deepcopy(store.committed)  # the working copy
        self.children = FakeChildRepository(self.data)
        self.staff = FakeStaffRepository(self.data)
        self.reviews = FakeReviewRecords(self.data)
        self.audit = FakeAuditLog(self.data)

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:  # fmt: skip
        if exc_type is None:
            self.commit()
        # On an exception the working copy is simply dropped: nothing reached the store.

    def commit(self) -> None:
        # A copy again, so a change made through this unit of work after its commit (a bug in
        # a test) cannot reach the store unseen.
        self._store.committed = copy.deepcopy(self.data)
