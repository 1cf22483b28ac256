"""Reviews: the next review and its explanation, recording a review held, booking one, and
bringing one forward (CIC-BF); each check also as a read-only preview for a conversation that
asks before it writes.

A preview only reads (and audits the read), so a conversation cancelled half way leaves no record
changed; the write repeats every check. Refusals are ``DomainError``s whose message can be shown
as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from domain.deadlines import Deadline
from domain.errors import ChildNotVisible, DomainError, NotPermitted
from domain.formatting import short_date
from domain.permissions import Change, may_change, refusal, visibility_for
from domain.ports import ChildSummary, StaffMember
from domain.review_details import NO_DETAILS, ReviewDetails, check_details
from domain.reviews import (
    ReviewCheck,
    ReviewPart,
    ReviewSchedule,
    check_booking_date,
    check_bring_forward,
    check_bring_forward_day,
    check_review,
    check_review_day,
    current_schedule,
    decisions_due,
    minutes_due,
    reports_due,
)
from domain.rules import RuleSet
from services.unit_of_work import ChildRow, UnitOfWork


async def child_for_change(
    uow: UnitOfWork, actor: StaffMember, child_pk: int, change: Change | None = None
) -> ChildRow:
    """The child's own record, when ``actor`` may see it (else ``ChildNotVisible``) and, with
    ``change``, may make that change for this child (else ``NotPermitted``, saying who may)."""
    child = await uow.reviews.child(child_pk, visibility_for(actor))
    if child is None:
        raise ChildNotVisible()
    if change is not None and not may_change(
        actor, change, iro_id=child.iro_id, covering_iro_id=child.covering_iro_id
    ):
        raise NotPermitted(refusal(change))
    return child


async def check_may_change(
    uow: UnitOfWork, actor: StaffMember, child_pk: int, change: Change
) -> None:
    """``child_for_change``'s checks alone: a conversation asks before its first question."""
    await child_for_change(uow, actor, child_pk, change)


async def schedule_of(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child: ChildSummary | ChildRow,
    what: str,
) -> ReviewSchedule:  # fmt: skip
    """The one path to a child's review schedule now, audited as the read ``what``.

    ``child`` was read with the actor's visibility in this unit of work (a ``ChildSummary`` from
    the child lookup, or the row from ``child_for_change``): only its key and the start of its
    period of care are needed, so it is not read again. Raises ``DomainError`` when there is no
    current period of care, after auditing the read (the refusal names the child): a caller
    that shows the refusal commits the unit of work rather than letting the error roll it back.
    """
    pk = child.pk if isinstance(child, ChildSummary) else child.id
    reviews, directions = ([], []) if child.looked_after_since is None \
        else await uow.reviews.inputs(pk)  # fmt: skip
    # Audited after the reads (same transaction, committed with them): on SQLite the insert
    # takes the write lock, held to the commit, so it is not held through the reads.
    await uow.audit.child_read(actor, pk, what)
    return current_schedule(child.looked_after_since, reviews, directions, rules)


async def _schedule(uow: UnitOfWork, rules: RuleSet, child: ChildRow) -> ReviewSchedule:
    """The schedule for a change's own checks (not a read shown to anyone: not audited)."""
    reviews, directions = await uow.reviews.inputs(child.id)
    return current_schedule(child.looked_after_since, reviews, directions, rules)


# -- previews, for a conversation that asks before it writes -----------------------------------


async def next_review_due(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int
) -> Deadline:
    """The child's next review due date, as the schedule stands now."""
    child = await child_for_change(uow, actor, child_pk)
    return (await schedule_of(uow, rules, actor, child, "next_review")).next_due


async def preview_review(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int, held_on: date,
    part: ReviewPart, today: date,
) -> ReviewCheck:  # fmt: skip
    """What recording this review would mean (late or not), with record_review's checks."""
    child = await child_for_change(uow, actor, child_pk, Change.RECORD_REVIEW)
    await uow.audit.child_read(actor, child.id, "review_check")
    return await _check(uow, rules, child, held_on, part, today)


