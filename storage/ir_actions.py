"""What a button on an IR card does: respond, decline, escalate, resolve, refer to Cafcass.

``act_on_ir`` is the one use case behind every ``Action.Execute`` on the IR card; ``view_ir``
is the card's refresh. Each call, in the caller's transaction:

1. **Finds the IR** named by the card data (``{"ir": reference, "version": n, ...inputs}``).
2. **Authorises against the store**, never the card: only the current stage's owner or their
   delegate may respond or decline; only the raising IRO or a QA manager may escalate, resolve
   or refer (``storage.ir_cards.may_answer`` / ``may_direct``, the same rules that decide the
   buttons). A forged or forwarded button is refused.
3. **Is idempotent by version.** The card carries the version it was rendered at; if the IR is
   no longer at that version (a second click, a replay, a card left open while the IR moved
   on), nothing is changed and the answer says what happened ("Already answered by Adele Vance
   on 3 December 2026"). Two clicks at the same moment both pass this check; ``save_ir``'s
   conditional update lets exactly one of them write and the other is answered the same way.
4. **Audits** every outcome: ``ir.<action>`` with ``outcome`` ok or refused (detail ``reason``:
   not_authorised, stale, invalid, not_found), ``ir.action`` refused (``unknown_verb``) for a
   verb the card does not have (or none at all), and ``ir.read`` for a refresh. Details hold ids,
   versions and stage keys, never free text.
5. **Enqueues the notifications** the move causes (``storage.ir_cards.enqueue_for_events``) in
   the same transaction, so they exist exactly when the change does.

The caller commits, then updates the card copies already sent (``storage.ir_cards``).
Messages here are shown to the member of staff as they are; they may name people and the
child, so they are never logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import issues_resolution as ir_model
from domain.errors import DomainError
from domain.formatting import long_date, short_date
from domain.ports import StaffMember, visibility_for
from domain.rules import RuleSet
from storage.actions import stage_owner_for
from storage.audit import record_audit
from storage.ir_cards import (
    NO_RIGHTS,
    CardRights,
    IrCardView,
    LoadedIrCard,
    card_rights,
    enqueue_for_events,
    load_ir_card,
    may_answer,
    may_direct,
)
from storage.models import Child, IssueResolution
from storage.repositories.ir_lists import may_read_ir
from storage.repositories.issues import IrConflict, IrNotFound, save_ir


class CardVerb(StrEnum):
    """The ``verb`` of each ``Action.Execute`` on the IR card."""

    REFRESH = "refresh"
    RESPOND = "ir.respond"
    DECLINE = "ir.decline"
    ESCALATE = "ir.escalate"
    RESOLVE = "ir.resolve"
    REFER = "ir.refer"


#: The verbs that answer the current stage; the others direct the IR.
ANSWERING = frozenset({CardVerb.RESPOND, CardVerb.DECLINE})
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


@dataclass(frozen=True)
class CardActionResult:
    outcome: Outcome
    #: What to tell the person who pressed the button (may name people and the child).
    message: str | None
    reference: str | None
    #: The IR as it is now, when this person may see it; None when they may not.
    view: IrCardView | None = None
    rights: CardRights = NO_RIGHTS
    #: The IR moved (a new version was saved): the sent copies of its card need updating.
    changed: bool = False


NOT_FOUND_MESSAGE = "I can't find that Issues Resolution, so nothing was changed."
NOT_READABLE = "This button didn't come through properly, so nothing was changed. Please ask " \
    'for the IR again, for example "status of IR-2026-0042".'  # fmt: skip


async def view_ir(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, data: Mapping[str, Any],
    today: date,
) -> CardActionResult:  # fmt: skip
    """The card's refresh: the IR as ``actor`` should see it now (their buttons), audited."""
    reference = _reference(data)
    if reference is None:
        return CardActionResult(Outcome.NOT_FOUND, NOT_READABLE, None)
    try:
        loaded = await load_ir_card(session, rules, reference, today)
    except IrNotFound:
        await _audit(session, "ir.read", actor, reference, "refused", reason="not_found")
        return CardActionResult(Outcome.NOT_FOUND, NOT_FOUND_MESSAGE, reference)
    if not await _may_see(session, loaded, actor):
        await _audit(session, "ir.read", actor, reference, "refused", reason="not_authorised")
        return CardActionResult(Outcome.REFUSED, "You can't see this Issues Resolution.",
                                reference)  # fmt: skip
    await _audit(session, "ir.read", actor, reference, "ok", version=loaded.view.version)
    return CardActionResult(Outcome.DONE, None, reference, loaded.view,
                            card_rights(loaded.parties, actor))  # fmt: skip


