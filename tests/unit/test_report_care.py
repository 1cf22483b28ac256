"""Children in care, leaving care and caseload figures (domain.report_care, domain.rec_codes)."""

from __future__ import annotations

from datetime import date as D
from datetime import timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from domain.ages import age_on
from domain.calendar import month_end
from domain.rec_codes import ALL_GROUPS, FAMILY_OR_ADOPTED, REC_MEANINGS, SEED_GROUPS, rec_group
from domain.report_care import (
    CarePeriod,
    ChildCare,
    Leaver,
    care_figures,
    care_history,
    caseloads,
    further_leavings,
    handbook_band,
    leavers,
    leaving_figures,
    month_ends,
    rate_per_10000,
    reason_label,
)
from domain.reporting import (
    NO_PERIOD_LEFT_OUT,
    OUTSIDE_CARE_LEFT_OUT,
    CareEpisode,
    Compared,
    Period,
    ReviewFact,
    StoredReview,
    review_facts,
    review_figures,
    split_part_left_out,
)
from domain.reviews import ReviewPart
from domain.rules import load_rules

RULES = load_rules()
YEAR = Period(D(2023, 4, 1), D(2024, 3, 31))
days = st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31))


@given(days, st.integers(min_value=0, max_value=800))
def test_month_ends_end_on_the_period_end_and_are_month_ends(start: D, length: int) -> None:
    period = Period(start, start + timedelta(days=length))
    ends = month_ends(period)
    assert ends[-1] == period.end
    assert all(day in period for day in ends)
    assert ends == sorted(set(ends))
    assert all(day == month_end(day) for day in ends[:-1])
    # One per calendar month whose last day falls in the period, plus the period's end.
    whole = sum(1 for first in period.months() if month_end(first) in period)
    assert len(ends) == whole + (period.end != month_end(period.end))


@given(days, st.integers(min_value=0, max_value=90))
def test_age_goes_up_on_the_birthday(born: D, years: int) -> None:
    assume((born.month, born.day) != (2, 29))  # tested below
    birthday = born.replace(year=born.year + years)
    assert age_on(born, birthday) == years
    if years:
        assert age_on(born, birthday - timedelta(days=1)) == years - 1


def test_age_of_someone_born_on_29_february() -> None:
    born = D(2008, 2, 29)
    assert age_on(born, D(2026, 2, 28)) == 17
    assert age_on(born, D(2026, 3, 1)) == 18
    assert age_on(born, D(2028, 2, 29)) == 20


periods = st.lists(
    st.tuples(days, st.integers(min_value=1, max_value=400), st.booleans()), max_size=4
)


def _child(key: str, raw: list[tuple[D, int, bool]]) -> ChildCare:
    """Non-overlapping periods from (start, length, open) triples, in order."""
    out: list[CarePeriod] = []
    previous_end: D | None = None
    for start, length, is_open in sorted(raw):
        if previous_end is not None and start <= previous_end:
            continue
        end = None if is_open else start + timedelta(days=length)
        out.append(CarePeriod(start, end, "E8" if end else None))
        if end is None:
            break
        previous_end = end
    return ChildCare(key, tuple(out))


@given(st.lists(periods, max_size=6), days, st.integers(min_value=0, max_value=500))
def test_every_start_and_end_is_counted_or_left_out(raw, start: D, length: int) -> None:
    children = [_child(str(i), r) for i, r in enumerate(raw)]
    period = Period(start, start + timedelta(days=length))
    figures = care_figures(children, period)
    started = sum(1 for c in children for p in c.periods if p.started_on in period)
    ended = sum(1 for c in children for p in c.periods if p.ended_on in period)
    assert figures.started + figures.further_starts == started
    assert figures.ceased + figures.further_ends == ended
    assert figures.ceased == len(leavers(children, period))
    assert further_leavings(children, period) == figures.further_ends
    # In care at the end: brute force over the periods.
    at_end = sum(
        1
        for c in children
        if any(p.started_on <= period.end and (p.ended_on or D.max) > period.end for p in c.periods)
    )
    assert figures.at_end.in_care == at_end


def test_in_care_counts_the_start_day_and_not_the_day_care_ended() -> None:
    child = ChildCare("A", (CarePeriod(D(2023, 4, 30), D(2023, 5, 31), "E13"),), uasc=True)
    figures = care_figures([child], YEAR)
    by_day = {m.day: (m.in_care, m.uasc) for m in figures.month_ends}
    assert by_day[D(2023, 4, 30)] == (1, 1)
    assert by_day[D(2023, 5, 31)] == (0, 0)
    assert figures.average == round(1 / 12, 1) == 0.1


