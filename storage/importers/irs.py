"""Writing Issues Resolutions recorded in an earlier system, from an IRs file (read and checked
by ``services.imports.irs``).

What an earlier system usually does not record, and what we store instead:

- the date of an escalation: an IR resolved at a higher stage than it was raised at gets one
  escalation entry for the resolved stage, dated the day it was resolved (the only date known),
  and becomes formal then if it was raised informally;
- an open IR's current stage is the stage it was raised at, and its response deadlines
  (IR-STAGE, IR-FORMAL) are computed by the domain.

An IR the bot itself recorded is never overwritten by an import (the checks refuse it: its
``source`` is not ``SOURCE``). Imported references of the bot's own form (IR-2025-0042) move the
bot's counter on, so it never issues one again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.deadlines import apply_timescale
from domain.issues_resolution import FORMAL_RULE, STAGE_RULE, IRStatus
from domain.rules import RuleSet, Stage
from storage.importers.common import Written, all_staff, children_by_id, chunks, outcome
from storage.models import IrReason, IrStageEntry, IssueResolution
from storage.repositories.issues import _reserve_given_reference

SOURCE = "import"
ESCALATION_NOTE = "imported: the earlier system did not record when it was escalated"


@dataclass(frozen=True)
class IrRow:
    line: int
    reference: str
    child_id: str
    raised_by: str
    raised_on: date
    stage_raised: Stage
    stage_resolved: Stage | None
    resolved_on: date | None
    reasons: tuple[str, ...]
    service_area: str | None


async def irs_by_reference(
    session: AsyncSession, references: Sequence[str]
) -> dict[str, IssueResolution]:
    """The stored IRs with any of ``references``, by reference."""
    found: dict[str, IssueResolution] = {}
    for batch in chunks(references):
        for ir in await session.scalars(
            select(IssueResolution).where(IssueResolution.reference.in_(batch))
        ):
            found[ir.reference] = ir
    return found


async def write_irs(session: AsyncSession, records: Sequence[IrRow], rules: RuleSet) -> Written:
    """Create or update each IR with its reasons and stage history."""
    written = Written()
    staff_ids = {s.email: s.id for s in await all_staff(session)}
    children = await children_by_id(session, (r.child_id for r in records))
    stored = await irs_by_reference(session, [r.reference for r in records])
    for record in records:
        ir = stored.get(record.reference)
        created = ir is None
        resolved = record.resolved_on is not None
        final_stage = (record.stage_resolved if resolved else None) or record.stage_raised
        escalated = final_stage.order > record.stage_raised.order
        # Stage history: the stage raised at, then the resolved stage when it was higher.
        entries = [(1, record.stage_raised.key, record.raised_on, None)]
        if escalated and record.resolved_on:
            entries.append((2, final_stage.key, record.resolved_on, ESCALATION_NOTE))
        if record.stage_raised.is_formal:
            formal_since: date | None = record.raised_on
        elif final_stage.is_formal:
            formal_since = record.resolved_on
        else:
            formal_since = None
        stage_due = formal_due = None
        if not resolved:
            stage_due = apply_timescale(
                rules.timescale(STAGE_RULE), record.raised_on, rules.calendar
            ).due
            if formal_since:
                formal_due = apply_timescale(
                    rules.timescale(FORMAL_RULE), formal_since, rules.calendar
                ).due
        wanted: dict[str, object] = {
            "child_pk": children[record.child_id].id,
            "raised_by_id": staff_ids[record.raised_by],
            "raised_on": record.raised_on,
            "stage_raised": record.stage_raised.key,
            "current_stage": final_stage.key,
            "status": (IRStatus.RESOLVED if resolved else IRStatus.OPEN_AWAITING_RESPONSE).value,
            "service_area": record.service_area,
            "formal_since": formal_since,
            "stage_due": stage_due,
            "formal_due": formal_due,
            "resolved_on": record.resolved_on,
            "resolved_at_stage": final_stage.key if resolved else None,
        }
        if ir is None:
            ir = IssueResolution(reference=record.reference, source=SOURCE, version=1)
            session.add(ir)
        changed = False
        for attr, value in wanted.items():
            if getattr(ir, attr) != value:
                setattr(ir, attr, value)
                changed = True
        if created:
            await session.flush()  # the IR's id, for its reasons and stages
            have_reasons: set[str] = set()
            have_entries: list[tuple[int, str, date, str | None]] = []
        else:
            have_reasons = set(
                await session.scalars(select(IrReason.reason).where(IrReason.ir_id == ir.id))
            )
            rows = await session.execute(
                select(
                    IrStageEntry.seq,
                    IrStageEntry.stage,
                    IrStageEntry.entered_on,
                    IrStageEntry.escalation_reason,
                )
                .where(IrStageEntry.ir_id == ir.id)
                .order_by(IrStageEntry.seq)
            )
            have_entries = [(seq, stage, on, note) for seq, stage, on, note in rows]
        if have_reasons != set(record.reasons):
            await session.execute(delete(IrReason).where(IrReason.ir_id == ir.id))
            session.add_all(IrReason(ir_id=ir.id, reason=r) for r in record.reasons)
            changed = True
        if have_entries != entries:
            await session.execute(delete(IrStageEntry).where(IrStageEntry.ir_id == ir.id))
            session.add_all(
                IrStageEntry(
                    ir_id=ir.id, seq=seq, stage=stage, entered_on=on, escalation_reason=note
                )
                for seq, stage, on, note in entries
            )
            changed = True
        if changed and not created:
            ir.version += 1  # a card showing the old state is then recognised as stale
        written.outcomes.append(outcome(created, changed))
        # A reference of the bot's own form moves the bot's counter past it.
        await _reserve_given_reference(session, record.reference)
    return written
