"""The annual report's tables for a period (domain.md section 7), for whoever may see them.

The command line (`iro-bot report`) acts for the service itself and passes no member of staff;
a member of staff asking (a web page, later) must be one who may see the service's figures
(``domain.permissions.may_see_service_figures``), and the ask is audited either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.permissions import may_see_service_figures
from domain.ports import StaffMember
from domain.reporting import Period, Report
from domain.rules import RuleSet
from services.reports.build import build_report
from services.reports.context import ReportSection
from services.unit_of_work import SqlUnitOfWork


async def annual_report(
    uow: SqlUnitOfWork, rules: RuleSet, period: Period, today: date,
    sections: Sequence[ReportSection], actor: StaffMember | None = None,
) -> Report | None:  # fmt: skip
    """The report's ``sections`` for ``period``, each beside the period before it; None (and
    the refusal audited) when ``actor`` may not see the service's figures."""
    if actor is not None:
        allowed = may_see_service_figures(actor)
        await uow.audit.record(
            "report.annual", actor_staff_id=actor.id, outcome="ok" if allowed else "refused",
            detail={"from": period.start.isoformat(), "to": period.end.isoformat()},
        )  # fmt: skip
        if not allowed:
            return None
    return await build_report(uow.session, period, rules, today, list(sections))
