"""The review use cases (``services.reviews``, ``services.paperwork``) with the same assertions on
three stores: the in-memory fake (``tests.fakes``), SQLite and PostgreSQL.

What a test stored, and the audit entries it wrote, are read back from the store itself (the
tables, or the fake's committed data), not through the repositories under test. A test that
passes on SQL and fails on the fake, or the other way round, is a fake that says something the
database does not.

The SQL cases are ``conftest.empty_engine``'s own (a SQLite file, a PostgreSQL schema per test;
PostgreSQL skipped without IRO_TEST_POSTGRES_URL and failed in CI without it): ``EVERY_BACKEND``
parametrises that fixture alongside ``backend``.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple, Protocol

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.errors import ChildNotVisible, DomainError, NotPermitted
from domain.paperwork import Paperwork
from domain.ports import SYSTEM, Role, StaffMember
from domain.review_details import ReviewDetails
from domain.reviews import (
    BroughtForward,
    ReviewHeld,
    ReviewPart,
    decisions_due,
    minutes_due,
    reports_due,
    review_schedule,
)
from domain.rules import load_rules
from services.paperwork import record_paperwork_sent
from services.reviews import (
    book_review,
    bring_forward,
    correct_review,
    next_review_due,
    preview_bring_forward,
    preview_review,
    record_review,
    review_on_record,
)
from services.unit_of_work import AuditLog, ReviewRecords, UnitOfWork
from storage.models import AuditEntry, BroughtForwardDirection, Child, Review, ReviewBooking
from tests.fakes import FakeAuditLog, FakeReviewRecords
from tests.integration.use_case_backends import FakeSeeding, SqlSeeding

RULES = load_rules()
AREA = "North"
SINCE = date(2025, 12, 19)  # a Friday: looked after since; CIC-1 due Wednesday 21 January 2026
FIRST_DUE = date(2026, 1, 21)
ON_TIME = date(2026, 1, 14)  # held before FIRST_DUE
LATE = date(2026, 1, 28)  # held after it
EARLY = date(2026, 1, 5)  # a "today" before the first review was due (to bring it forward)
TODAY = date(2026, 3, 2)  # a Monday, after both reviews
IF_LATE = ReviewDetails(late_reason=RULES.late_reasons[0])  # a reason from the list, if needed


# -- what a store holds, read back from the store itself ---------------------------------------


class StoredReview(NamedTuple):
    child_pk: int
    held_on: date
    part: str
    late_reason: str | None
    recorded_by_id: int | None
    decisions_sent_on: date | None
    minutes_sent_on: date | None
    #: What the report counts besides: part1_reason, participation, held_at, chaired.
    details: tuple[str | None, str | None, str | None, bool | None] = (None, None, None, None)


class StoredBooking(NamedTuple):
    child_pk: int
    booked_for: date
    status: str


class StoredDirection(NamedTuple):
    child_pk: int
    review_by: date
    directed_on: date
    reason: str
    directed_by_id: int | None


class StoredSchedule(NamedTuple):
    due: date | None
    practical: date | None
    rule: str | None
    number: int | None


@dataclass(frozen=True)
class Stored:
    reviews: list[StoredReview]
    bookings: list[StoredBooking]
    directions: list[StoredDirection]
    schedules: dict[int, StoredSchedule]  # by child key


class Backend(Protocol):
    async def add_staff(self, email: str, name: str, role: Role) -> StaffMember: ...

    async def add_child(self, child_id: str, iro: StaffMember, social_worker: StaffMember
                        ) -> int: ...  # fmt: skip

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Commits when the block ends normally, rolls back when it raises."""
        ...

    async def stored(self) -> Stored: ...

    async def audit(self) -> list[tuple[str, str]]:
        """Every audit entry's (action, outcome), oldest first."""
        ...


