"""The rules files for Wales, Scotland and Northern Ireland (issue 21), date by date.

For every start date of 2024 to 2027, each nation's first, second and later review dates, and
the practical latest day of each, are worked out here by a plain implementation of the
regulation's words that uses none of the product's date code: days are counted one by one,
months by the corresponding-date rule written out again, and the non-working days are
GOV.UK's own bank-holiday list for the nation (the copy inside `govuk-bank-holidays`), not the
`holidays` package the calendar is built on.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

import pytest

from domain.errors import DomainError
from domain.reviews import ReviewHeld, care_plan_due, next_review_due
from domain.rules import BUILT_IN_RULES, DEFAULT_RULES_PATH, RuleSet, Unit, load_rules

ONE_DAY = timedelta(days=1)

#: Nation -> (rules name, GOV.UK division, first review: (amount, "days"/"weeks"), the words of
#: the regulation every explanation must cite).
NATIONS = {
    "wales": ("england-and-wales", (28, "days"),
              "Care Planning, Placement and Case Review (Wales) Regulations 2015"),
    "scotland": ("scotland", (6, "weeks"), "Looked After Children (Scotland) Regulations 2009"),
    "northern-ireland": ("northern-ireland", (2, "weeks"),
                         "Review of Children's Cases Regulations (Northern Ireland) 1996"),
}  # fmt: skip
SHORT_CITATION = {"wales": "SI 2015/1818", "scotland": "SSI 2009/210", "northern-ireland": "461"}
REGION = {"wales": "WLS", "scotland": "SCT", "northern-ireland": "NIR"}
YEARS = (2024, 2025, 2026, 2027)


def _govuk() -> dict[str, dict[date, str]]:
    raw = json.loads((files("govuk_bank_holidays") / "bank-holidays.json").read_text("utf-8"))
    return {
        division: {date.fromisoformat(e["date"]): e["title"] for e in body["events"]}
        for division, body in raw.items()
    }


TITLES = _govuk()
GOVUK = {division: set(events) for division, events in TITLES.items()}
# Proclaimed after the cached GOV.UK copy was taken (see test_calendar_govuk.py, which checks
# this is still the only gap): the World Cup bank holiday, Scotland only.
GOVUK["scotland"].add(date(2026, 6, 15))


@pytest.fixture(scope="module", params=list(NATIONS))
def nation(request: pytest.FixtureRequest) -> tuple[str, RuleSet]:
    return request.param, load_rules(request.param)


# -- the plain implementation ---------------------------------------------------------------


def plain_days_after(start: date, n: int) -> date:
    day = start
    for _ in range(n):
        day += ONE_DAY
    return day


def plain_months_after(start: date, months: int) -> date:
    """The same day of the month ``months`` later, or that month's last day (Dodds v Walker)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = start.day
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1  # 31 January + 1 month: no 31 February, so the last day of February


def plain_last_working_day(day: date, division: str) -> date:
    while day.weekday() >= 5 or day in GOVUK[division]:
        day -= ONE_DAY
    return day


def plain_first_review(start: date, name: str) -> date:
    amount, unit = NATIONS[name][1]
    return plain_days_after(start, amount * (7 if unit == "weeks" else 1))


def every_day(year: int) -> list[date]:
    day, out = date(year, 1, 1), []
    while day.year == year:
        out.append(day)
        day += ONE_DAY
    return out


# -- the tables -----------------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_first_review_every_start_date(nation: tuple[str, RuleSet], year: int) -> None:
    name, rules = nation
    division, _, regulation = NATIONS[name]
    for start in every_day(year):
        due = next_review_due(start, [], rules)
        expected = plain_first_review(start, name)
        assert (due.rule_id, due.due) == ("CIC-1", expected), start
        assert due.practical_due == plain_last_working_day(expected, division), start
        assert regulation in due.explanation(), start


@pytest.mark.parametrize("year", YEARS)
def test_second_review_every_first_review_date(nation: tuple[str, RuleSet], year: int) -> None:
    name, rules = nation
    division = NATIONS[name][0]
    for held in every_day(year):
        looked_after = held - timedelta(days=10)
        due = next_review_due(looked_after, [ReviewHeld(held)], rules)
        expected = plain_months_after(held, 3)
        assert (due.rule_id, due.due) == ("CIC-2", expected), held
        assert due.practical_due == plain_last_working_day(expected, division), held
        assert SHORT_CITATION[name] in due.explanation(), held


@pytest.mark.parametrize("year", YEARS)
def test_later_review_every_review_date(nation: tuple[str, RuleSet], year: int) -> None:
    name, rules = nation
    division = NATIONS[name][0]
    for held in every_day(year):
        earlier = [ReviewHeld(held - timedelta(days=70)), ReviewHeld(held - timedelta(days=40))]
        due = next_review_due(held - timedelta(days=80), [*earlier, ReviewHeld(held)], rules)
        expected = plain_months_after(held, 6)
        assert (due.rule_id, due.due) == ("CIC-3", expected), held
        assert due.practical_due == plain_last_working_day(expected, division), held
        assert SHORT_CITATION[name] in due.explanation(), held


