"""Properties of the review schedule over 2010-2040 (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import add_months
from domain.reviews import ReviewHeld, ReviewPart, review_schedule
from domain.rules import load_rules

RULES = load_rules()

starts = st.dates(min_value=date(2010, 1, 1), max_value=date(2036, 12, 31))
gaps = st.lists(st.integers(min_value=1, max_value=250), min_size=0, max_size=6)
parts = st.sampled_from([ReviewPart.FULL, ReviewPart.FULL, ReviewPart.PART1, ReviewPart.PART2])


def history(start: date, day_gaps: list[int], kinds: list[ReviewPart]) -> list[ReviewHeld]:
    held, day = [], start
    for gap, part in zip(day_gaps, kinds, strict=False):
        day += timedelta(days=gap)
        held.append(ReviewHeld(day, part))
    return held


@settings(max_examples=200, deadline=None)
@given(starts, gaps, st.lists(parts, min_size=6, max_size=6), st.integers(1, 250), parts)
def test_recording_a_later_review_never_makes_the_next_due_date_earlier(
    start: date, day_gaps: list[int], kinds: list[ReviewPart], extra_gap: int, extra: ReviewPart
) -> None:
    held = history(start, day_gaps, kinds)
    before = review_schedule(start, held, RULES).next_due
    last = held[-1].held_on if held else start
    after = review_schedule(start, [*held, ReviewHeld(last + timedelta(extra_gap), extra)], RULES)
    assert after.next_due.due >= before.due


@settings(max_examples=200, deadline=None)
@given(starts, gaps)
def test_due_dates_follow_the_cadence(start: date, day_gaps: list[int]) -> None:
    held = history(start, day_gaps, [ReviewPart.FULL] * len(day_gaps))
    s = review_schedule(start, held, RULES)
    assert s.reviews_counted == len(held)
    cal = RULES.calendar
    for outcome in s.held:
        if outcome.number == 1:
            assert outcome.due.rule_id == "CIC-1"
            assert cal.working_days_between(start, outcome.due.due) == 20
            assert cal.is_working_day(outcome.due.due)
        else:
            previous = held[outcome.number - 2].held_on
            months = 3 if outcome.number == 2 else 6
            assert outcome.due.due == add_months(previous, months)
        assert outcome.on_time == (outcome.review.held_on <= outcome.due.due)
    # The practical date is the last working day on or before the due date.
    practical = s.next_due.practical_due
    assert practical <= s.next_due.due and cal.is_working_day(practical)
    assert cal.working_days_between(practical, s.next_due.due) == 0


@settings(max_examples=2000, deadline=None)
@given(st.dates(min_value=date(2010, 1, 1), max_value=date(2040, 12, 31)), st.integers(-60, 60))
def test_add_months_equals_relativedelta(start: date, months: int) -> None:
    # relativedelta is the reference implementation of the corresponding-date rule.
    from dateutil.relativedelta import relativedelta

    assert add_months(start, months) == start + relativedelta(months=months)
