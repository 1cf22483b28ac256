"""The IR card: one Issues Resolution as its stage owner, its IRO and everyone else see it.

``ir_card(view, rights, notice=None)`` is a pure function of the stored IR
(``services.ir_cards.IrCardView``) and the viewer's rights (``CardRights``):

- the stage owner or their delegate, while a response is owed, gets *Agree and respond*
  (response text, optional target date) and *Decline* (reason);
- the raising IRO or a QA manager, once the stage has responded (or its response is overdue),
  gets *Accept and resolve* (outcome), *Escalate* (any higher stage, with a reason) and *Refer to
  Cafcass*;
- everyone else gets the same card without buttons.

Every button is an ``Action.Execute`` (Universal Actions, card version 1.5) whose data carries
the IR's reference and the version the card was rendered at, so the bot can tell a stale click
from a current one. The inputs sit in an ``Action.ShowCard`` under each button, so nothing is
sent until the person has written what the action needs (Teams enforces ``isRequired``).

While the IR is open the card has a ``refresh`` (verb ``refresh``) whose ``userIds`` are the
Teams MRIs of whoever may act: Teams then fetches each of them their own view, with their
buttons, whenever they look at the card or the bot edits it. A resolved IR has no refresh:
nobody can act on it any more.

``notice`` is a line at the top saying what just happened ("Your response is recorded",
"Already answered by ..."), shown to the person who pressed a button.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cards.elements import Card, Element, card, facts, heading, text
from domain.formatting import long_date, short_date
from domain.issues_resolution import IRStatus
from domain.permissions import CardRights
from services.ir_actions import CardVerb, Input
from services.ir_cards import IrCardView, StageLine

#: How a notice looks: what went well, and what did not happen.
GOOD = "Good"
WARNING = "Warning"

RESPOND_TITLE = "Agree and respond"
DECLINE_TITLE = "Decline"
RESOLVE_TITLE = "Accept and resolve"
ESCALATE_TITLE = "Escalate"
REFER_TITLE = "Refer to Cafcass"


def ir_card(view: IrCardView, rights: CardRights, notice: tuple[str, str] | None = None) -> Card:
    """The IR card for a viewer with ``rights``. ``notice``: (message, GOOD or WARNING)."""
    body: list[Element] = []
    if notice is not None:
        message, tone = notice
        body.append(text(message, weight="Bolder", color=tone))
    body += [
        heading(f"Issues Resolution {view.reference}"),
        status_line(view),
        facts(_facts(view)),
    ]
    if view.description:
        body += [text("Description", weight="Bolder"), text(view.description, spacing="None")]
    body.append(text("Stage history", weight="Bolder"))
    body += [_stage_block(line, view) for line in view.history]
    if view.is_resolved and view.outcome:
        body += [text("Outcome", weight="Bolder"), text(view.outcome, spacing="None")]
    extra: dict[str, Any] = {}
    if not view.is_resolved:
        extra["refresh"] = {
            "action": execute("Refresh", CardVerb.REFRESH, view),
            # Always present: without userIds Teams would refresh for every member of a chat
            # (up to 60); an empty list means "refresh by hand from the message menu".
            "userIds": list(view.refresh_user_ids),
        }
    return card(body, _actions(view, rights), **extra)


def notice_card(message: str, tone: str = WARNING) -> Card:
    """Only a message: for someone who may not see the IR, or a button that made no sense."""
    return card([text(message, weight="Bolder", color=tone)])


# -- the parts ---------------------------------------------------------------------------------


def status_line(view: IrCardView) -> Element:
    """Where the IR stands, in one line a manager can act on."""
    current = view.current
    if view.status is IRStatus.RESOLVED and view.resolved_on is not None:
        return text(f"Resolved on {long_date(view.resolved_on)} at "
                    f"{view.resolved_at_stage_name}.", weight="Bolder", color=GOOD)  # fmt: skip
    if view.status is IRStatus.RESPONDED and current.responded_on is not None:
        who = current.responded_by_name or f"The {view.owner_title}"
        did = "declined" if current.declined_reason is not None else "agreed and responded"
        return text(f"{view.stage_name}: {who} {did} on {long_date(current.responded_on)}.",
                    weight="Bolder")  # fmt: skip
    due = long_date(view.response_due) if view.response_due else "soon"
    if view.owner_name is None:
        return text(f"At {view.stage_name}, but no {view.owner_title} is recorded to answer it. "
                    "Please tell the QA & Safeguarding team.", weight="Bolder",
                    color="Attention")  # fmt: skip
    line = f"Waiting for {view.owner_name} ({view.owner_title}) to respond by {due}."
    if view.response_overdue:
        return text(f"Overdue: {line}", weight="Bolder", color="Attention")
    return text(line, weight="Bolder")


def _facts(view: IrCardView) -> list[tuple[str, str]]:
    child = view.child_name if view.child_name == view.child_id \
        else f"{view.child_name} ({view.child_id})"  # fmt: skip
    pairs = [
        ("Child", child),
        ("Reasons", "; ".join(view.reasons)),
        ("Raised by", f"{view.iro_name} (IRO), {short_date(view.raised_on)}"),
        ("Stage", view.stage_name),
    ]
    if view.response_due is not None:
        pairs.append(("Response due", long_date(view.response_due)))
    if view.formal_due is not None:
        pairs.append(("Formal IR to be resolved by", long_date(view.formal_due)))
    if view.cafcass_referred_on is not None:
        pairs.append(("Referred to Cafcass", long_date(view.cafcass_referred_on)))
    return pairs


def _stage_block(line: StageLine, view: IrCardView) -> Element:
    owner = f"{line.owner_name} ({line.owner_title})" if line.owner_name \
        else f"no {line.owner_title} recorded"  # fmt: skip
    title = f"{line.stage_name}, from {short_date(line.entered_on)}: {owner}"
    items: list[Element] = [text(title, weight="Bolder", spacing="Small")]
    if line.escalation_reason:
        items.append(text(f"Escalated because: {line.escalation_reason}", spacing="None"))
    who = line.responded_by_name or line.owner_name or f"the {line.owner_title}"
    if line.responded_on is not None and line.declined_reason is not None:
        items.append(text(f"Declined by {who} on {short_date(line.responded_on)}: "
                          f"{line.declined_reason}", spacing="None"))  # fmt: skip
    elif line.responded_on is not None:
        items.append(text(f"Agreed by {who} on {short_date(line.responded_on)}: "
                          f"{line.response or ''}", spacing="None"))  # fmt: skip
        if line.target_date is not None:
            items.append(text(f"Target date: {long_date(line.target_date)}", spacing="None"))
    elif line.left_on is None and not view.is_resolved:
        items.append(text(f"Response due {long_date(line.response_due)}", spacing="None",
                          subtle=True))  # fmt: skip
    else:
        items.append(text("No response recorded at this stage.", spacing="None", subtle=True))
    return {"type": "Container", "items": items, "spacing": "Small"}


# -- buttons -----------------------------------------------------------------------------------


def execute(title: str, verb: str, view: IrCardView, style: str | None = None) -> Element:
    """An ``Action.Execute`` carrying the IR reference and the version it was rendered at."""
    action: Element = {"type": "Action.Execute", "title": title, "verb": str(verb),
                       "data": {"ir": view.reference, "version": view.version}}  # fmt: skip
    if style:
        action["style"] = style
    return action


def _show(title: str, body: Iterable[Element], submit: Element) -> Element:
    """A button that opens the inputs for an action, with the action's own button under them."""
    return {"type": "Action.ShowCard", "title": title,
            "card": {"type": "AdaptiveCard", "body": list(body), "actions": [submit]}}  # fmt: skip


