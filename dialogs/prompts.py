"""One kind of prompt for every question a dialog asks: ``Ask``.

botbuilder's stock prompts (TextPrompt, ChoicePrompt, ConfirmPrompt) read only the typed text,
keep a fixed retry message and store ``PromptOptions``/``Activity`` objects in the dialog state.
Here an answer may come typed *or* from an Adaptive Card's Action.Submit (``activity.value``,
with empty text), each wrong answer deserves its own message ("31/02/2026 is not a real date"),
and the state must stay plain JSON so it survives a restart from the database. So ``Ask`` is a
small ``Dialog``:

- options (JSON): ``{"prompt": Message, "data": {...}}`` (plus ``"repeat_is_answer": True``
  to turn off the repeated-message check below), where a Message is
  ``{"text": str}`` or ``{"card": <Adaptive Card dict>, "text": <fallback>}`` and ``data`` is
  whatever the parser needs (a child's key, the choices offered...);
- each time it is asked it gets a fresh ``nonce`` and stamps it into every Action.Submit of its
  card, so a button pressed on an older card (an earlier question, or a dialog since cancelled)
  is recognised as stale instead of being taken as this answer;
- the message that led to the question, sent again, is not read as its answer: the question is
  asked again, once (the user cannot have seen it: the bot was stopped in between);
- its parser turns a ``Reply`` into ``Accepted(value)`` (the dialog ends with that JSON value)
  or ``Rejected(message)`` (the message is sent; it says what to type; nothing else happens).

Parsers never raise for user input: a parser that fails unexpectedly is logged (without the
text) and the user is asked again, never shown a stack trace.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogInstance, DialogReason
from botbuilder.dialogs.dialog_turn_result import DialogTurnResult
from botbuilder.schema import Activity, ActivityTypes, InputHints

from cards.asking import SOMETHING_WRONG, STALE_CARD, STILL_STUCK
from cards.elements import Card, card_to_text
from dialogs.open_dialog import FREE_TEXT_QUESTIONS, IR_QUESTIONS
from storage.engine import is_store_unavailable

logger = logging.getLogger(__name__)

#: The key a dialog card's Action.Submit data carries: the nonce of the question it answers.
NONCE_KEY = "iro_dialog"
#: After this many answers that were not understood, say how to stop.
HINT_AFTER = 3

Message = dict[str, Any]  # {"text": str} or {"card": Card, "text": fallback}


def text_message(value: str) -> Message:
    return {"text": value}


def card_message(card: Card, fallback: str | None = None) -> Message:
    return {"card": card, "text": fallback or card_to_text(card)}


def to_activity(message: Message, *, expecting_input: bool = False) -> Activity:
    """The activity for a message: a card (its text rendering as the fallback) or plain text."""
    card = message.get("card")
    if card is None:
        activity = MessageFactory.text(message.get("text") or "")
    else:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        # Clients that cannot show the card (and notifications) show this instead.
        activity.summary = (message.get("text") or card_to_text(card))[:500]
    if expecting_input:
        activity.input_hint = InputHints.expecting_input
    return activity


async def send(context: TurnContext, message: Message | str) -> None:
    await context.send_activity(to_activity(text_message(message) if isinstance(message, str)
                                            else message))  # fmt: skip


@dataclass(frozen=True)
class Reply:
    """What the user sent: typed text, or a card's submitted data (or, rarely, both)."""

    text: str
    value: dict[str, Any]

    @property
    def empty(self) -> bool:
        return not self.text and not self.value


@dataclass(frozen=True)
class Accepted:
    value: Any  # plain JSON: it is stored in the calling waterfall's values


@dataclass(frozen=True)
class Rejected:
    message: str
    card: Card | None = None  # e.g. "did you mean ...?" buttons, sent after the message
    reprompt: bool = False  # send the question again too (when it is a card to act on)


Outcome = Accepted | Rejected
Parser = Callable[[TurnContext, Reply, dict[str, Any]], Awaitable[Outcome]]


def stamp(card: Card, nonce: str) -> Card:
    """A copy of ``card`` whose every Action.Submit carries ``nonce``."""
    stamped = copy.deepcopy(card)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                node["data"] = {**(node.get("data") or {}), NONCE_KEY: nonce}
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(stamped)
    return stamped


