"""What every part of the bot needs from outside a turn: the store, the rules and the clock.

Built once in ``bot.wiring`` and handed to the handler and the dialogs, so nothing reads a
global and tests can pass a fixed ``today``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import today_in
from domain.rules import RuleSet


@dataclass(frozen=True)
class BotServices:
    sessions: async_sessionmaker[AsyncSession]
    rules: RuleSet
    # The authority's today (Europe/London by default); tests pin it.
    clock: Callable[[], date] = field(default=lambda: today_in("Europe/London"))

    def today(self) -> date:
        return self.clock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits when the block ends normally, else rolls back.

        Reads use it too: the audit entry a read writes commits with it.
        """
        async with self.sessions() as session, session.begin():
            yield session
