"""The CIC review schedule: first, second and later reviews, split reviews, brought forward."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from domain.errors import DomainError
from domain.reviews import (
    BroughtForward,
    ReviewHeld,
    ReviewPart,
    care_plan_due,
    decisions_due,
    minutes_due,
    next_review_due,
    reports_due,
    review_schedule,
)
from domain.rules import SplitReviewBasis, load_rules

RULES = load_rules()
FINAL_PART_RULES = replace(RULES, split_counts_from=SplitReviewBasis.FINAL_PART)
START = date(2025, 12, 19)  # became looked after; CIC-1 due Wed 21 January 2026


def test_first_second_and_subsequent_reviews() -> None:
    s = review_schedule(
        START, [ReviewHeld(date(2026, 1, 14)), ReviewHeld(date(2026, 4, 10))], RULES
    )
    assert [(o.number, o.due.rule_id, o.due.due, o.on_time) for o in s.held] == [
        (1, "CIC-1", date(2026, 1, 21), True),
        (2, "CIC-2", date(2026, 4, 14), True),
    ]
    assert (s.next_due.rule_id, s.next_due.due, s.next_number) == ("CIC-3", date(2026, 10, 10), 3)
    # 10 October 2026 is a Saturday: the practical latest date is Friday 9 October.
    assert s.next_due.practical_due == date(2026, 10, 9)


def test_late_review_is_judged_late_and_resets_the_cadence_from_its_own_date() -> None:
    s = review_schedule(START, [ReviewHeld(date(2026, 1, 28))], RULES)
    assert s.held[0].on_time is False
    assert s.next_due.due == date(2026, 4, 28)


def test_reviews_in_any_order_and_duplicates_count_once() -> None:
    held = [ReviewHeld(date(2026, m, d)) for m, d in ((4, 10), (1, 14), (1, 14))]
    assert review_schedule(START, held, RULES).reviews_counted == 2


def test_new_period_of_care_restarts_at_cic1() -> None:
    # Reviews from an earlier period of care are not counted.
    s = review_schedule(date(2026, 6, 1), [ReviewHeld(date(2026, 1, 14))], RULES)
    assert s.next_due.rule_id == "CIC-1"
    assert s.next_due.due == date(2026, 6, 29)
    assert s.not_counted[0][1] == "held before this period of care began"


def test_split_review_counts_from_part1_by_default() -> None:
    held = [ReviewHeld(date(2026, 1, 14)), ReviewHeld(date(2026, 4, 10), ReviewPart.PART1)]
    s = review_schedule(START, held, RULES)
    assert s.next_due.due == date(2026, 10, 10)
    assert "Part 1 of a split review" in s.next_due.basis
    assert s.part2_outstanding_since == date(2026, 4, 10)
    s2 = review_schedule(START, [*held, ReviewHeld(date(2026, 4, 24), ReviewPart.PART2)], RULES)
    assert s2.part2_outstanding_since is None
    assert s2.next_due.due == date(2026, 10, 10)  # Part 2 does not move the cadence


def test_split_review_counting_from_the_final_part() -> None:
    held = [
        ReviewHeld(date(2026, 1, 14)),
        ReviewHeld(date(2026, 4, 10), ReviewPart.PART1),
        ReviewHeld(date(2026, 4, 24), ReviewPart.PART2),
    ]
    s = review_schedule(START, held, FINAL_PART_RULES)
    assert s.next_due.due == date(2026, 10, 24)
    # Judged on the final part: 24 April is after the CIC-2 date of 14 April, so late.
    assert s.held[1].on_time is False


def test_brought_forward_date_becomes_due_when_earlier() -> None:
    bf = BroughtForward(date(2026, 3, 2), date(2026, 2, 2), "planned placement move")
    due = next_review_due(START, [ReviewHeld(date(2026, 1, 14))], RULES, [bf])
    assert (due.rule_id, due.due) == ("CIC-BF", date(2026, 3, 2))
    assert "planned placement move" in due.basis


def test_brought_forward_later_than_regular_date_changes_nothing() -> None:
    bf = BroughtForward(date(2026, 6, 1), date(2026, 2, 2), "later")
    due = next_review_due(START, [ReviewHeld(date(2026, 1, 14))], RULES, [bf])
    assert (due.rule_id, due.due) == ("CIC-2", date(2026, 4, 14))


def test_brought_forward_is_spent_once_a_review_is_held() -> None:
    bf = BroughtForward(date(2026, 3, 2), date(2026, 2, 2), "placement move")
    held = [ReviewHeld(date(2026, 1, 14)), ReviewHeld(date(2026, 2, 27))]
    s = review_schedule(START, held, RULES, [bf])
    assert s.held[1].due.rule_id == "CIC-BF" and s.held[1].on_time
    # The early review resets the cadence from its own date: CIC-3, six months on.
    assert (s.next_due.rule_id, s.next_due.due) == ("CIC-3", date(2026, 8, 27))


def test_follow_ups() -> None:
    assert care_plan_due(START, RULES).due == date(2026, 1, 7)
    assert decisions_due(date(2026, 1, 14), RULES).due == date(2026, 1, 21)
    assert minutes_due(date(2026, 1, 14), RULES).due == date(2026, 2, 11)
    # Reports 3 working days before a review booked for Thursday 5 March 2026: Monday 2 March.
    reports = reports_due(date(2026, 3, 5), RULES)
    assert (reports.due, reports.rule_id) == (date(2026, 3, 2), "CIC-REPORTS")
    assert reports.basis.startswith("3 working days before the review booked on 5 March 2026")


@pytest.mark.parametrize(("text", "part"), [
    ("", ReviewPart.FULL), (None, ReviewPart.FULL), ("Part 1", ReviewPart.PART1),
    ("part2", ReviewPart.PART2), ("FULL", ReviewPart.FULL),
])  # fmt: skip
def test_review_part_parse(text: str | None, part: ReviewPart) -> None:
    assert ReviewPart.parse(text) is part


def test_review_part_parse_refuses_nonsense() -> None:
    with pytest.raises(DomainError, match="full, part1 or part2"):
        ReviewPart.parse("half")
