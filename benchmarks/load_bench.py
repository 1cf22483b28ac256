"""Load: many Teams conversations at once, for a fixed time, every reply checked.

    .venv/bin/python -m benchmarks.load_bench [--seconds 60] [--users 50] [--warmup-seconds 5]
        [--max-turns 100000] [--postgres URL] [--processes 1,2] [--no-sqlite] [--no-echo]
        [--children 10000] [--today 2026-11-26] [--seed 20261126]

``users`` Teams users, each a different IRO of the store built by ``benchmarks/bot_store.py``
(Alex Wilber, then bench IROs with ~80 children each), each in their own personal chat, loop
through a mix of what an IRO says (``Mix``): "when is <child>'s next review due?" (three
phrasings, their own children), often followed by "why is their review due then?" (the
explanation, for the child the conversation remembers: with two processes, remembered by the
other one); "what's due this fortnight"; "anything overdue?"; "my IRs";
and whole raise-IR dialogs: "raise an IR for <child>", reasons ("1, 4"), a description, a stage,
"yes", with about a third cancelled at a random step instead. Each user's sequence is drawn
from its own seeded generator, so a run is repeatable up to where the clock stops it.

A turn is an error when the POST is not answered 2xx (or fails, or takes over 30 s), when the
bot delivers no reply, or when any reply is not the one that step means (``Turn.expect``: a
"next review" card, the reasons question, "Cancelled: nothing was saved.", "IR-2026-NNNN
raised", ...): a "Sorry, something went wrong", a "please send that again" after a state
conflict, or an answer about another child all count. The run is green only with zero errors.

Phases, in one run (the fake Bot Connector and the load in this process, each server in its own
OS process on 127.0.0.1; requests to anything but a loopback address are refused):

- ``stock echo``: the same users and the same messages against BotBuilder-Samples' echo bot as
  shipped (``turn_bench.stock_echo_app``), each reply checked to be ``Echo: <text>``: the
  framework's own cost under this load, measured in the same run;
- the real bot (``turn_bench.real_bot_app``: ``bot.wiring.build_bot`` as ``iro-bot serve``
  wires it, without the outbox dispatcher and the scheduler, today pinned) on SQLite;
- with ``--postgres URL``, on a throw-away PostgreSQL database on that server;
- with ``--processes 1,2``, also two bot processes sharing that PostgreSQL (and two echo
  processes): each user's turns alternate between them, so every dialog's steps land on both
  and its state lives only in the shared store. SQLite runs one process only (one host, one
  writer: the deployment SQLite is for).

After each real-bot phase the store is checked: the IRs written equal the raise dialogs
confirmed, each with the reference its card showed, raised by that user about that child, with
one stage entry, its reasons and one ``ir.raise`` audit entry; cancelled and cut-off dialogs
wrote nothing. Per phase it prints each intent's p50/p99 and turns, the turns per second, the
bot processes' CPU per turn and the errors, and exits 1 unless every phase was green.

A ``warmup`` of a few seconds of the same load comes first in each phase (its turns are checked
and count as errors, but not in the figures); the measured window is ``seconds`` after it. The
run is bounded: ``max_turns`` per phase in all, and no user starts a turn after the window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import itertools
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from benchmarks.over_http import cpu_seconds, default_sender, percentile, server_process, shown
from benchmarks.over_http import teams_activity as message_activity
from tests.e2e.fake_connector import POSTING_OPERATIONS, FakeConnector, Recorded

ECHO_APP = "benchmarks.turn_bench:stock_echo_app"
BOT_APP = "benchmarks.turn_bench:real_bot_app"
REQUEST_TIMEOUT_SECONDS = 30.0
# The Bot Connector waits this long for a bot to answer a POST before it gives up on the turn
# (the bot's replies still arrive, late): counted and shown, not an error by this benchmark's
# definition.
CHANNEL_TIMEOUT_SECONDS = 15.0
# A reply is posted to the connector inside its turn, so it is recorded before the POST is
# answered; this grace only keeps a slow recording from being misread as "no reply".
REPLY_GRACE_SECONDS = 2.0
MAX_USERS = 200
MAX_SECONDS = 600.0

CANCELLED = "Cancelled: nothing was saved."
RAISED = re.compile(r"\b(IR-\d{4}-\d{4,}) raised\b")
#: Reason numbers a user ticks (none is "other", which needs a description: all have one).
REASON_CHOICES = ((1,), (1, 4), (2,), (3, 6), (8,), (10, 11))
STAGE_REPLIES = ("informal", "stage 1", "stage 2")
DESCRIPTIONS = (
    "Reports for the last two reviews arrived on the day of the meeting.",
    "No statutory visit recorded since the placement move.",
    "The care plan was filed without the IRO's view.",
    "Still no advocate, three months after the young person asked for one.",
)

#: Intents in the order the tables show them.
INTENTS = (
    "next review", "explain", "due this fortnight", "overdue", "my IRs",
    "raise: start", "raise: reasons", "raise: description", "raise: stage", "raise: confirm",
    "raise: cancel",
)  # fmt: skip


# -- what the users say --------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    intent: str
    text: str
    # What every reply of the real bot must show (a substring, or a pattern to search for).
    expect: str | re.Pattern[str]


@dataclass(frozen=True)
class Episode:
    """A question, or a whole dialog: what one user does before choosing what to do next."""

    kind: str  # "question", "raise confirmed", "raise cancelled"
    turns: tuple[Turn, ...]
    reasons: int = 0  # how many reasons a confirmed raise ticks


@dataclass(frozen=True)
class Mix:
    """How often each episode is chosen (weights), and the shares within them."""

    next_review: int = 6
    due_fortnight: int = 2
    overdue: int = 1
    my_irs: int = 1
    raise_ir: int = 1
    explain_share: float = 0.5  # next-review questions followed by "why is their review due then?"
    cancel_share: float = 1 / 3  # raise dialogs cancelled (at a random step) instead of saved


@dataclass
class LoadUser:
    """One Teams user in one personal chat."""

    index: int
    sender: Mapping[str, str]
    child_names: tuple[str, ...]
    conversation_id: str = ""

    def new_conversation(self) -> None:
        self.conversation_id = f"a:1load-{self.index}-{uuid.uuid4().hex}"


def episodes(user: LoadUser, rng: random.Random, mix: Mix) -> Iterator[Episode]:
    """What ``user`` does, episode after episode, drawn from ``rng``."""
    from benchmarks.turn_bench import NEXT_REVIEW_PHRASES, RAISE_IR_PHRASE

    kinds = ("next review", "due fortnight", "overdue", "my IRs", "raise")
    weights = (mix.next_review, mix.due_fortnight, mix.overdue, mix.my_irs, mix.raise_ir)
    for n in itertools.count():
        kind = rng.choices(kinds, weights)[0]
        child = user.child_names[(user.index + n) % len(user.child_names)]
        if kind == "next review":
            phrase = NEXT_REVIEW_PHRASES[n % len(NEXT_REVIEW_PHRASES)]
            turns = [Turn("next review", phrase.format(child), ": next review")]
            if rng.random() < mix.explain_share:
                turns.append(Turn("explain", "why is their review due then?", "next review is due"))
            yield Episode("question", tuple(turns))
        elif kind == "due fortnight":
            yield Episode("question", (Turn("due this fortnight", "what's due this fortnight",
                                            "Reviews due this fortnight"),))  # fmt: skip
        elif kind == "overdue":
            yield Episode("question", (Turn("overdue", "anything overdue?", "Overdue reviews"),))
        elif kind == "my IRs":
            yield Episode("question", (Turn("my IRs", "my IRs", "Your open IRs"),))
        else:
            reasons = rng.choice(REASON_CHOICES)
            steps = [
                Turn("raise: start", RAISE_IR_PHRASE.format(child),
                     f"Why are you raising an IR about {child}?"),
                Turn("raise: reasons", ", ".join(map(str, reasons)), "Describe the issue"),
                Turn("raise: description", rng.choice(DESCRIPTIONS), "At which stage?"),
                Turn("raise: stage", rng.choice(STAGE_REPLIES), "Raise this IR?"),
                Turn("raise: confirm", "yes", RAISED),
            ]  # fmt: skip
            if rng.random() < mix.cancel_share:
                at = rng.randint(1, len(steps) - 1)  # after the start, before or at "yes"
                cancel = Turn("raise: cancel", "cancel", CANCELLED)
                yield Episode("raise cancelled", (*steps[:at], cancel))
            else:
                yield Episode("raise confirmed", tuple(steps), reasons=len(reasons))


# -- the load ------------------------------------------------------------------------------------


def require_loopback(url: str) -> None:
    """Refuse any target but this machine: the load is never pointed at a real service."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"refusing to send load to {url!r}: only loopback addresses are allowed")


