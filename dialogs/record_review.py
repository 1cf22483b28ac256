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
    CHAIRED_QUESTION,
    HELD_AT_OTHER,
    HELD_AT_QUESTION,
    PART_FALLBACK,
    PART_NOT_READ,
    chaired_card,
    held_question,
    late_reason_list_question,
    part1_reason_question,
    part_card,
    participation_card,
    participation_fallback,
    record_confirm_card,
    review_recorded_card,
)
from dialogs.child import actor
from dialogs.common import FIRST_CHECK, YES, IroDialog
from dialogs.prompts import (
    Accepted,
    Ask,
    Outcome,
    Rejected,
    Reply,
    card_message,
    send,
)
from dialogs.review_questions import ReviewQuestions
from domain.ages import age_on
from domain.errors import DomainError
from domain.permissions import Change
from domain.ports import StaffMember
from domain.review_details import OTHER, PARTICIPATION, UNDER_FOUR, ReviewDetails
from domain.reviews import ReviewCheck, ReviewPart
from services.context import Services
from services.reviews import child_for_change, next_review_due, preview_review, record_review
from services.unit_of_work import SqlUnitOfWork
from understanding.caseload import CaseloadCache
from understanding.choices import match_label
from understanding.dates import Canonical
from understanding.entities import find_part
from understanding.text import clean, tokenise

RECORD_REVIEW = "record_review"
_ASK_DATE = "record_review.date"
_ASK_PART = "record_review.part"
_ASK_LATE_REASON = "record_review.late_reason"
_ASK_PART1_REASON = "record_review.part1_reason"
_ASK_PARTICIPATION = "record_review.participation"
_ASK_CHAIRED = "record_review.chaired"
_ASK_HELD_AT = "record_review.held_at"
#: The codes of a young person who was at their review (so may have chaired it).
_ATTENDED = frozenset({"PN1", "PN2", "PN3", "PN4"})


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


class RecordReviewDialog(ReviewQuestions, IroDialog):
    change = Change.RECORD_REVIEW
    doing = "recording a review"
    child_question = "Which child's review was held? Type their name or child ID."

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(RECORD_REVIEW, services, caseload, [
            self.date_step, self.part_step, self.late_step, self.part1_step,
            self.participation_step, self.chaired_step, self.held_at_step, self.confirm_step,
            self.save_step,
        ])  # fmt: skip
        self.add_dialog(Ask(_ASK_DATE, self.date_answers(self._check_date, future=False)))
        self.add_dialog(Ask(_ASK_PART, self.parse_part))
        # Lists, but an answer may be words of one's own ("other: ..."), so any words go.
        self.add_dialog(Ask(_ASK_LATE_REASON, self.parse_listed, free_text=True))
        self.add_dialog(Ask(_ASK_PART1_REASON, self.parse_listed, free_text=True))
        self.add_dialog(Ask(_ASK_PARTICIPATION, self.parse_participation))
        self.add_dialog(Ask(_ASK_CHAIRED, self.parse_chaired))
        self.add_dialog(Ask(_ASK_HELD_AT, self.parse_listed, free_text=True))

    async def first_check(self, uow: SqlUnitOfWork, staff: StaffMember, child_pk: int) -> Any:
        """May this person record this child's review; and the child's date of birth, so a
        child under 4 on the day is not asked how they took part (PN0)."""
        child = await child_for_change(uow, staff, child_pk, self.change)
        born = getattr(child, "date_of_birth", None)
        return {"born": born.isoformat() if born else None}

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
        # handler from the message ("... held yesterday, late because of a placement move")
        # when it is plainly one of the list's.
        labels = self.services.rules.late_reasons
        if step.values.get("late_reason"):
            return await step.next(step.values["late_reason"])
        said = match_label(str(step.values.get("reason") or ""), labels)
        if said.label is not None:
            return await step.next(said.label)
        question = late_reason_list_question(self.child_name(step), check.was_due)
        return await self._ask_list(step, _ASK_LATE_REASON, question, labels, OTHER)

    async def part1_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["late_reason"] = step.result
        if step.values["part"] != ReviewPart.PART1.value:
            return await step.next(None)
        if step.values.get("part1_reason"):
            return await step.next(step.values["part1_reason"])
        return await self._ask_list(step, _ASK_PART1_REASON,
                                    part1_reason_question(self.child_name(step)),
                                    self.services.rules.part1_reasons, OTHER)  # fmt: skip

    async def participation_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["part1_reason"] = step.result
        if step.values.get("participation"):
            return await step.next(step.values["participation"])
        codes = self._codes(step)
        if len(codes) == 1:
            return await step.next(next(iter(codes)))  # under 4 on the day: PN0, not asked
        return await step.begin_dialog(_ASK_PARTICIPATION, {
            "prompt": card_message(participation_card(codes), participation_fallback(codes)),
            "data": {"codes": list(codes)},
        })  # fmt: skip

    async def chaired_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["participation"] = step.result
        if step.values.get("chaired") is not None:
            return await step.next(step.values["chaired"])
        if step.result not in _ATTENDED:
            return await step.next(False)  # not there (or under 4): they did not chair it
        return await step.begin_dialog(_ASK_CHAIRED, {
            "prompt": card_message(chaired_card(), CHAIRED_QUESTION), "data": {},
        })  # fmt: skip

    async def held_at_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["chaired"] = step.result
        if step.values.get("held_at"):
            return await step.next(step.values["held_at"])
        return await self._ask_list(step, _ASK_HELD_AT, HELD_AT_QUESTION,
                                    self.services.rules.localities, HELD_AT_OTHER,
                                    own_words=True)  # fmt: skip

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["held_at"] = step.result
        staff, pk, values = self.staff(step), self.child_pk(step), step.values
        held_on, part = date.fromisoformat(values["date"]), ReviewPart(values["part"])
        # The check is repeated only to show the deadline with its rule; it was passed above.
        check = await self.check(lambda uow: preview_review(
            uow, self.services.rules, staff, pk, held_on, part, self.today()))  # fmt: skip
        if isinstance(check, Rejected):
            return await self.not_saved(step, check.message)
        summary = record_confirm_card(self.child_name(step), values["child"]["child_id"],
                                      held_on, part, check, _details(values))  # fmt: skip
        return await self.confirm(step, summary)

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result != YES:
            return await self.not_saved(step)
        staff, pk, values, today = self.staff(step), self.child_pk(step), step.values, self.today()
        held_on, part = date.fromisoformat(values["date"]), ReviewPart(values["part"])
        recorded = await self.save(step, lambda uow: record_review(
            uow, self.services.rules, staff, pk, held_on, part, today, _details(values),
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

    def _codes(self, step: WaterfallStepContext) -> dict[str, str]:
        """The participation codes to offer: PN0 alone for a child under 4 on the day, PN1-PN7
        for one 4 or over, all eight when the date of birth is not recorded."""
        born = (step.values.get(FIRST_CHECK) or {}).get("born")
        if not born:
            return dict(PARTICIPATION)
        four_or_over = age_on(date.fromisoformat(born), date.fromisoformat(step.values["date"]))
        if four_or_over < 4:
            return {UNDER_FOUR: PARTICIPATION[UNDER_FOUR]}
        return {code: label for code, label in PARTICIPATION.items() if code != UNDER_FOUR}


def _details(values: dict[str, Any]) -> ReviewDetails:
    """What the dialog has gathered, as the use case takes it."""
    return ReviewDetails(
        participation=values.get("participation"), late_reason=values.get("late_reason"),
        part1_reason=values.get("part1_reason"), held_at=values.get("held_at"),
        chaired_by_child=values.get("chaired"),
    )
