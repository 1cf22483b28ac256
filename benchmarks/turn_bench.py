"""Turns over HTTP: latency and throughput of a bot turn, against the framework and the floor.

    .venv/bin/python -m benchmarks.turn_bench [--turns 2000] [--warmup 200]
        [--rounds 10] [--concurrency 1,8] [--max-seconds 60] [--scenario NAME ...] [--profile NAME]
        [--postgres URL] [--no-sqlite] [--no-bot] [--children 10000] [--today 2026-11-26]

Each scenario's server runs in its own process on 127.0.0.1 (so nothing one installs, such as
our msrest fix, leaks into another, and the bot has a core to itself); this process runs the
fake Bot Connector (``tests/e2e/fake_connector.py``) and the load: ``concurrency`` Teams users,
each in its own personal chat, posting Teams-shaped message activities to ``/api/messages``
with keep-alive, ``turns`` times in all after ``warmup`` untimed turns. A turn's latency is the
POST's round trip: botbuilder sends the reply to the connector *within* the turn, so it
includes the reply POST. Every turn must answer 2xx and deliver its replies, or the run fails.

The scenarios take turns: at each concurrency every scenario's server is started and warmed up,
then the measured turns are split into ``rounds`` (default 10) and each round runs a segment of
every scenario in order, users keeping their conversations and connections across segments. So
the stock echo bot and each intent are measured in the same minutes, and the machine's drift
(other work on it) falls on both alike; the aims also show the range of the rounds' own ratios.

Scenarios in the same run (``SCENARIOS``):

- ``stock echo``: BotBuilder-Samples' ``02.echo-bot`` exactly as shipped: ``CloudAdapter`` +
  ``ConfigurationBotFrameworkAuthentication``, ``aiohttp_error_middleware``, the sample's
  ``EchoBot``; no customisation.
- ``bare aiohttp``: the floor: an aiohttp handler that parses the activity and makes the same
  reply POST with one kept ``aiohttp.ClientSession``; no botbuilder.
- ``iro echo``: ``bot.app.create_app`` (our adapter customisations) serving the same ``EchoBot``.

All three are served by the same ``web.AppRunner`` settings (no access log). For each it
reports p50/p99 latency, turns per second, and the bot process's CPU per turn (all threads,
and the share outside the event-loop thread: stock msrest sends on a thread pool, and
aiosqlite runs SQLite on a worker thread).

The real bot (``BOT_SCENARIOS``, in every run unless ``--no-bot``): ``real_bot_app`` serves
``bot.wiring.build_bot`` exactly as ``iro-bot serve`` wires it, with today pinned
(``--today``), over a store of ``--children`` children built before the run by
``benchmarks/bot_store.py`` (the seeded demo grown by bulk inserts; SQLite in a temporary
folder, and with ``--postgres URL`` also a throw-away database on that server, dropped after):

- ``next review``: "when is <child>'s next review due?" and two other phrasings, rotating
  through the user's own children (only names the bot resolves to one child);
- ``due this fortnight``: "what's due this fortnight";
- ``raise-IR step``: "raise an IR for <child>" (timed), then "cancel" (untimed; counted in
  turns/s and CPU);
- with ``--all``, ``raise-IR reasons step``: raise, "1, 4" (timed), cancel.

User 0 is Alex Wilber (the demo's IRO), users 1.. other IROs (``bot_store.bench_aad``); every
reply is checked against the answer the scenario means (``Scenario.expect``). After the table
the aims are printed: each intent's p50 and turns/s against the stock echo's in the same run.
``--sqlite-synchronous`` and ``--pg-plan-cache-mode`` run the bot with an engine setting the
product does not use, to measure it (BENCHMARKS.md says what they showed).

The echo scenarios' users are ``29:1bench-user-NNNN`` with AAD object ids
``00000000-0000-0000-0000-00000000NNNN`` (NNNN from 0).

``--profile NAME`` runs that scenario's server under cProfile (event-loop thread only) and
prints where its time went.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import platform
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from benchmarks.over_http import (
    cpu_seconds,
    percentile,
    server_process,
    shown,
    teams_activity,
)
from tests.e2e.fake_connector import FakeConnector


@dataclass(frozen=True)
class Scenario:
    """One server and the conversation its turns come from."""

    name: str
    # "module:function" returning the web.Application (or an awaitable of one), called in the
    # server process.
    app: str
    # The text of the n-th turn (0, 1, 2, ...) of one conversation.
    messages: Callable[[int], str] = lambda n: f"hello {n}"
    # Which turns of a conversation are measured (all, by default); the rest still run.
    timed: Callable[[int], bool] = lambda n: True
    replies_per_turn: int = 1
    # Extra environment for the server process (e.g. DATABASE_URL of a prepared store).
    env: Mapping[str, str] = field(default_factory=dict)
    # When set, the text of user u's n-th turn (overrides ``messages``): each user may name
    # different children.
    script: Callable[[int, int], str] | None = None
    # When set, the Teams account ("id", "aadObjectId", "name") user u speaks as.
    sender: Callable[[int], Mapping[str, str]] | None = None
    # When set, every reply the bot delivered must show one of these strings (its text, or its
    # card's text rendering): a turn answered with "I couldn't find..." is not the turn meant.
    expect: tuple[str, ...] = ()

    def text(self, user: int, step: int) -> str:
        return self.script(user, step) if self.script else self.messages(step)


SCENARIOS: list[Scenario] = [
    Scenario("stock echo", "benchmarks.turn_bench:stock_echo_app"),
    Scenario("bare aiohttp", "benchmarks.turn_bench:bare_app"),
    Scenario("iro echo", "benchmarks.turn_bench:iro_echo_app"),
]
# Run with --all: what the msrest fix alone buys the stock sample (clients still rebuilt).
EXTRA_SCENARIOS: list[Scenario] = [
    Scenario("stock echo + retry fix", "benchmarks.turn_bench:stock_echo_with_retry_fix_app"),
]


# -- the servers --------------------------------------------------------------------------------


def stock_echo_app() -> web.Application:
    """BotBuilder-Samples python/02.echo-bot (CloudAdapter version), as shipped: only its
    module-level globals are locals here."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.core.integration import aiohttp_error_middleware
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )
    from botbuilder.schema import ChannelAccount

    class DefaultConfig:  # the sample's config.py: the Bot Framework's own variable names
        PORT = 3978
        APP_ID = os.environ.get("MicrosoftAppId", "")  # noqa: SIM112
        APP_PASSWORD = os.environ.get("MicrosoftAppPassword", "")  # noqa: SIM112
        APP_TYPE = os.environ.get("MicrosoftAppType", "MultiTenant")  # noqa: SIM112
        APP_TENANTID = os.environ.get("MicrosoftAppTenantId", "")  # noqa: SIM112

    class EchoBot(ActivityHandler):
        async def on_members_added_activity(
            self, members_added: list[ChannelAccount], turn_context: TurnContext
        ) -> None:
            for member in members_added:
                if member.id != turn_context.activity.recipient.id:
                    await turn_context.send_activity("Hello and welcome!")

        async def on_message_activity(self, turn_context: TurnContext) -> None:
            return await turn_context.send_activity(
                MessageFactory.text(f"Echo: {turn_context.activity.text}")
            )

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(DefaultConfig()))

    async def on_error(context: TurnContext, error: Exception) -> None:
        print(f"\n [on_turn_error] unhandled error: {error}", file=sys.stderr)
        await context.send_activity("The bot encountered an error or bug.")

    adapter.on_turn_error = on_error
    bot = EchoBot()

    async def messages(req: web.Request) -> web.Response:
        return await adapter.process(req, bot)

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
    return app


