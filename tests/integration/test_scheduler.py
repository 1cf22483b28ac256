"""The scheduler on the seeded demo authority, on SQLite and PostgreSQL (see conftest.py).

The demo is seeded with ``today`` pinned to Monday 30 November 2026. A tick at 09:00 that
morning must enqueue exactly what an oracle works out: the domain's rules applied to *every*
open IR, booking and review read straight from the tables (no horizons, no filters), so the
scheduler's bounded queries, its key checks and its wiring are all held to it. Then: a second
tick, and a second scheduler (another bot instance), enqueue nothing new; a Saturday, a bank
holiday and times outside working hours enqueue nothing; one failing item fails alone.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from botbuilder.core import ActivityHandler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import bot.workers.scheduler as scheduler_module
import cards.nudges as nudges_module
import services.reminders as reminders_module
from bot.app import create_app
from bot.cli import worker_command
from bot.cli.demo_data import ADELE, ALEX, ISAIAH, seed_demo
from bot.settings import Settings
from bot.workers.dispatcher import DispatchPolicy
from bot.workers.scheduler import SCHEDULER_KEY, Scheduler, SchedulerConfig, attach_scheduler
from domain.issues_resolution import IRStatus
from domain.reminders import (
    BookingFacts,
    HeldReviewFacts,
    ReminderKind,
    digest_key,
    digest_window,
    reminders_due,
)
from domain.rules import load_rules
from storage import migrate
from storage.engine import create_engine, session_factory
from storage.models import (
    AuditEntry,
    Child,
    IssueResolution,
    Notification,
    Review,
    ReviewBooking,
    Staff,
)
from storage.reminder_queries import ir_facts

RULES = load_rules()
LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 11, 30)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


@pytest.fixture
async def demo(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    async with sessions() as session, session.begin():
        await seed_demo(session, RULES, today=MONDAY)
    return sessions


async def outbox(sessions: async_sessionmaker[AsyncSession]) -> list[Notification]:
    async with sessions() as session:
        return list(await session.scalars(select(Notification).order_by(Notification.id)))


async def staff_ids(session: AsyncSession, role: str) -> set[int]:
    return set(await session.scalars(select(Staff.id).where(Staff.role == role)))


async def by_email(session: AsyncSession, email: str) -> int:
    found = await session.scalar(select(Staff.id).where(Staff.email == email))
    assert found is not None
    return found


async def expected_reminders(session: AsyncSession, today: date) -> set[tuple[str, int, str]]:
    """The oracle: the domain's rules over every row, read without the scheduler's bounds."""
    references = await session.scalars(
        select(IssueResolution.reference).where(IssueResolution.status != IRStatus.RESOLVED)
    )
    irs = [await ir_facts(session, reference) for reference in references]
    booking_rows = await session.execute(
        select(ReviewBooking.id, ReviewBooking.child_pk, ReviewBooking.booked_for,
               Child.social_worker_id)
        .join(Child, Child.id == ReviewBooking.child_pk)
        .where(ReviewBooking.status == "booked")
    )  # fmt: skip
    bookings = [BookingFacts(*row) for row in booking_rows]
    review_rows = await session.execute(
        select(Review.id, Review.child_pk, Review.held_on, Child.iro_id, Child.covering_iro_id,
               Review.decisions_sent_on, Review.minutes_sent_on)
        .join(Child, Child.id == Review.child_pk)
    )  # fmt: skip
    reviews = [
        HeldReviewFacts(review_id, child_pk, held_on, iro or covering, decisions, minutes)
        for review_id, child_pk, held_on, iro, covering, decisions, minutes in review_rows
    ]
    qa = sorted(await staff_ids(session, "qa_manager"))
    found = reminders_due(today, RULES, irs=irs, bookings=bookings, reviews=reviews,
                          qa_manager_ids=qa)  # fmt: skip
    expected = {(r.kind.value, r.recipient_id, r.key) for r in found}
    # Digests: every IRO with anything to tell (a child or an open IR of theirs).
    _, last = digest_window(today, RULES.calendar, scheduler_module.DEFAULT_POLICY)
    for iro in sorted(await staff_ids(session, "iro")):
        has_children = await session.scalar(
            select(func.count()).where(
                (Child.iro_id == iro) | (Child.covering_iro_id == iro),
                Child.next_review_due <= last,
            )
        )
        has_irs = await session.scalar(
            select(func.count()).where(IssueResolution.raised_by_id == iro,
                                       IssueResolution.status != IRStatus.RESOLVED)
        )  # fmt: skip
        if has_children or has_irs:
            expected.add((ReminderKind.DIGEST.value, iro, digest_key(iro, today)))
    return expected


async def test_a_monday_morning_tick_enqueues_exactly_what_is_due_and_only_once(
    demo: async_sessionmaker[AsyncSession],
) -> None:
    scheduler = Scheduler(demo, RULES)
    # Nothing at the weekend, on a bank holiday, or outside working hours (08:00-18:00).
    for moment, why in [
        (at(date(2026, 11, 28), 10), "not a working day"),  # Saturday
        (at(date(2026, 11, 29), 10), "not a working day"),  # Sunday
        (at(date(2026, 12, 25), 10), "not a working day"),  # Christmas Day, a Friday
        (at(MONDAY, 7, 59), "outside working hours"),
        (at(MONDAY, 18, 0), "outside working hours"),
        (at(MONDAY, 22, 30), "outside working hours"),
    ]:
        report = await scheduler.tick(moment)
        assert (report.skipped, report.total) == (why, 0)
    assert await outbox(demo) == []

    report = await scheduler.tick(at(MONDAY, 9))
    assert report.skipped is None and report.failed == 0 and report.failed_jobs == []
    rows = await outbox(demo)
    got = {(n.kind, n.recipient_staff_id, n.idempotency_key) for n in rows}
    async with demo() as session:
        expected = await expected_reminders(session, MONDAY)
        iros = await staff_ids(session, "iro")
        social_workers = await staff_ids(session, "social_worker")
        adele, alex, isaiah = [await by_email(session, u.email) for u in (ADELE, ALEX, ISAIAH)]
        sw_of_booking = dict((await session.execute(
            select(ReviewBooking.id, Child.social_worker_id)
            .join(Child, Child.id == ReviewBooking.child_pk))).all())  # fmt: skip
    assert got == expected
    assert len(rows) == len(got) == report.total  # one row per key
    kinds = Counter(kind for kind, _, _ in got)
    assert kinds == report.enqueued
    # The demo puts something in every kind of reminder this morning (see bot/cli/demo_data.py).
    assert set(kinds) >= {
        ReminderKind.IR_STAGE_SOON, ReminderKind.IR_STAGE_OVERDUE, ReminderKind.IR_ESCALATION,
        ReminderKind.IR_FORMAL_BREACHED, ReminderKind.REPORTS_SOON,
        ReminderKind.REPORTS_DUE_TODAY, ReminderKind.DECISIONS_SOON,
        ReminderKind.DECISIONS_OVERDUE, ReminderKind.MINUTES_SOON, ReminderKind.MINUTES_OVERDUE,
        ReminderKind.DIGEST,
    }  # fmt: skip
    assert kinds[ReminderKind.DIGEST] == len(iros)  # every demo IRO has a caseload

    # Recipients, by hand: the Playground's managers and IRO have their IRs' reminders.
    assert (ReminderKind.IR_STAGE_OVERDUE, adele) in {(k, r) for k, r, _ in got}
    assert (ReminderKind.IR_ESCALATION, alex) in {(k, r) for k, r, _ in got}
    assert (ReminderKind.IR_STAGE_SOON, isaiah) in {(k, r) for k, r, _ in got}
    for row in rows:
        if row.kind.startswith("reminder.reports"):
            booking = int(row.idempotency_key.split(":")[0].removeprefix("booking-"))
            assert row.recipient_staff_id == sw_of_booking[booking]
            assert row.recipient_staff_id in social_workers
        elif row.kind.startswith(("reminder.decisions", "reminder.minutes", "digest",
                                  ReminderKind.IR_ESCALATION.value)):  # fmt: skip
            assert row.recipient_staff_id in iros

    # Again, and from another instance: the outbox already holds every key.
    again = await scheduler.tick(at(MONDAY, 9, 5))
    other = await Scheduler(demo, RULES).tick(at(MONDAY, 14, 30))
    assert again.total == other.total == 0
    assert again.already == other.already == len(rows)
    assert len(await outbox(demo)) == len(rows)


async def test_the_payloads_say_what_to_do_and_keep_names_out_of_summaries(
    demo: async_sessionmaker[AsyncSession],
) -> None:
    await Scheduler(demo, RULES).tick(at(MONDAY, 9))
    rows = await outbox(demo)
    async with demo() as session:
        names = [" ".join(n) for n in (await session.execute(
            select(Child.given_name, Child.family_name))).all()]  # fmt: skip
        audits = list(await session.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(["child.list", "reminder.enqueue"]))))  # fmt: skip
    for row in rows:
        payload: dict[str, Any] = row.payload
        assert payload["card"]["type"] == "AdaptiveCard"
        assert not any(name in payload["summary"] for name in names), row.idempotency_key
        if row.kind.startswith("reminder.ir_"):
            assert payload["ir_card"] is True and payload["ir_reference"] in row.idempotency_key
            verbs = _verbs(payload["card"])
            if row.kind == ReminderKind.IR_ESCALATION:
                assert "ir.escalate" in verbs  # the IRO's one-click escalation
                assert "may go straight to any higher stage" in payload["text"]
            if row.kind.startswith("reminder.ir_stage.") and row.kind != ReminderKind.IR_ESCALATION:
                assert "ir.respond" in verbs and "ir.decline" in verbs
            assert "Rule IR-" in payload["text"] and "What " in payload["text"]
        elif not row.kind.startswith("digest"):
            text = str(payload["card"])
            assert "CIC-" in text and "What to do" in text
    assert (
        sum(a.action == "child.list" for a in audits)
        == Counter(r.kind for r in rows)[ReminderKind.DIGEST]
    )
    assert {a.detail["job"] for a in audits if a.action == "reminder.enqueue"} == {
        "ir", "reports", "follow_ups", "digest"
    }  # fmt: skip


def _verbs(card: dict[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.add(node["verb"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("actions", []))
    return found


async def test_one_failing_item_fails_alone_and_is_retried_next_tick(
    demo: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_follow_up, real_enqueue = nudges_module.follow_up_nudge, reminders_module.enqueue
    broken: dict[str, str] = {}

    def failing_follow_up(reminder: Any, *args: Any) -> Any:
        if not broken.get("python"):
            broken["python"] = reminder.key
        if reminder.key == broken["python"]:
            raise KeyError("a bug in building one card")
        return real_follow_up(reminder, *args)

    async def failing_enqueue(session: AsyncSession, **values: Any) -> bool:
        # A database error for one row (a recipient who does not exist: a foreign key
        # violation); on PostgreSQL it would poison the whole transaction without a savepoint.
        if values["kind"].startswith("reminder.reports") and not broken.get("database"):
            broken["database"] = values["key"]
            values = {**values, "recipient_staff_id": 10**9}
        return await real_enqueue(session, **values)

    monkeypatch.setattr(nudges_module, "follow_up_nudge", failing_follow_up)
    monkeypatch.setattr(reminders_module, "enqueue", failing_enqueue)
    scheduler = Scheduler(demo, RULES)
    first = await scheduler.tick(at(MONDAY, 9))
    assert first.failed == 2 and first.failed_jobs == []
    keys = {n.idempotency_key for n in await outbox(demo)}
    assert broken["python"] not in keys and broken["database"] not in keys
    async with demo() as session:
        expected = await expected_reminders(session, MONDAY)
    assert keys == {key for _, _, key in expected} - set(broken.values())

    monkeypatch.setattr(nudges_module, "follow_up_nudge", real_follow_up)
    monkeypatch.setattr(reminders_module, "enqueue", real_enqueue)
    second = await scheduler.tick(at(MONDAY, 9, 5))
    assert second.total == 2 and second.failed == 0
    assert {n.idempotency_key for n in await outbox(demo)} == {k for _, _, k in expected}


async def test_a_whole_job_failing_leaves_the_others(
    demo: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def store_trouble(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the store went away")

    monkeypatch.setattr(reminders_module, "booking_facts", store_trouble)
    report = await Scheduler(demo, RULES).tick(at(MONDAY, 9))
    assert report.failed_jobs == ["reports"]
    kinds = {n.kind for n in await outbox(demo)}
    assert not any(k.startswith("reminder.reports") for k in kinds)
    assert ReminderKind.DIGEST in kinds and ReminderKind.IR_ESCALATION in kinds


async def test_staff_who_have_left_are_not_reminded(demo: async_sessionmaker[AsyncSession]) -> None:
    async with demo() as session, session.begin():
        adele = await session.get(Staff, await by_email(session, ADELE.email))
        assert adele is not None
        adele.active = False
    report = await Scheduler(demo, RULES).tick(at(MONDAY, 9))
    assert report.unreachable >= 1
    async with demo() as session:
        gone = await by_email(session, ADELE.email)
    assert gone not in {n.recipient_staff_id for n in await outbox(demo)}


async def test_runs_in_the_bot_process_alongside_the_app(
    demo: async_sessionmaker[AsyncSession],
) -> None:
    scheduler = Scheduler(demo, RULES, SchedulerConfig(interval_seconds=0.05),
                          clock=lambda: at(MONDAY, 10))  # fmt: skip
    app = web.Application()
    attach_scheduler(app, scheduler)
    runner = web.AppRunner(app)
    await runner.setup()  # runs on_startup: the scheduler's task starts
    try:
        for _ in range(200):
            if await outbox(demo):
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()  # on_cleanup: the scheduler stops
    assert await outbox(demo)
    count = len(await outbox(demo))
    await asyncio.sleep(0.2)
    assert len(await outbox(demo)) == count  # stopped: nothing more is written


async def test_create_app_runs_the_scheduler_only_when_asked(engine: AsyncEngine) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    plain = create_app(settings, ActivityHandler(), engine=engine)
    assert SCHEDULER_KEY not in plain
    served = create_app(settings, ActivityHandler(), engine=engine,
                        schedule=SchedulerConfig(interval_seconds=3600))  # fmt: skip
    runner = web.AppRunner(served)
    await runner.setup()
    try:
        assert served[SCHEDULER_KEY].config.interval_seconds == 3600
    finally:
        await runner.cleanup()  # stops the scheduler's task before the app goes


async def test_the_worker_runs_the_scheduler_beside_the_dispatcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, RULES, today=MONDAY, children=40)
    finally:
        await engine.dispose()
    real_build = worker_command.build_scheduler

    def pinned(*args: Any) -> Scheduler:
        scheduler = real_build(*args)
        scheduler.clock = lambda: at(MONDAY, 9)  # the wall clock may be a Sunday night
        return scheduler

    monkeypatch.setattr(worker_command, "build_scheduler", pinned)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    stop = asyncio.Event()
    policy = DispatchPolicy(poll_interval=0.05)
    working = asyncio.create_task(worker_command.work(
        settings, policy, stop=stop, schedule=SchedulerConfig(interval_seconds=0.05)))  # fmt: skip
    engine = create_engine(url)
    try:
        for _ in range(200):
            async with session_factory(engine)() as session:
                kinds = set(await session.scalars(select(Notification.kind)))
            if ReminderKind.DIGEST in kinds:
                break
            await asyncio.sleep(0.05)
        assert ReminderKind.DIGEST in kinds
    finally:
        stop.set()
        assert await asyncio.wait_for(working, 30) == 0
        await engine.dispose()
