"""Raising an Issues Resolution, and who would answer it at a stage (before it is raised).

The stage owner is found up the child's social worker's line of managers
(``domain.stage_owners``). Raising writes the IR, its audit entry and its notifications (the
stage owner's card, the IRO's copy, a word to the social worker) in one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain import issues_resolution as ir_model
from domain.deadlines import Deadline
from domain.permissions import Change
from domain.ports import StaffMember
from domain.rules import RuleSet
from domain.stage_owners import stage_owner
from services.ir_cards import NoticeWording, enqueue_for_events
from services.reviews import child_for_change
from services.unit_of_work import ChildRow, UnitOfWork


async def stage_owner_for(
    uow: UnitOfWork, rules: RuleSet, child: ChildRow, stage_key: str
) -> StaffMember | None:
    managers = await uow.irs.management_chain(child.social_worker_id)
    return stage_owner(rules.stage(stage_key), managers)


@dataclass(frozen=True)
class OwnerPreview:
    """Who would answer an IR about this child at a stage, before it is raised."""

    owner: StaffMember | None  # None: nobody holding the stage's role is recorded
    has_social_worker: bool  # without one there is no line of managers to look up


async def preview_stage_owner(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int, stage_key: str
) -> OwnerPreview:
    child = await child_for_change(uow, actor, child_pk, Change.RAISE_IR)
    await uow.audit.child_read(actor, child.id, "ir_stage_owner")
    owner = await stage_owner_for(uow, rules, child, rules.stage(stage_key).key)
    return OwnerPreview(owner=owner, has_social_worker=child.social_worker_id is not None)


async def open_irs_about(uow: UnitOfWork, actor: StaffMember, child_pk: int) -> list[str]:
    """The references of the child's open IRs, for someone about to raise another: who may see
    the child (else ``ChildNotVisible``) and raise an IR about them (else ``NotPermitted``)."""
    child = await child_for_change(uow, actor, child_pk, Change.RAISE_IR)
    return await uow.irs.open_references(child.id)


@dataclass(frozen=True)
class RaisedIr:
    reference: str
    ir: ir_model.IR
    owner: StaffMember | None
    stage_due: Deadline
    formal_due: Deadline | None


async def raise_issue(
    uow: UnitOfWork, rules: RuleSet, actor: StaffMember, child_pk: int,
    reasons: Sequence[str], description: str, stage_key: str, today: date,
    wording: NoticeWording,
) -> RaisedIr:  # fmt: skip
    child = await child_for_change(uow, actor, child_pk, Change.RAISE_IR)
    owner = await stage_owner_for(uow, rules, child, stage_key)
    social_worker = await uow.irs.staff_row(child.social_worker_id)
    ir, events = ir_model.raise_ir(
        rules,
        child_id=child.child_id,
        raised_by=actor.email,
        reasons=reasons,
        description=description,
        on=today,
        stage=stage_key,
        owner=owner.email if owner else None,
        service_area=child.service_area if child.service_area in rules.service_areas else None,
        social_worker=social_worker.email if social_worker else None,
    )
    reference = await uow.irs.add(ir, rules, child_pk=child.id, raised_by_id=actor.id,
                                  owner_id=owner.id if owner else None)  # fmt: skip
    ir = ir_model.with_reference(ir, reference)
    await uow.audit.record(
        "ir.raise", actor_staff_id=actor.id, entity_type="ir", entity_id=reference,
        detail={"child_pk": child.id, "stage": stage_key, "reasons": len(ir.reasons)},
    )  # fmt: skip
    # In this unit of work, so the IR and the news of it are stored together or not at all:
    # the stage owner's card, the IRO's copy, and a word to the child's social worker.
    await enqueue_for_events(uow, rules, reference, events, today, wording)
    return RaisedIr(
        reference=reference,
        ir=ir,
        owner=owner,
        stage_due=ir_model.stage_deadline(ir, rules),
        formal_due=ir_model.formal_deadline(ir, rules),
    )
