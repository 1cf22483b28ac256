"""The route table: every intent has exactly one way of being answered, and only dialogs write."""

from __future__ import annotations

from datetime import date

import pytest

from bot.routes import ROUTES, route
from dialogs import DIALOG_IDS, IR_ACTION
from understanding import CHILD_INTENTS, IR_ACTION_INTENTS, Intent, understand

TODAY = date(2026, 11, 26)


def test_every_intent_has_a_route() -> None:
    assert set(ROUTES) == set(Intent)


@pytest.mark.parametrize("intent", list(Intent))
def test_a_route_is_a_reply_an_answer_or_a_dialog_and_only_one(intent: Intent) -> None:
    found = route(intent)
    kinds = [found.reply is not None, found.answer is not None, found.dialog is not None]
    assert kinds.count(True) == 1
    if found.dialog is not None:
        assert found.dialog in DIALOG_IDS
    if found.answer is not None or found.dialog is not None:
        assert found.use_case.startswith("services."), "the use case behind it is named"


def test_only_dialogs_write_and_each_write_has_its_own_dialog() -> None:
    writers = {i: r.dialog for i, r in ROUTES.items() if r.writes}
    assert set(writers.values()) == set(DIALOG_IDS)
    # The IR actions by text share one dialog (the IR card's one use case); every other write
    # has its own.
    others = {i: d for i, d in writers.items() if i not in IR_ACTION_INTENTS}
    assert len(set(others.values())) == len(others)
    assert {writers[i] for i in IR_ACTION_INTENTS} == {IR_ACTION}
    assert IR_ACTION not in others.values()


def test_an_ir_action_by_text_is_refused_at_once_to_a_role_that_may_never_do_it() -> None:
    moves = {i: r.ir_move for i, r in ROUTES.items() if r.ir_move is not None}
    assert set(moves) == set(IR_ACTION_INTENTS)
    assert {m.value for m in moves.values()} == {"respond", "decline", "escalate", "resolve",
                                                 "refer"}  # fmt: skip
    assert all(ROUTES[i].use_case == "services.ir_actions.act_on_ir" for i in moves)


def test_a_child_lookup_runs_only_for_intents_about_one_child() -> None:
    for intent, found in ROUTES.items():
        if found.needs_child:
            assert intent in CHILD_INTENTS


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("IR summary this year", Intent.IR_SUMMARY),
        ("how many reviews were late this quarter", Intent.REVIEW_SUMMARY),
        ("my IRs", Intent.MY_IRS),
        ("how many reviews are due this week", Intent.DUE_FOR_ME),
    ],
)
def test_the_service_figures_are_intents_of_the_understanding(message: str, intent: Intent):
    heard = understand(message, TODAY)
    assert heard.intent is intent
    assert (heard.summary is not None) == (intent in (Intent.IR_SUMMARY, Intent.REVIEW_SUMMARY))
