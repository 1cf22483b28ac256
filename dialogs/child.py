"""Which child a dialog is about, resolved among the children the user can see. Never a guess.

``ChooseChildDialog`` ends with the child as a plain dict (``child_dict``). It starts from what
the handler already knows (options ``child_pk`` or ``child_text``) and asks only what is missing:

- a name that matches one child: done, without a question;
- two or more plausible children: a card to choose between them (or type the number);
- no match: says so and offers the closest names *from the user's own caseload only*, then asks
  again. A child the user may not see is never found, suggested or told apart from a child that
  does not exist, so an IRO naming another IRO's child learns nothing about that child.
"""

from __future__ import annotations

import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallDialog
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards.asking import (
    MAX_CHOICES,
    NOT_VISIBLE,
    TYPE_A_NAME,
    WHICH_CHILD,
    WHICH_CHILD_AGAIN,
    child_not_found,
    choose_child_card,
    namesakes_note,
    pick_a_listed_child,
    suggestions_card,
)
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
from domain.ports import StaffMember
from services.caseload import name_loader
from services.context import Services
from understanding import ChildCandidate, ChildIndex, ResolutionKind, resolve_child
from understanding.caseload import CaseloadCache

CHOOSE_CHILD = "choose_child"
_STEPS = "choose_child.steps"
_ASK_NAME = "choose_child.name"
_ASK_PICK = "choose_child.pick"

_NONE_OF_THESE = re.compile(
    r"^(?:none(?: of (?:these|them|those))?|neither(?: of them)?|no(?:ne)?|someone else|"
    r"another child|different child|not listed)\W*$"
)


def child_dict(child: ChildCandidate) -> dict[str, Any]:
    """The JSON form of a child in dialog state (and in the handler's "last child" memory)."""
    return {"pk": child.pk, "child_id": child.child_id, "given_name": child.given_name,
            "family_name": child.family_name}  # fmt: skip


def child_from_dict(data: dict[str, Any]) -> ChildCandidate:
    return ChildCandidate(int(data["pk"]), str(data["child_id"]), data.get("given_name"),
                          data.get("family_name"))  # fmt: skip


def display_name(child: dict[str, Any] | ChildCandidate) -> str:
    if isinstance(child, dict):
        child = child_from_dict(child)
    return child.full_name or child.child_id


#: turn_state key: the member of staff sending this turn's message, as identified (from the store)
#: by the handler in this turn. Dialogs read it every turn and never keep a copy in their state,
#: so a changed role or a deactivated account counts from the next message.
ACTOR = "iro.actor"


def actor(context: TurnContext) -> StaffMember:
    """The member of staff this turn is from (set by the handler before any dialog runs)."""
    staff = context.turn_state.get(ACTOR)
    if not isinstance(staff, StaffMember):
        raise LookupError("no member of staff identified for this turn")
    return staff


def _triples(children: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(c["pk"], display_name(c), c["child_id"]) for c in children]


