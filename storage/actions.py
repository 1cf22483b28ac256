"""What staff do to the record, each as one function over a session: the checks, the write, the
recomputed schedule and the audit entry, together. The caller commits (or rolls back).

Dates are worked out by the domain; every refusal is a DomainError whose message can be shown to
the member of staff as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import issues_resolution as ir_model
from domain.deadlines import Deadline
from domain.errors import DomainError
from domain.formatting import short_date
from domain.ports import ChildSummary, StaffMember, Visibility, visibility_for
from domain.reviews import (
    ReviewPart,
    ReviewSchedule,
    decisions_due,
    minutes_due,
    reports_due,
    review_schedule,
)
from domain.rules import RuleSet
from domain.stage_owners import stage_owner
from storage.audit import audit_child_read, record_audit
from storage.ir_cards import enqueue_for_events
from storage.models import BroughtForwardDirection, Child, Review, ReviewBooking, Staff
from storage.repositories.issues import add_ir
from storage.repositories.staff import to_staff_member
from storage.repositories.visibility import visibility_clause
from storage.schedule import load_review_inputs, refresh_review_schedule

NOT_FOUND = "I can't find that child among the children you can see."


class ChildNotVisible(DomainError):
    """No such child, or the user may not see it: the two are never told apart."""


async def child_for_change(session: AsyncSession, child_pk: int, visibility: Visibility) -> Child:
    child = await session.scalar(
        select(Child).where(Child.id == child_pk, visibility_clause(visibility, as_filter=True))
    )
    if child is None:
        raise ChildNotVisible(NOT_FOUND)
    return child


async def current_schedule(
    session: AsyncSession, child: Child | ChildSummary, rules: RuleSet
) -> ReviewSchedule:
    """The child's review schedule now. A ``ChildSummary`` (already read, visibility checked)
    serves as well as the row: only the period of care's start and the key are needed."""
    if child.looked_after_since is None:
        raise DomainError("This child has no current period of care recorded, so no review is due.")
    reviews, directions = await load_review_inputs(
        session, child.id if isinstance(child, Child) else child.pk
    )
    return review_schedule(child.looked_after_since, reviews, rules, directions)


# -- reviews ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewCheck:
    """What recording a review on a date would mean, before it is written."""

    was_due: Deadline  # the date this review was due by
    late: bool
    number: int  # 1 = initial, 2 = second, 3+ = subsequent


async def check_review(
    session: AsyncSession, rules: RuleSet, child: Child, held_on: date, part: ReviewPart,
    today: date,
) -> ReviewCheck:  # fmt: skip
    if held_on > today:
        raise DomainError(
            f'{short_date(held_on)} is in the future. To book a review, say "book a review".'
        )
    if child.looked_after_since and held_on < child.looked_after_since:
        raise DomainError(
            f"{short_date(held_on)} is before this period of care began "
            f"({short_date(child.looked_after_since)})."
        )
    schedule = await current_schedule(session, child, rules)
    if any(o.review.held_on == held_on and o.review.part is part for o in schedule.held):
        raise DomainError(f"A review on {short_date(held_on)} is already recorded.")
    due = schedule.next_due
    return ReviewCheck(was_due=due, late=held_on > due.due, number=schedule.next_number)


@dataclass(frozen=True)
class RecordedReview:
    next_due: Deadline
    decisions_due: Deadline
    minutes_due: Deadline
    late: bool


