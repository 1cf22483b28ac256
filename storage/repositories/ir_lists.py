"""Lists of Issues Resolutions for chat: "my IRs", "IRs waiting for me", one IR's status.

Read-only summaries; the IR itself is read with ``storage.repositories.issues.load_ir``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.issues_resolution import IRStatus
from domain.ports import Visibility
from storage.models import Child, IrStageEntry, IssueResolution
from storage.repositories.names import child_display_name
from storage.repositories.visibility import visibility_clause


class IrListScope(StrEnum):
    RAISED = "raised"  # raised by me
    AWAITING = "awaiting"  # waiting for my response (I own the current stage)
    ALL = "all"  # either


@dataclass(frozen=True)
class IrSummary:
    reference: str
    child_pk: int | None
    child_name: str
    stage: str  # stage key
    status: str
    raised_on: date
    stage_due: date | None
    formal_due: date | None
    awaiting_me: bool


async def list_irs(
    session: AsyncSession,
    staff_id: int,
    visibility: Visibility,
    scope: IrListScope,
    include_resolved: bool = False,
    limit: int = 50,
    child_pk: int | None = None,
) -> list[IrSummary]:
    """The IRs ``scope`` names (raised by, or waiting for, ``staff_id``), or with ``child_pk``
    every IR about that child, among those the visibility allows."""
    # The open stage entry of an IR is its last one; owning it means the response is mine.
    current_owner = exists().where(
        IrStageEntry.ir_id == IssueResolution.id,
        IrStageEntry.owner_id == staff_id,
        IrStageEntry.stage == IssueResolution.current_stage,
    )
    awaiting = and_(current_owner, IssueResolution.status == IRStatus.OPEN_AWAITING_RESPONSE.value)
    raised = IssueResolution.raised_by_id == staff_id
    if scope is IrListScope.RAISED:
        condition = raised
    elif scope is IrListScope.AWAITING:
        condition = awaiting
    else:
        condition = or_(raised, awaiting)
    if child_pk is not None:
        condition = IssueResolution.child_pk == child_pk
    query = (
        select(IssueResolution, Child.given_name, Child.family_name, Child.child_id,
               awaiting.label("awaiting_me"))
        .join(Child, Child.id == IssueResolution.child_pk, isouter=True)
        # A stage owner may see the IR they must answer even outside their own caseload.
        .where(condition, or_(awaiting, visibility_clause(visibility, as_filter=True)))
        .order_by(IssueResolution.stage_due.is_(None), IssueResolution.stage_due,
                  IssueResolution.raised_on.desc())
        .limit(limit)
    )  # fmt: skip
    if not include_resolved:
        query = query.where(IssueResolution.status != IRStatus.RESOLVED.value)
    rows = await session.execute(query)
    return [
        IrSummary(
            reference=ir.reference,
            child_pk=ir.child_pk,
            child_name=child_display_name(given, family) or child_id or "unknown child",
            stage=ir.current_stage,
            status=ir.status,
            raised_on=ir.raised_on,
            stage_due=ir.stage_due,
            formal_due=ir.formal_due,
            awaiting_me=bool(awaiting_me),
        )
        for ir, given, family, child_id, awaiting_me in rows
    ]


async def may_read_ir(
    session: AsyncSession, reference: str, staff_id: int, visibility: Visibility
) -> bool:
    """The raiser, any owner in its history, or anyone who may see the child."""
    found = await session.scalar(
        select(IssueResolution.id)
        .join(Child, Child.id == IssueResolution.child_pk, isouter=True)
        .where(
            IssueResolution.reference == reference,
            or_(
                IssueResolution.raised_by_id == staff_id,
                exists().where(IrStageEntry.ir_id == IssueResolution.id,
                               IrStageEntry.owner_id == staff_id),
                visibility_clause(visibility, as_filter=True),
            ),
        )
    )  # fmt: skip
    return found is not None
