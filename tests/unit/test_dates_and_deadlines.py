"""Strict date parsing, where a deadline stands on a given day, and the CP and missing rules."""

from __future__ import annotations

from datetime import date

import pytest

from domain.child_protection import initial_conference_due, next_review_conference_due
from domain.dates import DateFormatError, parse_date
from domain.deadlines import apply_timescale
from domain.errors import DomainError
from domain.formatting import long_date
from domain.missing import return_home_interview_due, strategy_meeting_triggers
from domain.rules import load_rules

RULES = load_rules()
CAL = RULES.calendar


@pytest.mark.parametrize(("text", "expected"), [
    ("19/12/2025", date(2025, 12, 19)), ("2025-12-19", date(2025, 12, 19)),
    ("1/2/2026", date(2026, 2, 1)), ("01-02-2026", date(2026, 2, 1)),
    (" 29/02/2024 ", date(2024, 2, 29)), ("05.03.2026", date(2026, 3, 5)),
])  # fmt: skip
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("12/31/2026", "no month 31"), ("02/13/2026", "(dates are day/month/year)"),
    ("29/02/2025", "February 2025 has 28 days"), ("31/04/2026", "April 2026 has 30 days"),
    ("2026-13-01", "no month 13"), ("tomorrow", "DD/MM/YYYY"), ("19/12/25", "DD/MM/YYYY"),
    ("", "DD/MM/YYYY"), ("01/01/0200", "too far in the past"),
])  # fmt: skip
def test_parse_date_refuses_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(DateFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text)


def test_iso_month_error_does_not_blame_day_month_order() -> None:
    with pytest.raises(DateFormatError) as err:
        parse_date("2026-13-01")
    assert "day/month/year" not in str(err.value)


def test_long_date() -> None:
    assert long_date(date(2026, 1, 21)) == "Wednesday 21 January 2026"


def test_standing_before_on_and_after_the_due_date() -> None:
    d = apply_timescale(RULES.timescale("CIC-1"), date(2025, 12, 19), CAL)  # Wed 21 Jan 2026
    s = d.standing(date(2026, 1, 19))  # Monday
    assert (s.overdue, s.working_days_left, s.summary) == (False, 2, "2 working days left")
    s = d.standing(date(2026, 1, 21))
    assert (s.due_today, s.summary) == (True, "due today")
    s = d.standing(date(2026, 1, 26))  # the Monday after
    assert (s.overdue, s.working_days_overdue, s.days_overdue) == (True, 3, 5)
    assert s.summary == "overdue by 3 working days"


def test_deadline_on_a_weekend_has_a_practical_date_and_explains_it() -> None:
    d = apply_timescale(RULES.timescale("CIC-3"), date(2026, 4, 10), CAL)
    assert d.due == date(2026, 10, 10) and d.practical_due == date(2026, 10, 9)
    assert "last working day on or before it is Friday 9 October 2026" in d.explanation()
    assert d.standing(date(2026, 10, 10)).summary == "due today"
    assert d.standing(date(2026, 10, 11)).summary == "overdue by 1 day"


def test_cp_review_conferences() -> None:
    assert initial_conference_due(date(2025, 4, 24), RULES).due == date(2025, 5, 16)
    first = next_review_conference_due(date(2025, 5, 16), [], RULES)
    assert (first.rule_id, first.due) == ("CP-2", date(2025, 8, 16))
    later = next_review_conference_due(date(2025, 5, 16), [date(2025, 8, 14)], RULES)
    assert (later.rule_id, later.due) == ("CP-3", date(2026, 2, 14))
    with pytest.raises(DomainError, match="before the initial conference"):
        next_review_conference_due(date(2025, 5, 16), [date(2025, 5, 1)], RULES)


def test_return_home_interview_runs_through_weekends() -> None:
    d = return_home_interview_due(date(2026, 11, 27), RULES)  # returned on a Friday
    assert (d.rule_id, d.due) == ("MISS-RHI", date(2026, 11, 30))
    assert d.practical_due == d.due
    assert d.basis.startswith("72 hours after the child's return")


def test_strategy_meeting_after_three_episodes_within_three_months() -> None:
    starts = [date(2026, 1, 5), date(2026, 2, 20), date(2026, 4, 5), date(2026, 4, 6)]
    triggers = strategy_meeting_triggers(starts, RULES)
    # 5 Jan + 3 months = 5 April: the episode on 5 April is inside that window.
    assert [t.triggered_on for t in triggers] == [date(2026, 4, 5), date(2026, 4, 6)]
    assert triggers[0].episodes == (date(2026, 1, 5), date(2026, 2, 20), date(2026, 4, 5))
    assert strategy_meeting_triggers([date(2026, 1, 5), date(2026, 4, 6)], RULES) == []
    assert strategy_meeting_triggers([date(2026, 1, 5), date(2026, 2, 1), date(2026, 4, 6)],
                                     RULES) == []  # fmt: skip
