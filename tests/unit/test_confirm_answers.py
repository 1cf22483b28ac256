"""A confirmation decides only on a clear answer: an unclear one is asked again, so nothing the
user entered is lost to it (and nothing is saved on it)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.common import NO, NO_FIRST, YES, yes_or_no

WORDS = ["yes", "ok", "save", "please", "no", "not", "don't", "sure", "but", "the", "date",
         "is", "wrong", "never", "mind", "thanks", "maybe", "stage", "change", "hmm"]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("yes", YES), ("Yes please", YES), ("ok, save it", YES), ("please, yes", YES),
        ("no", NO), ("no thanks", NO), ("don't", NO), ("please don't", NO),
        ("never mind", NO), ("No, don't save it", NO),
        ("not sure", None), ("yes but the date is wrong", None), ("maybe", None),
        ("hmm", None), ("", None), ("ok wait", None), ("sure, not now", None),
    ],
)  # fmt: skip
def test_only_a_clear_answer_decides(typed: str, expected: str | None) -> None:
    assert yes_or_no(typed) == expected


@given(st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join))
def test_a_decision_is_always_what_the_reply_starts_with(text: str) -> None:
    words = re.findall(r"[a-z']+", text)
    lead = words[1] if words[:1] == ["please"] and len(words) > 1 else (words or [""])[0]
    answer = yes_or_no(text)
    if answer == NO:
        assert lead in NO_FIRST
    if answer == YES:
        assert lead not in NO_FIRST and not {"not", "but", "wrong", "change"} & set(words)
