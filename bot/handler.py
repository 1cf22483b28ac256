"""The Teams activity handler: who is asking, what they mean, and which answer or dialog follows.

A turn:
1. Identify the member of staff (AAD object id on the activity, else e-mail/UPN from TeamsInfo).
   An unknown user gets a polite refusal and nothing else; the attempt is audited.
   The member of staff is put in the turn (``dialogs.child.ACTOR``): dialogs read it there.
2. Remember the conversation reference and the Teams user id (for nudges), when they changed.
3. With a dialog running, "cancel" stops it (nothing was written); anything else continues it.
   The child step of a question ("which Sam?") is such a dialog: when it ends with a child, the
   question it interrupted is answered.
4. Otherwise the message is understood, and the route table (``bot/routes.py``) says what
   answers it: a fixed reply, an answer read from the store, or a dialog that changes it.

An ``Action.Execute`` on an IR card arrives as an ``adaptiveCard/action`` invoke instead
(``on_invoke_activity``): the same identity step, then ``services.ir_actions`` does or refuses the
action, the answer is this user's view of the card, and every sent copy of the card that is now
behind is edited in place.

What is logged: activity types and ids, intents, counts. Never text, names or card values.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from botbuilder.core import (
    BotAdapter,
    CardFactory,
    ConversationState,
    InvokeResponse,
    MessageFactory,
    TurnContext,
)
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.dialogs import DialogContext, DialogSet, DialogTurnStatus
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    ChannelAccount,
    ConversationReference,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot import answers
from bot.held_replies import HeldReplies
from bot.rosters import learn_from_roster
from bot.routes import ROUTES, Route, route
from bot.staff_cache import RecentStaff
from bot.state import SqlConversationState, StorageConflictError
from cards import ir_notices
from cards.asking import (
    AS_ANSWER,
    CARRY_ON,
    INTERRUPTION_AGAIN,
    NO_START,
    NOT_STARTED,
    OFFER_KEY,
    SWITCH,
    YES_START,
    already_saved,
    closed_when_idle,
    interruption_card,
    left_unsaved,
    namesakes_note,
    no_child_for_question,
    want_to_start_card,
)
from cards.common import (
    BUSY,
    CANCELLED,
    FINISHED_QUESTION,
    UNKNOWN_USER,
    help_card,
    welcome_card,
)
from cards.elements import Card, card_to_text
from cards.ir_card import GOOD, WARNING, ir_card, notice_card
from cards.ir_wording import NOT_READABLE, action_message
from dialogs.child import ACTOR, CHILD_FOR_QUESTION, display_name
from dialogs.common import NO, YES, yes_or_no
from dialogs.open_dialog import OpenDialog, open_dialog
from dialogs.prompts import NONCE_KEY, message_digest
from domain.names import normalise_name
from domain.permissions import (
    IrMove,
    card_rights,
    instead,
    ir_refusal,
    may_ever_act_on_ir,
    may_ever_change,
    refusal,
)
from domain.ports import ChildSummary, StaffMember
from services import caseload, ir_actions, ir_cards
from services.context import Services
from services.unit_of_work import SqlUnitOfWork
from storage.audit import record_audit, take_held_audits
from storage.conversations import remember_conversation
from storage.repositories import SqlStaffRepository
from storage.repositories.ir_records import CardCopy
from understanding import (
    ChildCandidate,
    ChildRefKind,
    ConversationContext,
    Intent,
    ResolutionKind,
    Understanding,
    resolve_child,
    understand,
)
from understanding.caseload import CaseloadCache
from understanding.interruptions import Waiting, interrupts

logger = logging.getLogger(__name__)

#: turn_state key set only by in-process adapters (the terminal), never from a request.
TRUSTED_EMAIL = "iro.trusted_email"
ASK_WHICH_CHILD = answers.WHICH_CHILD  # one wording, whichever asks
ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
#: IroMemory key: the message that completed a dialog's save, for one turn (see on_message).
FINISHED_BY = "finished_by"
#: IroMemory key: a choice offered and not yet made: carry on or leave an open dialog
#: (``{"kind": "interrupt", "text": the new request}``), or start a change
#: asked about as a question (``{"kind": "start", "text": ...}``).
OFFER = "offer"
#: IroMemory key: when the open dialog last heard from the user (ISO, UTC).
DIALOG_AT = "dialog_at"
CARD_ACTION_FAILED = "Sorry, something went wrong on my side, so nothing was changed. Please try " \
    "again in a moment."  # fmt: skip
#: Editing the sent copies of a card happens before the invoke is answered (so a test, or the
#: next click, sees them true), but never for longer than this: Teams gives up on an invoke
#: after a few seconds. A copy left behind is edited at the next action or refresh of the card.
CARD_UPDATE_BUDGET_SECONDS = 4.0

DialogSetFactory = Callable[[Any, Services, CaseloadCache], DialogSet]


def reply_activity(card: Card | None = None, text: str | None = None) -> Activity:
    """A card with its text rendering as the fallback, or plain text."""
    if card is None:
        return MessageFactory.text(text or "")
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    # Clients that cannot show the card (and notifications) show this instead.
    activity.summary = (text or card_to_text(card))[:500]
    return activity


class IroBot(TeamsActivityHandler):
    def __init__(
        self,
        services: Services,
        conversation_state: ConversationState,
        dialog_set_factory: DialogSetFactory | None = None,
        *,
        idle_after: timedelta = timedelta(hours=24),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.services = services
        #: A dialog waiting longer than this is closed at the next message (nothing saved).
        self.idle_after = idle_after
        self.now = now
        #: Which requests each dialog carries out (for telling its answers from new requests).
        self._dialog_intents: dict[str, frozenset[Intent]] = {}
        for intent, row in ROUTES.items():
            if row.dialog is not None:
                self._dialog_intents[row.dialog] = \
                    self._dialog_intents.get(row.dialog, frozenset()) | {intent}  # fmt: skip
        self.conversation_state = conversation_state
        self.caseload = CaseloadCache()
        self.dialog_state = conversation_state.create_property("DialogState")
        self.memory = conversation_state.create_property("IroMemory")
        self.dialogs = (
            dialog_set_factory(self.dialog_state, services, self.caseload)
            if dialog_set_factory
            else DialogSet(self.dialog_state)
        )
        # Conversation references already stored by this process: skip the write next turn.
        self._remembered: OrderedDict[tuple[int, str], str] = OrderedDict()
        self._rosters_read: set[str] = set()  # group conversations whose roster was read
        # Senders identified in the last 30 s (bot/staff_cache.py says why that is safe).
        self.recent_staff = RecentStaff()

    # -- the turn ----------------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        # Replies go out after the state is saved, none if the turn fails (bot/held_replies.py).
        held = HeldReplies(turn_context)
        try:
            await super().on_turn(turn_context)
            await self.conversation_state.save_changes(turn_context)
        except StorageConflictError:
            # Another turn of this conversation saved first (two messages at once): this
            # turn's state change (and what it said) is dropped rather than overwriting the
            # other's.
            held.stop()
            logger.info("State conflict in conversation; asked the user to resend")
            await turn_context.send_activity(BUSY)
            return
        finally:
            replies = held.stop()
        await held.send(replies)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        staff = await self._identify_and_remember(turn_context)
        if staff is None:
            return
        await self._on_message(turn_context, staff)

    def _heard_from_user(self, memory: dict[str, Any]) -> None:
        """The open (or opening) dialog heard from the user now: its idle time counts from here.
        Set before anything is saved this turn (a question saves the state with its audit
        entries, and the state is written once a turn), and kept in the bot state, so the
        idle time counts across restarts. A value left from a finished dialog is never read:
        every dialog begins by setting it."""
        memory[DIALOG_AT] = self.now().isoformat()

    async def _on_message(self, turn_context: TurnContext, staff: StaffMember) -> None:
        # Dialogs read the sender from here every turn, never from a copy in their state.
        turn_context.turn_state[ACTOR] = staff
        activity = turn_context.activity
        await self._learn_group_roster_once(turn_context)
        text = (activity.text or "").strip()
        value = activity.value if isinstance(activity.value, dict) else None
        memory: dict[str, Any] = await self.memory.get(turn_context, dict)
        dc = await self.dialogs.create_context(turn_context)

        if value and OFFER_KEY in value and dc.active_dialog is None and OFFER not in memory:
            # A "carry on / leave it" or "start it?" button from a choice already made.
            await turn_context.send_activity(FINISHED_QUESTION)
            return
        if value and (NONCE_KEY in value or value.get("iro_action")) and dc.active_dialog is None:
            # A button on the card of a dialog that has already finished or was cancelled (or
            # a choice card from before the child lookup became a dialog step).
            await turn_context.send_activity(FINISHED_QUESTION)
            return
        finished_by = memory.pop(FINISHED_BY, None)
        if dc.active_dialog is not None and await self._while_dialog_waits(
            turn_context, staff, memory, dc, text, value
        ):
            return
        offer = memory.pop(OFFER, None)
        if offer is not None and await self._answer_start_offer(
            turn_context, staff, memory, offer, text, value
        ):
            return
        if finished_by is not None and finished_by.get("digest") == message_digest(activity):
            # The message that saved a dialog's work, again, straight after: its answer never
            # reached the user (the bot was stopped after saving). Say so; nothing more.
            await turn_context.send_activity(already_saved(finished_by.get("reference")))
            return
        if not text:
            await turn_context.send_activity(reply_activity(help_card(staff)))
            return
        await self._act_on_text(turn_context, staff, memory, text)

    async def _read(self, staff: StaffMember, memory: dict[str, Any], text: str) -> Understanding:
        """The message understood in this conversation (the child and IR last discussed, the
        names of the children this member of staff can see)."""
        index = await self.caseload.index(staff, caseload.name_loader(self.services, staff))
        context = ConversationContext(
            last_child=_candidate(memory.get("last_child")),
            last_intent=_intent(memory.get("last_intent")),
            known_names=index.name_tokens,
            last_ir=memory.get("last_ir") if isinstance(memory.get("last_ir"), str) else None,
        )
        return understand(text, self.services.today(), context, self.services.rules)

    async def _act_on_text(
        self, ctx: TurnContext, staff: StaffMember, memory: dict[str, Any], text: str,
        heard: Understanding | None = None,
    ) -> None:  # fmt: skip
        heard = heard or await self._read(staff, memory, text)
        logger.info("Message understood as %s", heard.intent.value)
        memory["last_intent"] = heard.intent.value
        await self._act(ctx, staff, memory, heard, text, chosen_pk=None)

    # -- while a dialog waits: its answer, "cancel", or another request -----------------------

    async def _while_dialog_waits(
        self, ctx: TurnContext, staff: StaffMember, memory: dict[str, Any], dc: DialogContext,
        text: str, value: dict[str, Any] | None,
    ) -> bool:  # fmt: skip
        """Continue the open dialog with this message, unless it is "cancel", the dialog has
        waited too long, or the message reads as another request (then the user chooses:
        carry on, or leave it and do the new thing). False: the dialog was closed for being
        idle, and the message is to be read afresh."""
        opened = await open_dialog(dc)
        doing = _doing(opened)
        if text and understand(text, self.services.today()).intent is Intent.CANCEL:
            await dc.cancel_all_dialogs()
            for key in ("pending", OFFER, DIALOG_AT):
                memory.pop(key, None)
            await ctx.send_activity(CANCELLED)
            return True
        waited_since = _instant(memory.get(DIALOG_AT))
        if waited_since is not None and self.now() - waited_since > self.idle_after:
            await dc.cancel_all_dialogs()
            for key in ("pending", OFFER, DIALOG_AT):
                memory.pop(key, None)
            logger.info("Closed a dialog left idle (%s)", opened.dialog_id if opened else "?")
            if doing is not None:
                hours = self.idle_after.total_seconds() / 3600
                await ctx.send_activity(closed_when_idle(doing, hours))
            return False
        self._heard_from_user(memory)
        offer = memory.pop(OFFER, None)
        answering_with = None
        if offer is not None and offer.get("kind") == "interrupt":
            choice = _offer_choice(text, value)
            if choice == CARRY_ON:
                await dc.reprompt_dialog()
                return True
            if choice == SWITCH:
                await dc.cancel_all_dialogs()
                memory.pop("pending", None)
                if doing is not None:
                    await ctx.send_activity(left_unsaved(doing))
                await self._act_on_text(ctx, staff, memory, str(offer.get("text") or ""))
                return True
            if choice == AS_ANSWER:
                answering_with = str(offer.get("text") or "")
            elif (value and OFFER_KEY in value) or yes_or_no(text) is not None:
                # "yes"/"ok" to "carry on or leave it?" says neither: ask again, keep both.
                memory[OFFER] = offer
                await ctx.send_activity(INTERRUPTION_AGAIN)
                return True
        if answering_with is not None:
            # The message held back is the answer after all: the dialog reads it as typed.
            ctx.activity.text, ctx.activity.value = answering_with, None
        elif text and not value and opened is not None:
            heard = await self._read(staff, memory, text)
            if interrupts(heard, await self._waiting(staff, opened), text) \
                    and not await self._saved_already(opened):  # fmt: skip
                logger.info("Message read as another request (%s) while a dialog waits",
                            heard.intent.value)  # fmt: skip
                if doing is None:
                    # A question's child lookup loses nothing: do the new request at once.
                    await dc.cancel_all_dialogs()
                    memory.pop("pending", None)
                    await self._act_on_text(ctx, staff, memory, text, heard)
                    return True
                memory[OFFER] = {"kind": "interrupt", "text": text}
                await ctx.send_activity(reply_activity(interruption_card(doing)))
                return True
        result = await dc.continue_dialog()
        self._after_dialog(result, memory, ctx.activity)
        await self._after_ir_change(ctx, result)
        await self._answer_pending(ctx, staff, memory, result)
        return True

    async def _saved_already(self, opened: OpenDialog) -> bool:
        """The dialog's write was made, though its state did not say so (the bot stopped in
        between): the dialog itself says so, whatever the message (``IroDialog.parse_confirm``),
        rather than offering to carry on with something "not saved yet"."""
        if opened.save_key is None:
            return False
        async with self.services.answering() as uow:
            return await uow.saves.already_saved(opened.save_key) is not None

    async def _waiting(self, staff: StaffMember, opened: OpenDialog) -> Waiting:
        child = opened.child or {}
        names = " ".join(str(child.get(k) or "") for k in ("given_name", "family_name"))
        index = await self.caseload.index(staff, caseload.name_loader(self.services, staff))
        intents = frozenset().union(*(self._dialog_intents.get(i, frozenset())
                                      for i in opened.dialog_ids))  # fmt: skip
        return Waiting(
            intents=intents,
            child_names=frozenset(normalise_name(names).split()),
            child_id=child.get("child_id"),
            free_text=opened.free_text,
            known_names=index.name_tokens,
            asks_for_ir=opened.asks_for_ir,
            related=opened.related,
        )

    async def _answer_start_offer(
        self, ctx: TurnContext, staff: StaffMember, memory: dict[str, Any],
        offer: dict[str, Any], text: str, value: dict[str, Any] | None,
    ) -> bool:  # fmt: skip
        """The answer to "Do you want to start ...?" (a change asked about as a question): yes
        starts it, no starts nothing; anything else is read as a new message (False)."""
        if offer.get("kind") != "start":
            return False
        chosen = value.get(OFFER_KEY) if value else None
        answer = {YES_START: YES, NO_START: NO}.get(chosen) if chosen else yes_or_no(text)
        if answer == NO:
            await ctx.send_activity(NOT_STARTED)
            return True
        if answer != YES:
            return False
        said = str(offer.get("text") or "")
        heard = dataclasses.replace(await self._read(staff, memory, said), unsure=False)
        await self._act_on_text(ctx, staff, memory, said, heard)
        return True

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        # Teams also sends conversationUpdate (membersAdded) for the same install, which
        # welcomes; here the reference is kept and the roster read, without a second welcome.
        await self._identify_and_remember(turn_context, refuse=False)
        await learn_from_roster(turn_context, self.services)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        # Whoever joined, the roster may hold staff the bot could not reach before.
        await learn_from_roster(turn_context, self.services)
        recipient = turn_context.activity.recipient
        # Welcome once, when the bot itself joins a personal chat (not a whole team).
        conversation_type = getattr(turn_context.activity.conversation, "conversation_type", None)
        bot_joined = any(m.id == recipient.id for m in members_added)
        if bot_joined and conversation_type in (None, "personal"):
            staff = await self._identify_and_remember(turn_context, refuse=False)
            await self._welcome(turn_context, staff)

    # -- acting on a message -----------------------------------------------------------------

    async def _act(
        self, ctx: TurnContext, staff: StaffMember, memory: dict[str, Any], heard: Understanding,
        text: str, chosen_pk: int | None,
    ) -> None:  # fmt: skip
        found = route(heard.intent)  # the route table, consulted once per message
        if found.reply is not None:
            reply = found.reply(staff)
            await ctx.send_activity(reply_activity(reply.card, reply.text))
            return
        if found.change is not None and not may_ever_change(staff, found.change):
            # The role may never make this change: say who can, before looking anyone up.
            await ctx.send_activity(
                f"{refusal(found.change)} {instead(found.change)} Nothing was saved.")
            return
        if found.ir_move is not None and not may_ever_act_on_ir(staff, found.ir_move):
            # Nor this IR move: who can, before any IR is looked up.
            await ctx.send_activity(f"{ir_refusal(found.ir_move)} Nothing was changed.")
            return
        if heard.ir_ref is not None:
            memory["last_ir"] = heard.ir_ref  # the IR last named: "escalate it" next
        if heard.date_error and heard.intent is not Intent.DUE_FOR_ME:
            await ctx.send_activity(heard.date_error)
            if found.dialog is None:
                return
        if found.dialog is not None and heard.unsure:
            # A change asked about as a question: ask before starting it, never assume.
            doing = getattr(self.dialogs.find_dialog(found.dialog), "doing", "that")
            child = heard.child.text if heard.child and heard.child.kind is not \
                ChildRefKind.PRONOUN else None  # fmt: skip
            memory[OFFER] = {"kind": "start", "text": text}
            await ctx.send_activity(reply_activity(want_to_start_card(
                f"{doing} for {child}" if child else doing)))  # fmt: skip
            return
        if found.dialog is not None:
            await self._begin(ctx, memory, heard, found.dialog, chosen_pk)
            return
        assert found.answer is not None, f"the route for {heard.intent} answers somehow"

        # The turn's state (the child asked about) is written with the answer's audit entries,
        # both or neither, before the answer is sent; nothing the turn does later changes it.
        # (Another state storage: answering() writes the entries, botbuilder the state.)
        state = self.conversation_state
        sql_state = state if isinstance(state, SqlConversationState) else None
        try:
            async with self.services.answering() as uow:
                reply = await self._answer(ctx, uow, staff, memory, heard, text, chosen_pk,
                                           found)  # fmt: skip
                audits = take_held_audits(uow.session) if sql_state else []
            if sql_state:
                await sql_state.save_changes_with(ctx, audits)
        except StorageConflictError:
            # Another turn of this conversation saved first: nothing of this one is kept, the
            # read is not shown (so not audited), and the user is asked to resend.
            logger.info("State conflict in conversation; asked the user to resend")
            await ctx.send_activity(BUSY)
            return
        if reply is not None:
            await ctx.send_activity(reply_activity(reply.card, reply.text))

    async def _begin(
        self, ctx: TurnContext, memory: dict[str, Any], heard: Understanding, dialog_id: str,
        chosen_pk: int | None,
    ) -> None:  # fmt: skip
        """Start the dialog that makes the change, with what the message already said."""
        child_pk = chosen_pk
        child_text = None
        if child_pk is None and heard.child is not None:
            if heard.child.kind is ChildRefKind.PRONOUN:
                child_pk = heard.child.child.pk if heard.child.child else None
            else:
                child_text = heard.child.text
        options = {
            "child_pk": child_pk,
            "child_text": child_text,
            "date": heard.date.isoformat() if heard.date and not heard.date_error else None,
            "part": heard.part.value if heard.part else None,
            "reason": heard.reason,
            "stage": heard.stage,
            "reasons": list(heard.ir_reasons),
            "paperwork": list(heard.paperwork) or None,
            "field": heard.review_field,
        }
        move = route(heard.intent).ir_move
        if move is not None:
            options = ir_action_options(heard, move)
        dc = await self.dialogs.create_context(ctx)
        self._heard_from_user(memory)
        result = await dc.begin_dialog(dialog_id, options)
        self._after_dialog(result, memory, ctx.activity)
        await self._after_ir_change(ctx, result)

    async def _answer(
        self, ctx: TurnContext, uow: SqlUnitOfWork, staff: StaffMember,
        memory: dict[str, Any], heard: Understanding, text: str, chosen_pk: int | None,
        found: Route,
    ) -> answers.Reply | None:  # fmt: skip
        assert found.answer is not None
        child = None
        if found.needs_child or (found.child_if_named and heard.child is not None):
            child = await self._child_for(ctx, uow, staff, memory, heard, text, chosen_pk)
            if child is None:
                return None
            # Ids only: bot state is stored (and may be logged by a driver), names are not kept.
            memory["last_child"] = {"pk": child.pk, "child_id": child.child_id}
        asked = answers.Asked(uow, self.services.rules, staff, heard, self.services.today(),
                              child)  # fmt: skip
        reply = await found.answer(asked)
        if reply is not None and reply.about_ir is not None:
            memory["last_ir"] = reply.about_ir  # kept with this answer's state: "escalate it"
        return reply

    async def _child_for(
        self, ctx: TurnContext, uow: SqlUnitOfWork, staff: StaffMember,
        memory: dict[str, Any], heard: Understanding, text: str, chosen_pk: int | None,
    ) -> ChildSummary | None:  # fmt: skip
        """The one child the message means, or None after saying why (never a guess)."""
        pk = chosen_pk
        ref = heard.child
        if pk is None and ref is None:
            await ctx.send_activity(ASK_WHICH_CHILD)
            return None
        if pk is None and ref is not None and ref.kind is ChildRefKind.PRONOUN:
            if ref.child is None:
                await ctx.send_activity("I'm not sure which child you mean: please give a name.")
                return None
            pk = ref.child.pk
        if pk is None and ref is not None:
            index = await self.caseload.index(
                staff, lambda: caseload.candidate_names(uow, staff)
            )
            found = resolve_child(ref.text, index)
            if found.kind is ResolutionKind.AMBIGUOUS or found.suggestions:
                # The one child lookup every dialog starts with: a choice, or "did you mean",
                # asked until a child is chosen; then the question kept here is answered.
                memory["pending"] = {"text": text}
                self._heard_from_user(memory)
                dc = await self.dialogs.create_context(ctx)
                await dc.begin_dialog(CHILD_FOR_QUESTION, {
                    "child_pk": None, "child_text": ref.text, "question": ASK_WHICH_CHILD,
                })  # fmt: skip
                return None
            if found.kind is ResolutionKind.NONE:
                await ctx.send_activity(no_child_for_question(ref.text))
                return None
            assert found.child is not None  # MATCH carries its child
            pk = found.child.pk
            if found.namesakes:
                await ctx.send_activity(namesakes_note(
                    found.child.full_name or found.child.child_id, found.child.child_id,
                    [(c.full_name or c.child_id, c.child_id) for c in found.namesakes],
                ))  # fmt: skip
        child = await caseload.visible_child(uow, staff, pk)
        if child is None:
            # Not visible (or gone): the same answer either way, and audited.
            await ctx.send_activity(answers.CHILD_NOT_VISIBLE)
            return None
        return child

    async def _answer_pending(
        self, ctx: TurnContext, staff: StaffMember, memory: dict[str, Any], result: Any
    ) -> None:
        """After the child lookup of a question ends with a child: answer the question kept."""
        if result is None or result.status is not DialogTurnStatus.Complete:
            return
        outcome = result.result if isinstance(result.result, dict) else {}
        chosen = outcome.get("asked_about")
        pending = memory.pop("pending", None)
        if not isinstance(chosen, dict) or not pending:
            return
        heard = understand(pending["text"], self.services.today(), None, self.services.rules)
        await self._act(ctx, staff, memory, heard, pending["text"], chosen_pk=int(chosen["pk"]))

    def _after_dialog(self, result: Any, memory: dict[str, Any], activity: Activity) -> None:
        if result is not None and result.status is DialogTurnStatus.Complete:
            outcome = result.result if isinstance(result.result, dict) else {}
            if outcome.get("child"):
                memory["last_child"] = outcome["child"]
            if isinstance(outcome.get("reference"), str):
                memory["last_ir"] = outcome["reference"]  # "escalate it" means this IR now
            if outcome.get("saved") and not outcome.get("replayed"):
                # For the next message only: the same one again means the user never saw this.
                memory[FINISHED_BY] = {"digest": message_digest(activity),
                                       "reference": outcome.get("reference")}  # fmt: skip

    async def _after_ir_change(self, ctx: TurnContext, result: Any) -> None:
        """A dialog that moved an IR (``"ir_changed"`` in its result): every sent copy of the
        IR's card is brought up to date, as after a press of one of its buttons."""
        if result is None or result.status is not DialogTurnStatus.Complete:
            return
        outcome = result.result if isinstance(result.result, dict) else {}
        reference = outcome.get("ir_changed")
        if not isinstance(reference, str):
            return
        try:
            await self._update_sent_cards(ctx, reference)
        except Exception as error:  # the action stands; the copies are fixed next time
            logger.warning("Updating sent IR cards failed: %s", type(error).__name__)

    # -- Adaptive Card actions (Action.Execute) -----------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        # adaptiveCard/action is answered here rather than through on_adaptive_card_invoke:
        # botbuilder 4.17's default path serialises the body, then CloudAdapter serialises it
        # again and the card action gets HTTP 500 (architecture.md, "Known traps"). A model
        # body is serialised once, by IroCloudAdapter.
        if turn_context.activity.name == ADAPTIVE_CARD_ACTION:
            return await self._card_action(turn_context)
        # No other invoke is offered (no messaging extension, task module, file consent or
        # sign-in): "not implemented", as botbuilder answers them, without botbuilder first
        # parsing a value nobody reads (a malformed one raised and failed the turn).
        return InvokeResponse(status=int(HTTPStatus.NOT_IMPLEMENTED))

    async def _card_action(self, ctx: TurnContext) -> InvokeResponse:
        """Do (or refuse) an IR card's action; answer with this user's view of the card.

        Always HTTP 200 with a card: a refusal, a stale click or a failure is explained on the
        card, never turned into an error Teams would show as "something went wrong".
        """
        staff = await self._identify_and_remember(ctx, refuse=False)
        if staff is None:
            return card_invoke_response(notice_card(UNKNOWN_USER))
        verb, data = card_action_value(ctx.activity.value)
        known = verb if verb in set(ir_actions.CardVerb) else "unknown"
        try:
            async with self.services.unit_of_work() as uow:
                # No verb at all is refused (and audited) there like an unknown one.
                result = await ir_actions.act_on_ir(uow, self.services.rules, staff, verb or "",
                                                    data, self.services.today(), ir_notices)
        except Exception as error:  # the user gets an answer; the log gets no data
            logger.error("IR card action %s failed: %s", known, type(error).__name__)
            return card_invoke_response(notice_card(CARD_ACTION_FAILED))
        logger.info("IR card action %s: %s", known, result.outcome.value)
        if result.reference is not None and result.outcome is not ir_actions.Outcome.NOT_FOUND:
            try:
                await self._update_sent_cards(ctx, result.reference)
            except Exception as error:  # the action stands; the copies are fixed next time
                logger.warning("Updating sent IR cards failed: %s", type(error).__name__)
        message = action_message(result)
        if result.view is None:
            return card_invoke_response(notice_card(message or NOT_READABLE))
        notice = None
        if message is not None:
            tone = GOOD if result.outcome is ir_actions.Outcome.DONE else WARNING
            notice = (message, tone)
        return card_invoke_response(ir_card(result.view, result.rights, notice))

    async def _update_sent_cards(self, ctx: TurnContext, reference: str) -> None:
        """Cards stay true: edit in place every sent copy of the IR's card that shows an older
        version, each rendered for the person whose chat it is in (their buttons)."""
        async with self.services.unit_of_work() as uow:
            copies = await uow.irs.copies_to_update(reference)
            if not copies:
                return
            loaded = await ir_cards.load_ir_card(
                uow, self.services.rules, reference, self.services.today()
            )
            holders = await uow.irs.viewers([c.staff_id for c in copies])
        # The edits run concurrently and outside any transaction (no lock held over HTTP).
        edits: dict[asyncio.Task[bool], CardCopy] = {}
        for copy in copies:
            rights = card_rights(loaded.parties, holders.get(copy.staff_id))
            card = ir_card(loaded.view, rights)
            edits[asyncio.ensure_future(self._edit_card(ctx, copy, card))] = copy
        done, pending = await asyncio.wait(edits, timeout=CARD_UPDATE_BUDGET_SECONDS)
        for task in pending:
            task.cancel()
        edited = [edits[task].id for task in done if not task.cancelled() and task.result()]
        if pending:
            logger.warning("Left %d IR card copies to update later", len(pending))
        async with self.services.unit_of_work() as uow:
            await uow.irs.mark_updated(edited, loaded.view.version)

    async def _edit_card(self, ctx: TurnContext, copy: CardCopy, card: Card) -> bool:
        activity = reply_activity(card)
        activity.id = copy.activity_id
        reference = ConversationReference().deserialize(copy.conversation_reference())

        async def edit(turn: TurnContext) -> None:
            await turn.update_activity(activity)

        try:
            # With this turn's identity, so the edit is authenticated as the bot that was
            # addressed (the proactive path builds its connector from the claims).
            await ctx.adapter.continue_conversation(
                reference, edit, claims_identity=ctx.turn_state.get(BotAdapter.BOT_IDENTITY_KEY)
            )
        except Exception as error:  # one copy failing must not stop the others
            logger.warning(
                "Could not update an IR card (conversation=%s activity=%s): %s",
                copy.conversation_id, copy.activity_id, type(error).__name__,
            )  # fmt: skip
            return False
        return True

    # -- identity and conversation references ------------------------------------------------

    async def _identify_and_remember(
        self, ctx: TurnContext, *, refuse: bool = True
    ) -> StaffMember | None:
        activity = ctx.activity
        sender = activity.from_property
        aad = getattr(sender, "aad_object_id", None) if sender else None
        staff = self.recent_staff.get(aad) if aad else None
        if staff is not None and self._is_remembered(ctx, staff):
            return staff  # nothing to read or write: most turns of a conversation
        async with self.services.transaction() as session:
            staff_repo = SqlStaffRepository(session)
            if staff is None and aad:
                staff = await staff_repo.identify(aad, None)
                if staff is not None:
                    self.recent_staff.put(aad, staff)
            if staff is None and sender is not None:
                # A local terminal (`iro-bot chat`) vouches for its user in turn state, which
                # no HTTP request can set; Teams users are looked up in the roster.
                email = ctx.turn_state.get(TRUSTED_EMAIL) or await _email_from_teams(ctx)
                staff = await staff_repo.identify(None, email) if email else None
            if staff is None:
                await record_audit(session, "access.refused", actor_external_id=aad or (
                    sender.id if sender else None), outcome="refused",
                    detail={"activity": activity.type})  # fmt: skip
            else:
                await self._remember(session, ctx, staff)
        if staff is None:
            logger.info("Refused an unknown user (activity %s)", activity.type)
            if refuse:
                await ctx.send_activity(UNKNOWN_USER)
        return staff

    @staticmethod
    def _reference_key(ctx: TurnContext, staff: StaffMember) -> tuple[tuple[int, str], str]:
        """Which stored reference this turn's would replace, and what would change in it: read
        from the activity, as the reference would carry them, without serialising it (msrest:
        ~0.3 ms a turn) when it is already stored."""
        activity = ctx.activity
        conversation_id = str(getattr(activity.conversation, "id", None) or "")
        return (staff.id, conversation_id), f"{activity.service_url}|{activity.from_property.id}"

    def _is_remembered(self, ctx: TurnContext, staff: StaffMember) -> bool:
        key, fingerprint = self._reference_key(ctx, staff)
        return self._remembered.get(key) == fingerprint

    async def _remember(self, session: AsyncSession, ctx: TurnContext, staff: StaffMember) -> None:
        if self._is_remembered(ctx, staff):
            return
        key, fingerprint = self._reference_key(ctx, staff)
        serialised = TurnContext.get_conversation_reference(ctx.activity).serialize()
        teams_user_id = ctx.activity.from_property.id if ctx.activity.channel_id == "msteams" \
            else None  # fmt: skip
        await remember_conversation(session, staff.id, serialised, teams_user_id)
        self._remembered[key] = fingerprint
        while len(self._remembered) > 10000:
            self._remembered.popitem(last=False)

    async def _learn_group_roster_once(self, ctx: TurnContext) -> None:
        """The first message this process sees in a group chat or channel reads its roster
        (membership events can predate the bot's store, or not be sent at all)."""
        conversation = ctx.activity.conversation
        kind = getattr(conversation, "conversation_type", None)
        if kind in (None, "personal") or conversation.id in self._rosters_read:
            return
        self._rosters_read.add(conversation.id)
        await learn_from_roster(ctx, self.services)

    async def _welcome(self, ctx: TurnContext, staff: StaffMember | None) -> None:
        if staff is None:
            await ctx.send_activity(UNKNOWN_USER)
            return
        first = staff.display_name.split()[0] if staff.display_name else None
        await ctx.send_activity(reply_activity(welcome_card(first, staff)))



