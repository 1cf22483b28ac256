"""Bring a review forward (CIC-BF): child → the date to hold it by → the reason → confirm.
Only the last step writes (``services.reviews.bring_forward``); the result shows the new due date.

The date is checked as it is given with the write's own rules (``preview_bring_forward``): not
in the past, and earlier than the date the review is already due.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards.reviews import (
    BF_REASON_EMPTY,
    BF_REASON_MAX,
    BF_REASON_TOO_LONG,
    bring_forward_confirm_card,
    bring_forward_question,
    bring_forward_reason_question,
    brought_forward_card,
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
from domain.permissions import Change
from services.context import Services
from services.reviews import bring_forward, next_review_due, preview_bring_forward
from understanding.caseload import CaseloadCache

BRING_FORWARD = "bring_forward"
_ASK_DATE = "bring_forward.date"
_ASK_REASON = "bring_forward.reason"


class BringForwardDialog(IroDialog):
    change = Change.BRING_FORWARD
    doing = "bringing a review forward"
    child_question = "Which child's review should be brought forward? Type their name or child ID."

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(BRING_FORWARD, services, caseload, [
            self.date_step, self.reason_step, self.confirm_step, self.save_step,
        ])  # fmt: skip
        self.add_dialog(Ask(_ASK_DATE, self.date_answers(self._check_date, future=True)))
        self.add_dialog(Ask(_ASK_REASON, self.parse_reason, free_text=True))

    # -- steps -------------------------------------------------------------------------------------

    async def date_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.take_child(step)
        staff, pk = self.staff(step), self.child_pk(step)
        due = await self.check(
            lambda uow: next_review_due(uow, self.services.rules, staff, pk)
        )
        if isinstance(due, Rejected):
            return await self.not_saved(step, due.message)
        data = {"child_pk": pk}
        question = bring_forward_question(self.child_name(step), due)
        return await self.date_or_ask(step, _ASK_DATE, question, data, self._check_date)

    async def reason_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["date"] = step.result
        given = (step.values.get("reason") or "").strip()
        if given and len(given) <= BF_REASON_MAX:
            return await step.next(given)
        return await step.begin_dialog(_ASK_REASON, {
            "prompt": text_message(bring_forward_reason_question(self.child_name(step))),
            "data": {},
        })  # fmt: skip

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["reason"] = step.result
        staff, pk = self.staff(step), self.child_pk(step)
        review_by = date.fromisoformat(step.values["date"])
        current = await self.check(lambda uow: preview_bring_forward(
            uow, self.services.rules, staff, pk, review_by, self.today()))  # fmt: skip
        if isinstance(current, Rejected):
            await send(step.context, current.message)
            return await self.again(step, date=None)
        summary = bring_forward_confirm_card(self.child_name(step),
                                             step.values["child"]["child_id"], review_by,
                                             current, step.result)  # fmt: skip
        return await self.confirm(step, summary)

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result != YES:
            return await self.not_saved(step)
        staff, pk, today = self.staff(step), self.child_pk(step), self.today()
        review_by, reason = date.fromisoformat(step.values["date"]), step.values["reason"]
        new_due = await self.save(step, lambda uow: bring_forward(
            uow, self.services.rules, staff, pk, review_by, reason, today),
            outcome=lambda r: {"next_review_due": r.due.isoformat()})  # fmt: skip
        if new_due is None:
            return await self.unsaved(step)
        await send(
            step.context, card_message(brought_forward_card(self.child_name(step), new_due, today))
        )
        return await self.finish(step, saved=True, next_review_due=new_due.due.isoformat())

    # -- answers -----------------------------------------------------------------------------------

    async def _check_date(self, context: TurnContext, day: date,
                          data: dict[str, Any]) -> Outcome:  # fmt: skip
        staff, pk = actor(context), int(data["child_pk"])
        checked = await self.check(lambda uow: preview_bring_forward(
            uow, self.services.rules, staff, pk, day, self.today()))  # fmt: skip
        return checked if isinstance(checked, Rejected) else Accepted(day.isoformat())

    async def parse_reason(self, context: TurnContext, reply: Reply,
                           data: dict[str, Any]) -> Outcome:  # fmt: skip
        typed = reply.text.strip()
        if not typed:
            return Rejected(BF_REASON_EMPTY)
        if len(typed) > BF_REASON_MAX:
            return Rejected(BF_REASON_TOO_LONG)
        return Accepted(typed)
