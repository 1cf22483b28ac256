"""What every dialog says while it asks: which child, dates, yes or no, and the due dates it shows.

The dialogs' own questions and results are in ``cards/reviews.py`` and ``cards/ir.py``;
this module holds the prose they share, so it reads the same everywhere and can be reviewed in
one place. Wrong answers get a message that says what to type, never only "try again".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.elements import Card, Element, card, facts, submit, text
from domain.deadlines import Deadline
from domain.formatting import long_date

# -- choosing a child ----------------------------------------------------------------------------

WHICH_CHILD = "Which child is this about? Type their name or child ID."
WHICH_CHILD_AGAIN = "Which child is it, then? Type their name (or more of it) or child ID."
TYPE_A_NAME = "Please type the child's name or child ID."
NOT_VISIBLE = "I can't find that child among the children you can see."
#: Teams shows at most six buttons on a card: five children and "None of these".
MAX_CHOICES = 5

# -- general -------------------------------------------------------------------------------------

STALE_CARD = (
    "That button belongs to an earlier question, so I haven't used it. "
    "Here is the question I'm asking now:"
)
STILL_STUCK = '(Or type "cancel" to stop: nothing has been saved yet.)'
NOTHING_SAVED = "OK, I haven't saved anything."
YES_OR_NO = 'Please reply "yes" to save it, or "no" to leave it unsaved.'
SOMETHING_WRONG = "Sorry, something went wrong reading that. Please try again."
SAVE_FAILED = (
    "Sorry, something went wrong while saving, so nothing was saved. Here it is again: "
    "choose to save it once more, or leave it."
)


def already_saved(reference: str | None = None) -> str:
    """The answer to a confirmation that had already been saved (the bot was interrupted after
    saving, before it could say so): nothing is saved twice."""
    what = f"That was already saved ({reference})" if reference else "That was already saved"
    return f"{what}: I was interrupted before I could tell you. Nothing was saved twice."


# -- dates ---------------------------------------------------------------------------------------

DATE_EXAMPLES_PAST = 'Try 14/01/2026, "last Tuesday" or "3rd March".'
DATE_EXAMPLES_FUTURE = 'Try 14/01/2027, "next Tuesday", "3rd March" or "in two weeks".'


def date_not_read(future: bool) -> str:
    examples = DATE_EXAMPLES_FUTURE if future else DATE_EXAMPLES_PAST
    return f"I couldn't read that as a date. {examples}"


def date_not_real(problem: str, future: bool) -> str:
    """``problem`` is the date reader's own explanation ("February 2026 has 28 days")."""
    examples = DATE_EXAMPLES_FUTURE if future else DATE_EXAMPLES_PAST
    return f"{problem}. Dates are day/month/year. {examples}"


# -- showing a child -----------------------------------------------------------------------------


def child_label(name: str, child_id: str) -> str:
    return f"{name} ({child_id})" if name != child_id else child_id


def namesakes_note(name: str, child_id: str, namesakes: Sequence[tuple[str, str]]) -> str:
    """One line when an exact full name was taken although others are alike: ``namesakes`` are
    (name, child id), from the user's own caseload only."""
    others = ", ".join(child_label(n, cid) for n, cid in namesakes)
    return (f"This is about {child_label(name, child_id)}. Also on your caseload with a similar "
            f"name: {others}.")  # fmt: skip


def possessive(name: str) -> str:
    return f"{name}'s"


def _not_found(typed: str) -> str:
    return f'I couldn\'t find a child called "{typed}" among the children you can see.'


def child_not_found(typed: str, suggestions: Sequence[tuple[int, str, str]]) -> str:
    """``suggestions``: (pk, name, child id), only ever from the user's own caseload."""
    message = _not_found(typed)
    if suggestions:
        names = ", ".join(child_label(name, cid) for _pk, name, cid in suggestions)
        message += f" The closest names I have are: {names}. Tap one, or type the name again."
    else:
        message += " Please check the spelling, or type the child ID."
    return message


def no_child_for_question(typed: str) -> str:
    """A question's name matched no child and nothing like one: the words may not be a name."""
    return f'{_not_found(typed)} If you meant something else, type "help" to see what I do.'


def suggestions_card(suggestions: Sequence[tuple[int, str, str]]) -> Card:
    return card(
        [text("Did you mean:", weight="Bolder")],
        [submit(child_label(name, cid), {"child_pk": pk}) for pk, name, cid in suggestions],
    )


