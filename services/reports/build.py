"""Build a report: run the chosen sections against the store for a period and its predecessor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from domain.reporting import Period, Report, previous_period
from domain.rules import RuleSet
from services.reports.context import ReportContext, ReportSection


async def build_report(
    session: AsyncSession,
    period: Period,
    rules: RuleSet,
    today: date,
    sections: Sequence[ReportSection] | None = None,
) -> Report:
    """The report for ``period`` with the previous period of the same length beside it.

    Reads only; the caller owns the session (and should roll it back or close it).
    """
    if sections is None:
        from services.reports.registry import SECTIONS

        sections = SECTIONS
    ctx = ReportContext(
        session=session, rules=rules, period=period, previous=previous_period(period), today=today
    )
    results = []
    for section in sections:
        results.append(await section.build(ctx))
    return Report(
        title=f"Independent Reviewing Officer service: annual report figures, {period.label}",
        authority=rules.authority_name,
        period=period,
        previous=ctx.previous,
        generated_on=today,
        sections=tuple(results),
    )