async def record_review(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int, held_on: date,
    part: ReviewPart, today: date, late_reason: str | None = None,
) -> RecordedReview:  # fmt: skip
    child = await child_for_change(session, child_pk, visibility_for(actor))
    check = await check_review(session, rules, child, held_on, part, today)
    if check.late and not (late_reason and late_reason.strip()):
        raise DomainError("This review was late: please say why, so it can be reported.")
    session.add(Review(
        child_pk=child.id, held_on=held_on, part=part.value, recorded_by_id=actor.id,
        late_reason=late_reason.strip() if check.late and late_reason else None,
    ))  # fmt: skip
    bookings = await session.scalars(
        select(ReviewBooking).where(
            ReviewBooking.child_pk == child.id,
            ReviewBooking.status == "booked",
            ReviewBooking.booked_for <= held_on,
        )
    )
    for booking in bookings:
        booking.status = "held"
    await refresh_review_schedule(session, child, rules)
    await record_audit(
        session, "review.record", actor_staff_id=actor.id, entity_type="child",
        entity_id=child.id, detail={"held_on": held_on.isoformat(), "part": part.value,
                                    "late": check.late},
    )  # fmt: skip
    schedule = await current_schedule(session, child, rules)
    return RecordedReview(
        next_due=schedule.next_due,
        decisions_due=decisions_due(held_on, rules),
        minutes_due=minutes_due(held_on, rules),
        late=check.late,
    )


async def book_review(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int, booked_for: date,
    today: date,
) -> Deadline:  # fmt: skip
    """Book a review date; returns when the social worker's reports are due (CIC-REPORTS)."""
    child = await child_for_change(session, child_pk, visibility_for(actor))
    check_booking_date(booked_for, today)
    existing = await session.scalar(
        select(ReviewBooking).where(
            ReviewBooking.child_pk == child.id,
            ReviewBooking.booked_for == booked_for,
            ReviewBooking.status == "booked",
        )
    )
    if existing is None:
        session.add(ReviewBooking(child_pk=child.id, booked_for=booked_for, booked_by_id=actor.id))
    await record_audit(
        session, "review.book", actor_staff_id=actor.id, entity_type="child", entity_id=child.id,
        detail={"booked_for": booked_for.isoformat()},
    )  # fmt: skip
    return reports_due(booked_for, rules)


async def bring_forward(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int, review_by: date,
    reason: str, today: date,
) -> Deadline:  # fmt: skip
    """CIC-BF: direct that the next review be held by ``review_by``; returns the new due date."""
    child = await child_for_change(session, child_pk, visibility_for(actor))
    if not reason.strip():
        raise DomainError("Please give the reason the review is brought forward.")
    await _check_bring_forward(session, rules, child, review_by, today)
    session.add(BroughtForwardDirection(
        child_pk=child.id, review_by=review_by, directed_on=today, reason=reason.strip(),
        directed_by_id=actor.id,
    ))  # fmt: skip
    await refresh_review_schedule(session, child, rules)
    await record_audit(
        session, "review.bring_forward", actor_staff_id=actor.id, entity_type="child",
        entity_id=child.id, detail={"review_by": review_by.isoformat()},
    )  # fmt: skip
    return (await current_schedule(session, child, rules)).next_due


def check_booking_date(booked_for: date, today: date) -> None:
    """A review can be booked for today or later (book_review's own check, usable first)."""
    if booked_for < today:
        raise DomainError(
            f"{short_date(booked_for)} has passed. To record a review that was held, say "
            '"record a review".'
        )


async def _check_bring_forward(
    session: AsyncSession, rules: RuleSet, child: Child, review_by: date, today: date
) -> Deadline:
    """The checks on a brought-forward date; returns the due date it would replace."""
    if review_by < today:
        raise DomainError(f"{short_date(review_by)} has passed: choose today or a later date.")
    schedule = await current_schedule(session, child, rules)
    if review_by >= schedule.next_due.due:
        raise DomainError(
            f"The review is already due by {short_date(schedule.next_due.due)}, which is not "
            f"later than {short_date(review_by)}: nothing to bring forward."
        )
    return schedule.next_due


# -- read-only previews, for a conversation that asks before it writes -----------------------
#
# A dialog checks each answer as it is given (so it can ask again at once) and shows what will
# happen before the user confirms; the write itself repeats every check. These only read (and
# audit the read), so a conversation cancelled half way leaves no record changed.


async def next_review_for(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int
) -> Deadline:
    """The child's next review due date, as the schedule stands now."""
    child = await child_for_change(session, child_pk, visibility_for(actor))
    await audit_child_read(session, actor, child.id, "next_review")
    return (await current_schedule(session, child, rules)).next_due