class FakeBackend(FakeSeeding):
    def __init__(self) -> None:
        super().__init__(SINCE, AREA)

    async def stored(self) -> Stored:
        data = self.store.committed
        return Stored(
            reviews=sorted(StoredReview(r.child_pk, r.held_on, r.part, r.late_reason,
                                        r.recorded_by_id, r.decisions_sent_on, r.minutes_sent_on,
                                        (r.details.part1_reason, r.details.participation,
                                         r.details.held_at, r.details.chaired_by_child))
                           for r in data.reviews),
            bookings=sorted(StoredBooking(b.child_pk, b.booked_for, b.status)
                            for b in data.bookings),
            directions=sorted(StoredDirection(d.child_pk, d.review_by, d.directed_on, d.reason,
                                              d.directed_by_id) for d in data.directions),
            schedules={c.id: StoredSchedule(c.next_review_due, c.next_review_practical,
                                            c.next_review_rule, c.next_review_number)
                       for c in data.children.values()},
        )  # fmt: skip

    async def audit(self) -> list[tuple[str, str]]:
        return [(entry.action, entry.outcome) for entry in self.store.committed.audit]


class SqlBackend(SqlSeeding):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions, SINCE, AREA)

    async def stored(self) -> Stored:
        async with self.sessions() as session:
            reviews = await session.execute(
                select(
                    Review.child_pk,
                    Review.held_on,
                    Review.part,
                    Review.late_reason,
                    Review.recorded_by_id,
                    Review.decisions_sent_on,
                    Review.minutes_sent_on,
                    Review.part1_reason,
                    Review.participation_code,
                    Review.held_at,
                    Review.chaired_by_child,
                )
            )
            bookings = await session.execute(
                select(ReviewBooking.child_pk, ReviewBooking.booked_for, ReviewBooking.status)
            )
            directions = await session.execute(
                select(
                    BroughtForwardDirection.child_pk,
                    BroughtForwardDirection.review_by,
                    BroughtForwardDirection.directed_on,
                    BroughtForwardDirection.reason,
                    BroughtForwardDirection.directed_by_id,
                )
            )
            schedules = await session.execute(
                select(
                    Child.id,
                    Child.next_review_due,
                    Child.next_review_practical,
                    Child.next_review_rule,
                    Child.next_review_number,
                )
            )
            return Stored(
                reviews=sorted(StoredReview(*row[:7], tuple(row[7:])) for row in reviews),
                bookings=sorted(StoredBooking(*row) for row in bookings),
                directions=sorted(StoredDirection(*row) for row in directions),
                schedules={pk: StoredSchedule(*rest) for pk, *rest in schedules},
            )  # fmt: skip

    async def audit(self) -> list[tuple[str, str]]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(AuditEntry.action, AuditEntry.outcome).order_by(AuditEntry.id)
            )
            return [(action, outcome) for action, outcome in rows]


# -- fixtures ----------------------------------------------------------------------------------


def _on(*backends: str) -> pytest.MarkDecorator:
    """Run a test once per backend. ``empty_engine`` (conftest) is parametrised alongside, so the
    SQL cases are its own; the fake's case is handed the SQLite engine and never connects it (an
    engine opens no connection, and SQLite no file, until it is used)."""
    return pytest.mark.parametrize(
        ("backend", "empty_engine"),
        [pytest.param(name, "sqlite" if name == "fake" else name, id=name) for name in backends],
        indirect=True,
    )


EVERY_BACKEND = _on("fake", "sqlite", "postgresql")
FAKE_AND_SQLITE = _on("fake", "sqlite")


@pytest.fixture
def backend(request: pytest.FixtureRequest, empty_engine: AsyncEngine) -> Backend:
    if request.param == "fake":
        return FakeBackend()
    # Asked for here, not as an argument: the fake's case must not create the tables.
    return SqlBackend(request.getfixturevalue("sessions"))


