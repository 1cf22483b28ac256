"""`iro-bot serve`: run the bot's web server until SIGINT or SIGTERM.

Start-up refuses, with one line and exit status 2, settings that would expose an
unauthenticated bot (no ``MicrosoftAppId`` on a non-loopback address) or half-configured
credentials; with exit status 1 a store it cannot use (unreachable, or a schema that is not the
one this version needs: the message says to run ``iro-bot migrate``). Shutdown is graceful: the
listener closes, in-flight turns finish, connector clients close, the engine is disposed of.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.app import (
    StartupRefusedError,
    check_startup,
    configure_logging,
    create_app,
    warn_if_unauthenticated,
)
from bot.settings import Settings
from bot.wiring import build_bot
from bot.workers.dispatcher import DispatchPolicy
from bot.workers.scheduler import SchedulerConfig, load_scheduler_config
from storage import migrate
from storage.engine import create_engine

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3978


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    parser = subparsers.add_parser(
        "serve",
        help="run the bot's web server (POST /api/messages, GET /healthz)",
        description="Run the bot's web server. Without MicrosoftAppId it only listens on a "
        "loopback address (local development, unauthenticated).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST})")  # fmt: skip
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT})")  # fmt: skip
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    return run_serve_until_stopped(args.host, args.port)


def run_serve_until_stopped(host: str, port: int) -> int:
    """Check the settings, serve until SIGINT/SIGTERM; the exit status."""
    settings = Settings()
    try:
        configure_logging(settings.log_level, settings.log_format)
        check_startup(settings, host)
        migrate.validate_url(settings.database_url)
        schedule = load_scheduler_config()
    except (StartupRefusedError, ValueError) as exc:
        print(f"iro-bot serve: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(settings, host, port, schedule=schedule))
    except migrate.SchemaMismatchError as exc:
        print(f"iro-bot serve: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as exc:
        # OSError: the port is taken, or the store's host refused. One line, no stack trace.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] or type(exc).__name__
        print(f"iro-bot serve: cannot start: {reason}", file=sys.stderr)
        return 1


async def serve(
    settings: Settings,
    host: str,
    port: int,
    *,
    stop: asyncio.Event | None = None,
    schedule: SchedulerConfig | None = None,
) -> int:
    """Serve until ``stop`` is set (by SIGINT/SIGTERM when not given). Returns the exit status.

    ``schedule``: run the reminder scheduler in this process too (``IRO_SCHEDULER_*``)."""
    engine = create_engine(settings.database_url)
    runner: web.AppRunner | None = None
    try:
        # Fail now, with a message that says what to do, rather than on some later request.
        await migrate.check_schema(engine)
        # The outbox dispatcher runs in this process too (iro-bot worker runs it alone).
        bot = build_bot(settings, engine)
        app = create_app(settings, bot, engine=engine, dispatch=DispatchPolicy(), schedule=schedule)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        warn_if_unauthenticated(settings, host, port)
        bound = ", ".join(f"http://{a[0]}:{a[1]}" for a in runner.addresses)
        logger.info("iro-bot listening on %s (POST /api/messages, GET /healthz)", bound)

        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        logger.info("Shutting down")
        return 0
    finally:
        if runner is not None:
            # Closes the listener, lets in-flight requests finish, runs on_cleanup (clients).
            await runner.cleanup()
        await engine.dispose()
