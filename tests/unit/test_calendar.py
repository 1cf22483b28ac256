"""Table tests of the working-day calendar and calendar-month arithmetic (domain.md section 3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain.calendar import CalendarRangeError, WorkingDayCalendar, add_months
from domain.errors import DomainError

ENG = WorkingDayCalendar(region="ENG")

D = date  # keeps the tables on one line each


# -- is_working_day ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 3), True),  # Friday
        (D(2025, 1, 4), False),  # Saturday
        (D(2025, 1, 5), False),  # Sunday
        (D(2025, 1, 6), True),  # Monday
        (D(2025, 1, 1), False),  # New Year's Day (Wednesday)
        (D(2025, 4, 18), False),  # Good Friday
        (D(2025, 4, 21), False),  # Easter Monday
        (D(2025, 5, 5), False),  # Early May
        (D(2025, 5, 26), False),  # Spring
        (D(2025, 8, 25), False),  # Summer (last Monday of August)
        (D(2025, 8, 4), True),  # Scotland's August holiday is not England's
        (D(2025, 12, 24), True),  # Christmas Eve is a working day
        (D(2025, 12, 25), False),
        (D(2025, 12, 26), False),
        (D(2025, 12, 31), True),
        # 2020: Christmas Friday, Boxing Day Saturday -> Monday 28th substitute.
        (D(2020, 12, 28), False),
        (D(2020, 12, 29), True),
        # 2021: Christmas Saturday, Boxing Day Sunday -> Monday 27th and Tuesday 28th.
        (D(2021, 12, 27), False),
        (D(2021, 12, 28), False),
        (D(2021, 12, 29), True),
        # 2022: Christmas Sunday -> Boxing Day Monday 26th, Christmas substitute Tuesday 27th.
        (D(2022, 12, 26), False),
        (D(2022, 12, 27), False),
        (D(2022, 12, 28), True),
        # 2015: Boxing Day Saturday -> Monday 28th.
        (D(2015, 12, 28), False),
        # 2022: New Year's Day Saturday -> Monday 3 January 2022.
        (D(2022, 1, 3), False),
        # One-off days.
        (D(2022, 6, 2), False),  # Spring bank holiday moved for the Platinum Jubilee
        (D(2022, 6, 3), False),  # Platinum Jubilee
        (D(2022, 5, 30), True),  # the usual last-Monday-in-May was a working day that year
        (D(2022, 9, 19), False),  # State Funeral
        (D(2023, 5, 8), False),  # Coronation
        (D(2020, 5, 8), False),  # VE Day 75: Early May moved to a Friday
        (D(2020, 5, 4), True),
    ],
)
def test_is_working_day_england(day: date, working: bool) -> None:
    assert ENG.is_working_day(day) is working
    if day.weekday() < 5:
        assert (ENG.holiday_name(day) is None) is working


@pytest.mark.parametrize(
    ("region", "day", "working"),
    [
        ("SCT", D(2025, 1, 2), False),  # 2nd January
        ("SCT", D(2025, 4, 21), True),  # no Easter Monday in Scotland
        ("SCT", D(2025, 8, 4), False),  # first Monday of August
        ("SCT", D(2025, 8, 25), True),
        ("SCT", D(2025, 12, 1), False),  # St Andrew's Day (Sunday 30 Nov) substitute
        ("NIR", D(2025, 3, 17), False),  # St Patrick's Day
        ("NIR", D(2025, 7, 14), False),  # Battle of the Boyne (Saturday 12 July) substitute
        ("NIR", D(2025, 4, 21), False),
        ("WLS", D(2025, 4, 21), False),
        ("WLS", D(2025, 3, 3), True),  # St David's Day (1 March) is not a bank holiday
        ("ENG", D(2025, 3, 17), True),
        ("ENG", D(2025, 1, 2), True),
    ],
)
def test_is_working_day_by_region(region: str, day: date, working: bool) -> None:
    assert WorkingDayCalendar.for_region(region).is_working_day(day) is working


# -- add_working_days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2025, 1, 3), 1, D(2025, 1, 6)),  # Friday -> Monday
        (D(2025, 1, 4), 1, D(2025, 1, 6)),  # from a Saturday
        (D(2025, 1, 5), 1, D(2025, 1, 6)),  # from a Sunday
        (D(2025, 1, 6), 5, D(2025, 1, 13)),
        (D(2025, 1, 6), 20, D(2025, 2, 3)),
        (D(2025, 4, 17), 1, D(2025, 4, 22)),  # over Good Friday, weekend, Easter Monday
        (D(2025, 4, 18), 1, D(2025, 4, 22)),  # from a bank holiday
        (D(2025, 12, 24), 1, D(2025, 12, 29)),
        (D(2024, 12, 31), 1, D(2025, 1, 2)),  # over New Year, across the year end
        (D(2020, 12, 24), 1, D(2020, 12, 29)),  # substitute Boxing Day
        (D(2021, 12, 24), 1, D(2021, 12, 29)),  # two substitute days
        (D(2022, 12, 23), 1, D(2022, 12, 28)),  # Boxing Day + Christmas substitute
        (D(2022, 6, 1), 1, D(2022, 6, 6)),  # Jubilee Thursday and Friday
        (D(2022, 9, 16), 1, D(2022, 9, 20)),  # State Funeral
        (D(2023, 5, 5), 1, D(2023, 5, 9)),  # Coronation
        # n == 0 returns the start unchanged, even on a non-working day.
        (D(2025, 1, 6), 0, D(2025, 1, 6)),
        (D(2025, 1, 4), 0, D(2025, 1, 4)),
        (D(2025, 12, 25), 0, D(2025, 12, 25)),
        # Negative n counts back.
        (D(2025, 1, 6), -1, D(2025, 1, 3)),
        (D(2025, 1, 4), -1, D(2025, 1, 3)),  # from a Saturday
        (D(2025, 1, 13), -5, D(2025, 1, 6)),
        (D(2025, 4, 22), -1, D(2025, 4, 17)),
        (D(2025, 4, 21), -1, D(2025, 4, 17)),  # from a bank holiday
        (D(2025, 12, 29), -1, D(2025, 12, 24)),
        (D(2025, 1, 2), -1, D(2024, 12, 31)),
        (D(2021, 12, 29), -1, D(2021, 12, 24)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert ENG.add_working_days(start, n) == expected


def test_add_working_days_ten_over_christmas_counted_by_hand() -> None:
    # Fri 19 Dec 2025 + 10: 22, 23, 24 Dec; (25, 26 holidays; 27, 28 weekend); 29, 30, 31 Dec;
    # (1 Jan holiday); 2 Jan; (3, 4 weekend); 5, 6, 7 Jan -> the tenth is Wed 7 Jan 2026.
    days = [ENG.add_working_days(D(2025, 12, 19), k) for k in range(1, 11)]
    assert days == [
        D(2025, 12, 22), D(2025, 12, 23), D(2025, 12, 24), D(2025, 12, 29), D(2025, 12, 30),
        D(2025, 12, 31), D(2026, 1, 2), D(2026, 1, 5), D(2026, 1, 6), D(2026, 1, 7),
    ]  # fmt: skip


# -- working_days_between --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2025, 1, 6), D(2025, 1, 6), 0),
        (D(2025, 1, 3), D(2025, 1, 6), 1),  # start not counted, end counted
        (D(2025, 1, 6), D(2025, 1, 3), -1),
        (D(2025, 1, 4), D(2025, 1, 5), 0),  # a weekend
        (D(2025, 1, 5), D(2025, 1, 4), 0),
        (D(2025, 1, 6), D(2025, 1, 13), 5),
        (D(2025, 4, 17), D(2025, 4, 22), 1),
        (D(2025, 4, 17), D(2025, 4, 21), 0),  # Easter Monday not counted
        (D(2025, 12, 24), D(2025, 12, 31), 3),
        (D(2021, 12, 24), D(2021, 12, 31), 3),  # 29, 30, 31 only
        (D(2024, 12, 31), D(2025, 12, 31), 253),  # 261 weekdays less 8 bank holidays
        (D(2025, 12, 31), D(2024, 12, 31), -253),
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert ENG.working_days_between(start, end) == expected


# -- last / next working day -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 1, 6), D(2025, 1, 6)),  # already a working day
        (D(2025, 1, 5), D(2025, 1, 3)),
        (D(2025, 1, 4), D(2025, 1, 3)),
        (D(2025, 4, 21), D(2025, 4, 17)),
        (D(2025, 12, 28), D(2025, 12, 24)),
        (D(2025, 1, 1), D(2024, 12, 31)),
        (D(2021, 12, 28), D(2021, 12, 24)),
        (D(2022, 6, 5), D(2022, 6, 1)),
        (D(2023, 5, 8), D(2023, 5, 5)),
    ],
)
def test_last_working_day_on_or_before(day: date, expected: date) -> None:
    assert ENG.last_working_day_on_or_before(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 1, 6), D(2025, 1, 6)),
        (D(2025, 1, 4), D(2025, 1, 6)),
        (D(2025, 4, 18), D(2025, 4, 22)),
        (D(2025, 12, 25), D(2025, 12, 29)),
        (D(2021, 12, 25), D(2021, 12, 29)),
        (D(2022, 6, 2), D(2022, 6, 6)),
        (D(2022, 9, 19), D(2022, 9, 20)),
        (D(2025, 12, 31), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 1, 2)),
    ],
)
def test_next_working_day_on_or_after(day: date, expected: date) -> None:
    assert ENG.next_working_day_on_or_after(day) == expected


# -- extra closures --------------------------------------------------------------------------


def test_extra_closures_are_non_working_and_named() -> None:
    closures = [D(2025, 1, 6), D(2025, 12, 24), D(2025, 12, 25), D(2025, 1, 4)]
    cal = WorkingDayCalendar.for_region("ENG", extra_closures=closures)

    assert cal.extra_closures == frozenset(closures)
    assert not cal.is_working_day(D(2025, 1, 6))
    assert cal.holiday_name(D(2025, 1, 6)) == "Closure day (local)"
    assert not cal.is_working_day(D(2025, 12, 24))
    # A closure on a bank holiday keeps the bank holiday's name.
    assert cal.holiday_name(D(2025, 12, 25)) == ENG.holiday_name(D(2025, 12, 25))
    assert cal.add_working_days(D(2025, 1, 3), 1) == D(2025, 1, 7)
    assert cal.add_working_days(D(2025, 12, 23), 1) == D(2025, 12, 29)
    assert cal.add_working_days(D(2025, 1, 7), -1) == D(2025, 1, 3)
    assert cal.working_days_between(D(2025, 1, 3), D(2025, 1, 7)) == 1
    assert cal.last_working_day_on_or_before(D(2025, 12, 28)) == D(2025, 12, 23)
    assert cal.next_working_day_on_or_after(D(2025, 1, 4)) == D(2025, 1, 7)
    assert (D(2025, 1, 6), "Closure day (local)") in cal.holidays_between(
        D(2025, 1, 1), D(2025, 1, 31)
    )
    # A closure on a Saturday changes nothing, and is not listed among weekday closures.
    assert cal.working_days_between(D(2025, 1, 3), D(2025, 1, 5)) == 0
    assert all(d.weekday() < 5 for d, _ in cal.holidays_between(D(2025, 1, 1), D(2025, 1, 31)))
    # The default calendar is untouched.
    assert ENG.is_working_day(D(2025, 1, 6))
    assert ENG.working_days_between(D(2024, 12, 31), D(2025, 12, 31)) == 253
    assert cal.working_days_between(D(2024, 12, 31), D(2025, 12, 31)) == 251


def test_holidays_between_lists_weekday_holidays_in_order() -> None:
    assert ENG.holidays_between(D(2021, 12, 20), D(2022, 1, 10)) == [
        (D(2021, 12, 27), ENG.holiday_name(D(2021, 12, 27))),
        (D(2021, 12, 28), ENG.holiday_name(D(2021, 12, 28))),
        (D(2022, 1, 3), ENG.holiday_name(D(2022, 1, 3))),
    ]


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["XYZ", "eng", "GB", "", "England"])
def test_unknown_region_raises_domain_error(region: str) -> None:
    with pytest.raises(DomainError, match="is not known") as info:
        WorkingDayCalendar(region=region)
    assert repr(region) in str(info.value)
    assert "ENG" in str(info.value)
    with pytest.raises(DomainError):
        WorkingDayCalendar.for_region(region)


def test_first_year_after_last_year_raises() -> None:
    with pytest.raises(DomainError):
        WorkingDayCalendar(first_year=2030, last_year=2029)


def test_calendar_range_error_is_a_domain_error() -> None:
    assert issubclass(CalendarRangeError, DomainError)


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: ENG.is_working_day(D(1999, 12, 31)), "31/12/1999"),
        (lambda: ENG.is_working_day(D(2071, 1, 1)), "01/01/2071"),
        (lambda: ENG.add_working_days(D(2071, 1, 1), 1), "01/01/2071"),
        (lambda: ENG.add_working_days(D(1999, 6, 1), -1), "01/06/1999"),
        # Start in range, result out of range: the start date is named.
        (lambda: ENG.add_working_days(D(2070, 12, 31), 1), "31/12/2070"),
        (lambda: ENG.add_working_days(D(2070, 12, 1), 40), "01/12/2070"),
        (lambda: ENG.add_working_days(D(2000, 1, 4), -1), "04/01/2000"),
        (lambda: ENG.working_days_between(D(2025, 1, 1), D(2071, 1, 1)), "01/01/2071"),
        (lambda: ENG.working_days_between(D(1999, 1, 1), D(2025, 1, 1)), "01/01/1999"),
        (lambda: ENG.last_working_day_on_or_before(D(2071, 3, 2)), "02/03/2071"),
        # 1 and 3 January 2000 are holidays: nothing in range on or before the 3rd.
        (lambda: ENG.last_working_day_on_or_before(D(2000, 1, 3)), "03/01/2000"),
        (lambda: ENG.next_working_day_on_or_after(D(1999, 12, 30)), "30/12/1999"),
    ],
)
def test_out_of_range_raises_naming_the_date(call: Callable[[], object], named: str) -> None:
    with pytest.raises(CalendarRangeError, match=named):
        call()


def test_next_working_day_past_the_end_of_range_raises() -> None:
    tail = [D(2025, 12, 29), D(2025, 12, 30), D(2025, 12, 31)]
    cal = WorkingDayCalendar(extra_closures=frozenset(tail), first_year=2025, last_year=2025)
    assert cal.last_working_day_on_or_before(D(2025, 12, 31)) == D(2025, 12, 24)
    with pytest.raises(CalendarRangeError, match="27/12/2025"):
        cal.next_working_day_on_or_after(D(2025, 12, 27))
    with pytest.raises(CalendarRangeError, match="24/12/2025"):
        cal.add_working_days(D(2025, 12, 24), 1)


def test_edges_of_range_still_work() -> None:
    assert ENG.next_working_day_on_or_after(D(2000, 1, 1)) == D(2000, 1, 4)
    assert ENG.add_working_days(D(2000, 1, 4), 0) == D(2000, 1, 4)
    assert ENG.add_working_days(D(2000, 1, 5), -1) == D(2000, 1, 4)
    assert ENG.is_working_day(D(2070, 12, 31))  # a Wednesday
    assert ENG.add_working_days(D(2070, 12, 30), 1) == D(2070, 12, 31)


# -- add_months (corresponding-date rule) ----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2025, 1, 31), 3, D(2025, 4, 30)),
        (D(2023, 11, 30), 3, D(2024, 2, 29)),
        (D(2025, 9, 30), 6, D(2026, 3, 30)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),
        (D(2025, 6, 15), 3, D(2025, 9, 15)),
        (D(2025, 10, 31), 3, D(2026, 1, 31)),  # across a year end
        (D(2025, 8, 31), 1, D(2025, 9, 30)),
        (D(2025, 3, 31), -1, D(2025, 2, 28)),
        (D(2025, 5, 31), -6, D(2024, 11, 30)),
        (D(2025, 4, 30), 0, D(2025, 4, 30)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_deadline_on_a_weekend_does_not_move() -> None:
    # Three months after Sat 31 May 2025 is Sun 31 Aug 2025, which stays as it is; the
    # practical latest date to hold the meeting is the last working day on or before it.
    deadline = add_months(D(2025, 5, 31), 3)
    assert deadline == D(2025, 8, 31)
    assert ENG.last_working_day_on_or_before(deadline) == D(2025, 8, 29)
