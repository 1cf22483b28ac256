"""While a dialog waits: which messages are another request, never its answer
(``understanding.interruptions``), over the route table's examples and generated messages."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.routes import EXAMPLES, NOT_REQUESTS, OPENS_WITH, ROUTES
from understanding import ChildRef, ChildRefKind, Intent, Understanding, understand
from understanding.interruptions import Waiting, interrupts, phrased_as_request

TODAY = date(2026, 11, 26)
DIALOGS = sorted({r.dialog for r in ROUTES.values() if r.dialog is not None})


def dialog_intents(dialog: str) -> frozenset[Intent]:
    return frozenset(i for i, r in ROUTES.items() if r.dialog == dialog)


def test_every_request_has_an_example_read_as_itself() -> None:
    assert set(EXAMPLES) == set(Intent) - NOT_REQUESTS
    for intent, example in EXAMPLES.items():
        assert understand(example, TODAY).intent is intent, example


def test_every_dialog_has_an_opener_that_gives_nothing_else() -> None:
    assert set(OPENS_WITH) == set(DIALOGS)
    for dialog, opener in OPENS_WITH.items():
        heard = understand(opener, TODAY)
        assert heard.intent in dialog_intents(dialog), opener
        assert heard.child is None and heard.date is None and heard.ir_ref is None, opener


@pytest.mark.parametrize("dialog", DIALOGS)
@pytest.mark.parametrize("free_text", [False, True])
def test_every_other_request_interrupts_every_dialog(dialog: str, free_text: bool) -> None:
    own = dialog_intents(dialog)
    waiting = Waiting(own, frozenset({"ava", "brown"}), "C1", free_text)
    for intent, example in EXAMPLES.items():
        if intent in own:
            continue
        heard = understand(example, TODAY)
        assert interrupts(heard, waiting, example), (dialog, example)


@pytest.mark.parametrize("dialog", DIALOGS)
def test_the_same_request_for_another_child_interrupts(dialog: str) -> None:
    own = dialog_intents(dialog)
    waiting = Waiting(own, frozenset({"ava", "brown"}), "C1")
    for intent in own:
        example = EXAMPLES[intent]
        if "Jamie Smith" not in example:
            continue
        assert interrupts(understand(example, TODAY), waiting, example)
        for_ava = example.replace("Jamie Smith", "Ava Brown")
        assert not interrupts(understand(for_ava, TODAY), waiting, for_ava), for_ava


# -- properties over generated messages ----------------------------------------------------------

intents = st.sampled_from(list(Intent))
waitings = st.builds(
    Waiting,
    st.frozensets(intents, max_size=3),
    st.frozensets(st.sampled_from(["ava", "brown", "jamie", "smith"]), max_size=2),
    st.none() | st.just("C1"),
    st.booleans(),
)
children = st.none() | st.builds(
    ChildRef, st.sampled_from(list(ChildRefKind)), st.sampled_from(["Ava", "Jamie Smith", "C2"])
)
understandings = st.builds(
    Understanding, intents, child=children,
    ir_ref=st.none() | st.just("IR-2026-0001"), score=st.floats(0, 20),
)  # fmt: skip
words = st.lists(st.sampled_from(["the", "sw", "went", "off", "sick", "booked", "late", "review",
                                  "reports", "placement", "moved", "held", "because", "friday"]),
                 min_size=1, max_size=8).map(" ".join)  # fmt: skip


@given(understandings, waitings, words)
def test_help_always_interrupts_and_unknown_never(heard: Understanding, waiting: Waiting,
                                                  text: str) -> None:  # fmt: skip
    if heard.intent is Intent.HELP:
        assert interrupts(heard, waiting, text)
    if heard.intent in NOT_REQUESTS:
        assert not interrupts(heard, waiting, text)


@given(understandings, waitings, words)
def test_a_reading_from_context_or_a_bare_name_is_an_answer(
    heard: Understanding, waiting: Waiting, text: str
) -> None:
    if heard.score < 2.5 and heard.intent is not Intent.HELP:
        assert not interrupts(heard, waiting, text)


@given(understandings, waitings, words)
def test_at_a_free_text_question_only_a_request_or_a_name_interrupts(
    heard: Understanding, waiting: Waiting, text: str
) -> None:
    named = heard.ir_ref is not None or (
        heard.child is not None and heard.child.kind is not ChildRefKind.PRONOUN
    )
    listing = heard.intent in {Intent.MY_IRS, Intent.DUE_FOR_ME, Intent.IR_SUMMARY,
                               Intent.REVIEW_SUMMARY, Intent.MY_CASELOAD, Intent.BOOKED_REVIEWS}
    if waiting.free_text and heard.intent is not Intent.HELP and not named and not listing:
        assert not phrased_as_request(text)  # the words drawn never start a request
        assert not interrupts(heard, waiting, text)


@given(understandings, waitings, words)
def test_the_dialogs_own_request_without_another_child_is_an_answer(
    heard: Understanding, waiting: Waiting, text: str
) -> None:
    same_child = heard.child is None or heard.child.kind is ChildRefKind.PRONOUN
    if heard.intent in waiting.intents and heard.intent is not Intent.HELP and same_child:
        assert not interrupts(heard, waiting, text)


@pytest.mark.parametrize("answer", [
    "the social worker's report was late", "review booked late as SW was off sick",
    "placement moved the week before", "foster carer was ill", "14/01/2026", "next Tuesday",
    "yesterday", "yes", "no", "Ava Brown", "part 1", "both", "stage 1",
])  # fmt: skip
def test_genuine_answers_at_a_free_text_question_are_answers(answer: str) -> None:
    waiting = Waiting(dialog_intents(next(iter(OPENS_WITH))), frozenset({"ava", "brown"}), "C1",
                      free_text=True)  # fmt: skip
    assert not interrupts(understand(answer, TODAY), waiting, answer)


@pytest.mark.parametrize(("message", "answer"), [
    ("IR-2026-0032", True), ("it's ir 2026 32", True), ("IR-2026-0032 please", True),
    ("status of IR-2026-0032", False), ("escalate IR-2026-0032 to stage 2", True),
    ("resolve IR-2026-0032", False), ("what's due this fortnight?", False),
])  # fmt: skip
def test_a_reference_is_the_answer_to_which_ir(message: str, answer: bool) -> None:
    """Asked which IR to escalate: the reference alone (or the same request naming one)
    answers; another request about an IR does not."""
    waiting = Waiting(frozenset({Intent.ESCALATE_IR}), asks_for_ir=True)
    assert interrupts(understand(message, TODAY), waiting, message) is not answer


def test_a_related_requests_words_are_an_answer_unless_they_name_a_child() -> None:
    """Correcting a review: "where it was held" reads as recording one, and answers "what needs
    correcting?"; recording a review for a child is still another request."""
    waiting = Waiting(frozenset({Intent.CORRECT_REVIEW}), related=frozenset({Intent.RECORD_REVIEW}))
    for answer in ("where it was held", "the chaired one"):
        assert not interrupts(understand(answer, TODAY), waiting, answer), answer
    request = "record a review for Jamie Smith held yesterday"
    assert interrupts(understand(request, TODAY), waiting, request)
