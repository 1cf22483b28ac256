"""The web server: ``create_app(settings, bot)`` builds the aiohttp application.

Routes:

``POST /api/messages``
    Bot Framework activities, handed to botbuilder's ``CloudAdapter`` (our ``IroCloudAdapter``,
    see ``bot/adapter.py``): 201/200 after the turn, 400/415 for a body that is not an activity,
    401 for a missing or invalid token when ``MicrosoftAppId`` is set.
``GET /healthz`` (liveness: restart the process if this fails)
    200 ``{"status": "alive"}`` whenever the process serves requests; it reads nothing, so an
    outage of the store never gets a healthy process restarted.
``GET /readyz`` (readiness: send it messages only when this is 200)
    200 ``{"status": "ready", "schema": "<revision>"}`` when the store answers within
    ``health_timeout`` seconds and its schema is the one this code was built for (Alembic's
    head); else 503 ``{"status": "unavailable", "store": "<exception class or timeout>"}``, or
    503 ``{"status": "not ready", "schema": "<revision or none>", "needs": "<head>"}`` before
    ``iro-bot migrate`` has run (or after a rollback): run the migration first.

No module-level state: everything a request needs hangs off the application, so tests and the
benchmark build as many apps as they like in one process.

What may be logged: activity types, ids (activity, conversation, channel) and exception
classes. Never message text, card values or people's names: those are children's and staff's
personal data. ``log_turn_error`` follows that rule for unexpected errors.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import traceback

from aiohttp import web
from botbuilder.core import Bot, TurnContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapter import IroCloudAdapter, create_adapter
from bot.log_format import correlated, log_handler
from bot.settings import Settings
from bot.workers.dispatcher import DispatchPolicy, attach_dispatcher, build_dispatcher
from bot.workers.scheduler import SchedulerConfig, attach_scheduler, build_scheduler
from storage.engine import create_engine, is_store_unavailable
from storage.migrate import current_revisions, head_revisions

logger = logging.getLogger(__name__)

ADAPTER_KEY = web.AppKey("adapter", IroCloudAdapter)
ENGINE_KEY = web.AppKey("engine", AsyncEngine)

HEALTH_TIMEOUT_SECONDS = 2.0
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
#: When the store cannot be reached. Nothing of the conversation is lost: the turn's state was
#: not saved, so a dialog is still at the question it had reached, and a dialog's write is made
#: once however often it is confirmed (``storage.dialog_saves``).
STORE_UNAVAILABLE = (
    "Sorry, I can't reach the records just now. Please try again in a minute: "
    "we'll carry on from where we were."
)

LOOPBACK_NAMES = frozenset({"localhost"})
APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant",
             "userassignedmsi": "UserAssignedMSI"}  # fmt: skip


def create_app(
    settings: Settings,
    bot: Bot,
    *,
    engine: AsyncEngine | None = None,
    adapter: IroCloudAdapter | None = None,
    health_timeout: float = HEALTH_TIMEOUT_SECONDS,
    dispatch: DispatchPolicy | None = None,
    schedule: SchedulerConfig | None = None,
) -> web.Application:
    """The aiohttp application serving ``bot``.

    ``engine``: the store ``/healthz`` checks. When None, one is built from
    ``settings.database_url`` and disposed of when the app shuts down; an engine passed in
    belongs to the caller (``iro-bot serve`` disposes of its own after the server stops).
    ``adapter``: defaults to ``create_adapter(settings)``; an adapter without a turn-error
    handler gets ``on_turn_error`` below. The app closes the adapter's kept clients when it
    shuts down either way.
    ``dispatch``: when given, the outbox dispatcher (``bot/workers/dispatcher.py``) runs in this
    process for the app's lifetime (``iro-bot serve`` passes it; tests leave it off).
    ``schedule``: when given, the reminder scheduler (``bot/workers/scheduler.py``) runs likewise.
    """
    if adapter is None:
        adapter = create_adapter(settings, on_turn_error=on_turn_error)
    elif adapter.on_turn_error is None:
        adapter.on_turn_error = on_turn_error
    owns_engine = engine is None
    if engine is None:
        engine = create_engine(settings.database_url)

    app = web.Application()
    app[ADAPTER_KEY] = adapter
    app[ENGINE_KEY] = engine
    # The schema this code needs (read once from the migration scripts): /readyz compares.
    head = ",".join(sorted(head_revisions()))

    async def messages(request: web.Request) -> web.Response:
        with correlated("turn"):  # every line this turn logs carries its id
            return await adapter.process(request, bot)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(request: web.Request) -> web.Response:
        problem = await store_problem(engine, timeout=health_timeout)
        if problem is not None:
            return web.json_response({"status": "unavailable", "store": problem}, status=503)
        at = await schema_revision(engine, timeout=health_timeout)
        if at == head:
            return web.json_response({"status": "ready", "schema": at})
        return web.json_response({"status": "not ready", "schema": at or "none", "needs": head},
                                 status=503)  # fmt: skip

    async def close(app: web.Application) -> None:
        await adapter.close()
        if owns_engine:
            await engine.dispose()

    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if dispatch is not None:
        # Registered before ``close``: the dispatcher stops before the clients it sends with.
        attach_dispatcher(app, build_dispatcher(settings, adapter, engine, policy=dispatch))
    if schedule is not None:
        # Also before ``close``: a tick in progress finishes before an owned engine goes.
        attach_scheduler(app, build_scheduler(settings, engine, schedule))
    app.on_cleanup.append(close)
    return app


async def schema_revision(engine: AsyncEngine, *, timeout: float) -> str | None:
    """The schema revision the store is at (``storage.migrate.current_revisions``), or None
    before the first migration (or when it cannot be read in time)."""
    try:
        async with asyncio.timeout(timeout):
            versions = sorted(await current_revisions(engine))
    except Exception as exc:  # the store went away between the two checks, or is too slow
        logger.info("Readiness: no schema revision (%s)", type(exc).__name__)
        return None
    return ",".join(versions) or None


async def store_problem(engine: AsyncEngine, *, timeout: float) -> str | None:
    """None when the store answers ``SELECT 1`` within ``timeout`` seconds, else why not (an
    exception class name: a driver's message can carry a host name or user name)."""
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except TimeoutError:
        logger.warning("Health check: the store did not answer within %.1fs", timeout)
        return "timeout"
    except Exception as exc:  # any failure means "unavailable"
        logger.warning("Health check: the store is unavailable (%s)", type(exc).__name__)
        return type(exc).__name__
    return None


# -- turn errors ---------------------------------------------------------------------------------


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """botbuilder calls this when a turn raises: log safely, then apologise to the user, saying
    to try again in a minute when it was the store that could not be reached (the bot recovers
    from that by itself: see ``storage.engine``)."""
    unavailable = is_store_unavailable(error)
    if unavailable:
        # Expected during an outage, and one line per turn is enough to see it: no frames.
        logger.warning(
            "Turn failed: the store is unavailable (%s; activity type=%s conversation=%s)",
            type(error).__name__,
            getattr(context.activity, "type", None),
            _conversation_id(context),
        )
    else:
        log_turn_error(context, error)
    try:
        await context.send_activity(STORE_UNAVAILABLE if unavailable else APOLOGY)
    except Exception as exc:  # the connector may be what failed
        logger.error(
            "Could not send the apology either: %s (conversation=%s)",
            type(exc).__name__,
            _conversation_id(context),
        )


def log_turn_error(context: TurnContext, error: Exception) -> None:
    """Log a failed turn with ids, the exception class and where it was raised.

    Not ``logger.exception``: an exception's message often quotes the data it failed on (a
    ``KeyError`` holds the key, a validation error the text), and that data can be a child's
    name. The frames (file, line, function) say where without saying what.
    """
    activity = context.activity
    frames = traceback.extract_tb(error.__traceback__)
    # Innermost first, file name only: enough to find the line, short enough to read.
    where = " <- ".join(
        f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}"
        for frame in reversed(frames[-8:])
    )
    logger.error(
        "Turn failed: %s.%s (activity type=%s id=%s channel=%s conversation=%s) at %s",
        type(error).__module__,
        type(error).__qualname__,
        getattr(activity, "type", None),
        getattr(activity, "id", None),
        getattr(activity, "channel_id", None),
        _conversation_id(context),
        where or "?",
    )


