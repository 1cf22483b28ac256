"""The IR card's data, who may act on it, the notifications an IR move causes, and the registry
of sent cards that lets every copy be updated in place ("Cards stay true").

What lives here, and why in ``storage``:

- ``IrCardView``: everything the IR card shows, read from the store in one place
  (``load_ir_card``). ``cards/ir_card.py`` turns it into an Adaptive Card; it needs no
  session, so the card builder stays a pure function.
- ``IrParties`` and the rights functions: who may answer a stage (its owner or the owner's
  delegate) and who may direct the IR (the raising IRO or a QA manager). The same functions
  decide which buttons a card shows and whether a click is allowed, so the two cannot disagree.
- ``enqueue_for_events``: the domain's events turned into outbox rows, in the caller's
  transaction (the change and its notifications commit together or not at all).
- The registry (``ir_card_messages``) and the two hooks a dispatcher calls around a send:

  ``prepare_delivery(session, rules, payload=..., recipient_staff_id=..., today=..., render=...)``
      before sending: for an IR card notification (``payload["ir_card"]``), returns the payload
      with ``"card"`` rendered *now*, for that recipient, and ``"ir_version"`` set to the version
      it shows. Rendering at send time (not at enqueue time) means a notification that waited
      in the outbox while the IR moved on is still delivered true. Any other payload is returned
      unchanged, so a dispatcher may call it for every notification.
  ``record_delivery(session, payload=..., recipient_staff_id=..., conversation_id=...,
  activity_id=..., service_url=...)``
      after a successful send, with the payload as prepared: remembers where the card went so
      later moves can edit it. A no-op for anything that is not an IR card; recording the same
      message twice is harmless. Returns True when the copy is already behind the IR (it moved
      on between rendering and recording); ``copies_to_update`` lists it too, so the next
      action or refresh of that IR's card edits it.

  ``IrCardHooks(rules, today, render)`` wraps both in the shape of ``bot.workers.dispatcher``'s
  ``DispatchHooks(prepare=..., on_sent=...)``.

Payloads (JSON, see ``storage/outbox.py``): an IR card notification is
``{"ir_reference", "ir_version", "ir_card": true, "summary", "text"}``; ``text`` is a plain
fallback a dispatcher that does not render cards can send as it is. A notice (to the social
worker, or "resolved" to card holders) is ``{"ir_reference", "summary", "text"}``. Payloads
hold names (the outbox is part of the record); ``summary``, which Teams shows in notifications
and on lock screens, holds the reference and dates only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import issues_resolution as ir_model
from domain.formatting import long_date, short_date
from domain.ports import Role, StaffMember
from domain.rules import RuleSet
from storage.dialects import insert_on_conflict
from storage.models import Child, ConversationRef, IrCardMessage, IssueResolution, Staff
from storage.outbox import enqueue
from storage.repositories.issues import IrNotFound, load_ir
from storage.repositories.names import child_display_name
from storage.repositories.staff import SqlStaffRepository

IR_CARD_KIND = "ir_card"
IR_NOTICE_KIND = "ir_notice"
#: Teams keeps user-specific views for at most 60 users per card.
MAX_REFRESH_USERS = 60
#: A Teams user id (MRI); AAD object ids (GUIDs) do not work in refresh.userIds.
TEAMS_MRI_PREFIX = "29:"
#: Payload key naming whom the dispatcher tells when a notification cannot be delivered; the
#: dispatcher's own constant (storage/dispatch_queue.py REPORT_TO), spelt out here so this module
#: does not depend on the dispatcher.
REPORT_TO = "report_to_staff_id"


# -- what the card shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class StageLine:
    """One stage of the IR's history, with names in place of e-mails."""

    stage_key: str
    stage_name: str
    owner_title: str
    owner_name: str | None
    entered_on: date
    response_due: date  # IR-STAGE for this stage
    escalation_reason: str | None
    response: str | None
    target_date: date | None
    declined_reason: str | None
    responded_on: date | None
    responded_by_name: str | None
    left_on: date | None


