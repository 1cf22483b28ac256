"""Missing-from-care figures (domain.report_missing): examples and properties (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ages import age_on
from domain.calendar import add_months
from domain.report_missing import (
    DURATION_BANDS,
    EPISODE_BANDS,
    Band,
    MissingFact,
    band_index,
    missing_figures,
)
from domain.reporting import Period
from domain.rules import load_rules

RULES = load_rules()
YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))


def fact(child: str, start: date, days: int | None = 0, **extra: object) -> MissingFact:
    end = None if days is None else start + timedelta(days=days)
    return MissingFact(child, start, end, extra.pop("kind", "M"), "not_recorded", **extra)  # type: ignore[arg-type]


def test_age_counts_the_birthday_itself_and_29_february_turns_on_1_march() -> None:
    assert age_on(date(2019, 5, 2), date(2023, 5, 1)) == 3
    assert age_on(date(2019, 5, 2), date(2023, 5, 2)) == 4
    assert age_on(date(2008, 2, 29), date(2023, 2, 28)) == 14
    assert age_on(date(2008, 2, 29), date(2023, 3, 1)) == 15
    assert age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=25),
    st.integers(min_value=0, max_value=400),
)
def test_age_goes_up_by_one_on_each_birthday_and_never_down(
    born: date, years: int, later: int
) -> None:
    birthday = add_months(born, 12 * years)  # 28 February for 29 February in other years
    if birthday.day == born.day:
        assert age_on(born, birthday) == years
        assert age_on(born, birthday - timedelta(days=1)) == years - 1
    day = born + timedelta(days=later)
    assert 0 <= age_on(born, day) <= age_on(born, day + timedelta(days=1)) <= later // 365 + 1


def test_the_bands_are_the_seeds_and_have_no_gaps() -> None:
    for bands, first in ((EPISODE_BANDS, 1), (DURATION_BANDS, 0)):
        assert bands[0].low == first and bands[-1].high is None
        for before, after in pairwise(bands):
            assert before.high is not None and after.low == before.high + 1
    assert [(b.low, b.high) for b in EPISODE_BANDS] == [
        (1, 1), (2, 5), (6, 10), (11, 15), (16, 20), (21, 25), (26, 30), (31, None),
    ]  # fmt: skip


@given(st.integers(min_value=1, max_value=500))
def test_every_episode_number_is_in_exactly_one_band(n: int) -> None:
    holding = [b for b in EPISODE_BANDS if n in b]
    assert len(holding) == 1 and EPISODE_BANDS[band_index(EPISODE_BANDS, n)] is holding[0]


@given(st.integers(min_value=0, max_value=400))
def test_a_length_in_days_falls_in_the_seeds_band(days: int) -> None:
    # 0 or 1 day: within 24 hours; 2-5: within that many days; 6 and over: longer.
    assert band_index(DURATION_BANDS, days) == min(max(days, 1), 6) - 1


def test_a_value_below_the_first_band_is_refused() -> None:
    try:
        band_index(DURATION_BANDS, -1)
    except ValueError as exc:
        assert "none of the bands" in str(exc)
    else:
        raise AssertionError("a negative length was banded")
    assert 5 not in Band(6, None, "x") and "6" not in Band(6, None, "x")


def test_numbers_count_earlier_episodes_and_strategy_windows_open_before_the_period() -> None:
    facts = [
        fact("A", date(2023, 2, 1)),  # 1st, before the period
        fact("A", date(2023, 3, 15)),  # 2nd
        fact("A", date(2023, 4, 10), 1),  # 3rd: brings A to 3 within 3 months in the period
        fact("A", date(2023, 12, 1), None, kind="A"),  # 4th, no end
        fact("B", date(2023, 6, 1), 7, kind=None, born_on=date(2010, 6, 2), sex="1"),
    ]
    figures = missing_figures(facts, YEAR, RULES)
    assert (figures.episodes, figures.children) == (3, 2)
    assert figures.by_kind == {"M": 1, "A": 1, None: 1}
    # B's is B's 1st; A's are A's 3rd and 4th.
    assert [(c.episodes, c.children) for c in figures.by_number[:2]] == [(1, 1), (2, 1)]
    assert figures.by_length[0].episodes == 1 and figures.by_length[-1].episodes == 1
    assert (figures.not_ended, figures.ends_before_start) == (1, 0)
    assert (figures.strategy_children, figures.strategy_episodes) == (1, 1)
    # B is 12 on 1 June 2023 (13 the next day); A has no date of birth or sex.
    assert (figures.youngest, figures.oldest, figures.no_birth_date) == (12, 12, 2)
    assert (figures.male, figures.female, figures.sex_not_recorded) == (1, 0, 1)


def test_an_end_before_the_start_is_left_out_of_the_lengths_not_banded() -> None:
    bad = MissingFact("A", date(2023, 5, 2), date(2023, 5, 1), "M", "completed")
    figures = missing_figures([bad], YEAR, RULES)
    assert (figures.ends_before_start, figures.not_ended) == (1, 0)
    assert sum(c.episodes for c in figures.by_length) == 0
    assert figures.rhi == {"completed": 1, "refused": 0, "not_recorded": 0}


episodes = st.lists(
    st.tuples(
        st.sampled_from("ABCDE"),
        st.dates(min_value=date(2022, 1, 1), max_value=date(2024, 6, 30)),
        st.one_of(st.none(), st.integers(min_value=-2, max_value=40)),
        st.sampled_from(["M", "A", None]),
    ),
    max_size=40,
    unique_by=lambda e: (e[0], e[1]),  # the store keeps one episode per child and start
)


@settings(max_examples=200, deadline=None)
@given(episodes)
def test_every_episode_of_the_period_is_counted_once_or_left_out(
    rows: list[tuple[str, date, int | None, str | None]],
) -> None:
    facts = [fact(child, start, days, kind=kind) for child, start, days, kind in rows]
    figures = missing_figures(facts, YEAR, RULES)
    in_period = [f for f in facts if f.started_on in YEAR]
    assert figures.episodes == len(in_period) == sum(figures.by_kind.values())
    assert sum(c.episodes for c in figures.by_number) == figures.episodes
    lengths = sum(c.episodes for c in figures.by_length)
    assert lengths + figures.not_ended + figures.ends_before_start == figures.episodes
    for count in (*figures.by_number, *figures.by_length):
        assert count.children <= min(count.episodes, figures.children)
    assert figures.strategy_children <= figures.children
    assert figures.strategy_episodes <= figures.episodes
    # A child's 1st episode is in the period only if none of theirs came before it.
    firsts = {f.child_key for f in in_period} - {
        f.child_key for f in facts if f.started_on < YEAR.start
    }
    assert figures.by_number[0].episodes == len(firsts)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=45))
def test_one_childs_numbered_episodes_fill_the_bands_in_order(n: int) -> None:
    start = date(2023, 4, 1)
    facts = [fact("A", start + timedelta(days=7 * i)) for i in range(n)]
    figures = missing_figures(facts, YEAR, RULES)
    for band, count in zip(EPISODE_BANDS, figures.by_number, strict=True):
        top = n if band.high is None else min(band.high, n)
        assert count.episodes == max(0, top - band.low + 1)
        assert count.children == (1 if count.episodes else 0)
