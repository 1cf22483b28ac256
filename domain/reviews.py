"""When a child in care's next statutory review is due, and whether each review was on time.

Care Planning, Placement and Case Review (England) Regulations 2010, reg 33:
CIC-1 the first review within 20 working days of becoming looked after; CIC-2 the second not more
than 3 months after the first; CIC-3 each later one not more than 6 months after the previous.
CIC-BF: the IRO may bring a review forward; the brought-forward date becomes the due date when it
is earlier, and a review held early resets the cadence from its own date.
CIC-SPLIT: a review held in two parts counts, by default, from Part 1 (``split_counts_from``).
A new period of care restarts at CIC-1: reviews before the period began are not counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.deadlines import Deadline, apply_timescale
from domain.errors import DomainError
from domain.formatting import short_date
from domain.rules import RuleSet, SplitReviewBasis


class ReviewPart(StrEnum):
    FULL = "full"
    PART1 = "part1"
    PART2 = "part2"

    @classmethod
    def parse(cls, text: str | None) -> ReviewPart:
        """'full', 'part1', 'part 1', 'Part 2' or blank (full)."""
        cleaned = (text or "").strip().lower().replace(" ", "").replace("_", "")
        if not cleaned:
            return cls.FULL
        try:
            return cls(cleaned)
        except ValueError:
            raise DomainError(f"{text!r} is not a review part: use full, part1 or part2") from None


@dataclass(frozen=True, order=True)
class ReviewHeld:
    held_on: date
    part: ReviewPart = ReviewPart.FULL


@dataclass(frozen=True)
class BroughtForward:
    """An IRO's direction that the next review be held by ``review_by``."""

    review_by: date
    directed_on: date
    reason: str


@dataclass(frozen=True)
class ReviewOutcome:
    """One counted review and the due date it was judged against."""

    review: ReviewHeld
    number: int  # 1 = initial, 2 = second, 3+ = subsequent
    due: Deadline
    on_time: bool


@dataclass(frozen=True)
class ReviewSchedule:
    period_start: date
    next_due: Deadline
    held: tuple[ReviewOutcome, ...]  # counted reviews in this period of care, in order
    part2_outstanding_since: date | None  # a Part 1 held with no Part 2 yet
    not_counted: tuple[tuple[ReviewHeld, str], ...]  # reviews left out, with the reason

    @property
    def reviews_counted(self) -> int:
        return len(self.held)

    @property
    def next_number(self) -> int:
        return len(self.held) + 1


_ORDINAL_EVENT = {1: "the first review held", 2: "the second review held"}


def review_schedule(
    looked_after_since: date,
    reviews: Iterable[ReviewHeld],
    rules: RuleSet,
    brought_forward: Iterable[BroughtForward] = (),
) -> ReviewSchedule:
    """The child's review history in the current period of care and the next due date.

    Reviews may be given in any order; duplicates count once.
    """
    counted_part = (
        ReviewPart.PART1 if rules.split_counts_from is SplitReviewBasis.PART1 else ReviewPart.PART2
    )
    not_counted: list[tuple[ReviewHeld, str]] = []
    counted: list[ReviewHeld] = []
    part2_outstanding: date | None = None
    for review in sorted(set(reviews)):
        if review.held_on < looked_after_since:
            not_counted.append((review, "held before this period of care began"))
            continue
        if review.part is ReviewPart.PART1:
            part2_outstanding = review.held_on
        elif review.part is ReviewPart.PART2:
            part2_outstanding = None
        if review.part in (ReviewPart.FULL, counted_part):
            counted.append(review)
        else:
            other = "Part 2" if counted_part is ReviewPart.PART1 else "Part 1"
            not_counted.append(
                (review, f"{other} of a split review: the cadence counts from the other part")
            )

    directions = sorted(
        (bf for bf in brought_forward if bf.directed_on >= looked_after_since),
        key=lambda bf: bf.directed_on,
    )
    outcomes: list[ReviewOutcome] = []
    previous: ReviewHeld | None = None
    for number, review in enumerate(counted, start=1):
        due = _due_after(looked_after_since, previous, number, rules, directions, review.held_on)
        outcomes.append(ReviewOutcome(review, number, due, on_time=review.held_on <= due.due))
        previous = review
    next_due = _due_after(looked_after_since, previous, len(counted) + 1, rules, directions, None)
    return ReviewSchedule(
        period_start=looked_after_since,
        next_due=next_due,
        held=tuple(outcomes),
        part2_outstanding_since=part2_outstanding,
        not_counted=tuple(not_counted),
    )