def test_rate_per_10000() -> None:
    assert rate_per_10000(187, 35800) == 52  # 52.2
    assert rate_per_10000(197, 35800) == 55  # 55.03: the seed's 2023 rate
    assert rate_per_10000(10, None) is None


def test_every_dfe_code_is_in_exactly_one_row() -> None:
    codes = [code for group in ALL_GROUPS for code in group.codes]
    assert sorted(codes) == sorted(REC_MEANINGS) and len(codes) == len(set(codes))
    assert set(REC_MEANINGS) >= FAMILY_OR_ADOPTED
    assert "X1" not in REC_MEANINGS  # it never ends a period of care
    assert rec_group("e11") is SEED_GROUPS[2]
    assert rec_group("E4") is None and rec_group(None) is None
    assert reason_label("E4") == "E4 (not a code in the DfE list)"
    assert reason_label(None) == "No reason recorded"
    assert reason_label("E2") == "Died"


def _seed_leavers(counts: dict[str, int], adults: set[str]) -> list[Leaver]:
    return [
        Leaver(f"{code}-{n}", D(2024, 1, 1), code, 18 if code in adults else 16)
        for code, many in counts.items()
        for n in range(many)
    ]


def test_the_seed_12_3_share_follows_from_its_table() -> None:
    """Seed 12.3: "Excluding children of 18 years of age, 62% (42%) ... were either adopted or
    left care to live with their parents or a relative". One REC code per seed row; the staying
    put (E17) and adult services (E7) children are the ones aged 18."""
    this = _seed_leavers(
        {"E45": 10, "E41": 1, "E11": 4, "E8": 11, "E4A": 28, "E5": 15, "E7": 1, "E17": 11},
        {"E7", "E17"},
    )
    last = _seed_leavers(
        {"E45": 3, "E41": 1, "E11": 5, "E8": 8, "E4A": 9, "E5": 17, "E17": 24}, {"E17"}
    )
    figures = leaving_figures(this), leaving_figures(last)
    # (10 + 1 + 4 + 28) / (81 - 12) = 43 / 69; (3 + 1 + 5 + 9) / (67 - 24) = 18 / 43.
    assert [(f.ceased, f.under_18, f.family_or_adopted) for f in figures] == [
        (81, 69, 43),
        (67, 43, 18),
    ]
    share = Compared(figures[0].family_or_adopted_share, figures[1].family_or_adopted_share, True)
    assert share.text() == "62% (42%)"


def test_leaving_figures_keep_unknown_codes_and_unknown_ages() -> None:
    figures = leaving_figures(
        [
            Leaver("a", D(2024, 1, 1), "E4", 10),  # an old code: counted under its own row
            Leaver("b", D(2024, 1, 1), None, 12),
            Leaver("c", D(2024, 1, 1), "E11", None),  # adopted, age unknown: not in the share
            Leaver("d", D(2024, 1, 1), "e13", 15),
        ]
    )
    assert figures.by_reason == {
        "E4 (not a code in the DfE list)": 1,
        "No reason recorded": 1,
        "Adoption": 1,
        "Left care to live with parents, relatives or another person, with or without "
        "parental responsibility": 1,
    }
    assert figures.by_code == {"E4": 1, None: 1, "E11": 1, "E13": 1}
    assert (figures.age_unknown, figures.under_18, figures.family_or_adopted) == (1, 3, 1)


def test_leavers_are_counted_at_their_last_leaving_with_their_age_then() -> None:
    child = ChildCare(
        "A",
        (
            CarePeriod(D(2023, 1, 1), D(2023, 5, 1), "E4A"),
            CarePeriod(D(2023, 6, 1), D(2023, 11, 15), "E17"),
        ),
        date_of_birth=D(2005, 11, 15),
    )
    assert leavers([child], YEAR) == [Leaver("A", D(2023, 11, 15), "E17", 18)]


