"""Questions about a caseload: which children (and which names a user may type), what is due,
which IRs are waiting, one IR's status, a child's child protection plan. Each checks what the
actor may see (``domain.permissions``) and audits the read; none writes anything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from domain import issues_resolution as ir_model
from domain.permissions import visibility_for
from domain.ports import ChildSummary, NameCandidate, Role, StaffMember
from services.context import Services
from services.unit_of_work import SqlUnitOfWork, UnitOfWork
from storage.repositories.child_protection import CpPlanInputs, cp_plans_for
from storage.repositories.ir_lists import IrListScope, IrSummary, list_irs
from storage.repositories.issues import IrNotFound


async def candidate_names(uow: UnitOfWork, actor: StaffMember) -> list[NameCandidate]:
    """Every name the actor may type for a child they can see (for the name index)."""
    return await uow.children.candidate_names(visibility_for(actor))


async def visible_child(uow: UnitOfWork, actor: StaffMember, child_pk: int) -> ChildSummary | None:
    """The child, when the actor may see it; None otherwise (absent or not visible alike),
    and then the attempt is audited as refused."""
    child = await uow.children.get(child_pk, visibility_for(actor))
    if child is None:
        await uow.audit.record("child.read", actor_staff_id=actor.id, entity_type="child",
                               entity_id=child_pk, outcome="refused")  # fmt: skip
    return child


async def due_children(
    uow: UnitOfWork, actor: StaffMember, first: date | None, last: date | None, today: date,
    *, overdue: bool,
) -> list[ChildSummary]:  # fmt: skip
    """The children whose next review is overdue (``overdue``) or due in ``[first, last]``: an
    IRO's own caseload; anyone else's visible caseload."""
    repo, visibility = uow.children, visibility_for(actor)
    if actor.role == Role.IRO:
        if overdue:
            children = await repo.overdue(actor.id, today, visibility)
        else:
            assert first is not None and last is not None
            children = await repo.due_between(actor.id, first, last, visibility)
    else:
        caseload = await repo.visible_to(visibility, limit=2000)
        if overdue:
            children = [c for c in caseload if c.next_review_due and c.next_review_due < today]
        else:
            assert first is not None and last is not None
            children = [c for c in caseload
                        if c.next_review_due and first <= c.next_review_due <= last]  # fmt: skip
    await uow.audit.record("child.list", actor_staff_id=actor.id, entity_type="child",
                           detail={"count": len(children), "overdue": overdue})  # fmt: skip
    return children


async def irs_for(
    uow: SqlUnitOfWork, actor: StaffMember, scope: IrListScope | None
) -> tuple[IrListScope, list[IrSummary]]:
    """The open IRs the actor raised, must answer, or both; managers asking "my IRs" mean the
    ones they must answer."""
    wanted = scope or (IrListScope.ALL if actor.role == Role.IRO else IrListScope.AWAITING)
    items = await list_irs(uow.session, actor.id, visibility_for(actor), wanted)
    await uow.audit.record("ir.list", actor_staff_id=actor.id, entity_type="ir",
                           detail={"count": len(items), "scope": wanted.value})  # fmt: skip
    return wanted, items


@dataclass(frozen=True)
class IrStatus:
    ir: ir_model.IR
    child: ChildSummary | None  # None: the child is outside the actor's caseload


async def ir_status(uow: SqlUnitOfWork, actor: StaffMember, reference: str) -> IrStatus | None:
    """One IR, when the actor may read it (raiser, a stage owner, or may see the child)."""
    visibility = visibility_for(actor)
    if not await uow.irs.may_read(reference, actor.id, visibility):
        await uow.audit.record("ir.read", actor_staff_id=actor.id, entity_type="ir",
                               entity_id=reference, outcome="refused")  # fmt: skip
        return None
    try:
        ir, row = await uow.irs.load(reference)
    except IrNotFound:
        return None
    await uow.audit.record("ir.read", actor_staff_id=actor.id, entity_type="ir",
                           entity_id=reference)  # fmt: skip
    child = await uow.children.get(row.child_pk, visibility) if row.child_pk else None
    return IrStatus(ir, child)


async def current_cp_plan(
    uow: SqlUnitOfWork, actor: StaffMember, child: ChildSummary
) -> CpPlanInputs | None:
    """The child's current child protection plan (``child`` read with the actor's visibility)."""
    await uow.audit.child_read(actor, child.pk, "cp_conference")
    plans = [p for p in await cp_plans_for(uow.session, child.pk) if p.ended_on is None]
    return plans[0] if plans else None


def name_loader(
    services: Services, actor: StaffMember
) -> Callable[[], Awaitable[list[NameCandidate]]]:
    """``candidate_names`` in a unit of work of its own, for a cache to call when it must."""

    async def load() -> list[NameCandidate]:
        async with services.unit_of_work() as uow:
            return await candidate_names(uow, actor)

    return load
