"""Scenario ``kill-dialog``: ``iro-bot serve`` killed with SIGKILL while many users are part-way
through raising an IR or recording a review; it is restarted each time; every dialog carries on.

The users (one personal chat each, one child each, all as the demo's IRO) answer whatever the bot
is asking now, as a person would (``faults_common.answer_to``): when a message got no answer (the
bot died under it) they send it again; when the bot asks a question again, they answer it again.
Kills come two ways:

- at random moments (``--kills``): as the bot sends its reply of a turn picked at random among
  the first replies of the run (so each kill happens, with a turn in flight, however fast the
  dialogs go: a kill left to the clock could find every dialog already finished);
- at the worst moment (``--targeted``): the instant the fake connector receives a dialog's
  result ("IR-... raised", "Review recorded"), i.e. after the write committed and before the
  dialog state saying so is saved. Every other such kill also drops that result, as if the
  process had died just before sending it: that user sees nothing and says "yes" again.

At the end every user says "help" (a dialog left at its summary by a targeted kill is closed then,
saying it was already saved) and the store is checked: exactly one IR per IR dialog, with the
description that user typed, and exactly one review per review dialog. PASS needs none lost,
none duplicated, none wrong, and every user back at the help card.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from benchmarks.faults_common import (
    ALEX_USER,
    ALREADY,
    DONE,
    Server,
    answer_to,
    answers_since,
    is_notification,
    say,
    scratch_store,
    shown,
    today,
)
from bot.cli.demo_data import ALEX
from storage.engine import create_engine, session_factory
from storage.models import Child, DialogSave, IssueResolution, Review, Staff
from tests.e2e.conftest import BotClient
from tests.e2e.fake_connector import FakeConnector, Recorded

MAX_TURNS = 60  # a conversation still going after this many messages is stuck: a failure
RESULTS = ("raised", "Review recorded for")
_VERBOSE = {"on": False}


def options_verbose() -> bool:
    """--verbose: print what a stuck dialog last heard (demo data only: no real names)."""
    return _VERBOSE["on"]


@dataclass
class Dialog:
    kind: str  # "raise_ir" or "record_review"
    child_pk: int
    opening: str
    description: str
    client: BotClient
    done: bool = False
    turns: int = 0
    outcome: str = ""
    unrecognised: list[str] = field(default_factory=list)  # for --verbose


@dataclass
class DialogFigures:
    dialogs: int = 0
    ir_dialogs: int = 0
    review_dialogs: int = 0
    random_kills: int = 0
    random_kills_mid_turn: int = 0
    targeted_kills: int = 0
    results_dropped: int = 0
    turns: int = 0
    interrupted: int = 0  # messages whose POST failed: the bot died under them
    resent: int = 0  # messages sent again because no question came back
    already_saved: int = 0  # "That was already saved" answers
    closed_at_summary: int = 0  # dialogs left at a summary, closed by the final "help"
    stuck: int = 0
    irs_expected: int = 0
    irs_found: int = 0
    irs_lost: int = 0
    irs_duplicated: int = 0
    irs_wrong: int = 0  # stored with a description other than the one typed
    reviews_expected: int = 0
    reviews_found: int = 0
    reviews_lost: int = 0
    reviews_duplicated: int = 0
    dialog_saves: int = 0
    not_back_to_help: int = 0
    restarts: int = 0
    restart_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not (self.stuck or self.irs_lost or self.irs_duplicated or self.irs_wrong
                    or self.reviews_lost or self.reviews_duplicated
                    or self.not_back_to_help)  # fmt: skip


async def choose_children(url: str, irs: int, reviews: int) -> tuple[list[Child], list[Child]]:
    """Alex's children (named by child ID in the opening message)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            alex = await session.scalar(select(Staff.id).where(Staff.email == ALEX.email))
            children = list(await session.scalars(
                select(Child).where(Child.iro_id == alex, Child.looked_after_since.is_not(None))
                .order_by(Child.id)
            ))  # fmt: skip
    finally:
        await engine.dispose()
    unique = children  # each named by child ID, which is unique
    if len(unique) < irs + reviews:
        raise SystemExit(f"the demo has {len(unique)} suitable children; ask for fewer dialogs")
    # Reviews for children whose review is due soonest: "held today" is then on time or late
    # (a late one asks why), and an early one is a real review too.
    by_due = sorted((c for c in unique if c.next_review_due), key=lambda c: c.next_review_due)
    chosen = by_due[:reviews]
    rest = [c for c in unique if c not in chosen]
    return rest[:irs], chosen


