"""Issues Resolution figures (domain brief 7; seed report 21.5, 21.6 and the 21.9 table).

``load_ir_facts`` is the only query; the section ``services.reports.issues`` builds the tables
from its facts.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reporting import IrFact, Period
from storage.models import IrReason, IssueResolution


async def load_ir_facts(session: AsyncSession, span: Period) -> list[IrFact]:
    """Every IR raised within ``span``, with its reasons (two queries, none per IR)."""
    raised = (IssueResolution.raised_on >= span.start) & (IssueResolution.raised_on <= span.end)
    reasons: dict[int, list[str]] = defaultdict(list)
    for ir_id, reason in await session.execute(
        select(IrReason.ir_id, IrReason.reason)
        .join(IssueResolution, IssueResolution.id == IrReason.ir_id)
        .where(raised)
    ):
        reasons[ir_id].append(reason)
    rows = await session.execute(
        select(
            IssueResolution.id,
            IssueResolution.reference,
            IssueResolution.raised_on,
            IssueResolution.stage_raised,
            IssueResolution.current_stage,
            IssueResolution.resolved_at_stage,
            IssueResolution.service_area,
        )
        .where(raised)
        .order_by(IssueResolution.raised_on, IssueResolution.id)
    )
    return [
        IrFact(
            reference=row.reference,
            raised_on=row.raised_on,
            stage_raised=row.stage_raised,
            current_stage=row.current_stage,
            resolved_at_stage=row.resolved_at_stage,
            service_area=row.service_area,
            reasons=tuple(sorted(reasons.get(row.id, ()))),
        )
        for row in rows
    ]
