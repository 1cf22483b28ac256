"""Where the bot is assembled: settings → engine → storage/state → dialogs → bot.

This is the one place that knows how the parts fit; ``iro-bot serve`` and ``iro-bot chat`` call
``build_bot`` and nothing else. The engine is built and disposed of by the caller, so one engine
serves the bot, ``/healthz`` and the scheduler alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler import IroBot
from bot.settings import Settings
from bot.state import SqlAlchemyStorage, SqlConversationState
from dialogs import build_dialog_set
from domain.rules import load_rules
from services.clock import today_in
from services.context import Services
from storage.engine import session_factory


def build_services(
    settings: Settings, engine: AsyncEngine, clock: Callable[[], date] | None = None
) -> Services:
    rules = load_rules(settings.rules_path or None)
    return Services(
        sessions=session_factory(engine),
        rules=rules,
        clock=clock or (lambda: today_in(rules.timezone)),
    )


def build_bot(
    settings: Settings, engine: AsyncEngine, clock: Callable[[], date] | None = None
) -> IroBot:
    """The bot for these settings, keeping its state in the store behind ``engine``."""
    services = build_services(settings, engine, clock)
    conversation_state = SqlConversationState(SqlAlchemyStorage(engine))
    return IroBot(services, conversation_state, build_dialog_set,
                  idle_after=timedelta(hours=settings.dialog_idle_hours))