def next_review_due(
    looked_after_since: date,
    reviews: Iterable[ReviewHeld],
    rules: RuleSet,
    brought_forward: Iterable[BroughtForward] = (),
) -> Deadline:
    return review_schedule(looked_after_since, reviews, rules, brought_forward).next_due


def _due_after(
    start: date,
    previous: ReviewHeld | None,
    number: int,
    rules: RuleSet,
    directions: Sequence[BroughtForward],
    held_on: date | None,
) -> Deadline:
    """The due date of review ``number``, given the previous counted review (None: the first)."""
    calendar = rules.calendar
    if previous is None:
        due = apply_timescale(rules.timescale("CIC-1"), start, calendar)
    else:
        rule_id = "CIC-2" if number == 2 else "CIC-3"
        event = _ORDINAL_EVENT.get(number - 1, "the previous review held")
        if previous.part is not ReviewPart.FULL:
            part = "Part 1" if previous.part is ReviewPart.PART1 else "Part 2"
            event += f" ({part} of a split review)"
        due = apply_timescale(rules.timescale(rule_id), previous.held_on, calendar, event)

    # Directions made in this cycle: on or after the previous review (a direction is often
    # made at the review itself) and before this review was held.
    cycle_start = previous.held_on if previous else start
    for bf in directions:
        in_cycle = bf.directed_on >= cycle_start and (held_on is None or bf.directed_on <= held_on)
        if in_cycle and bf.review_by < due.due:
            due = _brought_forward_deadline(bf, rules)
    return due


def _brought_forward_deadline(bf: BroughtForward, rules: RuleSet) -> Deadline:
    reason = f" ({bf.reason})" if bf.reason.strip() else ""
    return Deadline(
        due=bf.review_by,
        timescale=rules.timescale("CIC-BF"),
        start=bf.directed_on,
        event="the IRO directed it",
        calendar=rules.calendar,
        note=(
            f"brought forward to {short_date(bf.review_by)} as the IRO directed on "
            f"{short_date(bf.directed_on)}{reason}, earlier than the regular due date"
        ),
    )


# -- follow-ups ----------------------------------------------------------------------------


def care_plan_due(looked_after_since: date, rules: RuleSet) -> Deadline:
    """CIC-PLAN: the care plan within 10 working days of becoming looked after."""
    return apply_timescale(rules.timescale("CIC-PLAN"), looked_after_since, rules.calendar)


def decisions_due(review_held_on: date, rules: RuleSet) -> Deadline:
    """CIC-DECISIONS: review decisions and the updated care plan sent."""
    return apply_timescale(rules.timescale("CIC-DECISIONS"), review_held_on, rules.calendar)


def minutes_due(review_held_on: date, rules: RuleSet) -> Deadline:
    """CIC-MINUTES: the review record sent."""
    return apply_timescale(rules.timescale("CIC-MINUTES"), review_held_on, rules.calendar)


def reports_due(review_booked_for: date, rules: RuleSet) -> Deadline:
    """CIC-REPORTS: the social worker's reports reach the IRO before the booked review."""
    return apply_timescale(rules.timescale("CIC-REPORTS"), review_booked_for, rules.calendar)


# -- the checks on a change to the record ------------------------------------------------------
#
# Each is the rule a write applies, and the same rule a conversation applies to an answer as it
# is given (so it can ask again at once). A refusal is a DomainError whose message says what to do.


@dataclass(frozen=True)
class ReviewCheck:
    """What recording a review on a date would mean, before it is written: the review is placed
    in its true order among those recorded (a missed entry as much as the latest one) and judged
    against the due date that applied then."""

    #: The date this review was due by; None when it is not counted (a Part 2 completing its
    #: Part 1, judged on Part 1: CIC-SPLIT).
    was_due: Deadline | None
    late: bool
    number: int  # 1 = initial, 2 = second, 3+ = subsequent (the next one's, when not counted)
    next_due: Deadline  # the next review's due date once this one is recorded
    #: Why it is not counted, when it is not ("Part 2 of a split review: ...").
    not_counted: str | None = None
    #: The Part 1 a Part 2 completes (the latest Part 1 held before it).
    completes: date | None = None
    #: Held before the latest review recorded: placed in its order, later ones judged again.
    earlier_than: date | None = None
    #: Later reviews whose judgement changes once this one is in its place.
    rejudged: tuple[ReviewOutcome, ...] = ()


