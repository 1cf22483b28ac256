"""Book a review: child → date (today or later) → confirm. Only the last step writes
(``services.reviews.book_review``); the result shows when the social worker's reports are due
(CIC-REPORTS)."""

from __future__ import annotations

from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards.reviews import book_confirm_card, booking_question, review_booked_card
from dialogs.common import YES, IroDialog
from dialogs.prompts import (
    Accepted,
    Ask,
    Outcome,
    Rejected,
    card_message,
    send,
)
from domain.deadlines import Deadline
from domain.errors import ChildNotVisible, DomainError
from domain.permissions import Change
from domain.reviews import check_booking_date
from services.context import Services
from services.reviews import book_review, next_review_due
from understanding.caseload import CaseloadCache

BOOK_REVIEW = "book_review"
_ASK_DATE = "book_review.date"


def _booking_outcome(day: date, today: date) -> Outcome:
    try:
        check_booking_date(day, today)
    except DomainError as exc:
        return Rejected(str(exc))
    return Accepted(day.isoformat())


class BookReviewDialog(IroDialog):
    change = Change.BOOK_REVIEW
    doing = "booking a review"
    child_question = "Which child's review are you booking? Type their name or child ID."

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(BOOK_REVIEW, services, caseload,
                         [self.date_step, self.confirm_step, self.save_step])  # fmt: skip
        self.add_dialog(Ask(_ASK_DATE, self.date_answers(self._check_booking, future=True)))

    async def _due(self, step: WaterfallStepContext) -> Deadline | None:
        """The review's due date, to show beside the booking; None when no review is due."""
        staff, pk = self.staff(step), self.child_pk(step)
        try:
            return await self.read(
                lambda uow: next_review_due(uow, self.services.rules, staff, pk)
            )
        except ChildNotVisible:
            raise
        except DomainError:
            return None  # no current period of care: a booking is still allowed

    # -- steps -------------------------------------------------------------------------------------

    async def date_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.take_child(step)
        try:
            due = await self._due(step)
        except ChildNotVisible as exc:
            return await self.not_saved(step, str(exc))
        question = booking_question(self.child_name(step), due)
        return await self.date_or_ask(step, _ASK_DATE, question, {}, self._check_booking)

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["date"] = step.result
        try:
            due = await self._due(step)
        except ChildNotVisible as exc:
            return await self.not_saved(step, str(exc))
        booked_for = date.fromisoformat(step.result)
        working_day = self.services.rules.calendar.is_working_day(booked_for)
        summary = book_confirm_card(self.child_name(step), step.values["child"]["child_id"],
                                    booked_for, due, working_day)  # fmt: skip
        return await self.confirm(step, summary)

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result != YES:
            return await self.not_saved(step)
        staff, pk, today = self.staff(step), self.child_pk(step), self.today()
        booked_for = date.fromisoformat(step.values["date"])
        booked = await self.save(step, lambda uow: book_review(
            uow, self.services.rules, staff, pk, booked_for, today),
            outcome=lambda r: {"reports_due": _iso(r.reports_due)})  # fmt: skip
        if booked is None:
            return await self.unsaved(step)
        await send(step.context, card_message(review_booked_card(
            self.child_name(step), booked_for, booked.reports_due, today)))  # fmt: skip
        return await self.finish(step, saved=True, reports_due=_iso(booked.reports_due))

    # -- answers -----------------------------------------------------------------------------------

    async def _check_booking(self, context: TurnContext, day: date,
                             data: dict[str, Any]) -> Outcome:  # fmt: skip
        """A ``DateCheck``: a booking's rules need only the day (and today)."""
        return _booking_outcome(day, self.today())


def _iso(deadline: Deadline | None) -> str | None:
    return deadline.due.isoformat() if deadline else None
