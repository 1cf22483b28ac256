"""What a caseload question says: "my caseload" (a count or a list), booked reviews (one child's,
or a caseload's with the children due and not booked), and the sentences of scope: whose children
a list covers, and a refusal for a scope the user may not see, saying what they can see.
"""

from __future__ import annotations

from datetime import date

from cards.elements import Card, card, facts, heading, row, text
from domain.calendar import WorkingDayCalendar
from domain.deadlines import standing_for
from domain.formatting import counted, long_date, short_date
from domain.permissions import CaseloadScope, Reach, ScopeView
from services.caseload import UNBOOKED_WEEKS, Bookings, Caseload, ChildBookings, ScopeRefused

#: Who may see the lists a refusal was for (domain.permissions.scope_view), in its words.
_WHOSE = {
    CaseloadScope.TEAM: "a team's caseload is for its managers and the QA team",
    CaseloadScope.SERVICE: "the whole service's is for the QA team and the directors",
}
#: How to ask for the wider list, by scope (the words understand() reads as that scope).
_ASK_WIDER = {CaseloadScope.TEAM: "the team", CaseloadScope.SERVICE: "the whole service"}


#: The questions ``no_children`` suggests for the wider list, one per kind of list.
DUE_EXAMPLE = "what's overdue across {whose}?"
CASELOAD_EXAMPLE = "how many children are there in {whose}?"
BOOKED_EXAMPLE = "booked reviews across {whose}"


def reach_words(view: ScopeView) -> str:
    """Which children a list covers: "the children you review or cover", ..."""
    return {
        Reach.REVIEWED: "the children you review or cover",
        Reach.ALLOCATED: "the children allocated to you",
        Reach.AREA: f"the children in the {view.service_area} service area",
        Reach.EVERY: "every child in the service",
        Reach.NONE: "no children's records",
    }[view.reach]


def where(view: ScopeView) -> str:
    """A list heading's suffix naming whose children it covers: an area's, or the whole
    service's; "" for an IRO's or a social worker's own (their headings read as theirs)."""
    if view.reach in (Reach.REVIEWED, Reach.ALLOCATED, Reach.NONE):
        return ""
    if view.reach is Reach.AREA:
        return f": {view.service_area}"
    return ": the whole service"


def scope_refusal(refused: ScopeRefused) -> str:
    """ "You can see only the children you review (38); a team's caseload is for its managers
    and the QA team." Never a narrower answer in its place."""
    if refused.own.reach is Reach.NONE:
        return ("You can't see any children's records, so I can't list a team's or the "
                "service's. If that is wrong, please ask the QA team to check your service "
                "area.")  # fmt: skip
    return (f"You can see only {reach_words(refused.own)} ({refused.own_count}); "
            f"{_WHOSE[refused.asked]}.")  # fmt: skip


def no_children(view: ScopeView, wider: CaseloadScope | None, example: str) -> str:
    """The scope covers no child at all: said as such (not "nothing is due"), with how to ask for
    the wider list when the user may see one (``example``: a question with ``{whose}`` where
    "the whole service" or "the team" goes)."""
    said = {
        Reach.REVIEWED: "You don't review or cover any children yourself.",
        Reach.ALLOCATED: "No children are allocated to you.",
        Reach.AREA: f"No children are recorded in the {view.service_area} service area.",
        Reach.EVERY: "No children are recorded.",
        Reach.NONE: "You can't see any children's records.",
    }[view.reach]
    if wider is None:
        return said
    return f"{said} For {_ASK_WIDER[wider]}, ask \"{example.format(whose=_ASK_WIDER[wider])}\"."


# -- my caseload --------------------------------------------------------------------------------


def caseload_sentence(found: Caseload) -> str:
    """ "You review or cover 38 children (36 in care now)." """
    n, view = found.total, found.view
    children, are = counted(n, "child", "children"), "is" if n == 1 else "are"
    said = {
        Reach.REVIEWED: f"You review or cover {children}",
        Reach.ALLOCATED: f"{children} {are} allocated to you",
        Reach.AREA: f"There {are} {children} in the {view.service_area} service area",
        Reach.EVERY: f"There {are} {children} in the service",
        Reach.NONE: "You can't see any children's records",
    }[view.reach]
    if found.in_care != n:
        said += f" ({found.in_care} in care now)"
    return said + "."