async def converse(dialog: Dialog, server: Server, connector: FakeConnector,
                   figures: DialogFigures, rng: random.Random) -> None:  # fmt: skip
    """One user, answering until the dialog's outcome is shown."""
    held_on = today().strftime("%d/%m/%Y")
    cid = dialog.client.conversation_id
    answer = dialog.opening
    while dialog.turns < MAX_TURNS:
        await asyncio.sleep(rng.uniform(0.0, 0.15))  # a moment to read and type
        await server.ready.wait()
        before = len(connector.activities_in(cid))
        dialog.turns += 1
        figures.turns += 1
        try:
            posted = await dialog.client.post(dialog.client.message(answer))
            ok = 200 <= posted.status < 300
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        if not ok:
            figures.interrupted += 1
            await asyncio.sleep(0.05)
            await server.ready.wait()
        replies = answers_since(connector, cid, before)
        following = None
        for reply in reversed(replies):
            text = shown(reply)
            following = answer_to(text, description=dialog.description, held_on=held_on)
            if following is not None:
                if ALREADY.search(text):
                    figures.already_saved += 1
                break
        if following == DONE:
            dialog.done = True
            return
        if following is None:
            figures.resent += 1
            if replies:
                dialog.unrecognised.append(shown(replies[-1])[:160])
            continue
        answer = following
    figures.stuck += 1
    if options_verbose():
        print(f"stuck ({dialog.kind}): {dialog.unrecognised[-3:]}")


async def run_kill_dialog(options: argparse.Namespace) -> DialogFigures:
    figures = DialogFigures()
    _VERBOSE["on"] = bool(getattr(options, "verbose", False))
    rng = random.Random(options.seed)
    started = time.perf_counter()
    async with scratch_store(options.postgres) as url, FakeConnector() as connector, \
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:  # fmt: skip
        ir_children, review_children = await choose_children(url, options.irs, options.reviews)
        server = Server(url, Path(options.logs))
        dialogs = [
            Dialog("raise_ir", c.id, f"raise an IR for {c.child_id}",
                   f"Fault drill {n}: the reports for {c.child_id} arrived late.",
                   BotClient(http, server.url + "/api/messages", connector, user=ALEX_USER))
            for n, c in enumerate(ir_children)
        ] + [
            Dialog("record_review", c.id, f"record the review for {c.child_id}", "",
                   BotClient(http, server.url + "/api/messages", connector, user=ALEX_USER))
            for c in review_children
        ]  # fmt: skip
        figures.dialogs = len(dialogs)
        figures.ir_dialogs, figures.review_dialogs = len(ir_children), len(review_children)
        ours = {d.client.conversation_id for d in dialogs}
        targeted = {"left": options.targeted}
        # The replies (counted across the dialogs) at which the random kills fall: among the
        # first few of the run, which every run has, one kill per reply picked.
        replies = {"seen": 0, "due": 0}
        kill_at = set(rng.sample(range(2, 2 + 3 * options.kills), options.kills))

        def at_the_worst_moment(call: Recorded) -> bool:
            """Kill the bot as it sends a picked reply, or the instant a dialog's result
            reaches the connector."""
            if call.conversation_id not in ours or is_notification(call):
                return True
            replies["seen"] += 1
            replies["due"] += replies["seen"] in kill_at
            if replies["due"] and server.ready.is_set():
                # (A kill due while the bot was down, after another, falls on the next reply.)
                replies["due"] -= 1
                figures.random_kills += 1
                figures.random_kills_mid_turn += 1  # the bot was sending this turn's reply
                server.kill()
                return True
            if targeted["left"] <= 0:
                return True
            text = shown(call)
            if not any(marker in text for marker in RESULTS):
                return True
            targeted["left"] -= 1
            figures.targeted_kills += 1
            server.kill()
            drop = figures.targeted_kills % 2 == 0
            figures.results_dropped += drop
            return not drop

        connector.observer = at_the_worst_moment
        await server.start()
        finished = asyncio.Event()

        async def supervise() -> None:
            """Bring the server back whenever it dies, until the end."""
            while not finished.is_set():
                await server.wait_dead()
                if finished.is_set():
                    return
                await server.start()

        supervisor = asyncio.create_task(supervise())
        try:
            await asyncio.wait_for(
                asyncio.gather(*(converse(d, server, connector, figures, rng) for d in dialogs)),
                options.timeout,
            )
            await server.ready.wait()
            finished.set()
            for dialog in dialogs:
                await close_with_help(dialog, connector, figures)
        finally:
            finished.set()
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
            await server.stop()
        figures.restarts = server.starts - 1
        figures.restart_seconds = server.start_seconds[1:]
        await check_store(url, dialogs, figures)
    figures.seconds = time.perf_counter() - started
    return figures


