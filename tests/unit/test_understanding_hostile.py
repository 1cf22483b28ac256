"""Hostile text through every function that reads what a user typed: never an exception.

Issue 7's property: any string yields an intent, or "didn't understand" (``Intent.UNKNOWN``),
whatever the conversation so far and whatever day it is. The same holds for each reader the
dialogs and the handler apply to a typed reply (child names, dates, yes/no, IR reasons, stages,
review parts, the QA manager's figures). The strings come from ``tests/hostile_text.py``:
arbitrary text plus surrogates, control and format characters, combining marks, emoji, very
long names, markup, markdown and SQL-looking text.
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dialogs.common import NO, YES, yes_or_no
from dialogs.prompts import Rejected
from dialogs.raise_ir import reasons_from_text, stage_key
from dialogs.record_review import part_from_text
from domain.reviews import ReviewPart
from domain.rules import load_rules
from tests.hostile_text import CATEGORIES, PIECES, hostile_text
from tests.unit.test_understanding import CASELOAD, INDEX
from understanding import (
    ChildRefKind,
    ConversationContext,
    Direction,
    Intent,
    ResolutionKind,
    Understanding,
    read_date,
    resolve_child,
    summaries,
    understand,
)

RULES = load_rules()
HOSTILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

contexts = st.builds(
    ConversationContext,
    last_child=st.none() | st.sampled_from(CASELOAD),
    last_intent=st.none() | st.sampled_from(Intent),
    known_names=st.just(INDEX.name_tokens),
)
# From the first representable day to the last: relative dates may fall off the calendar.
todays = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)) | st.just(
    date(2026, 11, 26)
)


def test_every_category_is_exercised() -> None:
    # The fuzzer and these properties draw from the same pieces; each category has some.
    assert all(CATEGORIES.values()) and len(PIECES) >= 100
    assert any("\ud800" <= ch <= "\udfff" for ch in "".join(CATEGORIES["surrogates"]))


@HOSTILE
@given(hostile_text(), todays, contexts)
def test_any_text_is_an_intent_or_didnt_understand(
    text: str, today: date, context: ConversationContext
) -> None:
    heard = understand(text, today, context, RULES)
    assert isinstance(heard, Understanding) and heard.intent in Intent
    assert heard.date_error is None or isinstance(heard.date_error, str)
    if heard.child is not None and heard.child.kind is ChildRefKind.PRONOUN:
        # A pronoun means the child last discussed, never anyone else.
        assert heard.child.child is context.last_child
    if heard.child is not None and heard.child.kind is not ChildRefKind.PRONOUN:
        found = resolve_child(heard.child.text, INDEX)
        assert found.kind in ResolutionKind
        assert found.child is None or found.child in CASELOAD


@HOSTILE
@given(hostile_text())
def test_resolving_any_reference_never_raises_and_never_leaves_the_caseload(text: str) -> None:
    found = resolve_child(text, INDEX)
    assert found.kind in ResolutionKind
    assert (found.child is not None) == (found.kind is ResolutionKind.MATCH)
    assert set(found.choices) <= set(CASELOAD) and set(found.suggestions) <= set(CASELOAD)


@HOSTILE
@given(hostile_text(), todays, st.sampled_from(Direction))
def test_any_text_is_a_date_an_error_or_nothing(text: str, today: date, direction: Direction):
    reading = read_date(text, today, direction)
    assert reading.error is None or isinstance(reading.error, str)
    assert reading.date is None or isinstance(reading.date, date)


@HOSTILE
@given(hostile_text(), todays)
# Found by these properties: "²" is a digit to str.isdigit and int() refuses it; int() refuses
# a string of more than 4,300 digits.
@example("1, ²", date(2026, 11, 26))
@example("9" * 5000, date(2026, 11, 26))
def test_the_dialogs_readers_of_a_typed_reply_never_raise(text: str, today: date) -> None:
    assert yes_or_no(text) in (YES, NO, None)
    reasons = reasons_from_text(text, RULES)
    assert isinstance(reasons, Rejected) or set(reasons) <= set(RULES.reasons)
    stage = stage_key(text, RULES)
    assert stage is None or stage in {s.key for s in RULES.stages}
    assert part_from_text(text) in (*ReviewPart, None)
    assert summaries.recognise(text, today) is None or isinstance(
        summaries.recognise(text, today), summaries.SummaryQuestion
    )
