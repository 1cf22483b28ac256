"""normalise_name: the one folding used to store and to search children's names."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.names import normalise_name


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Zoë", "zoe"),
        ("ZOE", "zoe"),
        ("Zoe\u0308", "zoe"),  # e + combining diaeresis (decomposed input) folds the same
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),  # typographic apostrophe, as Word and phones type it
        ("o`brien", "obrien"),
        ("Smith-Jones", "smith jones"),
        ("Smith – Jones", "smith jones"),  # en dash with spaces
        ("smith  jones", "smith jones"),
        ("  Smith\tJones  ", "smith jones"),
        ("Ó Súilleabháin", "o suilleabhain"),
        ("Renée D'Arcy-Brontë", "renee darcy bronte"),
        ("Łucja", "łucja"),  # Ł has no decomposition: kept, lower-cased
        ("Straße", "strasse"),  # casefold, not lower
        ("ﬁnn", "finn"),  # ligature split by NFKD
        ("J. R. Smith", "j r smith"),
        ("Mary_Jane", "mary jane"),
        ("", ""),
        (None, ""),
        ("'-'", ""),
    ],
)
def test_folds(written: str | None, folded: str) -> None:
    assert normalise_name(written) == folded


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zoë O'Brien", "zoe obrien"),
        ("Smith-Jones", "smith jones"),
        ("ÉMILE D’ARCY", "emile darcy"),
        ("Siân", "sian"),
    ],
)
def test_spellings_people_type_meet(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


def test_a_prefix_of_the_typed_name_is_a_prefix_of_the_stored_one() -> None:
    # Why prefix search on the folded column works: folding keeps order and never grows a prefix.
    stored = normalise_name("Zoë O'Brien-Smith")
    assert stored.startswith(normalise_name("ZOE O'B"))


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=600, deadline=None)
@given(names)
@example("ΐ")  # casefold of a precomposed Greek letter yields combining marks
@example("ℌ")  # compatibility decomposition to an upper-case letter
@example("ŉ")  # decomposes to a modifier apostrophe and n
def test_idempotent_and_total(text: str) -> None:
    once = normalise_name(text)
    assert isinstance(once, str)
    assert normalise_name(once) == once
    assert once == once.strip()
    assert "  " not in once


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Zoë", "O'Brien", "Smith-Jones", "Siân", "d’Arcy"]), max_size=4))
def test_separators_never_leak(parts: list[str]) -> None:
    folded = normalise_name(" - ".join(parts))
    assert not set(folded) & set("-'’")
