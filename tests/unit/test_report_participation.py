"""Participation in reviews (domain.report_participation): examples and properties."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.report_participation import (
    CODE_SAYS_FOUR_OR_OVER,
    CODE_SAYS_UNDER_FOUR,
    CONTRIBUTED,
    DID_NOT_CONTRIBUTE,
    NO_CODE,
    UNDER_FOUR,
    ParticipationFact,
    classify,
    participation_figures,
)
from domain.reporting import Period

YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))
FOUR_ON_2_MAY_2023 = date(2019, 5, 2)


def review(code: str | None, held: date, born: date | None = FOUR_ON_2_MAY_2023, **kw: object):
    return ParticipationFact("A", held, code, born, kw.get("chaired"))  # type: ignore[arg-type]


def test_the_code_decides_and_the_date_of_birth_checks_it() -> None:
    day_before, birthday = date(2023, 5, 1), date(2023, 5, 2)
    assert classify(review("PN0", day_before)) == UNDER_FOUR
    assert classify(review("PN0", birthday)) == CODE_SAYS_UNDER_FOUR
    assert classify(review("PN1", day_before)) == CODE_SAYS_FOUR_OR_OVER
    assert classify(review("PN7", day_before)) == CODE_SAYS_FOUR_OR_OVER
    assert classify(review("PN1", birthday)) == CONTRIBUTED
    assert classify(review("pn4", birthday)) == CONTRIBUTED  # attended without contributing
    assert classify(review("PN7", birthday)) == DID_NOT_CONTRIBUTE
    assert classify(review(None, birthday)) == NO_CODE
    assert classify(review(" ", birthday)) == NO_CODE
    assert classify(review("PN9", birthday)) == NO_CODE
    # No date of birth: the code as it is.
    assert classify(review("PN0", birthday, None)) == UNDER_FOUR
    assert classify(review("PN6", birthday, None)) == CONTRIBUTED


def test_months_run_to_date_from_the_periods_start_and_empty_months_have_no_share() -> None:
    facts = [
        review("PN1", date(2023, 4, 3)),  # aged 3: left out (the code says 4+)
        review("PN1", date(2023, 5, 2)),
        review("PN7", date(2023, 5, 30)),
        review("PN2", date(2023, 7, 1), chaired=True),
        review("PN2", date(2024, 4, 1)),  # after the period
    ]
    figures = participation_figures(facts, YEAR)
    assert (figures.held, figures.contributed, figures.did_not_contribute) == (4, 2, 1)
    assert figures.left_out[CODE_SAYS_FOUR_OR_OVER] == 1
    april, may, june, july = figures.months[:4]
    assert (april.measured, april.percent, april.percent_to_date) == (0, None, None)
    assert (may.contributed, may.measured, may.percent, may.percent_to_date) == (1, 2, 50, 50)
    assert (june.percent, june.percent_to_date) == (None, 50)
    assert july.percent_to_date is not None and round(july.percent_to_date, 1) == 66.7
    assert len(figures.months) == 12 and figures.months[-1].measured_to_date == 3
    assert (figures.chaired_reviews, figures.chaired_children, figures.chaired_not_recorded) == (
        1,
        1,
        3,
    )


facts = st.lists(
    st.builds(
        ParticipationFact,
        child_key=st.sampled_from("ABCD"),
        held_on=st.dates(min_value=date(2023, 1, 1), max_value=date(2024, 6, 30)),
        code=st.sampled_from([None, "", "PN0", "PN1", "PN3", "PN4", "PN6", "PN7"]),
        born_on=st.one_of(
            st.none(), st.dates(min_value=date(2017, 1, 1), max_value=date(2022, 12, 31))
        ),
        chaired_by_child=st.sampled_from([None, True, False]),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(facts)
def test_every_review_held_is_counted_or_left_out_once(given_facts: list[ParticipationFact]):
    figures = participation_figures(given_facts, YEAR)
    held = sum(1 for f in given_facts if f.held_on in YEAR)
    assert figures.held == held
    assert figures.measured + sum(figures.left_out.values()) == held
    assert sum(m.measured for m in figures.months) == figures.measured
    assert sum(m.contributed for m in figures.months) == figures.contributed
    last = figures.months[-1]
    assert (last.contributed_to_date, last.measured_to_date) == (
        figures.contributed,
        figures.measured,
    )
    for month in figures.months:
        assert month.percent_to_date is None or 0 <= month.percent_to_date <= 100
    assert figures.chaired_children <= figures.chaired_reviews <= figures.chaired_recorded <= held
