"""Acting on an IR by text: which IR, the stage and the words the action needs, the summary to
confirm. The ir_action dialog decides when each is sent; what the person is told afterwards is
``cards.ir_wording`` (the same words as a button's) with the IR's card.

Buttons carry small data ({"ir": reference}, {"stage": key}, {"confirm": "yes"}); the dialog
adds its own key so a stale card is recognised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.asking import child_label, confirm_actions
from cards.elements import Card, Element, card, facts, heading, submit, text
from domain.formatting import long_date
from domain.ports import StaffMember
from services.ir_actions import CardVerb
from services.ir_cards import IrCardView

#: The longest text kept (what the card's inputs allow).
TEXT_MAX = 4000
#: Teams shows at most six buttons on a card.
MAX_IR_CHOICES = 6

#: What each action is called in a question ("Which IR do you want to refer to Cafcass?").
ACTION_WORDS = {
    CardVerb.RESPOND: "respond to",
    CardVerb.DECLINE: "decline",
    CardVerb.ESCALATE: "escalate",
    CardVerb.RESOLVE: "resolve",
    CardVerb.REFER: "refer to Cafcass",
}
_HEADINGS = {
    CardVerb.RESPOND: "Send this response to {}?",
    CardVerb.DECLINE: "Decline {}?",
    CardVerb.ESCALATE: "Escalate {}?",
    CardVerb.RESOLVE: "Resolve {}?",
    CardVerb.REFER: "Refer {} to Cafcass?",
}
_SAVE_TITLES = {
    CardVerb.RESPOND: "Send the response",
    CardVerb.DECLINE: "Decline it",
    CardVerb.ESCALATE: "Escalate it",
    CardVerb.RESOLVE: "Resolve it",
    CardVerb.REFER: "Record the referral",
}

# -- which IR ------------------------------------------------------------------------------------


def which_ir_card(action: CardVerb, choices: Sequence[tuple[str, str]]) -> Card:
    """The IRs this person may act on, to choose from. ``choices``: (reference, description)."""
    body: list[Element] = [heading(f"Which IR do you want to {ACTION_WORDS[action]}?")]
    body.extend(text(f"{reference}: {about}", spacing="None") for reference, about in choices)
    body.append(text("Tap one, or type its reference (for example IR-2026-0042).", subtle=True))
    return card(body, [submit(reference, {"ir": reference}) for reference, _ in choices])


def which_ir_fallback(action: CardVerb, choices: Sequence[tuple[str, str]]) -> str:
    lines = [f"Which IR do you want to {ACTION_WORDS[action]}? Reply with its reference:"]
    lines.extend(f"{reference}: {about}" for reference, about in choices)
    return "\n".join(lines)


def which_ir_question(action: CardVerb) -> str:
    return (f"Which IR do you want to {ACTION_WORDS[action]}? Give its reference, for example "
            "IR-2026-0042.")  # fmt: skip


IR_NOT_READ = "I couldn't see an IR reference in that. Please type it, for example IR-2026-0042."

# -- the stage to escalate to ---------------------------------------------------------------------


def escalate_stage_card(reference: str, stage_name: str,
                        higher: Sequence[tuple[str, str]]) -> Card:  # fmt: skip
    """``higher``: (stage key, "name (owner title)") of each stage above the current one."""
    return card(
        [
            heading(f"Escalate {reference} to which stage?"),
            text(f"It is at {stage_name}. You can escalate it to any higher stage (IR-BYPASS)."),
        ],
        [submit(label, {"stage": key}) for key, label in higher],
    )


def escalate_stage_fallback(reference: str, higher: Sequence[tuple[str, str]]) -> str:
    return (f"Escalate {reference} to which stage? {'; '.join(label for _, label in higher)}. "
            'Reply with the stage, for example "stage 2".')  # fmt: skip


def stage_not_offered(stage_name: str | None, current: str,
                      higher: Sequence[tuple[str, str]]) -> str:  # fmt: skip
    """The stage named is not above the IR's current one (or none was read)."""
    options = "; ".join(label for _, label in higher)
    if stage_name is None:
        return f"I couldn't tell which stage you meant. It can go to: {options}."
    return (f"It is at {current}, so it can only go to a higher stage, not {stage_name}. "
            f"Choose one of: {options}.")  # fmt: skip


