"""Storing the domain's Issues Resolution (``domain.issues_resolution.IR``) and reading it back.

- ``add_ir`` stores a new IR (whatever history it already has) and gives it its reference,
  ``IR-YYYY-NNNN`` (the year it was raised, then a number that counts up within that year);
- ``save_ir`` writes what an action changed, refusing with ``IrConflict`` when the stored IR is
  no longer the version the caller read (a stale card click, or two managers at once);
- ``load_ir`` reads an IR back as the exact domain object that was stored, with its row (for
  ``version``, the child's key and the stored deadlines).

Mapping choices (the domain is plain data; these tables have foreign keys):

- **Staff are e-mail strings in the domain** (``raised_by``, ``social_worker``, a stage's
  ``owner`` and ``responded_by``, ``cafcass_referred_by``): the lower-case e-mail/UPN held in
  ``staff.email``. Here they become ``staff.id`` foreign keys and back again. An e-mail that is no
  known member of staff is refused (``UnknownStaff``) rather than stored as nothing. E-mails are
  matched case-insensitively and read back lower-case, as ``staff`` stores them.
- **The child** is the authority's ``Child.child_id`` in the domain and ``child_pk`` here.
- **A declined stage** keeps its reason in ``ir_stage_history.response`` with ``declined`` set,
  because a stage either agrees (``response``) or declines (``declined_reason``), never both.
- **``left_on``** is not stored: every action keeps it equal to the next stage's ``entered_on``
  (and to ``resolved_on`` for the stage an IR was resolved at), so it is derived on reading.
- **Deadlines**: ``stage_due`` and ``formal_due`` hold the deadlines that are still *running*
  (``domain.issues_resolution.open_deadlines``): ``stage_due`` only while the current stage owes
  a response, ``formal_due`` only while a formal IR is unresolved; otherwise NULL. So "breached
  and waiting" is ``stage_due < today`` with no risk of counting an answered or closed IR.

The caller owns the session and its transaction; nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DomainError
from domain.issues_resolution import (
    FORMAL_RULE,
    IR,
    STAGE_RULE,
    IRStatus,
    StageEntry,
    open_deadlines,
)
from domain.rules import RuleSet
from storage.dialects import insert_on_conflict
from storage.models import Child, IrReason, IrReferenceCounter, IrStageEntry, IssueResolution, Staff

#: The bot's own references: IR-2026-0042. Numbers past 9999 simply grow a digit.
REFERENCE_PATTERN = re.compile(r"IR-(\d{4})-(\d{4,})")


class IrNotFound(DomainError):
    """No IR has the reference asked for."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"There is no Issues Resolution with the reference {reference}.")
        self.reference = reference


class IrConflict(DomainError):
    """The IR changed after the caller read it; nothing was written."""

    def __init__(self, reference: str, expected_version: int, actual_version: int | None) -> None:
        super().__init__(
            f"{reference} has been updated by someone else since you opened it, so your change "
            "was not saved. Please look at the latest version and try again."
        )
        self.reference = reference
        self.expected_version = expected_version
        self.actual_version = actual_version


class UnknownStaff(DomainError):
    """An IR names someone (by e-mail) who is not a known member of staff."""


@dataclass(frozen=True)
class _StageRow:
    """The stored form of one StageEntry (``ir_stage_history`` without its keys)."""

    stage: str
    entered_on: date
    owner_id: int | None
    escalation_reason: str | None
    response: str | None
    responded_on: date | None
    responded_by_id: int | None
    target_date: date | None
    declined: bool


def format_reference(year: int, number: int) -> str:
    return f"IR-{year:04d}-{number:04d}"


# -- staff e-mails <-> ids --------------------------------------------------------------------


def _email_key(email: str) -> str:
    return email.strip().lower()


def _emails_in(ir: IR) -> set[str]:
    found = {ir.raised_by, ir.social_worker, ir.cafcass_referred_by}
    for entry in ir.history:
        found.update((entry.owner, entry.responded_by))
    return {_email_key(e) for e in found if e}


