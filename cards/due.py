"""Cards that answer "when is X's next review due?" and "what's due for me?"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.elements import Card, card, facts, heading, row, text
from domain.calendar import WorkingDayCalendar
from domain.deadlines import Deadline, Standing, standing_for
from domain.formatting import counted, long_date
from domain.ports import ChildSummary

_ORDINALS = {1: "first", 2: "second"}


def status_color(standing: Standing) -> str | None:
    if standing.overdue:
        return "Attention"
    if standing.working_days_left <= 5:
        return "Warning"
    return None


def review_label(number: int | None) -> str:
    if not number:
        return "Next review"
    return f"The {_ORDINALS.get(number, 'next')} review" if number <= 2 else "Next review"


def next_review_card(child: ChildSummary, deadline: Deadline, today: date) -> Card:
    standing = deadline.standing(today)
    body = [
        heading(f"{child.display_name}: next review"),
        text(long_date(deadline.due), size="Large", weight="Bolder"),
        text(standing.summary.capitalize(), color=status_color(standing), weight="Bolder"),
    ]
    if not deadline.due_is_working_day:
        body.append(text(
            f"That is not a working day: the last working day on or before it is "
            f"{long_date(deadline.practical_due)}."
        ))  # fmt: skip
    body.append(facts([
        ("Rule", f"{deadline.rule_id}: {deadline.title}"),
        ("Why", deadline.basis[:1].upper() + deadline.basis[1:]),
        ("Source", deadline.citation),
        ("IRO", child.iro_name or "not recorded"),
        ("Social worker", child.social_worker_name or "not recorded"),
        ("Child ID", child.child_id),
    ]))  # fmt: skip
    return card(body)


def due_list_card(
    title: str,
    children: Sequence[ChildSummary],
    today: date,
    calendar: WorkingDayCalendar,
    empty_message: str,
) -> Card:
    """A compact table sorted by due date: child, due date, where it stands, rule."""
    ordered = sorted(
        (c for c in children if c.next_review_due),
        key=lambda c: (c.next_review_due, c.display_name),
    )
    body = [heading(title)]
    if not ordered:
        body.append(text(empty_message))
        return card(body)
    widths = ["stretch", "auto", "auto", "auto"]
    body.append(row(["Child", "Due", "Standing", "Rule"], header=True, widths=widths))
    for child in ordered:
        assert child.next_review_due is not None  # filtered above; narrows the type
        practical = child.next_review_practical or child.next_review_due
        standing = standing_for(child.next_review_due, practical, today, calendar)
        body.append(row(
            [child.display_name, f"{child.next_review_due:%a %d %b %Y}", standing.summary,
             child.next_review_rule or ""],
            widths=widths,
            colors=[None, None, status_color(standing), None],
        ))  # fmt: skip
    listed = counted(len(ordered), "child", "children")
    body.append(text(f"{listed}. Ask \"why is <name> due then?\" for the rule.",
                     subtle=True))  # fmt: skip
    return card(body)
