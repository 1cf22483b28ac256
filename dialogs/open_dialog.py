"""What the open dialog is doing and which question it waits on: read from the dialog stack.

The handler needs this while a dialog waits, to tell an answer from another request
(``understanding.interruptions``) and to say what would be left unsaved. Everything is read
from the stack botbuilder keeps in the conversation state (so it is as true after a restart):
the outer dialog's id, the child its steps chose (the waterfall's ``values``), and the id of
the innermost dialog, the ``Ask`` whose question is on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.dialogs import ComponentDialog, Dialog, DialogContext, DialogInstance

#: The values key a dialog's one write is made under (``storage.dialog_saves``), kept from
#: when its summary is first shown (``IroDialog.confirm``).
SAVE_KEY = "_save_key"
#: Ids of the questions that take any words (a reason, a description, a name): filled by
#: ``Ask(..., free_text=True)`` as each question is built.
FREE_TEXT_QUESTIONS: set[str] = set()
#: Ids of the questions that ask which IR (``Ask(..., asks_for_ir=True)``): a reference typed
#: there is the answer, not a question about that IR.
IR_QUESTIONS: set[str] = set()


@dataclass(frozen=True)
class OpenDialog:
    dialog_id: str
    #: Every dialog open on the way down, outermost first (one may start another: raising an
    #: IR can go on to escalate the open one).
    dialog_ids: tuple[str, ...]
    #: What the user would leave unsaved, as a phrase ("recording a review"); None for a
    #: question's child lookup, which loses nothing.
    doing: str | None
    #: The child chosen so far (``{"pk", "child_id", "given_name", "family_name"}``) or None.
    child: dict[str, Any] | None
    #: The id of the question waiting for an answer.
    asking: str
    #: The key its one write is made under, once a summary was shown (``dialogs.common``).
    save_key: str | None = None
    #: Requests whose words are also this dialog's answers (a dialog's ``related_intents``):
    #: "where it was held" reads as recording a review, and answers "what needs correcting?".
    related: frozenset[Any] = frozenset()

    @property
    def free_text(self) -> bool:
        return self.asking in FREE_TEXT_QUESTIONS

    @property
    def asks_for_ir(self) -> bool:
        return self.asking in IR_QUESTIONS


async def open_dialog(dc: DialogContext) -> OpenDialog | None:
    """The dialog waiting in ``dc``, or None when none is."""
    top = dc.active_dialog
    if top is None:
        return None
    child: dict[str, Any] | None = None
    save_key: str | None = None
    instance: DialogInstance = top
    dialog: Dialog | None = dc.dialogs.find_dialog(top.id)
    opened: list[tuple[str, Dialog | None]] = [(top.id, dialog)]
    while True:
        stack = _stack_in(instance.state if isinstance(instance.state, dict) else {})
        for below in stack:  # the steps under the question keep the values so far
            values = below.state.get("values") if isinstance(below.state, dict) else None
            if child is None and isinstance(values, dict) \
                    and isinstance(values.get("child"), dict):  # fmt: skip
                child = values["child"]
            if save_key is None and isinstance(values, dict) \
                    and isinstance(values.get(SAVE_KEY), str):  # fmt: skip
                save_key = values[SAVE_KEY]
        if not stack:
            break
        instance = stack[0]  # botbuilder keeps the active dialog first
        dialog = await dialog.find_dialog(instance.id) \
            if isinstance(dialog, ComponentDialog) else None  # fmt: skip
        if isinstance(dialog, ComponentDialog):
            opened.append((instance.id, dialog))
    # The innermost dialog that says what it is doing: "escalating IR-..." inside a raise.
    doing = next((d.doing for _, d in reversed(opened) if getattr(d, "doing", None)), None)
    related = frozenset().union(*(getattr(d, "related_intents", frozenset()) for _, d in opened))
    return OpenDialog(top.id, tuple(i for i, _ in opened), doing, child, instance.id, save_key,
                      related)  # fmt: skip


def _stack_in(state: dict[str, Any]) -> list[DialogInstance]:
    """The dialogs inside a component dialog's state, the active one first (none for a leaf)."""
    inner = state.get("dialogs")
    stack = getattr(inner, "dialog_stack", None)
    if stack is None and isinstance(inner, dict):
        stack = inner.get("dialog_stack") or inner.get("dialogStack")
    return [i for i in stack or [] if isinstance(i, DialogInstance)]