def check_review(
    held_on: date, part: ReviewPart, looked_after_since: date | None,
    reviews: Sequence[ReviewHeld], directions: Sequence[BroughtForward], rules: RuleSet,
    today: date,
) -> ReviewCheck:  # fmt: skip
    """May a review held on ``held_on`` be recorded, and what does it mean: late or not against
    the due date that applied on its day, and what changes after it."""
    check_review_day(held_on, looked_after_since, today)
    new = ReviewHeld(held_on, part)
    if new in set(reviews):
        raise DomainError(f"A review on {short_date(held_on)} is already recorded.")
    before = current_schedule(looked_after_since, reviews, directions, rules)
    after = current_schedule(looked_after_since, [*reviews, new], directions, rules)
    judged = {o.review: o for o in before.held}
    rejudged = tuple(
        o for o in after.held
        if o.review != new and (o.review not in judged or judged[o.review].on_time != o.on_time)
    )  # fmt: skip
    later = [o.review.held_on for o in before.held if o.review.held_on > held_on]
    earlier_than = max(later) if later else None
    outcome = next((o for o in after.held if o.review == new), None)
    if outcome is None:
        reason = next((why for review, why in after.not_counted if review == new), None)
        part1s = [r.held_on for r in reviews
                  if r.part is ReviewPart.PART1 and r.held_on <= held_on]  # fmt: skip
        completes = max(part1s) if part is ReviewPart.PART2 and part1s else None
        return ReviewCheck(was_due=None, late=False, number=after.next_number,
                           next_due=after.next_due, not_counted=reason, completes=completes,
                           earlier_than=earlier_than, rejudged=rejudged)  # fmt: skip
    return ReviewCheck(was_due=outcome.due, late=not outcome.on_time, number=outcome.number,
                       next_due=after.next_due, earlier_than=earlier_than,
                       rejudged=rejudged)  # fmt: skip


def check_review_day(held_on: date, looked_after_since: date | None, today: date) -> None:
    """``check_review``'s checks that need no schedule (made first: they say what to do)."""
    if held_on > today:
        raise DomainError(
            f'{short_date(held_on)} is in the future. To book a review, say "book a review".'
        )
    if looked_after_since and held_on < looked_after_since:
        raise DomainError(
            f"{short_date(held_on)} is before this period of care began "
            f"({short_date(looked_after_since)})."
        )


def check_booking_date(booked_for: date, today: date) -> None:
    """A review can be booked for today or later."""
    if booked_for < today:
        raise DomainError(
            f"{short_date(booked_for)} has passed. To record a review that was held, say "
            '"record a review".'
        )


def check_bring_forward(review_by: date, schedule: ReviewSchedule, today: date) -> Deadline:
    """CIC-BF: may the next review be brought forward to ``review_by``? Returns the due date it
    would replace."""
    check_bring_forward_day(review_by, today)
    if review_by >= schedule.next_due.due:
        raise DomainError(
            f"The review is already due by {short_date(schedule.next_due.due)}, which is not "
            f"later than {short_date(review_by)}: nothing to bring forward."
        )
    return schedule.next_due


def check_bring_forward_day(review_by: date, today: date) -> None:
    """``check_bring_forward``'s check that needs no schedule (made first)."""
    if review_by < today:
        raise DomainError(f"{short_date(review_by)} has passed: choose today or a later date.")


def current_schedule(
    looked_after_since: date | None, reviews: Sequence[ReviewHeld],
    directions: Sequence[BroughtForward], rules: RuleSet,
) -> ReviewSchedule:  # fmt: skip
    """The schedule of the current period of care; refused when there is none."""
    if looked_after_since is None:
        raise DomainError("This child has no current period of care recorded, so no review is due.")
    return review_schedule(looked_after_since, reviews, rules, directions)