def card_action_value(value: Any) -> tuple[str | None, dict[str, Any]]:
    """The verb and data of an ``adaptiveCard/action`` invoke (``value.action``), or (None, {})
    when it is not an ``Action.Execute`` with a verb."""
    action = value.get("action") if isinstance(value, dict) else None
    if not isinstance(action, dict) or action.get("type") != "Action.Execute":
        return None, {}
    verb = action.get("verb")
    data = action.get("data")
    return (verb if isinstance(verb, str) and verb else None), (
        data if isinstance(data, dict) else {}
    )


def card_invoke_response(card: Card) -> InvokeResponse:
    """HTTP 200 with the card Teams shows in place of the one whose button was pressed.

    The body is an ``AdaptiveCardInvokeResponse`` model, not a dict: see on_invoke_activity.
    """
    return InvokeResponse(
        status=200,
        body=AdaptiveCardInvokeResponse(
            status_code=200, type=ADAPTIVE_CARD_CONTENT_TYPE, value=card
        ),
    )


async def _email_from_teams(ctx: TurnContext) -> str | None:
    """The sender's e-mail/UPN from the Teams roster, when the activity has no AAD id."""
    if ctx.activity.channel_id != "msteams":
        return None
    try:
        member = await TeamsInfo.get_member(ctx, ctx.activity.from_property.id)
    except Exception:  # the roster may be unavailable; the user is then unknown
        logger.info("TeamsInfo lookup failed; treating the sender as unknown")
        return None
    return getattr(member, "email", None) or getattr(member, "user_principal_name", None)


