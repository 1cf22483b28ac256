"""Recording that a review's decisions or minutes were sent (CIC-DECISIONS, CIC-MINUTES).

Until the date is recorded the IRO is reminded every day (``domain.reminders``) and the annual
report counts the paperwork as not sent (report 8.5). The review meant is the child's latest one
held on or before the day the paperwork went out: paperwork follows the review it records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DomainError
from domain.formatting import short_date
from domain.paperwork import Paperwork, PaperworkCheck
from domain.ports import StaffMember, visibility_for
from domain.reviews import ReviewPart, decisions_due, minutes_due
from domain.rules import RuleSet
from storage.actions import child_for_change
from storage.audit import audit_child_read, record_audit
from storage.models import Review


def _field(kind: Paperwork) -> str:
    return "decisions_sent_on" if kind is Paperwork.DECISIONS else "minutes_sent_on"


async def _review_for(
    session: AsyncSession, actor: StaffMember, child_pk: int, sent_on: date, today: date,
    *, read: str | None = None,
) -> Review:  # fmt: skip
    """The review the paperwork belongs to; with ``read``, the check shows the child's record,
    so the read is audited under that name."""
    child = await child_for_change(session, child_pk, visibility_for(actor))
    if read is not None:
        await audit_child_read(session, actor, child.id, read)
    if sent_on > today:
        raise DomainError(
            f"{short_date(sent_on)} is in the future: record it once it has been sent."
        )
    review = await session.scalar(
        select(Review)
        .where(Review.child_pk == child.id, Review.held_on <= sent_on)
        .order_by(Review.held_on.desc(), Review.id.desc())
        .limit(1)
    )
    if review is None:
        raise DomainError(
            f"No review of this child held on or before {short_date(sent_on)} is recorded, so "
            "there is nothing for that paperwork to belong to. Record the review first "
            '("record a review").'
        )
    return review


def _check(review: Review, kinds: Sequence[Paperwork], rules: RuleSet) -> PaperworkCheck:
    compute = {Paperwork.DECISIONS: decisions_due, Paperwork.MINUTES: minutes_due}
    return PaperworkCheck(
        held_on=review.held_on,
        part=ReviewPart(review.part),
        due={kind: compute[kind](review.held_on, rules) for kind in kinds},
        recorded={kind: getattr(review, _field(kind)) for kind in kinds},
    )


async def preview_paperwork_sent(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int,
    kinds: Sequence[Paperwork], sent_on: date, today: date,
) -> PaperworkCheck:  # fmt: skip
    """The checks ``record_paperwork_sent`` makes, without writing anything."""
    review = await _review_for(session, actor, child_pk, sent_on, today, read="paperwork_check")
    return _check(review, kinds, rules)


async def record_paperwork_sent(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, child_pk: int,
    kinds: Sequence[Paperwork], sent_on: date, today: date,
) -> PaperworkCheck:  # fmt: skip
    """Record ``sent_on`` for each of ``kinds`` on the review it belongs to (a date already
    recorded is corrected: the check handed back holds the earlier one)."""
    if not kinds:
        raise DomainError("Say which was sent: the decisions, the minutes, or both.")
    review = await _review_for(session, actor, child_pk, sent_on, today)
    check = _check(review, kinds, rules)
    for kind in kinds:
        setattr(review, _field(kind), sent_on)
    await record_audit(
        session, "review.paperwork_sent", actor_staff_id=actor.id, entity_type="child",
        entity_id=review.child_pk, detail={"review_id": review.id, "sent_on": sent_on.isoformat(),
                                           "sent": sorted(k.value for k in kinds)},
    )  # fmt: skip
    return check
