"""A child's child protection plans, as the domain's CP rules take them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CpConference, CpPlan


@dataclass(frozen=True)
class CpPlanInputs:
    strategy_discussion_on: date
    initial_conference_on: date | None
    review_conferences: tuple[date, ...]
    ended_on: date | None


async def cp_plans_for(session: AsyncSession, child_pk: int) -> list[CpPlanInputs]:
    """The child's CP plans, latest strategy discussion first."""
    plans = list(
        await session.scalars(
            select(CpPlan)
            .where(CpPlan.child_pk == child_pk)
            .order_by(CpPlan.strategy_discussion_on.desc())
        )
    )
    out = []
    for plan in plans:
        reviews = tuple(
            await session.scalars(
                select(CpConference.held_on)
                .where(CpConference.cp_plan_id == plan.id, CpConference.kind == "review")
                .order_by(CpConference.held_on)
            )
        )
        out.append(CpPlanInputs(plan.strategy_discussion_on, plan.initial_conference_on,
                                reviews, plan.ended_on))  # fmt: skip
    return out