def choose_child_card(typed: str | None, choices: Sequence[tuple[int, str, str]],
                      more: bool = False) -> Card:  # fmt: skip
    """A choice between plausible children. ``choices``: (pk, name, child id)."""
    lead = (f"More than one child could be \"{typed}\". Which one?" if typed
            else "More than one child could be meant. Which one?")  # fmt: skip
    body: list[Element] = [text(lead, weight="Bolder")]
    body.extend(
        text(f"{i}. {child_label(name, cid)}", spacing="None")
        for i, (_pk, name, cid) in enumerate(choices, start=1)
    )
    hint = "Tap a name, or type its number."
    if more:
        hint += " Not listed? Type more of the name."
    body.append(text(hint, subtle=True))
    actions = [submit(child_label(name, cid), {"child_pk": pk}) for pk, name, cid in choices]
    actions.append(submit("None of these", {"none": True}))
    return card(body, actions)


def pick_a_listed_child(count: int) -> str:
    return (
        f"Please choose one of the children listed: tap a name, or type its number (1 to "
        f'{count}). If it\'s none of them, say "none of these".'
    )


# -- yes or no -----------------------------------------------------------------------------------


def confirm_actions(save_title: str, *extra: tuple[str, str]) -> list[Element]:
    """Buttons for a summary card: save, any extra choices, then "Don't save"."""
    actions = [submit(save_title, {"confirm": "yes"})]
    actions.extend(submit(title, {"confirm": key}) for title, key in extra)
    actions.append(submit("Don't save", {"confirm": "no"}))
    return actions


# -- deadlines -----------------------------------------------------------------------------------


def _sentence(value: str) -> str:
    return value[:1].upper() + value[1:]


def deadline_facts(label: str, deadline: Deadline, today: date) -> list[tuple[str, str]]:
    """A due date as facts: the date with its weekday, where it stands, the rule and why."""
    when = f"{long_date(deadline.due)} ({deadline.standing(today).summary})"
    pairs = [
        (label, when),
        ("Rule", f"{deadline.rule_id}: {deadline.title}"),
        ("Why", _sentence(deadline.basis)),
    ]
    if not deadline.due_is_working_day:
        pairs.append(("Last working day", long_date(deadline.practical_due)))
    return pairs


def deadline_block(label: str, deadline: Deadline, today: date) -> Element:
    return facts(deadline_facts(label, deadline, today))


# -- another request while a dialog waits (understanding.interruptions) --------------------------

#: The key of the choice an interruption card's buttons send (and a "Do you want to ...?").
OFFER_KEY = "iro_offer"
CARRY_ON, SWITCH, AS_ANSWER = "carry_on", "switch", "answer"
YES_START, NO_START = "start", "dont_start"


def interruption_card(doing: str) -> Card:
    """What is open, and the choice: carry on with it, leave it and do the new request, or
    take the message as the answer after all (so a reading that was wrong costs one tap)."""
    return card([
        text(f"We're in the middle of {doing}, and nothing of it is saved yet.", wrap=True),
        text('That reads like a new request. Type "carry on" or "leave it", or "that was my '
             'answer".', wrap=True),
    ], [submit(f"Carry on {doing}", {OFFER_KEY: CARRY_ON}),
        submit("Leave it and do what I just asked", {OFFER_KEY: SWITCH}),
        submit("That was my answer", {OFFER_KEY: AS_ANSWER})])  # fmt: skip


INTERRUPTION_AGAIN = ('Please choose: "carry on" with what we were doing, "leave it" to do what '
                      'you just asked, or "that was my answer".')


def left_unsaved(doing: str) -> str:
    return f"OK, I've left {doing} unsaved."


def closed_when_idle(doing: str, hours: float) -> str:
    waited = f"{hours:g} hours" if hours != 1 else "an hour"
    return (f"We were {doing}, but it had waited over {waited} for an answer, so I closed it. "
            "Nothing of it was saved: start it again whenever you're ready.")


def want_to_start_card(doing: str) -> Card:
    """A change asked about as a question: is the change wanted? (Nothing starts without a yes.)"""
    return card([text(f"Do you want to start {doing}?", wrap=True)],
                [submit("Yes, start it", {OFFER_KEY: YES_START}),
                 submit("No", {OFFER_KEY: NO_START})])  # fmt: skip


NOT_STARTED = "OK, I haven't started anything. What would you like to do?"
