"""Record a review's paperwork as sent: child → decisions, minutes or both → the day sent →
confirm. Only the last step writes: ``services.paperwork.record_paperwork_sent``.

The day is checked as it is given with the write's own checks (``preview_paperwork_sent``): not
in the future, and with a review held on or before it to belong to.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards.paperwork import (
    BOTH,
    WHICH_FALLBACK,
    WHICH_NOT_READ,
    paperwork_confirm_card,
    paperwork_recorded_card,
    sent_question,
    which_card,
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
)
from domain.paperwork import Paperwork, PaperworkCheck
from domain.permissions import Change
from services.context import Services
from services.paperwork import preview_paperwork_sent, record_paperwork_sent
from understanding.caseload import CaseloadCache

PAPERWORK_SENT = "paperwork_sent"
_ASK_WHICH = "paperwork_sent.which"
_ASK_DAY = "paperwork_sent.day"


def kinds_from(value: object) -> list[Paperwork] | None:
    """The kinds a stored or tapped value names ("decisions", "minutes", "both", or a list of
    kinds), in a fixed order; None when it names none."""
    if value == BOTH:
        return [Paperwork.DECISIONS, Paperwork.MINUTES]
    names = value if isinstance(value, list) else [value]
    found = {k for k in Paperwork if k.value in names}
    return [k for k in Paperwork if k in found] or None


def kinds_from_text(text: str) -> list[Paperwork] | None:
    """ "decisions", "the minutes", "both", "decisions and minutes", "1"/"2"/"3" (the buttons'
    order) as kinds; None when the reply names none."""
    words = set(text.lower().replace(",", " ").replace(".", " ").split())
    if words & {"both", "all", "3", "three"}:
        return kinds_from(BOTH)
    found = []
    if words & {"decision", "decisions", "1", "one"}:
        found.append(Paperwork.DECISIONS.value)
    if words & {"minute", "minutes", "record", "2", "two"}:
        found.append(Paperwork.MINUTES.value)
    return kinds_from(found)


class PaperworkSentDialog(IroDialog):
    change = Change.RECORD_PAPERWORK
    doing = "recording a review's decisions or minutes sent"
    child_question = "Which child's review paperwork was sent? Type their name or child ID."

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        steps = [self.which_step, self.day_step, self.confirm_step, self.save_step]
        super().__init__(PAPERWORK_SENT, services, caseload, steps)
        self.add_dialog(Ask(_ASK_WHICH, self.parse_which))
        self.add_dialog(Ask(_ASK_DAY, self.date_answers(self._check_day, future=False)))

    def _kinds(self, step: WaterfallStepContext) -> list[Paperwork]:
        return kinds_from(step.values["paperwork"]) or []

    def _data(self, step: WaterfallStepContext) -> dict[str, Any]:
        """What the day question's answers are checked against (kept in its dialog state)."""
        return {"child_pk": self.child_pk(step),
                "paperwork": step.values["paperwork"]}  # fmt: skip

    async def _preview(self, context: TurnContext, data: dict[str, Any],
                       day: date) -> PaperworkCheck | Rejected:  # fmt: skip
        """The write's own checks for ``day`` (``preview_paperwork_sent``), or why not."""
        staff, kinds = actor(context), kinds_from(data["paperwork"]) or []
        return await self.check(lambda uow: preview_paperwork_sent(
            uow, self.services.rules, staff, int(data["child_pk"]), kinds, day,
            self.today()))  # fmt: skip

    async def _check_day(self, context: TurnContext, day: date,
                         data: dict[str, Any]) -> Outcome:  # fmt: skip
        check = await self._preview(context, data, day)
        return check if isinstance(check, Rejected) else Accepted(day.isoformat())

    # -- steps -------------------------------------------------------------------------------------

    async def which_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.take_child(step)
        given = kinds_from(step.values.get("paperwork"))
        if given is not None:
            return await step.next([k.value for k in given])
        return await step.begin_dialog(_ASK_WHICH, {
            "prompt": card_message(which_card(), WHICH_FALLBACK), "data": {},
        })  # fmt: skip

    async def day_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["paperwork"] = step.result
        # No review held by today (or the child is no longer visible): no day would do, so say
        # so now rather than ask for one.
        data = self._data(step)
        possible = await self._preview(step.context, data, self.today())
        if isinstance(possible, Rejected):
            return await self.not_saved(step, possible.message)
        question = sent_question(self.child_name(step), self._kinds(step))
        return await self.date_or_ask(step, _ASK_DAY, question, data, self._check_day)

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["date"] = step.result
        day = date.fromisoformat(step.result)
        check = await self._preview(step.context, self._data(step), day)
        if isinstance(check, Rejected):
            return await self.not_saved(step, check.message)
        summary = paperwork_confirm_card(self.child_name(step), step.values["child"]["child_id"],
                                         self._kinds(step), day, check)  # fmt: skip
        return await self.confirm(step, summary)

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result != YES:
            return await self.not_saved(step)
        staff, pk, kinds = self.staff(step), self.child_pk(step), self._kinds(step)
        today = self.today()
        day = date.fromisoformat(step.values["date"])
        check = await self.save(step, lambda uow: record_paperwork_sent(
            uow, self.services.rules, staff, pk, kinds, day, today),
            outcome=lambda c: {"review_held_on": c.held_on.isoformat()})  # fmt: skip
        if check is None:
            return await self.unsaved(step)
        await send(step.context, card_message(
            paperwork_recorded_card(self.child_name(step), kinds, day, check)))  # fmt: skip
        return await self.finish(step, saved=True, review_held_on=check.held_on.isoformat())

    # -- answers -----------------------------------------------------------------------------------

    async def parse_which(self, context: TurnContext, reply: Reply,
                          data: dict[str, Any]) -> Outcome:  # fmt: skip
        kinds = kinds_from(reply.value.get("paperwork")) or kinds_from_text(reply.text)
        return Accepted([k.value for k in kinds]) if kinds else Rejected(WHICH_NOT_READ)