class Ask(Dialog):
    """Ask one question and end with the parsed answer (see the module docstring)."""

    def __init__(self, dialog_id: str, parse: Parser, *, free_text: bool = False,
                 asks_for_ir: bool = False) -> None:  # fmt: skip
        """``free_text``: the question takes any words (a reason, a description, a name), so
        only a message phrased as a request interrupts it (``understanding.interruptions``);
        ``asks_for_ir``: it asks which IR, so a reference typed is its answer."""
        super().__init__(dialog_id)
        self._parse = parse
        if free_text:
            FREE_TEXT_QUESTIONS.add(dialog_id)
        if asks_for_ir:
            IR_QUESTIONS.add(dialog_id)

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        if not isinstance(options, dict) or "prompt" not in options:
            raise TypeError(f"Ask {self.id!r} needs options {{'prompt': ..., 'data': ...}}")
        state = dialog_context.active_dialog.state
        state["options"] = options
        state["attempts"] = 0
        # One nonce per question asked: re-sending the question keeps it, so the card already
        # on screen still works; a later question gets its own.
        state["nonce"] = uuid.uuid4().hex
        # The message this question answers: if the same message comes again, the user never
        # saw the question (see ``continue_dialog``).
        # (Not for a question offered again because saving failed: "yes" again is the answer.)
        repeat_is_answer = bool(options.get("repeat_is_answer"))
        state["asked_after"] = (
            None if repeat_is_answer else message_digest(dialog_context.context.activity)
        )
        await self._ask(dialog_context.context, state)
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        context = dialog_context.context
        if context.activity.type != ActivityTypes.message:
            return Dialog.end_of_turn
        state = dialog_context.active_dialog.state
        reply = _reply_of(context.activity)
        repeated = state.get("asked_after")
        if repeated is not None and repeated == message_digest(context.activity):
            # The message that led to this question, again: the bot was stopped after saving
            # that it asked, before the question reached the user (bot/held_replies.py), or
            # Teams delivered the message twice. Ask, rather than read it as the answer. Once:
            # the same words sent again after that are an answer.
            state["asked_after"] = None
            await self._ask(context, state)
            return Dialog.end_of_turn
        stale = reply.value.get(NONCE_KEY)
        if stale is not None and stale != state.get("nonce"):
            await send(context, STALE_CARD)
            await self._ask(context, state)
            return Dialog.end_of_turn
        try:
            outcome = await self._parse(context, reply, state["options"].get("data") or {})
        except Exception as exc:
            if is_store_unavailable(exc):
                # Not the answer's fault: the turn fails and the user is told to try again in
                # a minute (``bot.app.on_turn_error``); the question stays where it was.
                raise
            # Never a stack trace to the user. Logged as its type and where it happened only:
            # the message of an error could quote the answer, which may name a child.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            logger.error("Reading an answer to %s failed: %s at %s:%s", self.id,
                         type(exc).__name__, where.filename, where.lineno)  # fmt: skip
            outcome = Rejected(SOMETHING_WRONG)
        if isinstance(outcome, Accepted):
            return await dialog_context.end_dialog(outcome.value)
        state["attempts"] = int(state.get("attempts", 0)) + 1
        message = outcome.message
        if state["attempts"] >= HINT_AFTER:
            message = f"{message} {STILL_STUCK}"
        await send(context, message)
        if outcome.card is not None:
            await send(context, card_message(stamp(outcome.card, state["nonce"])))
        if outcome.reprompt:
            await self._ask(context, state)
        return Dialog.end_of_turn

    async def resume_dialog(
        self, dialog_context: DialogContext, reason: DialogReason, result: object
    ) -> DialogTurnResult:
        # Nothing is started on top of a question; if something was, ask it again.
        await self.reprompt_dialog(dialog_context.context, dialog_context.active_dialog)
        return Dialog.end_of_turn

    async def reprompt_dialog(self, context: TurnContext, instance: DialogInstance) -> None:
        await self._ask(context, instance.state)

    async def _ask(self, context: TurnContext, state: dict[str, Any]) -> None:
        prompt: Message = dict(state["options"]["prompt"])
        if prompt.get("card") is not None:
            prompt["card"] = stamp(prompt["card"], state["nonce"])
        await context.send_activity(to_activity(prompt, expecting_input=True))


def small_number(text: str, *, digits: int = 3) -> int | None:
    """The number a typed answer is ("2", "12."), when it has at most ``digits`` digits; else
    None. Not ``str.isdigit`` + ``int``: "²" is a digit to ``isdigit`` and ``int`` refuses it,
    and ``int`` refuses a string of more than 4,300 digits."""
    typed = text.strip().rstrip(".")
    if not typed.isdecimal() or len(typed) > digits:
        return None
    return int(typed)


def message_digest(activity: Activity) -> str | None:
    """A short digest of a typed message (case and spacing ignored); None for a card's submit
    or an empty message. A digest, not the text: the dialog state need not hold it twice."""
    text = " ".join((activity.text or "").lower().split())
    if not text or isinstance(activity.value, dict):
        return None
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _reply_of(activity: Activity) -> Reply:
    value = activity.value if isinstance(activity.value, dict) else {}
    return Reply(text=(activity.text or "").strip(), value=value)
