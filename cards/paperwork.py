"""Recording that a review's decisions or minutes were sent: the questions, the summary and the
result. Each deadline is shown with its rule, and whether the paperwork went out in time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.asking import child_label, confirm_actions
from cards.elements import Card, Element, card, facts, heading, submit, text
from cards.reviews import PART_NAMES
from domain.formatting import long_date
from domain.paperwork import Paperwork, PaperworkCheck, sent_in_time

#: What each kind is called in a sentence.
WORDS = {Paperwork.DECISIONS: "decisions", Paperwork.MINUTES: "minutes"}
BOTH = "both"


def which_card() -> Card:
    return card(
        [text("What was sent: the review's decisions, its minutes, or both?", weight="Bolder")],
        [
            submit("Decisions", {"paperwork": Paperwork.DECISIONS.value}),
            submit("Minutes", {"paperwork": Paperwork.MINUTES.value}),
            submit("Both", {"paperwork": BOTH}),
        ],
    )


WHICH_FALLBACK = (
    'What was sent: the review\'s decisions, its minutes, or both? Reply "decisions", '
    '"minutes" or "both".'
)
WHICH_NOT_READ = 'Please reply "decisions", "minutes" or "both" (or tap one of the buttons).'


def sent_question(name: str, kinds: Sequence[Paperwork]) -> str:
    return (
        f'When were the {_what(kinds)} for {name}\'s review sent? For example "today", '
        '"yesterday" or "25/11/2026".'
    )


def _what(kinds: Sequence[Paperwork]) -> str:
    return " and ".join(WORDS[k] for k in kinds)


def _review(check: PaperworkCheck) -> str:
    part = "" if check.part.value == "full" else f" ({PART_NAMES[check.part].lower()})"
    return f"{long_date(check.held_on)}{part}"


def _timing(check: PaperworkCheck, kind: Paperwork, sent_on: date) -> str:
    due = check.due[kind]
    standing = "in time" if sent_in_time(sent_on, due.due) else "late"
    return f"due by {long_date(due.due)} ({due.rule_id}): {standing}"


def paperwork_confirm_card(
    name: str, child_id: str, kinds: Sequence[Paperwork], sent_on: date, check: PaperworkCheck
) -> Card:
    pairs = [("Child", child_label(name, child_id)), ("Review held", _review(check)),
             ("Sent on", long_date(sent_on))]  # fmt: skip
    pairs += [(WORDS[k].capitalize(), _timing(check, k, sent_on)) for k in kinds]
    body: list[Element] = [heading(f"Record the {_what(kinds)} as sent?"), facts(pairs)]
    for kind in kinds:
        earlier = check.recorded[kind]
        if earlier is not None and earlier != sent_on:
            body.append(text(f"The {WORDS[kind]} are recorded as sent on {long_date(earlier)}: "
                             "this corrects that date.", color="Warning"))  # fmt: skip
    body.append(text('Nothing is saved until you choose "Record it".', subtle=True))
    return card(body, confirm_actions("Record it"))


def paperwork_recorded_card(
    name: str, kinds: Sequence[Paperwork], sent_on: date, check: PaperworkCheck
) -> Card:
    lines: list[Element] = [
        heading(f"Recorded for {name}"),
        text(
            f"The {_what(kinds)} for the review of {_review(check)} were sent on "
            f"{long_date(sent_on)}."
        ),
    ]
    lines += [text(f"{WORDS[k].capitalize()}: {_timing(check, k, sent_on)}.") for k in kinds]
    lines.append(text("The reminders about them stop.", subtle=True))
    return card(lines)
