"""Raise an Issues Resolution: child → reasons → description → stage → who answers → confirm.

The reasons are a multi-select card (with a typed fallback: numbers such as "1, 4", or the
reasons' own words); "other" (any reason the rules mark ``needs_text``) makes the description
required. Any stage may be chosen (IR-BYPASS), Informal by default. Before the user confirms,
the summary shows who will be asked to respond at that stage, by name, or says plainly that no
one is recorded. Only the last step writes: ``services.irs.raise_issue``.
"""

from __future__ import annotations

import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards import ir_notices
from cards.ir import (
    ANOTHER_IR_NOT_READ,
    DESCRIPTION_EMPTY,
    DESCRIPTION_MAX,
    DESCRIPTION_TOO_LONG,
    NOT_RAISED,
    REASONS_INPUT_ID,
    SKIP_WORDS,
    description_question,
    description_required,
    ir_confirm_card,
    ir_raised_card,
    open_irs_card,
    open_irs_fallback,
    reason_number_out_of_range,
    reasons_card,
    reasons_fallback,
    reasons_not_read,
    stage_card,
    stage_fallback,
    stage_not_read,
)
from cards.ir_card import ir_card
from dialogs.common import FIRST_CHECK, NO, YES, IroDialog, yes_or_no
from dialogs.ir_action import IR_ACTION, IrActionDialog
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
from domain.permissions import Change, IrMove
from domain.ports import StaffMember
from domain.rules import RuleSet
from services.context import Services
from services.ir_actions import view_ir
from services.irs import open_irs_about, preview_stage_owner, raise_issue
from services.unit_of_work import SqlUnitOfWork
from understanding.caseload import CaseloadCache
from understanding.dates import Canonical
from understanding.entities import find_ir_reasons, find_ir_refs
from understanding.text import clean, tokenise

RAISE_IR = "raise_ir"
_ASK_ANOTHER = "raise_ir.another"
_ASK_REASONS = "raise_ir.reasons"
_ASK_DESCRIPTION = "raise_ir.description"
_ASK_STAGE = "raise_ir.stage"
#: The summary's extra choices (button data, or a typed reply naming the thing to change).
CHANGE_STAGE = "stage"
CHANGE_REASONS = "reasons"
#: The answer to "raise another?" that escalates the open IR instead.
ESCALATE = "escalate"

_SEPARATORS = re.compile(r"\s*(?:[,;&+]|\band\b)\s*")


def reasons_from_text(text: str, rules: RuleSet) -> list[str] | Rejected:
    """The reasons a typed reply names: by number ("1, 4"), by label, or in other words."""
    labels = rules.reasons
    numbers: list[int] = []
    words: list[str] = []
    for piece in _SEPARATORS.split(text.strip().lower()):
        piece = piece.strip(" .")
        if not piece:
            continue
        if (number := small_number(piece)) is not None:
            numbers.append(number)
        else:
            words.append(piece)
    for number in numbers:
        if not 1 <= number <= len(labels):
            return Rejected(reason_number_out_of_range(number, len(labels)))
    chosen = {labels[n - 1] for n in numbers}
    if words:
        said = " ".join(words)
        # Whole words only: "other" must not be found inside "mother" or "another".
        chosen.update(label for label in labels
                      if re.search(rf"(?<!\w){re.escape(label.lower())}(?!\w)", said))  # fmt: skip
        chosen.update(find_ir_reasons(Canonical(tokenise(clean(said))), rules))
    if not chosen:
        return Rejected(reasons_not_read(len(labels)))
    return [label for label in labels if label in chosen]  # in the rules' order


