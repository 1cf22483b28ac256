"""The questions about a review held that the annual report counts, asked the same way by the
dialogs that record a review and that correct one: a label of the authority's list (by the
card, a number, or close words; a choice when two are close) or the user's own words; the
SSDA903 participation code; whether the young person chaired it.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext

from cards.elements import card, submit
from cards.reviews import (
    CHAIRED_NOT_READ,
    CHOICE_INPUT_ID,
    LATE_REASON_MAX,
    LATE_REASON_TOO_LONG,
    OTHER_VALUE,
    OWN_WORDS_EMPTY,
    PARTICIPATION_NOT_READ,
    WORDS_INPUT_ID,
    list_card,
    list_fallback,
    list_not_read,
    list_unsure,
)
from dialogs.common import NO, YES, yes_or_no
from dialogs.prompts import Accepted, Outcome, Rejected, Reply, card_message
from domain.review_details import OTHER, PARTICIPATION, other
from understanding.choices import match_label

#: Answers to another question (a "yes" meant for the summary), not reasons.
NOT_A_REASON = frozenset({"yes", "y", "no", "n", "ok", "okay", "skip", "none"})


class ReviewQuestions:
    """A mixin for an ``IroDialog``: the parsers its ``Ask``s use, and ``_ask_list``."""

    async def _ask_list(self, step: WaterfallStepContext, ask_id: str, question: str,
                        labels: tuple[str, ...], other_title: str,
                        own_words: bool = False) -> DialogTurnResult:  # fmt: skip
        """Ask for one of ``labels``, or other words: stored as "Other: ..." for a reason the
        report counts (``own_words`` False), or as typed (a place)."""
        return await step.begin_dialog(ask_id, {
            "prompt": card_message(list_card(question, labels, other_title),
                                   list_fallback(question, labels, other_title)),
            "data": {"labels": list(labels), "own_words": own_words},
        })  # fmt: skip

    async def parse_listed(self, context: TurnContext, reply: Reply,
                           data: dict[str, Any]) -> Outcome:  # fmt: skip
        """A label of the list (by the card, a number, or close words; a choice when two are
        close), or the user's own words ("other: ..."; anything not close to the list)."""
        labels: list[str] = data.get("labels") or []
        own_words = bool(data.get("own_words"))
        chosen = reply.value.get(CHOICE_INPUT_ID)
        words = str(reply.value.get(WORDS_INPUT_ID) or "").strip()
        if chosen is not None:
            if chosen == OTHER_VALUE:
                return _own(words, own_words)
            number = str(chosen)
            if number.isdecimal() and 1 <= int(number) <= len(labels):
                return Accepted(labels[int(number) - 1])
            return Rejected(list_not_read(len(labels)))
        typed = reply.text.strip()
        if not typed:
            return Rejected(list_not_read(len(labels)))
        said = match_label(typed, labels)
        if said.label is not None:
            return Accepted(said.label)
        if said.other is not None or typed.lower().rstrip(".") == "other":
            return _own(said.other or "", own_words)
        if said.candidates:
            buttons = [submit(label, {CHOICE_INPUT_ID: str(labels.index(label) + 1)})
                       for label in said.candidates]
            buttons.append(submit(f"{OTHER}: {typed}"[:80],
                                  {CHOICE_INPUT_ID: OTHER_VALUE, WORDS_INPUT_ID: typed}))
            return Rejected(list_unsure(typed), card=card([], buttons))  # fmt: skip
        return _own(typed, own_words)

    async def parse_participation(self, context: TurnContext, reply: Reply,
                                  data: dict[str, Any]) -> Outcome:  # fmt: skip
        codes: list[str] = data.get("codes") or list(PARTICIPATION)
        chosen = str(reply.value.get("participation") or reply.text).strip().upper()
        if chosen in codes:
            return Accepted(chosen)
        if chosen.isdecimal() and 1 <= int(chosen) <= len(codes):
            return Accepted(codes[int(chosen) - 1])
        said = match_label(reply.text, [PARTICIPATION[c] for c in codes])
        if said.label is not None:
            return Accepted(next(c for c in codes if PARTICIPATION[c] == said.label))
        return Rejected(PARTICIPATION_NOT_READ)

    async def parse_chaired(self, context: TurnContext, reply: Reply,
                            data: dict[str, Any]) -> Outcome:  # fmt: skip
        answer = reply.value.get("chaired") or yes_or_no(reply.text)
        if answer in (YES, NO):
            return Accepted(answer == YES)
        return Rejected(CHAIRED_NOT_READ)



def _own(words: str, as_typed: bool) -> Outcome:
    """The user's own words: a place as typed, or a reason as "Other: ...", said briefly."""
    said = words.strip()
    if not said or said.lower().strip(" .!") in NOT_A_REASON:
        return Rejected(OWN_WORDS_EMPTY)
    if len(said) > LATE_REASON_MAX - len(OTHER) - 2:
        return Rejected(LATE_REASON_TOO_LONG)
    return Accepted(said if as_typed else other(said))


