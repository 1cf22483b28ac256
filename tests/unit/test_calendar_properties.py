"""Property tests of the working-day calendar and calendar months over 2010-2040."""

from __future__ import annotations

import calendar as std_calendar
from datetime import date, timedelta

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingDayCalendar, add_months

#: Built once for the module: construction is the only costly step.
CAL = WorkingDayCalendar(region="ENG")

#: The oracle's own holiday table, straight from `holidays` (not through the calendar).
ORACLE_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG", years=range(2009, 2042))

FAST = settings(max_examples=150, deadline=None)

dates = st.dates(min_value=date(2010, 1, 1), max_value=date(2040, 12, 31))
steps = st.integers(min_value=1, max_value=60)
month_steps = st.integers(min_value=1, max_value=24)

ONE_DAY = timedelta(days=1)


def oracle_is_working(day: date) -> bool:
    return day.weekday() < 5 and day not in ORACLE_HOLIDAYS


def oracle_add_working_days(start: date, n: int) -> date:
    """Walk one day at a time, counting working days; ``start`` itself is never counted."""
    step = ONE_DAY if n > 0 else -ONE_DAY
    day, remaining = start, abs(n)
    while remaining:
        day += step
        if oracle_is_working(day):
            remaining -= 1
    return day


@FAST
@given(dates, st.integers(min_value=-60, max_value=60))
def test_add_working_days_matches_day_by_day_oracle(d: date, n: int) -> None:
    assert CAL.add_working_days(d, n) == oracle_add_working_days(d, n)


@FAST
@given(dates)
def test_is_working_day_matches_oracle(d: date) -> None:
    assert CAL.is_working_day(d) is oracle_is_working(d)


@FAST
@given(dates, steps)
def test_add_working_days_forward(d: date, n: int) -> None:
    result = CAL.add_working_days(d, n)
    assert CAL.is_working_day(result)
    assert result > d
    assert CAL.working_days_between(d, result) == n
    # It is the n-th, not a later one: the day before it is only n - 1 working days on.
    assert CAL.working_days_between(d, result - ONE_DAY) == n - 1


@FAST
@given(dates, steps)
def test_add_working_days_backward_mirrors_forward(d: date, n: int) -> None:
    result = CAL.add_working_days(d, -n)
    assert CAL.is_working_day(result)
    assert result < d
    # Mirror of the forward case: n working days in [result, d), d itself not counted...
    assert CAL.working_days_between(result - ONE_DAY, d - ONE_DAY) == n
    # ...and the n-th, not a later one: (result, d) holds only n - 1.
    assert CAL.working_days_between(result, d - ONE_DAY) == n - 1
    # Going forward n working days from a working day comes back to d's working day.
    assert CAL.add_working_days(result, n) == CAL.next_working_day_on_or_after(d)


@FAST
@given(dates, dates)
def test_working_days_between_is_antisymmetric_and_additive(a: date, b: date) -> None:
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
    mid = min(a, b) + (max(a, b) - min(a, b)) / 2
    assert CAL.working_days_between(a, b) == (
        CAL.working_days_between(a, mid) + CAL.working_days_between(mid, b)
    )


@FAST
@given(dates)
def test_last_working_day_on_or_before(d: date) -> None:
    last = CAL.last_working_day_on_or_before(d)
    assert last <= d
    assert CAL.is_working_day(last)
    assert CAL.working_days_between(last, d) == 0  # nothing working in (last, d]
    assert (last == d) is CAL.is_working_day(d)


@FAST
@given(dates)
def test_next_working_day_on_or_after(d: date) -> None:
    nxt = CAL.next_working_day_on_or_after(d)
    assert nxt >= d
    assert CAL.is_working_day(nxt)
    assert CAL.working_days_between(d - ONE_DAY, nxt - ONE_DAY) == 0  # nothing in [d, nxt)
    assert (nxt == d) is CAL.is_working_day(d)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


@FAST
@given(dates, month_steps)
def test_add_months_corresponding_date_rule(d: date, n: int) -> None:
    result = add_months(d, n)
    assert _month_index(result) == _month_index(d) + n
    last_day = std_calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(d.day, last_day)
    assert result > d


@FAST
@given(dates, dates, month_steps)
def test_add_months_is_monotone(d1: date, d2: date, n: int) -> None:
    d1, d2 = min(d1, d2), max(d1, d2)
    assert add_months(d1, n) <= add_months(d2, n)