async def _check(
    uow: UnitOfWork, rules: RuleSet, child: ChildRow, held_on: date, part: ReviewPart,
    today: date,
) -> ReviewCheck:  # fmt: skip
    """``check_review`` with the child's recorded reviews and directions."""
    check_review_day(held_on, child.looked_after_since, today)
    reviews, directions = await uow.reviews.inputs(child.id)
    return check_review(held_on, part, child.looked_after_since, reviews, directions, rules,
                        today)  # fmt: skip


async def preview_bring_forward(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int, review_by: date,
    today: date,
) -> Deadline:  # fmt: skip
    """bring_forward's checks on the date; returns the due date it would replace."""
    child = await child_for_change(uow, actor, child_pk, Change.BRING_FORWARD)
    await uow.audit.child_read(actor, child.id, "bring_forward_check")
    check_bring_forward_day(review_by, today)
    schedule = await _schedule(uow, rules, child)
    return check_bring_forward(review_by, schedule, today)


# -- changes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedReview:
    next_due: Deadline
    #: None when the rules in use set no such timescale (a nation's law leaves it to local
    #: protocol: domain.rules, [timescales_not_set]).
    decisions_due: Deadline | None
    minutes_due: Deadline | None
    late: bool


async def record_review(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int, held_on: date,
    part: ReviewPart, today: date, details: ReviewDetails = NO_DETAILS,
) -> RecordedReview:  # fmt: skip
    """Record a review held, with what the report counts about it (``details``: a late
    review's reason and a Part 1's, from the authority's lists or "Other: ...", participation,
    where it was held, who chaired)."""
    child = await child_for_change(uow, actor, child_pk, Change.RECORD_REVIEW)
    check = await _check(uow, rules, child, held_on, part, today)
    stored = check_details(details, late=check.late, part1=part is ReviewPart.PART1,
                           late_reasons=rules.late_reasons,
                           part1_reasons=rules.part1_reasons)  # fmt: skip
    await uow.reviews.add_review(child.id, held_on, part, actor.id, stored)
    await uow.reviews.mark_bookings_held(child.id, held_on)
    await uow.reviews.refresh_schedule(child, rules)
    await uow.audit.record(
        "review.record", actor_staff_id=actor.id, entity_type="child", entity_id=child.id,
        detail={"held_on": held_on.isoformat(), "part": part.value, "late": check.late,
                "participation": stored.participation},
    )  # fmt: skip
    return RecordedReview(
        next_due=check.next_due,  # the check placed this review among the others already
        decisions_due=decisions_due(held_on, rules)
        if rules.has_timescale("CIC-DECISIONS") else None,
        minutes_due=minutes_due(held_on, rules) if rules.has_timescale("CIC-MINUTES") else None,
        late=check.late,
    )


@dataclass(frozen=True)
class ReviewOnRecord:
    """A review held, as recorded: which one, and the details the report counts."""

    held_on: date
    part: ReviewPart
    details: ReviewDetails


#: The details a correction may change (``ReviewDetails`` field names).
CORRECTABLE = ("participation", "late_reason", "part1_reason", "held_at", "chaired_by_child")


async def review_on_record(
    uow: UnitOfWork, actor: StaffMember, child_pk: int, held_on: date | None, today: date,
) -> ReviewOnRecord:  # fmt: skip
    """The review to correct: the one held on ``held_on``, else the latest; a DomainError
    when there is none (saying which review there is)."""
    child = await child_for_change(uow, actor, child_pk, Change.RECORD_REVIEW)
    review = await uow.reviews.latest_held_by(child.id, held_on or today)
    if review is None:
        raise DomainError("No review is recorded for this child yet: to record one, say "
                          '"record a review".' if held_on is None else
                          f"No review is recorded as held on {short_date(held_on)} or before.")
    if held_on is not None and review.held_on != held_on:
        raise DomainError(f"No review is recorded as held on {short_date(held_on)}; the latest "
                          f"before it was held on {short_date(review.held_on)}.")  # fmt: skip
    return ReviewOnRecord(review.held_on, ReviewPart(review.part),
                          uow.reviews.details_of(review))  # fmt: skip