async def act_on_ir(
    session: AsyncSession, rules: RuleSet, actor: StaffMember, verb: str,
    data: Mapping[str, Any], today: date,
) -> CardActionResult:  # fmt: skip
    """Do what the button says, if ``actor`` may and the card is current. See the module doc."""
    try:
        action = CardVerb(verb)
    except ValueError:
        # Not a button the card has (a forged or garbled invoke): refused, and audited like any
        # refusal. The verb itself is caller-supplied text, so it is not recorded.
        reference = _reference(data)
        await _audit(session, "ir.action", actor, reference, "refused", reason="unknown_verb")
        return CardActionResult(Outcome.NOT_FOUND, NOT_READABLE, reference)
    if action is CardVerb.REFRESH:
        return await view_ir(session, rules, actor, data, today)
    reference, version = _reference(data), _version(data)
    audit_action = AUDIT_ACTION[action]
    if reference is None or version is None:
        await _audit(session, audit_action, actor, reference, "refused", reason="not_found")
        return CardActionResult(Outcome.NOT_FOUND, NOT_READABLE, reference)
    try:
        loaded = await load_ir_card(session, rules, reference, today)
    except IrNotFound:
        await _audit(session, audit_action, actor, reference, "refused", reason="not_found")
        return CardActionResult(Outcome.NOT_FOUND, NOT_FOUND_MESSAGE, reference)

    def answer(outcome: Outcome, message: str, now: LoadedIrCard = loaded,
               changed: bool = False) -> CardActionResult:  # fmt: skip
        return CardActionResult(outcome, message, reference, now.view,
                                card_rights(now.parties, actor), changed)  # fmt: skip

    current = loaded.view.version
    allowed = may_answer(loaded.parties, actor) if action in ANSWERING \
        else may_direct(loaded.parties, actor)  # fmt: skip
    if not allowed:
        was_party = action in ANSWERING and actor.id in loaded.parties.owner_ids
        if was_party and version != current:
            # A stage owner's card left open after the IR moved on to another stage: they were
            # entitled when it was shown, so say what happened rather than "not allowed".
            await _audit(session, audit_action, actor, reference, "refused", reason="stale",
                         version=version, current=current)  # fmt: skip
            return answer(Outcome.STALE, stale_message(loaded))
        await _audit(session, audit_action, actor, reference, "refused", reason="not_authorised",
                     version=version, current=current)  # fmt: skip
        message = refusal_message(action, loaded.view)
        if await _may_see(session, loaded, actor):
            return answer(Outcome.REFUSED, message)
        return CardActionResult(Outcome.REFUSED, message, reference)
    if version != current:
        await _audit(session, audit_action, actor, reference, "refused", reason="stale",
                     version=version, current=current)  # fmt: skip
        return answer(Outcome.STALE, stale_message(loaded))

    try:
        moved, events, done = await _move(session, rules, loaded, action, actor, data, today)
        new_version = await save_ir(session, moved, rules, expected_version=version)
    except IrConflict:
        # Someone else's change landed between our read and our write (a double click, or two
        # people at once): theirs stands, ours is not written.
        now = await load_ir_card(session, rules, reference, today)
        await _audit(session, audit_action, actor, reference, "refused", reason="stale",
                     version=version, current=now.view.version)  # fmt: skip
        return answer(Outcome.STALE, stale_message(now), now)
    except DomainError as error:
        await _audit(session, audit_action, actor, reference, "refused", reason="invalid",
                     version=version)  # fmt: skip
        return answer(Outcome.INVALID, f"{error} Nothing was changed.")
    await _audit(session, audit_action, actor, reference, "ok", version=version,
                 current=new_version, stage=moved.current_stage,
                 child_pk=loaded.child_pk)  # fmt: skip
    await enqueue_for_events(session, rules, reference, events, today)
    after = await load_ir_card(session, rules, reference, today)
    return answer(Outcome.DONE, done(after.view), after, changed=True)


# -- the moves -----------------------------------------------------------------------------------


async def _move(
    session: AsyncSession, rules: RuleSet, loaded: LoadedIrCard, action: CardVerb,
    actor: StaffMember, data: Mapping[str, Any], today: date,
) -> tuple[ir_model.IR, list[ir_model.IREvent], Callable[[IrCardView], str]]:  # fmt: skip
    """The domain's move for ``action``, and how to tell the actor it was done."""
    ir, by = loaded.ir, actor.email
    if action is CardVerb.RESPOND:
        moved, events = ir_model.respond(
            ir, rules, on=today, response=_text(data, Input.RESPONSE),
            target_date=_date(data.get(Input.TARGET_DATE)), by=by,
        )  # fmt: skip
        return moved, events, _responded
    if action is CardVerb.DECLINE:
        reason = _text(data, Input.DECLINE_REASON)
        moved, events = ir_model.decline(ir, rules, on=today, reason=reason, by=by)
        return moved, events, _declined
    if action is CardVerb.ESCALATE:
        stage = rules.stage(_text(data, Input.TO_STAGE) or ir.current_stage)
        child = await session.get(Child, loaded.child_pk) if loaded.child_pk else None
        owner = await stage_owner_for(session, rules, child, stage.key) if child else None
        moved, events = ir_model.escalate(
            ir, rules, to_stage=stage.key, on=today, reason=_text(data, Input.ESCALATE_REASON),
            owner=owner.email if owner else None, by=by,
        )  # fmt: skip
        return moved, events, _escalated
    if action is CardVerb.RESOLVE:
        outcome = _text(data, Input.OUTCOME)
        moved, events = ir_model.resolve(ir, rules, on=today, outcome=outcome, by=by)
        return moved, events, _resolved
    moved, events = ir_model.refer_to_cafcass(ir, rules, on=today, by=by)
    return moved, events, _referred


