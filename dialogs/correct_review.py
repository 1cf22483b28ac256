"""Correct what was recorded about a review held: child → which review (the one on the date
given, else the latest) → which detail → its new value → confirm. Only the last step writes:
``services.reviews.correct_review`` (one detail, checked as when it is recorded, audited).

"Change the participation for Jamie's last review", "the late reason for Kai's review of
3 March was wrong", "correct where Ava's review was held". The details are the ones the
annual report counts; a review's date and part are not corrected here (a wrong date is a
different review: the record would need the review removed, which is the case record's).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards.reviews import (
    CHAIRED_QUESTION,
    FIELD_NOT_READ,
    FIELD_TITLES,
    HELD_AT_OTHER,
    HELD_AT_QUESTION,
    chaired_card,
    correct_confirm_card,
    correct_which_card,
    correct_which_fallback,
    corrected_text,
    participation_card,
    participation_fallback,
)
from dialogs.common import YES, IroDialog
from dialogs.prompts import Accepted, Ask, Outcome, Rejected, Reply, card_message, send
from dialogs.review_questions import ReviewQuestions
from domain.permissions import Change
from domain.review_details import OTHER, PARTICIPATION
from domain.reviews import ReviewPart
from services.context import Services
from services.reviews import correct_review, review_on_record
from understanding import Intent
from understanding.caseload import CaseloadCache
from understanding.intents import review_field_of

CORRECT_REVIEW = "correct_review"
_ASK_FIELD = "correct_review.field"
_ASK_LATE = "correct_review.late_reason"
_ASK_PART1 = "correct_review.part1_reason"
_ASK_PARTICIPATION = "correct_review.participation"
_ASK_CHAIRED = "correct_review.chaired"
_ASK_HELD_AT = "correct_review.held_at"


class CorrectReviewDialog(ReviewQuestions, IroDialog):
    change = Change.RECORD_REVIEW
    doing = "correcting a review"
    #: Its answers are in the words of recording a review ("where it was held", "she chaired
    #: it"): those are answers here, unless they name another child.
    related_intents = frozenset({Intent.RECORD_REVIEW})
    child_question = "Which child's review needs correcting? Type their name or child ID."

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(CORRECT_REVIEW, services, caseload, [
            self.review_step, self.field_step, self.value_step, self.confirm_step,
            self.save_step,
        ])  # fmt: skip
        self.add_dialog(Ask(_ASK_FIELD, self.parse_field))
        self.add_dialog(Ask(_ASK_LATE, self.parse_listed, free_text=True))
        self.add_dialog(Ask(_ASK_PART1, self.parse_listed, free_text=True))
        self.add_dialog(Ask(_ASK_PARTICIPATION, self.parse_participation))
        self.add_dialog(Ask(_ASK_CHAIRED, self.parse_chaired))
        self.add_dialog(Ask(_ASK_HELD_AT, self.parse_listed, free_text=True))

    # -- steps -------------------------------------------------------------------------------------

    async def review_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.take_child(step)
        staff, pk, today = self.staff(step), self.child_pk(step), self.today()
        given = step.values.get("date")
        on = date.fromisoformat(given) if isinstance(given, str) else None
        found = await self.check(lambda uow: review_on_record(uow, staff, pk, on, today))
        if isinstance(found, Rejected):
            return await self.not_saved(step, found.message)
        step.values["review"] = {
            "held_on": found.held_on.isoformat(), "part": found.part.value,
            "details": {"participation": found.details.participation,
                        "late_reason": found.details.late_reason,
                        "part1_reason": found.details.part1_reason,
                        "held_at": found.details.held_at,
                        "chaired_by_child": found.details.chaired_by_child},
        }  # fmt: skip
        return await step.next(None)

    async def field_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        fields = self._fields(step)
        given = step.values.get("field")
        if given in fields:
            return await step.next(given)
        held_on = date.fromisoformat(step.values["review"]["held_on"])
        name = self.child_name(step)
        return await step.begin_dialog(_ASK_FIELD, {
            "prompt": card_message(correct_which_card(name, held_on, fields),
                                   correct_which_fallback(name, held_on, fields)),
            "data": {"fields": fields},
        })  # fmt: skip

    async def value_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        field = step.values["field"] = step.result
        rules = self.services.rules
        if field == "late_reason":
            return await self._ask_list(step, _ASK_LATE, f"{FIELD_TITLES[field]}?",
                                        rules.late_reasons, OTHER)  # fmt: skip
        if field == "part1_reason":
            return await self._ask_list(step, _ASK_PART1, f"{FIELD_TITLES[field]}?",
                                        rules.part1_reasons, OTHER)  # fmt: skip
        if field == "held_at":
            return await self._ask_list(step, _ASK_HELD_AT, HELD_AT_QUESTION, rules.localities,
                                        HELD_AT_OTHER, own_words=True)  # fmt: skip
        if field == "chaired_by_child":
            return await step.begin_dialog(_ASK_CHAIRED, {
                "prompt": card_message(chaired_card(), CHAIRED_QUESTION), "data": {},
            })  # fmt: skip
        return await step.begin_dialog(_ASK_PARTICIPATION, {
            "prompt": card_message(participation_card(PARTICIPATION),
                                   participation_fallback(PARTICIPATION)),
            "data": {"codes": list(PARTICIPATION)},
        })  # fmt: skip

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["value"] = step.result
        review, field = step.values["review"], step.values["field"]
        summary = correct_confirm_card(
            self.child_name(step), step.values["child"]["child_id"],
            date.fromisoformat(review["held_on"]), ReviewPart(review["part"]), field,
            review["details"].get(field), step.result,
        )  # fmt: skip
        return await self.confirm(step, summary)

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result != YES:
            return await self.not_saved(step)
        staff, pk, values = self.staff(step), self.child_pk(step), step.values
        held_on, field = date.fromisoformat(values["review"]["held_on"]), values["field"]
        done = await self.save(step, lambda uow: correct_review(
            uow, self.services.rules, staff, pk, held_on, field, values["value"],
        ))  # fmt: skip
        if done is None:
            return await self.unsaved(step)
        after = getattr(done.details, field)
        await send(step.context, corrected_text(self.child_name(step), held_on, field, after))
        return await self.finish(step, saved=True)

    # -- answers -----------------------------------------------------------------------------------

    async def parse_field(self, context: TurnContext, reply: Reply,
                          data: dict[str, Any]) -> Outcome:  # fmt: skip
        fields: list[str] = data.get("fields") or []
        chosen = reply.value.get("field") or review_field_of(reply.text.lower())
        typed = reply.text.strip().rstrip(".")
        if not chosen and typed.isdecimal() and 1 <= int(typed) <= len(fields):
            chosen = fields[int(typed) - 1]
        return Accepted(chosen) if chosen in fields else Rejected(FIELD_NOT_READ)

    @staticmethod
    def _fields(step: WaterfallStepContext) -> list[str]:
        """What this review has to correct: a reason only where it has one to have."""
        review = step.values["review"]
        fields = ["participation", "chaired_by_child", "held_at"]
        if review["details"].get("late_reason"):
            fields.append("late_reason")
        if review["part"] == ReviewPart.PART1.value:
            fields.append("part1_reason")
        return fields
