"""What a question costs the store, and what the shortcuts on the turn path may and may not skip.

Over HTTP on the seeded demo, on SQLite and PostgreSQL: a "next review" answer reads the child,
then writes the read's audit entry and the conversation state together (one transaction on
SQLite, one statement on PostgreSQL); the sender's identity is reused for at most
``bot/staff_cache.py``'s 30 s, after which someone made inactive is refused (and audited); a
refused sender is looked up every time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest_asyncio
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.demo_data import ALEX, seed_demo
from bot.handler import IroBot
from bot.settings import Settings
from bot.staff_cache import DEFAULT_TTL_SECONDS, RecentStaff
from bot.wiring import build_bot
from cards.common import UNKNOWN_USER
from storage.engine import session_factory
from storage.migrate import upgrade
from storage.models import AuditEntry, Child, Staff
from tests.e2e.conftest import BotClient, EmptyStore, TeamsUser
from tests.e2e.test_conversation import ALEX_T, RULES, TODAY, shown, unique_named


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Store:
    engine: AsyncEngine
    bot: IroBot
    clock: Clock
    client: Callable[..., BotClient]
    statements: list[str]
    commits: list[object]

    async def count(self, query: object) -> int:
        async with session_factory(self.engine)() as session:
            return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


@pytest_asyncio.fixture
async def store(
    empty_store: EmptyStore,
    e2e_settings: Settings,
    start_app: Callable,
    teams: Callable[..., BotClient],
) -> AsyncIterator[Store]:
    engine = empty_store.engine()
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=7)
    bot = build_bot(e2e_settings, engine, clock=lambda: TODAY)
    clock = Clock()
    bot.recent_staff = RecentStaff(clock=clock)
    statements: list[str] = []
    commits: list[object] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_a: statements.append(sql.split()[0].upper()))  # fmt: skip
    event.listen(engine.sync_engine, "commit", lambda conn: commits.append(conn))
    app = await start_app(bot, engine=engine)
    yield Store(engine, bot, clock, lambda who=ALEX_T: teams(app, user=who), statements, commits)
    await engine.dispose()


async def alex_children(store: Store) -> list[Child]:
    async with session_factory(store.engine)() as session:
        alex = await session.scalar(select(Staff.id).where(Staff.email == ALEX.email))
        rows = await session.scalars(select(Child).where(Child.iro_id == alex).order_by(Child.id))
        return unique_named(list(rows))


def on_postgresql(store: Store) -> bool:
    return store.engine.dialect.name == "postgresql"


async def test_a_follow_up_question_writes_its_audit_entry_with_the_state(store: Store) -> None:
    first, second = (await alex_children(store))[:2]
    client = store.client()
    await client.send(f"when is {first.given_name} {first.family_name}'s next review due?")
    store.statements.clear()
    store.commits.clear()
    [reply] = await client.send(f"next review for {second.given_name} {second.family_name}")
    assert ": next review" in shown(reply)
    # The conversation state; the child (with its visibility check); its reviews and
    # brought-forward directions (one statement); then the audit entry of the read and the
    # conversation state, written after the reads (so a SQLite write lock is held only for the
    # two writes and the commit). No identity lookup (the sender was identified on the last
    # turn) and no second read of the child.
    reads = ["SELECT", "SELECT", "SELECT"]
    if on_postgresql(store):
        # The reads outside a transaction, the entry and the state as one statement: nothing to
        # BEGIN or COMMIT.
        assert store.statements == [*reads, "WITH"]
        assert store.commits == []
    else:
        # One commit holds the read's audit entry and the conversation state it changed.
        assert store.statements == [*reads, "INSERT", "UPDATE"]
        assert len(store.commits) == 1
    reads = await store.count(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "child.read", AuditEntry.entity_id == str(second.id)))  # fmt: skip
    assert reads == 1


async def test_a_question_that_changes_no_state_writes_no_state(store: Store) -> None:
    client = store.client()
    await client.send("what's due this fortnight")
    store.statements.clear()
    store.commits.clear()
    [reply] = await client.send("what's due this fortnight")
    assert "Reviews due" in shown(reply)
    # The conversation state, the caseload's reviews, the audit entry of the read: the state
    # (the same last question) is not written back.
    assert store.statements == ["SELECT", "SELECT", "INSERT"]
    # On PostgreSQL the entry alone is one statement, atomic without a transaction.
    assert len(store.commits) == (0 if on_postgresql(store) else 1)


async def test_someone_made_inactive_is_refused_once_the_short_ttl_has_passed(store: Store) -> None:
    child = (await alex_children(store))[0]
    client = store.client()
    question = f"when is {child.given_name} {child.family_name}'s next review due?"
    await client.send(question)
    async with session_factory(store.engine)() as session, session.begin():
        await session.execute(update(Staff).where(Staff.email == ALEX.email).values(active=False))
    store.clock.now += DEFAULT_TTL_SECONDS
    [reply] = await client.send(question)
    assert shown(reply) == UNKNOWN_USER
    refused = await store.count(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "access.refused"))  # fmt: skip
    assert refused == 1


async def test_a_refused_sender_is_looked_up_and_audited_every_time(store: Store) -> None:
    stranger = TeamsUser("29:1stranger", "11111111-2222-3333-4444-555555555555", "Someone")
    client = store.client(stranger)
    for _ in range(2):
        [reply] = await client.send("when is my next review due?")
        assert shown(reply) == UNKNOWN_USER
    refused = await store.count(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "access.refused"))  # fmt: skip
    assert refused == 2
