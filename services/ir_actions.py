"""What a button on an IR card does: respond, decline, escalate, resolve, refer to Cafcass.

``act_on_ir`` is the one use case behind every ``Action.Execute`` on the IR card; ``view_ir``
is the card's refresh. Each call, in the caller's transaction:

1. **Finds the IR** named by the card data (``{"ir": reference, "version": n, ...inputs}``).
2. **Authorises against the store**, never the card: only the current stage's owner or their
   delegate may respond or decline; only the raising IRO or a QA manager may escalate, resolve
   or refer (``domain.permissions.may_answer`` / ``may_direct``, the same rules that decide
   the buttons). A forged or forwarded button is refused.
3. **Is idempotent by version.** The card carries the version it was rendered at; if the IR is
   no longer at that version (a second click, a replay, a card left open while the IR moved
   on), nothing is changed and the answer says what happened ("Already answered by Adele Vance
   on 3 December 2026"). Two clicks at the same moment both pass this check; ``save_ir``'s
   conditional update lets exactly one of them write and the other is answered the same way.
4. **Audits** every outcome: ``ir.<action>`` with ``outcome`` ok or refused (detail ``reason``:
   not_authorised, stale, invalid, not_found), ``ir.action`` refused (``unknown_verb``) for a
   verb the card does not have (or none at all), and ``ir.read`` for a refresh. Details hold ids,
   versions and stage keys, never free text.
5. **Enqueues the notifications** the move causes (``services.ir_cards.enqueue_for_events``) in
   the same transaction, so they exist exactly when the change does.

The caller commits, then updates the card copies already sent. The result is data: what the
person who pressed the button is told is ``cards.ir_wording.action_message``.

The same actions typed in chat (``dialogs/ir_action.py``) are this use case too: before asking
anything, ``preview_action`` makes the same checks read-only (and the state machine's own
refusals), and with the inputs says what the move would do (an escalation's new owner and due
dates); the confirmed write is one ``act_on_ir`` expecting the version the summary was shown at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from domain import issues_resolution as ir_model
from domain.errors import DomainError
from domain.permissions import (
    ANSWERING_MOVES,
    NO_RIGHTS,
    CardRights,
    card_rights,
    may_answer,
    may_direct,
    visibility_for,
)
from domain.ports import StaffMember
from domain.rules import RuleSet
from services.ir_cards import (
    IrCardView,
    LoadedIrCard,
    NoticeWording,
    enqueue_for_events,
    load_ir_card,
)
from services.irs import stage_owner_for
from services.unit_of_work import UnitOfWork
from storage.repositories.ir_records import REFERENCE_LENGTH
from storage.repositories.issues import IrConflict, IrNotFound


class CardVerb(StrEnum):
    """The ``verb`` of each ``Action.Execute`` on the IR card."""

    REFRESH = "refresh"
    RESPOND = "ir.respond"
    DECLINE = "ir.decline"
    ESCALATE = "ir.escalate"
    RESOLVE = "ir.resolve"
    REFER = "ir.refer"


#: The verbs that answer the current stage (the moves ``domain.permissions`` says answer it);
#: the others direct the IR.
ANSWERING = frozenset(CardVerb[move.name] for move in ANSWERING_MOVES)
#: Audit action per verb.
AUDIT_ACTION = {
    CardVerb.RESPOND: "ir.respond",
    CardVerb.DECLINE: "ir.decline",
    CardVerb.ESCALATE: "ir.escalate",
    CardVerb.RESOLVE: "ir.resolve",
    CardVerb.REFER: "ir.refer_cafcass",
}


class Input:
    """Ids of the inputs on the IR card; Teams merges their values into the action's data."""

    RESPONSE = "response"
    TARGET_DATE = "target_date"
    DECLINE_REASON = "decline_reason"
    TO_STAGE = "to_stage"
    ESCALATE_REASON = "escalate_reason"
    OUTCOME = "outcome"


class Outcome(StrEnum):
    DONE = "done"  # the IR changed (or, for a refresh, was shown)
    REFUSED = "refused"  # this person may not do this
    STALE = "stale"  # the card was out of date: nothing changed
    INVALID = "invalid"  # the inputs or the move broke a rule: nothing changed
    NOT_FOUND = "not_found"  # no such IR, or a button without one


