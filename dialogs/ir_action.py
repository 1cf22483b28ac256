"""Act on an IR by text: which IR → may this person do it → stage (escalating) → the words the
action needs → confirm. "Respond to IR-2026-0042: a social worker starts Monday", "escalate it
to stage 2", "decline IR-2026-0042", "resolve it", "refer IR-2026-0042 to Cafcass".

The same use case as the IR card's buttons (``services.ir_actions``), so the same rules:

- **Which IR**: the reference the message gave (or "it": the IR last discussed); else a choice
  of the open IRs this person may act on (those waiting for their response, or those they
  raised), or the reference asked for. An IR they may not see is answered as one that does not
  exist.
- **Who**, before anything is asked (``preview_action``: ``may_answer`` / ``may_direct``, and
  the state machine's own refusals, such as a stage that has already answered): a refusal says
  who can, and nothing is saved.
- **What is missing** is asked: the response, the reason for declining, the stage (only those
  above the current one, IR-BYPASS) and the reason for escalating, the outcome; a referral to
  Cafcass needs nothing more.
- **Confirm**: a summary (the IR, the child, what will happen: for an escalation, who will
  answer and by when), read again when it is shown; only a clear yes writes.
- **The write** is one ``act_on_ir`` in one unit of work, made once per confirmation (the
  save key), expecting the version the summary was shown at: an IR that moved in between is
  answered as stale ("Already answered by ..."), never overwritten. The person is then told
  what the button would have told them (``cards.ir_wording``) with the IR's card, and the
  result carries ``"ir_changed"`` so the handler updates every sent copy of the card.

``IroDialog``'s first two steps, which for a change to a child's record choose the child and
check the change, here choose the IR and check the action; the rest (the summary, the one save,
finishing) is ``IroDialog``'s. Options: ``{"ir_ref": str | None, "action": "respond" |
"decline" | "escalate" | "resolve" | "refer", "stage": str | None, "text": str | None}``, and
``"among"``: references to choose between when none is given (else the person's own IRs).
Result (as every dialog's): ``{"saved", "reference", "ir_changed"?, ...}``.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards import ir_notices
from cards.ir import SKIP_WORDS
from cards.ir_action import (
    IR_NOT_READ,
    MAX_IR_CHOICES,
    TEXT_MAX,
    TEXT_TOO_LONG,
    escalate_stage_card,
    escalate_stage_fallback,
    ir_action_confirm_card,
    stage_not_offered,
    text_empty,
    text_question,
    which_ir_card,
    which_ir_fallback,
    which_ir_question,
)
from cards.ir_card import GOOD, WARNING, ir_card
from cards.ir_wording import chat_message
from dialogs.common import YES, IroDialog
from dialogs.prompts import (
    Accepted,
    Ask,
    Outcome,
    Rejected,
    Reply,
    card_message,
    send,
    small_number,
    text_message,
)
from dialogs.stages import stage_key
from domain.errors import RulesError
from domain.permissions import IrMove
from domain.rules import RuleSet
from services import ir_actions
from services.caseload import irs_for
from services.context import Services
from services.ir_actions import ANSWERING, CardVerb, Input, act_on_ir, preview_action
from services.ir_cards import IrCardView
from storage.repositories.ir_lists import IrListScope
from understanding.caseload import CaseloadCache
from understanding.entities import find_ir_refs

IR_ACTION = "ir_action"
_ASK_IR = "ir_action.which"
_ASK_STAGE = "ir_action.stage"
_ASK_TEXT = "ir_action.text"
#: The summary's extra choice when escalating (button data, or a reply naming it).
CHANGE_STAGE = "stage"

#: The card input each action's words go in (what ``act_on_ir`` reads).
_TEXT_INPUT = {
    CardVerb.RESPOND: Input.RESPONSE,
    CardVerb.DECLINE: Input.DECLINE_REASON,
    CardVerb.ESCALATE: Input.ESCALATE_REASON,
    CardVerb.RESOLVE: Input.OUTCOME,
}


def verb_of(values: dict[str, Any]) -> CardVerb:
    """The card's verb for the dialog's ``action`` option ("escalate" -> ``ir.escalate``)."""
    return CardVerb[IrMove(values["action"]).name]


def kept_ir(view: IrCardView) -> dict[str, Any]:
    """What the questions need of the IR, as JSON in the dialog state."""
    higher = [list(pair) for pair in view.higher_stages]
    return {"reference": view.reference, "child": view.child_name, "stage": view.stage_name,
            "iro": view.iro_name, "higher": higher}  # fmt: skip


class IrActionDialog(IroDialog):
    """``child_step`` and ``permission_step`` are overridden: here they find the IR and check
    the action (see the module docstring); the summary, the save and finishing are shared."""

    doing = "acting on an IR"

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(IR_ACTION, services, caseload, [
            self.stage_step, self.text_step, self.confirm_step, self.save_step,
        ])  # fmt: skip
        self.add_dialog(Ask(_ASK_IR, self.parse_ir, asks_for_ir=True))
        self.add_dialog(Ask(_ASK_STAGE, self.parse_stage))
        self.add_dialog(Ask(_ASK_TEXT, self.parse_text, free_text=True))

    @property
    def rules(self) -> RuleSet:
        return self.services.rules

    # -- the first two steps: the IR, and whether this person may act on it ------------------------

    async def child_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Which IR: the one the message named, else a choice of the open IRs this person may
        act on this way, else its reference asked for."""
        step.values.update(step.options or {})
        given = step.values.get("ir_ref")
        if isinstance(given, str) and given:
            return await step.next(given)
        verb, staff = verb_of(step.values), self.staff(step)
        scope = IrListScope.AWAITING if verb in ANSWERING else IrListScope.RAISED
        _, items = await self.read(lambda uow: irs_for(uow, staff, scope))
        among = step.values.get("among")
        if isinstance(among, list):  # "escalate it" when the child has several open
            items = [item for item in items if item.reference in among]
        choices = [(item.reference, f"{item.child_name}, at {self.rules.stage(item.stage).name}")
                   for item in items[:MAX_IR_CHOICES]]  # fmt: skip
        prompt = card_message(which_ir_card(verb, choices), which_ir_fallback(verb, choices)) \
            if choices else text_message(which_ir_question(verb))  # fmt: skip
        return await step.begin_dialog(_ASK_IR, {
            "prompt": prompt, "data": {"choices": [reference for reference, _ in choices]},
        })  # fmt: skip

    async def permission_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Before anything is asked: may this person do this to this IR now? If not, say why
        (who can, or what has already happened) and end; nothing is saved."""
        if isinstance(step.result, str) and step.result:
            step.values["ir_ref"] = step.result
        found = await self.preview(step)
        if found.refused is not None:
            return await self.not_saved(step, chat_message(found.refused) or IR_NOT_READ)
        assert found.view is not None  # a preview that refuses nothing has the IR
        step.values["ir"] = kept_ir(found.view)
        return await step.next(None)

    # -- what is missing ---------------------------------------------------------------------------

    async def stage_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Escalating: the stage, among those above the current one (the only one, if so)."""
        if verb_of(step.values) is not CardVerb.ESCALATE:
            return await step.next(None)
        ir = step.values["ir"]
        higher: list[list[str]] = ir["higher"]
        keys = [key for key, _ in higher]
        given = step.values.get("stage")
        if given:
            key = stage_key(given, self.rules)
            if key in keys:
                return await step.next(key)
            await send(step.context, stage_not_offered(self._stage_name(key), ir["stage"],
                                                       higher))  # fmt: skip
        elif len(keys) == 1:
            return await step.next(keys[0])
        pairs = [(key, label) for key, label in higher]
        return await step.begin_dialog(_ASK_STAGE, {
            "prompt": card_message(escalate_stage_card(ir["reference"], ir["stage"], pairs),
                                   escalate_stage_fallback(ir["reference"], pairs)),
            "data": {"higher": higher, "current": ir["stage"]},
        })  # fmt: skip

    async def text_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """The response, the reason (declining, escalating) or the outcome; none to refer."""
        verb = verb_of(step.values)
        if verb is CardVerb.ESCALATE:
            step.values["stage"] = step.result
        if verb is CardVerb.REFER:
            return await step.next(None)
        given = step.values.get("text")
        if isinstance(given, str) and given.strip():
            if len(given.strip()) <= TEXT_MAX:
                return await step.next(given.strip())
            await send(step.context, TEXT_TOO_LONG)
        to_stage = self._stage_name(step.values.get("stage"))
        return await step.begin_dialog(_ASK_TEXT, {
            "prompt": text_message(text_question(verb, step.values["ir"], to_stage)),
            "data": {"action": verb.value},
        })  # fmt: skip

    # -- confirm and write -------------------------------------------------------------------------

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """The summary, from the IR as it is now (read again): its version is the one the
        write will expect."""
        verb = verb_of(step.values)
        step.values["text"] = step.result if verb is not CardVerb.REFER else None
        found = await self.preview(step, with_inputs=True)
        if found.refused is not None:
            return await self.not_saved(step, chat_message(found.refused) or IR_NOT_READ)
        assert found.view is not None
        step.values["version"] = found.view.version
        stage = step.values.get("stage")
        label = {k: v for k, v in step.values["ir"]["higher"]}.get(stage) if stage else None
        summary = ir_action_confirm_card(
            verb, found.view, step.values["text"], stage_label=label, owner=found.owner,
            response_due=found.response_due, formal_due=found.formal_due,
        )  # fmt: skip
        several = verb is CardVerb.ESCALATE and len(step.values["ir"]["higher"]) > 1
        return await self.confirm(step, summary, extra=[CHANGE_STAGE] if several else [])

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result == CHANGE_STAGE:
            return await self.again(step, stage=None)
        if step.result != YES:
            return await self.not_saved(step)
        verb, staff, today = verb_of(step.values), self.staff(step), self.today()
        data = {**self._inputs(step), "version": step.values["version"]}
        done = await self.save(step, lambda uow: act_on_ir(
            uow, self.rules, staff, verb.value, data, today, ir_notices,
        ), outcome=lambda r: {"reference": r.reference, "ir_changed": r.reference}
            if r.changed else None)  # fmt: skip
        if done is None:
            return await self.unsaved(step)
        message = chat_message(done)
        if done.view is not None:
            tone = GOOD if done.outcome is ir_actions.Outcome.DONE else WARNING
            notice = (message, tone) if message else None
            await send(step.context, card_message(ir_card(done.view, done.rights, notice)))
        elif message:
            await send(step.context, message)
        # A stale answer means the IR moved too (someone else's change): the copies catch up.
        moved = done.changed or done.outcome is ir_actions.Outcome.STALE
        extra = {"ir_changed": done.reference} if moved else {}
        return await self.finish(step, saved=done.changed, reference=done.reference, **extra)

    # -- answers -----------------------------------------------------------------------------------

    async def parse_ir(self, context: TurnContext, reply: Reply,
                       data: dict[str, Any]) -> Outcome:  # fmt: skip
        chosen = reply.value.get("ir")
        # A button's reference is read as a typed one is: only a well-formed reference counts.
        found, _ = find_ir_refs(chosen if isinstance(chosen, str) else reply.text)
        if found:
            return Accepted(found[0])
        choices: list[str] = data.get("choices") or []
        number = small_number(reply.text)
        if number is not None and 1 <= number <= len(choices):
            return Accepted(choices[number - 1])
        return Rejected(IR_NOT_READ)

    async def parse_stage(self, context: TurnContext, reply: Reply,
                          data: dict[str, Any]) -> Outcome:  # fmt: skip
        higher: list[list[str]] = data.get("higher") or []
        key = stage_key(reply.value.get("stage") or reply.text, self.rules)
        if key in [k for k, _ in higher]:
            return Accepted(key)
        pairs = [(k, label) for k, label in higher]
        return Rejected(stage_not_offered(self._stage_name(key), data.get("current", ""), pairs))

    async def parse_text(self, context: TurnContext, reply: Reply,
                         data: dict[str, Any]) -> Outcome:  # fmt: skip
        typed = reply.text.strip()
        if not typed or typed.lower().strip(" .!") in SKIP_WORDS:
            return Rejected(text_empty(CardVerb(data.get("action"))))
        if len(typed) > TEXT_MAX:
            return Rejected(TEXT_TOO_LONG)
        return Accepted(typed)

    # -- helpers -----------------------------------------------------------------------------------

    async def preview(self, step: WaterfallStepContext,
                      with_inputs: bool = False) -> ir_actions.ActionPreview:  # fmt: skip
        """The use case's own checks, read-only (and, with the inputs, what it would do)."""
        verb, staff, today = verb_of(step.values), self.staff(step), self.today()
        reference = str(step.values["ir_ref"])
        inputs = self._inputs(step) if with_inputs else None
        return await self.read(lambda uow: preview_action(
            uow, self.rules, staff, verb.value, reference, today, inputs,
        ))  # fmt: skip

    @staticmethod
    def _inputs(step: WaterfallStepContext) -> dict[str, Any]:
        """The action's inputs as the card's button would send them."""
        verb = verb_of(step.values)
        data: dict[str, Any] = {"ir": step.values["ir_ref"]}
        if verb in _TEXT_INPUT:
            data[_TEXT_INPUT[verb]] = step.values.get("text") or ""
        if verb is CardVerb.ESCALATE:
            data[Input.TO_STAGE] = step.values.get("stage") or ""
        return data

    def _stage_name(self, key: str | None) -> str | None:
        if not key:
            return None
        try:
            return self.rules.stage(key).name
        except RulesError:
            return None