@dataclass(frozen=True)
class IrCardView:
    """The stored IR as its card shows it, at ``version``, on ``today``."""

    reference: str
    version: int
    today: date
    status: ir_model.IRStatus
    child_name: str
    child_id: str
    reasons: tuple[str, ...]
    description: str
    iro_name: str
    raised_on: date
    stage_key: str
    stage_name: str
    owner_title: str
    owner_name: str | None
    response_due: date | None  # while the current stage owes a response
    response_overdue: bool
    formal_due: date | None  # IR-FORMAL while a formal IR is unresolved
    history: tuple[StageLine, ...]
    outcome: str | None
    resolved_on: date | None
    resolved_at_stage_name: str | None
    cafcass_referred_on: date | None
    #: (key, "name (owner title)") of every stage the IR may be escalated to (IR-BYPASS).
    higher_stages: tuple[tuple[str, str], ...]
    can_refer: bool
    #: Teams MRIs of whoever may act now, for refresh.userIds (empty: manual refresh only).
    refresh_user_ids: tuple[str, ...]

    @property
    def is_resolved(self) -> bool:
        return self.status is ir_model.IRStatus.RESOLVED

    @property
    def current(self) -> StageLine:
        return self.history[-1]


@dataclass(frozen=True)
class IrParties:
    """Who holds which part in the IR now (staff ids)."""

    raised_by_id: int | None
    owner_id: int | None  # the current stage's owner
    owner_delegate_id: int | None  # whoever the owner has named to act for them
    status: ir_model.IRStatus
    response_overdue: bool
    social_worker_id: int | None
    owner_ids: tuple[int, ...]  # every stage's owner, in order (those who got the card)


@dataclass(frozen=True)
class CardRights:
    """Which buttons a viewer's card carries."""

    may_answer: bool = False  # Agree and respond, Decline
    may_direct: bool = False  # Accept and resolve, Escalate, Refer to Cafcass


NO_RIGHTS = CardRights()


def may_answer(parties: IrParties, staff: StaffMember) -> bool:
    """The current stage's owner or their delegate (domain.md section 5)."""
    if not staff.active or parties.owner_id is None:
        return False
    return staff.id in (parties.owner_id, parties.owner_delegate_id)


def may_direct(parties: IrParties, staff: StaffMember) -> bool:
    """The raising IRO or a QA manager may escalate, resolve or refer (domain.md section 5)."""
    if not staff.active:
        return False
    return staff.id == parties.raised_by_id or staff.role == Role.QA_MANAGER.value


def card_rights(parties: IrParties, staff: StaffMember | None) -> CardRights:
    """The buttons ``staff`` sees: answering while a response is owed; directing once the stage
    has responded (or its response is overdue, when the IRO may bypass it: IR-BYPASS)."""
    if staff is None or parties.status is ir_model.IRStatus.RESOLVED:
        return NO_RIGHTS
    awaiting = parties.status is ir_model.IRStatus.OPEN_AWAITING_RESPONSE
    answer = awaiting and may_answer(parties, staff)
    direct = (not awaiting or parties.response_overdue) and may_direct(parties, staff)
    return CardRights(may_answer=answer, may_direct=direct)


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    teams_user_id: str | None
    delegate_id: int | None


@dataclass(frozen=True)
class LoadedIrCard:
    ir: ir_model.IR
    view: IrCardView
    parties: IrParties
    child_pk: int | None
    #: lower-case e-mail -> staff id, for everyone the IR names.
    staff_ids: Mapping[str, int]
    names: Mapping[str, str]  # lower-case e-mail -> display name


