"""A review recorded out of order is placed in its true order and judged against the due date
that applied on its day; a Part 2 completes its Part 1 (CIC-SPLIT)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.reviews import ReviewHeld, ReviewPart, check_review, review_schedule
from domain.rules import load_rules

RULES = load_rules()
SINCE = date(2025, 12, 19)  # CIC-1 due Wednesday 21 January 2026
TODAY = date(2026, 11, 26)
FULL = ReviewPart.FULL


def test_a_missed_entry_is_judged_against_the_due_date_of_its_day() -> None:
    # Recorded: 20 Jan (initial, on time) and 1 Jun 2026. Then the second review, held on
    # 20 April and missed, is entered: it was due by 20 April (CIC-2), so it is on time, and
    # the June review, due 20 October after it (CIC-3), is judged again.
    reviews = [ReviewHeld(date(2026, 1, 20)), ReviewHeld(date(2026, 6, 1))]
    check = check_review(date(2026, 4, 20), FULL, SINCE, reviews, [], RULES, TODAY)
    assert check.was_due is not None and check.was_due.due == date(2026, 4, 20)
    assert check.was_due.rule_id == "CIC-2" and not check.late and check.number == 2
    assert check.earlier_than == date(2026, 6, 1)
    assert [(o.review.held_on, o.number, o.due.due) for o in check.rejudged] == [
        (date(2026, 6, 1), 3, date(2026, 10, 20))]  # fmt: skip
    assert check.next_due.due == date(2026, 12, 1)  # 6 months after 1 June (CIC-3)


def test_a_late_missed_entry_is_late_against_its_own_due_date() -> None:
    reviews = [ReviewHeld(date(2026, 6, 1))]
    check = check_review(date(2026, 1, 28), FULL, SINCE, reviews, [], RULES, TODAY)
    assert check.was_due is not None and check.was_due.due == date(2026, 1, 21)
    assert check.late and check.number == 1 and check.earlier_than == date(2026, 6, 1)


def test_a_part_2_completes_its_part_1() -> None:
    reviews = [ReviewHeld(date(2026, 1, 20)), ReviewHeld(date(2026, 4, 14), ReviewPart.PART1)]
    check = check_review(date(2026, 5, 12), ReviewPart.PART2, SINCE, reviews, [], RULES, TODAY)
    assert check.was_due is None and not check.late
    assert check.completes == date(2026, 4, 14)
    assert check.not_counted is not None and "Part 2" in check.not_counted
    assert check.earlier_than is None and check.rejudged == ()


def test_the_same_review_twice_is_refused() -> None:
    with pytest.raises(DomainError, match="already recorded"):
        check_review(date(2026, 1, 20), FULL, SINCE, [ReviewHeld(date(2026, 1, 20))], [], RULES,
                     TODAY)  # fmt: skip


days = st.integers(0, 330).map(lambda n: SINCE + timedelta(days=n))


@given(st.lists(days, max_size=4, unique=True), days)
def test_the_check_is_the_schedule_with_the_review_in_it(held: list[date], new: date) -> None:
    reviews = [ReviewHeld(day) for day in held]
    if new in held:
        return
    check = check_review(new, FULL, SINCE, reviews, [], RULES, TODAY)
    after = review_schedule(SINCE, [*reviews, ReviewHeld(new)], RULES)
    [outcome] = [o for o in after.held if o.review.held_on == new]
    assert check.was_due == outcome.due and check.late == (not outcome.on_time)
    assert check.number == outcome.number and check.next_due == after.next_due
    before = {o.review: o.on_time for o in review_schedule(SINCE, reviews, RULES).held}
    changed = {o.review for o in after.held
               if o.review.held_on != new and before[o.review] != o.on_time}  # fmt: skip
    assert {o.review for o in check.rejudged} == changed