async def preview_review(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int, held_on: date,
    part: ReviewPart, today: date,
) -> ReviewCheck:  # fmt: skip
    """What recording this review would mean (late or not), with record_review's checks."""
    child = await child_for_change(session, child_pk, visibility_for(actor))
    await audit_child_read(session, actor, child.id, "review_check")
    return await check_review(session, rules, child, held_on, part, today)


async def preview_bring_forward(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int, review_by: date,
    today: date,
) -> Deadline:  # fmt: skip
    """bring_forward's checks on the date; returns the due date it would replace."""
    child = await child_for_change(session, child_pk, visibility_for(actor))
    await audit_child_read(session, actor, child.id, "bring_forward_check")
    return await _check_bring_forward(session, rules, child, review_by, today)


# -- Issues Resolution -----------------------------------------------------------------------


async def management_chain(session: AsyncSession, staff_id: int | None) -> list[StaffMember]:
    """The managers above ``staff_id``, nearest first (cycles in bad data are cut)."""
    chain: list[StaffMember] = []
    seen: set[int] = set()
    current = await session.get(Staff, staff_id) if staff_id else None
    while current is not None and current.manager_id and current.manager_id not in seen:
        seen.add(current.manager_id)
        current = await session.get(Staff, current.manager_id)
        if current is not None:
            chain.append(to_staff_member(current))
    return chain


async def stage_owner_for(
    session: AsyncSession, rules: RuleSet, child: Child, stage_key: str
) -> StaffMember | None:
    managers = await management_chain(session, child.social_worker_id)
    return stage_owner(rules.stage(stage_key), managers)


@dataclass(frozen=True)
class OwnerPreview:
    """Who would answer an IR about this child at a stage, before it is raised."""

    owner: StaffMember | None  # None: nobody holding the stage's role is recorded
    has_social_worker: bool  # without one there is no line of managers to look up


async def preview_stage_owner(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int, stage_key: str
) -> OwnerPreview:
    child = await child_for_change(session, child_pk, visibility_for(actor))
    await audit_child_read(session, actor, child.id, "ir_stage_owner")
    owner = await stage_owner_for(session, rules, child, rules.stage(stage_key).key)
    return OwnerPreview(owner=owner, has_social_worker=child.social_worker_id is not None)


@dataclass(frozen=True)
class RaisedIr:
    reference: str
    ir: ir_model.IR
    owner: StaffMember | None
    stage_due: Deadline
    formal_due: Deadline | None


async def raise_issue(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int,
    reasons: Sequence[str], description: str, stage_key: str, today: date,
) -> RaisedIr:  # fmt: skip
    child = await child_for_change(session, child_pk, visibility_for(actor))
    owner = await stage_owner_for(session, rules, child, stage_key)
    social_worker = await session.get(Staff, child.social_worker_id) if child.social_worker_id \
        else None  # fmt: skip
    ir, events = ir_model.raise_ir(
        rules,
        child_id=child.child_id,
        raised_by=actor.email,
        reasons=reasons,
        description=description,
        on=today,
        stage=stage_key,
        owner=owner.email if owner else None,
        service_area=child.service_area if child.service_area in rules.service_areas else None,
        social_worker=social_worker.email if social_worker else None,
    )
    reference = await add_ir(session, ir, rules, child_pk=child.id, raised_by_id=actor.id,
                             owner_id=owner.id if owner else None)  # fmt: skip
    ir = ir_model.with_reference(ir, reference)
    await record_audit(
        session, "ir.raise", actor_staff_id=actor.id, entity_type="ir", entity_id=reference,
        detail={"child_pk": child.id, "stage": stage_key, "reasons": len(ir.reasons)},
    )  # fmt: skip
    # In this transaction, so the IR and the news of it are stored together or not at all:
    # the stage owner's card, the IRO's copy, and a word to the child's social worker.
    await enqueue_for_events(session, rules, reference, events, today)
    return RaisedIr(
        reference=reference,
        ir=ir,
        owner=owner,
        stage_due=ir_model.stage_deadline(ir, rules),
        formal_due=ir_model.formal_deadline(ir, rules),
    )
