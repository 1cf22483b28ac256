"""Cards for the conversation itself: welcome, help, refusals, choosing a child, IR lists.

The prose a user reads is kept here so it can be reviewed together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.elements import Card, card, facts, heading, row, text
from domain.formatting import long_date
from domain.permissions import Change, IrMove, may_ever_act_on_ir, may_ever_change
from domain.ports import StaffMember

#: What help offers, with the change each example makes (None: a question). A member of staff
#: is offered only the changes their role may make (``domain.permissions``): a change to a
#: child's record (``Change``) or an IR move (``IrMove``: anyone may be a stage's owner and
#: answer it; only an IRO or a QA manager moves an IR on).
EXAMPLES: list[tuple[str, str, Change | IrMove | None]] = [
    ("When is a review due?", "when is Jamie Smith's next review due?", None),
    ("What's due for me?", "what's due this fortnight? / anything overdue?", None),
    ("Why that date?", "why is her review due then?", None),
    ("Record a review", "record a review for Jamie held yesterday", Change.RECORD_REVIEW),
    ("Decisions or minutes sent", "Jamie's review decisions sent today", Change.RECORD_PAPERWORK),
    ("Book a review", "book Jamie's review for 3rd March", Change.BOOK_REVIEW),
    ("Bring a review forward", "bring Jamie's review forward to Friday because of a move",
     Change.BRING_FORWARD),
    ("Raise an IR", "raise an IR for Jamie", Change.RAISE_IR),
    ("IRs", "my IRs / IRs waiting for me / status of IR-2026-0042", None),
    ("Answer an IR", "respond to IR-2026-0042: ... / decline it because ... (as the stage's "
     "owner, or their delegate)", IrMove.RESPOND),
    ("Move an IR on", "escalate it to stage 2 / resolve it: ... / refer it to Cafcass",
     IrMove.ESCALATE),
    ("About a child", "who is Jamie's social worker? / when did Jamie come into care? / is "
     "Jamie UASC?", None),
    ("Your caseload", "how many children do I have? / what have I got booked?", None),
    ("Child protection", "when is Jamie's next CP conference?", None),
]  # fmt: skip


def examples_for(staff: StaffMember | None) -> list[tuple[str, str]]:
    """The examples ``staff`` may act on: every question, and the changes their role allows."""
    return [(title, example) for title, example, change in EXAMPLES
            if change is None or (may_ever_act_on_ir(staff, change) if isinstance(change, IrMove)
                                  else may_ever_change(staff, change))]  # fmt: skip

UNKNOWN_USER = (
    "Sorry, I can't help with this: your Teams account isn't linked to a member of staff in "
    "iro-bot. Please ask your QA & Safeguarding service manager to add you."
)
DIDNT_UNDERSTAND = (
    "Sorry, I didn't understand that. Try \"when is Jamie's next review due?\" or "
    '"what\'s due this fortnight?", or type "help" to see everything I can do.'
)
CANCELLED = "Cancelled: nothing was saved."
FINISHED_QUESTION = (
    "That question has already finished, so the button did nothing. What would you like to do?"
)
NOTES_BELONG_IN_THE_RECORD = (
    "I don't keep notes: a note about a child belongs in their case record, where their social "
    "worker and the service can see it. I can record a review, book one, bring one forward, "
    "record decisions or minutes sent, or raise an IR: type \"help\" to see how."
)
NOTHING_TO_CANCEL = "There's nothing to cancel. What would you like to do?"
BUSY = (
    "I was still working on your previous message, so I couldn't take this one. "
    "Please send it again."
)


def welcome_card(first_name: str | None, staff: StaffMember | None = None) -> Card:
    hello = f"Hello {first_name}!" if first_name else "Hello!"
    return card([
        heading(f"{hello} I'm iro-bot."),
        text("I work out statutory review dates exactly, with the rule behind each one, and "
             "keep Issues Resolutions moving. Ask me in your own words, for example:"),
        facts(examples_for(staff)),
        text("Type \"cancel\" at any point to stop what we're doing; nothing is saved until "
             "you confirm.", subtle=True),
    ])  # fmt: skip


def help_card(staff: StaffMember | None = None) -> Card:
    """What ``staff`` can ask and do (without a member of staff: the questions alone)."""
    return card([heading("What I can do"), facts(examples_for(staff)),
                 text("Dates can be written 14/01/2026, \"next Tuesday\", \"3rd March\" or "
                      "\"in two weeks\". Type \"cancel\" to stop.", subtle=True)])  # fmt: skip


def ir_list_card(title: str, items: Sequence[dict[str, str]], empty: str) -> Card:
    """``items``: reference, child, stage, due, standing (all display text)."""
    body = [heading(title)]
    if not items:
        body.append(text(empty))
        return card(body)
    widths = ["auto", "stretch", "auto", "auto"]
    body.append(row(["Reference", "Child", "Stage", "Response due"], header=True,
                    widths=widths))  # fmt: skip
    for item in items:
        body.append(row([item["reference"], item["child"], item["stage"], item["due"]],
                        widths=widths))  # fmt: skip
    return card(body)


def ir_status_card(reference: str, child: str, lines: Sequence[tuple[str, str]],
                   history: Sequence[str]) -> Card:  # fmt: skip
    body = [heading(f"{reference}: {child}"), facts(lines)]
    if history:
        body.append(text("Stage history", weight="Bolder"))
        body.extend(text(h, spacing="None") for h in history)
    return card(body)


def date_line(day: date | None) -> str:
    return long_date(day) if day else "none"