@dataclass
class IndexedConnector(FakeConnector):
    """The fake Bot Connector, with the delivered activities also kept per conversation (the
    load reads each turn's replies; scanning every call each time would cost the load process
    O(n) a turn)."""

    delivered: dict[str, list[Recorded]] = field(default_factory=dict, init=False)

    def _record(self, call: Recorded) -> None:
        super()._record(call)
        if call.operation in POSTING_OPERATIONS and call.status < 300 and call.conversation_id:
            self.delivered.setdefault(call.conversation_id, []).append(call)

    def replies_in(self, conversation_id: str) -> list[Recorded]:
        return self.delivered.get(conversation_id, [])

    def clear(self) -> None:
        super().clear()
        self.delivered.clear()


@dataclass
class Raised:
    """A raise dialog the user saw confirmed: what the store must now hold."""

    reference: str
    aad_object_id: str
    child_name: str
    reasons: int


@dataclass
class LoadResult:
    label: str
    processes: int
    users: int
    seconds: float  # the measured window
    turns: int = 0  # every turn sent, warm-up included
    measured: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    raised: list[Raised] = field(default_factory=list)
    unanswered: list[Raised] = field(default_factory=list)  # a "yes" that got no answer
    confirmed: int = 0  # raise dialogs that reached "yes" and its answer
    cancelled: int = 0
    cut_off: int = 0  # dialogs begun but not finished when the window closed
    cpu_ms_per_turn: float | None = None
    slowest_ms: float = 0.0  # of every turn answered, warm-up included
    over_channel_timeout: int = 0  # turns answered after CHANNEL_TIMEOUT_SECONDS
    load_average: float = 0.0  # the machine's, over the last minute, when the phase ended
    load_cpu_ms_per_turn: float = 0.0  # the load generator's and fake connector's own CPU
    store: StoreCheck | None = None

    @property
    def turns_per_second(self) -> float:
        return self.measured / self.seconds if self.seconds else 0.0

    @property
    def green(self) -> bool:
        return not self.errors and (self.store is None or self.store.ok)


