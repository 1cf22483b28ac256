"""A question's session (``Services.answering``) only reads: a write is refused as it is
attempted, before it reaches the database, and the store is left as it was; on both databases
(on PostgreSQL the session is in autocommit, where a write would otherwise be committed at once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.rules import load_rules
from services.context import Services
from storage.audit import record_audit
from storage.models.audit import AuditEntry
from storage.models.staff import Staff
from storage.reads_only import WriteRefusedError

Attempt = Callable[[AsyncSession], Awaitable[object]]


async def _add_then_query(session: AsyncSession) -> None:
    session.add(Staff(email="new@example.com", display_name="New Person", role="iro"))
    await session.scalar(select(func.count()).select_from(Staff))  # autoflush


async def _change_then_query(session: AsyncSession) -> None:
    person = await session.scalar(select(Staff))
    assert person is not None
    person.display_name = "Renamed"
    await session.scalar(select(func.count()).select_from(Staff))  # autoflush


async def _flush_a_deletion(session: AsyncSession) -> None:
    person = await session.scalar(select(Staff))
    assert person is not None
    await session.delete(person)
    await session.flush()


ATTEMPTS: dict[str, Attempt] = {
    "core insert": lambda s: s.execute(
        insert(Staff).values(email="core@example.com", display_name="Core", role="iro")
    ),
    "core update": lambda s: s.execute(update(Staff).values(display_name="Renamed")),
    "core delete": lambda s: s.execute(delete(Staff)),
    "orm add, autoflushed": _add_then_query,
    "orm change, autoflushed": _change_then_query,
    "orm delete, flushed": _flush_a_deletion,
}


async def _store(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(select(Staff.email, Staff.display_name).order_by(Staff.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
async def test_a_write_in_a_questions_session_is_refused_and_nothing_is_written(
    sessions: async_sessionmaker[AsyncSession], attempt: str
) -> None:
    async with sessions() as session, session.begin():
        session.add(Staff(email="iro@example.com", display_name="An IRO", role="iro"))
    before = await _store(sessions)
    services = Services(sessions, load_rules())

    with pytest.raises(WriteRefusedError):
        async with services.answering() as uow:
            await record_audit(uow.session, "child.read", actor_staff_id=1)
            await ATTEMPTS[attempt](uow.session)

    assert await _store(sessions) == before
    async with sessions() as session:
        # The question failed, so the entry it held was not written either.
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_reads_and_held_audits_still_work_in_a_questions_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        session.add(Staff(email="iro@example.com", display_name="An IRO", role="iro"))
    services = Services(sessions, load_rules())

    async with services.answering() as uow:
        names = list(await uow.session.scalars(select(Staff.display_name)))
        await record_audit(uow.session, "child.read", actor_staff_id=1)

    assert names == ["An IRO"]
    async with sessions() as session:
        # Not taken by a state write, the held entry is written when the block ends.
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 1


async def test_a_transaction_after_a_question_still_writes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # The refusal belongs to the question's session class, not to the factory it came from.
    services = Services(sessions, load_rules())
    async with services.answering() as uow:
        await uow.session.scalar(select(func.count()).select_from(Staff))
    async with services.transaction() as session:
        session.add(Staff(email="later@example.com", display_name="Later", role="iro"))
    assert await _store(sessions) == [("later@example.com", "Later")]