async def load_ir_card(
    session: AsyncSession, rules: RuleSet, reference: str, today: date
) -> LoadedIrCard:
    """The IR as its card shows it. Raises ``IrNotFound`` for an unknown reference."""
    ir, row = await load_ir(session, reference)
    emails = {e.lower() for e in _emails(ir)}
    people: dict[str, _Person] = {}
    if emails:
        found = await session.execute(
            select(Staff.email, Staff.id, Staff.display_name, Staff.teams_user_id,
                   Staff.delegate_id).where(Staff.email.in_(sorted(emails)))
        )  # fmt: skip
        people = {email.lower(): _Person(pk, name, mri, delegate)
                  for email, pk, name, mri, delegate in found}  # fmt: skip

    def person(email: str | None) -> _Person | None:
        return people.get(email.lower()) if email else None

    def name(email: str | None) -> str | None:
        found = person(email)
        return found.name if found else None

    child = await session.get(Child, row.child_pk) if row.child_pk else None
    child_name = (child_display_name(child.given_name, child.family_name) if child else "") \
        or ir.child_id  # fmt: skip
    stage = ir_model.current_stage(ir, rules)
    owner = person(ir.current_entry.owner)
    raiser = person(ir.raised_by)
    running = {d.rule_id: d.due for d in ir_model.open_deadlines(ir, rules)}
    response_due = running.get(ir_model.STAGE_RULE)
    overdue = response_due is not None and today > response_due
    social_worker = person(ir.social_worker)
    owners = [person(e.owner) for e in ir.history]
    parties = IrParties(
        raised_by_id=raiser.id if raiser else None,
        owner_id=owner.id if owner else None,
        owner_delegate_id=owner.delegate_id if owner else None,
        status=ir.status,
        response_overdue=overdue,
        social_worker_id=social_worker.id if social_worker else None,
        owner_ids=tuple(p.id for p in owners if p is not None),
    )
    history = tuple(
        StageLine(
            stage_key=entry.stage,
            stage_name=rules.stage(entry.stage).name,
            owner_title=rules.stage(entry.stage).owner_title,
            owner_name=name(entry.owner),
            entered_on=entry.entered_on,
            response_due=ir_model.stage_deadline(ir, rules, entry).due,
            escalation_reason=entry.reason,
            response=entry.response,
            target_date=entry.target_date,
            declined_reason=entry.declined_reason,
            responded_on=entry.responded_on,
            responded_by_name=name(entry.responded_by),
            left_on=entry.left_on,
        )
        for entry in ir.history
    )
    allowed = ir_model.allowed_actions(ir, rules)
    higher: tuple[tuple[str, str], ...] = ()
    if ir_model.IRAction.ESCALATE in allowed:
        higher = tuple(
            (s.key, f"{s.name} ({s.owner_title})") for s in rules.stages if s.order > stage.order
        )
    view = IrCardView(
        reference=row.reference,
        version=row.version,
        today=today,
        status=ir.status,
        child_name=child_name,
        child_id=ir.child_id,
        reasons=ir.reasons,
        description=ir.description,
        iro_name=raiser.name if raiser else ir.raised_by,
        raised_on=ir.raised_on,
        stage_key=stage.key,
        stage_name=stage.name,
        owner_title=stage.owner_title,
        owner_name=owner.name if owner else None,
        response_due=response_due,
        response_overdue=overdue,
        formal_due=running.get(ir_model.FORMAL_RULE),
        history=history,
        outcome=ir.outcome,
        resolved_on=ir.resolved_on,
        resolved_at_stage_name=rules.stage(ir.resolved_at_stage).name
        if ir.resolved_at_stage else None,
        cafcass_referred_on=ir.cafcass_referred_on,
        higher_stages=higher,
        can_refer=ir_model.IRAction.REFER_TO_CAFCASS in allowed,
        refresh_user_ids=await _refresh_user_ids(session, parties, people.values()),
    )  # fmt: skip
    return LoadedIrCard(
        ir=ir,
        view=view,
        parties=parties,
        child_pk=row.child_pk,
        staff_ids={email: p.id for email, p in people.items()},
        names={email: p.name for email, p in people.items()},
    )


def _emails(ir: ir_model.IR) -> set[str]:
    found = {ir.raised_by, ir.social_worker, ir.cafcass_referred_by}
    for entry in ir.history:
        found.update((entry.owner, entry.responded_by))
    return {e for e in found if e}


async def _refresh_user_ids(
    session: AsyncSession, parties: IrParties, people: Iterable[_Person]
) -> tuple[str, ...]:
    """The Teams MRIs of everyone who may act on the IR now: the stage owner and their delegate
    while a response is owed, then the raising IRO and the QA managers until it is resolved.

    Only ``29:`` ids are kept: Teams matches refresh.userIds against user MRIs, and an AAD
    object id in the list silently never refreshes. Named parties come first, so the cap of 60
    can only ever cut QA managers (who can still refresh by hand).
    """
    if parties.status is ir_model.IRStatus.RESOLVED:
        return ()
    by_id = {p.id: p.teams_user_id for p in people}
    wanted: list[int] = []
    if parties.status is ir_model.IRStatus.OPEN_AWAITING_RESPONSE:
        wanted += [i for i in (parties.owner_id, parties.owner_delegate_id) if i is not None]
    if parties.raised_by_id is not None:
        wanted.append(parties.raised_by_id)
    missing = [i for i in wanted if i not in by_id]
    if missing:  # a delegate is not named on the IR itself
        rows = await session.execute(
            select(Staff.id, Staff.teams_user_id).where(
                Staff.id.in_(missing), Staff.active.is_(True)
            )
        )
        by_id.update({pk: mri for pk, mri in rows})
    mris = [by_id.get(i) for i in wanted]
    qa = await session.scalars(
        select(Staff.teams_user_id)
        .where(Staff.role == Role.QA_MANAGER.value, Staff.active.is_(True),
               Staff.teams_user_id.is_not(None))
        .order_by(Staff.id)
        .limit(MAX_REFRESH_USERS)
    )  # fmt: skip
    mris += list(qa)
    unique: list[str] = []
    for mri in mris:
        if mri and mri.startswith(TEAMS_MRI_PREFIX) and mri not in unique:
            unique.append(mri)
    return tuple(unique[:MAX_REFRESH_USERS])