async def drive(
    endpoints: Sequence[str], connector: IndexedConnector, users: Sequence[LoadUser], *,
    seconds: float, warmup_seconds: float, max_turns: int, mix: Mix, seed: int, echo: bool,
    label: str, server_pids: Sequence[int] = (),
) -> LoadResult:  # fmt: skip
    """Run the load against ``endpoints`` (a user's turns alternate between them) and check
    every reply; ``echo``: the server is an echo bot, so every reply must be ``Echo: <text>``."""
    for endpoint in endpoints:
        require_loopback(endpoint)
    if not 0 < seconds <= MAX_SECONDS or not 0 < len(users) <= MAX_USERS or max_turns < 1:
        raise ValueError(f"seconds 0..{MAX_SECONDS:.0f}, users 1..{MAX_USERS}, max_turns >= 1")
    connector.clear()
    service_url = connector.url + "/"
    result = LoadResult(label, len(endpoints), len(users), seconds)
    budget = itertools.count()
    started = time.perf_counter()
    measure_from = started + warmup_seconds
    deadline = measure_from + seconds
    cpu_before: dict[int, float | None] = {}
    own_cpu = [time.process_time()]  # this process's (the load's and the connector's) CPU

    def can_start() -> bool:
        return time.perf_counter() < deadline and next(budget) < max_turns

    async def one_turn(
        session: aiohttp.ClientSession, user: LoadUser, endpoint: str, turn: Turn
    ) -> str | None:
        """Send ``turn``; None if it failed (recorded), else what its replies showed."""
        conversation = user.conversation_id
        before = len(connector.replies_in(conversation))
        body = json.dumps(message_activity(service_url, user.index, conversation, turn.text,
                                           user.sender))  # fmt: skip
        began = time.perf_counter()
        try:
            async with session.post(
                endpoint, data=body, headers={"Content-Type": "application/json"}
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            result.errors.append(f"{turn.intent}: {type(error).__name__}")
            return None
        elapsed_ms = (time.perf_counter() - began) * 1000
        result.turns += 1
        result.slowest_ms = max(result.slowest_ms, elapsed_ms)
        if elapsed_ms > CHANNEL_TIMEOUT_SECONDS * 1000:
            result.over_channel_timeout += 1
        if status >= 300:
            result.errors.append(f"{turn.intent}: HTTP {status}")
            return None
        replies = connector.replies_in(conversation)[before:]
        waited = 0.0
        while not replies and waited < REPLY_GRACE_SECONDS:
            await asyncio.sleep(0.05)
            waited += 0.05
            replies = connector.replies_in(conversation)[before:]
        if not replies:
            result.errors.append(f"{turn.intent}: no reply")
            return None
        seen = [shown(reply) for reply in replies]
        for text in seen:
            wanted = turn.expect if not echo else f"Echo: {turn.text}"
            good = text == wanted if echo else (
                wanted.search(text) is not None if isinstance(wanted, re.Pattern)
                else wanted in text
            )  # fmt: skip
            if not good:
                # The first line only: enough to tell which answer it was (synthetic names).
                first = text.splitlines()[0][:100] if text else "(empty)"
                result.errors.append(f"{turn.intent}: unexpected reply {first!r}")
                return None
        if began >= measure_from:
            result.measured += 1
            result.latencies.setdefault(turn.intent, []).append(elapsed_ms)
        return "\n".join(seen)

    async def run_user(session: aiohttp.ClientSession, user: LoadUser) -> None:
        rng = random.Random(f"{seed}/{user.index}")
        user.new_conversation()
        step = user.index
        for episode in episodes(user, rng, mix):
            for n, turn in enumerate(episode.turns):
                if not can_start():
                    if n and episode.kind != "question":
                        result.cut_off += 1
                    return
                endpoint = endpoints[step % len(endpoints)]
                step += 1
                answer = await one_turn(session, user, endpoint, turn)
                if answer is None:
                    if episode.kind == "raise confirmed" and turn.intent == "raise: confirm":
                        # The IR may or may not have been written: the store check allows one.
                        child = episode.turns[0].text.removeprefix("raise an IR for ")
                        result.unanswered.append(Raised("", user.sender["aadObjectId"], child,
                                                        episode.reasons))  # fmt: skip
                    # What the conversation holds now is unknown: carry on in a fresh one.
                    user.new_conversation()
                    break
            else:
                if episode.kind == "raise cancelled":
                    result.cancelled += 1
                elif episode.kind == "raise confirmed":
                    result.confirmed += 1
                    match = RAISED.search(answer or "")
                    if match is not None:  # the real bot (the echo bot raises nothing)
                        child = episode.turns[0].text.removeprefix("raise an IR for ")
                        result.raised.append(Raised(match[1], user.sender["aadObjectId"], child,
                                                    episode.reasons))  # fmt: skip

    async def sample_cpu_at_window() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu_before.update({pid: cpu_seconds(pid) for pid in server_pids})
        own_cpu[0] = time.process_time()

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    limit = aiohttp.TCPConnector(limit=len(users) * len(endpoints))
    async with aiohttp.ClientSession(connector=limit, timeout=timeout) as session:
        sampler = asyncio.ensure_future(sample_cpu_at_window())
        await asyncio.gather(*(run_user(session, user) for user in users))
        await sampler
    finished = time.perf_counter()
    result.seconds = max(1e-9, finished - measure_from)
    result.load_average = os.getloadavg()[0]
    if result.measured:
        result.load_cpu_ms_per_turn = 1000 * (time.process_time() - own_cpu[0]) / result.measured
    cpu_after = {pid: cpu_seconds(pid) for pid in server_pids}
    used = [cpu_after[p] - cpu_before[p] for p in server_pids  # type: ignore[operator]
            if cpu_before.get(p) is not None and cpu_after.get(p) is not None]  # fmt: skip
    if used and len(used) == len(server_pids) and result.measured:
        result.cpu_ms_per_turn = 1000 * sum(used) / result.measured
    return result


# -- what the store must hold afterwards ----------------------------------------------------------


@dataclass
class StoreCounts:
    irs: int
    stage_entries: int
    reasons: int
    raise_audits: int
    references: frozenset[str]


@dataclass
class StoreCheck:
    before: StoreCounts
    after: StoreCounts
    problems: list[str]
    # IRs whose dialog's "yes" got no answer (a turn error): written, but never confirmed.
    unanswered_written: int = 0

    @property
    def written(self) -> int:
        return self.after.irs - self.before.irs

    @property
    def ok(self) -> bool:
        return not self.problems


async def store_counts(url: str) -> StoreCounts:
    from sqlalchemy import func, select

    from storage.engine import create_engine
    from storage.models import AuditEntry, IrReason, IrStageEntry, IssueResolution

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:

            async def count(model: Any, *where: Any) -> int:
                query = select(func.count()).select_from(model).where(*where)
                return int(await connection.scalar(query) or 0)

            references = await connection.scalars(select(IssueResolution.reference))
            return StoreCounts(
                irs=await count(IssueResolution),
                stage_entries=await count(IrStageEntry),
                reasons=await count(IrReason),
                raise_audits=await count(AuditEntry, AuditEntry.action == "ir.raise"),
                references=frozenset(references),
            )
    finally:
        await engine.dispose()


async def check_store(
    url: str, before: StoreCounts, raised: Sequence[Raised], unanswered: Sequence[Raised] = ()
) -> StoreCheck:
    """The IRs written are exactly the confirmed dialogs': none lost, none doubled, none from a
    cancelled dialog, each attributed to the user and child its dialog named.

    ``unanswered``: dialogs whose "yes" got no answer (an error already): whether their IR was
    written is unknown, so one IR by that user about that child may be among the new ones; it
    is counted (``StoreCheck.unanswered_written``), not taken for a stray.
    """
    after = await store_counts(url)
    problems: list[str] = []
    shown_refs = [r.reference for r in raised]
    if len(set(shown_refs)) != len(shown_refs):
        doubled = [ref for ref, n in Counter(shown_refs).items() if n > 1]
        problems.append(f"references shown to two dialogs: {doubled[:5]}")
    new = after.references - before.references
    stored = await _raised_by_and_about(url, sorted(new | set(shown_refs)))
    lost = sorted(set(shown_refs) - new)
    if lost:
        problems.append(f"confirmed, not written: {lost[:5]}")
    wrong = [r.reference for r in raised
             if r.reference in stored and stored[r.reference] != (r.aad_object_id,
                                                                   r.child_name)]  # fmt: skip
    if wrong:
        problems.append(f"IRs stored for another user or child: {wrong[:5]}")
    waiting = Counter((r.aad_object_id, r.child_name) for r in unanswered)
    explained: list[str] = []
    strays: list[str] = []
    for ref in sorted(new - set(shown_refs)):
        if waiting[stored.get(ref)] > 0:
            waiting[stored[ref]] -= 1
            explained.append(ref)
        else:
            strays.append(ref)
    if strays:
        problems.append(f"written, not confirmed (a cancelled dialog's, or a duplicate): "
                        f"{strays[:5]}")  # fmt: skip
    reasons_of = {(r.aad_object_id, r.child_name): r.reasons for r in unanswered}
    expected_irs = len(raised) + len(explained)
    expected_reasons = sum(r.reasons for r in raised) + sum(
        reasons_of[stored[ref]] for ref in explained
    )
    deltas = {
        "IRs": (after.irs - before.irs, expected_irs),
        "stage entries": (after.stage_entries - before.stage_entries, expected_irs),
        "reasons": (after.reasons - before.reasons, expected_reasons),
        "ir.raise audit entries": (after.raise_audits - before.raise_audits, expected_irs),
    }
    problems += [f"{what}: {got} written, {wanted} expected"
                 for what, (got, wanted) in deltas.items() if got != wanted]  # fmt: skip
    return StoreCheck(before, after, problems, unanswered_written=len(explained))


async def _raised_by_and_about(url: str, references: Sequence[str]) -> dict[str, tuple[str, str]]:
    """reference -> (the raising IRO's AAD object id, the child's name as the bot shows it)."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from storage.engine import create_engine
    from storage.models import Child, IssueResolution, Staff
    from storage.repositories.names import child_display_name

    if not references:
        return {}
    raiser = aliased(Staff)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(IssueResolution.reference, raiser.aad_object_id, Child.given_name,
                       Child.family_name)
                .join(raiser, raiser.id == IssueResolution.raised_by_id)
                .join(Child, Child.id == IssueResolution.child_pk)
                .where(IssueResolution.reference.in_(references))
            )  # fmt: skip
            return {ref: (aad, child_display_name(given, family))
                    for ref, aad, given, family in rows}  # fmt: skip
    finally:
        await engine.dispose()


# -- one phase: servers up, load, servers down, store checked ------------------------------------


async def run_phase(
    label: str, app: str, env: Mapping[str, str], processes: int, connector: IndexedConnector,
    users: Sequence[LoadUser], *, seconds: float, warmup_seconds: float, max_turns: int, mix: Mix,
    seed: int, store_url: str | None,
) -> LoadResult:  # fmt: skip
    """``processes`` servers of ``app``; the load; with ``store_url``, the store checked."""
    before = await store_counts(store_url) if store_url else None
    async with contextlib.AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(server_process(app, env, label=f"{label} #{n + 1}"))
            for n in range(processes)
        ]
        result = await drive(
            [endpoint for endpoint, _ in servers], connector, users, seconds=seconds,
            warmup_seconds=warmup_seconds, max_turns=max_turns, mix=mix, seed=seed,
            echo=store_url is None, label=label, server_pids=[pid for _, pid in servers],
        )  # fmt: skip
    if store_url and before is not None:
        result.store = await check_store(store_url, before, result.raised, result.unanswered)
    return result


def load_users(bench_users: Sequence[Any]) -> list[LoadUser]:
    """A ``LoadUser`` per bench IRO (``bot_store.BenchUser``), speaking as that IRO."""
    return [
        LoadUser(
            n,
            {
                "id": f"29:1load-iro-{n:04d}",
                "aadObjectId": who.aad_object_id,
                "name": who.display_name,
            },
            who.child_names,
        )
        for n, who in enumerate(bench_users)
    ]


def echo_users(users: Sequence[LoadUser]) -> list[LoadUser]:
    """The same users and messages for the echo bot (a sender it does not look up)."""
    return [LoadUser(u.index, default_sender(u.index), u.child_names) for u in users]


async def prepare_store(url: str, users: int, children: int, today: date) -> list[LoadUser]:
    """The 10k store (``bot_store.build_store``) at ``url`` and its first ``users`` IROs."""
    from benchmarks.bot_store import bench_users, build_store
    from benchmarks.turn_bench import NEXT_REVIEW_PHRASES, RAISE_IR_PHRASE
    from domain.rules import load_rules

    built = await build_store(url, load_rules(), today, children, seed=20261126)
    phrasings = [(p, "NEXT_REVIEW") for p in NEXT_REVIEW_PHRASES] + [(RAISE_IR_PHRASE, "RAISE_IR")]
    found = await bench_users(url, users, today, phrasings)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"# store [{backend}]: {built.children:,} children, {built.reviews:,} reviews, "
          f"{built.iros} IROs, built in {built.seconds:.1f}s; {users} users: Alex Wilber "
          f"({found[0].caseload} children) and {users - 1} bench IROs", flush=True)  # fmt: skip
    return load_users(found)


# -- the report ----------------------------------------------------------------------------------


def intent_table(results: Sequence[LoadResult]) -> str:
    """Rows: intents; columns: each phase's p50 / p99 ms and measured turns."""
    head = "| intent | " + " | ".join(r.label for r in results) + " |"
    rule = "|---|" + "---:|" * len(results)
    lines = [head, rule]
    for intent in INTENTS:
        cells = []
        for r in results:
            samples = r.latencies.get(intent, [])
            cells.append(f"{percentile(samples, 0.5):.0f} / {percentile(samples, 0.99):.0f} "
                         f"({len(samples):,})" if samples else "–")  # fmt: skip
        lines.append(f"| {intent} | " + " | ".join(cells) + " |")
    every = [r for r in results if any(r.latencies.values())]
    if every:
        cells = []
        for r in results:
            samples = [x for xs in r.latencies.values() for x in xs]
            cells.append(f"{percentile(samples, 0.5):.0f} / {percentile(samples, 0.99):.0f} "
                         f"({len(samples):,})" if samples else "–")  # fmt: skip
        lines.append("| every turn | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_table(results: Sequence[LoadResult]) -> str:
    lines = [
        "| phase | processes | users | measured s | turns | turns/s | bot CPU ms/turn | errors "
        "| slowest s | over 15 s | raise dialogs confirmed / cancelled / cut off | IRs written "
        "| store check | load average |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    for r in results:
        cpu = f"{r.cpu_ms_per_turn:.1f}" if r.cpu_ms_per_turn is not None else "n/a"
        dialogs = f"{r.confirmed} / {r.cancelled} / {r.cut_off}"
        if r.store is None:
            written, check = "–", "–"
        else:
            written = str(r.store.written)
            check = "ok" if r.store.ok else "FAILED: " + "; ".join(r.store.problems)
            if r.store.unanswered_written:
                check += f' ({r.store.unanswered_written} written for a "yes" not answered)'
        lines.append(f"| {r.label} | {r.processes} | {r.users} | {r.seconds:.1f} | {r.measured:,} "
                     f"| {r.turns_per_second:.1f} | {cpu} | {len(r.errors)} "
                     f"| {r.slowest_ms / 1000:.1f} "
                     f"| {r.over_channel_timeout} | {dialogs} "
                     f"| {written} | {check} | {r.load_average:.1f} |")  # fmt: skip
    return "\n".join(lines)


def describe_errors(result: LoadResult) -> str:
    kinds = Counter(result.errors)
    return "; ".join(f"{n} × {what}" for what, n in kinds.most_common(8))


async def run(args: argparse.Namespace) -> list[LoadResult]:
    from benchmarks.bot_store import PostgresDatabase

    today = date.fromisoformat(args.today)
    mix = Mix()
    common = {"seconds": args.seconds, "warmup_seconds": args.warmup_seconds,
              "max_turns": args.max_turns, "mix": mix, "seed": args.seed}  # fmt: skip
    results: list[LoadResult] = []
    async with contextlib.AsyncExitStack() as stack:
        stores: list[tuple[str, str]] = []  # (label, url)
        if not args.no_sqlite:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="iro-load-bench-"))
            stores.append(("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'load.db'}"))
        if args.postgres:
            stores.append(("PostgreSQL", await stack.enter_async_context(
                PostgresDatabase(args.postgres))))  # fmt: skip
        users_by_store = {url: await prepare_store(url, args.users, args.children, today)
                          for _, url in stores}  # fmt: skip
        any_users = next(iter(users_by_store.values()), None)
        connector = await stack.enter_async_context(IndexedConnector())

        async def phase(label: str, app: str, env: Mapping[str, str], processes: int,
                        users: Sequence[LoadUser], store_url: str | None) -> None:  # fmt: skip
            print(
                f"# {label}: {processes} process(es), {len(users)} users, "
                f"{args.warmup_seconds:g} s warm-up + {args.seconds:g} s",
                flush=True,
            )
            result = await run_phase(label, app, env, processes, connector, users,
                                     store_url=store_url, **common)  # fmt: skip
            status = "green" if result.green else "NOT GREEN"
            print(f"#   {result.measured:,} turns measured, {result.turns_per_second:.1f}/s, "
                  f"{len(result.errors)} errors: {status} (the load's own CPU: "
                  f"{result.load_cpu_ms_per_turn:.1f} ms/turn)", flush=True)  # fmt: skip
            if result.errors:
                print(f"#   errors: {describe_errors(result)}", flush=True)
            results.append(result)

        for processes in args.processes:
            suffix = "" if processes == 1 else f" ×{processes}"
            if not args.no_echo and any_users is not None:
                await phase(f"stock echo{suffix}", ECHO_APP, {}, processes,
                            echo_users(any_users), None)  # fmt: skip
            for backend, url in stores:
                if backend == "SQLite" and processes != 1:
                    continue  # one host, one process: what SQLite is deployed as
                env = {"DATABASE_URL": url, "IRO_BENCH_TODAY": today.isoformat()}
                await phase(f"bot, {backend}{suffix}", BOT_APP, env, processes,
                            users_by_store[url], url)  # fmt: skip
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window (60)")
    parser.add_argument("--warmup-seconds", type=float, default=5.0,
                        help="the same load first, checked but not measured (5)")  # fmt: skip
    parser.add_argument("--users", type=int, default=50, help="concurrent conversations (50)")
    parser.add_argument("--max-turns", type=int, default=100_000,
                        help="at most this many turns per phase (100000)")  # fmt: skip
    parser.add_argument("--postgres", metavar="URL",
                        help="also on PostgreSQL: a throw-away database on this server "
                        "(postgresql+asyncpg URL)")  # fmt: skip
    parser.add_argument("--processes", default="1",
                        help="comma-separated bot process counts, each a phase (1; e.g. 1,2: "
                        "two processes share the PostgreSQL store)")  # fmt: skip
    parser.add_argument("--no-sqlite", action="store_true", help="the real bot on PostgreSQL only")
    parser.add_argument("--no-echo", action="store_true", help="skip the stock echo baseline")
    parser.add_argument("--children", type=int, default=10_000,
                        help="children in the store (10000)")  # fmt: skip
    parser.add_argument("--today", default="2026-11-26", help="the bot's pinned today")
    parser.add_argument("--seed", type=int, default=20261126, help="the users' choices")
    args = parser.parse_args(argv)
    args.processes = sorted({int(p) for p in args.processes.split(",") if p.strip()})
    if not 0 < args.seconds <= MAX_SECONDS or not 0 <= args.warmup_seconds <= 60:
        parser.error(f"--seconds must be in (0, {MAX_SECONDS:.0f}] and --warmup-seconds in [0, 60]")
    if not 1 <= args.users <= MAX_USERS or not 1 <= args.max_turns <= 1_000_000:
        parser.error(f"--users must be 1..{MAX_USERS} and --max-turns 1..1000000")
    if any(p not in (1, 2, 3, 4) for p in args.processes):
        parser.error("--processes: each count 1..4")
    if args.no_sqlite and not args.postgres:
        parser.error("--no-sqlite needs --postgres")
    if any(p > 1 for p in args.processes) and not args.postgres:
        parser.error("more than one bot process needs --postgres (they share one store)")
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.users} users, "
          f"{args.warmup_seconds:g} s warm-up + {args.seconds:g} s per phase, loopback\n",
          flush=True)  # fmt: skip
    results = asyncio.run(run(args))
    print(f"\n# load average at the end {os.getloadavg()[0]:.1f}\n")
    print(summary_table(results))
    print("\np50 / p99 ms (measured turns), per intent:\n")
    print(intent_table(results))
    failed = [r for r in results if not r.green]
    for r in failed:
        if r.errors:
            print(f"\n{r.label}: {len(r.errors)} errors: {describe_errors(r)}")
    print("\nRESULT: " + ("green: every phase had zero errors and its store check passed"
                          if not failed else
                          f"NOT green: {', '.join(r.label for r in failed)}"))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
