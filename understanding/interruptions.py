"""While a dialog waits for an answer: is this message the answer, or another request?

A message is an interruption when it reads as a new request: "help", or a confident intent
other than the one the dialog is doing (or the same one for another child). It is then never
taken as the answer: the handler says what is open and offers to carry on with it or leave it.
At a question that takes any words (a late reason, an IR's description, a child's name), words
of another intent are often part of a real answer ("the review was booked late because the SW
was off"), so there only a message phrased as a request (a command, a question, "can you ..."),
one naming another child or an IR, or one asking for a list or figures counts.

What is never an interruption: anything read from context or a bare name (score 0), an unknown
message, a greeting or thanks (the question's own parser answers those). "cancel" is decided
before this by the handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.names import normalise_name
from understanding.entities import find_ir_refs
from understanding.intents import QUESTION, REQUEST, THRESHOLD
from understanding.model import ChildRefKind, Intent, Understanding
from understanding.text import clean

#: Messages the question itself answers or refuses, never a new request.
_NEVER = frozenset({Intent.UNKNOWN, Intent.GREETING, Intent.THANKS, Intent.CANCEL})
#: Lists and figures: asked for in words no reason or description is written in ("IRs waiting
#: for me", "review figures this quarter"), so they interrupt even a free-text question.
_LISTINGS = frozenset({
    Intent.MY_IRS, Intent.DUE_FOR_ME, Intent.IR_SUMMARY, Intent.REVIEW_SUMMARY,
    Intent.MY_CASELOAD, Intent.BOOKED_REVIEWS,
})  # fmt: skip
#: A message that starts like an instruction ("book Liam's review ...", "show me ...").
_COMMAND = re.compile(
    r"^(?:record|log|book|bring|move|raise|escalate|respond|reply|decline|reject|resolve|close"
    r"|refer|show|list|tell|add|make|mark|open|start|give|find|check|remind)\b"
)


@dataclass(frozen=True, slots=True)
class Waiting:
    """What the open dialog is doing and asking, as the policy needs it."""

    #: The requests the dialog carries out (the route table's intents for it).
    intents: frozenset[Intent]
    #: Folded name words of the child it is about (empty before one is chosen).
    child_names: frozenset[str] = frozenset()
    child_id: str | None = None
    #: The question takes any words (a reason, a description, a name).
    free_text: bool = False
    #: Folded name words of every child the user can see (``ChildIndex.name_tokens``): a name
    #: made of other words ("the Quoggle review") is no child. Empty: every name counts.
    known_names: frozenset[str] = frozenset()
    #: The question asks which IR: a message naming one is its answer.
    asks_for_ir: bool = False
    #: Requests in whose words the dialog's answers come ("where it was held" while correcting
    #: a review reads as recording one): an answer when it names no other child.
    related: frozenset[Intent] = frozenset()


def phrased_as_request(text: str) -> bool:
    """A command, a question or a polite request, by how the message starts (or a "?")."""
    said = " ".join(text.lower().split())
    return bool(_COMMAND.search(said) or QUESTION.search(said) or REQUEST.search(said))


def interrupts(heard: Understanding, waiting: Waiting, text: str) -> bool:
    """Is ``text`` (read as ``heard``) another request rather than the answer? See above."""
    if heard.intent is Intent.HELP:
        return True
    if heard.intent in _NEVER or heard.score < THRESHOLD:
        return False
    if heard.intent in waiting.intents and not _another_child(heard, waiting):
        return False  # "held on Tuesday" while recording: the answer, in the request's words
    if heard.intent in waiting.related and not _names_a_child(heard, waiting, before_one=True):
        return False
    if waiting.asks_for_ir and heard.ir_ref is not None and _only_a_reference(text):
        return False  # "IR-2026-0032" when asked which IR
    if waiting.free_text:
        named = heard.ir_ref is not None or _names_a_child(heard, waiting, before_one=True)
        return named or heard.intent in _LISTINGS or phrased_as_request(text)
    return True


_AROUND_A_REFERENCE = frozenset({"it", "its", "it's", "is", "the", "one", "that", "this",
                                 "please", "pls", "ir"})  # fmt: skip


def _only_a_reference(text: str) -> bool:
    """The message is an IR reference and nothing more ("IR-2026-0032", "it's ir 2026 32")."""
    _, rest = find_ir_refs(clean(text))
    return set(re.findall(r"[a-z']+", rest.lower())) <= _AROUND_A_REFERENCE


def _another_child(heard: Understanding, waiting: Waiting) -> bool:
    """The message names a child other than the one the dialog is about (before one is
    chosen, a name is what the dialog is asking for)."""
    return _names_a_child(heard, waiting, before_one=False)


def _names_a_child(heard: Understanding, waiting: Waiting, *, before_one: bool) -> bool:
    """The message names a child the user can see who is not the dialog's child; before the
    dialog has one, any child when ``before_one``."""
    ref = heard.child
    if ref is None or ref.kind is ChildRefKind.PRONOUN:
        return False
    chosen = bool(waiting.child_names or waiting.child_id)
    if not chosen and not before_one:
        return False
    if (waiting.child_id or "").casefold() == ref.text.casefold():
        return False  # its id (an authority's ids need not look like ids to the reader)
    if ref.kind is ChildRefKind.ID:
        return True
    words = set(normalise_name(ref.text).split())
    if waiting.known_names and not words <= waiting.known_names:
        return False  # not a child's name: a word written with a capital, a place, a parent
    return not (chosen and words <= waiting.child_names)