@dataclass
class World:
    """One IRO, the child they review, the child's social worker and another IRO."""

    backend: Backend
    iro: StaffMember
    social_worker: StaffMember
    other_iro: StaffMember
    child_pk: int = 0  # the fixture's child
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    async def new_child(self) -> int:
        """Another child of ``iro``'s, its stored schedule refreshed as an import would."""
        pk = await self.backend.add_child(f"C{next(self._numbers)}", self.iro,
                                          self.social_worker)  # fmt: skip
        async with self.backend.unit_of_work() as uow:
            child = await uow.reviews.child(pk, SYSTEM)
            assert child is not None
            await uow.reviews.refresh_schedule(child, RULES)
        return pk

    def uow(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.backend.unit_of_work()

    async def schedule(self) -> StoredSchedule:
        return (await self.backend.stored()).schedules[self.child_pk]


@pytest_asyncio.fixture
async def world(backend: Backend) -> World:
    iro = await backend.add_staff("iro@example.com", "Isla Reed", Role.IRO)
    social_worker = await backend.add_staff("sw@example.com", "Sol Walker", Role.SOCIAL_WORKER)
    other_iro = await backend.add_staff("other.iro@example.com", "Owen Ray", Role.IRO)
    world = World(backend, iro, social_worker, other_iro)
    world.child_pk = await world.new_child()
    return world


async def _nothing_written(world: World, before: Stored) -> None:
    assert await world.backend.stored() == before
    assert await world.backend.audit() == []


# -- the next review ---------------------------------------------------------------------------


@EVERY_BACKEND
async def test_the_first_review_is_due_as_the_worked_example_says(world: World) -> None:
    expected = review_schedule(SINCE, [], RULES).next_due
    assert (expected.due, expected.rule_id) == (FIRST_DUE, "CIC-1")  # Wed 21 January 2026
    assert await world.schedule() == StoredSchedule(FIRST_DUE, FIRST_DUE, "CIC-1", 1)
    async with world.uow() as uow:
        due = await next_review_due(uow, RULES, world.iro, world.child_pk)
    assert (due.due, due.rule_id) == (FIRST_DUE, "CIC-1")
    assert due == expected


# -- recording a review ------------------------------------------------------------------------


@EVERY_BACKEND
async def test_a_review_held_on_time_is_recorded_and_sets_the_next_due_date(world: World) -> None:
    async with world.uow() as uow:
        await book_review(uow, RULES, world.iro, world.child_pk, ON_TIME, EARLY)
    async with world.uow() as uow:
        recorded = await record_review(uow, RULES, world.iro, world.child_pk, ON_TIME,
                                       ReviewPart.FULL, TODAY,
                                       ReviewDetails(late_reason="not asked: on time"))  # fmt: skip

    expected = review_schedule(SINCE, [ReviewHeld(ON_TIME)], RULES).next_due
    assert (expected.due, expected.rule_id) == (date(2026, 4, 14), "CIC-2")  # 3 months on
    assert recorded.late is False
    assert recorded.next_due == expected
    assert recorded.decisions_due == decisions_due(ON_TIME, RULES)
    assert recorded.minutes_due == minutes_due(ON_TIME, RULES)
    stored = await world.backend.stored()
    assert stored.reviews == [
        StoredReview(world.child_pk, ON_TIME, "full", None, world.iro.id, None, None)
    ]
    assert stored.bookings == [StoredBooking(world.child_pk, ON_TIME, "held")]
    assert stored.schedules[world.child_pk] == StoredSchedule(
        expected.due, expected.practical_due, "CIC-2", 2
    )
    assert await world.backend.audit() == [("review.book", "ok"), ("review.record", "ok")]


@EVERY_BACKEND
@pytest.mark.parametrize(
    ("held_on", "reason", "message"),
    [
        pytest.param(LATE, None, "This review was late: please say why", id="late-no-reason"),
        pytest.param(LATE, "  ", "This review was late: please say why", id="late-blank-reason"),
        pytest.param(LATE, "Child unwell", "is not one of the reasons on the list",
                     id="late-reason-off-the-list"),
        pytest.param(LATE, "Other", "is not one of the reasons on the list",
                     id="late-other-without-words"),
        pytest.param(TODAY + timedelta(days=1), None, 'To book a review, say "book a review"',
                     id="future"),
        pytest.param(SINCE - timedelta(days=1), None, "before this period of care began",
                     id="before-care"),
    ],
)  # fmt: skip
async def test_a_review_that_cannot_be_recorded_writes_nothing(
    world: World, held_on: date, reason: str | None, message: str
) -> None:
    before = await world.backend.stored()
    with pytest.raises(DomainError, match=message):
        async with world.uow() as uow:
            await record_review(uow, RULES, world.iro, world.child_pk, held_on, ReviewPart.FULL,
                                TODAY, ReviewDetails(late_reason=reason))  # fmt: skip
    await _nothing_written(world, before)


@EVERY_BACKEND
async def test_a_late_review_with_a_reason_is_recorded_as_late(world: World) -> None:
    async with world.uow() as uow:
        recorded = await record_review(uow, RULES, world.iro, world.child_pk, LATE,
                                       ReviewPart.FULL, TODAY,
                                       ReviewDetails(late_reason=" Other: Child unwell ",
                                                     participation="pn1", held_at=" Kent ",
                                                     chaired_by_child=True))  # fmt: skip
    expected = review_schedule(SINCE, [ReviewHeld(LATE)], RULES).next_due
    assert recorded.late is True
    assert (recorded.next_due.due, recorded.next_due.rule_id) == (expected.due, "CIC-2")
    stored = await world.backend.stored()
    assert stored.reviews == [
        StoredReview(world.child_pk, LATE, "full", "Other: Child unwell", world.iro.id, None,
                     None, (None, "PN1", "Kent", True))
    ]
    assert stored.schedules[world.child_pk] == StoredSchedule(
        expected.due, expected.practical_due, "CIC-2", 2
    )
    assert await world.backend.audit() == [("review.record", "ok")]


@EVERY_BACKEND
async def test_another_iros_child_is_not_visible_and_nothing_is_written(world: World) -> None:
    before = await world.backend.stored()
    attempts = {
        "record": lambda uow: record_review(uow, RULES, world.other_iro, world.child_pk, ON_TIME,
                                            ReviewPart.FULL, TODAY),
        "book": lambda uow: book_review(uow, RULES, world.other_iro, world.child_pk, TODAY,
                                        TODAY),
        "bring forward": lambda uow: bring_forward(uow, RULES, world.other_iro, world.child_pk,
                                                   ON_TIME, "placement move", EARLY),
        "next review": lambda uow: next_review_due(uow, RULES, world.other_iro, world.child_pk),
        "preview": lambda uow: preview_review(uow, RULES, world.other_iro, world.child_pk,
                                              ON_TIME, ReviewPart.FULL, TODAY),
        "paperwork": lambda uow: record_paperwork_sent(uow, RULES, world.other_iro,
                                                       world.child_pk, [Paperwork.MINUTES],
                                                       TODAY, TODAY),
    }  # fmt: skip
    for attempt in attempts.values():
        with pytest.raises(ChildNotVisible):
            async with world.uow() as uow:
                await attempt(uow)
    await _nothing_written(world, before)


@EVERY_BACKEND
async def test_the_childs_social_worker_sees_the_child(world: World) -> None:
    async with world.uow() as uow:
        due = await next_review_due(uow, RULES, world.social_worker, world.child_pk)
    assert due.due == FIRST_DUE
    assert await world.backend.audit() == [("child.read", "ok")]


@EVERY_BACKEND
async def test_the_childs_social_worker_may_see_but_not_change_the_record(world: World) -> None:
    # Who may change a child's review record (domain.permissions): the child's IRO, the IRO
    # covering, or the QA & Safeguarding team; a social worker sees the child and is told so.
    before = await world.backend.stored()
    sw = world.social_worker
    attempts = {
        "record": lambda uow: record_review(uow, RULES, sw, world.child_pk, ON_TIME,
                                            ReviewPart.FULL, TODAY),
        "book": lambda uow: book_review(uow, RULES, sw, world.child_pk, TODAY, TODAY),
        "bring forward": lambda uow: bring_forward(uow, RULES, sw, world.child_pk, ON_TIME,
                                                   "placement move", EARLY),
        "preview": lambda uow: preview_review(uow, RULES, sw, world.child_pk, ON_TIME,
                                              ReviewPart.FULL, TODAY),
        "paperwork": lambda uow: record_paperwork_sent(uow, RULES, sw, world.child_pk,
                                                       [Paperwork.MINUTES], TODAY, TODAY),
    }  # fmt: skip
    for attempt in attempts.values():
        with pytest.raises(NotPermitted, match=r"Only the child's IRO .* can "):
            async with world.uow() as uow:
                await attempt(uow)
    await _nothing_written(world, before)


@EVERY_BACKEND
async def test_the_qa_team_may_change_the_record(world: World) -> None:
    qa = await world.backend.add_staff("qa@example.com", "Quinn Adams", Role.QA_MANAGER)
    async with world.uow() as uow:
        booked = await book_review(uow, RULES, qa, world.child_pk, TODAY, TODAY)
    assert booked.reports_due is not None and booked.reports_due.rule_id == "CIC-REPORTS"
    assert await world.backend.audit() == [("review.book", "ok")]


# -- booking and bringing forward --------------------------------------------------------------


@EVERY_BACKEND
async def test_booking_a_review_gives_the_reports_deadline_and_one_booking_a_day(
    world: World,
) -> None:
    booked_for = date(2026, 3, 16)
    deadlines = []
    for _ in range(2):
        async with world.uow() as uow:
            booked = await book_review(uow, RULES, world.iro, world.child_pk, booked_for, TODAY)
            deadlines.append(booked.reports_due)
    assert deadlines == [reports_due(booked_for, RULES)] * 2
    assert deadlines[0] is not None and deadlines[0].rule_id == "CIC-REPORTS"
    assert deadlines[0].due < booked_for  # the reports reach the IRO before the review
    stored = await world.backend.stored()
    assert stored.bookings == [StoredBooking(world.child_pk, booked_for, "booked")]
    # The second call added no booking, and is audited all the same (see the report).
    assert await world.backend.audit() == [("review.book", "ok"), ("review.book", "ok")]


@EVERY_BACKEND
async def test_a_booking_for_a_day_that_has_passed_is_refused(world: World) -> None:
    before = await world.backend.stored()
    with pytest.raises(DomainError, match=r"has passed\. To record a review that was held"):
        async with world.uow() as uow:
            await book_review(uow, RULES, world.iro, world.child_pk, TODAY - timedelta(days=1),
                              TODAY)  # fmt: skip
    await _nothing_written(world, before)


@EVERY_BACKEND
async def test_bringing_a_review_forward_moves_the_next_due_date(world: World) -> None:
    review_by = date(2026, 1, 14)
    async with world.uow() as uow:
        due = await bring_forward(uow, RULES, world.iro, world.child_pk, review_by,
                                  " placement move ", EARLY)  # fmt: skip
    direction = BroughtForward(review_by, EARLY, "placement move")
    expected = review_schedule(SINCE, [], RULES, [direction]).next_due
    assert (due.due, due.rule_id) == (review_by, "CIC-BF")
    assert due == expected
    stored = await world.backend.stored()
    assert stored.directions == [
        StoredDirection(world.child_pk, review_by, EARLY, "placement move", world.iro.id)
    ]
    assert stored.schedules[world.child_pk] == StoredSchedule(
        review_by, expected.practical_due, "CIC-BF", 1
    )
    assert await world.backend.audit() == [("review.bring_forward", "ok")]


@EVERY_BACKEND
@pytest.mark.parametrize(
    ("review_by", "reason", "message"),
    [
        pytest.param(date(2026, 1, 14), "  ", "Please give the reason", id="no-reason"),
        pytest.param(FIRST_DUE + timedelta(days=1), "placement move",
                     "nothing to bring forward", id="after-the-due-date"),
        pytest.param(EARLY - timedelta(days=1), "placement move", "has passed",
                     id="passed"),
    ],
)  # fmt: skip
async def test_a_review_that_cannot_be_brought_forward_writes_nothing(
    world: World, review_by: date, reason: str, message: str
) -> None:
    before = await world.backend.stored()
    with pytest.raises(DomainError, match=message):
        async with world.uow() as uow:
            await bring_forward(uow, RULES, world.iro, world.child_pk, review_by, reason, EARLY)
    await _nothing_written(world, before)
    assert before.schedules[world.child_pk].due == FIRST_DUE


# -- previews ----------------------------------------------------------------------------------


@EVERY_BACKEND
async def test_previews_write_nothing_but_the_audited_reads(world: World) -> None:
    before = await world.backend.stored()
    async with world.uow() as uow:
        check = await preview_review(uow, RULES, world.iro, world.child_pk, LATE,
                                     ReviewPart.FULL, TODAY)  # fmt: skip
    async with world.uow() as uow:
        replaced = await preview_bring_forward(uow, RULES, world.iro, world.child_pk,
                                               date(2026, 1, 14), EARLY)  # fmt: skip
    async with world.uow() as uow:
        due = await next_review_due(uow, RULES, world.iro, world.child_pk)

    assert (check.late, check.number, check.was_due.due) == (True, 1, FIRST_DUE)
    assert (replaced.due, replaced.rule_id) == (FIRST_DUE, "CIC-1")
    assert due.due == FIRST_DUE
    assert await world.backend.stored() == before
    assert await world.backend.audit() == [("child.read", "ok")] * 3


# -- paperwork ---------------------------------------------------------------------------------


@EVERY_BACKEND
async def test_paperwork_is_recorded_on_the_latest_review_held_by_the_day_it_was_sent(
    world: World,
) -> None:
    for held_on in (ON_TIME, LATE):  # LATE is in time for the second review (due in April)
        async with world.uow() as uow:
            await record_review(uow, RULES, world.iro, world.child_pk, held_on, ReviewPart.FULL,
                                TODAY)  # fmt: skip
    sent, corrected = date(2026, 1, 20), date(2026, 1, 22)  # both before the second review
    async with world.uow() as uow:
        first = await record_paperwork_sent(uow, RULES, world.iro, world.child_pk,
                                            list(Paperwork), sent, TODAY)  # fmt: skip
    async with world.uow() as uow:
        again = await record_paperwork_sent(uow, RULES, world.iro, world.child_pk,
                                            [Paperwork.MINUTES], corrected, TODAY)  # fmt: skip
    later = date(2026, 2, 3)  # after both reviews: the second one's paperwork
    async with world.uow() as uow:
        second = await record_paperwork_sent(uow, RULES, world.iro, world.child_pk,
                                             [Paperwork.DECISIONS], later, TODAY)  # fmt: skip

    assert (first.held_on, first.part) == (ON_TIME, ReviewPart.FULL)
    assert first.due == {Paperwork.DECISIONS: decisions_due(ON_TIME, RULES),
                         Paperwork.MINUTES: minutes_due(ON_TIME, RULES)}  # fmt: skip
    assert first.recorded == {Paperwork.DECISIONS: None, Paperwork.MINUTES: None}
    assert again.recorded == {Paperwork.MINUTES: sent}  # the date the correction replaced
    assert (second.held_on, second.recorded) == (LATE, {Paperwork.DECISIONS: None})
    assert (await world.backend.stored()).reviews == [
        StoredReview(world.child_pk, ON_TIME, "full", None, world.iro.id, sent, corrected),
        StoredReview(world.child_pk, LATE, "full", None, world.iro.id, later, None),
    ]
    recorded, sent_entries = [("review.record", "ok")] * 2, [("review.paperwork_sent", "ok")] * 3
    assert await world.backend.audit() == recorded + sent_entries


@EVERY_BACKEND
@pytest.mark.parametrize(
    ("sent_on", "message"),
    [
        pytest.param(TODAY + timedelta(days=1), "is in the future: record it once it has been sent",
                     id="future"),
        pytest.param(ON_TIME - timedelta(days=1), "No review of this child held on or before",
                     id="before-the-review"),
    ],
)  # fmt: skip
async def test_paperwork_that_cannot_be_recorded_writes_nothing(
    world: World, sent_on: date, message: str
) -> None:
    async with world.uow() as uow:
        await record_review(uow, RULES, world.iro, world.child_pk, ON_TIME, ReviewPart.FULL,
                            TODAY)  # fmt: skip
    before, audit = await world.backend.stored(), await world.backend.audit()
    with pytest.raises(DomainError, match=message):
        async with world.uow() as uow:
            await record_paperwork_sent(uow, RULES, world.iro, world.child_pk, list(Paperwork),
                                        sent_on, TODAY)  # fmt: skip
    assert await world.backend.stored() == before
    assert await world.backend.audit() == audit == [("review.record", "ok")]


# -- the unit of work --------------------------------------------------------------------------


class Boom(Exception):
    pass


@EVERY_BACKEND
async def test_an_exception_in_the_unit_of_work_rolls_everything_back(world: World) -> None:
    before = await world.backend.stored()
    with pytest.raises(Boom):
        async with world.uow() as uow:
            await book_review(uow, RULES, world.iro, world.child_pk, TODAY, TODAY)
            await record_review(uow, RULES, world.iro, world.child_pk, ON_TIME, ReviewPart.FULL,
                                TODAY)  # fmt: skip
            # The unit of work sees its own writes, so there is something to roll back.
            held = await uow.reviews.latest_held_by(world.child_pk, TODAY)
            assert held is not None and held.held_on == ON_TIME
            raise Boom()
    await _nothing_written(world, before)


# -- the schedule, for any reviews -------------------------------------------------------------

LATER = date(2028, 6, 30)  # "today" for the property: room for CIC-2 and several CIC-3s


@FAKE_AND_SQLITE
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(held=st.lists(st.dates(SINCE, LATER), min_size=1, max_size=4, unique=True))
async def test_recording_reviews_gives_the_domains_next_due_date(
    world: World, held: list[date]
) -> None:
    """Reviews held on any days of the period of care, recorded in any order: after each, the
    next due date answered and stored is ``review_schedule``'s for the reviews so far."""
    pk = await world.new_child()  # a child per example: the fixture's store is shared by all
    for count, day in enumerate(held, start=1):
        async with world.uow() as uow:
            recorded = await record_review(uow, RULES, world.iro, pk, day, ReviewPart.FULL,
                                           LATER, IF_LATE)  # fmt: skip
        expected = review_schedule(SINCE, [ReviewHeld(d) for d in held[:count]], RULES).next_due
        assert recorded.next_due.due == expected.due
        assert recorded.next_due.rule_id == expected.rule_id
        assert (await world.backend.stored()).schedules[pk] == StoredSchedule(
            expected.due, expected.practical_due, expected.rule_id, count + 1
        )


# -- the fake keeps to the protocols -----------------------------------------------------------


@pytest.mark.parametrize(("protocol", "fake"), [(ReviewRecords, FakeReviewRecords),
                                                (AuditLog, FakeAuditLog)])  # fmt: skip
def test_the_fake_has_every_method_of_the_protocol(protocol: type, fake: Any) -> None:
    names = [n for n, v in vars(protocol).items() if inspect.isfunction(v) and n[0] != "_"]
    assert names  # guards against passing over an empty protocol
    for name in names:
        wanted = inspect.signature(getattr(protocol, name))
        found = inspect.signature(getattr(fake(None), name))  # bound: no self
        assert list(found.parameters) == list(wanted.parameters)[1:], name
        assert inspect.iscoroutinefunction(getattr(fake, name)) == \
            inspect.iscoroutinefunction(getattr(protocol, name)), name  # fmt: skip


# -- correcting what was recorded ----------------------------------------------------------------


@EVERY_BACKEND
async def test_a_detail_of_a_review_is_corrected_and_audited(world: World) -> None:
    async with world.uow() as uow:
        await record_review(uow, RULES, world.iro, world.child_pk, LATE, ReviewPart.FULL, TODAY,
                            ReviewDetails(late_reason=RULES.late_reasons[0], participation="PN7",
                                          held_at="Kent", chaired_by_child=False))  # fmt: skip
    async with world.uow() as uow:
        found = await review_on_record(uow, world.iro, world.child_pk, None, TODAY)
    assert (found.held_on, found.details.participation) == (LATE, "PN7")
    async with world.uow() as uow:
        now = await correct_review(uow, RULES, world.iro, world.child_pk, LATE,
                                   "participation", "pn1")  # fmt: skip
    async with world.uow() as uow:
        await correct_review(uow, RULES, world.iro, world.child_pk, LATE, "late_reason",
                             "Other: the panel moved it")  # fmt: skip
    assert now.details.participation == "PN1" and now.details.held_at == "Kent"
    stored = await world.backend.stored()
    assert [(r.late_reason, r.details) for r in stored.reviews] == [
        ("Other: the panel moved it", (None, "PN1", "Kent", False))
    ]
    assert await world.backend.audit() == [
        ("review.record", "ok"), ("review.correct", "ok"), ("review.correct", "ok")
    ]


@EVERY_BACKEND
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("participation", "PN9", "PN9 is not a participation code"),
        ("late_reason", "whatever", "is not one of the reasons on the list"),
        ("part1_reason", RULES.part1_reasons[0], "Only a Part 1 has a reason"),
        ("held_on", "2026-01-01", "that can be changed"),
    ],
)  # fmt: skip
async def test_a_correction_that_breaks_a_rule_writes_nothing(
    world: World, field: str, value: str, message: str
) -> None:
    async with world.uow() as uow:
        await record_review(uow, RULES, world.iro, world.child_pk, LATE, ReviewPart.FULL, TODAY,
                            IF_LATE)  # fmt: skip
    before = await world.backend.stored()
    with pytest.raises(DomainError, match=message):
        async with world.uow() as uow:
            await correct_review(uow, RULES, world.iro, world.child_pk, LATE, field, value)
    assert await world.backend.stored() == before


@EVERY_BACKEND
async def test_only_those_who_may_record_a_review_may_correct_one(world: World) -> None:
    async with world.uow() as uow:
        await record_review(uow, RULES, world.iro, world.child_pk, ON_TIME, ReviewPart.FULL,
                            TODAY)  # fmt: skip
    before = await world.backend.stored()
    with pytest.raises(ChildNotVisible):
        async with world.uow() as uow:
            await correct_review(uow, RULES, world.other_iro, world.child_pk, ON_TIME,
                                 "held_at", "Kent")  # fmt: skip
    with pytest.raises(DomainError, match="No review is recorded as held on"):
        async with world.uow() as uow:
            await review_on_record(uow, world.iro, world.child_pk, ON_TIME - timedelta(days=1),
                                   TODAY)  # fmt: skip
    assert await world.backend.stored() == before
