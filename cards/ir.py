"""Raising an Issues Resolution: the questions, the summary to confirm, and the IR as raised.

Each function returns an Adaptive Card (or the text of a question); the raise_ir dialog decides
when to send them. Buttons carry small data ({"stage": "1"}, {"confirm": "yes"}); the dialog
adds its own key so a stale card is recognised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.asking import child_label, confirm_actions, deadline_block, possessive
from cards.elements import Card, Element, card, facts, heading, submit, text
from domain.deadlines import Deadline
from domain.ports import StaffMember
from domain.rules import Stage

# -- reasons -------------------------------------------------------------------------------------

REASONS_INPUT_ID = "reasons"


def reasons_card(name: str, reasons: Sequence[str], ticked: Sequence[str] = ()) -> Card:
    """Every reason as a tick box (Input.ChoiceSet, multi-select); values are "1".."n".

    ``ticked``: reasons shown already ticked (when the user changes their choice).
    """
    choice_set: Element = {
        "type": "Input.ChoiceSet",
        "id": REASONS_INPUT_ID,
        "isMultiSelect": True,
        "style": "expanded",
        "label": "Reasons",
        "isRequired": True,
        "errorMessage": "Choose at least one reason.",
        # Numbered as in the typed fallback, so "1, 4" means the same on every client.
        "choices": [
            {"title": f"{i}. {label}", "value": str(i)} for i, label in enumerate(reasons, 1)
        ],
    }
    if ticked:
        choice_set["value"] = ",".join(str(i) for i, r in enumerate(reasons, 1) if r in ticked)
    return card(
        [
            heading(f"Why are you raising an IR about {name}?"),
            text("Tick every reason that applies.", subtle=True),
            choice_set,
        ],
        [submit("Next", {})],
    )


def reasons_fallback(name: str, reasons: Sequence[str]) -> str:
    lines = [f"Why are you raising an IR about {name}? Reply with the numbers of every reason "
             "that applies, for example \"1, 4\":"]  # fmt: skip
    lines.extend(f"{i}. {label}" for i, label in enumerate(reasons, 1))
    return "\n".join(lines)


def reasons_not_read(count: int) -> str:
    return (
        f"I couldn't match that to the reasons listed. Tick them on the card, or type their "
        f'numbers (1 to {count}) separated by commas, for example "1, 4".'
    )


def reason_number_out_of_range(number: int, count: int) -> str:
    return f"There is no reason {number}: the reasons are numbered 1 to {count}."


# -- description -----------------------------------------------------------------------------------

DESCRIPTION_MAX = 4000
SKIP_WORDS = frozenset({"skip", "none", "no", "n/a", "na", "nothing", "no thanks"})


def description_question(name: str, required_by: str | None) -> str:
    if required_by:
        return (
            f'You chose "{required_by}", so please describe the issue in your own words: what '
            f"has happened, and what needs to happen for {name}."
        )
    return (
        f"Describe the issue in your own words: what has happened, and what needs to happen for "
        f'{name}. (Type "skip" to leave the description out.)'
    )


def description_required(required_by: str) -> str:
    return (
        f'A description is needed because you chose "{required_by}": please write a sentence '
        "or two about the issue."
    )


DESCRIPTION_EMPTY = 'Please write a sentence or two about the issue, or type "skip".'
DESCRIPTION_TOO_LONG = (
    f"That's longer than I can keep ({DESCRIPTION_MAX} characters). Please shorten it: the "
    "details can go in the child's record."
)

# -- stage -----------------------------------------------------------------------------------------


def stage_button_title(stage: Stage) -> str:
    return f"{stage.name} ({stage.owner_title})"


def stage_card(stages: Sequence[Stage]) -> Card:
    return card(
        [
            heading("At which stage?"),
            text(
                f"Most IRs start at the {stages[0].name.lower()} stage. You can raise an IR at "
                "any stage when the issue needs it (IR-BYPASS)."
            ),
        ],
        [submit(stage_button_title(s), {"stage": s.key}) for s in stages],
    )


def stage_fallback(stages: Sequence[Stage]) -> str:
    names = "; ".join(stage_button_title(s) for s in stages)
    return (
        f'At which stage? {names}. Reply "{stages[0].name.lower()}" (the usual start) or a '
        f'stage number, for example "stage 1".'
    )


def stage_not_read(stages: Sequence[Stage]) -> str:
    numbered = [s.key for s in stages if s.key.isdigit()]
    span = f" or a stage number ({numbered[0]} to {numbered[-1]})" if numbered else ""
    return (
        f"I couldn't tell which stage you meant. Tap a stage, or type "
        f'"{stages[0].name.lower()}"{span}.'
    )


# -- who answers -----------------------------------------------------------------------------------


def owner_line(stage: Stage, owner: StaffMember | None, has_social_worker: bool) -> str:
    if owner is not None:
        return f"At {stage.name} the IR goes to {owner.display_name} ({stage.owner_title})."
    if not has_social_worker:
        return (
            f"No social worker is recorded for this child, so there is no {stage.owner_title} "
            f"to send the IR to. It will be raised without an owner: please tell the QA & "
            f"Safeguarding team, or choose another stage."
        )
    return (
        f"No {stage.owner_title} is recorded for this child's social worker, so the IR will be "
        f"raised without an owner. Please tell the QA & Safeguarding team, or choose another "
        f"stage."
    )


# -- confirm and result ---------------------------------------------------------------------------


def ir_confirm_card(
    name: str, child_id: str, reasons: Sequence[str], description: str, stage: Stage,
    owner: StaffMember | None, has_social_worker: bool,
) -> Card:  # fmt: skip
    body: list[Element] = [
        heading("Raise this IR?"),
        facts(
            [
                ("Child", child_label(name, child_id)),
                ("Reasons", "; ".join(reasons)),
                ("Stage", stage.name),
                (
                    "Goes to",
                    f"{owner.display_name} ({stage.owner_title})"
                    if owner
                    else "nobody: no owner is recorded",
                ),
            ]
        ),
    ]
    if description:
        body.append(text("Description", weight="Bolder"))
        body.append(text(description, spacing="None"))
    if owner is None:
        body.append(text(owner_line(stage, owner, has_social_worker), color="Warning"))
    body.append(text('Nothing is saved until you choose "Raise the IR".', subtle=True))
    return card(body, confirm_actions("Raise the IR", ("Choose another stage", "stage"),
                                      ("Change the reasons", "reasons")))  # fmt: skip


def ir_raised_card(
    reference: str, name: str, stage: Stage, owner: StaffMember | None, reasons: Sequence[str],
    stage_due: Deadline, formal_due: Deadline | None, today: date,
) -> Card:  # fmt: skip
    body: list[Element] = [
        heading(f"{reference} raised"),
        text(f"{possessive(name)} IR is open at {stage.name}."),
        facts(
            [
                ("Reference", reference),
                ("Reasons", "; ".join(reasons)),
                (
                    "Goes to",
                    f"{owner.display_name} ({stage.owner_title})"
                    if owner
                    else "nobody yet: no owner is recorded",
                ),
            ]
        ),
        text("Response due", weight="Bolder"),
        deadline_block("Due", stage_due, today),
    ]
    if formal_due is not None:
        body.append(text("Formal IR resolved by", weight="Bolder"))
        body.append(deadline_block("Due", formal_due, today))
    if owner is None:
        body.append(text("Please tell the QA & Safeguarding team that this IR has no owner.",
                         color="Warning"))  # fmt: skip
    body.append(text(f'Ask "status of {reference}" at any time.', subtle=True))
    return card(body)


# -- an IR already open ---------------------------------------------------------------------------

ANOTHER_IR_NOT_READ = ('Please reply "yes" to raise another IR, "escalate it" to escalate the '
                       'open one, or "no" to leave it.')  # fmt: skip


def open_irs_card(name: str, references: Sequence[str]) -> Card:
    """Before raising an IR about a child who has one open: say so, and offer to raise another,
    escalate the open one instead, or stop. The open IR's own card is shown too."""
    which = ", ".join(references)
    one = len(references) == 1
    lead = (f"{name} already has an open Issues Resolution: {which}. Its card is below." if one
            else f"{name} already has open Issues Resolutions: {which}. Their cards are "
            "below.")  # fmt: skip
    return card(
        [text(lead), text("Raise another IR about a different issue, or escalate "
                          f"{'it' if one else 'one of them'} instead?", weight="Bolder")],
        [submit("Raise another", {"confirm": "yes"}),
         submit("Escalate it" if one else "Escalate one", {"confirm": "escalate"}),
         submit("Don't raise", {"confirm": "no"})],
    )  # fmt: skip


def open_irs_fallback(name: str, references: Sequence[str]) -> str:
    return (f"{name} already has an open IR ({', '.join(references)}). Raise another IR about a "
            'different issue? Reply "yes", "escalate it" to escalate the open one instead, or '
            '"no".')  # fmt: skip


NOT_RAISED = "OK, no IR was raised. The open IR's card is above, with what you can do on it."