def stock_echo_with_retry_fix_app() -> web.Application:
    """The stock sample with only ``install_msrest_retry_fix`` (no client reuse)."""
    from bot.adapter import install_msrest_retry_fix

    install_msrest_retry_fix()
    return stock_echo_app()


def bare_app() -> web.Application:
    """The floor: parse the activity, POST the same reply, answer 201. No botbuilder."""
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        conversation = activity["conversation"]
        reply = {
            "type": "message",
            "serviceUrl": activity["serviceUrl"],
            "channelId": activity["channelId"],
            "from": activity["recipient"],
            "recipient": activity["from"],
            "conversation": conversation,
            "replyToId": activity["id"],
            "locale": activity.get("locale"),
            "inputHint": "acceptingInput",
            "text": f"Echo: {activity.get('text')}",
        }
        url = (
            f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/"
            f"{quote(conversation['id'], safe='')}/activities/{quote(activity['id'], safe='')}"
        )
        async with request.app[session_key].post(url, json=reply) as response:
            response.raise_for_status()
            await response.read()
        return web.Response(status=201)

    async def session(app: web.Application) -> Any:
        app[session_key] = aiohttp.ClientSession()
        yield
        await app[session_key].close()

    app = web.Application()
    app.cleanup_ctx.append(session)
    app.router.add_post("/api/messages", messages)
    return app


