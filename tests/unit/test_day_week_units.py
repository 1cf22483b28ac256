"""Property tests of the calendar-day units (issue 21): ``days`` and ``weeks``.

A timescale of N days ends on the N-th day after its start (N weeks: 7N days), whatever day of
the week that is; a due date on a weekend or bank holiday is kept as it is, and the last working
day on or before it is shown as the practical latest day, as the months unit does. The oracle
here walks the days itself, with its own holiday table from `holidays` (not the calendar).
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingDayCalendar
from domain.deadlines import apply_timescale
from domain.rules import DEFAULT_RULES_PATH, Direction, Timescale, Unit, parse_rules

REGIONS = ("ENG", "WLS", "SCT", "NIR")
CALENDARS = {region: WorkingDayCalendar(region=region) for region in REGIONS}
ORACLE_HOLIDAYS = {
    region: holidays.country_holidays("GB", subdiv=region, years=range(2009, 2042))
    for region in REGIONS
}

FAST = settings(max_examples=200, deadline=None)

dates = st.dates(min_value=date(2010, 1, 1), max_value=date(2040, 12, 31))
amounts = st.integers(min_value=0, max_value=400)
week_amounts = st.integers(min_value=0, max_value=60)
regions = st.sampled_from(REGIONS)
directions = st.sampled_from(list(Direction))
ONE_DAY = timedelta(days=1)


def scale(amount: int, unit: Unit, direction: Direction = Direction.AFTER) -> Timescale:
    return Timescale(
        rule_id="CIC-1", title="First review", amount=amount, unit=unit,
        event="the child became looked after", citation="Test Regulations 2099, reg 1",
        direction=direction,
    )  # fmt: skip


def oracle_nth_day(start: date, n: int, direction: Direction) -> date:
    """Count the days one by one: the n-th day after (or before) ``start``."""
    step = -ONE_DAY if direction is Direction.BEFORE else ONE_DAY
    day = start
    for _ in range(n):
        day += step
    return day


def oracle_working(region: str, day: date) -> bool:
    return day.weekday() < 5 and day not in ORACLE_HOLIDAYS[region]


def oracle_last_working_on_or_before(region: str, day: date) -> date:
    while not oracle_working(region, day):
        day -= ONE_DAY
    return day


@FAST
@given(dates, amounts, regions, directions)
def test_days_is_the_nth_calendar_day(start: date, n: int, region: str, d: Direction) -> None:
    deadline = apply_timescale(scale(n, Unit.DAYS, d), start, CALENDARS[region])
    assert deadline.due == oracle_nth_day(start, n, d)
    assert abs((deadline.due - start).days) == n
    # Kept as it is, even on a weekend or holiday; the practical day is the last working one.
    assert deadline.practical_due == oracle_last_working_on_or_before(region, deadline.due)
    assert deadline.due_is_working_day == oracle_working(region, deadline.due)


@FAST
@given(dates, week_amounts, regions, directions)
def test_weeks_are_seven_days_each(start: date, n: int, region: str, d: Direction) -> None:
    cal = CALENDARS[region]
    weeks = apply_timescale(scale(n, Unit.WEEKS, d), start, cal)
    days = apply_timescale(scale(7 * n, Unit.DAYS, d), start, cal)
    assert weeks.due == days.due == oracle_nth_day(start, 7 * n, d)
    assert weeks.due.weekday() == start.weekday()  # a whole number of weeks
    assert weeks.practical_due == days.practical_due


@FAST
@given(dates, amounts, regions)
def test_practical_day_is_the_last_working_day_not_after_the_due_date(
    start: date, n: int, region: str
) -> None:
    cal = CALENDARS[region]
    deadline = apply_timescale(scale(n, Unit.DAYS), start, cal)
    practical = deadline.practical_due
    assert practical <= deadline.due
    assert cal.is_working_day(practical)
    day = practical + ONE_DAY
    while day <= deadline.due:  # no working day between it and the due date
        assert not cal.is_working_day(day)
        day += ONE_DAY


@FAST
@given(dates, amounts, st.integers(min_value=-30, max_value=500))
def test_standing_counts_from_the_due_date_kept_as_it_is(start: date, n: int, offset: int) -> None:
    cal = CALENDARS["SCT"]
    deadline = apply_timescale(scale(n, Unit.DAYS), start, cal)
    today = start + timedelta(days=offset)
    standing = deadline.standing(today)
    assert standing.overdue == (today > deadline.due)
    assert standing.due_today == (today == deadline.due)
    if standing.overdue:
        assert standing.days_overdue == (today - deadline.due).days


@FAST
@given(dates, st.integers(min_value=1, max_value=60), regions)
def test_explanation_states_the_count_and_cites_the_source(
    start: date, n: int, region: str
) -> None:
    cal = CALENDARS[region]
    for unit, word in ((Unit.DAYS, "day"), (Unit.WEEKS, "week")):
        deadline = apply_timescale(scale(n, unit), start, cal)
        plural = word if n == 1 else f"{word}s"
        assert deadline.basis.startswith(f"{n} {plural}")
        if unit is Unit.WEEKS:
            assert f"({7 * n} days)" in deadline.basis
        text = deadline.explanation()
        assert text.endswith("Source: Test Regulations 2099, reg 1.")
        if not deadline.due_is_working_day:
            assert "not a working day" in text


def test_zero_days_is_the_start_day_itself() -> None:
    sunday = date(2026, 3, 1)
    deadline = apply_timescale(scale(0, Unit.DAYS), sunday, CALENDARS["ENG"])
    assert deadline.due == sunday
    assert deadline.practical_due == date(2026, 2, 27)  # the Friday before


@pytest.mark.parametrize(("unit", "amount"), [("days", 28), ("weeks", 6)])
def test_a_rules_file_may_count_in_days_or_weeks(unit: str, amount: int) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    first = 'amount = 20\nunit = "working_days"\nfrom = "the child became looked after"'
    assert first in text
    rules = parse_rules(
        text.replace(first, f'amount = {amount}\nunit = "{unit}"\n'
                            'from = "the child became looked after"'),
    )  # fmt: skip
    ts = rules.timescale("CIC-1")
    assert (ts.amount, ts.unit) == (amount, Unit(unit))
    assert ts.quantity == f"{amount} {unit}"