# -- notifications ----------------------------------------------------------------------------


async def enqueue_for_events(
    session: AsyncSession,
    rules: RuleSet,
    reference: str,
    events: Sequence[ir_model.IREvent],
    today: date,
) -> int:
    """Write the notifications ``events`` cause, in the caller's transaction; how many were new.

    - raised or escalated: the new stage owner (and their delegate) gets the IR card, and the
      child's social worker is told by when their manager must answer; when raised, the IRO
      also gets the card (the copy that shows them the response when it comes);
    - a stage responded (agreed or declined): the IRO gets the card with the response;
    - resolved: everyone who got a card is told (their copies are also updated in place);
    - referred to Cafcass: nothing new is sent; the copies are updated in place.

    Keys are ``<reference>:v<version>:<what>:<staff id>``, so replaying the same move (or
    running this twice in one transaction) enqueues nothing new.
    """
    loaded = await load_ir_card(session, rules, reference, today)
    view, parties = loaded.view, loaded.parties
    new = 0
    for event in events:
        if isinstance(event, ir_model.IssueRaised | ir_model.IssueEscalated):
            new += await _stage_owner_cards(session, loaded)
            if isinstance(event, ir_model.IssueRaised) and parties.raised_by_id is not None:
                new += await _card(
                    session, loaded, parties.raised_by_id,
                    summary=f"{view.reference} raised at {view.stage_name}: the response will "
                    "show on this card",
                    text=f"You raised {view.reference} about {view.child_name} at "
                    f"{view.stage_name}. {_waiting_line(view)}",
                )  # fmt: skip
            if parties.social_worker_id is not None:
                new += await _notice(
                    session, loaded, parties.social_worker_id, "social-worker",
                    summary=f"{view.reference}: an IR about a child you work with",
                    text=_social_worker_text(view, event),
                )  # fmt: skip
        elif isinstance(event, ir_model.StageResponded) and parties.raised_by_id is not None:
            answer = "declined" if event.declined else "responded"
            who = view.current.responded_by_name or view.owner_title
            new += await _card(
                session, loaded, parties.raised_by_id,
                summary=f"{view.reference}: {view.stage_name} {answer}",
                text=f"{who} {answer} to {view.reference} about {view.child_name} on "
                f"{short_date(event.on)}. Open the card to accept and resolve, escalate or "
                "refer to Cafcass.",
            )  # fmt: skip
        elif isinstance(event, ir_model.IssueResolved):
            actor = loaded.staff_ids.get((event.by or "").lower())
            holders = [i for i in (parties.raised_by_id, *parties.owner_ids) if i is not None]
            for staff_id in dict.fromkeys(holders):
                if staff_id != actor:
                    new += await _notice(
                        session, loaded, staff_id, "resolved",
                        summary=f"{view.reference} resolved",
                        text=f"{view.reference} about {view.child_name} was resolved on "
                        f"{long_date(event.on)} at {view.resolved_at_stage_name}.",
                    )  # fmt: skip
    return new


async def _stage_owner_cards(session: AsyncSession, loaded: LoadedIrCard) -> int:
    view, parties = loaded.view, loaded.parties
    new = 0
    due = long_date(view.response_due) if view.response_due else "soon"
    for staff_id in dict.fromkeys((parties.owner_id, parties.owner_delegate_id)):
        if staff_id is None:
            continue
        for_whom = "" if staff_id == parties.owner_id else \
            f" (on behalf of {view.owner_name})"  # fmt: skip
        new += await _card(
            session, loaded, staff_id,
            summary=f"{view.reference} needs a response by {due}",
            text=f"{view.iro_name} needs a response{for_whom} to {view.reference} about "
            f"{view.child_name}, at {view.stage_name}, by {due}.",
        )  # fmt: skip
    return new