def iro_echo_app() -> web.Application:
    """Our server (bot.app.create_app, with the adapter customisations) and the sample's bot."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext

    from bot.app import create_app
    from bot.settings import Settings

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(
                MessageFactory.text(f"Echo: {turn_context.activity.text}")
            )

    store = Path(tempfile.mkdtemp(prefix="iro-turn-bench-")) / "bench.db"
    settings = Settings(_env_file=None, app_id="", database_url=f"sqlite+aiosqlite:///{store}")
    return create_app(settings, EchoBot())


def real_bot_app() -> web.Application:
    """The real bot (``bot.wiring.build_bot``, as ``iro-bot serve`` wires it) on the store at
    ``DATABASE_URL``, with today pinned to ``IRO_BENCH_TODAY``."""
    from bot.app import create_app
    from bot.settings import Settings
    from bot.wiring import build_bot
    from storage.engine import create_engine

    settings = Settings(_env_file=None, app_id="", database_url=os.environ["DATABASE_URL"])
    today = date.fromisoformat(os.environ["IRO_BENCH_TODAY"])
    options: dict[str, Any] = {}
    if os.environ.get("IRO_BENCH_PLAN_CACHE_MODE"):  # --pg-plan-cache-mode: an experiment only
        mode = os.environ["IRO_BENCH_PLAN_CACHE_MODE"]
        options["connect_args"] = {"server_settings": {"plan_cache_mode": mode}}
    engine = create_engine(settings.database_url, **options)
    synchronous = os.environ.get("IRO_BENCH_SQLITE_SYNCHRONOUS")  # --sqlite-synchronous
    if synchronous and engine.dialect.name == "sqlite":
        from sqlalchemy import event

        def pragma(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.close()

        event.listen(engine.sync_engine, "connect", pragma)
    app = create_app(settings, build_bot(settings, engine, clock=lambda: today), engine=engine)

    async def dispose(_app: web.Application) -> None:
        await engine.dispose()

    app.on_cleanup.append(dispose)
    return app


# -- the real bot's intents ---------------------------------------------------------------------

#: The bar's intents, in every run; ``EXTRA_BOT_SCENARIOS`` with --all.
BOT_SCENARIOS = ("next review", "due this fortnight", "raise-IR step")
EXTRA_BOT_SCENARIOS = ("raise-IR reasons step", "child details", "caseload count")
NEXT_REVIEW_PHRASES = (
    "when is {}'s next review due?",
    "next review for {}",
    "when's {} due a review",
)
RAISE_IR_PHRASE = "raise an IR for {}"


def bot_scenarios(url: str, users: Sequence[Any], today: date, suffix: str) -> list[Scenario]:
    """The real bot's scenarios over the store at ``url``; user 0 is Alex Wilber (the demo's
    IRO), users 1.. other IROs of the same store, each naming only their own children."""
    env = {"DATABASE_URL": url, "IRO_BENCH_TODAY": today.isoformat()}
    app = "benchmarks.turn_bench:real_bot_app"

    def sender(user: int) -> dict[str, str]:
        who = users[user]
        return {"id": f"29:1bench-iro-{user:04d}", "aadObjectId": who.aad_object_id,
                "name": who.display_name}  # fmt: skip

    def child(user: int, n: int) -> str:
        names = users[user].child_names
        return names[n % len(names)]

    def next_review(user: int, step: int) -> str:
        phrase = NEXT_REVIEW_PHRASES[step % len(NEXT_REVIEW_PHRASES)]
        return phrase.format(child(user, step))

    def raise_then_cancel(user: int, step: int) -> str:
        return RAISE_IR_PHRASE.format(child(user, step // 2)) if step % 2 == 0 else "cancel"

    def raise_reasons_cancel(user: int, step: int) -> str:
        return (RAISE_IR_PHRASE.format(child(user, step // 3)), "1, 4", "cancel")[step % 3]

    return [
        Scenario(f"next review{suffix}", app, script=next_review, sender=sender, env=env,
                 expect=(": next review",)),
        Scenario(f"due this fortnight{suffix}", app, messages=lambda n: "what's due this fortnight",
                 sender=sender, env=env, expect=("Reviews due",)),
        # The first turn of raising an IR: understood, child resolved, the dialog begun and its
        # reasons card sent (dialog state written). The "cancel" between runs is not timed.
        Scenario(f"raise-IR step{suffix}", app, script=raise_then_cancel,
                 timed=lambda n: n % 2 == 0, sender=sender, env=env,
                 expect=("Why are you raising an IR about", "Cancelled: nothing was saved.")),
        # Issue 17's everyday questions: a child's social worker (the child lookup, one read
        # of the record, audited) and the caseload's count (one count, audited).
        Scenario(f"child details{suffix}", app,
                 script=lambda user, step: f"who is {child(user, step)}'s social worker?",
                 sender=sender, env=env, expect=("social worker",)),
        Scenario(f"caseload count{suffix}", app,
                 messages=lambda n: "how many children do I have?", sender=sender, env=env,
                 expect=("children",)),
        # The answer to the reasons question: dialog state read, the reply parsed, the next
        # question asked, state written.
        Scenario(f"raise-IR reasons step{suffix}", app, script=raise_reasons_cancel,
                 timed=lambda n: n % 3 == 1, sender=sender, env=env,
                 expect=("Why are you raising an IR about", "Describe the issue",
                         "Cancelled: nothing was saved.")),
    ]  # fmt: skip


async def _prepare_bot_stores(
    args: argparse.Namespace, stack: contextlib.AsyncExitStack, users_needed: int
) -> list[Scenario]:
    """Build the 10k stores (SQLite; PostgreSQL with --postgres) and their scenarios."""
    from benchmarks.bot_store import PostgresDatabase, bench_users, build_store
    from domain.rules import load_rules

    rules = load_rules()
    today = date.fromisoformat(args.today)
    backends: list[tuple[str, str]] = []
    if not args.no_sqlite:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="iro-turn-bench-"))
        backends.append(("", f"sqlite+aiosqlite:///{Path(folder) / 'bot-10k.db'}"))
    if args.postgres:
        url = await stack.enter_async_context(PostgresDatabase(args.postgres))
        backends.append((" [PostgreSQL]", url))
    scenarios: list[Scenario] = []
    for suffix, url in backends:
        extra = {}
        if suffix and args.pg_plan_cache_mode:
            extra = {"IRO_BENCH_PLAN_CACHE_MODE": args.pg_plan_cache_mode}
        if not suffix and args.sqlite_synchronous:
            extra = {"IRO_BENCH_SQLITE_SYNCHRONOUS": args.sqlite_synchronous}
        built = await build_store(url, rules, today, args.children, seed=20261126)
        phrasings = [(p, "NEXT_REVIEW") for p in NEXT_REVIEW_PHRASES]
        phrasings.append((RAISE_IR_PHRASE, "RAISE_IR"))
        users = await bench_users(url, users_needed, today, phrasings)
        print(
            f"# store{suffix or ' [SQLite]'}: {built.children:,} children, {built.reviews:,} "
            f"reviews, {built.iros} IROs, built in {built.seconds:.1f}s; today {today}; "
            f"Alex Wilber sees {users[0].caseload} children, {len(users[0].child_names)} "
            "named unambiguously in every phrasing (the ones the load names)",
            flush=True,
        )
        scenarios += [
            dataclasses.replace(scenario, env={**scenario.env, **extra})
            for scenario in bot_scenarios(url, users, today, suffix)
        ]
    return scenarios


# -- the load -----------------------------------------------------------------------------------


@dataclass
class Result:
    """One scenario at one concurrency, summed over its segments (one per round)."""

    scenario: str
    concurrency: int
    turns: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float | None = 0.0
    loop_cpu_seconds: float | None = 0.0
    # Turns per second of each round's segment, in order: the paired comparisons.
    rounds: list[float] = field(default_factory=list)

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.seconds

    @property
    def cpu_ms_per_turn(self) -> float | None:
        if self.cpu_seconds is None or not self.turns:
            return None
        return 1000 * self.cpu_seconds / self.turns

    @property
    def off_loop_cpu_share(self) -> float | None:
        if self.cpu_seconds is None or self.loop_cpu_seconds is None:
            return None
        if not self.cpu_seconds:
            return 0.0
        return (self.cpu_seconds - self.loop_cpu_seconds) / self.cpu_seconds


class Load:
    """``concurrency`` users' conversations with one server, driven a segment at a time.

    A user keeps their conversation and their place in its script from one segment to the next,
    and the client keeps its connections, so splitting a run into rounds changes nothing the
    server sees but the pauses between segments."""

    def __init__(self, scenario: Scenario, endpoint: str, connector: FakeConnector,
                 concurrency: int, server_pid: int) -> None:  # fmt: skip
        self.scenario = scenario
        self.endpoint = endpoint
        self.connector = connector
        self.server_pid = server_pid
        self.result = Result(scenario.name, concurrency)
        self.conversations = [f"a:1bench-{n}-{uuid.uuid4().hex}" for n in range(concurrency)]
        self.steps = [0] * concurrency
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency, force_close=False)
        )

    async def close(self) -> None:
        await self.session.close()

    async def segment(self, turns: int, max_seconds: float, *, measured: bool) -> None:
        """Run ``turns`` turns across the users (fewer if ``max_seconds`` runs out); when
        ``measured``, add them to the result."""
        scenario = self.scenario
        service_url = self.connector.url + "/"
        self.connector.clear()
        budget = itertools.count()
        sent = 0
        latencies: list[float] = []
        errors: list[str] = []

        async def user(number: int, deadline: float) -> None:
            nonlocal sent
            while next(budget) < turns and time.perf_counter() < deadline:
                step = self.steps[number]
                text = scenario.text(number, step)
                sender = scenario.sender(number) if scenario.sender else None
                activity = teams_activity(
                    service_url, number, self.conversations[number], text, sender
                )
                started = time.perf_counter()
                async with self.session.post(
                    self.endpoint,
                    data=json.dumps(activity),
                    headers={"Content-Type": "application/json"},
                ) as response:
                    await response.read()
                    status = response.status
                elapsed = (time.perf_counter() - started) * 1000
                sent += 1
                self.steps[number] = step + 1
                if status >= 300:
                    errors.append(f"HTTP {status}")
                elif scenario.timed(step):
                    latencies.append(elapsed)

        users = range(len(self.conversations))
        cpu_before = cpu_seconds(self.server_pid)
        loop_before = cpu_seconds(self.server_pid, self.server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(user(n, started + max_seconds) for n in users))
        seconds = time.perf_counter() - started
        cpu_after = cpu_seconds(self.server_pid)
        loop_after = cpu_seconds(self.server_pid, self.server_pid)

        if errors:
            raise RuntimeError(f"{scenario.name}: {len(errors)} failed turns, e.g. {errors[:3]}")
        await self.connector.wait_for_activities(sent * scenario.replies_per_turn, timeout=10)
        if scenario.expect:
            _check_replies(scenario, self.connector.activities)
        if not measured or not sent:
            return
        r = self.result
        r.turns += sent
        r.seconds += seconds
        r.latencies_ms += latencies
        r.rounds.append(sent / seconds)
        if None in (cpu_before, cpu_after, r.cpu_seconds):
            r.cpu_seconds = None
        else:
            r.cpu_seconds += cpu_after - cpu_before  # type: ignore[operator]
        if None in (loop_before, loop_after, r.loop_cpu_seconds):
            r.loop_cpu_seconds = None
        else:
            r.loop_cpu_seconds += loop_after - loop_before  # type: ignore[operator]


def _check_replies(scenario: Scenario, replies: Sequence[Any]) -> None:
    """Fail the run if any reply is not one of the answers the scenario is meant to time."""
    for reply in replies:
        seen = shown(reply)
        if not any(wanted in seen for wanted in scenario.expect):
            # The first line only: enough to see which answer it was (a bench child's name at
            # most; the data is synthetic).
            first = seen.splitlines()[0] if seen else "(empty)"
            raise RuntimeError(f"{scenario.name}: unexpected reply {first[:120]!r}")


async def run(args: argparse.Namespace) -> list[Result]:
    async with contextlib.AsyncExitStack() as stack:
        return await _run(args, stack)


def _wanted(name: str, args: argparse.Namespace, extra: bool) -> bool:
    if args.scenario:
        return name in args.scenario or name.split(" [")[0] in args.scenario
    return args.all or not extra


async def _run(args: argparse.Namespace, stack: contextlib.AsyncExitStack) -> list[Result]:
    chosen = [s for s in SCENARIOS if _wanted(s.name, args, extra=False)]
    chosen += [s for s in EXTRA_SCENARIOS if _wanted(s.name, args, extra=True)]
    bot_names = [n for n in BOT_SCENARIOS if _wanted(n, args, extra=False)]
    bot_names += [n for n in EXTRA_BOT_SCENARIOS if _wanted(n, args, extra=True)]
    if bot_names and not args.no_bot:
        for scenario in await _prepare_bot_stores(args, stack, max(args.concurrency)):
            if scenario.name.split(" [")[0] in bot_names:
                chosen.append(scenario)
    if not chosen:
        every = [s.name for s in SCENARIOS + EXTRA_SCENARIOS] + [
            *BOT_SCENARIOS,
            *EXTRA_BOT_SCENARIOS,
        ]
        raise SystemExit(f"no scenario among {every} matches")
    print(TABLE_HEADER, flush=True)
    results: list[Result] = []
    async with FakeConnector() as connector:
        for concurrency in args.concurrency:
            results += await _interleaved(chosen, connector, concurrency, args)
    return results


async def _interleaved(
    chosen: Sequence[Scenario], connector: FakeConnector, concurrency: int, args: argparse.Namespace
) -> list[Result]:
    """Every scenario's server at once (an idle one costs nothing), each warmed up, then
    ``rounds`` rounds of a segment of each in turn.

    Why rounds: this machine's speed drifts by tens of percent from one minute to the next (other
    work on it), and a ratio between two scenarios measured minutes apart measured the drift as
    much as the bot. Interleaved, the stock echo bot and each intent share the same minutes."""
    loads: list[Load] = []
    profiles: dict[str, str] = {}
    async with contextlib.AsyncExitStack() as stack:
        for scenario in chosen:
            profile = None
            if args.profile == scenario.name:
                profile = str(Path(tempfile.gettempdir()) / f"turn-bench-{os.getpid()}.prof")
                profiles[scenario.name] = profile
            endpoint, pid = await stack.enter_async_context(
                server_process(
                    scenario.app, scenario.env, label=scenario.name, profile_path=profile
                )
            )
            load = Load(scenario, endpoint, connector, concurrency, pid)
            stack.push_async_callback(load.close)
            loads.append(load)
        for load in loads:  # first turns pay for imports, connections and caches
            await load.segment(args.warmup, args.max_seconds, measured=False)
        for turns in shares(args.turns, args.rounds):
            for load in loads:
                await load.segment(turns, args.max_seconds / args.rounds, measured=True)
    for load in loads:
        _print_row(load.result)
    for load in loads:  # after the rows, so the table stays whole
        if load.scenario.name in profiles:
            _print_profile(profiles[load.scenario.name], load.result.turns + args.warmup)
    return [load.result for load in loads]


def shares(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal whole shares, none empty."""
    parts = max(1, min(parts, total))
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _print_row(r: Result) -> None:
    cpu = f"{r.cpu_ms_per_turn:.2f}" if r.cpu_ms_per_turn is not None else "n/a"
    share = f"{100 * r.off_loop_cpu_share:.0f}%" if r.off_loop_cpu_share is not None else "n/a"
    print(
        f"| {r.scenario} | {r.concurrency} | {_turns(r)} | {r.p50:.2f} | {r.p99:.2f} | "
        f"{r.turns_per_second:,.0f} | {cpu} | {share} |",
        flush=True,
    )