def test_plain_months_agrees_with_the_domain_brief() -> None:
    # domain.md section 3's own examples, so the plain implementation is itself checked.
    assert plain_months_after(date(2025, 1, 31), 3) == date(2025, 4, 30)
    assert plain_months_after(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert plain_months_after(date(2025, 9, 30), 6) == date(2026, 3, 30)


# -- each file as a whole -------------------------------------------------------------------


def test_each_file_loads_by_name_and_counts_its_own_way(nation: tuple[str, RuleSet]) -> None:
    name, rules = nation
    assert BUILT_IN_RULES[name].is_file()
    assert rules.holiday_region == REGION[name]
    amount, unit = NATIONS[name][1]
    first = rules.timescale("CIC-1")
    assert (first.amount, first.unit) == (amount, Unit(unit))
    assert [(rules.timescale(r).amount, rules.timescale(r).unit) for r in ("CIC-2", "CIC-3")] \
        == [(3, Unit.MONTHS), (6, Unit.MONTHS)]  # fmt: skip
    for ts in rules.timescales.values():
        assert ts.citation.strip(), ts.rule_id
    # Every rule is either set or said to be left out, with a reason.
    assert all(reason.strip() for reason in rules.not_set.values())


def test_review_citations_name_the_nation_regulation(nation: tuple[str, RuleSet]) -> None:
    name, rules = nation
    assert NATIONS[name][2] in rules.timescale("CIC-1").citation
    for rule_id in ("CIC-2", "CIC-3"):
        assert SHORT_CITATION[name] in rules.timescale(rule_id).citation


def test_files_are_picked_by_name_in_any_spelling() -> None:
    assert load_rules("Northern_Ireland").source == "northern_ireland.toml"
    assert load_rules(" SCOTLAND ").source == "scotland.toml"
    assert load_rules("west-berkshire").source == DEFAULT_RULES_PATH.name
    assert load_rules(str(BUILT_IN_RULES["wales"])).holiday_region == "WLS"  # a path still works


def test_an_unknown_name_lists_the_built_in_ones(tmp_path: Path) -> None:
    with pytest.raises(DomainError, match="wales, scotland, northern-ireland"):
        load_rules(str(tmp_path / "atlantis"))


def test_wales_care_and_support_plan_is_ten_working_days() -> None:
    # SI 2015/1818 (W. 261), reg 4(3): looked after Friday 19 December 2025; not counting
    # Christmas Day, Boxing Day and New Year's Day, the tenth working day is 7 January 2026.
    due = care_plan_due(date(2025, 12, 19), load_rules("wales"))
    assert (due.due, due.rule_id) == (date(2026, 1, 7), "CIC-PLAN")
    assert "reg 4(3)" in due.explanation()


@pytest.mark.parametrize("name", list(NATIONS))
def test_calendar_of_each_file_is_govuk_for_its_nation_2012_to_2028(name: str) -> None:
    """Scottish and Northern Irish bank holidays (and Wales's, the England & Wales list) from
    the `holidays` package, through the rules file, equal GOV.UK's list for every weekday."""
    cal = load_rules(name).calendar
    division = NATIONS[name][0]
    day = date(2012, 1, 1)
    mismatches = []
    while day <= date(2028, 12, 31):
        if day.weekday() < 5 and cal.is_working_day(day) == (day in GOVUK[division]):
            mismatches.append(day)
        day += ONE_DAY
    assert mismatches == []


@pytest.mark.parametrize(
    ("name", "day", "title_word"),
    [
        ("scotland", date(2025, 1, 2), "2nd January"),
        ("scotland", date(2025, 12, 1), "St Andrew"),
        ("scotland", date(2025, 8, 4), "Summer"),
        ("northern-ireland", date(2025, 3, 17), "Patrick"),
        ("northern-ireland", date(2025, 7, 14), "Boyne"),
    ],
)
def test_named_nation_holidays(name: str, day: date, title_word: str) -> None:
    cal = load_rules(name).calendar
    assert not cal.is_working_day(day)
    assert title_word.lower() in TITLES[NATIONS[name][0]][day].lower()
    assert load_rules("west-berkshire").calendar.is_working_day(day)  # not in England


@pytest.mark.parametrize(
    ("setting", "region"),
    [("wales", "WLS"), ("scotland", "SCT"), ("northern-ireland", "NIR"), ("", "ENG")],
)
def test_the_bot_reads_the_rules_iro_rules_names(
    monkeypatch: pytest.MonkeyPatch, setting: str, region: str
) -> None:
    from bot.settings import Settings
    from bot.wiring import build_services
    from storage.engine import create_engine

    monkeypatch.setenv("IRO_RULES", setting)
    engine = create_engine("sqlite+aiosqlite:///:memory:")  # never connected to here
    services = build_services(Settings(), engine, clock=lambda: date(2026, 1, 5))
    assert services.rules.holiday_region == region
    due = next_review_due(date(2025, 12, 19), [], services.rules)
    assert due.citation == services.rules.timescale("CIC-1").citation
