"""An exact full name is that child, even beside a near-namesake ("Ava Brown" and "Ava Browne");
a partial name still asks which one."""

from __future__ import annotations

import pytest

from cards.asking import namesakes_note
from understanding import ChildCandidate, ChildIndex, ResolutionKind, resolve_child

AVA_BROWN = ChildCandidate(1, "C001", "Ava", "Brown")
AVA_BROWNE = ChildCandidate(2, "C002", "Ava", "Browne")
JAYDEN = ChildCandidate(3, "C003", "Jayden", "Smith")
JAIDEN = ChildCandidate(4, "C004", "Jaiden", "Smith")
ZOE = ChildCandidate(5, "C005", "Zoë", "O'Brien-Hughes")
INDEX = ChildIndex.build([AVA_BROWN, AVA_BROWNE, JAYDEN, JAIDEN, ZOE])


@pytest.mark.parametrize(
    ("typed", "child", "namesakes"),
    [
        ("Ava Brown", AVA_BROWN, [AVA_BROWNE]),
        ("ava browne", AVA_BROWNE, [AVA_BROWN]),
        ("AVA BROWN", AVA_BROWN, [AVA_BROWNE]),
        ("Jayden Smith", JAYDEN, [JAIDEN]),
        ("jaiden smith", JAIDEN, [JAYDEN]),
        ("Zoe OBrien Hughes", ZOE, []),  # accents, apostrophes and hyphens aside
    ],
)
def test_an_exact_full_name_is_that_child(typed: str, child: ChildCandidate,
                                          namesakes: list[ChildCandidate]) -> None:  # fmt: skip
    found = resolve_child(typed, INDEX)
    assert found.kind is ResolutionKind.MATCH and found.child == child
    assert list(found.namesakes) == namesakes


@pytest.mark.parametrize("typed", ["Ava", "Ava Brow", "Smith", "Jaden Smith"])
def test_a_partial_or_misspelt_name_still_asks(typed: str) -> None:
    found = resolve_child(typed, INDEX)
    assert found.kind is ResolutionKind.AMBIGUOUS and len(found.choices) >= 2


def test_the_note_names_the_child_taken_and_the_others() -> None:
    assert namesakes_note("Ava Brown", "C001", [("Ava Browne", "C002")]) == (
        "This is about Ava Brown (C001). Also on your caseload with a similar name: "
        "Ava Browne (C002)."
    )
