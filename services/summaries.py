"""The service's figures for a period, for QA managers: IRs (raised, by stage, by reason, by
service area) and reviews (timeliness, paperwork), each beside the period it is compared with,
computed by the same rules as ``iro-bot report`` (``domain.reporting``).

Who may ask is ``domain.permissions.may_see_service_figures``; every ask is audited, a refusal
too (as ``report.summary`` with outcome refused).
"""

from __future__ import annotations

from domain.permissions import may_see_service_figures
from domain.ports import StaffMember
from domain.reporting import (
    IrFigures,
    Period,
    ReviewFigures,
    ir_figures,
    review_facts,
    review_figures,
)
from domain.rules import RuleSet
from services.unit_of_work import SqlUnitOfWork
from storage.reporting.issues import load_ir_facts
from storage.reporting.reviews import load_care_episodes


async def _asked(
    uow: SqlUnitOfWork, actor: StaffMember, topic: str, period: Period
) -> bool:
    allowed = may_see_service_figures(actor)
    await uow.audit.record(
        "report.summary", actor_staff_id=actor.id, outcome="ok" if allowed else "refused",
        detail={"topic": topic, "from": period.start.isoformat(),
                "to": period.end.isoformat()},
    )  # fmt: skip
    return allowed


async def ir_summary(
    uow: SqlUnitOfWork, rules: RuleSet, actor: StaffMember, period: Period, previous: Period
) -> tuple[IrFigures, IrFigures] | None:
    """The IR figures for ``period`` and for ``previous``; None when the actor may not see
    them."""
    if not await _asked(uow, actor, "irs", period):
        return None
    facts = await load_ir_facts(uow.session, Period(previous.start, period.end))
    return ir_figures(facts, period), ir_figures(facts, previous)


async def review_summary(
    uow: SqlUnitOfWork, rules: RuleSet, actor: StaffMember, period: Period, previous: Period
) -> tuple[ReviewFigures, ReviewFigures] | None:
    """The review figures for ``period`` and for ``previous``; None when the actor may not see
    them."""
    if not await _asked(uow, actor, "reviews", period):
        return None
    episodes = await load_care_episodes(uow.session, Period(previous.start, period.end))
    reviews = review_facts(episodes, rules)
    return review_figures(reviews, period), review_figures(reviews, previous)