def _conversation_id(context: TurnContext) -> str | None:
    conversation = getattr(context.activity, "conversation", None)
    return getattr(conversation, "id", None)


# -- start-up rules ------------------------------------------------------------------------------


class StartupRefusedError(Exception):
    """The server must not start with these settings; the message is one line saying why."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: addresses only this machine can reach."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_startup(settings: Settings, host: str) -> None:
    """Refuse settings that would expose an unauthenticated or half-configured bot.

    Without ``MicrosoftAppId`` botbuilder accepts any request with no token at all, so the
    server may only listen where nothing but this machine can reach it. With an app id, the
    credentials must be complete, or replies would fail on every turn.
    """
    for name, value in (("MicrosoftAppId", settings.app_id),
                        ("MicrosoftAppPassword", settings.app_password),
                        ("MicrosoftAppTenantId", settings.app_tenant_id)):  # fmt: skip
        if value != value.strip():
            # " " would pass for an app id (so authentication is on) that no token is for, and
            # a pasted secret with a trailing space fails every reply: both are mistakes.
            raise StartupRefusedError(f"{name} has spaces around it; remove them")
    app_type = APP_TYPES.get(settings.app_type.lower())
    if app_type is None:
        raise StartupRefusedError(
            f"MicrosoftAppType is {settings.app_type!r}; use one of {', '.join(APP_TYPES.values())}"
        )
    if not settings.app_id:
        if not is_loopback(host):
            raise StartupRefusedError(
                f"refusing to listen on {host} without MicrosoftAppId: requests would be "
                "unauthenticated. Set MicrosoftAppId/MicrosoftAppPassword, or bind to "
                "127.0.0.1 for local development."
            )
        return
    if app_type != "UserAssignedMSI" and not settings.app_password:
        raise StartupRefusedError(
            f"MicrosoftAppId is set but MicrosoftAppPassword is empty (MicrosoftAppType={app_type})"
        )
    if app_type != "MultiTenant" and not settings.app_tenant_id:
        raise StartupRefusedError(f"MicrosoftAppType={app_type} needs MicrosoftAppTenantId")


def warn_if_unauthenticated(settings: Settings, host: str, port: int) -> None:
    """The loud warning for local development without credentials."""
    if settings.app_id:
        return
    bar = "!" * 78
    logger.warning(
        "\n%s\n"
        "!!  MicrosoftAppId is not set: requests to http://%s:%d/api/messages are NOT\n"
        "!!  AUTHENTICATED. Anyone who can reach that address can talk to the bot as\n"
        "!!  anyone. This is only allowed on a loopback address, for local development.\n"
        "%s",
        bar,
        host,
        port,
        bar,
    )


# -- logging -------------------------------------------------------------------------------------


def configure_logging(level: str, log_format: str = "text") -> None:
    """Log to stderr at ``level`` (LOG_LEVEL), as text or one JSON object a line (LOG_FORMAT),
    each line with its correlation id (``bot/log_format.py``). Raises ValueError for an unknown
    level or format.

    Called by the process entry points (``iro-bot serve``, the benchmark), not by
    ``create_app``: logging is process-wide and a factory should not change it.
    """
    numeric = logging.getLevelName(level.strip().upper())
    if not isinstance(numeric, int):
        raise ValueError(f"LOG_LEVEL {level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    logging.basicConfig(level=numeric, handlers=[log_handler(log_format.strip().lower())],
                        force=True)  # fmt: skip
