"""QA managers' figures in chat: which messages ask for them, which periods, and the cards."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cards.elements import card_to_text
from cards.summary import ir_summary_card, reviews_summary_card
from domain.reporting import IrFact, Period, ReviewFigures, ir_figures
from domain.rules import load_rules
from understanding.summaries import Topic, recognise

TODAY = date(2026, 11, 26)
D = date


@pytest.mark.parametrize(
    ("message", "topic", "period", "previous", "wording"),
    [
        ("IR summary this year", Topic.IRS, (D(2026, 4, 1), TODAY),
         (D(2025, 4, 1), D(2025, 11, 26)), "this year so far"),
        ("how many reviews were late this quarter", Topic.REVIEWS, (D(2026, 10, 1), TODAY),
         (D(2026, 7, 1), D(2026, 8, 26)), "this quarter so far"),
        ("How many IRs were raised last year?", Topic.IRS, (D(2025, 4, 1), D(2026, 3, 31)),
         (D(2024, 4, 1), D(2025, 3, 31)), "last year"),
        ("review figures for last month", Topic.REVIEWS, (D(2026, 10, 1), D(2026, 10, 31)),
         (D(2026, 9, 1), D(2026, 9, 30)), "last month"),
        ("Issues Resolution stats", Topic.IRS, (D(2026, 4, 1), TODAY),
         (D(2025, 4, 1), D(2025, 11, 26)), "this year so far"),
        ("how many reviews were held on time this month", Topic.REVIEWS, (D(2026, 11, 1), TODAY),
         (D(2026, 10, 1), D(2026, 10, 26)), "this month so far"),
    ],
)  # fmt: skip
def test_questions_for_figures(message, topic, period, previous, wording):
    question = recognise(message, TODAY)
    assert question is not None
    assert question.topic is topic
    assert question.period == Period(*period) and question.previous == Period(*previous)
    assert question.wording == wording


def test_this_year_in_january_to_march_is_the_year_that_began_last_april():
    question = recognise("IR summary this year", D(2027, 2, 10))
    assert question is not None and question.period == Period(D(2026, 4, 1), D(2027, 2, 10))


@pytest.mark.parametrize(
    "message",
    [
        "my IRs",
        "how many IRs do I have open",
        "how many of my reviews are overdue",
        "how many reviews are due this week",
        "raise an IR for Sam",
        "what's the status of IR-2026-0042, how many days left",
        "when is Sam's next review",
        "summary of reviews coming up",
    ],
)
def test_an_iros_own_questions_are_left_to_the_bot(message):
    assert recognise(message, TODAY) is None


def test_no_message_of_the_utterance_corpus_is_taken_for_a_summary():
    """The corpus is what IROs ask; none of it asks for the service's figures."""
    here = Path(__file__).parent
    texts = [
        u["text"]
        for name in ("utterances.json", "utterances.holdout.json")
        for u in json.loads((here / name).read_text(encoding="utf-8"))["utterances"]
    ]
    assert len(texts) > 300
    assert [t for t in texts if recognise(t, TODAY)] == []


def test_ir_summary_card():
    rules = load_rules()
    this_year = Period(D(2026, 4, 1), TODAY)
    last_year = Period(D(2025, 4, 1), D(2025, 11, 26))
    facts = [
        IrFact("A", D(2026, 5, 1), "1", "2", "2", None, ("reports not available in time",)),
        IrFact("B", D(2026, 6, 1), "informal", "informal", None, None,
               ("reports not available in time", "no advocate")),
        IrFact("C", D(2025, 6, 1), "1", "1", "1", None, ("no advocate",)),
        IrFact("D", D(2025, 12, 1), "1", "1", "1", None, ("no advocate",)),  # in neither
    ]  # fmt: skip
    shown = card_to_text(
        ir_summary_card(
            "this year so far",
            this_year,
            last_year,
            ir_figures(facts, this_year),
            ir_figures(facts, last_year),
            rules,
        )
    )
    assert shown.splitlines()[:2] == [
        "IR summary: this year so far",
        "1 April 2026 to 26 November 2026. In brackets: 1 April 2025 to 26 November 2025.",
    ]
    for line in (
        "IRs raised: 2 (1)",
        "Raised at Informal: 1 (0)",
        "Raised at Stage 1: 1 (1)",
        "Escalated: 1 (0)",
        "Still open: 1",
        "reports not available in time: 2 (0)",
        "no advocate: 1 (1)",
        "Every table, with charts: iro-bot report --from 01/04/2026 --to 26/11/2026",
    ):
        assert line in shown.splitlines(), line


def test_reviews_summary_card_with_no_reviews_says_so_rather_than_0_percent():
    period = Period(D(2026, 10, 1), TODAY)
    previous = Period(D(2026, 7, 1), D(2026, 8, 26))
    empty = ReviewFigures(0, 0, 0, 0, 0, {}, {}, (0, 0, 0), (0, 0, 0), {})
    some = ReviewFigures(4, 1, 1, 2, 3, {"The IRO was unwell": 1}, {}, (3, 1, 0), (2, 1, 1), {})
    shown = card_to_text(reviews_summary_card("this quarter so far", period, previous, some, empty))
    for line in (
        "Reviews held: 4 (0)",
        "Within timescale: 75% (–)",
        "Held late: 1 (0)",
        "Initial, second, subsequent: 1, 1, 2 (0, 0, 0)",
        "Decisions sent in time: 75% (–)",
        "Minutes sent in time: 50% (–)",
        "The IRO was unwell: 1 (0)",
    ):
        assert line in shown.splitlines(), line
