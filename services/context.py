"""What every surface needs to run a use case: units of work over the store, the rules and
the clock.

Built once in ``bot.wiring`` and handed to the handler, the dialogs and the workers, so nothing
reads a global and tests can pass a fixed ``today``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.rules import RuleSet
from services.clock import today_in
from services.unit_of_work import SqlUnitOfWork
from storage.audit import hold_audits, take_held_audits, write_audits
from storage.reads_only import REFUSAL, ReadsOnlySession, WriteRefusedError


@dataclass(frozen=True)
class Services:
    sessions: async_sessionmaker[AsyncSession]
    rules: RuleSet
    # The authority's today (Europe/London by default); tests pin it.
    clock: Callable[[], date] = field(default=lambda: today_in("Europe/London"))

    def today(self) -> date:
        return self.clock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits when the block ends normally, else rolls back: for the
        surfaces' own bookkeeping (who is asking, where to reach them), not for use cases.
        """
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqlUnitOfWork]:
        """One use case's unit of work: commits when the block ends normally, else rolls back."""
        async with self.sessions() as session, session.begin():
            yield SqlUnitOfWork(session)

    @asynccontextmanager
    async def answering(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work for a question's reads, outside any transaction, holding the audit entries
        it records (``storage.audit.hold_audits``) for the caller to take and write with the
        conversation state (``SqlConversationState.save_changes_with``): both or neither, in
        fewer round trips than a transaction around everything. Entries not taken are written
        when the block ends normally (none if it fails: the question was not answered).

        On PostgreSQL each read is then one round trip (autocommit: no BEGIN, no ROLLBACK). In
        READ COMMITTED, the default, each statement of a transaction sees its own snapshot
        anyway, so the reads see what they would have seen inside one. Only reads and audit
        entries belong here: a flush or a DML statement raises ``WriteRefusedError`` as it is
        attempted (``storage.reads_only``), and so does leaving an object added or changed.
        """
        async with self.sessions(
            bind=self._reads_bind, sync_session_class=ReadsOnlySession
        ) as session:
            hold_audits(session)
            yield SqlUnitOfWork(session)
            if session.new or session.dirty or session.deleted:
                raise WriteRefusedError(REFUSAL)
            left = take_held_audits(session)
        if left:
            async with self.transaction() as writer:
                await write_audits(writer, left)

    @cached_property
    def _reads_bind(self) -> AsyncEngine:
        engine = self.sessions.kw["bind"]
        if engine.dialect.name == "postgresql":
            return engine.execution_options(isolation_level="AUTOCOMMIT")
        # SQLite's driver here opens no transaction for a SELECT.
        return engine
