"""In-memory fakes of the unit of work and its repositories (``services.unit_of_work``).

As in cosmicpython (``tests/unit/test_services.py``: ``FakeRepository``, ``FakeUnitOfWork``):
the review and IR use cases run on plain dicts and lists, so they can be tested without a
database, and ``tests/integration/test_review_use_cases.py`` and ``test_ir_use_cases.py`` run the
same assertions on this fake, SQLite and PostgreSQL, which keeps the fake honest.

Standard library and ``domain`` only: a fake that borrowed ``storage`` code (its schedule
columns, say) would pass by running the code it is meant to stand in for. The one exception is
the two errors the IR use cases catch by class (``IrNotFound``, ``IrConflict``), which the fake
must raise as storage does.

One unit of work at a time: a commit replaces what is stored with the unit of work's copy, so
two overlapping units of work would lose the first one's changes, where a database would order
them or refuse one. No test runs two at once.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import TracebackType
from typing import Any

from domain import issues_resolution as ir_model
from domain.errors import DomainError
from domain.names import normalise_name
from domain.paperwork import Paperwork
from domain.ports import ChildSummary, NameCandidate, Role, StaffMember, Visibility
from domain.review_details import NO_DETAILS, ReviewDetails
from domain.reviews import BroughtForward, ReviewHeld, ReviewPart, review_schedule
from domain.rules import RuleSet
from storage.repositories.issues import IrConflict, IrNotFound

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
    details: ReviewDetails = NO_DETAILS


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
class FakeIr:
    """An IR's row: the domain IR as stored, with its version and its child's key.

    ``ir`` names staff by their stored e-mails (storage keeps ids and reads the e-mails back),
    and its ``left_on`` dates are derived on loading, as storage derives them.
    """

    reference: str
    child_pk: int
    version: int
    ir: ir_model.IR


@dataclass
class FakeNotification:
    """An outbox row (``storage.outbox``), without the dispatcher's bookkeeping."""

    key: str
    recipient_staff_id: int
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class FakePerson:
    """``services.unit_of_work.PersonRow``: a member of staff an IR names."""

    id: int
    name: str
    teams_user_id: str | None
    delegate_id: int | None


@dataclass
class FakeCardCopy:
    """``services.unit_of_work.CardCopyRow``: one posted copy of an IR card. The fake keeps no
    conversation references, so the reference is always built from the ids."""

    id: int
    reference: str
    staff_id: int | None
    conversation_id: str
    activity_id: str
    service_url: str
    rendered_version: int

    def conversation_reference(self) -> dict[str, Any]:
        return {"channelId": "msteams", "serviceUrl": self.service_url,
                "conversation": {"id": self.conversation_id}}  # fmt: skip


