"""What a child's details say: one fact asked for ("who is Sam's social worker?") as a sentence,
the rest small underneath; or every detail held, as facts. Legal status is not held, and is
said to be in the case record rather than left out.
"""

from __future__ import annotations

from cards.elements import Card, card, facts, heading
from domain.formatting import long_date, short_date
from services.child_facts import ChildFacts
from understanding.model import ChildDetail

LEGAL_STATUS_NOT_HELD = "I don't hold legal status; it's in the case record."
NOT_RECORDED = "not recorded"


def _iro_sentence(f: ChildFacts, name: str) -> str:
    child = f.child
    said = f"{name}'s IRO is {child.iro_name}." if child.iro_name else \
        f"No IRO is recorded for {name}."  # fmt: skip
    if child.covering_iro_name:
        said += f" {child.covering_iro_name} is covering."
    return said


def _care_sentence(f: ChildFacts, name: str) -> str:
    if f.in_care_since is None:
        said = f"{name} is not in care now."
        if f.left_care_on:
            said += f" Their last period of care ended on {long_date(f.left_care_on)}."
        return said
    said = f"{name} came into care on {long_date(f.in_care_since)}."
    if f.first_in_care:
        said += (f" That is their current period of care; they first came into care on "
                 f"{long_date(f.first_in_care)}.")  # fmt: skip
    return said


def _age_sentence(f: ChildFacts, name: str) -> str:
    born = f.child.date_of_birth
    if born is None or f.age is None:
        return f"{name}'s date of birth is not recorded."
    return f"{name} is {f.age} (born {short_date(born)})."


def _uasc_sentence(f: ChildFacts, name: str) -> str:
    if f.uasc:
        return f"{name} is an unaccompanied asylum-seeking child (UASC)."
    return f"{name} is not recorded as an unaccompanied asylum-seeking child (UASC)."


def detail_sentence(f: ChildFacts, detail: ChildDetail) -> str:
    """The one fact asked for, as a sentence."""
    name = f.child.display_name
    if detail is ChildDetail.SOCIAL_WORKER:
        sw = f.child.social_worker_name
        return f"{name}'s social worker is {sw}." if sw else \
            f"No social worker is recorded for {name}."  # fmt: skip
    if detail is ChildDetail.IRO:
        return _iro_sentence(f, name)
    if detail is ChildDetail.CARE_START:
        return _care_sentence(f, name)
    if detail is ChildDetail.AGE:
        return _age_sentence(f, name)
    if detail is ChildDetail.UASC:
        return _uasc_sentence(f, name)
    return LEGAL_STATUS_NOT_HELD


def _fact_lines(f: ChildFacts) -> list[tuple[str, str]]:
    child = f.child
    if f.in_care_since:
        in_care = long_date(f.in_care_since)
    else:
        in_care = "not in care now" + \
            (f" (left care on {short_date(f.left_care_on)})" if f.left_care_on else "")  # fmt: skip
    if child.date_of_birth and f.age is not None:
        age = f"{f.age} (born {short_date(child.date_of_birth)})"
        if f.turns_adult_on:
            age += f"; 18 on {short_date(f.turns_adult_on)}"
    else:
        age = "date of birth not recorded"
    due = child.next_review_due
    next_review = f"{short_date(due)} ({child.next_review_rule})" if due and \
        child.next_review_rule else (short_date(due) if due else "")  # fmt: skip
    lines = [
        ("Child ID", child.child_id),
        ("Social worker", child.social_worker_name or NOT_RECORDED),
        ("IRO", child.iro_name or NOT_RECORDED),
        ("Covering IRO", child.covering_iro_name or ""),
        ("In care since", in_care),
    ]
    if f.first_in_care:
        lines.append(("Earlier periods of care",
                      f"{f.earlier_periods}, the first from {short_date(f.first_in_care)}"))
    lines += [
        ("Age", age),
        ("UASC", "yes" if f.uasc else "no"),
        ("Legal status", "not held here: it's in the case record"),
        ("Next review due", next_review),
    ]
    return lines  # facts() leaves out the empty ones (no covering IRO, no review due)


def child_facts_card(f: ChildFacts) -> Card:
    """Every detail held about the child, as facts ("tell me about Jamie")."""
    return card([heading(f"{f.child.display_name}: details"), facts(_fact_lines(f))])


def detail_answer(f: ChildFacts, detail: ChildDetail) -> str:
    """One fact asked for, answered in a sentence, and how to see the rest: a short question
    gets a short answer."""
    return (f"{detail_sentence(f, detail)} For all {f.child.display_name}'s details, ask "
            f"\"tell me about {f.child.display_name}\".")
