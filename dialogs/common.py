"""What the four dialogs share: the child step, reading dates and yes/no, confirming, finishing.

Each dialog is a ``ComponentDialog`` over one ``WaterfallDialog``. Its waterfall ``values`` start
as a copy of the options the handler passed (all plain JSON) and gain one answer per step, so:

- a value the handler already understood ("record Jamie's review held yesterday") skips its
  question, and a step that must be asked again restarts the waterfall with ``replace_dialog``
  and the values so far: every step before it skips itself;
- everything in the dialog state is JSON (dates as ISO strings), so a dialog read back from the
  database after a restart carries on at the same question;
- nothing is written before the user confirms: the steps before the last only read (through the
  read-only previews in ``services``), so "cancel" at any point leaves the record as it
  was.

The result of every dialog (``DialogTurnResult.result`` when it completes) is a dict:
``{"child_pk": int | None, "child": {...} | None, "saved": bool, ...}``; ``child`` has the shape
the handler keeps as the last child discussed. ``"replayed": True`` marks a confirmation whose
write had already been made (after a crash: ``storage.dialog_saves``); nothing was written again.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from botbuilder.core import TurnContext
from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallDialog
from botbuilder.dialogs.waterfall_step_context import WaterfallStepContext
from sqlalchemy.exc import SQLAlchemyError

from cards.asking import (
    NOTHING_SAVED,
    SAVE_FAILED,
    YES_OR_NO,
    already_saved,
    date_not_read,
    date_not_real,
)
from cards.elements import Card
from dialogs.child import CHOOSE_CHILD, ChooseChildDialog, actor, display_name
from dialogs.open_dialog import SAVE_KEY
from dialogs.prompts import (
    Accepted,
    Ask,
    Outcome,
    Parser,
    Rejected,
    Reply,
    card_message,
    send,
    text_message,
)
from domain.errors import DomainError
from domain.permissions import Change
from domain.ports import StaffMember
from services.context import Services
from services.reviews import check_may_change
from services.unit_of_work import SqlUnitOfWork
from understanding import Direction, read_date
from understanding.caseload import CaseloadCache

logger = logging.getLogger(__name__)
T = TypeVar("T")

CONFIRM = "confirm"
#: Values key: what ``first_check`` found before the first question.
FIRST_CHECK = "_first_check"
_RETRY = "_retry_save"
_ALREADY = "_already_saved"
_REOFFERED = "_reoffered"
YES, NO = "yes", "no"

_YES_FIRST = frozenset({"yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "confirm",
                        "confirmed", "correct", "save", "record", "book", "raise", "go",
                        "right", "fine", "bring"})  # fmt: skip
#: A reply that starts with one of these is a no ("no thanks", "don't save it", "never mind").
NO_FIRST = frozenset({"no", "n", "nope", "nah", "don't", "dont", "stop", "cancel", "abandon",
                      "discard", "never"})  # fmt: skip
#: Any of these anywhere makes a yes unclear ("yes but not the stage"): asked again, not saved.
_NEGATIVE = NO_FIRST | {"not", "but", "wait", "hang", "change", "wrong"}
_WORD = re.compile(r"[a-z']+")


def yes_or_no(text: str) -> str | None:
    """ "yes", "no" or None (unclear: ask again) from a typed reply to a confirmation.

    Only a clear answer decides: a reply that starts with yes (or "please, yes") and has no
    negative in it saves, one that starts with no (or "please don't") discards, and anything
    else ("not sure", "yes but the date is wrong", "hmm") is asked again, so nothing entered is
    lost to an unclear answer.
    """
    words = _WORD.findall(text.lower().replace("’", "'"))
    if not words:
        return None
    lead = words[1] if words[0] == "please" and len(words) > 1 else words[0]
    if lead in NO_FIRST:
        return NO
    if lead in _YES_FIRST and not any(w in _NEGATIVE for w in words):
        return YES
    return None


def read_day(reply: Reply, today: date, *, future: bool) -> date | Rejected:
    """A date from a typed reply (UK order, words like "last Tuesday"), or why not."""
    typed = reply.text or str(reply.value.get("date") or "")
    if not typed:
        return Rejected(date_not_read(future))
    reading = read_date(typed, today, Direction.FUTURE if future else Direction.PAST)
    if reading.error:
        return Rejected(date_not_real(reading.error, future))
    if reading.date is None:
        return Rejected(date_not_read(future))
    return reading.date


def iso_day(value: object) -> date | None:
    """A date kept in dialog state (ISO text), or None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


#: A dialog's own checks on a date (the write's rules), given the turn (whose actor asks) and
#: the question's data.
DateCheck = Callable[[TurnContext, date, dict[str, Any]], Awaitable[Outcome]]