class Why(StrEnum):
    """Why nothing was done (with the outcome), for the wording."""

    NOT_READABLE = "not_readable"  # no verb, an unknown one, or no reference or version
    NO_SUCH_IR = "no_such_ir"
    CANNOT_SEE = "cannot_see"  # a refresh by someone who may not see the IR
    NOT_AUTHORISED = "not_authorised"


@dataclass(frozen=True)
class CardActionResult:
    outcome: Outcome
    reference: str | None
    #: The IR as it is now, when this person may see it; None when they may not.
    view: IrCardView | None = None
    rights: CardRights = NO_RIGHTS
    #: The IR moved (a new version was saved): the sent copies of its card need updating.
    changed: bool = False
    action: CardVerb | None = None
    why: Why | None = None
    #: The IR as stored now (for saying what happened since a stale card was shown).
    ir: ir_model.IR | None = None
    #: The rule a move broke (INVALID): a DomainError's message, written for people.
    error: str | None = None
    #: The current stage's name and its owner's title (for a refusal, even without the view).
    stage_name: str | None = None
    owner_title: str | None = None


async def view_ir(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, data: Mapping[str, Any],
    today: date,
) -> CardActionResult:  # fmt: skip
    """The card's refresh: the IR as ``actor`` should see it now (their buttons), audited."""
    reference = _reference(data)
    if reference is None:
        return CardActionResult(Outcome.NOT_FOUND, None, why=Why.NOT_READABLE)
    try:
        loaded = await load_ir_card(uow, rules, reference, today)
    except IrNotFound:
        await _audit(uow, "ir.read", actor, reference, "refused", reason="not_found")
        return CardActionResult(Outcome.NOT_FOUND, reference, why=Why.NO_SUCH_IR)
    if not await _may_see(uow, loaded, actor):
        await _audit(uow, "ir.read", actor, reference, "refused", reason="not_authorised")
        return CardActionResult(Outcome.REFUSED, reference, why=Why.CANNOT_SEE)
    await _audit(uow, "ir.read", actor, reference, "ok", version=loaded.view.version)
    rights = card_rights(loaded.parties, actor)
    return CardActionResult(Outcome.DONE, reference, loaded.view, rights, action=CardVerb.REFRESH)


async def act_on_ir(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, verb: str,
    data: Mapping[str, Any], today: date, wording: NoticeWording,
) -> CardActionResult:  # fmt: skip
    """Do what the button says, if ``actor`` may and the card is current. See the module doc."""
    try:
        action = CardVerb(verb)
    except ValueError:
        # Not a button the card has (a forged or garbled invoke): refused, and audited like any
        # refusal. The verb itself is caller-supplied text, so it is not recorded.
        reference = _reference(data)
        await _audit(uow, "ir.action", actor, reference, "refused", reason="unknown_verb")
        return CardActionResult(Outcome.NOT_FOUND, reference, why=Why.NOT_READABLE)
    if action is CardVerb.REFRESH:
        return await view_ir(uow, rules, actor, data, today)
    reference, version = _reference(data), _version(data)
    audit_action = AUDIT_ACTION[action]
    if reference is None or version is None:
        await _audit(uow, audit_action, actor, reference, "refused", reason="not_found")
        return CardActionResult(Outcome.NOT_FOUND, reference, action=action,
                                why=Why.NOT_READABLE)  # fmt: skip
    try:
        loaded = await load_ir_card(uow, rules, reference, today)
    except IrNotFound:
        await _audit(uow, audit_action, actor, reference, "refused", reason="not_found")
        return CardActionResult(Outcome.NOT_FOUND, reference, action=action, why=Why.NO_SUCH_IR)

    def answer(outcome: Outcome, now: LoadedIrCard = loaded, changed: bool = False,
               why: Why | None = None, error: str | None = None) -> CardActionResult:  # fmt: skip
        return CardActionResult(outcome, reference, now.view, card_rights(now.parties, actor),
                                changed, action, why, now.ir, error, now.view.stage_name,
                                now.view.owner_title)  # fmt: skip

    current = loaded.view.version
    if not _allowed(loaded, action, actor):
        was_party = action in ANSWERING and actor.id in loaded.parties.owner_ids
        if was_party and version != current:
            # A stage owner's card left open after the IR moved on to another stage: they were
            # entitled when it was shown, so say what happened rather than "not allowed".
            await _audit(uow, audit_action, actor, reference, "refused", reason="stale",
                         version=version, current=current)  # fmt: skip
            return answer(Outcome.STALE)
        await _audit(uow, audit_action, actor, reference, "refused", reason="not_authorised",
                     version=version, current=current)  # fmt: skip
        if await _may_see(uow, loaded, actor):
            return answer(Outcome.REFUSED, why=Why.NOT_AUTHORISED)
        return CardActionResult(Outcome.REFUSED, reference, action=action,
                                why=Why.NOT_AUTHORISED, stage_name=loaded.view.stage_name,
                                owner_title=loaded.view.owner_title)  # fmt: skip
    if version != current:
        await _audit(uow, audit_action, actor, reference, "refused", reason="stale",
                     version=version, current=current)  # fmt: skip
        return answer(Outcome.STALE)

    try:
        moved, events, _ = await _move(uow, rules, loaded, action, actor, data, today)
        new_version = await uow.irs.save(moved, rules, expected_version=version)
    except IrConflict:
        # Someone else's change landed between our read and our write (a double click, or two
        # people at once): theirs stands, ours is not written.
        now = await load_ir_card(uow, rules, reference, today)
        await _audit(uow, audit_action, actor, reference, "refused", reason="stale",
                     version=version, current=now.view.version)  # fmt: skip
        return answer(Outcome.STALE, now)
    except DomainError as error:
        await _audit(uow, audit_action, actor, reference, "refused", reason="invalid",
                     version=version)  # fmt: skip
        return answer(Outcome.INVALID, error=str(error))
    await _audit(uow, audit_action, actor, reference, "ok", version=version,
                 current=new_version, stage=moved.current_stage,
                 child_pk=loaded.child_pk)  # fmt: skip
    await enqueue_for_events(uow, rules, reference, events, today, wording)
    after = await load_ir_card(uow, rules, reference, today)
    return answer(Outcome.DONE, after, changed=True)


