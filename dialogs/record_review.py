"""Record a review held: child → date held → full / part 1 / part 2 → late reason (if late) →
confirm. Only the last step writes: ``services.reviews.record_review``.

Each answer is checked as it is given with the same rules the write applies
(``preview_review``): a date in the future, before the period of care began, or a review
already recorded is refused at once, with what to do instead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards.reviews import (
    LATE_REASON_EMPTY,
    LATE_REASON_MAX,
    LATE_REASON_TOO_LONG,
    PART_FALLBACK,
    PART_NOT_READ,
    held_question,
    late_reason_question,
    part_card,
    record_confirm_card,
    review_recorded_card,
)
from dialogs.child import actor
from dialogs.common import YES, IroDialog
from dialogs.prompts import (
    Accepted,
    Ask,
    Outcome,
    Rejected,
    Reply,
    card_message,
    send,
    text_message,
)
from domain.errors import DomainError
from domain.permissions import Change
from domain.reviews import ReviewCheck, ReviewPart
from services.context import Services
from services.reviews import next_review_due, preview_review, record_review
from understanding.caseload import CaseloadCache
from understanding.dates import Canonical
from understanding.entities import find_part
from understanding.text import clean, tokenise

RECORD_REVIEW = "record_review"
_ASK_DATE = "record_review.date"
_ASK_PART = "record_review.part"
_ASK_LATE_REASON = "record_review.late_reason"
#: Answers to another question (a "yes" meant for the summary), not reasons for lateness.
_NOT_A_REASON = frozenset({"yes", "y", "no", "n", "ok", "okay", "skip", "none"})


def part_from_text(text: str) -> ReviewPart | None:
    """ "full", "part 1", "Pt 2", "1", "second part", ... as a ReviewPart."""
    typed = text.strip().lower().rstrip(".")
    if typed in ("1", "one"):
        return ReviewPart.PART1
    if typed in ("2", "two"):
        return ReviewPart.PART2
    if typed in ("full", "whole", "complete", "all", "all of it", "full review"):
        return ReviewPart.FULL
    found = find_part(Canonical(tokenise(clean(text))))
    if found is not None:
        return found
    try:
        return ReviewPart.parse(typed) if typed else None
    except DomainError:
        return None


def _part(value: object) -> ReviewPart | None:
    try:
        return ReviewPart(str(value)) if value else None
    except ValueError:
        return None


class RecordReviewDialog(IroDialog):
    change = Change.RECORD_REVIEW
    doing = "recording a review"
    child_question = "Which child's review was held? Type their name or child ID."

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(RECORD_REVIEW, services, caseload, [
            self.date_step, self.part_step, self.late_step, self.confirm_step, self.save_step,
        ])  # fmt: skip
        self.add_dialog(Ask(_ASK_DATE, self.date_answers(self._check_date, future=False)))
        self.add_dialog(Ask(_ASK_PART, self.parse_part))
        self.add_dialog(Ask(_ASK_LATE_REASON, self.parse_late_reason, free_text=True))

    # -- steps -------------------------------------------------------------------------------------

    async def date_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.take_child(step)
        staff, pk = self.staff(step), self.child_pk(step)
        due = await self.check(
            lambda uow: next_review_due(uow, self.services.rules, staff, pk)
        )
        if isinstance(due, Rejected):
            # No period of care, or the child is no longer visible: no date would help.
            return await self.not_saved(step, due.message)
        data = {"child_pk": pk,
                "part": step.values.get("part")}  # fmt: skip
        return await self.date_or_ask(step, _ASK_DATE, held_question(self.child_name(step), due),
                                      data, self._check_date)  # fmt: skip

    async def part_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["date"] = step.result
        given = _part(step.values.get("part"))
        if given is not None:
            return await step.next(given.value)
        return await step.begin_dialog(_ASK_PART, {
            "prompt": card_message(part_card(), PART_FALLBACK), "data": {},
        })  # fmt: skip

    async def late_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["part"] = step.result
        staff, pk = self.staff(step), self.child_pk(step)
        held_on, part = date.fromisoformat(step.values["date"]), ReviewPart(step.result)
        check = await self.check(lambda uow: preview_review(
            uow, self.services.rules, staff, pk, held_on, part, self.today()))  # fmt: skip
        if isinstance(check, Rejected):
            # With the part known, this date clashes with a review already recorded: ask again.
            await send(step.context, check.message)
            return await self.again(step, date=None)
        if not check.late or check.was_due is None:
            return await step.next(None)
        # A reason already given: in this dialog (asked again after a failed save), or by the
        # handler from the message ("... held yesterday, late because of a placement move").
        given = (step.values.get("late_reason") or step.values.get("reason") or "").strip()
        if given and len(given) <= LATE_REASON_MAX:
            return await step.next(given)
        return await step.begin_dialog(_ASK_LATE_REASON, {
            "prompt": text_message(late_reason_question(self.child_name(step), check.was_due)),
            "data": {},
        })  # fmt: skip

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["late_reason"] = step.result
        staff, pk, values = self.staff(step), self.child_pk(step), step.values
        held_on, part = date.fromisoformat(values["date"]), ReviewPart(values["part"])
        # The check is repeated only to show the deadline with its rule; it was passed above.
        check = await self.check(lambda uow: preview_review(
            uow, self.services.rules, staff, pk, held_on, part, self.today()))  # fmt: skip
        if isinstance(check, Rejected):
            return await self.not_saved(step, check.message)
        summary = record_confirm_card(self.child_name(step), values["child"]["child_id"],
                                      held_on, part, check, values["late_reason"])  # fmt: skip
        return await self.confirm(step, summary)

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result != YES:
            return await self.not_saved(step)
        staff, pk, values, today = self.staff(step), self.child_pk(step), step.values, self.today()
        held_on, part = date.fromisoformat(values["date"]), ReviewPart(values["part"])
        recorded = await self.save(step, lambda uow: record_review(
            uow, self.services.rules, staff, pk, held_on, part, today,
            values.get("late_reason"),
        ), outcome=lambda r: {"next_review_due": r.next_due.due.isoformat()})  # fmt: skip
        if recorded is None:
            return await self.unsaved(step)
        await send(step.context, card_message(review_recorded_card(
            self.child_name(step), held_on, part, recorded.next_due, recorded.decisions_due,
            recorded.minutes_due, recorded.late, today,
        )))  # fmt: skip
        due = recorded.next_due.due.isoformat()
        return await self.finish(step, saved=True, next_review_due=due)

    # -- answers -----------------------------------------------------------------------------------

    async def _check_date(self, context: TurnContext, day: date,
                          data: dict[str, Any]) -> Outcome:  # fmt: skip
        """The write's own checks on a held date (part unknown yet: a full review)."""
        staff = actor(context)
        part = _part(data.get("part")) or ReviewPart.FULL
        check: ReviewCheck | Rejected = await self.check(
            lambda uow: preview_review(
                uow, self.services.rules, staff, int(data["child_pk"]), day, part, self.today()
            )
        )
        return check if isinstance(check, Rejected) else Accepted(day.isoformat())

    async def parse_part(self, context: TurnContext, reply: Reply,
                         data: dict[str, Any]) -> Outcome:  # fmt: skip
        part = _part(reply.value.get("part")) or part_from_text(reply.text)
        return Accepted(part.value) if part else Rejected(PART_NOT_READ)

    async def parse_late_reason(self, context: TurnContext, reply: Reply,
                                data: dict[str, Any]) -> Outcome:  # fmt: skip
        typed = reply.text.strip()
        if not typed or typed.lower().strip(" .!") in _NOT_A_REASON:
            return Rejected(LATE_REASON_EMPTY)
        if len(typed) > LATE_REASON_MAX:
            return Rejected(LATE_REASON_TOO_LONG)
        return Accepted(typed)
