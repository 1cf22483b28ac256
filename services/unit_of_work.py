"""The unit of work: one transaction, and the repositories a use case reaches through it.

    async with services.unit_of_work() as uow:   # commits when the block ends normally,
        await reviews.record_review(uow, ...)    # rolls back when it raises

As in cosmicpython (``allocation/service_layer/unit_of_work.py``): the use cases see only the
repositories named here, so they can be run against in-memory fakes (``tests/fakes.py``) as well
as SQLite and PostgreSQL. ``SqlUnitOfWork`` is the real one, over one ``AsyncSession``; the
session is kept for the storage functions that are not yet behind a repository (the IR lists
and the report queries), which the SQL path alone uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from domain import issues_resolution as ir_model
from domain.paperwork import Paperwork
from domain.ports import ChildRepository, StaffMember, StaffRepository, Visibility
from domain.review_details import ReviewDetails
from domain.reviews import BroughtForward, ReviewHeld, ReviewPart
from domain.rules import RuleSet
from storage.audit import audit_child_read, record_audit
from storage.dialog_saves import SqlDialogSaves
from storage.repositories import SqlChildRepository, SqlStaffRepository
from storage.repositories.ir_records import SqlIrRecords
from storage.repositories.reviews import SqlReviewRecords


class ChildRow(Protocol):
    """What a change reads of a child's own record."""

    id: int
    child_id: str
    looked_after_since: date | None
    social_worker_id: int | None
    service_area: str | None
    iro_id: int | None
    covering_iro_id: int | None


class ReviewRow(Protocol):
    id: int
    child_pk: int
    held_on: date
    part: str


class ReviewRecords(Protocol):
    async def child(self, child_pk: int, visibility: Visibility) -> ChildRow | None: ...

    async def inputs(self, child_pk: int) -> tuple[list[ReviewHeld], list[BroughtForward]]: ...

    async def add_review(
        self, child_pk: int, held_on: date, part: ReviewPart, recorded_by_id: int,
        details: ReviewDetails,
    ) -> None: ...  # fmt: skip

    async def mark_bookings_held(self, child_pk: int, held_on: date) -> None: ...

    async def add_booking(self, child_pk: int, booked_for: date, booked_by_id: int) -> bool: ...

    async def add_direction(
        self, child_pk: int, review_by: date, directed_on: date, reason: str, directed_by_id: int
    ) -> None: ...

    async def refresh_schedule(self, child: Any, rules: RuleSet) -> bool: ...

    async def latest_held_by(self, child_pk: int, day: date) -> ReviewRow | None: ...

    def details_of(self, review: Any) -> ReviewDetails: ...

    async def set_details(self, review: Any, details: ReviewDetails) -> None: ...

    def paperwork_sent(self, review: Any, kind: Paperwork) -> date | None: ...

    async def set_paperwork_sent(
        self, review: Any, kinds: Sequence[Paperwork], sent_on: date
    ) -> None: ...


class IrRow(Protocol):
    """What the IR use cases read of a stored IR's own record, beside the IR itself."""

    @property
    def reference(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def child_pk(self) -> int | None: ...


class StaffRow(Protocol):
    """What the IR use cases read of a member of staff's own record."""

    @property
    def email(self) -> str: ...


class PersonRow(Protocol):
    """A member of staff an IR names, as its card shows them (``ir_records.Person``)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def teams_user_id(self) -> str | None: ...

    @property
    def delegate_id(self) -> int | None: ...


class CardCopyRow(Protocol):
    """One posted copy of an IR card, with what is needed to edit it (``ir_records.CardCopy``)."""

    @property
    def id(self) -> int: ...

    @property
    def staff_id(self) -> int | None: ...

    @property
    def conversation_id(self) -> str: ...

    @property
    def activity_id(self) -> str: ...

    @property
    def service_url(self) -> str: ...

    @property
    def rendered_version(self) -> int: ...

    def conversation_reference(self) -> dict[str, Any]: ...


class IrRecords(Protocol):
    """The reads and writes the IR use cases make (``storage.repositories.ir_records``)."""

    async def add(self, ir: ir_model.IR, rules: RuleSet, *, child_pk: int, raised_by_id: int,
                  owner_id: int | None) -> str: ...  # fmt: skip

    async def load(self, reference: str) -> tuple[ir_model.IR, IrRow]: ...

    async def save(self, ir: ir_model.IR, rules: RuleSet, *, expected_version: int) -> int: ...

    async def open_references(self, child_pk: int) -> list[str]: ...

    async def may_read(self, reference: str, staff_id: int, visibility: Visibility) -> bool: ...

    async def staff_row(self, staff_id: int | None) -> StaffRow | None: ...

    async def management_chain(self, staff_id: int | None) -> list[StaffMember]: ...

    async def people(self, emails: Iterable[str]) -> Mapping[str, PersonRow]: ...

    async def teams_user_ids(self, staff_ids: Sequence[int]) -> dict[int, str | None]: ...

    async def qa_manager_teams_user_ids(self, limit: int) -> list[str]: ...

    async def child_row(self, child_pk: int | None) -> ChildRow | None: ...

    async def child_name(self, child_pk: int | None) -> str | None: ...

    async def viewers(self, staff_ids: Iterable[int | None]) -> dict[int, StaffMember]: ...

    async def enqueue(self, *, key: str, recipient_staff_id: int, kind: str,
                      payload: dict[str, Any]) -> bool: ...  # fmt: skip

    async def record_copy(
        self, *, reference: str, version: int, recipient_staff_id: int | None,
        conversation_id: str, activity_id: str, service_url: str,
    ) -> bool: ...  # fmt: skip

    async def copies_to_update(self, reference: str) -> Sequence[CardCopyRow]: ...

    async def mark_updated(self, copy_ids: Sequence[int], version: int) -> None: ...


class AuditLog(Protocol):
    async def record(
        self, action: str, *, actor_staff_id: int | None = None,
        actor_external_id: str | None = None, entity_type: str | None = None,
        entity_id: str | int | None = None, outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None: ...  # fmt: skip

    async def child_read(self, staff: StaffMember, child_pk: int, what: str) -> None: ...


class UnitOfWork(Protocol):
    children: ChildRepository
    staff: StaffRepository
    reviews: ReviewRecords
    irs: IrRecords
    audit: AuditLog


class SqlAuditLog:
    """The append-only audit log, in the unit of work's transaction (``storage.audit``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, action: str, **fields: Any) -> None:
        await record_audit(self.session, action, **fields)

    async def child_read(self, staff: StaffMember, child_pk: int, what: str) -> None:
        """A child's record shown to ``staff`` (``what``: which answer or check read it)."""
        await audit_child_read(self.session, staff, child_pk, what)


class SqlUnitOfWork:
    """The repositories over one session; the transaction is the caller's (``Services``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.children = SqlChildRepository(session)
        self.staff = SqlStaffRepository(session)
        self.reviews = SqlReviewRecords(session)
        self.audit = SqlAuditLog(session)
        self.irs = SqlIrRecords(session)
        # A dialog's confirmation, recorded with its write (``IroDialog.save``).
        self.saves = SqlDialogSaves(session)
