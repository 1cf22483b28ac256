"""What the person who pressed a button on an IR card is told (``services.ir_actions``).

Every sentence here may name people and the child: it goes to that person, never to a log.
"""

from __future__ import annotations

from domain.formatting import long_date, short_date
from domain.issues_resolution import IR
from services.ir_actions import ANSWERING, CardActionResult, CardVerb, Outcome, Why
from services.ir_cards import IrCardView

NOT_FOUND_MESSAGE = "I can't find that Issues Resolution, so nothing was changed."
NOT_READABLE = "This button didn't come through properly, so nothing was changed. Please ask " \
    'for the IR again, for example "status of IR-2026-0042".'  # fmt: skip
CANNOT_SEE = "You can't see this Issues Resolution."


def action_message(result: CardActionResult) -> str | None:
    """The notice shown on the card after an action; None for a plain refresh."""
    if result.why is Why.NOT_READABLE:
        return NOT_READABLE
    if result.why is Why.NO_SUCH_IR:
        return NOT_FOUND_MESSAGE
    if result.why is Why.CANNOT_SEE:
        return CANNOT_SEE
    if result.why is Why.NOT_AUTHORISED and result.action is not None:
        return refusal_message(result.action, result.stage_name, result.owner_title)
    if result.outcome is Outcome.STALE and result.ir is not None and result.view is not None:
        return stale_message(result.ir, result.view)
    if result.outcome is Outcome.INVALID:
        return f"{result.error} Nothing was changed."
    if result.outcome is Outcome.DONE and result.view is not None and result.action in DONE:
        return DONE[result.action](result.view)
    return None


def _responded(view: IrCardView) -> str:
    return f"Your response is recorded. {view.iro_name} has been told."


def _declined(view: IrCardView) -> str:
    return f"Your decision to decline is recorded. {view.iro_name} has been told."


def _resolved(view: IrCardView) -> str:
    return f"{view.reference} is resolved. Everyone who had its card now sees it resolved."


def _referred(view: IrCardView) -> str:
    on = view.cafcass_referred_on
    return f"The referral to Cafcass on {short_date(on)} is recorded." if on else "Recorded."


def _escalated(view: IrCardView) -> str:
    if view.owner_name is None:
        return (f"Escalated to {view.stage_name}. No {view.owner_title} is recorded to answer "
                "it: please tell the QA & Safeguarding team.")  # fmt: skip
    due = f" by {long_date(view.response_due)}" if view.response_due else ""
    return (f"Escalated to {view.stage_name}. {view.owner_name} ({view.owner_title}) has been "
            f"sent the IR and must respond{due}.")  # fmt: skip


# -- what to say ---------------------------------------------------------------------------------


def stale_message(ir: IR, view: IrCardView) -> str:
    """What happened since the card was shown, then that nothing was changed."""
    return f"{what_happened(ir, view)} Nothing was changed: the card now shows the latest."


def what_happened(ir: IR, view: IrCardView) -> str:
    """The IR's latest step, in a sentence ("Already answered by Adele Vance on ...")."""
    if ir.is_resolved and ir.resolved_on is not None:
        return f"This IR was resolved on {short_date(ir.resolved_on)} at " \
            f"{view.resolved_at_stage_name}."  # fmt: skip
    entry = ir.current_entry
    if entry.responded_on is not None:
        who = view.current.responded_by_name or f"the {view.owner_title}"
        answered = "declined" if entry.declined else "answered"
        return f"Already {answered} by {who} on {short_date(entry.responded_on)}."
    if len(ir.history) > 1:
        waiting = f", where it is waiting for {view.owner_name}" if view.owner_name else ""
        return f"It was escalated to {view.stage_name} on {short_date(entry.entered_on)}" \
            f"{waiting}."  # fmt: skip
    if ir.cafcass_referred_on is not None:
        return f"It was referred to Cafcass on {short_date(ir.cafcass_referred_on)}."
    return "It has changed since this card was shown."


def refusal_message(action: CardVerb, stage_name: str | None, owner_title: str | None,
                    reference: str | None = None) -> str:  # fmt: skip
    """Who may do ``action``. On a card the IR is "this IR"; in chat (``reference``) it is
    named, and so is the action asked for."""
    which = reference or "this IR"
    if action in ANSWERING:
        verb = "respond to it" if reference is None else DOING_IT[action]
        return (f"Only the {owner_title} answering {stage_name} of {which}, or their "
                f"delegate, can {verb}, so nothing was changed.")  # fmt: skip
    verb = "escalate, resolve or refer it" if reference is None else DOING_IT[action]
    return (f"Only the IRO who raised {which}, or a QA manager, can {verb}, so nothing was "
            "changed.")  # fmt: skip


def not_found_in_chat(reference: str | None) -> str:
    """No such IR, or one this person may not see: the same words either way."""
    return f"I can't find {reference or 'that IR'} among the IRs you can see, so nothing was " \
        "changed."  # fmt: skip


def chat_message(result: CardActionResult) -> str | None:
    """What someone who asked by text is told: ``action_message``, with the IR named (there
    is no card around the words when it is refused)."""
    if result.why in (Why.NO_SUCH_IR, Why.CANNOT_SEE):
        return not_found_in_chat(result.reference)
    if result.why is Why.NOT_AUTHORISED and result.action is not None:
        return refusal_message(result.action, result.stage_name, result.owner_title,
                               result.reference)  # fmt: skip
    return action_message(result)


#: Each action done to "it", for a sentence ("can refer it to Cafcass").
DOING_IT = {
    CardVerb.RESPOND: "respond to it",
    CardVerb.DECLINE: "decline it",
    CardVerb.ESCALATE: "escalate it",
    CardVerb.RESOLVE: "resolve it",
    CardVerb.REFER: "refer it to Cafcass",
}


DONE = {
    CardVerb.RESPOND: _responded,
    CardVerb.DECLINE: _declined,
    CardVerb.ESCALATE: _escalated,
    CardVerb.RESOLVE: _resolved,
    CardVerb.REFER: _referred,
}
