"""Children missing from care (domain brief 7; seed report 19.4, 19.10, 19.16)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reporting import (
    Cell,
    Compared,
    MissingFact,
    Period,
    SectionResult,
    Table,
    compared_csv,
    missing_figures,
    percent,
)
from storage.models import Child, MissingEpisode
from storage.reporting.base import ReportContext

_RHI_LABELS = {
    "completed": "Return home interview completed",
    "refused": "Return home interview refused",
    "not_recorded": "Return home interview not recorded",
}


async def load_missing_facts(session: AsyncSession, span: Period) -> list[MissingFact]:
    rows = await session.execute(
        select(Child.child_id, MissingEpisode.started_on, MissingEpisode.rhi_outcome)
        .join(Child, Child.id == MissingEpisode.child_pk)
        .where(MissingEpisode.started_on >= span.start, MissingEpisode.started_on <= span.end)
    )
    return [
        MissingFact(child_id, started, outcome or "not_recorded")
        for child_id, started, outcome in rows
    ]


class MissingSection:
    key = "missing"
    title = "Children missing from care"

    async def build(self, ctx: ReportContext) -> SectionResult:
        facts = await load_missing_facts(ctx.session, ctx.span)
        return missing_section(facts, ctx.period, ctx.previous)


def missing_section(
    facts: Sequence[MissingFact], period: Period, previous: Period
) -> SectionResult:
    this = missing_figures(facts, period)
    last = missing_figures(facts, previous)
    rows: list[tuple[Cell, ...]] = [
        ("Missing episodes", Compared(this.episodes, last.episodes), None),
        ("Children who went missing", Compared(this.children, last.children), None),
    ]
    for outcome, label in _RHI_LABELS.items():
        rows.append(
            (
                label,
                Compared(this.rhi[outcome], last.rhi[outcome]),
                Compared(
                    percent(this.rhi[outcome], this.episodes),
                    percent(last.rhi[outcome], last.episodes),
                    True,
                ),
            )
        )
    return SectionResult(
        key="missing",
        title="Children missing from care",
        summary=(
            f"{this.episodes} ({last.episodes}) missing episodes involving {this.children} "
            f"({last.children}) children started in {period.label} ({previous.label} in "
            "brackets).",
        ),
        tables=(
            Table(
                key="missing_summary",
                title="Missing episodes and return home interviews (MISS-RHI)",
                columns=("Measure", "Number", "% of episodes"),
                rows=tuple(rows),
                csv=(compared_csv("missing_summary", "measure", ("number", "percent"), rows),),
                source="the missing episodes recorded for each child, by the date they started",
            ),
        ),
        notes=(
            "An episode counts in the period in which it started; a return home interview with "
            "no outcome recorded counts as not recorded.",
        ),
    )
