"""The working-day calendar against GOV.UK's own bank-holiday list (domain.md section 3).

The independent source is the copy of https://www.gov.uk/bank-holidays.json that the
`govuk-bank-holidays` package (a pinned dev dependency) ships inside itself. It is read straight
from the installed package: no network, and nothing from the `holidays` package that the
calendar is built on.

For every year the file covers, and for each UK nation, the weekdays the calendar treats as
non-working must be exactly GOV.UK's bank holidays for that nation, both ways, apart from the
named entries of ``KNOWN_GOVUK_CACHE_GAPS`` below (each checked in its own test so the list
cannot go stale silently).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from importlib.resources import files

import holidays
import pytest

from domain.calendar import WorkingDayCalendar


def _load_govuk() -> dict[str, dict[date, str]]:
    raw = json.loads((files("govuk_bank_holidays") / "bank-holidays.json").read_text("utf-8"))
    return {
        division: {date.fromisoformat(e["date"]): e["title"] for e in body["events"]}
        for division, body in raw.items()
    }


GOVUK: dict[str, dict[date, str]] = _load_govuk()

#: Calendar region code -> GOV.UK division. Wales has no division of its own on GOV.UK.
NATIONS: Mapping[str, str] = {
    "ENG": "england-and-wales",
    "WLS": "england-and-wales",
    "SCT": "scotland",
    "NIR": "northern-ireland",
}

#: Bank holidays that are law but are missing from the GOV.UK copy cached in
#: govuk-bank-holidays 0.19, because that copy was taken before they were proclaimed.
#: (GOV.UK division, date) -> why the calendar is right and the cached file is not.
KNOWN_GOVUK_CACHE_GAPS: Mapping[tuple[str, date], str] = {
    ("scotland", date(2026, 6, 15)): (
        "World Cup bank holiday, Scotland only: appointed by Royal Proclamation of "
        "3 February 2026 under s.1(3) Banking and Financial Dealings Act 1971. `holidays` 0.109 "
        "has it (vacanza/holidays PR #3272); the live GOV.UK feed lists it, the cached copy "
        "in govuk-bank-holidays 0.19 predates it."
    ),
}

COVERED_YEARS: list[int] = sorted({d.year for d in GOVUK["england-and-wales"]})


@pytest.fixture(scope="module")
def calendars() -> dict[str, WorkingDayCalendar]:
    return {region: WorkingDayCalendar(region=region) for region in NATIONS}


def _weekdays(year: int) -> list[date]:
    day, days = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def test_govuk_file_covers_2012_to_2028_for_every_nation() -> None:
    assert set(GOVUK) == set(NATIONS.values())
    for division, events in GOVUK.items():
        years = {d.year for d in events}
        assert years >= set(range(2012, 2029)), division
        # No gap in the middle: one contiguous run of years, the same for each nation.
        assert years == set(range(min(years), max(years) + 1)), division
        assert sorted(years) == COVERED_YEARS, division
        # Every year has at least the eight E&W-style bank holidays (NI ten, Scotland nine).
        assert all(sum(d.year == y for d in events) >= 8 for y in years), division


def test_govuk_lists_weekdays_only() -> None:
    # The comparison below is over weekdays; GOV.UK publishes the substitute day, never the
    # weekend date itself, so nothing in the file may fall on a weekend.
    for division, events in GOVUK.items():
        assert [d for d in events if d.weekday() >= 5] == [], division


@pytest.mark.parametrize("year", COVERED_YEARS)
@pytest.mark.parametrize("region", list(NATIONS))
def test_calendar_equals_govuk(
    calendars: dict[str, WorkingDayCalendar], region: str, year: int
) -> None:
    division = NATIONS[region]
    cal = calendars[region]
    govuk = {d for d in GOVUK[division] if d.year == year}
    closed = {d for d in _weekdays(year) if not cal.is_working_day(d)}
    named = {d for d in _weekdays(year) if cal.holiday_name(d) is not None}
    allowed_extra = {d for (div, d) in KNOWN_GOVUK_CACHE_GAPS if div == division and d.year == year}

    assert closed == named, "a weekday is closed without a name, or named but still working"
    missing = sorted(govuk - closed)
    extra = sorted(closed - govuk - allowed_extra)
    assert missing == [], f"GOV.UK bank holidays the calendar treats as working: {missing}"
    assert extra == [], f"weekdays the calendar closes that GOV.UK does not list: {extra}"
    assert closed - govuk == allowed_extra


@pytest.mark.parametrize(("key", "reason"), list(KNOWN_GOVUK_CACHE_GAPS.items()))
def test_known_cache_gap_is_still_a_gap_and_only_in_that_nation(
    calendars: dict[str, WorkingDayCalendar], key: tuple[str, date], reason: str
) -> None:
    division, day = key
    assert reason
    # Still absent from the cached file: when a newer pin ships it, delete the entry.
    assert day not in GOVUK[division]
    assert day.year in COVERED_YEARS
    for region, div in NATIONS.items():
        if div == division:
            assert not calendars[region].is_working_day(day)
            assert calendars[region].holiday_name(day) is not None
        else:
            assert calendars[region].is_working_day(day), region


@pytest.mark.parametrize(
    ("day", "govuk_title_word"),
    [
        (date(2022, 6, 3), "Platinum Jubilee"),
        (date(2022, 9, 19), "State Funeral"),
        (date(2023, 5, 8), "coronation"),
    ],
)
def test_one_off_days_are_non_working_in_england(
    calendars: dict[str, WorkingDayCalendar], day: date, govuk_title_word: str
) -> None:
    assert day.weekday() < 5
    assert govuk_title_word.lower() in GOVUK["england-and-wales"][day].lower()
    cal = calendars["ENG"]
    assert not cal.is_working_day(day)
    assert cal.holiday_name(day) is not None
    assert cal.add_working_days(day - timedelta(days=1), 1) != day


def test_gb_without_subdiv_misses_easter_monday_and_august() -> None:
    """Why the calendar always passes ``subdiv``: plain "GB" has only the UK-wide days."""
    years = range(COVERED_YEARS[0], COVERED_YEARS[-1] + 1)
    plain = holidays.country_holidays("GB", years=years)
    eng = holidays.country_holidays("GB", subdiv="ENG", years=years)
    easter_monday_2025, late_summer_2025 = date(2025, 4, 21), date(2025, 8, 25)

    assert easter_monday_2025 in GOVUK["england-and-wales"]
    assert late_summer_2025 in GOVUK["england-and-wales"]
    assert easter_monday_2025 not in plain
    assert late_summer_2025 not in plain
    assert easter_monday_2025 in eng
    assert late_summer_2025 in eng
    # Every year it misses exactly those two GOV.UK days, and adds nothing of its own.
    assert set(plain) <= set(eng)
    missed = sorted(set(eng) - set(plain))
    assert len(missed) == 2 * len(years)
    assert all(d in GOVUK["england-and-wales"] for d in missed)
    assert {(d.month, d.weekday()) for d in missed} <= {(3, 0), (4, 0), (8, 0)}