def _turns(r: Result) -> str:
    timed = len(r.latencies_ms)
    return f"{r.turns}" if timed == r.turns else f"{r.turns} ({timed} timed)"


TABLE_HEADER = (
    "| scenario | users | turns | p50 ms | p99 ms | turns/s | bot CPU ms/turn | "
    "CPU off the loop |\n|---|---:|---:|---:|---:|---:|---:|---:|"
)


def _print_aims(results: Sequence[Result]) -> None:
    """The bar: each intent's p50 at or below the stock echo bot's, throughput at least 2x.

    Throughput is each scenario's turns over its seconds, all rounds together; the range beside
    it is of the rounds' own ratios (each round's segment against the stock echo's in the same
    round), to show how far the machine's drift moved it."""
    stock = {r.concurrency: r for r in results if r.scenario == "stock echo"}
    floor = {r.concurrency: r for r in results if r.scenario == "bare aiohttp"}
    ours = [r for r in results if r.scenario not in {s.name for s in SCENARIOS + EXTRA_SCENARIOS}]
    if not stock or not ours:
        return
    print("\n| intent | users | p50 ÷ stock echo p50 | turns/s ÷ stock echo | "
          "rounds' range | p50 ÷ floor p50 | aims (p50 ≤ stock, ≥ 2× throughput) |\n"
          "|---|---:|---:|---:|---:|---:|---|")  # fmt: skip
    for r in ours:
        base = stock.get(r.concurrency)
        if base is None:
            continue
        latency = r.p50 / base.p50
        throughput = r.turns_per_second / base.turns_per_second
        low, high = paired_range(r.rounds, base.rounds)
        bottom = floor.get(r.concurrency)
        to_floor = f"{r.p50 / bottom.p50:.1f}×" if bottom else "n/a"
        verdict = "met" if latency <= 1 and throughput >= 2 else "not met"
        print(f"| {r.scenario} | {r.concurrency} | {latency:.2f} | {throughput:.2f}× | "
              f"{low:.2f}–{high:.2f}× | {to_floor} | {verdict} |")  # fmt: skip


