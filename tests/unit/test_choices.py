"""A typed answer matched to one label of an authority's list (``understanding.choices``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules import load_rules
from understanding.choices import match_label

RULES = load_rules()
LISTS = [RULES.late_reasons, RULES.part1_reasons, RULES.localities]


@given(st.sampled_from(LISTS).flatmap(lambda labels: st.tuples(st.just(labels),
                                                                 st.sampled_from(labels))),
       st.sampled_from([str.lower, str.upper, str.title, lambda s: f"  {s}. "]))  # fmt: skip
def test_a_label_typed_in_any_case_is_that_label(pair: tuple[tuple[str, ...], str],
                                                 dress: object) -> None:  # fmt: skip
    labels, label = pair
    assert match_label(dress(label), labels).label == label  # type: ignore[operator]


@given(st.sampled_from(LISTS).flatmap(lambda labels: st.tuples(
    st.just(labels), st.integers(1, len(labels)))))  # fmt: skip
def test_a_number_is_the_label_it_numbers(pair: tuple[tuple[str, ...], int]) -> None:
    labels, number = pair
    assert match_label(str(number), labels).label == labels[number - 1]
    assert match_label(str(len(labels) + 1), labels).label is None  # "other" is not a label


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9 ',.]{0,30}", fullmatch=True))
def test_other_keeps_the_words_as_typed(words: str) -> None:
    found = match_label(f"other: {words}", RULES.late_reasons)
    assert found.label is None and found.other == words.strip()


@pytest.mark.parametrize(("typed", "labels", "meant"), [
    ("placement moved", RULES.late_reasons, "Foster home breakdown or change"),
    ("foster carer on holiday", RULES.late_reasons, "Foster parent availability"),
    ("iro unwell", RULES.late_reasons, "The IRO was unwell"),
    ("SW on leave", RULES.part1_reasons,
     "Social worker availability (sickness, annual leave, in court)"),
    ("in hampshire", RULES.localities, "Hampshire"),
    ("London", RULES.localities, "Greater London"),
])  # fmt: skip
def test_everyday_words_find_the_label(typed: str, labels: tuple[str, ...], meant: str) -> None:
    assert match_label(typed, labels).label == meant


@pytest.mark.parametrize(("typed", "labels", "offered"), [
    ("IRO off sick", RULES.late_reasons, "The IRO was unwell"),
    ("berkshire", RULES.localities, "Berkshire (not West Berkshire)"),
])  # fmt: skip
def test_unsure_offers_a_choice(typed: str, labels: tuple[str, ...], offered: str) -> None:
    found = match_label(typed, labels)
    assert found.label is None and offered in found.candidates


def test_nothing_close_is_said_so() -> None:
    assert match_label("snow closed the roads", RULES.late_reasons) == match_label("", ())