# -- the words the action needs -------------------------------------------------------------------


def text_question(action: CardVerb, ir: dict[str, str], to_stage: str | None = None) -> str:
    """The question for the response, the reason for declining or escalating, or the outcome.
    ``ir``: the IR as the dialog keeps it (reference, child, stage, iro)."""
    reference, child = ir["reference"], ir["child"]
    if action is CardVerb.RESPOND:
        return (f"What will be done to put things right for {child}? Your answer is the "
                f"response to {reference} at {ir['stage']}.")  # fmt: skip
    if action is CardVerb.DECLINE:
        return f"Why are you declining {reference}? {ir['iro']} will see your reason."
    if action is CardVerb.ESCALATE:
        return f"Why are you escalating {reference} to {to_stage}?"
    return f"What was the outcome: how was {reference} resolved for {child}?"


def text_empty(action: CardVerb) -> str:
    what = {CardVerb.RESPOND: "the response", CardVerb.DECLINE: "the reason for declining",
            CardVerb.ESCALATE: "the reason for escalating",
            CardVerb.RESOLVE: "the outcome"}.get(action, "it")  # fmt: skip
    return f"Please write {what} in a sentence or two."


TEXT_TOO_LONG = (
    f"That's longer than I can keep ({TEXT_MAX} characters). Please shorten it: the details "
    "can go in the child's record."
)

# -- the summary to confirm -----------------------------------------------------------------------


def ir_action_confirm_card(
    action: CardVerb, view: IrCardView, said: str | None, *, stage_label: str | None = None,
    owner: StaffMember | None = None, response_due: date | None = None,
    formal_due: date | None = None,
) -> Card:  # fmt: skip
    """What will happen, before anything is saved."""
    pairs = [("IR", view.reference), ("Child", child_label(view.child_name, view.child_id)),
             ("Now", f"{view.stage_name} ({view.owner_title})")]  # fmt: skip
    if action is CardVerb.ESCALATE:
        pairs.append(("Escalate to", stage_label or ""))
        pairs.append(("Goes to", owner.display_name if owner else
                      "nobody: no owner is recorded for that stage"))  # fmt: skip
        if response_due is not None:
            pairs.append(("Response due", long_date(response_due)))
        if formal_due is not None:
            pairs.append(("Formal IR to be resolved by", long_date(formal_due)))
    body: list[Element] = [heading(_HEADINGS[action].format(view.reference)), facts(pairs)]
    label = {CardVerb.RESPOND: "Your response", CardVerb.DECLINE: "Why you are declining",
             CardVerb.ESCALATE: "Why you are escalating",
             CardVerb.RESOLVE: "The outcome"}.get(action)  # fmt: skip
    if label and said:
        body += [text(label, weight="Bolder"), text(said, spacing="None")]
    body.append(text(_what_happens(action, view, owner)))
    if action is CardVerb.ESCALATE and owner is None:
        body.append(text("Please tell the QA & Safeguarding team that it has no owner.",
                         color="Warning"))  # fmt: skip
    body.append(text(f'Nothing is saved until you choose "{_SAVE_TITLES[action]}".', subtle=True))
    return card(body, confirm_actions(_SAVE_TITLES[action]))


def _what_happens(action: CardVerb, view: IrCardView, owner: StaffMember | None) -> str:
    if action in (CardVerb.RESPOND, CardVerb.DECLINE):
        return f"{view.iro_name} (the IRO) will be sent the IR's card with your answer."
    if action is CardVerb.ESCALATE:
        if owner is None:
            return "The IR will move up with no one to answer it."
        return f"{owner.display_name} will be sent the IR's card to respond."
    if action is CardVerb.RESOLVE:
        return "The IR will be closed, and everyone who had its card told."
    return "The referral is recorded with today's date. The IR stays open until it is resolved."
