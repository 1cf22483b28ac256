"""Conversation flows: what to ask, how to check each answer, what to confirm.

    build_dialog_set(dialog_state_accessor, services, caseload) -> DialogSet

holds six ``ComponentDialog``s, begun by the handler with ``dc.begin_dialog(id, options)``:

==================  =========================================================================
``raise_ir``        child → reasons (multi-select) → description → stage → owner → confirm
``record_review``   child → date held → full / part 1 / part 2 → late reason if late → Part 1
                    reason if Part 1 → participation → chaired (if there) → where → confirm
``correct_review``  child → the review (of the date given, else the latest) → which detail → its
                    new value → confirm
``book_review``     child → date → confirm (shows when SW reports are due, CIC-REPORTS)
``bring_forward``   child → date → reason → confirm (shows the new due date, CIC-BF)
``paperwork_sent``  child → decisions / minutes / both → day sent → confirm (shows whether each
                    went out in time, CIC-DECISIONS / CIC-MINUTES)
``ir_action``       IR → may this person → stage (escalating) → the response, reason or outcome
                    → confirm (respond, decline, escalate, resolve, refer to Cafcass: the IR
                    card's use case; options and result in ``dialogs/ir_action.py``)
==================  =========================================================================

and ``child_for_question``: the same child step for a question whose name matched more than one
child, or none (with suggestions); it ends with ``{"asked_about": child}`` and writes nothing.

Options (plain JSON): ``{"child_pk": int | None, "child_text": str | None, "date": ISO str |
None, "part": "full" | "part1" | "part2" | None, "reason": str | None, "stage": stage key | None,
"reasons": [labels], "paperwork": ["decisions", "minutes"] or one of them, or None}``. A value
given skips its question (after the same checks a typed answer gets). Who is asking is not an
option: every step reads the member of staff the handler identified in that turn
(``dialogs.child.actor``), so a changed role counts from the next message.

Result when a dialog completes: ``{"child_pk": int | None, "child": {"pk", "child_id",
"given_name", "family_name"} | None, "saved": bool, ...}`` plus ``"reference"`` (raise_ir),
``"next_review_due"`` (record_review, bring_forward), ``"reports_due"`` (book_review) or
``"review_held_on"`` (paperwork_sent), ISO dates; ``ir_action`` (and raise_ir when the open IR
was escalated instead) gives ``"reference"`` and, when the IR moved, ``"ir_changed"``: the
handler then updates every sent copy of its card. The dialog has already sent its confirmation
(or said why nothing was saved).

Card buttons send ``activity.value`` with ``"iro_dialog": <nonce>`` and empty text: the handler
passes every message to ``continue_dialog`` while a dialog is active (except "cancel").
"""

from __future__ import annotations

from botbuilder.core import StatePropertyAccessor
from botbuilder.dialogs import DialogSet

from dialogs.book_review import BOOK_REVIEW, BookReviewDialog
from dialogs.bring_forward import BRING_FORWARD, BringForwardDialog
from dialogs.child import CHILD_FOR_QUESTION, ChildForQuestionDialog
from dialogs.correct_review import CORRECT_REVIEW, CorrectReviewDialog
from dialogs.ir_action import IR_ACTION, IrActionDialog
from dialogs.paperwork_sent import PAPERWORK_SENT, PaperworkSentDialog
from dialogs.raise_ir import RAISE_IR, RaiseIrDialog
from dialogs.record_review import RECORD_REVIEW, RecordReviewDialog
from services.context import Services
from understanding.caseload import CaseloadCache

#: The dialogs that change the record (each ends in one confirmed write).
DIALOG_IDS = (RAISE_IR, RECORD_REVIEW, BOOK_REVIEW, BRING_FORWARD, PAPERWORK_SENT, IR_ACTION,
              CORRECT_REVIEW)


def build_dialog_set(
    dialog_state_accessor: StatePropertyAccessor, services: Services, caseload: CaseloadCache
) -> DialogSet:
    dialogs = DialogSet(dialog_state_accessor)
    dialogs.add(RaiseIrDialog(services, caseload))
    dialogs.add(RecordReviewDialog(services, caseload))
    dialogs.add(CorrectReviewDialog(services, caseload))
    dialogs.add(BookReviewDialog(services, caseload))
    dialogs.add(BringForwardDialog(services, caseload))
    dialogs.add(PaperworkSentDialog(services, caseload))
    dialogs.add(IrActionDialog(services, caseload))
    dialogs.add(ChildForQuestionDialog(services, caseload))
    return dialogs


__all__ = [
    "BOOK_REVIEW",
    "BRING_FORWARD",
    "CHILD_FOR_QUESTION",
    "CORRECT_REVIEW",
    "DIALOG_IDS",
    "IR_ACTION",
    "PAPERWORK_SENT",
    "RAISE_IR",
    "RECORD_REVIEW",
    "build_dialog_set",
]