async def correct_review(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int, held_on: date,
    field_name: str, value: str | bool | None,
) -> ReviewOnRecord:  # fmt: skip
    """Change one detail of the review held on ``held_on`` (the latest held that day): checked
    as when it is recorded (a reason from the list or "Other: ...", a code PN0-PN7), audited
    with the field's name (never its words). Returns the review as it is now."""
    if field_name not in CORRECTABLE:
        raise DomainError("That is not something recorded about a review that can be changed.")
    child = await child_for_change(uow, actor, child_pk, Change.RECORD_REVIEW)
    review = await uow.reviews.latest_held_by(child.id, held_on)
    if review is None or review.held_on != held_on:
        raise DomainError(f"No review is recorded as held on {short_date(held_on)}.")
    part = ReviewPart(review.part)
    if field_name == "part1_reason" and part is not ReviewPart.PART1:
        raise DomainError("Only a Part 1 has a reason why only Part 1 could be held.")
    current = uow.reviews.details_of(review)
    if field_name == "late_reason" and current.late_reason is None:
        raise DomainError("This review was not recorded as late, so it has no late reason.")
    # Only the changed detail is checked: one recorded before the lists (an import's own
    # words) stays as it is.
    checked = check_details(
        ReviewDetails(**{field_name: value}), late=field_name == "late_reason",
        part1=field_name == "part1_reason", late_reasons=rules.late_reasons,
        part1_reasons=rules.part1_reasons,
    )  # fmt: skip
    changed = replace(current, **{field_name: getattr(checked, field_name)})
    await uow.reviews.set_details(review, changed)
    await uow.audit.record(
        "review.correct", actor_staff_id=actor.id, entity_type="child", entity_id=child.id,
        detail={"held_on": held_on.isoformat(), "part": part.value, "field": field_name},
    )  # fmt: skip
    return ReviewOnRecord(review.held_on, part, changed)


@dataclass(frozen=True)
class BookedReview:
    booked_for: date
    #: When the social worker's reports are due (CIC-REPORTS); None when the rules in use set
    #: no such timescale.
    reports_due: Deadline | None


async def book_review(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int, booked_for: date,
    today: date,
) -> BookedReview:  # fmt: skip
    """Book a review date, with when the social worker's reports are due (CIC-REPORTS)."""
    child = await child_for_change(uow, actor, child_pk, Change.BOOK_REVIEW)
    check_booking_date(booked_for, today)
    await uow.reviews.add_booking(child.id, booked_for, actor.id)
    await uow.audit.record(
        "review.book", actor_staff_id=actor.id, entity_type="child", entity_id=child.id,
        detail={"booked_for": booked_for.isoformat()},
    )  # fmt: skip
    due = reports_due(booked_for, rules) if rules.has_timescale("CIC-REPORTS") else None
    return BookedReview(booked_for, due)


async def bring_forward(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int, review_by: date,
    reason: str, today: date,
) -> Deadline:  # fmt: skip
    """CIC-BF: direct that the next review be held by ``review_by``; returns the new due date."""
    child = await child_for_change(uow, actor, child_pk, Change.BRING_FORWARD)
    if not reason.strip():
        raise DomainError("Please give the reason the review is brought forward.")
    check_bring_forward_day(review_by, today)
    check_bring_forward(review_by, await _schedule(uow, rules, child), today)
    await uow.reviews.add_direction(child.id, review_by, today, reason.strip(), actor.id)
    await uow.reviews.refresh_schedule(child, rules)
    await uow.audit.record(
        "review.bring_forward", actor_staff_id=actor.id, entity_type="child",
        entity_id=child.id, detail={"review_by": review_by.isoformat()},
    )  # fmt: skip
    return (await _schedule(uow, rules, child)).next_due