class IroDialog(ComponentDialog):
    """A dialog about one child: the child step first, then the subclass's steps.

    Subclasses pass their steps (bound ``*_step`` methods) and set ``child_question``.
    """

    #: What the user would leave unsaved, as a phrase (dialogs.open_dialog).
    doing = "changing the record"
    child_question = "Which child is this about? Type their name or child ID."
    #: The change to the record the dialog makes (``domain.permissions``): checked before the
    #: first question, and again by the write itself.
    change: Change

    def __init__(self, dialog_id: str, services: Services, caseload: CaseloadCache,
                 steps: Sequence[Callable[[WaterfallStepContext],
                                          Awaitable[DialogTurnResult]]]) -> None:  # fmt: skip
        super().__init__(dialog_id)
        self.services = services
        self.caseload = caseload
        self.steps_id = f"{dialog_id}.steps"
        self.add_dialog(WaterfallDialog(self.steps_id,
                                        [self.child_step, self.permission_step, *steps]))
        self.add_dialog(ChooseChildDialog(services, caseload))
        self.add_dialog(Ask(CONFIRM, self.parse_confirm))
        self.initial_dialog_id = self.steps_id

    # -- the first step, shared --------------------------------------------------------------------

    async def child_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        options: dict[str, Any] = step.options or {}
        step.values.update(options)
        if step.values.get("child"):
            return await step.next(step.values["child"])
        return await step.begin_dialog(CHOOSE_CHILD, {
            "child_pk": options.get("child_pk"),
            "child_text": options.get("child_text"),
            "question": self.child_question,
        })  # fmt: skip

    async def permission_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Before the first question: may this member of staff make this change for this child?
        If not, say who can, and end (nothing asked, nothing saved)."""
        child = self.take_child(step)
        staff, pk = self.staff(step), int(child["pk"])
        found = await self.check(lambda uow: self.first_check(uow, staff, pk))
        if isinstance(found, Rejected):
            return await self.not_saved(step, f"{found.message} Nothing was saved.")
        step.values[FIRST_CHECK] = found
        return await step.next(child)

    async def first_check(self, uow: SqlUnitOfWork, staff: StaffMember, child_pk: int) -> Any:
        """What the dialog checks before its first question (a DomainError refuses); what it
        returns is kept in the values as ``FIRST_CHECK``, JSON, for the steps after."""
        await check_may_change(uow, staff, child_pk, self.change)
        return None

    @staticmethod
    def take_child(step: WaterfallStepContext) -> dict[str, Any]:
        """Call first in the step after ``child_step``: keeps the chosen child."""
        if isinstance(step.result, dict) and "pk" in step.result:
            step.values["child"] = step.result
        return step.values["child"]

    # -- helpers for the subclasses ----------------------------------------------------------------

    @staticmethod
    def staff(step: WaterfallStepContext) -> StaffMember:
        return actor(step.context)

    @staticmethod
    def child_pk(step: WaterfallStepContext) -> int:
        return int(step.values["child"]["pk"])

    @staticmethod
    def child_name(step: WaterfallStepContext) -> str:
        return display_name(step.values["child"])

    def today(self) -> date:
        return self.services.today()

    async def read(self, action: Callable[[SqlUnitOfWork], Awaitable[T]]) -> T:
        """Run a read-only preview: reads outside a transaction (one round trip a statement on
        PostgreSQL), in the session that refuses writes, its audit entries written after it
        (``Services.answering``, as a question's are)."""
        async with self.services.answering() as uow:
            return await action(uow)

    async def check(self, action: Callable[[SqlUnitOfWork], Awaitable[T]]) -> T | Rejected:
        """A preview whose DomainError becomes a message saying what is wrong.

        Caught inside the preview, so its audit entries are still written: a refusal can show
        part of the child's record ("... before this period of care began (19 December 2025)"),
        and the read the preview audited before refusing must not be lost with it.
        """
        async with self.services.answering() as uow:
            try:
                return await action(uow)
            except DomainError as exc:
                return Rejected(str(exc))

    def date_answers(self, check: DateCheck, *, future: bool) -> Parser:
        """The parser of a date question: a typed date (``read_day``, ``future`` saying which
        way "Friday" points) that ``check`` then accepts or refuses."""

        async def parse(context: TurnContext, reply: Reply, data: dict[str, Any]) -> Outcome:
            day = read_day(reply, self.today(), future=future)
            if isinstance(day, Rejected):
                return day
            return await check(context, day, data)

        return parse

    async def date_or_ask(
        self, step: WaterfallStepContext, ask_id: str, question: str, data: dict[str, Any],
        check: DateCheck,
    ) -> DialogTurnResult:  # fmt: skip
        """The date the message already gave (``step.values["date"]``) if ``check`` accepts it;
        else say why it was refused, if one was given, and ask ``question`` (the ``ask_id``
        prompt, whose answers are checked the same way)."""
        given = iso_day(step.values.get("date"))
        if given is not None:
            checked = await check(step.context, given, data)
            if isinstance(checked, Accepted):
                return await step.next(checked.value)
            await send(step.context, checked.message)
        return await step.begin_dialog(ask_id, {"prompt": text_message(question), "data": data})

    async def again(self, step: WaterfallStepContext, **cleared: None) -> DialogTurnResult:
        """Restart the waterfall with the values so far, minus ``cleared``: asks those again."""
        return await step.replace_dialog(self.steps_id, {**step.values, **cleared})

    async def confirm(self, step: WaterfallStepContext, card: Card,
                      extra: Sequence[str] = ()) -> DialogTurnResult:  # fmt: skip
        """Show the summary card and ask yes/no (plus any ``extra`` choice keys)."""
        # Kept in the dialog state before the summary is shown, so a "yes" repeated after a
        # crash (the write committed, the state saying so did not) carries the same key. One
        # key per run, not per summary: a save whose commit was lost with the connection is
        # recognised when the summary offered again is confirmed.
        key = step.values.setdefault(SAVE_KEY, uuid.uuid4().hex)
        return await step.begin_dialog(CONFIRM, {
            "prompt": card_message(card), "data": {"extra": list(extra), "save_key": key},
            # Offered again because saving failed: the same "yes" again means save it.
            "repeat_is_answer": bool(step.values.pop(_REOFFERED, False)),
        })  # fmt: skip

    async def parse_confirm(self, context: TurnContext, reply: Reply,
                            data: dict[str, Any]) -> Outcome:  # fmt: skip
        key = data.get("save_key")
        if key and await self.read(lambda uow: uow.saves.already_saved(key)):
            # Saved already, though the dialog state did not say so (the bot was killed in
            # between, after showing the result): whatever the reply, end the dialog saying so
            # (``save`` finds the key, ``unsaved`` tells the user), rather than asking for a yes
            # the user has no reason to give again.
            return Accepted(YES)
        extra: list[str] = data.get("extra", [])
        chosen = reply.value.get("confirm")
        if chosen in {YES, NO, *extra}:
            return Accepted(chosen)
        # "another stage", "no, change the reasons": an extra choice is named by its key word,
        # and naming one wins over the "no" around it.
        words = {w.rstrip("s") for w in _WORD.findall(reply.text.lower())}
        named = [key for key in extra if key.rstrip("s") in words]
        if len(named) == 1:
            return Accepted(named[0])
        answer = yes_or_no(reply.text)
        if answer is not None:
            return Accepted(answer)
        return Rejected(YES_OR_NO)

    async def finish(self, step: WaterfallStepContext, saved: bool,
                     **extra: Any) -> DialogTurnResult:  # fmt: skip
        child = step.values.get("child")
        result = {"child_pk": int(child["pk"]) if child else None, "child": child,
                  "saved": saved, **extra}  # fmt: skip
        logger.info("Dialog %s finished (saved=%s)", self.id, saved)
        return await step.end_dialog(result)

    async def not_saved(self, step: WaterfallStepContext, message: str = NOTHING_SAVED
                        ) -> DialogTurnResult:  # fmt: skip
        await send(step.context, message)
        return await self.finish(step, saved=False)

    async def save(
        self,
        step: WaterfallStepContext,
        action: Callable[[SqlUnitOfWork], Awaitable[T]],
        outcome: Callable[[T], dict[str, Any] | None] = lambda _: {},
    ) -> T | None:
        """The one write of a dialog, in one transaction; None when nothing was written.

        A refusal (DomainError) is shown as it is: the domain writes its messages for people.
        A failure of the store (a lost connection, two people saving at once) is not the
        user's doing: they are offered the same summary again (``unsaved`` does that).
        Made once per dialog run (``uow.saves``, ``storage.dialog_saves``): a confirmation whose
        write was already made writes nothing, and ``unsaved`` finishes the dialog with
        ``outcome`` of the first write (JSON; it becomes the dialog's result, as ``finish``'s
        extras). An ``outcome`` of None says the action changed nothing (an IR action refused
        or stale): nothing is remembered, so a later confirmation is not told "already saved".
        """
        key = step.values.get(SAVE_KEY)
        try:
            async with self.services.unit_of_work() as uow:
                if key:
                    done = await uow.saves.already_saved(key)
                    if done is not None:
                        step.values[_ALREADY] = done
                        return None
                result = await action(uow)
                made = outcome(result)
                if key and made is not None:  # None: the action wrote nothing to remember
                    await uow.saves.remember(key, self.id, made)
                return result
        except DomainError as exc:
            await send(step.context, f"{exc} Nothing was saved.")
            return None
        except SQLAlchemyError as exc:
            # Only the type: a database error's text can quote the values being written.
            logger.warning("Dialog %s could not save: %s", self.id, type(exc).__name__)
            await send(step.context, SAVE_FAILED)
            step.values[_RETRY] = True
            return None

    async def unsaved(self, step: WaterfallStepContext) -> DialogTurnResult:
        """After ``save`` wrote nothing: say so if it had been written before (and end as that
        write did), offer the summary again after a store failure, else end (the refusal has
        been shown)."""
        done = step.values.pop(_ALREADY, None)
        if done is not None:
            logger.info("Dialog %s: confirmation repeated after its save; not saved twice", self.id)
            await send(step.context, already_saved(done.get("reference")))
            return await self.finish(step, saved=True, replayed=True, **done)
        if step.values.pop(_RETRY, False):
            step.values[_REOFFERED] = True
            return await self.again(step)
        return await self.finish(step, saved=False)


__all__ = [
    "CONFIRM",
    "NO",
    "YES",
    "IroDialog",
    "iso_day",
    "read_day",
    "yes_or_no",
]