def paired_range(ours: Sequence[float], base: Sequence[float]) -> tuple[float, float]:
    """The lowest and highest of the rounds' ratios ``ours[i] / base[i]``."""
    ratios = [a / b for a, b in zip(ours, base, strict=False) if b]
    return (min(ratios), max(ratios)) if ratios else (float("nan"), float("nan"))


def _print_profile(path: str, turns: int) -> None:
    stats = pstats.Stats(path)
    print(f"\ncProfile of the event-loop thread over {turns} turns (incl. warm-up):")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    Path(path).unlink(missing_ok=True)


# -- where a stock turn's time goes --------------------------------------------------------------


def _per_call_ms(fn: Callable[[], object], n: int) -> float:
    """Best of 5 runs of ``n`` calls, in milliseconds per call (CPU of this thread)."""
    best = float("inf")
    for _ in range(5):
        started = time.thread_time()
        for _ in range(n):
            fn()
        best = min(best, time.thread_time() - started)
    return 1000 * best / n


async def breakdown() -> list[tuple[str, float]]:
    """Time, one by one and in this process, the pieces of work a stock echo turn does.

    Stock pieces are timed before ``install_msrest_retry_fix`` changes msrest. CPU time of the
    calling thread, best of 5, so other load on the machine distorts it least.
    """
    import requests
    from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
    from botbuilder.schema import Activity
    from botframework.connector.aio import ConnectorClient
    from botframework.connector.auth import ClaimsIdentity, MicrosoftAppCredentials
    from msrest.universal_http import requests as msrest_requests

    from bot.adapter import BotFrameworkConfig, install_msrest_retry_fix
    from bot.settings import Settings

    rows: list[tuple[str, float]] = []
    settings = Settings(_env_file=None, app_id="")
    auth = ConfigurationBotFrameworkAuthentication(BotFrameworkConfig(settings))
    anonymous = ClaimsIdentity({}, True)
    service_url = "http://127.0.0.1:9/"
    stock_policy = msrest_requests.ClientRetryPolicy

    rows.append(("msrest ClientRetryPolicy() (stock)", _per_call_ms(stock_policy, 50)))
    rows.append((
        "new ConnectorClient (stock, once a turn)",
        _per_call_ms(lambda: ConnectorClient(MicrosoftAppCredentials.empty(), service_url), 50),
    ))  # fmt: skip

    loop = asyncio.get_running_loop()

    def user_token_client() -> None:
        coroutine = auth.create_user_token_client(anonymous)
        with contextlib.suppress(StopIteration):
            coroutine.send(None)  # completes without suspending: no I/O inside

    rows.append(("new user-token client (stock, once a turn)", _per_call_ms(user_token_client, 50)))
    install_msrest_retry_fix()
    rows.append((
        "msrest ClientRetryPolicy() (set-based)",
        _per_call_ms(msrest_requests.ClientRetryPolicy, 200),
    ))  # fmt: skip
    rows.append((
        "new ConnectorClient (set-based retry policy)",
        _per_call_ms(lambda: ConnectorClient(MicrosoftAppCredentials.empty(), service_url), 200),
    ))  # fmt: skip

    inbound = teams_activity(service_url, 1, "a:1bench", "hello")
    client = ConnectorClient(MicrosoftAppCredentials.empty(), service_url)
    activity = Activity().deserialize(inbound)
    reply = Activity(type="message", text="Echo: hello", reply_to_id=activity.id,
                     conversation=activity.conversation, recipient=activity.from_property,
                     from_property=activity.recipient, service_url=service_url)  # fmt: skip
    rows.append((
        "Activity().deserialize(inbound)",
        _per_call_ms(lambda: Activity().deserialize(inbound), 500),
    ))  # fmt: skip
    rows.append((
        "msrest body(reply) serialisation",
        _per_call_ms(lambda: client._serialize.body(reply, "Activity"), 500),
    ))  # fmt: skip

    async with FakeConnector() as connector:
        url = f"{connector.url}/v3/conversations/a%3A1bench/activities/1"
        body = json.dumps(client._serialize.body(reply, "Activity"))

        def post(session: requests.Session) -> None:
            session.post(url, data=body, headers={"Content-Type": "application/json"}).close()

        def kept_session() -> float:
            session = requests.Session()
            post(session)
            return _per_call_ms(lambda: post(session), 200)

        def new_session_each_time() -> float:
            def once() -> None:
                with requests.Session() as session:
                    post(session)

            return _per_call_ms(once, 200)

        rows.append(("requests POST of the reply, kept session (thread)",
                     await loop.run_in_executor(None, kept_session)))  # fmt: skip
        rows.append(("requests POST of the reply, new session (thread)",
                     await loop.run_in_executor(None, new_session_each_time)))  # fmt: skip
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=2000, help="measured turns per scenario")
    parser.add_argument("--warmup", type=int, default=200, help="untimed turns first")
    parser.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="split each scenario's turns into this many segments, the scenarios taking turns "
        "(default 10)",
    )
    parser.add_argument(
        "--concurrency",
        default="1,8",
        help="comma-separated user counts, each a separate run (default 1,8)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="time bound per scenario: for its warm-up, and for its measured turns all rounds "
        "together (default 60)",
    )
    parser.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    parser.add_argument("--all", action="store_true", help="also the extra (ablation) scenarios")
    parser.add_argument("--profile", metavar="NAME", help="cProfile this scenario's server")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="only time, piece by piece, the work in a stock turn",
    )
    parser.add_argument(
        "--children", type=int, default=10_000, help="children in the real bot's store (10000)"
    )
    parser.add_argument(
        "--today", default="2026-11-26", help="the bot's pinned today (default 2026-11-26)"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run the real bot on PostgreSQL: a throw-away database on this server "
        "(postgresql+asyncpg URL)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="the real bot on PostgreSQL only")
    parser.add_argument(
        "--sqlite-synchronous",
        choices=["normal", "full"],
        help="run the SQLite bot with this PRAGMA synchronous: an experiment; the product keeps "
        "SQLite's default (full), see BENCHMARKS.md",
    )
    parser.add_argument(
        "--pg-plan-cache-mode",
        metavar="MODE",
        help="run the PostgreSQL bot with this plan_cache_mode (auto, force_generic_plan, "
        "force_custom_plan): an experiment; the product uses the server's setting",
    )
    parser.add_argument("--no-bot", action="store_true", help="only the echo bots and the floor")
    args = parser.parse_args(argv)  # fmt: skip

    if args.breakdown:
        print("| piece of a stock turn | CPU ms per call |\n|---|---:|")
        for name, ms in asyncio.run(breakdown()):
            print(f"| {name} | {ms:.3f} |")
        return 0
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if args.turns < 1 or args.turns > 100_000 or any(c < 1 or c > 256 for c in args.concurrency):
        parser.error("--turns must be 1..100000 and each concurrency 1..256")
    if not 1 <= args.rounds <= args.turns:
        parser.error("--rounds must be 1..--turns")
    print(
        f"# {datetime.now(UTC):%Y-%m-%d}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {args.turns} turns in {args.rounds} rounds after {args.warmup} "
        "warm-up, loopback\n",
        flush=True,
    )
    results = asyncio.run(run(args))
    _print_aims(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