async def _staff_ids(session: AsyncSession, emails: Iterable[str]) -> dict[str, int]:
    """``{lower-case e-mail: staff id}``; raises UnknownStaff naming any e-mail not found."""
    wanted = sorted({_email_key(e) for e in emails if e})
    if not wanted:
        return {}
    rows = await session.execute(select(Staff.email, Staff.id).where(Staff.email.in_(wanted)))
    found = {email.lower(): pk for email, pk in rows}
    missing = [e for e in wanted if e not in found]
    if missing:
        raise UnknownStaff(
            f"{missing[0]} is not a known member of staff, so the Issues Resolution cannot name "
            "them. Check the e-mail address, or add them to the people list first."
        )
    return found


async def _staff_emails(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({pk for pk in ids if pk is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(Staff.id, Staff.email).where(Staff.id.in_(wanted)))
    return {pk: email for pk, email in rows}


def _id_for(ids: dict[str, int], email: str | None) -> int | None:
    return None if email is None else ids[_email_key(email)]


# -- domain <-> rows --------------------------------------------------------------------------


def _stage_rows(ir: IR, ids: dict[str, int]) -> list[_StageRow]:
    return [
        _StageRow(
            stage=entry.stage,
            entered_on=entry.entered_on,
            owner_id=_id_for(ids, entry.owner),
            escalation_reason=entry.reason,
            # A stage agrees or declines, never both (see the module docstring).
            response=entry.declined_reason if entry.declined else entry.response,
            responded_on=entry.responded_on,
            responded_by_id=_id_for(ids, entry.responded_by),
            target_date=entry.target_date,
            declined=entry.declined,
        )
        for entry in ir.history
    ]


def _stored_stage_row(row: IrStageEntry) -> _StageRow:
    return _StageRow(
        stage=row.stage,
        entered_on=row.entered_on,
        owner_id=row.owner_id,
        escalation_reason=row.escalation_reason,
        response=row.response,
        responded_on=row.responded_on,
        responded_by_id=row.responded_by_id,
        target_date=row.target_date,
        declined=row.declined,
    )


def _deadline_columns(ir: IR, rules: RuleSet) -> dict[str, date | None]:
    """The running deadlines, from the domain (see the module docstring)."""
    running = {deadline.rule_id: deadline.due for deadline in open_deadlines(ir, rules)}
    return {"stage_due": running.get(STAGE_RULE), "formal_due": running.get(FORMAL_RULE)}


def _changeable_columns(ir: IR, rules: RuleSet, ids: dict[str, int]) -> dict[str, Any]:
    """Every column an action may change: written by both ``add_ir`` and ``save_ir``."""
    return {
        "current_stage": ir.current_stage,
        "status": ir.status.value,
        "description": ir.description,
        "service_area": ir.service_area,
        "responsible_worker_id": _id_for(ids, ir.social_worker),
        "formal_since": ir.formal_since,
        "outcome": ir.outcome,
        "resolved_on": ir.resolved_on,
        "resolved_at_stage": ir.resolved_at_stage,
        "cafcass_referred_on": ir.cafcass_referred_on,
        "cafcass_referred_by_id": _id_for(ids, ir.cafcass_referred_by),
        **_deadline_columns(ir, rules),
    }


# -- references -------------------------------------------------------------------------------


def _upsert(session: AsyncSession) -> Any:
    return insert_on_conflict(session)


async def allocate_reference(session: AsyncSession, year: int) -> str:
    """The next reference for ``year``, taken atomically from ``ir_reference_counters``.

    One statement: insert the year's counter at 1, or add one to it, and return the number. On
    PostgreSQL the conflicting row is locked until this transaction ends, so a concurrent
    allocation waits and then gets the next number (and an allocation rolled back gives its
    number back: references stay without gaps). On SQLite the statement takes the database's
    write lock, which serialises writers the same way.
    """
    insert = _upsert(session)
    statement = (
        insert(IrReferenceCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[IrReferenceCounter.year],
            set_={"last_number": IrReferenceCounter.last_number + 1},
        )
        .returning(IrReferenceCounter.last_number)
    )
    number = (await session.execute(statement)).scalar_one()
    return format_reference(year, number)


async def _reserve_given_reference(session: AsyncSession, reference: str) -> None:
    """An IR stored with a reference of our form (e.g. from an earlier system) moves the
    year's counter on to at least its number, so the bot never issues that reference again."""
    match = REFERENCE_PATTERN.fullmatch(reference)
    if match is None:
        return
    year, number = int(match[1]), int(match[2])
    insert = _upsert(session)
    column = IrReferenceCounter.last_number
    await session.execute(
        insert(IrReferenceCounter)
        .values(year=year, last_number=number)
        .on_conflict_do_update(
            index_elements=[IrReferenceCounter.year],
            # max(), written as CASE because PostgreSQL's is GREATEST and SQLite's is MAX.
            set_={"last_number": case((column < number, number), else_=column)},
        )
    )


# -- the API ----------------------------------------------------------------------------------


async def add_ir(
    session: AsyncSession,
    ir: IR,
    rules: RuleSet,
    *,
    child_pk: int | None = None,
    raised_by_id: int | None = None,
    owner_id: int | None = None,
    source: str = "bot",
) -> str:
    """Store a new IR with its reasons and stage history; return its reference.

    The reference is allocated (``allocate_reference``, the year ``ir.raised_on`` falls in)
    unless the IR already has one, which is kept. ``child_pk`` is the child's key; when omitted
    the child is found by ``ir.child_id``. ``raised_by_id`` and ``owner_id`` (the first stage's
    owner) may be passed by a caller that already holds them; they must name the same staff as
    the IR's e-mails, which remain the one source of truth.
    """
    child = await _child_for(session, ir.child_id, child_pk)
    ids = await _staff_ids(session, _emails_in(ir))
    if raised_by_id is not None and raised_by_id != ids[_email_key(ir.raised_by)]:
        raise ValueError("raised_by_id is not the member of staff the IR says raised it")
    if owner_id is not None and owner_id != _id_for(ids, ir.history[0].owner):
        raise ValueError("owner_id is not the owner of the stage the IR was raised at")

    if ir.reference is None:
        reference = await allocate_reference(session, ir.raised_on.year)
    else:
        reference = ir.reference
        await _reserve_given_reference(session, reference)

    row = IssueResolution(
        reference=reference,
        child_pk=child.id,
        raised_by_id=ids[_email_key(ir.raised_by)],
        raised_on=ir.raised_on,
        stage_raised=ir.history[0].stage,
        version=1,
        source=source,
        **_changeable_columns(ir, rules, ids),
    )
    session.add(row)
    await session.flush()  # the row's id, for its reasons and stages
    session.add_all(IrReason(ir_id=row.id, reason=reason) for reason in ir.reasons)
    session.add_all(
        IrStageEntry(ir_id=row.id, seq=seq, **vars(stage))
        for seq, stage in enumerate(_stage_rows(ir, ids), start=1)
    )
    await session.flush()
    return reference


async def save_ir(session: AsyncSession, ir: IR, rules: RuleSet, *, expected_version: int) -> int:
    """Write an action's result over the stored IR; return the new version.

    ``expected_version`` is the version the caller read (``load_ir``'s row, or the version a card
    carried). If the stored IR is at another version, ``IrConflict`` is raised before anything is
    written. The version check and the bump are one conditional UPDATE, so of two concurrent
    saves from the same version exactly one succeeds, on PostgreSQL and on SQLite.

    Stage history only grows: stored stages are updated in place (a response, an escalation
    date) and new ones appended. The reference, child, raiser, raising date and first stage
    never change; an IR whose history contradicts the stored one is refused with DomainError.
    """
    if ir.reference is None:
        raise DomainError("This IR has not been stored yet: add it before saving changes.")
    stored = await session.execute(
        select(
            IssueResolution.id,
            IssueResolution.version,
            IssueResolution.raised_on,
            IssueResolution.stage_raised,
            IssueResolution.raised_by_id,
            IssueResolution.child_pk,
        ).where(IssueResolution.reference == ir.reference)
    )
    found = stored.one_or_none()
    if found is None:
        raise IrNotFound(ir.reference)
    ir_id, version, raised_on, stage_raised, raised_by_id, child_pk = found
    if version != expected_version:
        # Checked first so that a stale IR (whose history is naturally shorter than the stored
        # one) is reported as the conflict it is, not as an attempt to rewrite history.
        raise IrConflict(ir.reference, expected_version, version)
    ids = await _staff_ids(session, _emails_in(ir))
    child_id = await session.scalar(select(Child.child_id).where(Child.id == child_pk))
    fixed_now = (raised_on, stage_raised, raised_by_id, child_id)
    fixed_wanted = (ir.raised_on, ir.history[0].stage, ids[_email_key(ir.raised_by)], ir.child_id)
    stage_rows = list(
        await session.scalars(
            select(IrStageEntry)
            .where(IrStageEntry.ir_id == ir_id)
            .order_by(IrStageEntry.seq)
            .execution_options(populate_existing=True)
        )
    )
    wanted_rows = _stage_rows(ir, ids)
    rewrites_history = len(wanted_rows) < len(stage_rows) or any(
        (row.stage, row.entered_on) != (wanted.stage, wanted.entered_on)
        for row, wanted in zip(stage_rows, wanted_rows, strict=False)
    )
    if fixed_now != fixed_wanted or rewrites_history:
        # Someone may have saved between the version check and the reads above; then this is
        # a conflict, not a bad request.
        now = await session.scalar(
            select(IssueResolution.version).where(IssueResolution.id == ir_id)
        )
        if now != expected_version:
            raise IrConflict(ir.reference, expected_version, now)
        if fixed_now != fixed_wanted:
            raise DomainError(
                f"{ir.reference}: the child, who raised it, when and at which stage cannot change."
            )
        raise DomainError(
            f"{ir.reference}: its stage history can only grow; stages already recorded cannot "
            "be removed or moved."
        )

    # The first write: nothing above changed the database, so a conflict leaves no trace.
    bumped = await session.execute(
        update(IssueResolution)
        .where(
            IssueResolution.id == ir_id,
            IssueResolution.version == expected_version,
        )
        .values(version=IssueResolution.version + 1, **_changeable_columns(ir, rules, ids))
        .returning(IssueResolution.version)
        .execution_options(synchronize_session="fetch")
    )
    new_version = bumped.scalar_one_or_none()
    if new_version is None:
        actual = await session.scalar(
            select(IssueResolution.version).where(IssueResolution.id == ir_id)
        )
        raise IrConflict(ir.reference, expected_version, actual)

    for row, wanted in zip(stage_rows, wanted_rows, strict=False):
        for column, value in vars(wanted).items():
            if getattr(row, column) != value:
                setattr(row, column, value)
    session.add_all(
        IrStageEntry(ir_id=ir_id, seq=seq, **vars(wanted))
        for seq, wanted in enumerate(wanted_rows[len(stage_rows) :], start=len(stage_rows) + 1)
    )
    stored_reasons = list(
        await session.scalars(select(IrReason).where(IrReason.ir_id == ir_id).order_by(IrReason.id))
    )
    if tuple(r.reason for r in stored_reasons) != ir.reasons:
        # Rare (the domain offers no action that changes reasons); rewritten whole so that
        # their order, which load_ir returns, stays the IR's order.
        for reason_row in stored_reasons:
            await session.delete(reason_row)
        await session.flush()
        session.add_all(IrReason(ir_id=ir_id, reason=reason) for reason in ir.reasons)
    await session.flush()
    return new_version


async def load_ir(session: AsyncSession, reference: str) -> tuple[IR, IssueResolution]:
    """The stored IR as the domain object, and its row (``row.version`` for ``save_ir``)."""
    row = await session.scalar(
        select(IssueResolution)
        .where(IssueResolution.reference == reference.strip())
        # The caller saves against the version it reads here: read what is stored now, not an
        # older copy of the row this session may already hold.
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise IrNotFound(reference.strip())
    return await _to_domain(session, row), row


async def load_irs(session: AsyncSession, references: Sequence[str]) -> list[IR]:
    """Several IRs, in the order of ``references`` (unknown ones raise IrNotFound)."""
    return [(await load_ir(session, reference))[0] for reference in references]


async def _child_for(session: AsyncSession, child_id: str, child_pk: int | None) -> Child:
    if child_pk is None:
        child = await session.scalar(select(Child).where(Child.child_id == child_id))
    else:
        child = await session.get(Child, child_pk)
    if child is None:
        raise DomainError(f"There is no child with the id {child_id}.")
    if child.child_id != child_id:
        raise ValueError(f"child_pk {child_pk} is not the child {child_id!r} the IR is about")
    return child


async def _to_domain(session: AsyncSession, row: IssueResolution) -> IR:
    reasons = tuple(
        await session.scalars(
            select(IrReason.reason).where(IrReason.ir_id == row.id).order_by(IrReason.id)
        )
    )
    stages = list(
        await session.scalars(
            select(IrStageEntry)
            .where(IrStageEntry.ir_id == row.id)
            .order_by(IrStageEntry.seq)
            .execution_options(populate_existing=True)
        )
    )
    child_id = await session.scalar(select(Child.child_id).where(Child.id == row.child_pk))
    emails = await _staff_emails(
        session,
        [row.raised_by_id, row.responsible_worker_id, row.cafcass_referred_by_id]
        + [s.owner_id for s in stages]
        + [s.responded_by_id for s in stages],
    )

    def email(pk: int | None) -> str | None:
        return None if pk is None else emails.get(pk)

    history: list[StageEntry] = []
    for i, stage in enumerate(stages):
        # left_on is derived (see the module docstring): the next stage's start, or the
        # resolution date for the stage the IR was resolved at.
        if i + 1 < len(stages):
            left_on: date | None = stages[i + 1].entered_on
        else:
            left_on = row.resolved_on
        history.append(
            StageEntry(
                stage=stage.stage,
                entered_on=stage.entered_on,
                owner=email(stage.owner_id),
                reason=stage.escalation_reason,
                response=None if stage.declined else stage.response,
                target_date=stage.target_date,
                declined_reason=stage.response if stage.declined else None,
                responded_on=stage.responded_on,
                responded_by=email(stage.responded_by_id),
                left_on=left_on,
            )
        )
    return IR(
        reference=row.reference,
        child_id=child_id or "",
        raised_by=email(row.raised_by_id) or "",
        reasons=reasons,
        description=row.description or "",
        raised_on=row.raised_on,
        status=IRStatus(row.status),
        history=tuple(history),
        formal_since=row.formal_since,
        service_area=row.service_area,
        social_worker=email(row.responsible_worker_id),
        outcome=row.outcome,
        resolved_on=row.resolved_on,
        resolved_at_stage=row.resolved_at_stage,
        cafcass_referred_on=row.cafcass_referred_on,
        cafcass_referred_by=email(row.cafcass_referred_by_id),
    )


__all__ = [
    "REFERENCE_PATTERN",
    "IrConflict",
    "IrNotFound",
    "UnknownStaff",
    "add_ir",
    "allocate_reference",
    "format_reference",
    "load_ir",
    "load_irs",
    "save_ir",
]