def _waiting_line(view: IrCardView) -> str:
    if view.owner_name is None:
        return (f"No {view.owner_title} is recorded to answer it: please tell the QA & "
                "Safeguarding team.")  # fmt: skip
    due = long_date(view.response_due) if view.response_due else "soon"
    return f"{view.owner_name} ({view.owner_title}) must respond by {due}."


def _social_worker_text(view: IrCardView, event: ir_model.IREvent) -> str:
    if isinstance(event, ir_model.IssueEscalated):
        opening = (f"{view.iro_name} has escalated the Issues Resolution {view.reference} about "
                   f"{view.child_name} to {view.stage_name}.")  # fmt: skip
    else:
        opening = (f"{view.iro_name} has raised an Issues Resolution ({view.reference}) about "
                   f"{view.child_name} at {view.stage_name}, because: "
                   f"{'; '.join(view.reasons)}.")  # fmt: skip
    return f"{opening} {_waiting_line(view)}"


def _payload(view: IrCardView, report_to: int | None, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"ir_reference": view.reference, **fields}
    if report_to is not None:
        # The dispatcher tells this member of staff (the raising IRO) about a notification it
        # could not deliver (storage/dispatch_queue.py, REPORT_TO): they chase it by hand.
        payload[REPORT_TO] = report_to
    return payload


async def _card(
    session: AsyncSession, loaded: LoadedIrCard, staff_id: int, *, summary: str, text: str
) -> int:
    view = loaded.view
    payload = _payload(view, loaded.parties.raised_by_id, ir_version=view.version,
                       ir_card=True, summary=summary, text=text)  # fmt: skip
    key = f"{view.reference}:v{view.version}:card:{staff_id}"
    return int(await enqueue(session, key=key, recipient_staff_id=staff_id, kind=IR_CARD_KIND,
                             payload=payload))  # fmt: skip


async def _notice(
    session: AsyncSession, loaded: LoadedIrCard, staff_id: int, what: str, *, summary: str,
    text: str,
) -> int:  # fmt: skip
    view = loaded.view
    payload = _payload(view, loaded.parties.raised_by_id, summary=summary, text=text)
    key = f"{view.reference}:v{view.version}:{what}:{staff_id}"
    return int(await enqueue(session, key=key, recipient_staff_id=staff_id, kind=IR_NOTICE_KIND,
                             payload=payload))  # fmt: skip


# -- the dispatcher's hooks -------------------------------------------------------------------

#: (view, the recipient's rights) -> Adaptive Card; ``cards.ir_card.ir_card`` is one.
CardRenderer = Callable[[IrCardView, CardRights], dict[str, Any]]


async def prepare_delivery(
    session: AsyncSession,
    rules: RuleSet,
    *,
    payload: Mapping[str, Any],
    recipient_staff_id: int | None,
    today: date,
    render: CardRenderer,
) -> dict[str, Any]:
    """The payload to send: an IR card notification gains ``"card"`` (rendered now, for the
    recipient) and an up-to-date ``"ir_version"``; anything else is returned unchanged.

    An IR that no longer exists leaves the payload's plain ``text`` to be sent instead.
    """
    out = dict(payload)
    reference = payload.get("ir_reference")
    if not payload.get("ir_card") or not isinstance(reference, str):
        return out
    try:
        loaded = await load_ir_card(session, rules, reference, today)
    except IrNotFound:
        return out
    viewer = await _staff_member(session, recipient_staff_id)
    out["card"] = render(loaded.view, card_rights(loaded.parties, viewer))
    out["ir_version"] = loaded.view.version
    return out


async def record_delivery(
    session: AsyncSession,
    *,
    payload: Mapping[str, Any],
    recipient_staff_id: int | None,
    conversation_id: str,
    activity_id: str,
    service_url: str,
) -> bool:
    """Remember where an IR card was posted (after a successful send). See the module doc.

    Returns True when the copy is already behind the IR and so needs an update.
    """
    reference = payload.get("ir_reference")
    version = payload.get("ir_version")
    if not isinstance(reference, str) or "card" not in payload or not isinstance(version, int):
        return False
    row = (await session.execute(
        select(IssueResolution.id, IssueResolution.version)
        .where(IssueResolution.reference == reference)
    )).one_or_none()  # fmt: skip
    if row is None:
        return False
    ir_id, current = row
    statement = (
        insert_on_conflict(session)(IrCardMessage)
        .values(
            ir_id=ir_id,
            staff_id=recipient_staff_id,
            conversation_id=conversation_id,
            activity_id=activity_id,
            service_url=service_url,
            rendered_version=version,
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "activity_id"])
    )
    await session.execute(statement)
    return version < current


