"""Store benchmark: child lookup by name and "due in the next 15 working days" for one IRO.

    .venv/bin/python -m benchmarks.store_bench [--sizes 1000,10000,100000] [--postgres URL]

For each size N it builds a fresh store (a SQLite file in a temporary folder; a throw-away schema
in the PostgreSQL database at URL), bulk-inserts N children with realistic names (accents,
apostrophes, hyphens), ~80 per IRO, and review histories that follow the rules (some late);
stores every child's next review with ``recompute_all`` (timed too). With every size built, it
times, one call at a time through the real repositories and a fresh session per call as the bot
would, in rounds that alternate between the sizes (so load from elsewhere on the machine falls on
every size alike):

- ``name (all)``: ``find_by_name`` for names as people type them (any case, no accents, family
  name only, first letters of a given name), as a QA manager who sees every child;
- ``name (IRO)``: the same, as an IRO who sees only their own caseload;
- ``due 15wd (IRO)``: ``due_between`` for one IRO from today to 15 working days ahead (the
  window from the domain's working-day calendar);
- ``floor: get by id``: ``get`` by primary key, the cost every call pays (session, connection,
  one round trip, building the summary), to compare the others against.

It prints p50/p95/p99 latency and ops/s per size and back end, and the ratio 100k vs 1k (largest
vs smallest size). ``--explain`` prints each query's plan at each size. The PostgreSQL URL
defaults to ``$IRO_TEST_POSTGRES_URL``; ``--no-postgres`` / ``--no-sqlite`` skip one back end.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as create_bare_async_engine
from sqlalchemy.pool import NullPool

from domain.calendar import add_months
from domain.names import normalise_name
from domain.permissions import visibility_for
from domain.ports import Role, StaffMember, Visibility
from domain.rules import RuleSet, load_rules
from services.clock import today_in
from storage.base import Base
from storage.engine import create_engine, session_factory
from storage.models import Child, Review, Staff
from storage.repositories import SqlChildRepository, set_child_names
from storage.repositories.explain import captured_statements, explain
from storage.schedule import recompute_all

CHILDREN_PER_IRO = 80
CHILDREN_PER_SOCIAL_WORKER = 18
WINDOW_WORKING_DAYS = 15
INSERT_CHUNK = 5000

GIVEN_NAMES = (
    "Zoë",
    "Chloé",
    "Renée",
    "Siân",
    "Seán",
    "Aoife",
    "Niamh",
    "Siobhán",
    "Éabha",
    "Ciarán",
    "José",
    "Zsófia",
    "Łucja",
    "Małgorzata",
    "Jürgen",
    "Björn",
    "Ångström",
    "Noël",
    "Anaïs",
    "Maël",
    "Inès",
    "Héloïse",
    "Françoise",
    "Çağla",
    "Ümit",
    "Oluwaseun",
    "Chidinma",
    "Adaeze",
    "Oluwatobi",
    "Kwame",
    "Ama",
    "Kofi",
    "Abena",
    "Fatima",
    "Aisha",
    "Mohammed",
    "Yusuf",
    "Ibrahim",
    "Zainab",
    "Hamza",
    "Amir",
    "Layla",
    "Noor",
    "Priya",
    "Arjun",
    "Rohan",
    "Ananya",
    "Aarav",
    "Saanvi",
    "Harpreet",
    "Gurpreet",
    "Mei",
    "Wei",
    "Jun",
    "Hana",
    "Yuki",
    "Minh",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Freya",
    "Willow",
    "Evie",
    "Poppy",
    "Ella",
    "Emily",
    "Daisy",
    "Phoebe",
    "Sienna",
    "Harper",
    "Ruby",
    "Millie",
    "Florence",
    "Matilda",
    "Jessica",
    "Erin",
    "Eliza",
    "Esme",
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Leo",
    "Muhammad",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theodore",
    "Freddie",
    "Jack",
    "Charlie",
    "Thomas",
    "Alfie",
    "Finley",
    "Jacob",
    "Lucas",
    "Isaac",
    "Teddy",
    "Tommy",
    "Reggie",
    "Albie",
    "Edward",
    "Joshua",
    "Max",
    "Ethan",
    "Mary-Jane",
    "Anne-Marie",
    "Jean-Luc",
    "Lily-Rose",
    "Ella-Mae",
    "Billie-Jo",
    "D'Andre",
    "De'Shawn",
    "Ja'Mal",
    "Kai",
    "Rhys",
    "Dylan",
    "Cerys",
    "Ffion",
    "Gethin",
    "Eilidh",
    "Ruairí",
    "Tadhg",
    "Orlaith",
    "Caoimhe",
    "Saoirse",
    "Dáire",
    "Oisín",
    "Pádraig",
    "Róisín",
)
FAMILY_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Ahmed",
    "Ali",
    "Hussain",
    "Begum",
    "Singh",
    "Kaur",
    "Shah",
    "Chowdhury",
    "Okafor",
    "Adeyemi",
    "Okonkwo",
    "Mensah",
    "Boateng",
    "Owusu",
    "Nguyen",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Wójcik",
    "Lewandowski",
    "Müller",
    "Schröder",
    "Jäger",
    "Fernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Núñez",
    "Peña",
    "Gonçalves",
    "Brontë",
    "Zoë-Hart",
    "Le Pen",
    "de la Cruz",
    "van der Berg",
    "O'Brien",
    "O'Connor",
    "O'Neill",
    "O'Sullivan",
    "O'Reilly",
    "O'Donnell",
    "D'Souza",
    "D'Arcy",
    "McDonald",
    "MacDonald",
    "McCarthy",
    "MacLeod",
    "Ó Súilleabháin",
    "Ní Bhriain",
    "Mac Giolla",
    "Smith-Jones",
    "Taylor-Brown",
    "Lloyd-Webber",
    "Bowes-Lyon",
    "Hughes-Williams",
    "Ashworth-Reid",
    "Parry-Evans",
    "Wynne-Jones",
    "Morgan-Price",
    "Fitzgerald",
    "Fitzpatrick",
    "Featherstonehaugh",
    "Cholmondeley",
    "Marjoribanks",
    "Kelly",
    "Murphy",
    "Byrne",
    "Ryan",
    "Doyle",
    "Quinn",
    "Gallagher",
    "Doherty",
    "Kennedy",
    "Lynch",
    "Murray",
    "Stewart",
    "Campbell",
    "Anderson",
    "Scott",
    "Reid",
    "Ross",
    "Paterson",
    "Young",
    "Mitchell",
    "Morrison",
    "Watson",
    "Fraser",
    "Grant",
    "Hamilton",
    "Graham",
    "Baker",
    "Carter",
    "Cooper",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart-Moore",
    "Harris",
    "Martin",
    "King",
    "Lee",
    "Allen",
    "Hill",
    "Moore",
    "Clark",
    "Lewis",
    "Ward",
    "Bennett",
    "Cox",
    "Richardson",
    "Price",
    "Bailey",
    "Powell",
    "Griffiths",
    "Phillips",
    "Ellis",
    "Chapman",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Hunt",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murphy-O'Hara",
    "Dunne",
    "Ó Briain",
    "Al-Farsi",
    "El-Amin",
    "Abu-Bakr",
)
SERVICE_AREAS = (
    "Family Safeguarding West",
    "Family Safeguarding East",
    "Children with Disabilities",
    "Children in Care",
    "16+/Care Leavers",
    "Family Placement Team",
)


@dataclass
class Population:
    iros: list[StaffMember]
    qa_manager: StaffMember
    names: list[tuple[str, str]]  # (given, family) of every child, to type queries from


@dataclass
class Timing:
    label: str
    latencies: list[float]  # seconds
    wall: float
    rows: list[int] = field(default_factory=list)  # children returned by each call

    @property
    def mean_rows(self) -> float:
        return sum(self.rows) / len(self.rows) if self.rows else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000

    @property
    def ops_per_second(self) -> float:
        return len(self.latencies) / self.wall


# -- building a store ---------------------------------------------------------------------------


def _review_history(start: date, today: date, rules: RuleSet, rng: random.Random) -> list[date]:
    """Review dates that follow the rules as real services do: mostly a little early, some late."""
    calendar = rules.calendar
    held: list[date] = []
    due = calendar.add_working_days(start, 20)
    while True:
        if rng.random() < 0.12:
            when = due + timedelta(days=rng.randint(1, 40))  # late
        else:
            when = due - timedelta(days=rng.randint(0, 25))
        when = calendar.last_working_day_on_or_before(max(when, start))
        if when >= today:
            return held
        held.append(when)
        due = add_months(when, 3 if len(held) == 1 else 6)


async def populate(
    engine: AsyncEngine, size: int, rules: RuleSet, today: date, seed: int
) -> Population:
    rng = random.Random(seed)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)

    n_iros = max(1, math.ceil(size / CHILDREN_PER_IRO))
    n_workers = max(1, math.ceil(size / CHILDREN_PER_SOCIAL_WORKER))
    staff_rows: list[dict[str, Any]] = [
        {
            "id": 1,
            "email": "qa.manager@example.org",
            "display_name": "Quinn Assurance",
            "role": Role.QA_MANAGER.value,
            "service_area": None,
            "active": True,
        },
    ]
    iro_ids = list(range(2, 2 + n_iros))
    worker_ids = list(range(2 + n_iros, 2 + n_iros + n_workers))
    for staff_id in iro_ids:
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        staff_rows.append(
            {
                "id": staff_id,
                "email": f"iro{staff_id}@example.org",
                "display_name": f"{given} {family}",
                "role": Role.IRO.value,
                "service_area": None,
                "active": True,
            }
        )
    for staff_id in worker_ids:
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        staff_rows.append(
            {
                "id": staff_id,
                "email": f"sw{staff_id}@example.org",
                "display_name": f"{given} {family}",
                "role": Role.SOCIAL_WORKER.value,
                "service_area": rng.choice(SERVICE_AREAS),
                "active": True,
            }
        )

    children: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    names: list[tuple[str, str]] = []
    for pk in range(1, size + 1):
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        names.append((given, family))
        folded = Child()
        set_child_names(folded, given, family)  # the one writer of the folded columns
        iro = iro_ids[(pk - 1) // CHILDREN_PER_IRO]
        covering = rng.choice(iro_ids) if rng.random() < 0.03 and n_iros > 1 else None
        in_care = rng.random() > 0.04
        start = today - timedelta(days=rng.randint(1, 2200)) if in_care else None
        children.append(
            {
                "id": pk,
                "child_id": f"C{pk:07d}",
                "given_name": folded.given_name,
                "family_name": folded.family_name,
                "given_name_norm": folded.given_name_norm,
                "family_name_norm": folded.family_name_norm,
                "full_name_norm": folded.full_name_norm,
                "date_of_birth": today - timedelta(days=rng.randint(365, 17 * 365)),
                "uasc": rng.random() < 0.08,
                "iro_id": iro,
                "covering_iro_id": covering if covering != iro else None,
                "social_worker_id": rng.choice(worker_ids),
                "service_area": rng.choice(SERVICE_AREAS),
                "looked_after_since": start,
            }
        )
        if start is not None:
            for held_on in _review_history(start, today, rules, rng):
                reviews.append(
                    {"child_pk": pk, "held_on": held_on, "part": "full", "source": "bench"}
                )

    async with engine.begin() as connection:
        await connection.execute(insert(Staff), staff_rows)
        for table, rows in ((Child, children), (Review, reviews)):
            for i in range(0, len(rows), INSERT_CHUNK):
                await connection.execute(insert(table), rows[i : i + INSERT_CHUNK])
        if connection.dialect.name == "postgresql":
            # Explicit ids were inserted: move the sequence past them as an import would.
            await connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('children', 'id'), "
                    "(SELECT max(id) FROM children))"
                )
            )

    iros = [
        StaffMember(id=s["id"], email=s["email"], display_name=s["display_name"], role=s["role"])
        for s in staff_rows
        if s["role"] == Role.IRO.value
    ]
    qa = StaffMember(
        id=1,
        email="qa.manager@example.org",
        display_name="Quinn Assurance",
        role=Role.QA_MANAGER.value,
    )
    return Population(iros=iros, qa_manager=qa, names=names)


def typed_query(given: str, family: str, rng: random.Random) -> str:
    """A name as a person might type it: any case, accents dropped or kept, part of it."""
    shape = rng.random()
    if shape < 0.4:
        typed = f"{given} {family}"
    elif shape < 0.7:
        typed = family
    elif shape < 0.85:
        typed = given[: max(2, len(given) // 2)]
    else:
        typed = f"{family} {given}"
    if rng.random() < 0.5:
        typed = normalise_name(typed)  # typed without accents, apostrophes or hyphens
    return typed.upper() if rng.random() < 0.2 else typed


# -- timing -------------------------------------------------------------------------------------

Call = Callable[[], Awaitable[object]]
QUERIES = ("floor: get by id", "name (all)", "name (IRO)", f"due {WINDOW_WORKING_DAYS}wd (IRO)")


@dataclass
class Store:
    """One populated store and the calls to time against it (warm-up calls first)."""

    backend: str
    size: int
    engine: AsyncEngine
    calls: dict[str, list[Call]]
    timings: dict[str, Timing]


def plan_calls(
    engine: AsyncEngine, population: Population, rules: RuleSet, today: date, total: int, seed: int
) -> dict[str, list[Call]]:
    rng = random.Random(seed + 1)
    sessions: async_sessionmaker[AsyncSession] = session_factory(engine)
    window_end = rules.calendar.add_working_days(today, WINDOW_WORKING_DAYS)
    everyone = visibility_for(population.qa_manager)

    def by_name(query: str, visibility: Visibility) -> Call:
        async def call() -> object:
            async with sessions() as session:
                return await SqlChildRepository(session).find_by_name(query, visibility)

        return call

    def by_id(pk: int) -> Call:
        # The floor: a session, one primary-key read and its summary, as every call pays.
        async def call() -> object:
            async with sessions() as session:
                found = await SqlChildRepository(session).get(pk, everyone)
                return [found] if found else []

        return call

    def due(iro: StaffMember) -> Call:
        async def call() -> object:
            async with sessions() as session:
                return await SqlChildRepository(session).due_between(
                    iro.id, today, window_end, visibility_for(iro)
                )

        return call

    name_all = [
        by_name(typed_query(*rng.choice(population.names), rng), everyone) for _ in range(total)
    ]
    name_iro = []
    for _ in range(total):
        # An IRO looking for one of their own children (children are allocated in id order).
        iro = rng.choice(population.iros)
        first = (iro.id - 2) * CHILDREN_PER_IRO
        own = population.names[first : first + CHILDREN_PER_IRO]
        name_iro.append(by_name(typed_query(*rng.choice(own), rng), visibility_for(iro)))
    due_iro = [due(rng.choice(population.iros)) for _ in range(total)]
    floor = [by_id(rng.randint(1, len(population.names))) for _ in range(total)]
    return dict(zip(QUERIES, (floor, name_all, name_iro, due_iro), strict=True))


async def time_interleaved(stores: list[Store], ops: int, warmup: int, rounds: int) -> None:
    """Time every query on every store, in rounds that alternate between the stores.

    Interleaving means a burst of load from elsewhere on the machine falls on every size alike
    instead of skewing the 100k-vs-1k ratio, which is the figure that matters.
    """
    for store in stores:
        for label in QUERIES:
            for call in store.calls[label][:warmup]:
                await call()
    per_round = max(1, ops // rounds)
    for r in range(rounds):
        for store in stores:
            for label in QUERIES:
                timing = store.timings[label]
                chunk = store.calls[label][warmup + r * per_round : warmup + (r + 1) * per_round]
                began = time.perf_counter()
                for call in chunk:
                    started = time.perf_counter()
                    found = await call()
                    timing.latencies.append(time.perf_counter() - started)
                    timing.rows.append(len(found) if isinstance(found, list) else 0)
                timing.wall += time.perf_counter() - began


async def print_plans(engine: AsyncEngine, calls: dict[str, list[Call]]) -> None:
    for label, queued in calls.items():
        async with captured_statements(engine) as seen:
            await queued[0]()
        statement, parameters = seen[-1]
        async with engine.connect() as connection:
            plan = await explain(
                connection, statement, parameters, analyze=connection.dialect.name == "postgresql"
            )
        print(f"    plan, {label}:")
        for line in plan:
            print(f"      {line}")


# -- back ends ----------------------------------------------------------------------------------


async def sqlite_engine(stack: AsyncExitStack, args: argparse.Namespace) -> AsyncEngine:
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="iro-bench-"))
    engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
    stack.push_async_callback(engine.dispose)
    return engine


async def postgres_engine(stack: AsyncExitStack, args: argparse.Namespace) -> AsyncEngine:
    # A throw-away schema per store, as the integration tests do: cheap, and dropped after.
    schema = f"iro_bench_{uuid.uuid4().hex[:10]}"
    admin = create_bare_async_engine(args.postgres, poolclass=NullPool)
    stack.push_async_callback(admin.dispose)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    async def drop() -> None:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    stack.push_async_callback(drop)
    engine = create_engine(args.postgres, connect_args={"server_settings": {"search_path": schema}})
    stack.push_async_callback(engine.dispose)
    return engine


async def build_store(
    backend: str, engine: AsyncEngine, size: int, args: argparse.Namespace, rules: RuleSet,
    today: date,
) -> Store:  # fmt: skip
    started = time.perf_counter()
    population = await populate(engine, size, rules, today, args.seed)
    populated = time.perf_counter() - started
    started = time.perf_counter()
    async with session_factory(engine)() as session:
        result = await recompute_all(session, rules)
    recomputed = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        # What autovacuum does shortly after a bulk load; without it the planner guesses sizes.
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    print(
        f"  {backend} {size:>7,} children: populated in {populated:.1f}s; recompute_all checked "
        f"{result.checked:,}, changed {result.changed:,} in {recomputed:.1f}s"
    )
    calls = plan_calls(engine, population, rules, today, args.ops + args.warmup, args.seed)
    if args.explain:
        await print_plans(engine, calls)
    timings = {label: Timing(label, [], 0.0) for label in QUERIES}
    return Store(backend, size, engine, calls, timings)


def print_results(stores: list[Store], sizes: list[int]) -> None:
    """Every figure as a Markdown table, and the largest-vs-smallest ratio per query."""
    print()
    print("| back end | children | query | p50 ms | p95 ms | p99 ms | ops/s | rows/call |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for store in stores:
        for t in store.timings.values():
            print(
                f"| {store.backend} | {store.size:,} | {t.label} | {t.pct(0.5):.2f} | "
                f"{t.pct(0.95):.2f} | {t.pct(0.99):.2f} | {t.ops_per_second:.0f} | "
                f"{t.mean_rows:.1f} |"
            )
    if len(sizes) < 2:
        return
    small, large = sizes[0], sizes[-1]
    print()
    print(
        f"| back end | query | p50 {large:,} / {small:,} | p95 {large:,} / {small:,} "
        f"| p99 {large:,} / {small:,} | ops/s {small:,} / {large:,} |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for backend in dict.fromkeys(store.backend for store in stores):
        by_size = {store.size: store for store in stores if store.backend == backend}
        for label in QUERIES:
            a, b = by_size[small].timings[label], by_size[large].timings[label]
            print(
                f"| {backend} | {label} | {b.pct(0.5) / a.pct(0.5):.2f}x | "
                f"{b.pct(0.95) / a.pct(0.95):.2f}x | {b.pct(0.99) / a.pct(0.99):.2f}x | "
                f"{a.ops_per_second / b.ops_per_second:.2f}x |"
            )


async def main_async(args: argparse.Namespace) -> None:
    rules = load_rules(args.rules)
    today = date.fromisoformat(args.today) if args.today else today_in(rules.timezone)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    print(
        f"store_bench: sizes {sizes}, {args.ops} timed calls per query and size (after "
        f"{args.warmup} warm-up), today {today}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    backends: list[tuple[str, Callable[..., Awaitable[AsyncEngine]]]] = []
    if not args.no_sqlite:
        backends.append(("SQLite", sqlite_engine))
    if args.postgres and not args.no_postgres:
        backends.append(("PostgreSQL", postgres_engine))
    all_stores: list[Store] = []
    for backend, make_engine in backends:
        print(f"{backend}:")
        async with AsyncExitStack() as stack:
            stores = []
            for size in sizes:
                engine = await make_engine(stack, args)
                stores.append(await build_store(backend, engine, size, args, rules, today))
            await time_interleaved(stores, args.ops, args.warmup, args.rounds)
            for store in stores:
                for t in store.timings.values():
                    print(
                        f"    {store.size:>7,} {t.label:<16} p50 {t.pct(0.50):6.2f} ms  "
                        f"p95 {t.pct(0.95):6.2f} ms  p99 {t.pct(0.99):6.2f} ms  "
                        f"{t.ops_per_second:7.0f} ops/s  {t.mean_rows:5.1f} rows/call"
                    )
            all_stores.extend(stores)
    print_results(all_stores, sizes)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.store_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="comma-separated numbers of children (default 1000,10000,100000)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("IRO_TEST_POSTGRES_URL"),
        help="postgresql+asyncpg URL (default $IRO_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--ops", type=int, default=1000, help="timed calls per query and size")
    parser.add_argument("--warmup", type=int, default=100, help="untimed calls first")
    parser.add_argument("--rounds", type=int, default=10, help="interleaving rounds")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--today", metavar="YYYY-MM-DD", help="default: today in Europe/London")
    parser.add_argument("--rules", metavar="FILE", help="rules file (default West Berkshire)")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
