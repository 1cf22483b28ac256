"""What the caseload and child-details answers say (``cards.caseload``, ``cards.child_facts``),
from the use cases' data built by hand: the refusals' words, and cards that fit in a message."""

from __future__ import annotations

import json
from datetime import date, timedelta

from cards.caseload import bookings_card, caseload_card, no_children, scope_refusal
from cards.child_facts import (
    LEGAL_STATUS_NOT_HELD,
    child_facts_card,
    detail_answer,
    detail_sentence,
)
from cards.elements import card_to_text
from domain.permissions import CaseloadScope, Reach, ScopeView
from domain.ports import NOTHING, SYSTEM, ChildSummary, Visibility
from domain.rules import load_rules
from services.caseload import LIST_LIMIT, Bookings, Caseload, ScopeRefused
from services.child_facts import ChildFacts
from storage.repositories.caseload_lists import BookedReview
from understanding import ChildDetail

TODAY = date(2026, 3, 2)
RULES = load_rules()
#: What Teams accepts in one message, roughly (cards and their text fallback together).
TEAMS_MESSAGE_BYTES = 28_000


def child(n: int, *, due: date | None = TODAY, sw: str | None = "Sol Walker") -> ChildSummary:
    rule = "CIC-3" if due else None
    return ChildSummary(n, f"C{n:06d}", "Alexandra-Rose", f"Montgomery-Smythe {n}",
                        date(2012, 1, 1), "Family Safeguarding West", date(2024, 1, 1), due,
                        due, rule, 3, 1, "Isla Reed", None, None, 2, sw)  # fmt: skip


def test_a_refusal_names_what_the_person_can_see_and_who_the_wider_list_is_for() -> None:
    iro = ScopeView(Visibility(reviewing_iro_id=1), Reach.REVIEWED)
    assert scope_refusal(ScopeRefused(CaseloadScope.TEAM, iro, 38)) == (
        "You can see only the children you review or cover (38); a team's caseload is for its "
        "managers and the QA team."
    )
    nothing = ScopeRefused(CaseloadScope.TEAM, ScopeView(NOTHING, Reach.NONE), 0)
    assert scope_refusal(nothing).startswith("You can't see any children's records")


def test_no_children_suggests_the_wider_list_only_to_those_who_may_see_it() -> None:
    qa_own = ScopeView(Visibility(reviewing_iro_id=4), Reach.REVIEWED)
    assert no_children(qa_own, CaseloadScope.SERVICE, "x across {whose}?") == (
        "You don't review or cover any children yourself. For the whole service, ask "
        '"x across the whole service?".'
    )
    assert no_children(qa_own, None, "x") == "You don't review or cover any children yourself."


def facts_of(**changes: object) -> ChildFacts:
    values: dict[str, object] = dict(
        child=child(1), uasc=False, in_care_since=date(2024, 1, 1), left_care_on=None,
        earlier_periods=0, first_in_care=None, age=14, turns_adult_on=date(2030, 1, 1),
    )  # fmt: skip
    values.update(changes)
    return ChildFacts(**values)  # type: ignore[arg-type]


def test_each_detail_has_its_sentence_and_legal_status_is_said_to_be_elsewhere() -> None:
    f = facts_of()
    name = f.child.display_name
    assert detail_sentence(f, ChildDetail.SOCIAL_WORKER) == f"{name}'s social worker is Sol Walker."
    assert detail_sentence(facts_of(child=child(1, sw=None)), ChildDetail.SOCIAL_WORKER) == (
        f"No social worker is recorded for {name}."
    )
    assert detail_sentence(f, ChildDetail.IRO) == f"{name}'s IRO is Isla Reed."
    assert detail_sentence(f, ChildDetail.LEGAL_STATUS) == LEGAL_STATUS_NOT_HELD
    assert detail_sentence(f, ChildDetail.UASC) == (
        f"{name} is not recorded as an unaccompanied asylum-seeking child (UASC)."
    )
    assert detail_sentence(facts_of(age=None), ChildDetail.AGE) == (
        f"{name}'s date of birth is not recorded."
    )
    every = card_to_text(child_facts_card(f)).splitlines()
    assert every[0] == f"{name}: details"
    assert "Legal status: not held here: it's in the case record" in every
    # One fact: its sentence, and how to see the rest (no card of everything).
    assert detail_answer(f, ChildDetail.UASC) == (
        f"{detail_sentence(f, ChildDetail.UASC)} For all {name}'s details, ask "
        f"\"tell me about {name}\"."
    )


def test_the_longest_lists_fit_in_one_teams_message() -> None:
    many = [child(n, due=TODAY + timedelta(days=n)) for n in range(LIST_LIMIT)]
    caseload = Caseload(ScopeView(SYSTEM, Reach.EVERY), 10_000, 9_000, many)
    listed = caseload_card(caseload, CaseloadScope.SERVICE, None)
    booked = Bookings(ScopeView(SYSTEM, Reach.EVERY),
                      [BookedReview(c, TODAY + timedelta(days=3)) for c in many], True,
                      many, True, TODAY + timedelta(weeks=12))  # fmt: skip
    both = bookings_card(booked, CaseloadScope.SERVICE, None, TODAY, RULES.calendar)
    for made in (listed, both):
        size = len(json.dumps(made)) + len(card_to_text(made)[:500])  # the card and its summary
        assert size < TEAMS_MESSAGE_BYTES, size
    assert "The 100 soonest due of 10000." in card_to_text(listed)
