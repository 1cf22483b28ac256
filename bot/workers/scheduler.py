"""The scheduler: on working days, in working hours, it has the due reminders put in the outbox.

Every ``interval_seconds`` (5 minutes by default) a tick takes the time in the authority's time
zone (Europe/London by default, from the rules file). Outside working days (weekends, bank
holidays, configured closures) and working hours (08:00 to 18:00 by default) it does nothing.
Otherwise it runs the reminder jobs (``services.reminders``: IR stages and formal deadlines,
social workers' reports before a booked review, decisions and minutes to send, the weekly digest
on Monday from 08:00 by default), with the cards of ``cards.nudges``.

The dispatcher (``bot/workers/dispatcher.py``) delivers what lands in the outbox; this module only
decides when the jobs run. Both run in the bot process (``iro-bot serve``) and in ``iro-bot
worker``. Nothing reads the clock but ``tick``, which passes ``today`` and the time down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.log_format import correlated
from bot.settings import Settings
from cards import nudges
from domain.calendar import WorkingDayCalendar
from domain.reminders import DEFAULT_POLICY, ReminderPolicy
from domain.rules import RuleSet, load_rules
from services.reminders import Moment, ReminderJobs, TickReport
from storage.engine import session_factory

logger = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# -- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SchedulerConfig:
    interval_seconds: float = 300.0
    work_start: time = time(8, 0)  # local time, inclusive
    work_end: time = time(18, 0)  # local time, exclusive
    policy: ReminderPolicy = DEFAULT_POLICY

    def __post_init__(self) -> None:
        if self.interval_seconds <= 0:
            raise ValueError("the scheduler interval must be more than 0 seconds")
        if self.work_start >= self.work_end:
            raise ValueError("working hours must start before they end (e.g. 08:00 to 18:00)")


class SchedulerSettings(BaseSettings):
    """``IRO_SCHEDULER_*`` environment variables (or ``.env``). Times are local (HH:MM)."""

    model_config = SettingsConfigDict(env_file=".env", env_prefix="IRO_SCHEDULER_",
                                      extra="ignore")  # fmt: skip

    enabled: bool = True
    interval_seconds: float = 300.0
    work_start: time = time(8, 0)
    work_end: time = time(18, 0)
    digest_day: str = "monday"
    digest_time: time = time(8, 0)
    lead_working_days: int = 2
    overdue_window_working_days: int = 10

    @field_validator("digest_day")
    @classmethod
    def _known_day(cls, value: str) -> str:
        day = value.strip().lower()
        if day not in WEEKDAYS:
            raise ValueError(f"must be a day of the week, e.g. monday (got {value!r})")
        return day

    def config(self) -> SchedulerConfig:
        """The scheduler's configuration; ValueError when the values make no sense."""
        policy = ReminderPolicy(
            lead_working_days=self.lead_working_days,
            overdue_window_working_days=self.overdue_window_working_days,
            digest_weekday=WEEKDAYS.index(self.digest_day),
            digest_time=self.digest_time,
        )
        return SchedulerConfig(interval_seconds=self.interval_seconds, work_start=self.work_start,
                               work_end=self.work_end, policy=policy)  # fmt: skip


# -- the scheduler ----------------------------------------------------------------------------


class Scheduler:
    """Call ``tick`` (tests, one-off runs) or ``run`` until ``stop`` (the bot, the worker)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        rules: RuleSet,
        config: SchedulerConfig | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.rules = rules
        self.config = config or SchedulerConfig()
        self.clock = clock
        self.zone = ZoneInfo(rules.timezone)
        self._stopping = asyncio.Event()
        self.jobs = ReminderJobs(sessions, rules, self.config.policy, nudges)

    @property
    def calendar(self) -> WorkingDayCalendar:
        return self.rules.calendar

    @property
    def policy(self) -> ReminderPolicy:
        return self.config.policy

    # -- running ------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Tick now and every ``interval_seconds`` until ``stop()``. A tick that fails (the
        store is down) is logged and the next one tries again."""
        self._stopping.clear()
        logger.info("Scheduler started (every %gs, %s to %s %s)", self.config.interval_seconds,
                    self.config.work_start, self.config.work_end, self.rules.timezone)  # fmt: skip
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception as exc:  # keep running: the next tick may find the store back
                logger.error("Scheduler tick failed: %s", type(exc).__name__)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.interval_seconds)
        logger.info("Scheduler stopped")

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Enqueue every reminder due at ``now`` (aware; default the clock) not yet enqueued."""
        with correlated("scheduler"):  # every line of this run carries its id
            return await self._tick(now)

    async def _tick(self, now: datetime | None) -> TickReport:
        moment = now if now is not None else self.clock()
        if moment.tzinfo is None:
            raise ValueError("the scheduler needs an aware datetime (UTC or local)")
        local = moment.astimezone(self.zone)
        report = TickReport(at=local)
        today, at = local.date(), local.time()
        if not self.calendar.is_working_day(today):
            report.skipped = "not a working day"
            return report
        if not self.config.work_start <= at < self.config.work_end:
            report.skipped = "outside working hours"
            return report
        await self.jobs.enqueue_due(Moment(today, at, moment.astimezone(UTC)), report)
        if report.total or report.failed or report.failed_jobs:
            logger.info(
                "Scheduler tick %s: enqueued %d %s, %d already sent, %d not active staff, "
                "%d failed, failed jobs %s", local.isoformat(timespec="minutes"), report.total,
                dict(sorted(report.enqueued.items())), report.already, report.unreachable,
                report.failed, report.failed_jobs or "none",
            )  # fmt: skip
        return report


# -- wiring -----------------------------------------------------------------------------------


def load_scheduler_config(settings: SchedulerSettings | None = None) -> SchedulerConfig | None:
    """The scheduler's configuration from ``IRO_SCHEDULER_*`` (or ``settings``); None when
    ``IRO_SCHEDULER_ENABLED`` is false. A ValueError of one line names a setting that makes no
    sense, for the command line to print."""
    try:
        chosen = settings or SchedulerSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "IRO_SCHEDULER_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ValueError(f"{name}: {first['msg']}") from None
    return chosen.config() if chosen.enabled else None


def build_scheduler(settings: Settings, engine: AsyncEngine, config: SchedulerConfig) -> Scheduler:
    """The scheduler as ``iro-bot serve`` and ``iro-bot worker`` run it, on ``engine``'s store
    with the authority's rules (``IRO_RULES``)."""
    return Scheduler(session_factory(engine), load_rules(settings.rules_path or None), config)


_SCHEDULER_TASK_KEY = web.AppKey("scheduler_task", asyncio.Task)
SCHEDULER_KEY = web.AppKey("scheduler", Scheduler)


def attach_scheduler(app: web.Application, scheduler: Scheduler, *,
                     stop_timeout: float = 30.0) -> None:  # fmt: skip
    """Run ``scheduler`` for the life of ``app``: started with it, stopped when it shuts down
    (a tick in progress finishes, up to ``stop_timeout`` seconds)."""

    async def start(app: web.Application) -> None:
        app[_SCHEDULER_TASK_KEY] = asyncio.create_task(scheduler.run(), name="scheduler")

    async def stop(app: web.Application) -> None:
        task = app.get(_SCHEDULER_TASK_KEY)
        if task is None:
            return
        scheduler.stop()
        try:
            await asyncio.wait_for(task, stop_timeout)
        except Exception as exc:  # shutdown goes on; an unfinished tick wrote nothing half-way
            logger.warning("Scheduler did not stop cleanly: %s", type(exc).__name__)

    app[SCHEDULER_KEY] = scheduler
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
