"""What an IR card shows (``load_ir_card``), the notifications an IR move causes
(``enqueue_for_events``), and the hooks a dispatcher calls around sending a card, so that every
sent copy can be kept true ("Cards stay true").

- ``IrCardView``: everything the IR card shows, read in one place. ``cards/ir_card.py`` turns it
  into an Adaptive Card; it needs no store, so the card builder stays a pure function. Who may
  press which button is ``domain.permissions`` (``IrParties``, ``card_rights``): the same
  functions decide the buttons and whether a click is allowed, so the two cannot disagree.
- ``enqueue_for_events``: the domain's events turned into outbox rows, in the caller's unit of
  work (the change and its notifications commit together or not at all). What each says is the
  surface's wording (``NoticeWording``, ``cards.ir_notices``), handed in by the caller.
- ``IrCardHooks``: ``prepare`` renders an IR card notification *at send time*, for its
  recipient, so a notification that waited in the outbox while the IR moved on is still
  delivered true; ``on_sent`` remembers where the card went (``ir_card_messages``) so later
  moves can edit it. Any other payload passes through unchanged.

Payloads (JSON, see ``storage/outbox.py``): an IR card notification is
``{"ir_reference", "ir_version", "ir_card": true, "summary", "text"}``; ``text`` is a plain
fallback a dispatcher that does not render cards can send as it is. A notice (to the social
worker, or "resolved" to card holders) is ``{"ir_reference", "summary", "text"}``. Payloads
hold names (the outbox is part of the record); ``summary``, which Teams shows in notifications
and on lock screens, holds the reference and dates only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from domain import issues_resolution as ir_model
from domain.permissions import CardRights, IrParties, card_rights
from domain.rules import RuleSet
from services.unit_of_work import PersonRow, SqlUnitOfWork, UnitOfWork
from storage.dispatch_queue import REPORT_TO
from storage.repositories.issues import IrNotFound

IR_CARD_KIND = "ir_card"
IR_NOTICE_KIND = "ir_notice"
#: Teams keeps user-specific views for at most 60 users per card.
MAX_REFRESH_USERS = 60
#: A Teams user id (MRI); AAD object ids (GUIDs) do not work in refresh.userIds.
TEAMS_MRI_PREFIX = "29:"


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
class LoadedIrCard:
    ir: ir_model.IR
    view: IrCardView
    parties: IrParties
    child_pk: int | None
    #: lower-case e-mail -> staff id, for everyone the IR names.
    staff_ids: Mapping[str, int]
    names: Mapping[str, str]  # lower-case e-mail -> display name


async def load_ir_card(
    uow: UnitOfWork, rules: RuleSet, reference: str, today: date
) -> LoadedIrCard:
    """The IR as its card shows it. Raises ``IrNotFound`` for an unknown reference."""
    ir, row = await uow.irs.load(reference)
    people = await uow.irs.people(_emails(ir))

    def person(email: str | None) -> PersonRow | None:
        return people.get(email.lower()) if email else None

    def name(email: str | None) -> str | None:
        found = person(email)
        return found.name if found else None

    child_name = await uow.irs.child_name(row.child_pk) or ir.child_id
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
        refresh_user_ids=await _refresh_user_ids(uow, parties, people.values()),
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
    uow: UnitOfWork, parties: IrParties, people: Iterable[PersonRow]
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
        by_id.update(await uow.irs.teams_user_ids(missing))
    mris = [by_id.get(i) for i in wanted]
    mris += await uow.irs.qa_manager_teams_user_ids(MAX_REFRESH_USERS)
    unique: list[str] = []
    for mri in mris:
        if mri and mri.startswith(TEAMS_MRI_PREFIX) and mri not in unique:
            unique.append(mri)
    return tuple(unique[:MAX_REFRESH_USERS])




# -- notifications ----------------------------------------------------------------------------

#: (summary, text): the notification's lock-screen line (reference and dates only) and its words.
Notice = tuple[str, str]


class NoticeWording(Protocol):
    """What each notification of an IR move says; ``cards.ir_notices`` is the one in use."""

    def to_stage_owner(self, view: IrCardView, on_behalf: bool) -> Notice: ...

    def to_raiser_raised(self, view: IrCardView) -> Notice: ...

    def to_social_worker(self, view: IrCardView, escalated: bool) -> Notice: ...

    def to_raiser_responded(self, view: IrCardView, declined: bool, on: date) -> Notice: ...

    def resolved(self, view: IrCardView, on: date) -> Notice: ...


async def enqueue_for_events(
    uow: UnitOfWork,
    rules: RuleSet,
    reference: str,
    events: Sequence[ir_model.IREvent],
    today: date,
    wording: NoticeWording,
) -> int:
    """Write the notifications ``events`` cause, in the caller's transaction; how many were new.

    - raised or escalated: the new stage owner (and their delegate) gets the IR card, and the
      child's social worker is told by when their manager must answer; when raised, the IRO
      also gets the card (the copy that shows them the response when it comes);
    - a stage responded (agreed or declined): the IRO gets the card with the response;
    - resolved: everyone who got a card is told (their copies are also updated in place);
    - referred to Cafcass: nothing new is sent; the copies are updated in place;
    - nobody is sent news of their own action (a manager who is also the social worker, a
      delegate who raised the IR), except the raising IRO's own copy of the card when raised.

    Keys are ``<reference>:v<version>:<what>:<staff id>``, so replaying the same move (or
    running this twice in one transaction) enqueues nothing new.
    """
    loaded = await load_ir_card(uow, rules, reference, today)
    view, parties = loaded.view, loaded.parties
    new = 0
    for event in events:
        # Nobody is notified of their own action (they were told where they did it). The one
        # exception is the raising IRO's own copy of the card, where the response will show.
        by = event.raised_by if isinstance(event, ir_model.IssueRaised) else event.by
        actor = await _staff_id(uow, loaded, by)
        if isinstance(event, ir_model.IssueRaised | ir_model.IssueEscalated):
            for staff_id in dict.fromkeys((parties.owner_id, parties.owner_delegate_id)):
                if staff_id is not None and staff_id != actor:
                    notice = wording.to_stage_owner(view, staff_id != parties.owner_id)
                    new += await _card(uow, loaded, staff_id, notice)
            if isinstance(event, ir_model.IssueRaised) and parties.raised_by_id is not None:
                new += await _card(uow, loaded, parties.raised_by_id,
                                   wording.to_raiser_raised(view))  # fmt: skip
            if parties.social_worker_id not in (None, actor):
                escalated = isinstance(event, ir_model.IssueEscalated)
                new += await _notice(uow, loaded, parties.social_worker_id, "social-worker",
                                     wording.to_social_worker(view, escalated))  # fmt: skip
        elif isinstance(event, ir_model.StageResponded) \
                and parties.raised_by_id not in (None, actor):  # fmt: skip
            notice = wording.to_raiser_responded(view, event.declined, event.on)
            new += await _card(uow, loaded, parties.raised_by_id, notice)
        elif isinstance(event, ir_model.IssueResolved):
            holders = [i for i in (parties.raised_by_id, *parties.owner_ids) if i is not None]
            for staff_id in dict.fromkeys(holders):
                if staff_id != actor:
                    new += await _notice(uow, loaded, staff_id, "resolved",
                                         wording.resolved(view, event.on))  # fmt: skip
    return new


async def _staff_id(uow: UnitOfWork, loaded: LoadedIrCard, email: str | None) -> int | None:
    """The member of staff with this e-mail (someone the IR names, else looked up: a QA
    manager or a delegate who acted need not be named on it)."""
    if not email:
        return None
    known = loaded.staff_ids.get(email.lower())
    if known is not None:
        return known
    found = (await uow.irs.people({email})).get(email.lower())
    return found.id if found else None


def _payload(view: IrCardView, report_to: int | None, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"ir_reference": view.reference, **fields}
    if report_to is not None:
        # The dispatcher tells this member of staff (the raising IRO) about a notification it
        # could not deliver (storage/dispatch_queue.py, REPORT_TO): they chase it by hand.
        payload[REPORT_TO] = report_to
    return payload


async def _card(uow: UnitOfWork, loaded: LoadedIrCard, staff_id: int, notice: Notice) -> int:
    view = loaded.view
    summary, text = notice
    payload = _payload(view, loaded.parties.raised_by_id, ir_version=view.version,
                       ir_card=True, summary=summary, text=text)  # fmt: skip
    key = f"{view.reference}:v{view.version}:card:{staff_id}"
    return int(await uow.irs.enqueue(key=key, recipient_staff_id=staff_id, kind=IR_CARD_KIND,
                                     payload=payload))  # fmt: skip


async def _notice(
    uow: UnitOfWork, loaded: LoadedIrCard, staff_id: int, what: str, notice: Notice
) -> int:
    view = loaded.view
    summary, text = notice
    payload = _payload(view, loaded.parties.raised_by_id, summary=summary, text=text)
    key = f"{view.reference}:v{view.version}:{what}:{staff_id}"
    return int(await uow.irs.enqueue(key=key, recipient_staff_id=staff_id, kind=IR_NOTICE_KIND,
                                     payload=payload))  # fmt: skip


# -- the dispatcher's hooks -------------------------------------------------------------------

#: (view, the recipient's rights) -> Adaptive Card; ``cards.ir_card.ir_card`` is one.
CardRenderer = Callable[[IrCardView, CardRights], dict[str, Any]]


async def prepare_delivery(
    uow: UnitOfWork,
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
        loaded = await load_ir_card(uow, rules, reference, today)
    except IrNotFound:
        return out
    viewer = (await uow.irs.viewers([recipient_staff_id])).get(recipient_staff_id or 0)
    out["card"] = render(loaded.view, card_rights(loaded.parties, viewer))
    out["ir_version"] = loaded.view.version
    return out


async def record_delivery(
    uow: UnitOfWork,
    *,
    payload: Mapping[str, Any],
    recipient_staff_id: int | None,
    conversation_id: str,
    activity_id: str,
    service_url: str,
) -> bool:
    """Remember where an IR card was posted (after a successful send). A no-op for anything
    that is not an IR card; recording the same message twice is harmless. Returns True when the
    copy is already behind the IR (``copies_to_update`` lists it too, so the next action or
    refresh of that IR's card edits it)."""
    reference = payload.get("ir_reference")
    version = payload.get("ir_version")
    if not isinstance(reference, str) or "card" not in payload or not isinstance(version, int):
        return False
    return await uow.irs.record_copy(
        reference=reference, version=version, recipient_staff_id=recipient_staff_id,
        conversation_id=conversation_id, activity_id=activity_id, service_url=service_url,
    )  # fmt: skip


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
    """``prepare_delivery`` and ``record_delivery`` in the shape ``bot.workers.dispatcher``
    takes (it hands each its session)::

    hooks = IrCardHooks(rules, today=services.today, render=cards.ir_card.ir_card)
    Dispatcher(..., hooks=DispatchHooks(prepare=hooks.prepare, on_sent=hooks.on_sent))
    """

    rules: RuleSet
    today: Callable[[], date]
    render: CardRenderer

    async def prepare(self, session: AsyncSession, item: _Claimed) -> dict[str, Any]:
        return await prepare_delivery(
            SqlUnitOfWork(session), self.rules, payload=item.payload,
            recipient_staff_id=item.recipient_staff_id, today=self.today(), render=self.render,
        )  # fmt: skip

    async def on_sent(self, session: AsyncSession, item: _Claimed, delivered: _Delivered) -> None:
        if delivered.activity_id:  # without it the message cannot be edited later
            await record_delivery(
                SqlUnitOfWork(session), payload=item.payload,
                recipient_staff_id=item.recipient_staff_id,
                conversation_id=delivered.conversation_id, activity_id=delivered.activity_id,
                service_url=delivered.service_url,
            )  # fmt: skip