def _candidate(stored: dict[str, Any] | None) -> ChildCandidate | None:
    if not stored:
        return None
    return ChildCandidate(stored["pk"], stored["child_id"], None, None)


def _intent(stored: str | None) -> Intent | None:
    try:
        return Intent(stored) if stored else None
    except ValueError:
        return None


def _doing(opened: OpenDialog | None) -> str | None:
    """What the open dialog would leave unsaved, with its child: "recording a review for Jamie
    Smith"; None for a question's child lookup (nothing to lose)."""
    if opened is None or opened.doing is None:
        return None
    if opened.child:
        return f"{opened.doing} for {display_name(opened.child)}"
    return opened.doing


_CARRY_ON_WORDS = frozenset({"carry", "continue", "resume", "back", "finish", "keep", "stay"})
_SWITCH_WORDS = frozenset({"leave", "switch", "new", "drop", "instead", "discard", "abandon",
                           "ditch", "other", "skip"})  # fmt: skip
_ANSWER_WORDS = frozenset({"answer", "use", "meant"})


def _offer_choice(text: str, value: dict[str, Any] | None) -> str | None:
    """CARRY_ON, SWITCH, AS_ANSWER or None, from the card's button or the words typed."""
    if value and value.get(OFFER_KEY) in (CARRY_ON, SWITCH, AS_ANSWER):
        return str(value[OFFER_KEY])
    words = set(re.findall(r"[a-z]+", text.lower()))
    said = [choice for choice, cue in ((CARRY_ON, _CARRY_ON_WORDS), (SWITCH, _SWITCH_WORDS),
                                       (AS_ANSWER, _ANSWER_WORDS)) if words & cue]  # fmt: skip
    return said[0] if len(said) == 1 and len(words) <= 6 else None


def ir_action_options(heard: Understanding, move: IrMove) -> dict[str, Any]:
    """The IR action dialog's options from the message: the IR it names (or "it", which
    ``understand`` reads from the conversation's last IR), the action, the stage, the words."""
    return {"ir_ref": heard.ir_ref, "action": move.value, "stage": heard.stage,
            "text": heard.reason}  # fmt: skip


def _instant(stored: Any) -> datetime | None:
    if not isinstance(stored, str):
        return None
    try:
        return datetime.fromisoformat(stored)
    except ValueError:
        return None
