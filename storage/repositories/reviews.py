"""A child's review record as the review use cases change it: reviews held, bookings,
brought-forward directions, paperwork dates, and the stored schedule kept true after each.

Persistence only. The checks and the dates are the domain's (``domain.reviews``), the decisions
the use cases' (``services.reviews``, ``services.paperwork``). The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.paperwork import Paperwork
from domain.ports import Visibility
from domain.review_details import ReviewDetails
from domain.reviews import BroughtForward, ReviewHeld, ReviewPart
from domain.rules import RuleSet
from storage.models import BroughtForwardDirection, Child, Review, ReviewBooking
from storage.repositories.visibility import visibility_clause
from storage.schedule import load_review_inputs, refresh_review_schedule

_SENT_COLUMN = {Paperwork.DECISIONS: "decisions_sent_on", Paperwork.MINUTES: "minutes_sent_on"}


class SqlReviewRecords:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def child(self, child_pk: int, visibility: Visibility) -> Child | None:
        """The child's row for a change, or None when absent or not visible (never told apart)."""
        return await self.session.scalar(
            select(Child).where(
                Child.id == child_pk, visibility_clause(visibility, as_filter=True)
            )
        )

    async def inputs(self, child_pk: int) -> tuple[list[ReviewHeld], list[BroughtForward]]:
        """The child's reviews held and brought-forward directions, as the domain takes them."""
        return await load_review_inputs(self.session, child_pk)

    async def add_review(
        self, child_pk: int, held_on: date, part: ReviewPart, recorded_by_id: int,
        details: ReviewDetails,
    ) -> None:  # fmt: skip
        self.session.add(Review(
            child_pk=child_pk, held_on=held_on, part=part.value, recorded_by_id=recorded_by_id,
            late_reason=details.late_reason, part1_reason=details.part1_reason,
            participation_code=details.participation, held_at=details.held_at,
            chaired_by_child=details.chaired_by_child,
        ))  # fmt: skip

    async def mark_bookings_held(self, child_pk: int, held_on: date) -> None:
        """Bookings for this day or earlier are now held."""
        bookings = await self.session.scalars(
            select(ReviewBooking).where(
                ReviewBooking.child_pk == child_pk,
                ReviewBooking.status == "booked",
                ReviewBooking.booked_for <= held_on,
            )
        )
        for booking in bookings:
            booking.status = "held"

    async def add_booking(self, child_pk: int, booked_for: date, booked_by_id: int) -> bool:
        """Book the day unless it is booked already; True when a booking was added."""
        existing = await self.session.scalar(
            select(ReviewBooking.id).where(
                ReviewBooking.child_pk == child_pk,
                ReviewBooking.booked_for == booked_for,
                ReviewBooking.status == "booked",
            )
        )
        if existing is not None:
            return False
        self.session.add(
            ReviewBooking(child_pk=child_pk, booked_for=booked_for, booked_by_id=booked_by_id)
        )
        return True

    async def add_direction(
        self, child_pk: int, review_by: date, directed_on: date, reason: str, directed_by_id: int
    ) -> None:
        self.session.add(BroughtForwardDirection(
            child_pk=child_pk, review_by=review_by, directed_on=directed_on, reason=reason,
            directed_by_id=directed_by_id,
        ))  # fmt: skip

    async def refresh_schedule(self, child: Child, rules: RuleSet) -> bool:
        """Store the child's next review as the domain now computes it (after a change)."""
        return await refresh_review_schedule(self.session, child, rules)

    async def latest_held_by(self, child_pk: int, day: date) -> Review | None:
        """The child's latest review held on or before ``day``."""
        return await self.session.scalar(
            select(Review)
            .where(Review.child_pk == child_pk, Review.held_on <= day)
            .order_by(Review.held_on.desc(), Review.id.desc())
            .limit(1)
        )

    def details_of(self, review: Review) -> ReviewDetails:
        return ReviewDetails(review.participation_code, review.late_reason, review.part1_reason,
                             review.held_at, review.chaired_by_child)  # fmt: skip

    async def set_details(self, review: Review, details: ReviewDetails) -> None:
        review.participation_code = details.participation
        review.late_reason = details.late_reason
        review.part1_reason = details.part1_reason
        review.held_at = details.held_at
        review.chaired_by_child = details.chaired_by_child

    @staticmethod
    def paperwork_sent(review: Review, kind: Paperwork) -> date | None:
        return getattr(review, _SENT_COLUMN[kind])

    async def set_paperwork_sent(
        self, review: Review, kinds: Sequence[Paperwork], sent_on: date
    ) -> None:
        for kind in kinds:
            setattr(review, _SENT_COLUMN[kind], sent_on)
