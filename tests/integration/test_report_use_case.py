"""The annual report as a use case (``services.reports``): the command line acts for the service;
a member of staff must be one who may see the service's figures, and the ask is audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.demo_data import MEGAN, seed_demo
from domain.reporting import Period
from domain.rules import load_rules
from services.reports import annual_report
from services.reports.registry import sections_by_key
from services.unit_of_work import SqlUnitOfWork
from storage.models import AuditEntry, Staff
from storage.repositories.staff import to_staff_member

TODAY = date(2026, 11, 26)
RULES = load_rules()
YEAR = Period(date(2025, 4, 1), date(2026, 3, 31))


async def _person(sessions: async_sessionmaker[AsyncSession], **where: str):
    async with sessions() as session:
        row = await session.scalar(select(Staff).filter_by(**where).limit(1))
        assert row is not None
        return to_staff_member(row)


async def _audits(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, int]]:
    async with sessions() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == "report.annual"))
        return [(r.action, r.outcome, r.actor_staff_id) for r in rows]


async def test_who_may_build_the_annual_report(sessions: async_sessionmaker[AsyncSession]):
    async with sessions() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=7)
    qa = await _person(sessions, role="qa_manager")
    social_worker = await _person(sessions, email=MEGAN.email)
    sections = [sections_by_key()["irs"]]

    async with sessions() as session, session.begin():
        # The command line: the service itself, no member of staff, nothing to refuse.
        by_service = await annual_report(SqlUnitOfWork(session), RULES, YEAR, TODAY, sections)
    async with sessions() as session, session.begin():
        by_qa = await annual_report(SqlUnitOfWork(session), RULES, YEAR, TODAY, sections, qa)
    assert by_qa is not None and by_qa == by_service and by_qa.sections

    async with sessions() as session, session.begin():
        refused = await annual_report(SqlUnitOfWork(session), RULES, YEAR, TODAY, sections,
                                      social_worker)  # fmt: skip
    assert refused is None
    assert await _audits(sessions) == [
        ("report.annual", "ok", qa.id),
        ("report.annual", "refused", social_worker.id),
    ]
