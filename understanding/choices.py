"""A typed answer matched to one label of a list the authority configures (a late reason, why
only Part 1 was held, where the review was held): by its number, its words, or close to them.

The report counts against the list, so what is stored must be one of its labels, or "other"
with the words as typed. A clear match is that label; two or more close ones are offered as a
choice; nothing close is said so (the dialog then shows the list again, or takes the words as
"other" where the list allows free text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from domain.names import normalise_name

#: A label scoring this (0-100, rapidfuzz's token-set ratio on folded words) is a match...
SURE = 88
#: ...and labels scoring this or more are offered as a choice when none is sure.
CLOSE = 62
#: Words people type for the words a list says (both sides are folded the same way before they
#: are compared): "IRO off sick" is "The IRO was unwell", "SW in court" a social worker's
#: availability, "foster carer on holiday" a foster parent's.
_SAME_AS = {
    "sw": "social worker", "sws": "social worker", "yp": "young person", "child": "young person",
    "kid": "young person", "carer": "parent", "carers": "parent", "fc": "foster parent",
    "sick": "unwell", "ill": "unwell", "illness": "unwell", "sickness": "unwell",
    "poorly": "unwell", "leave": "availability", "holiday": "availability",
    "available": "availability", "unavailable": "availability", "capacity": "availability",
    "placement": "foster home", "move": "change", "moved": "change", "moving": "change",
    "report": "information", "reports": "information", "paperwork": "information",
}  # fmt: skip
_OTHER = re.compile(r"^\s*other\b[\s:,.-]*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class LabelMatch:
    """The label meant (None when unsure), the close labels to offer, and for "other: ..."
    the words given after it."""

    label: str | None = None
    candidates: tuple[str, ...] = ()
    other: str | None = None


def match_label(typed: str, labels: Sequence[str]) -> LabelMatch:
    """Which of ``labels`` (in their order, 1-based when numbered) ``typed`` means."""
    text = typed.strip()
    if not text or not labels:
        return LabelMatch()
    number = text.rstrip(".")
    if number.isdecimal() and len(number) <= 3 and 1 <= int(number) <= len(labels):
        return LabelMatch(label=labels[int(number) - 1])
    other = _OTHER.match(text)
    if other is not None:
        return LabelMatch(other=other["rest"].strip() or None)
    folded = {_fold(label): label for label in labels}
    wanted = _fold(text)
    if wanted in folded:
        return LabelMatch(label=folded[wanted])
    scored = process.extract(wanted, list(folded), scorer=fuzz.token_set_ratio, limit=None,
                             score_cutoff=CLOSE)  # fmt: skip
    if not scored:
        return LabelMatch()
    best, best_score, _ = scored[0]
    runners_up = [name for name, score, _ in scored[1:] if score >= best_score - 5]
    if best_score >= SURE and not runners_up:
        return LabelMatch(label=folded[best])
    return LabelMatch(candidates=tuple(folded[name] for name, _, _ in scored[:4]))


def _fold(text: str) -> str:
    """Folded words (case, accents, punctuation), each typed synonym as the list says it."""
    return " ".join(_SAME_AS.get(word, word) for word in normalise_name(text).split())
