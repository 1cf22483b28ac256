"""What a report section is, and the context each one is built in.

A section is any object with a ``key``, a ``title`` and ``async build(ctx) -> SectionResult``.
It reads what it needs through the queries in ``storage.reporting`` with ``ctx.session`` and
returns plain tables and charts (``domain.reporting``), which every renderer can draw. Adding a
section (issue 8's SSDA903-based ones, say) means writing one module with such an object (and
its query in ``storage/reporting/``) and listing it in ``services.reports.registry.SECTIONS``;
no renderer changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from domain.reporting import Period, SectionResult
from domain.rules import RuleSet


@dataclass(frozen=True)
class ReportContext:
    session: AsyncSession
    rules: RuleSet
    period: Period
    previous: Period
    today: date
    # What one section read that another needs too (children in care feeds three sections),
    # so a report reads it once. Keyed by the loader's name; lives as long as the report.
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def span(self) -> Period:
        """Both periods together: sections read once over this and split in Python."""
        return Period(self.previous.start, self.period.end)


class ReportSection(Protocol):
    key: str  # also the name used by `iro-bot report --sections`
    title: str

    async def build(self, ctx: ReportContext) -> SectionResult: ...
