"""Recording, booking and bringing forward a review: the questions, summaries and results.

Dates are always shown with their weekday ("Wednesday 21 January 2026") and, where the bot
worked them out, with the rule and the basis, so the IRO can check them by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.asking import child_label, confirm_actions, deadline_block, possessive
from cards.elements import Card, Element, card, facts, heading, submit, text
from domain.deadlines import Deadline
from domain.formatting import long_date
from domain.review_details import PARTICIPATION, ReviewDetails
from domain.reviews import ReviewCheck, ReviewPart

PART_NAMES = {
    ReviewPart.FULL: "Full review",
    ReviewPart.PART1: "Part 1 of a split review",
    ReviewPart.PART2: "Part 2 of a split review",
}

# -- record a review -------------------------------------------------------------------------------


def held_question(name: str, due: Deadline | None) -> str:
    question = f"When was {possessive(name)} review held?"
    if due is not None:
        question += f" (It was due by {long_date(due.due)}.)"
    return question


def part_card() -> Card:
    return card(
        [text("Was it a full review, or one part of a review held in two parts?", weight="Bolder")],
        [
            submit("Full review", {"part": ReviewPart.FULL.value}),
            submit("Part 1", {"part": ReviewPart.PART1.value}),
            submit("Part 2", {"part": ReviewPart.PART2.value}),
        ],
    )


PART_FALLBACK = (
    'Was it a full review, or one part of a review held in two parts? Reply "full", '
    '"part 1" or "part 2".'
)
PART_NOT_READ = 'Please reply "full", "part 1" or "part 2" (or tap one of the buttons).'


LATE_REASON_MAX = 200
OWN_WORDS_EMPTY = "Please say it in a few words."


# -- a question answered from one of the authority's lists ----------------------------------------

#: The ids of a list question's inputs: the choice ("1".."n", or "other"), and the words.
CHOICE_INPUT_ID = "choice"
WORDS_INPUT_ID = "words"
OTHER_VALUE = "other"


def list_card(question: str, labels: Sequence[str], other_title: str,
              hint: str | None = None) -> Card:  # fmt: skip
    """One choice from ``labels`` (numbered as the typed fallback is) or "other" with words."""
    choices: list[dict[str, str]] = [
        {"title": f"{i}. {label}", "value": str(i)} for i, label in enumerate(labels, 1)
    ]
    choices.append({"title": f"{len(labels) + 1}. {other_title}", "value": OTHER_VALUE})
    body: list[Element] = [
        text(question, weight="Bolder"),
        {"type": "Input.ChoiceSet", "id": CHOICE_INPUT_ID, "style": "expanded",
         "label": "Choose one", "choices": choices},
        {"type": "Input.Text", "id": WORDS_INPUT_ID, "label": f"{other_title}: in a few words",
         "maxLength": LATE_REASON_MAX, "isMultiline": False},
    ]  # fmt: skip
    if hint:
        body.append(text(hint, subtle=True))
    return card(body, [submit("Next", {})])


def list_fallback(question: str, labels: Sequence[str], other_title: str) -> str:
    """The typed version: the numbered list, then how to answer."""
    lines = [question] + [f"{i}. {label}" for i, label in enumerate(labels, 1)]
    lines.append(f"{len(labels) + 1}. {other_title}")
    return "\n".join(lines) + (
        '\nReply with a number or the words; for anything else, "other:" and a few words.'
    )


def list_not_read(count: int) -> str:
    return (f"Please choose one of the {count + 1} (a number, or the words), or reply "
            '"other:" and a few words.')  # fmt: skip


def list_unsure(typed: str) -> str:
    return f"Which of these did you mean by \"{typed}\"? Tap one, or choose \"other\"."


def late_reason_list_question(name: str, was_due: Deadline) -> str:
    return (f"This review was late: {possessive(name)} review was due by "
            f"{long_date(was_due.due)} ({was_due.rule_id}). Why was it late? (The annual report "
            "counts the reasons.)")  # fmt: skip


def part1_reason_question(name: str) -> str:
    return (f"Why could only Part 1 of {possessive(name)} review be held? (The annual report "
            "counts the reasons.)")  # fmt: skip


HELD_AT_QUESTION = "Where was the review held?"
HELD_AT_OTHER = "Somewhere else"
PARTICIPATION_QUESTION = "How did the young person take part in the review?"
PARTICIPATION_NOT_READ = (
    "Please choose how they took part: a number from the list, or the code (PN1 to PN7)."
)
CHAIRED_QUESTION = "Did the young person chair their own review?"
CHAIRED_NOT_READ = 'Please reply "yes" or "no": did the young person chair their own review?'


def participation_card(codes: dict[str, str]) -> Card:
    """The SSDA903 codes in plain English, one button each (the code shown small)."""
    return card([text(PARTICIPATION_QUESTION, weight="Bolder")],
                [submit(f"{label} ({code})", {"participation": code})
                 for code, label in codes.items()])  # fmt: skip


def participation_fallback(codes: dict[str, str]) -> str:
    lines = [PARTICIPATION_QUESTION] + [f"{i}. {label} ({code})"
                                        for i, (code, label) in enumerate(codes.items(), 1)]
    return "\n".join(lines) + "\nReply with a number or the code."


def chaired_card() -> Card:
    return card([text(CHAIRED_QUESTION, weight="Bolder")],
                [submit("Yes", {"chaired": "yes"}), submit("No", {"chaired": "no"})])


LATE_REASON_TOO_LONG = (
    f"Please keep the reason under {LATE_REASON_MAX} characters: a few words are enough."
)


def record_confirm_card(
    name: str, child_id: str, held_on: date, part: ReviewPart, check: ReviewCheck,
    details: ReviewDetails,
) -> Card:  # fmt: skip
    """The summary before a review is recorded: its timeliness judged against the due date that
    applied on its day, and, for a review entered out of order, what changes after it."""
    if check.was_due is None:
        timeliness = (f"Completes the review begun on {long_date(check.completes)} (Part 1, "
                      "CIC-SPLIT): timeliness is judged on Part 1" if check.completes
                      else f"Not counted: {check.not_counted}")  # fmt: skip
    elif check.late:
        timeliness = f"Late: it was due by {long_date(check.was_due.due)} ({check.was_due.rule_id})"
    else:
        timeliness = f"On time: due by {long_date(check.was_due.due)} ({check.was_due.rule_id})"
    pairs = [
        ("Child", child_label(name, child_id)),
        ("Held on", long_date(held_on)),
        ("Part", PART_NAMES[part]),
        ("Timeliness", timeliness),
    ]
    if check.late and details.late_reason:
        pairs.append(("Why it was late", details.late_reason))
    if details.part1_reason:
        pairs.append(("Why only Part 1", details.part1_reason))
    if details.participation:
        label = PARTICIPATION.get(details.participation, "")
        pairs.append(("How they took part", f"{label} ({details.participation})"))
    if details.chaired_by_child is not None:
        pairs.append(("Chaired by the young person", "yes" if details.chaired_by_child
                      else "no"))  # fmt: skip
    if details.held_at:
        pairs.append(("Held at", details.held_at))
    body: list[Element] = [heading("Record this review?"), facts(pairs)]
    if check.earlier_than is not None:
        body.append(text(
            f"This review was held before the latest one recorded ({long_date(check.earlier_than)})"
            ": it is placed in its order, and the reviews after it are judged again.",
            color="Warning",
        ))  # fmt: skip
        for o in check.rejudged:
            verdict = "on time" if o.on_time else "late"
            body.append(text(
                f"The review of {long_date(o.review.held_on)} would now be {verdict} "
                f"(due by {long_date(o.due.due)}, {o.due.rule_id}).", spacing="None",
            ))  # fmt: skip
        body.append(text(f"Next review due: {long_date(check.next_due.due)} "
                         f"({check.next_due.rule_id}).", spacing="None"))  # fmt: skip
    body.append(text("Nothing is saved until you choose \"Record it\".", subtle=True))
    return card(body, confirm_actions("Record it"))


def review_recorded_card(
    name: str, held_on: date, part: ReviewPart, next_due: Deadline,
    decisions_due: Deadline | None, minutes_due: Deadline | None, late: bool, today: date,
) -> Card:  # fmt: skip
    body: list[Element] = [
        heading(f"Review recorded for {name}"),
        text(f"{PART_NAMES[part]} held {long_date(held_on)}" + (", late." if late else ".")),
        text("Next review", weight="Bolder"),
        deadline_block("Due", next_due, today),
        text("Review decisions sent", weight="Bolder"),
        *_due_or_not_set(decisions_due, today),
        text("Review record (minutes) sent", weight="Bolder"),
        *_due_or_not_set(minutes_due, today),
    ]
    if part is ReviewPart.PART1:
        body.append(text("Part 2 of this review is still to be held: record it when it is.",
                         subtle=True))  # fmt: skip
    return card(body)


# -- book a review ---------------------------------------------------------------------------------


def booking_question(name: str, due: Deadline | None) -> str:
    question = f"Which date is {possessive(name)} review booked for?"
    if due is not None:
        question += f" (It is due by {long_date(due.due)}.)"
    return question


def book_confirm_card(name: str, child_id: str, booked_for: date,
                      due: Deadline | None, working_day: bool = True) -> Card:  # fmt: skip
    pairs = [("Child", child_label(name, child_id)), ("Review on", long_date(booked_for))]
    body: list[Element] = [heading("Book this review?"), facts(pairs)]
    if not working_day:
        body.append(text(
            f"{long_date(booked_for)} is not a working day (a weekend, a bank holiday or a day "
            "the service is closed): check the date before you book it.", color="Warning",
        ))  # fmt: skip
    if due is not None and booked_for > due.due:
        body.append(text(
            f"That is after the date the review is due ({long_date(due.due)}, {due.rule_id}): "
            "it will be late.", color="Warning",
        ))  # fmt: skip
    body.append(text('Nothing is saved until you choose "Book it".', subtle=True))
    return card(body, confirm_actions("Book it"))


def review_booked_card(name: str, booked_for: date, reports_due: Deadline | None,
                       today: date) -> Card:  # fmt: skip
    return card([
        heading(f"Review booked for {name}"),
        text(f"The review is booked for {long_date(booked_for)}."),
        text("Social work reports to you", weight="Bolder"),
        *_due_or_not_set(reports_due, today),
    ])  # fmt: skip


NOT_SET = "Your rules set no timescale for this (it is local practice, not regulation)."


def _due_or_not_set(deadline: Deadline | None, today: date) -> list[Element]:
    """The deadline, or that the rules in use set none (a nation's file may leave it out)."""
    if deadline is None:
        return [text(NOT_SET, subtle=True)]
    return [deadline_block("Due", deadline, today)]


# -- bring a review forward -----------------------------------------------------------------------


def bring_forward_question(name: str, due: Deadline) -> str:
    return (
        f"{possessive(name)} next review is due by {long_date(due.due)} ({due.rule_id}). "
        "Which date should it be held by instead?"
    )


def bring_forward_reason_question(name: str) -> str:
    return (
        f'Why is {possessive(name)} review being brought forward? For example "planned '
        'placement move" or "significant change to the care plan".'
    )


BF_REASON_EMPTY = "Please say in a few words why the review is being brought forward."
BF_REASON_MAX = 1000
BF_REASON_TOO_LONG = (
    f"Please keep the reason under {BF_REASON_MAX} characters: the details can go in the "
    "child's record."
)


def bring_forward_confirm_card(name: str, child_id: str, review_by: date, current: Deadline,
                               reason: str) -> Card:  # fmt: skip
    return card(
        [
            heading("Bring this review forward?"),
            facts(
                [
                    ("Child", child_label(name, child_id)),
                    ("Hold by", long_date(review_by)),
                    ("Instead of", f"{long_date(current.due)} ({current.rule_id})"),
                    ("Reason", reason),
                ]
            ),
            text('Nothing is saved until you choose "Bring it forward".', subtle=True),
        ],
        confirm_actions("Bring it forward"),
    )


def brought_forward_card(name: str, new_due: Deadline, today: date) -> Card:
    return card([
        heading(f"Review brought forward for {name}"),
        deadline_block("Next review due", new_due, today),
    ])  # fmt: skip


# -- correct a review ------------------------------------------------------------------------------

#: What each correctable detail is called (``services.reviews.CORRECTABLE``).
FIELD_TITLES = {
    "participation": "How they took part",
    "chaired_by_child": "Whether they chaired it",
    "held_at": "Where it was held",
    "late_reason": "Why it was late",
    "part1_reason": "Why only Part 1 could be held",
}
FIELD_NOT_READ = (
    'Please choose what to correct: tap one, or type its words ("where it was held").'
)
NOT_RECORDED_YET = "not recorded"


def correct_which_card(name: str, held_on: date, fields: Sequence[str]) -> Card:
    return card([text(f"What needs correcting about {possessive(name)} review of "
                      f"{long_date(held_on)}?", weight="Bolder")],
                [submit(FIELD_TITLES[f], {"field": f}) for f in fields])  # fmt: skip


def correct_which_fallback(name: str, held_on: date, fields: Sequence[str]) -> str:
    lines = [f"What needs correcting about {possessive(name)} review of {long_date(held_on)}?"]
    lines += [f"{i}. {FIELD_TITLES[f]}" for i, f in enumerate(fields, 1)]
    return "\n".join(lines)


def detail_text(field: str, value: object) -> str:
    """A detail's value as a person reads it."""
    if value is None or value == "":
        return NOT_RECORDED_YET
    if field == "participation":
        return f"{PARTICIPATION.get(str(value), str(value))} ({value})"
    if field == "chaired_by_child":
        return "yes" if value else "no"
    return str(value)


def correct_confirm_card(name: str, child_id: str, held_on: date, part: ReviewPart, field: str,
                         before: object, after: object) -> Card:  # fmt: skip
    return card([
        heading("Correct this review?"),
        facts([("Child", child_label(name, child_id)), ("Held on", long_date(held_on)),
               ("Part", PART_NAMES[part]), (f"{FIELD_TITLES[field]}, now",
                                            detail_text(field, before)),
               (f"{FIELD_TITLES[field]}, corrected", detail_text(field, after))]),
        text("Nothing is changed until you choose \"Correct it\".", subtle=True),
    ], confirm_actions("Correct it"))  # fmt: skip


def corrected_text(name: str, held_on: date, field: str, after: object) -> str:
    return (f"Corrected: {FIELD_TITLES[field].lower()} for {possessive(name)} review of "
            f"{long_date(held_on)} is now {detail_text(field, after)}.")
