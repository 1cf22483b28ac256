"""What each notification of an IR move says (``services.ir_cards.NoticeWording``).

Each function returns ``(summary, text)``: ``summary`` is what Teams shows in notifications and
on lock screens, so it holds the reference and dates only; ``text`` may name people and the
child (it goes to the member of staff, never to a log).
"""

from __future__ import annotations

from datetime import date

from domain.formatting import long_date, short_date
from services.ir_cards import IrCardView, Notice


def waiting_line(view: IrCardView) -> str:
    if view.owner_name is None:
        return (f"No {view.owner_title} is recorded to answer it: please tell the QA & "
                "Safeguarding team.")  # fmt: skip
    due = long_date(view.response_due) if view.response_due else "soon"
    return f"{view.owner_name} ({view.owner_title}) must respond by {due}."


def to_stage_owner(view: IrCardView, on_behalf: bool) -> Notice:
    due = long_date(view.response_due) if view.response_due else "soon"
    for_whom = f" (on behalf of {view.owner_name})" if on_behalf else ""
    return (f"{view.reference} needs a response by {due}",
            f"{view.iro_name} needs a response{for_whom} to {view.reference} about "
            f"{view.child_name}, at {view.stage_name}, by {due}.")  # fmt: skip


def to_raiser_raised(view: IrCardView) -> Notice:
    return (f"{view.reference} raised at {view.stage_name}: the response will show on this card",
            f"You raised {view.reference} about {view.child_name} at {view.stage_name}. "
            f"{waiting_line(view)}")  # fmt: skip


def to_social_worker(view: IrCardView, escalated: bool) -> Notice:
    if escalated:
        opening = (f"{view.iro_name} has escalated the Issues Resolution {view.reference} about "
                   f"{view.child_name} to {view.stage_name}.")  # fmt: skip
    else:
        opening = (f"{view.iro_name} has raised an Issues Resolution ({view.reference}) about "
                   f"{view.child_name} at {view.stage_name}, because: "
                   f"{'; '.join(view.reasons)}.")  # fmt: skip
    return (f"{view.reference}: an IR about a child you work with",
            f"{opening} {waiting_line(view)}")  # fmt: skip


def to_raiser_responded(view: IrCardView, declined: bool, on: date) -> Notice:
    answer = "declined" if declined else "responded"
    who = view.current.responded_by_name or view.owner_title
    return (f"{view.reference}: {view.stage_name} {answer}",
            f"{who} {answer} to {view.reference} about {view.child_name} on "
            f"{short_date(on)}. Open the card to accept and resolve, escalate or refer to "
            "Cafcass.")  # fmt: skip


def resolved(view: IrCardView, on: date) -> Notice:
    return (f"{view.reference} resolved",
            f"{view.reference} about {view.child_name} was resolved on {long_date(on)} at "
            f"{view.resolved_at_stage_name}.")  # fmt: skip