@dataclass
class FakeData:
    """Everything the fake store holds (deep-copied whole for each unit of work)."""

    staff: dict[int, StaffMember] = field(default_factory=dict)
    children: dict[int, FakeChild] = field(default_factory=dict)
    reviews: list[FakeReview] = field(default_factory=list)
    bookings: list[FakeBooking] = field(default_factory=list)
    directions: list[FakeDirection] = field(default_factory=list)
    audit: list[FakeAuditEntry] = field(default_factory=list)
    irs: dict[str, FakeIr] = field(default_factory=dict)  # by reference
    ir_numbers: dict[int, int] = field(default_factory=dict)  # the last number issued, by year
    outbox: dict[str, FakeNotification] = field(default_factory=dict)  # by idempotency key
    card_copies: list[FakeCardCopy] = field(default_factory=list)
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
        details: ReviewDetails,
    ) -> None:  # fmt: skip
        # The reviews table's unique constraint: a use case that skipped its own check fails
        # here, as it would on a database, rather than passing on the fake alone.
        if any((r.child_pk, r.held_on, r.part) == (child_pk, held_on, part.value)
               for r in self._data.reviews):  # fmt: skip
            raise ValueError(f"a {part.value} review on {held_on} is already stored")
        self._data.reviews.append(FakeReview(
            self._data.new_id(), child_pk, held_on, part.value, recorded_by_id,
            details.late_reason, details=details,
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

    def details_of(self, review: FakeReview) -> ReviewDetails:
        return replace(review.details, late_reason=review.late_reason)

    async def set_details(self, review: FakeReview, details: ReviewDetails) -> None:
        review.details, review.late_reason = details, details.late_reason

    @staticmethod
    def paperwork_sent(review: FakeReview, kind: Paperwork) -> date | None:
        return getattr(review, _SENT_ON[kind])

    async def set_paperwork_sent(
        self, review: FakeReview, kinds: Sequence[Paperwork], sent_on: date
    ) -> None:
        for kind in kinds:
            setattr(review, _SENT_ON[kind], sent_on)


#: The bot's own references, as storage reads them: IR-2026-0042.
_REFERENCE = re.compile(r"IR-(\d{4})-(\d{4,})")


class FakeIrRecords:
    """``services.unit_of_work.IrRecords``: IRs by reference, the staff and child they name, the
    outbox and the sent-card registry, with the semantics of ``SqlIrRecords``: references
    ``IR-YYYY-NNNN`` counting within the year raised (a rolled-back unit of work gives its
    number back), a save from another version refused with ``IrConflict`` before anything is
    written, ``IrNotFound`` for an unknown reference, and an outbox key used once."""

    def __init__(self, data: FakeData) -> None:
        self._data = data

    # -- the IR ------------------------------------------------------------------------------

    async def add(self, ir: ir_model.IR, rules: RuleSet, *, child_pk: int, raised_by_id: int,
                  owner_id: int | None) -> str:  # fmt: skip
        child = self._data.children.get(child_pk)
        if child is None:
            raise DomainError(f"There is no child with the id {ir.child_id}.")
        if child.child_id != ir.child_id:
            raise ValueError(
                f"child_pk {child_pk} is not the child {ir.child_id!r} the IR is about"
            )
        ids = self._staff_ids(ir)
        if raised_by_id != ids[ir.raised_by.strip().lower()]:
            raise ValueError("raised_by_id is not the member of staff the IR says raised it")
        first_owner = ir.history[0].owner
        if owner_id is not None and owner_id != (
            None if first_owner is None else ids[first_owner.strip().lower()]
        ):
            raise ValueError("owner_id is not the owner of the stage the IR was raised at")
        if ir.reference is None:
            year = ir.raised_on.year
            number = self._data.ir_numbers.get(year, 0) + 1
            self._data.ir_numbers[year] = number
            reference = f"IR-{year:04d}-{number:04d}"
        else:
            reference = ir.reference
            match = _REFERENCE.fullmatch(reference)
            if match is not None:  # never issue a reference that was given
                year, number = int(match[1]), int(match[2])
                self._data.ir_numbers[year] = max(self._data.ir_numbers.get(year, 0), number)
        if reference in self._data.irs:  # the unique reference column
            raise ValueError(f"an IR with the reference {reference} is already stored")
        stored = self._as_stored(replace(ir, reference=reference), ids)
        self._data.irs[reference] = FakeIr(reference, child.id, 1, stored)
        return reference

    async def load(self, reference: str) -> tuple[ir_model.IR, FakeIr]:
        row = self._data.irs.get(reference.strip())
        if row is None:
            raise IrNotFound(reference.strip())
        return _with_left_on(row.ir), row

    async def save(self, ir: ir_model.IR, rules: RuleSet, *, expected_version: int) -> int:
        if ir.reference is None:
            raise DomainError("This IR has not been stored yet: add it before saving changes.")
        row = self._data.irs.get(ir.reference)
        if row is None:
            raise IrNotFound(ir.reference)
        if row.version != expected_version:
            raise IrConflict(ir.reference, expected_version, row.version)
        ids = self._staff_ids(ir)
        stored = row.ir
        fixed_now = (stored.raised_on, stored.history[0].stage, self._id_of(stored.raised_by),
                     stored.child_id)  # fmt: skip
        fixed_wanted = (ir.raised_on, ir.history[0].stage, ids[ir.raised_by.strip().lower()],
                        ir.child_id)  # fmt: skip
        if fixed_now != fixed_wanted:
            raise DomainError(
                f"{ir.reference}: the child, who raised it, when and at which stage cannot change."
            )
        if len(ir.history) < len(stored.history) or any(
            (old.stage, old.entered_on) != (new.stage, new.entered_on)
            for old, new in zip(stored.history, ir.history, strict=False)
        ):
            raise DomainError(
                f"{ir.reference}: its stage history can only grow; stages already recorded "
                "cannot be removed or moved."
            )
        row.ir = self._as_stored(ir, ids)
        row.version += 1
        return row.version

    async def open_references(self, child_pk: int) -> list[str]:
        """The references of the child's IRs not yet resolved, oldest first."""
        rows = [(row.ir.raised_on, ref) for ref, row in self._data.irs.items()
                if row.child_pk == child_pk and row.ir.status is not ir_model.IRStatus.RESOLVED]
        return [ref for _, ref in sorted(rows)]

    async def may_read(self, reference: str, staff_id: int, visibility: Visibility) -> bool:
        """The raiser, any owner in its history, or anyone who may see the child."""
        row = self._data.irs.get(reference)
        if row is None:
            return False
        named = [row.ir.raised_by, *(entry.owner for entry in row.ir.history)]
        if staff_id in {self._id_of(email) for email in named}:
            return True
        if visibility.everything:
            return True
        child = self._data.children.get(row.child_pk)
        return child is not None and visibility.allows(summary(child, self._data.staff))

    # -- the people and the child it names ---------------------------------------------------

    async def staff_row(self, staff_id: int | None) -> StaffMember | None:
        return self._data.staff.get(staff_id) if staff_id else None

    async def management_chain(self, staff_id: int | None) -> list[StaffMember]:
        """The managers above ``staff_id``, nearest first (cycles in bad data are cut)."""
        chain: list[StaffMember] = []
        seen: set[int] = set()
        current = await self.staff_row(staff_id)
        while current is not None and current.manager_id and current.manager_id not in seen:
            seen.add(current.manager_id)
            current = self._data.staff.get(current.manager_id)
            if current is not None:
                chain.append(current)
        return chain

    async def people(self, emails: Iterable[str]) -> dict[str, FakePerson]:
        wanted = {e.lower() for e in emails}
        return {s.email.lower(): FakePerson(s.id, s.display_name, s.teams_user_id, s.delegate_id)
                for s in self._data.staff.values() if s.email.lower() in wanted}  # fmt: skip

    async def teams_user_ids(self, staff_ids: Sequence[int]) -> dict[int, str | None]:
        found = (self._data.staff.get(i) for i in staff_ids)
        return {s.id: s.teams_user_id for s in found if s is not None and s.active}

    async def qa_manager_teams_user_ids(self, limit: int) -> list[str]:
        qa = [s for s in sorted(self._data.staff.values(), key=lambda s: s.id)
              if s.role == Role.QA_MANAGER.value and s.active and s.teams_user_id is not None]
        return [s.teams_user_id for s in qa[:limit] if s.teams_user_id is not None]

    async def child_row(self, child_pk: int | None) -> FakeChild | None:
        return self._data.children.get(child_pk) if child_pk else None

    async def child_name(self, child_pk: int | None) -> str | None:
        child = await self.child_row(child_pk)
        if child is None:
            return None
        return " ".join(part.strip() for part in (child.given_name, child.family_name)
                        if part and part.strip())  # fmt: skip

    async def viewers(self, staff_ids: Iterable[int | None]) -> dict[int, StaffMember]:
        wanted = {i for i in staff_ids if i is not None}
        return {i: self._data.staff[i] for i in wanted if i in self._data.staff}

    # -- notifications and the sent cards ----------------------------------------------------

    async def enqueue(self, *, key: str, recipient_staff_id: int, kind: str,
                      payload: dict[str, Any]) -> bool:  # fmt: skip
        if recipient_staff_id not in self._data.staff:  # the foreign key
            raise ValueError(f"no member of staff has the id {recipient_staff_id}")
        if key in self._data.outbox:
            return False
        # Through JSON, as the payload column stores it: what cannot be stored fails here too.
        stored = json.loads(json.dumps(payload))
        self._data.outbox[key] = FakeNotification(key, recipient_staff_id, kind, stored)
        return True

    async def record_copy(
        self, *, reference: str, version: int, recipient_staff_id: int | None,
        conversation_id: str, activity_id: str, service_url: str,
    ) -> bool:  # fmt: skip
        row = self._data.irs.get(reference)
        if row is None:
            return False
        if not any((c.conversation_id, c.activity_id) == (conversation_id, activity_id)
                   for c in self._data.card_copies):  # fmt: skip
            self._data.card_copies.append(FakeCardCopy(
                self._data.new_id(), reference, recipient_staff_id, conversation_id,
                activity_id, service_url, version,
            ))  # fmt: skip
        return version < row.version

    async def copies_to_update(self, reference: str) -> list[FakeCardCopy]:
        row = self._data.irs.get(reference)
        if row is None:
            return []
        behind = [c for c in self._data.card_copies
                  if c.reference == reference and c.rendered_version < row.version]  # fmt: skip
        return sorted(behind, key=lambda c: c.id)

    async def mark_updated(self, copy_ids: Sequence[int], version: int) -> None:
        wanted = set(copy_ids)
        for copy_row in self._data.card_copies:
            if copy_row.id in wanted and copy_row.rendered_version < version:
                copy_row.rendered_version = version

    # -- staff e-mails -----------------------------------------------------------------------

    def _id_of(self, email: str | None) -> int | None:
        wanted = (email or "").strip().lower()
        return next((s.id for s in self._data.staff.values()
                     if wanted and s.email.lower() == wanted), None)  # fmt: skip

    def _staff_ids(self, ir: ir_model.IR) -> dict[str, int]:
        """Every e-mail the IR names -> staff id; an unknown one is refused, as storage does."""
        found: dict[str, int] = {}
        emails = [ir.raised_by, ir.social_worker, ir.cafcass_referred_by]
        emails += [e for entry in ir.history for e in (entry.owner, entry.responded_by)]
        for email in sorted({e.strip().lower() for e in emails if e}):
            staff_id = self._id_of(email)
            if staff_id is None:
                raise DomainError(
                    f"{email} is not a known member of staff, so the Issues Resolution cannot "
                    "name them. Check the e-mail address, or add them to the people list first."
                )
            found[email] = staff_id
        return found

    def _as_stored(self, ir: ir_model.IR, ids: dict[str, int]) -> ir_model.IR:
        """The IR as storage would read it back: staff by their stored e-mails."""

        def email(value: str | None) -> str | None:
            return None if value is None else self._data.staff[ids[value.strip().lower()]].email

        history = tuple(replace(entry, owner=email(entry.owner),
                                responded_by=email(entry.responded_by))
                        for entry in ir.history)  # fmt: skip
        return replace(ir, raised_by=email(ir.raised_by) or "", history=history,
                       social_worker=email(ir.social_worker),
                       cafcass_referred_by=email(ir.cafcass_referred_by))  # fmt: skip


def _with_left_on(ir: ir_model.IR) -> ir_model.IR:
    """``left_on`` as storage derives it: the next stage's start, or the resolution date."""
    following = [entry.entered_on for entry in ir.history[1:]] + [ir.resolved_on]
    history = tuple(replace(entry, left_on=left)
                    for entry, left in zip(ir.history, following, strict=True))  # fmt: skip
    return replace(ir, history=history)


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
        self.irs = FakeIrRecords(self.data)
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