# -- before an action is confirmed in chat --------------------------------------------------------

#: The state machine's action behind each verb (both answers are the stage's response).
_DOMAIN_ACTION = {
    CardVerb.RESPOND: ir_model.IRAction.RESPOND,
    CardVerb.DECLINE: ir_model.IRAction.RESPOND,
    CardVerb.ESCALATE: ir_model.IRAction.ESCALATE,
    CardVerb.RESOLVE: ir_model.IRAction.RESOLVE,
    CardVerb.REFER: ir_model.IRAction.REFER_TO_CAFCASS,
}


@dataclass(frozen=True)
class ActionPreview:
    """What a conversation may say before an action is confirmed (``preview_action``)."""

    #: Why it cannot be done, as ``act_on_ir`` would answer (``cards.ir_wording`` says it);
    #: None when it may. An IR the actor may not see is NOT_FOUND, as one that does not exist.
    refused: CardActionResult | None
    #: The IR now; its version is the one the write must find (else it is answered as stale).
    view: IrCardView | None = None
    #: With the inputs, escalating: who will answer at the new stage (None: nobody recorded),
    #: by when, and (a formal IR) by when it must be resolved.
    owner: StaffMember | None = None
    response_due: date | None = None
    formal_due: date | None = None


async def preview_action(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, verb: str, reference: str,
    today: date, data: Mapping[str, Any] | None = None,
) -> ActionPreview:  # fmt: skip
    """May ``actor`` do ``verb`` to the IR now, and (with ``data``, the inputs as the card
    sends them) what would it do? The checks ``act_on_ir`` makes, and the state machine's own
    refusals ("Stage 1 already responded ..."), so a chat can say so before asking anything.
    Reads only (the move is tried, never saved); audited as a read of the IR."""
    action = CardVerb(verb)
    hidden = ActionPreview(CardActionResult(Outcome.NOT_FOUND, reference, action=action,
                                            why=Why.NO_SUCH_IR))  # fmt: skip
    try:
        loaded = await load_ir_card(uow, rules, reference, today)
    except IrNotFound:
        await _audit(uow, "ir.read", actor, reference, "refused", reason="not_found")
        return hidden
    if not await _may_see(uow, loaded, actor):
        await _audit(uow, "ir.read", actor, reference, "refused", reason="not_authorised")
        return hidden
    await _audit(uow, "ir.read", actor, reference, "ok", version=loaded.view.version)

    def refused(outcome: Outcome, why: Why | None = None,
                error: str | None = None) -> ActionPreview:  # fmt: skip
        view = loaded.view
        return ActionPreview(CardActionResult(
            outcome, reference, view, card_rights(loaded.parties, actor), action=action, why=why,
            ir=loaded.ir, error=error, stage_name=view.stage_name, owner_title=view.owner_title,
        ), view)  # fmt: skip

    if not _allowed(loaded, action, actor):
        return refused(Outcome.REFUSED, Why.NOT_AUTHORISED)
    try:
        ir_model.check_allowed(loaded.ir, rules, _DOMAIN_ACTION[action])
        if data is None:
            return ActionPreview(None, loaded.view)
        _, events, owner = await _move(uow, rules, loaded, action, actor, data, today)
    except DomainError as error:
        return refused(Outcome.INVALID, error=str(error))
    escalated = next((e for e in events if isinstance(e, ir_model.IssueEscalated)), None)
    if escalated is None:
        return ActionPreview(None, loaded.view)
    return ActionPreview(None, loaded.view, owner, escalated.response_due, escalated.formal_due)