def caseload_card(found: Caseload, scope: CaseloadScope, wider: CaseloadScope | None) -> Card:
    """The count, and the children soonest due first: name, child ID, next review due."""
    if not found.total:
        return card([text(no_children(found.view, wider, CASELOAD_EXAMPLE))])
    body = [heading("Caseload" + where(found.view)), text(caseload_sentence(found))]
    if not found.children:
        return card(body)
    # A FactSet, not a table: a row of columns is ~4 times the JSON, and a caseload of 80
    # children in columns would pass the ~28 KB Teams accepts in one message.
    lines = []
    for child in found.children:
        due = child.next_review_due
        if due:
            shown = f"next review due {short_date(due)}"
        else:
            shown = "not in care" if child.looked_after_since is None else "no review date"
        lines.append((child.display_name, f"{child.child_id}, {shown}"))
    body.append(facts(lines))
    if len(found.children) < found.total:
        body.append(text(f"The {len(found.children)} soonest due of {found.total}.", subtle=True))
    return card(body)


# -- booked reviews -----------------------------------------------------------------------------


def _against(booked_for: date, due: date | None) -> tuple[str, str | None]:
    """A booking measured against the due date: the words and their colour."""
    if due is None:
        return "no review due", None
    if booked_for <= due:
        return f"by the due date, {short_date(due)}", None
    return f"after the due date, {short_date(due)}", "Attention"


def child_bookings_card(found: ChildBookings, today: date) -> Card:
    """One child's booked reviews, the first measured against the next review's due date (any
    later booking is for a review after it, whose due date is not known yet)."""
    child, name = found.child, found.child.display_name
    due = child.next_review_due
    body = [heading(f"{name}: booked reviews")]
    if child.looked_after_since is None:
        body.append(text(f"{name} is not in care now, so no review is due."))
    elif due is not None:
        standing = "was due" if due < today else "is due"
        rule = f" ({child.next_review_rule})" if child.next_review_rule else ""
        body.append(text(f"The next review {standing} by {long_date(due)}{rule}."))
    if not found.booked:
        body.append(text(f"No review is booked for {name} from today on.", weight="Bolder"))
        if child.looked_after_since is not None:
            body.append(text(f"To book one, say \"book {name}'s review for <date>\".", subtle=True))
        return card(body)
    widths = ["auto", "stretch"]
    body.append(row(["Booked for", "Against the due date"], header=True, widths=widths))
    for i, day in enumerate(found.booked):
        words, color = _against(day, due) if i == 0 else ("a later review", None)
        body.append(row([f"{day:%a} {short_date(day)}", words], widths=widths,
                        colors=[None, color]))  # fmt: skip
    return card(body)


def bookings_card(
    found: Bookings, scope: CaseloadScope, wider: CaseloadScope | None, today: date,
    calendar: WorkingDayCalendar,
) -> Card:  # fmt: skip
    """The reviews booked from today, by date (each against its child's due date), then the
    children due in the next weeks with nothing booked: what is still to arrange."""
    if found.caseload_size == 0:
        return card([text(no_children(found.view, wider, BOOKED_EXAMPLE))])
    # FactSets, not tables, as in caseload_card: two lists of up to LIST_LIMIT lines each.
    body = [heading("Booked reviews" + where(found.view))]
    if not found.booked:
        body.append(text("No reviews are booked from today on."))
    else:
        lines = []
        for booking in found.booked:
            words, _ = _against(booking.booked_for, booking.child.next_review_due)
            lines.append((f"{booking.booked_for:%a} {short_date(booking.booked_for)}",
                          f"{booking.child.display_name}: {words}"))  # fmt: skip
        body.append(facts(lines))
        if found.more_booked:
            body.append(text(f"The first {len(found.booked)} booked.", subtle=True))
    title = f"Due by {short_date(found.until)} with no review booked"
    body.append(text(title, weight="Bolder"))
    if not found.unbooked:
        body.append(text(f"Every child due in the next {UNBOOKED_WEEKS} weeks has a review "
                         "booked."))  # fmt: skip
        return card(body)
    lines = []
    for child in found.unbooked:
        assert child.next_review_due is not None  # the query's condition
        practical = child.next_review_practical or child.next_review_due
        standing = standing_for(child.next_review_due, practical, today, calendar)
        lines.append((child.display_name, f"due {child.next_review_due:%a} "
                      f"{short_date(child.next_review_due)}: {standing.summary}"))  # fmt: skip
    body.append(facts(lines))
    if found.more_unbooked:
        body.append(text(f"The {len(found.unbooked)} soonest due.", subtle=True))
    return card(body)