class ChooseChildDialog(ComponentDialog):
    """Options: {"child_pk": int | None, "child_text": str | None, "question": str | None}.
    Result: ``child_dict`` of the child."""

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(CHOOSE_CHILD)
        self.services = services
        self.caseload = caseload
        self.add_dialog(WaterfallDialog(_STEPS, [self.start_step, self.pick_step,
                                                 self.finish_step]))  # fmt: skip
        self.add_dialog(Ask(_ASK_NAME, self.parse_name, free_text=True))
        self.add_dialog(Ask(_ASK_PICK, self.parse_pick))
        self.initial_dialog_id = _STEPS

    # -- steps -----------------------------------------------------------------------------------

    async def start_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        options: dict[str, Any] = step.options or {}
        staff = actor(step.context)
        question = options.get("question") or WHICH_CHILD
        index = await self._index(staff)
        if options.get("child_pk") is not None:
            found = _by_pk(index, options["child_pk"])
            if found is not None:
                return await step.end_dialog(child_dict(found))
            await send(step.context, NOT_VISIBLE)
        elif options.get("child_text"):
            outcome = _resolve(str(options["child_text"]), index)
            if isinstance(outcome, Accepted):
                return await step.next(outcome.value)
            await send(step.context, outcome.message)
            if outcome.card is not None:
                # The "did you mean" buttons are the question: they carry its nonce.
                return await step.begin_dialog(_ASK_NAME, {
                    "prompt": card_message(outcome.card), "data": options,
                })  # fmt: skip
        return await step.begin_dialog(_ASK_NAME, {"prompt": text_message(question),
                                                   "data": options})  # fmt: skip

    async def pick_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        found: dict[str, Any] = step.result
        if found.get("note"):
            await send(step.context, found["note"])
        if "choices" not in found:
            return await step.next(found)
        choices = found["choices"]
        prompt = card_message(choose_child_card(found.get("typed"), _triples(choices),
                                                more=found.get("more", False)))  # fmt: skip
        return await step.begin_dialog(_ASK_PICK, {"prompt": prompt, "data": {"choices": choices}})

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        found: dict[str, Any] = step.result
        if found.get("again"):
            options = {**(step.options or {}), "child_pk": None, "child_text": None,
                       "question": WHICH_CHILD_AGAIN}  # fmt: skip
            return await step.replace_dialog(_STEPS, options)
        return await step.end_dialog(found["child"])

    # -- answers ---------------------------------------------------------------------------------

    async def parse_name(self, context: TurnContext, reply: Reply,
                         data: dict[str, Any]) -> Outcome:  # fmt: skip
        index = await self._index(actor(context))
        if "child_pk" in reply.value:
            # A suggestion button. Only children this user can see are ever accepted, so a
            # forged key finds nothing.
            found = _by_pk(index, reply.value.get("child_pk"))
            return Accepted({"child": child_dict(found)}) if found else Rejected(NOT_VISIBLE)
        if not reply.text:
            return Rejected(TYPE_A_NAME)
        return _resolve(reply.text, index)

    async def parse_pick(self, context: TurnContext, reply: Reply,
                         data: dict[str, Any]) -> Outcome:  # fmt: skip
        choices: list[dict[str, Any]] = data["choices"]
        if reply.value.get("none"):
            return Accepted({"again": True})
        if "child_pk" in reply.value:
            chosen = next((c for c in choices if str(c["pk"]) == str(reply.value["child_pk"])),
                          None)  # fmt: skip
            return Accepted({"child": chosen}) if chosen else Rejected(
                pick_a_listed_child(len(choices)))  # fmt: skip
        typed = reply.text.strip().lower()
        if typed.rstrip(".").isdecimal():
            number = small_number(typed) or 0  # a 40-digit number is no choice either
            if 1 <= number <= len(choices):
                return Accepted({"child": choices[number - 1]})
            return Rejected(pick_a_listed_child(len(choices)))
        if _NONE_OF_THESE.match(typed):
            return Accepted({"again": True})
        if typed:
            among = resolve_child(reply.text, [child_from_dict(c) for c in choices])
            if among.kind is ResolutionKind.MATCH and among.child is not None:
                return Accepted({"child": child_dict(among.child)})
        return Rejected(pick_a_listed_child(len(choices)))

    async def _index(self, staff: StaffMember) -> ChildIndex:
        return await self.caseload.index(staff, name_loader(self.services, staff))


def _by_pk(index: ChildIndex, pk: object) -> ChildCandidate | None:
    try:
        wanted = int(pk)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return next((c for c in index.candidates if c.pk == wanted), None)


def _resolve(typed: str, index: ChildIndex) -> Outcome:
    found = resolve_child(typed, index)
    if found.kind is ResolutionKind.MATCH and found.child is not None:
        chosen: dict[str, Any] = {"child": child_dict(found.child)}
        if found.namesakes:
            chosen["note"] = namesakes_note(
                display_name(found.child), found.child.child_id,
                [(display_name(c), c.child_id) for c in found.namesakes],
            )  # fmt: skip
        return Accepted(chosen)
    if found.kind is ResolutionKind.AMBIGUOUS:
        choices = [child_dict(c) for c in found.choices[:MAX_CHOICES]]
        return Accepted({"choices": choices, "typed": typed,
                         "more": len(found.choices) > MAX_CHOICES})  # fmt: skip
    suggestions = [(c.pk, display_name(c), c.child_id) for c in found.suggestions]
    return Rejected(child_not_found(typed, suggestions),
                    card=suggestions_card(suggestions) if suggestions else None)  # fmt: skip


CHILD_FOR_QUESTION = "child_for_question"


class ChildForQuestionDialog(ComponentDialog):
    """The child lookup for a question that names no child plainly ("when is Sam's review?" with
    two Sams): the same step every dialog starts with (``ChooseChildDialog``), for an answer
    rather than a change. Options as ``ChooseChildDialog``'s. Result: ``{"asked_about":
    child_dict}``; the handler then answers the question it kept."""

    def __init__(self, services: Services, caseload: CaseloadCache) -> None:
        super().__init__(CHILD_FOR_QUESTION)
        steps = f"{CHILD_FOR_QUESTION}.steps"
        self.add_dialog(WaterfallDialog(steps, [self.find_step, self.done_step]))
        self.add_dialog(ChooseChildDialog(services, caseload))
        self.initial_dialog_id = steps

    async def find_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await step.begin_dialog(CHOOSE_CHILD, step.options)

    async def done_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await step.end_dialog({"asked_about": step.result})