class RaiseIrDialog(IroDialog):
    change = Change.RAISE_IR
    doing = "raising an IR"
    child_question = "Which child is this IR about? Type their name or child ID."

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(RAISE_IR, services, caseload, [
            self.open_step, self.another_step, self.escalated_step, self.reasons_step,
            self.description_step, self.stage_step, self.confirm_step, self.save_step,
        ])  # fmt: skip
        self.add_dialog(IrActionDialog(services, caseload))  # "escalate it" instead
        self.add_dialog(Ask(_ASK_ANOTHER, self.parse_another))
        self.add_dialog(Ask(_ASK_REASONS, self.parse_reasons))
        self.add_dialog(Ask(_ASK_DESCRIPTION, self.parse_description, free_text=True))
        self.add_dialog(Ask(_ASK_STAGE, self.parse_stage))

    @property
    def rules(self) -> RuleSet:
        return self.services.rules

    # -- steps -------------------------------------------------------------------------------------

    async def first_check(self, uow: SqlUnitOfWork, staff: StaffMember, child_pk: int) -> Any:
        """May raise an IR about this child (else refused), and which IRs are open about them:
        one read, before the first question."""
        return await open_irs_about(uow, staff, child_pk)

    async def open_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """A child with an IR open: show its card (with this person's buttons, so it can be
        escalated from there) and ask whether to raise another before asking anything else."""
        child = self.take_child(step)
        if step.values.get("another_ok"):
            return await step.next(child)
        staff, today = self.staff(step), self.today()
        references: list[str] = step.values.get(FIRST_CHECK) or []
        if not references:
            return await step.next(child)
        for reference in references[:3]:
            shown = await self.read(
                lambda uow, ref=reference: view_ir(uow, self.rules, staff, {"ir": ref}, today)
            )
            if shown.view is not None:
                await send(step.context, card_message(ir_card(shown.view, shown.rights)))
        name = self.child_name(step)
        return await step.begin_dialog(_ASK_ANOTHER, {
            "prompt": card_message(open_irs_card(name, references),
                                   open_irs_fallback(name, references)),
            "data": {"references": references},
        })  # fmt: skip

    async def another_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result == NO:
            return await self.not_saved(step, NOT_RAISED)
        if isinstance(step.result, dict) and ESCALATE in step.result:
            # "Escalate it": the IR action dialog on the open IR (or a choice of them), in
            # place of raising another; this dialog ends as that one does.
            references: list[str] = step.values.get(FIRST_CHECK) or []
            named = step.result.get(ESCALATE)
            step.values["escalating"] = True
            return await step.begin_dialog(IR_ACTION, {
                "ir_ref": named or (references[0] if len(references) == 1 else None),
                "action": IrMove.ESCALATE.value, "stage": step.result.get("stage"),
                "text": None, "among": references,
            })  # fmt: skip
        step.values["another_ok"] = True
        return await step.next(step.values["child"])

    async def escalated_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """After "escalate it": finish as the IR action finished (nothing raised)."""
        if not step.values.pop("escalating", False):
            return await step.next(step.result)
        done = dict(step.result) if isinstance(step.result, dict) else {}
        saved = bool(done.pop("saved", False))
        done.pop("child", None)
        done.pop("child_pk", None)
        return await self.finish(step, saved=saved, **done)

    async def parse_another(self, context: TurnContext, reply: Reply,
                            data: dict[str, Any]) -> Outcome:  # fmt: skip
        chosen = reply.value.get("confirm")
        words = set(re.findall(r"[a-z]+", reply.text.lower()))
        if chosen == ESCALATE or (not chosen and words & {"escalate", "escalating"}):
            # Which one, when more than one is open ("escalate IR-2026-0042 to stage 2").
            references: list[str] = data.get("references") or []
            named = [r for r in find_ir_refs(reply.text)[0] if r in references]
            return Accepted({ESCALATE: named[0] if named else None,
                             "stage": stage_key(reply.text, self.rules) if reply.text else None})
        answer = chosen if chosen in (YES, NO) else yes_or_no(reply.text)
        return Accepted(answer) if answer is not None else Rejected(ANOTHER_IR_NOT_READ)

    async def reasons_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.take_child(step)
        given = self._known_reasons(step.values.get("reasons"))
        if given:
            return await step.next(given)
        name = self.child_name(step)
        ticked = step.values.get("ticked") or []
        prompt = card_message(reasons_card(name, self.rules.reasons, ticked),
                              reasons_fallback(name, self.rules.reasons))  # fmt: skip
        return await step.begin_dialog(_ASK_REASONS, {"prompt": prompt, "data": {}})

    async def description_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["reasons"] = step.result
        required_by = next((r for r in step.result if r in self.rules.reasons_needing_text),
                           None)  # fmt: skip
        given = step.values.get("description")
        # Kept when the reasons are changed, unless "other" was added to a blank description.
        if given is not None and (given or not required_by):
            return await step.next(given)
        question = description_question(self.child_name(step), required_by)
        return await step.begin_dialog(_ASK_DESCRIPTION, {
            "prompt": text_message(question), "data": {"required_by": required_by},
        })  # fmt: skip

    async def stage_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["description"] = step.result
        given = stage_key(step.values.get("stage"), self.rules)
        if given is not None:
            return await step.next(given)
        prompt = card_message(stage_card(self.rules.stages), stage_fallback(self.rules.stages))
        return await step.begin_dialog(_ASK_STAGE, {"prompt": prompt, "data": {}})

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["stage"] = step.result
        staff, pk, key = self.staff(step), self.child_pk(step), step.result
        preview = await self.check(
            lambda uow: preview_stage_owner(uow, self.rules, staff, pk, key)
        )
        if isinstance(preview, Rejected):
            return await self.not_saved(step, preview.message)
        child = step.values["child"]
        summary = ir_confirm_card(
            self.child_name(step), child["child_id"], step.values["reasons"],
            step.values["description"], self.rules.stage(key), preview.owner,
            preview.has_social_worker,
        )  # fmt: skip
        return await self.confirm(step, summary, extra=[CHANGE_STAGE, CHANGE_REASONS])

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result == CHANGE_STAGE:
            return await self.again(step, stage=None)
        if step.result == CHANGE_REASONS:
            step.values["ticked"] = step.values["reasons"]  # shown ticked on the new card
            return await self.again(step, reasons=None)
        if step.result != YES:
            return await self.not_saved(step)
        staff, pk, values, today = self.staff(step), self.child_pk(step), step.values, self.today()
        raised = await self.save(step, lambda uow: raise_issue(
            uow, self.rules, staff, pk, values["reasons"], values["description"],
            values["stage"], today, ir_notices,
        ), outcome=lambda r: {"reference": r.reference})  # fmt: skip
        if raised is None:
            return await self.unsaved(step)
        await send(step.context, card_message(ir_raised_card(
            raised.reference, self.child_name(step), self.rules.stage(values["stage"]),
            raised.owner, raised.ir.reasons, raised.stage_due, raised.formal_due, today,
        )))  # fmt: skip
        return await self.finish(step, saved=True, reference=raised.reference)

    # -- answers -----------------------------------------------------------------------------------

    async def parse_reasons(self, context: TurnContext, reply: Reply,
                            data: dict[str, Any]) -> Outcome:  # fmt: skip
        labels = self.rules.reasons
        if reply.value and not reply.text:
            # The card: Teams sends the ticked values as one string, "1,4".
            ticked = str(reply.value.get(REASONS_INPUT_ID) or "")
            numbers = [p.strip() for p in ticked.split(",") if p.strip()]
            if not numbers:
                return Rejected("Please tick at least one reason, then choose Next.")
            picked_numbers = [small_number(n) or 0 for n in numbers]
            if not all(1 <= n <= len(labels) for n in picked_numbers):
                return Rejected(reasons_not_read(len(labels)), reprompt=True)
            picked = {labels[n - 1] for n in picked_numbers}
            return Accepted([label for label in labels if label in picked])
        if not reply.text:
            return Rejected(reasons_not_read(len(labels)))
        found = reasons_from_text(reply.text, self.rules)
        return found if isinstance(found, Rejected) else Accepted(found)

    async def parse_description(self, context: TurnContext, reply: Reply,
                                data: dict[str, Any]) -> Outcome:  # fmt: skip
        required_by = data.get("required_by")
        typed = reply.text.strip()
        if not typed or typed.lower().strip(" .!") in SKIP_WORDS:
            if required_by:
                return Rejected(description_required(required_by))
            return Accepted("") if typed else Rejected(DESCRIPTION_EMPTY)
        if len(typed) > DESCRIPTION_MAX:
            return Rejected(DESCRIPTION_TOO_LONG)
        return Accepted(typed)

    async def parse_stage(self, context: TurnContext, reply: Reply,
                          data: dict[str, Any]) -> Outcome:  # fmt: skip
        key = stage_key(reply.value.get("stage") or reply.text, self.rules)
        return Accepted(key) if key else Rejected(stage_not_read(self.rules.stages))

    def _known_reasons(self, given: object) -> list[str]:
        """Reasons the handler understood, as the rules spell them (unknown ones dropped)."""
        if not isinstance(given, list):
            return []
        known: list[str] = []
        for label in given:
            try:
                reason = self.rules.canonical_reason(str(label))
            except RulesError:
                continue
            if reason not in known:
                known.append(reason)
        return known