# -- the moves ----------------------------------------------------------------------------------


async def _move(
    uow: UnitOfWork, rules: RuleSet, loaded: LoadedIrCard, action: CardVerb,
    actor: StaffMember, data: Mapping[str, Any], today: date,
) -> tuple[ir_model.IR, list[ir_model.IREvent], StaffMember | None]:  # fmt: skip
    """The domain's move for ``action``, and (escalating) who will answer at the new stage."""
    ir, by = loaded.ir, actor.email
    if action is CardVerb.RESPOND:
        return *ir_model.respond(
            ir, rules, on=today, response=_text(data, Input.RESPONSE),
            target_date=_date(data.get(Input.TARGET_DATE)), by=by,
        ), None  # fmt: skip
    if action is CardVerb.DECLINE:
        reason = _text(data, Input.DECLINE_REASON)
        return *ir_model.decline(ir, rules, on=today, reason=reason, by=by), None
    if action is CardVerb.ESCALATE:
        stage = rules.stage(_text(data, Input.TO_STAGE) or ir.current_stage)
        child = await uow.irs.child_row(loaded.child_pk)
        owner = await stage_owner_for(uow, rules, child, stage.key) if child else None
        return *ir_model.escalate(
            ir, rules, to_stage=stage.key, on=today, reason=_text(data, Input.ESCALATE_REASON),
            owner=owner.email if owner else None, by=by,
        ), owner  # fmt: skip
    if action is CardVerb.RESOLVE:
        outcome = _text(data, Input.OUTCOME)
        return *ir_model.resolve(ir, rules, on=today, outcome=outcome, by=by), None
    return *ir_model.refer_to_cafcass(ir, rules, on=today, by=by), None


def _allowed(loaded: LoadedIrCard, action: CardVerb, actor: StaffMember) -> bool:
    """The store's rule, never the card's: the stage's owner or delegate answers; the raising
    IRO or a QA manager directs."""
    if action in ANSWERING:
        return may_answer(loaded.parties, actor)
    return may_direct(loaded.parties, actor)


# -- reading the card data ------------------------------------------------------------------------


def _reference(data: Mapping[str, Any]) -> str | None:
    value = data.get("ir")
    if not isinstance(value, str) or not value.strip() or len(value) > REFERENCE_LENGTH:
        return None  # a longer one names no IR (and PostgreSQL would refuse to compare it)
    return value.strip()


def _version(data: Mapping[str, Any]) -> int | None:
    value = data.get("version")
    if isinstance(value, bool):
        return None
    try:
        return int(value)  # Teams keeps numbers as numbers; a string is tolerated
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return None


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _date(value: Any) -> date | None:
    """Input.Date sends ISO dates (YYYY-MM-DD); empty means no date was chosen."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise DomainError(
            "The target date didn't come through as a date. Please choose it again."
        ) from None


async def _may_see(uow: UnitOfWork, loaded: LoadedIrCard, actor: StaffMember) -> bool:
    """May ``actor`` see this IR at all (the view without buttons)? The parties always may;
    anyone else by the IR's own read rule (the child's visibility)."""
    if loaded.parties.names(actor) or may_direct(loaded.parties, actor):
        return True
    return await uow.irs.may_read(loaded.view.reference, actor.id, visibility_for(actor))


async def _audit(
    uow: UnitOfWork, action: str, actor: StaffMember, reference: str | None, outcome: str,
    **detail: Any,
) -> None:  # fmt: skip
    kept = {k: v for k, v in detail.items() if v is not None}
    await uow.audit.record(action, actor_staff_id=actor.id, entity_type="ir",
                       entity_id=reference, outcome=outcome, detail=kept or None)  # fmt: skip