def _text_input(input_id: str, label: str, *, required: bool = True) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id, "label": label,
                        "isMultiline": True, "maxLength": 4000}  # fmt: skip
    if required:
        element["isRequired"] = True
        element["errorMessage"] = f"Please fill in: {label.lower()}."
    return element


def _actions(view: IrCardView, rights: CardRights) -> list[Element]:
    actions: list[Element] = []
    if view.is_resolved:  # nothing can happen to a resolved IR, whatever the rights say
        return actions
    if rights.may_answer:
        actions.append(_show(RESPOND_TITLE, [
            _text_input(Input.RESPONSE, "What will be done to put things right"),
            {"type": "Input.Date", "id": Input.TARGET_DATE, "label": "Target date (optional)",
             "min": view.today.isoformat()},
        ], execute("Send response", CardVerb.RESPOND, view, "positive")))  # fmt: skip
        actions.append(_show(DECLINE_TITLE, [
            _text_input(Input.DECLINE_REASON, "Why you are declining"),
        ], execute("Decline", CardVerb.DECLINE, view, "destructive")))  # fmt: skip
    if rights.may_direct:
        actions.append(_show(RESOLVE_TITLE, [
            _text_input(Input.OUTCOME, "The outcome: how the issue was resolved"),
        ], execute("Resolve", CardVerb.RESOLVE, view, "positive")))  # fmt: skip
        if view.higher_stages:
            choices = [{"title": title, "value": key} for key, title in view.higher_stages]
            actions.append(_show(ESCALATE_TITLE, [
                {"type": "Input.ChoiceSet", "id": Input.TO_STAGE, "label": "Escalate to",
                 "style": "compact", "isRequired": True, "value": choices[0]["value"],
                 "choices": choices},
                _text_input(Input.ESCALATE_REASON, "Why you are escalating"),
            ], execute("Escalate", CardVerb.ESCALATE, view)))  # fmt: skip
        if view.can_refer:
            actions.append(_show(REFER_TITLE, [
                text("Record that this case has been referred to Cafcass today? The IR stays "
                     "open until you resolve it."),
            ], execute("Record the referral", CardVerb.REFER, view)))  # fmt: skip
    return actions
