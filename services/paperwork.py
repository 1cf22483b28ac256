"""Recording that a review's decisions or minutes were sent (CIC-DECISIONS, CIC-MINUTES).

Until the date is recorded the IRO is reminded every day (``domain.reminders``) and the annual
report counts the paperwork as not sent (report 8.5). The review meant is the child's latest one
held on or before the day the paperwork went out: paperwork follows the review it records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.errors import DomainError
from domain.formatting import short_date
from domain.paperwork import Paperwork, PaperworkCheck
from domain.permissions import Change
from domain.ports import StaffMember
from domain.reviews import ReviewPart, decisions_due, minutes_due
from domain.rules import RuleSet
from services.reviews import child_for_change
from services.unit_of_work import ReviewRow, UnitOfWork


async def _review_for(
    uow: UnitOfWork, actor: StaffMember, child_pk: int, sent_on: date, today: date,
    *, read: str | None = None,
) -> ReviewRow:  # fmt: skip
    """The review the paperwork belongs to; with ``read``, the check shows the child's record,
    so the read is audited under that name."""
    child = await child_for_change(uow, actor, child_pk, Change.RECORD_PAPERWORK)
    if read is not None:
        await uow.audit.child_read(actor, child.id, read)
    if sent_on > today:
        raise DomainError(
            f"{short_date(sent_on)} is in the future: record it once it has been sent."
        )
    review = await uow.reviews.latest_held_by(child.id, sent_on)
    if review is None:
        raise DomainError(
            f"No review of this child held on or before {short_date(sent_on)} is recorded, so "
            "there is nothing for that paperwork to belong to. Record the review first "
            '("record a review").'
        )
    return review


def _check(uow: UnitOfWork, review: Any, kinds: Sequence[Paperwork], rules: RuleSet
           ) -> PaperworkCheck:  # fmt: skip
    compute = {Paperwork.DECISIONS: decisions_due, Paperwork.MINUTES: minutes_due}
    return PaperworkCheck(
        held_on=review.held_on,
        part=ReviewPart(review.part),
        due={kind: compute[kind](review.held_on, rules) for kind in kinds},
        recorded={kind: uow.reviews.paperwork_sent(review, kind) for kind in kinds},
    )


async def preview_paperwork_sent(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int,
    kinds: Sequence[Paperwork], sent_on: date, today: date,
) -> PaperworkCheck:  # fmt: skip
    """The checks ``record_paperwork_sent`` makes, without writing anything."""
    review = await _review_for(uow, actor, child_pk, sent_on, today, read="paperwork_check")
    return _check(uow, review, kinds, rules)


async def record_paperwork_sent(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int,
    kinds: Sequence[Paperwork], sent_on: date, today: date,
) -> PaperworkCheck:  # fmt: skip
    """Record ``sent_on`` for each of ``kinds`` on the review it belongs to (a date already
    recorded is corrected: the check handed back holds the earlier one)."""
    if not kinds:
        raise DomainError("Say which was sent: the decisions, the minutes, or both.")
    review = await _review_for(uow, actor, child_pk, sent_on, today)
    check = _check(uow, review, kinds, rules)
    await uow.reviews.set_paperwork_sent(review, kinds, sent_on)
    await uow.audit.record(
        "review.paperwork_sent", actor_staff_id=actor.id, entity_type="child",
        entity_id=review.child_pk, detail={"review_id": review.id, "sent_on": sent_on.isoformat(),
                                           "sent": sorted(k.value for k in kinds)},
    )  # fmt: skip
    return check