def test_caseloads_by_hand() -> None:
    period = Period(D(2024, 1, 1), D(2024, 3, 31))  # month ends 31 Jan, 29 Feb, 31 Mar
    always = (CarePeriod(D(2020, 1, 1), None),)
    children = [
        ChildCare("1", always, iro="Ann"),
        ChildCare("2", always, iro="Ann"),
        ChildCare("3", (CarePeriod(D(2024, 2, 10), None),), iro="Ben"),  # Feb, Mar
        ChildCare("4", (CarePeriod(D(2020, 1, 1), D(2024, 3, 31)),)),  # Jan, Feb; no IRO
    ]
    loads = caseloads(children, period)
    assert loads.at_end == {"Ann": 2, "Ben": 1}
    assert (loads.average("Ann"), loads.average("Ben")) == (2.0, round(2 / 3, 1))
    assert (loads.unallocated_at_end, loads.unallocated_total) == (0, 2)
    # Jan 2 / 1 IRO = 2; Feb 3 / 2 = 1.5; Mar 3 / 2 = 1.5: mean 5 / 3 = 1.7.
    assert loads.per_iro_by_day == (2.0, 1.5, 1.5)
    assert (loads.per_iro_at_end, loads.per_iro_average) == (1.5, 1.7)


def test_handbook_band_edges() -> None:
    assert [handbook_band(n) for n in (49, 50, 70, 70.4, 71)] == [
        "below 50",
        "within 50-70",
        "within 50-70",
        "above 70",
        "above 70",
    ]
    assert handbook_band(None) == ""


def test_reviews_not_counted_say_why() -> None:
    split = StoredReview(D(2023, 6, 1), ReviewPart.PART1)
    episode = CareEpisode(
        "A",
        D(2023, 5, 2),
        D(2023, 12, 31),
        reviews=(
            StoredReview(D(2023, 5, 30), ReviewPart.FULL),
            split,
            StoredReview(D(2023, 6, 20), ReviewPart.PART2),
            StoredReview(D(2024, 1, 15), ReviewPart.FULL),  # after care ended
        ),
    )
    facts = review_facts([episode], RULES, [("B", StoredReview(D(2023, 7, 1), ReviewPart.FULL))])
    figures = review_figures(facts, YEAR)
    assert (figures.held, figures.initial, figures.second) == (2, 1, 1)
    assert dict(figures.left_out) == {
        split_part_left_out(RULES): 1,
        OUTSIDE_CARE_LEFT_OUT: 1,
        NO_PERIOD_LEFT_OUT: 1,
    }
    # 5 reviews held in the year: 2 counted + 3 left out.
    assert figures.held + sum(figures.left_out.values()) == 5
    # Part 1s in care only (B's review is a full one; A's Part 1 counts).
    assert sum(figures.part1_by_reason.values()) == 1 and figures.part1_left_out == 0
    outside = CareEpisode(
        "C", D(2023, 9, 1), None, (StoredReview(D(2023, 8, 1), ReviewPart.PART1),)
    )
    late = review_figures(review_facts([outside], RULES), YEAR)
    assert (sum(late.part1_by_reason.values()), late.part1_left_out) == (0, 1)


def test_care_history_from_stored_periods_and_looked_after_since() -> None:
    stored = [(D(2020, 1, 1), D(2021, 1, 1), "E13"), (D(2022, 1, 1), None, None)]
    # looked_after_since inside a stored period adds nothing; outside one, an open period.
    assert care_history(stored, D(2022, 1, 1)) == (
        CarePeriod(D(2020, 1, 1), D(2021, 1, 1), "E13"),
        CarePeriod(D(2022, 1, 1), None),
    )
    assert care_history([], D(2024, 5, 1)) == (CarePeriod(D(2024, 5, 1), None),)
    assert care_history([], None) == ()
    # A period with no end followed by another ran on into it: one period, no leaving.
    assert care_history(
        [(D(2020, 1, 1), None, None), (D(2021, 6, 1), D(2022, 1, 1), "E11")], None
    ) == (CarePeriod(D(2020, 1, 1), D(2022, 1, 1), "E11"),)
    # One that ends after the next starts is cut at that start.
    assert care_history(
        [(D(2020, 1, 1), D(2021, 9, 1), "E8"), (D(2021, 6, 1), None, None)], None
    ) == (CarePeriod(D(2020, 1, 1), D(2021, 6, 1), "E8"), CarePeriod(D(2021, 6, 1), None))


def test_reasons_in_the_users_own_words_count_as_other() -> None:
    """A reason given as "Other: ..." (not on the authority's list) is one "Other" row, not a
    row per wording; the list's labels keep their own rows."""
    day = YEAR.start + timedelta(days=40)

    def late(reason: str | None) -> ReviewFact:
        return ReviewFact("C1", day, ReviewPart.FULL, 3, False, reason, None, None, None)

    figures = review_figures([late("Other: snow"), late("Other: the taxi never came"),
                              late("The IRO was unwell"), late(None)], YEAR)  # fmt: skip
    assert dict(figures.late_by_reason) == {"Other": 2, "The IRO was unwell": 1, None: 1}