class _Claimed(Protocol):
    """What the hooks read of a claimed notification (``storage.dispatch_queue``)."""

    payload: Mapping[str, Any]
    recipient_staff_id: int | None


class _Delivered(Protocol):
    """What the hooks read of a successful send (``bot.workers.dispatcher.Delivered``)."""

    conversation_id: str
    activity_id: str | None
    service_url: str


@dataclass(frozen=True)
class IrCardHooks:
    """``prepare_delivery`` and ``record_delivery`` in the shape ``bot.workers.dispatcher`` takes::

    hooks = IrCardHooks(rules, today=services.today, render=cards.ir_card.ir_card)
    Dispatcher(..., hooks=DispatchHooks(prepare=hooks.prepare, on_sent=hooks.on_sent))
    """

    rules: RuleSet
    today: Callable[[], date]
    render: CardRenderer

    async def prepare(self, session: AsyncSession, item: _Claimed) -> dict[str, Any]:
        return await prepare_delivery(
            session, self.rules, payload=item.payload,
            recipient_staff_id=item.recipient_staff_id, today=self.today(), render=self.render,
        )  # fmt: skip

    async def on_sent(self, session: AsyncSession, item: _Claimed, delivered: _Delivered) -> None:
        if delivered.activity_id:  # without it the message cannot be edited later
            await record_delivery(
                session, payload=item.payload, recipient_staff_id=item.recipient_staff_id,
                conversation_id=delivered.conversation_id, activity_id=delivered.activity_id,
                service_url=delivered.service_url,
            )  # fmt: skip


# -- updating sent copies ---------------------------------------------------------------------


@dataclass(frozen=True)
class CardCopy:
    """One posted copy of an IR card, with what is needed to edit it."""

    id: int
    staff_id: int | None
    conversation_id: str
    activity_id: str
    service_url: str
    rendered_version: int
    #: The stored ConversationReference (JSON) for the recipient's chat, when there is one.
    reference_json: str | None

    def conversation_reference(self) -> dict[str, Any]:
        """A serialised ConversationReference for this copy's chat: the stored one, else one
        built from the ids (enough to edit a message in it)."""
        if self.reference_json:
            stored = json.loads(self.reference_json)
            if isinstance(stored, dict):
                stored["serviceUrl"] = stored.get("serviceUrl") or self.service_url
                return stored
        return {"channelId": "msteams", "serviceUrl": self.service_url,
                "conversation": {"id": self.conversation_id}}  # fmt: skip


async def copies_to_update(session: AsyncSession, reference: str) -> list[CardCopy]:
    """Every copy of the IR's card that shows an older version than the stored one."""
    rows = await session.execute(
        select(IrCardMessage, ConversationRef.reference_json)
        .join(IssueResolution, IssueResolution.id == IrCardMessage.ir_id)
        .join(ConversationRef, and_(ConversationRef.staff_id == IrCardMessage.staff_id,
                                    ConversationRef.conversation_id
                                    == IrCardMessage.conversation_id), isouter=True)
        .where(IssueResolution.reference == reference,
               IrCardMessage.rendered_version < IssueResolution.version)
        .order_by(IrCardMessage.id)
    )  # fmt: skip
    return [
        CardCopy(
            id=message.id,
            staff_id=message.staff_id,
            conversation_id=message.conversation_id,
            activity_id=message.activity_id,
            service_url=message.service_url,
            rendered_version=message.rendered_version,
            reference_json=reference_json,
        )
        for message, reference_json in rows
    ]


async def mark_updated(session: AsyncSession, copy_ids: Sequence[int], version: int) -> None:
    """Record that these copies now show ``version`` (never moving a copy backwards)."""
    if not copy_ids:
        return
    await session.execute(
        update(IrCardMessage)
        .where(IrCardMessage.id.in_(list(copy_ids)), IrCardMessage.rendered_version < version)
        .values(rendered_version=version)
    )


async def viewers(session: AsyncSession, staff_ids: Iterable[int | None]) -> dict[int, StaffMember]:
    """The members of staff the copies belong to, by id (to render each copy for its holder)."""
    wanted = sorted({i for i in staff_ids if i is not None})
    return await SqlStaffRepository(session).by_ids(wanted)


async def _staff_member(session: AsyncSession, staff_id: int | None) -> StaffMember | None:
    if staff_id is None:
        return None
    return (await viewers(session, [staff_id])).get(staff_id)
