"""Where reviews were held (domain.report_locations, services.reports.locations): examples and
properties."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.report_locations import (
    ReviewLocation,
    location_figures,
    location_rows,
    place_key,
)
from domain.reporting import Compared, Period
from services.reports.locations import locations_section

YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))
LAST = Period(date(2022, 4, 1), date(2023, 3, 31))
LIST = ("West Berkshire", "Berkshire (not West Berkshire)", "Hampshire", "Wiltshire")


def at(place: str | None, day: date = date(2023, 6, 1)) -> ReviewLocation:
    return ReviewLocation(day, place)


def test_each_meeting_counts_once_by_its_place_and_only_in_its_period() -> None:
    facts = [
        at("Hampshire"),
        at("Hampshire", date(2023, 4, 1)),  # the period's first day
        at("Hampshire", date(2024, 3, 31)),  # and its last
        at("Hampshire", date(2024, 4, 1)),  # after: not counted
        at("Hampshire", date(2023, 3, 31)),  # before: last period's
        at("West Berkshire"),
        at(None),
        at("  "),  # blank is not recorded, not a place
    ]
    this = location_figures(facts, YEAR, LIST)
    assert this.held == 6
    assert dict(this.by_place) == {"Hampshire": 3, "West Berkshire": 1, None: 2}
    assert this.not_recorded == 2
    last = location_figures(facts, LAST, LIST)
    assert (last.held, dict(last.by_place)) == (1, {"Hampshire": 1})


def test_a_split_reviews_parts_are_two_meetings_each_where_it_was_held() -> None:
    # Part 1 at the foster home in Hampshire, Part 2 at the office: two meetings, two places.
    facts = [at("Hampshire", date(2023, 9, 5)), at("West Berkshire", date(2023, 9, 20))]
    assert dict(location_figures(facts, YEAR, LIST).by_place) == {
        "Hampshire": 1, "West Berkshire": 1,
    }  # fmt: skip


def test_a_typed_place_is_the_listed_one_but_for_capitals_and_spaces() -> None:
    facts = [at("hampshire"), at(" HAMPSHIRE "), at("West   Berkshire"), at("Hampshire")]
    assert dict(location_figures(facts, YEAR, LIST).by_place) == {
        "Hampshire": 3, "West Berkshire": 1,
    }  # fmt: skip


def test_places_not_on_the_list_count_together_under_their_commonest_spelling() -> None:
    facts = [at("Isle of Wight"), at("isle of wight"), at("Isle of Wight"), at("Cornwall"),
             at("cornwall")]  # fmt: skip
    by_place = location_figures(facts, YEAR, LIST).by_place
    # Cornwall: one each way, so the first in sorted order ("Cornwall" < "cornwall").
    assert dict(by_place) == {"Isle of Wight": 3, "Cornwall": 2}


def test_rows_listed_most_first_then_typed_most_first_then_not_recorded() -> None:
    facts = [
        *[at("Hampshire")] * 2, at("West Berkshire"), *[at("Wiltshire")] * 2,
        *[at("Isle of Wight")] * 5,  # more than any listed place, still after them
        at("Cornwall"), at("Swindon"), *[at(None)] * 9,
        # Last period: breaks the tie between Hampshire and Wiltshire; a listed place
        # only last period; a typed place only last period.
        at("Wiltshire", date(2022, 5, 1)), at("Berkshire (not West Berkshire)", date(2022, 5, 1)),
        at("Dorset", date(2022, 5, 1)),
    ]  # fmt: skip
    rows = location_rows(
        location_figures(facts, YEAR, LIST), location_figures(facts, LAST, LIST), LIST
    )
    assert [(r.place, r.listed, r.this, r.last) for r in rows] == [
        ("Wiltshire", True, 2, 1),
        ("Hampshire", True, 2, 0),
        ("West Berkshire", True, 1, 0),
        ("Berkshire (not West Berkshire)", True, 0, 1),
        ("Isle of Wight", False, 5, 0),
        ("Cornwall", False, 1, 0),  # ties alphabetically
        ("Swindon", False, 1, 0),
        ("Dorset", False, 0, 1),
        (None, False, 9, 0),
    ]


def test_equal_counts_keep_the_lists_order_and_an_unused_locality_has_no_row() -> None:
    facts = [at("Wiltshire"), at("Hampshire"), at("West Berkshire")]
    rows = location_rows(location_figures(facts, YEAR, LIST),
                         location_figures(facts, LAST, LIST), LIST)  # fmt: skip
    assert [r.place for r in rows] == ["West Berkshire", "Hampshire", "Wiltshire"]


def test_a_typed_place_spelt_differently_each_period_is_one_row_spelt_as_this_period() -> None:
    facts = [at("isle of wight"), at("Isle of Wight", date(2022, 6, 1))]
    rows = location_rows(location_figures(facts, YEAR, LIST),
                         location_figures(facts, LAST, LIST), LIST)  # fmt: skip
    assert [(r.place, r.this, r.last) for r in rows] == [("isle of wight", 1, 1)]


def test_the_section_shows_this_and_last_with_not_recorded_last() -> None:
    facts = [at("Hampshire"), at(None), at("Hampshire", date(2022, 6, 1)), at("Skye")]
    section = locations_section(facts, YEAR, LAST, LIST)
    [table] = section.tables
    assert table.key == "reviews_by_locality"
    assert table.rows == (
        ("Hampshire", Compared(1, 1)),
        ("Skye", Compared(1, 0)),
        ("not recorded", Compared(1, 0)),
    )
    [csv] = table.csv
    assert csv.columns == ("locality", "this_period", "last_period")
    assert csv.rows == (("Hampshire", 1, 1), ("Skye", 1, 0), ("not recorded", 1, 0))
    assert section.summary[0].startswith("3 (1) review meetings were held in 2023-24")
    assert "not recorded for 1 (0)" in section.summary[0]
    assert "each part of a split review" in section.notes[0]


def test_no_meetings_is_said_not_an_empty_table() -> None:
    [table] = locations_section([], YEAR, LAST, LIST).tables
    assert table.rows == () and table.note == "None in either period."


# -- properties ------------------------------------------------------------------------------

PLACES = st.one_of(
    st.none(),
    st.sampled_from(LIST),
    st.sampled_from(["hampshire", " Wiltshire", "Isle of Wight", "isle of  wight", "Skye", " "]),
)
DAYS = st.integers(0, (YEAR.end - LAST.start).days).map(lambda n: LAST.start + timedelta(n))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.builds(ReviewLocation, DAYS, PLACES), max_size=40))
def test_every_meeting_is_in_exactly_one_row_and_the_rows_are_in_order(facts) -> None:
    this = location_figures(facts, YEAR, LIST)
    last = location_figures(facts, LAST, LIST)
    rows = location_rows(this, last, LIST)
    assert sum(r.this for r in rows) == this.held == sum(1 for f in facts if f.held_on in YEAR)
    assert sum(r.last for r in rows) == last.held == sum(1 for f in facts if f.held_on in LAST)
    assert all(r.this or r.last for r in rows)
    keys = [None if r.place is None else place_key(r.place) for r in rows]
    assert len(keys) == len(set(keys))  # one row a place
    groups = [0 if r.listed else 2 if r.place is None else 1 for r in rows]
    assert groups == sorted(groups)
    for group in (0, 1):
        counts = [(r.this, r.last) for r, g in zip(rows, groups, strict=True) if g == group]
        assert counts == sorted(counts, reverse=True)
    assert all(r.listed == (r.place in LIST) for r in rows)
