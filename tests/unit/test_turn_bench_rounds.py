"""The turn benchmark's rounds: how it splits the measured turns, and the paired ratios."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.turn_bench import paired_range, shares


@given(st.integers(1, 100_000), st.integers(1, 200))
def test_shares_add_up_to_the_turns_and_differ_by_at_most_one(total: int, parts: int) -> None:
    split = shares(total, parts)
    assert sum(split) == total
    assert len(split) == min(parts, total)
    assert min(split) >= 1
    assert max(split) - min(split) <= 1


def test_paired_range_compares_each_round_with_the_same_rounds_base() -> None:
    # Round by round 2.0, 3.0 and 2.5; pooled or sorted pairings would give other numbers.
    assert paired_range([100.0, 90.0, 50.0], [50.0, 30.0, 20.0]) == (2.0, 3.0)


def test_paired_range_of_no_rounds_is_not_a_number() -> None:
    low, high = paired_range([], [])
    assert math.isnan(low) and math.isnan(high)
