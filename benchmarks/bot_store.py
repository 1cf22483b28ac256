"""A store for the turn benchmark: the demo authority grown to 10,000 children, ~80 per IRO.

``iro-bot seed-demo --children 10000`` is no use here: it keeps the demo's six IROs (so ~1,700
children each, not the ~80 an IRO carries), and it is slow (it was still running after 5
minutes on the project's 2-core machine, against ~1 s for the demo at 200: every child's history
goes through the domain one review at a time, with a flush per staff member). So:

1. the real migrations (``storage.migrate.upgrade``), then ``seed_demo`` at 200 children with
   ``today`` pinned: the Agents Playground users (Alex Wilber, IRO), their IRs, CP plans,
   bookings and missing episodes exactly as the demo makes them;
2. bulk inserts (executemany, as ``benchmarks/store_bench.py`` does) of children up to the
   total: each demo IRO topped up to ``CHILDREN_PER_IRO``, then new IROs with that many each;
   names from ``store_bench`` (accents, apostrophes, hyphens), a period of care, ~3% covered by
   a second IRO, review histories that follow the rules (~12% late), new social workers at ~18
   children each;
3. ``recompute_all`` stores every child's next review (what ``iro-bot recompute`` does), so
   ``next_review_due`` is the domain's, as in production; PostgreSQL then gets ``VACUUM
   ANALYZE`` (what autovacuum does soon after a bulk load).

The bench IROs get AAD object ids ``00000000-0000-0000-0000-9000000000NN`` so the load can speak
as them. ``bench_users`` returns, per IRO, the names of their children that the bot's own
resolver finds unambiguously (so "next review for X" always answers with a card, never a
choice), checked in this process with the handler's ``resolve_child``.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as create_bare_async_engine
from sqlalchemy.pool import NullPool

from benchmarks.store_bench import FAMILY_NAMES, GIVEN_NAMES, _review_history
from bot.cli.demo_data import ALEX, AREA_WEIGHTS, seed_demo
from domain.ports import Role
from domain.rules import RuleSet
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Child, IssueResolution, PeriodOfCare, Review, Staff
from storage.repositories.names import set_child_names
from storage.schedule import recompute_all

CHILDREN_PER_IRO = 80
CHILDREN_PER_SOCIAL_WORKER = 18
DEMO_CHILDREN = 200
DEMO_SEED = 7
INSERT_CHUNK = 5000
BENCH_AAD_PREFIX = "00000000-0000-0000-0000-9"


def bench_aad(n: int) -> str:
    return f"{BENCH_AAD_PREFIX}{n:011d}"


@dataclass(frozen=True)
class BenchUser:
    """An IRO the load speaks as, and the children they can name unambiguously."""

    aad_object_id: str
    display_name: str
    child_names: tuple[str, ...]
    caseload: int  # every child they can see


@dataclass(frozen=True)
class BuiltStore:
    url: str
    children: int
    reviews: int
    iros: int
    seconds: float


async def build_store(url: str, rules: RuleSet, today: date, total: int, seed: int) -> BuiltStore:
    """Migrate, seed the demo at 200, bulk-add children up to ``total``, recompute."""
    started = time.perf_counter()
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, rules, today=today, seed=DEMO_SEED, children=DEMO_CHILDREN)
        iros = await _bulk_children(engine, rules, today, total, seed)
        async with session_factory(engine)() as session:
            await recompute_all(session, rules)
        async with engine.connect() as connection:
            children = await connection.scalar(select(func.count()).select_from(Child))
            reviews = await connection.scalar(select(func.count()).select_from(Review))
        if engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load; without it the planner guesses sizes.
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return BuiltStore(
        url, int(children or 0), int(reviews or 0), iros, time.perf_counter() - started
    )


async def _bulk_children(
    engine: AsyncEngine, rules: RuleSet, today: date, total: int, seed: int
) -> int:
    """Insert the children beyond the demo's; returns how many IROs there are."""
    rng = random.Random(seed)
    async with engine.connect() as connection:
        next_staff = int(await connection.scalar(select(func.max(Staff.id))) or 0) + 1
        next_child = int(await connection.scalar(select(func.max(Child.id))) or 0) + 1
        existing = int(await connection.scalar(select(func.count()).select_from(Child)) or 0)
        demo_iros = [
            (pk, int(n))
            for pk, n in await connection.execute(
                select(Staff.id, func.count(Child.id))
                .outerjoin(Child, Child.iro_id == Staff.id)
                .where(Staff.role == Role.IRO.value)
                .group_by(Staff.id)
                .order_by(Staff.id)
            )
        ]
        qa = await connection.scalar(select(Staff.id).where(Staff.role == Role.QA_MANAGER.value))
    to_add = max(0, total - existing)
    # Who reviews each new child: the demo's IROs topped up first, then new IROs of 80.
    allocation: list[int] = []
    for pk, carried in demo_iros:
        allocation += [pk] * max(0, min(CHILDREN_PER_IRO - carried, to_add - len(allocation)))
    staff_rows: list[dict[str, Any]] = []
    new_iros = math.ceil(max(0, to_add - len(allocation)) / CHILDREN_PER_IRO)
    for n in range(new_iros):
        pk = next_staff + n
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        staff_rows.append(
            {
                "id": pk,
                "email": f"iro{n:04d}@bench.example.org",
                "display_name": f"{given} {family}",
                "role": Role.IRO.value,
                "service_area": None,
                "manager_id": qa,
                "aad_object_id": bench_aad(n),
                "active": True,
            }
        )
        allocation += [pk] * min(CHILDREN_PER_IRO, to_add - len(allocation))
    areas = list(AREA_WEIGHTS)
    weights = list(AREA_WEIGHTS.values())
    workers: dict[str, list[int]] = {}
    pk = next_staff + new_iros
    for area, weight in AREA_WEIGHTS.items():
        count = max(1, math.ceil(to_add * weight / sum(weights) / CHILDREN_PER_SOCIAL_WORKER))
        workers[area] = list(range(pk, pk + count))
        for worker in workers[area]:
            given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
            staff_rows.append(
                {
                    "id": worker,
                    "email": f"sw{worker:05d}@bench.example.org",
                    "display_name": f"{given} {family}",
                    "role": Role.SOCIAL_WORKER.value,
                    "service_area": area,
                    "manager_id": None,
                    "aad_object_id": None,
                    "active": True,
                }
            )
        pk += count
    all_iros = sorted({*allocation, *(p for p, _ in demo_iros)})

    children: list[dict[str, Any]] = []
    periods: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    for offset, iro in enumerate(allocation):
        child_pk = next_child + offset
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        row = Child()
        set_child_names(row, given, family)  # the one writer of the folded name columns
        area = rng.choices(areas, weights)[0]
        covering = rng.choice(all_iros) if rng.random() < 0.03 else None
        since = today.fromordinal(today.toordinal() - rng.randint(3, 2200))
        children.append(
            {
                "id": child_pk,
                "child_id": f"BENCH-{child_pk:06d}",
                "given_name": row.given_name,
                "family_name": row.family_name,
                "given_name_norm": row.given_name_norm,
                "family_name_norm": row.family_name_norm,
                "full_name_norm": row.full_name_norm,
                "date_of_birth": since.fromordinal(since.toordinal() - rng.randint(30, 16 * 365)),
                "sex": rng.choice("12"),
                "uasc": rng.random() < 0.08,
                "iro_id": iro,
                "covering_iro_id": covering if covering != iro else None,
                "social_worker_id": rng.choice(workers[area]),
                "service_area": area,
                "looked_after_since": since,
            }
        )
        periods.append({"child_pk": child_pk, "started_on": since, "source": "bench"})
        for held_on in _review_history(since, today, rules, rng):
            reviews.append(
                {"child_pk": child_pk, "held_on": held_on, "part": "full", "source": "bench"}
            )

    async with engine.begin() as connection:
        if staff_rows:
            await connection.execute(insert(Staff), staff_rows)
        for table, rows in ((Child, children), (PeriodOfCare, periods), (Review, reviews)):
            for i in range(0, len(rows), INSERT_CHUNK):
                await connection.execute(insert(table), rows[i : i + INSERT_CHUNK])
        if connection.dialect.name == "postgresql":
            # Explicit ids were inserted: move the sequences past them, as an import would.
            for table in ("staff", "children"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    return len(all_iros)


async def bench_users(
    url: str, count: int, today: date, phrasings: Sequence[tuple[str, str]]
) -> list[BenchUser]:
    """Alex Wilber first, then bench IROs, each with the names of their children that every
    ``(template, intent)`` in ``phrasings`` resolves to that child alone, as the handler
    would (``understand`` with the caseload's names, then ``resolve_child``), and who have no
    IR open (raising one for such a child first shows the open one and asks)."""
    from domain.permissions import visibility_for
    from storage.repositories import SqlChildRepository, SqlStaffRepository
    from understanding import (
        ChildCandidate,
        ChildIndex,
        ConversationContext,
        Intent,
        ResolutionKind,
        resolve_child,
        understand,
    )

    def resolves(template: str, intent: str, name: str, pk: int, index: ChildIndex) -> bool:
        heard = understand(
            template.format(name), today, ConversationContext(known_names=index.name_tokens)
        )
        if heard.intent is not Intent(intent) or heard.child is None:
            return False
        found = resolve_child(heard.child.text, index)
        return found.kind is ResolutionKind.MATCH and found.child is not None \
            and found.child.pk == pk  # fmt: skip

    engine = create_engine(url)
    users: list[BenchUser] = []
    try:
        async with session_factory(engine)() as session:
            staff_repo = SqlStaffRepository(session)
            wanted = [ALEX.aad_object_id] + [bench_aad(n) for n in range(count - 1)]
            for aad in wanted:
                staff = await staff_repo.identify(aad, None)
                if staff is None:
                    raise RuntimeError(f"no bench IRO with AAD id {aad}: store too small?")
                names = await SqlChildRepository(session).candidate_names(visibility_for(staff))
                index = ChildIndex.build(
                    [ChildCandidate(n.pk, n.child_id, n.given_name, n.family_name) for n in names]
                )
                shown = Counter(n.display_name for n in names)
                open_irs = set(await session.scalars(select(IssueResolution.child_pk).where(
                    IssueResolution.status != "resolved")))  # fmt: skip
                usable = tuple(
                    n.display_name
                    for n in names
                    if shown[n.display_name] == 1 and n.pk not in open_irs
                    and all(resolves(t, i, n.display_name, n.pk, index) for t, i in phrasings)
                )
                if not usable:
                    raise RuntimeError(f"{staff.display_name} has no unambiguous child name")
                users.append(BenchUser(aad, staff.display_name, usable, len(names)))
    finally:
        await engine.dispose()
    return users


class PostgresDatabase:
    """A throw-away database on the server at ``url`` (created, then dropped with its data)."""

    def __init__(self, url: str) -> None:
        self.admin_url = url
        self.name = f"iro_turn_bench_{uuid.uuid4().hex[:10]}"
        base, _, _ = url.rpartition("/")
        self.url = f"{base}/{self.name}"

    async def __aenter__(self) -> str:
        await self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    async def __aexit__(self, *exc: object) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    async def _admin(self, statement: str) -> None:
        engine = create_bare_async_engine(
            self.admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()