async def close_with_help(dialog: Dialog, connector: FakeConnector, figures: DialogFigures) -> None:
    """Say "help": the help card, or first "already saved" (a dialog left at its summary)."""
    for attempt in range(2):
        replies = await say(dialog.client, "help")
        text = shown(replies[-1]) if replies else ""
        if "What I can do" in text:
            return
        if attempt == 0 and ALREADY.search(text):
            figures.closed_at_summary += 1
            continue
        break
    figures.not_back_to_help += 1
    if options_verbose():
        print(f"not back at help ({dialog.kind}): {text[:160]!r}")


async def check_store(url: str, dialogs: list[Dialog], figures: DialogFigures) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            for dialog in dialogs:
                if dialog.kind == "raise_ir":
                    figures.irs_expected += 1
                    stored = list(await session.scalars(
                        select(IssueResolution.description)
                        .where(IssueResolution.child_pk == dialog.child_pk,
                               IssueResolution.source == "bot")
                    ))  # fmt: skip
                    figures.irs_found += len(stored)
                    figures.irs_lost += not stored
                    figures.irs_duplicated += max(0, len(stored) - 1)
                    figures.irs_wrong += sum(1 for d in stored if d != dialog.description)
                else:
                    figures.reviews_expected += 1
                    count = await session.scalar(
                        select(func.count()).select_from(Review).where(
                            Review.child_pk == dialog.child_pk, Review.held_on == today())
                    ) or 0  # fmt: skip
                    figures.reviews_found += count
                    figures.reviews_lost += not count
                    figures.reviews_duplicated += max(0, count - 1)
            figures.dialog_saves = await session.scalar(
                select(func.count()).select_from(DialogSave)
            ) or 0  # fmt: skip
    finally:
        await engine.dispose()


def describe(figures: DialogFigures) -> str:
    restart = figures.restart_seconds
    mean = sum(restart) / len(restart) if restart else 0.0
    return "\n".join([
        f"dialogs: {figures.dialogs} ({figures.ir_dialogs} raise-IR, "
        f"{figures.review_dialogs} record-review), one user each, all at once",
        f"kills: {figures.random_kills} at random ({figures.random_kills_mid_turn} with a turn "
        f"in flight) + {figures.targeted_kills} the instant a result reached the connector "
        f"({figures.results_dropped} of those results dropped, as if never sent); "
        f"restarts {figures.restarts}, spawn to /healthz 200 mean {mean:.1f}s, "
        f"max {max(restart, default=0):.1f}s",
        f"messages: {figures.turns} sent, {figures.interrupted} cut off by a kill, "
        f"{figures.resent} sent again for want of a question back; "
        f"'already saved' answers {figures.already_saved}; "
        f"dialogs closed at a stale summary by the final 'help' {figures.closed_at_summary}; "
        f"stuck {figures.stuck}; not back at the help card {figures.not_back_to_help}",
        f"IRs: expected {figures.irs_expected}, found {figures.irs_found}, lost "
        f"{figures.irs_lost}, duplicated {figures.irs_duplicated}, wrong description "
        f"{figures.irs_wrong}; reviews: expected {figures.reviews_expected}, found "
        f"{figures.reviews_found}, lost {figures.reviews_lost}, duplicated "
        f"{figures.reviews_duplicated}; dialog_saves rows {figures.dialog_saves}",
        f"{figures.seconds:.0f}s in all. {'PASS' if figures.passed else 'FAIL'}",
    ])  # fmt: skip