def _responded(view: IrCardView) -> str:
    return f"Your response is recorded. {view.iro_name} has been told."


def _declined(view: IrCardView) -> str:
    return f"Your decision to decline is recorded. {view.iro_name} has been told."


def _resolved(view: IrCardView) -> str:
    return f"{view.reference} is resolved. Everyone who had its card now sees it resolved."


def _referred(view: IrCardView) -> str:
    on = view.cafcass_referred_on
    return f"The referral to Cafcass on {short_date(on)} is recorded." if on else "Recorded."


def _escalated(view: IrCardView) -> str:
    if view.owner_name is None:
        return (f"Escalated to {view.stage_name}. No {view.owner_title} is recorded to answer "
                "it: please tell the QA & Safeguarding team.")  # fmt: skip
    due = f" by {long_date(view.response_due)}" if view.response_due else ""
    return (f"Escalated to {view.stage_name}. {view.owner_name} ({view.owner_title}) has been "
            f"sent the IR and must respond{due}.")  # fmt: skip


# -- what to say ---------------------------------------------------------------------------------


def stale_message(loaded: LoadedIrCard) -> str:
    """What happened since the card was shown, then that nothing was changed."""
    return f"{what_happened(loaded)} Nothing was changed: the card now shows the latest."


def what_happened(loaded: LoadedIrCard) -> str:
    """The IR's latest step, in a sentence ("Already answered by Adele Vance on ...")."""
    ir, view = loaded.ir, loaded.view
    if ir.is_resolved and ir.resolved_on is not None:
        return f"This IR was resolved on {short_date(ir.resolved_on)} at " \
            f"{view.resolved_at_stage_name}."  # fmt: skip
    entry = ir.current_entry
    if entry.responded_on is not None:
        who = view.current.responded_by_name or f"the {view.owner_title}"
        answered = "declined" if entry.declined else "answered"
        return f"Already {answered} by {who} on {short_date(entry.responded_on)}."
    if len(ir.history) > 1:
        waiting = f", where it is waiting for {view.owner_name}" if view.owner_name else ""
        return f"It was escalated to {view.stage_name} on {short_date(entry.entered_on)}" \
            f"{waiting}."  # fmt: skip
    if ir.cafcass_referred_on is not None:
        return f"It was referred to Cafcass on {short_date(ir.cafcass_referred_on)}."
    return "It has changed since this card was shown."


def refusal_message(action: CardVerb, view: IrCardView) -> str:
    if action in ANSWERING:
        return (f"Only the {view.owner_title} answering {view.stage_name} of this IR, or their "
                "delegate, can respond to it, so nothing was changed.")  # fmt: skip
    return ("Only the IRO who raised this IR, or a QA manager, can escalate, resolve or refer "
            "it, so nothing was changed.")  # fmt: skip


# -- reading the card data -----------------------------------------------------------------------


#: No reference is longer than the column that holds them ("IR-2026-0042").
_REFERENCE_LENGTH = IssueResolution.__table__.c.reference.type.length


def _reference(data: Mapping[str, Any]) -> str | None:
    value = data.get("ir")
    if not isinstance(value, str) or not value.strip() or len(value) > _REFERENCE_LENGTH:
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


async def _may_see(session: AsyncSession, loaded: LoadedIrCard, actor: StaffMember) -> bool:
    """May ``actor`` see this IR at all (the view without buttons)? The parties always may;
    anyone else by the IR's own read rule (the child's visibility)."""
    parties = loaded.parties
    if actor.id in (parties.raised_by_id, parties.owner_delegate_id, *parties.owner_ids):
        return True
    if may_direct(parties, actor):
        return True
    return await may_read_ir(session, loaded.view.reference, actor.id, visibility_for(actor))


async def _audit(
    session: AsyncSession, action: str, actor: StaffMember, reference: str | None, outcome: str,
    **detail: Any,
) -> None:  # fmt: skip
    kept = {k: v for k, v in detail.items() if v is not None}
    await record_audit(session, action, actor_staff_id=actor.id, entity_type="ir",
                       entity_id=reference, outcome=outcome, detail=kept or None)  # fmt: skip
