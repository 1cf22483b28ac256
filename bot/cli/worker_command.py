"""`iro-bot worker`: deliver the outbox without the web server, until SIGINT or SIGTERM.

``iro-bot serve`` already runs a dispatcher in its own process; this is for deployments that
keep delivery apart from the web server (or want more dispatchers). Any number of workers and
servers may run against one store: claims are leased, so each notification is delivered by one
of them (see ``bot/workers/dispatcher.py`` for what "exactly once" means precisely). The scheduler
(reminders, digests: ``bot/workers/scheduler.py``) runs here too, unless
``IRO_SCHEDULER_ENABLED`` is false; several schedulers on one store enqueue each reminder once.

Exit status: 0 after a graceful stop (sends in flight finish, claimed notifications not yet
tried are handed back at once); 2 for bad options or settings; 1 when the store cannot be used
(unreachable, or a schema that is not this version's: run ``iro-bot migrate``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.adapter import create_adapter
from bot.app import configure_logging
from bot.settings import Settings
from bot.workers.dispatcher import DispatchPolicy, build_dispatcher
from bot.workers.scheduler import SchedulerConfig, build_scheduler, load_scheduler_config
from storage import migrate
from storage.engine import create_engine

logger = logging.getLogger(__name__)

_DEFAULTS = DispatchPolicy()


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    parser = subparsers.add_parser(
        "worker",
        help="deliver notifications (the outbox) without the web server",
        description="Claim due notifications from the store at DATABASE_URL and send them to "
        "Teams as proactive messages, until SIGINT or SIGTERM. Several workers (and servers) "
        "may share one store.",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=_DEFAULTS.batch_size,
        help=f"notifications claimed at a time (default {_DEFAULTS.batch_size})",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=_DEFAULTS.concurrency,
        help=f"sends in flight at once (default {_DEFAULTS.concurrency})",
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=_DEFAULTS.lease_seconds,
        help="seconds a claim is held before another worker may take it over "
        f"(default {_DEFAULTS.lease_seconds:.0f})",
    )
    parser.add_argument(
        "--send-timeout",
        type=float,
        default=_DEFAULTS.send_timeout,
        help=f"seconds one send may take (default {_DEFAULTS.send_timeout:.0f})",
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=_DEFAULTS.poll_interval,
        help="seconds between looks for due work when there was none "
        f"(default {_DEFAULTS.poll_interval:g})",
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=_DEFAULTS.max_attempts,
        help=f"attempts before giving up (default {_DEFAULTS.max_attempts})",
    )
    parser.add_argument(
        "--retry-base",
        type=float,
        default=_DEFAULTS.retry_base,
        help=f"first retry delay, seconds (default {_DEFAULTS.retry_base:g})",
    )
    parser.add_argument(
        "--retry-cap",
        type=float,
        default=_DEFAULTS.retry_cap,
        help=f"longest retry delay, seconds (default {_DEFAULTS.retry_cap:g})",
    )
    parser.add_argument("--name", help="this worker's name in the store and logs "
                                       "(default host:pid:random)")  # fmt: skip
    parser.set_defaults(handler=run_worker)


def policy_from(args: argparse.Namespace) -> DispatchPolicy:
    """The dispatch policy the options describe; ValueError when they make no sense."""
    return DispatchPolicy(
        batch_size=args.batch,
        concurrency=args.concurrency,
        lease_seconds=args.lease,
        send_timeout=args.send_timeout,
        poll_interval=args.poll,
        max_attempts=args.max_attempts,
        retry_base=args.retry_base,
        retry_cap=args.retry_cap,
    )


def run_worker(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        configure_logging(settings.log_level, settings.log_format)
        migrate.validate_url(settings.database_url)
        policy = policy_from(args)
        schedule = load_scheduler_config()
    except ValueError as exc:
        print(f"iro-bot worker: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(work(settings, policy, name=args.name, schedule=schedule))
    except migrate.SchemaMismatchError as exc:
        print(f"iro-bot worker: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] or type(exc).__name__
        print(f"iro-bot worker: cannot start: {reason}", file=sys.stderr)
        return 1


async def work(
    settings: Settings,
    policy: DispatchPolicy,
    *,
    name: str | None = None,
    stop: asyncio.Event | None = None,
    schedule: SchedulerConfig | None = None,
) -> int:
    """Deliver until ``stop`` is set (by SIGINT/SIGTERM when not given). The exit status.

    ``schedule``: run the reminder scheduler alongside, stopped when the dispatcher stops."""
    engine = create_engine(settings.database_url)
    adapter = create_adapter(settings)
    try:
        # Fail now, with a message that says what to do, rather than on the first claim.
        await migrate.check_schema(engine)
        dispatcher = build_dispatcher(settings, adapter, engine, policy=policy, name=name)
        if not settings.app_id:
            logger.warning("MicrosoftAppId is not set: sends carry no token (local only)")
        watcher: asyncio.Task[None] | None = None
        if stop is None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, dispatcher.stop)
        else:
            watcher = asyncio.create_task(_stop_when_set(stop, dispatcher.stop))
        scheduler = build_scheduler(settings, engine, schedule) if schedule else None
        ticking = asyncio.create_task(scheduler.run()) if scheduler else None
        try:
            await dispatcher.run()
        finally:
            if watcher is not None:
                watcher.cancel()
            if scheduler is not None and ticking is not None:
                scheduler.stop()  # a tick in progress finishes; it writes nothing half-way
                await ticking
        return 0
    finally:
        await adapter.close()
        await engine.dispose()


async def _stop_when_set(event: asyncio.Event, stop: Callable[[], None]) -> None:
    await event.wait()
    stop()
