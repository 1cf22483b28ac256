"""Where the bot is assembled: settings → engine → storage/state → dialogs → bot.

This is the one place that knows how the parts fit; ``iro-bot serve`` (and later ``iro-bot
chat``) call ``build_bot`` and nothing else. The engine is built and disposed of by the caller,
so one engine serves the bot, ``/healthz`` and the scheduler alike.

TEMPORARY: the bot built here is ``StartingUpBot``, a placeholder that only says the
conversation is coming. The real activity handler and its dialogs replace it in this file.
"""

from __future__ import annotations

from botbuilder.core import (
    ActivityHandler,
    Bot,
    ConversationState,
    MessageFactory,
    TurnContext,
    UserState,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from storage.bot_state import SqlAlchemyStorage

STARTING_UP_TEXT = "iro-bot is starting up: the conversation arrives in the next release"


class StartingUpBot(ActivityHandler):
    """TEMPORARY placeholder bot: answers every message with ``STARTING_UP_TEXT``.

    It holds the durable state objects the real bot will use, so the wiring below is already
    the real wiring; it reads and writes no state itself.
    """

    def __init__(self, conversation_state: ConversationState, user_state: UserState) -> None:
        self.conversation_state = conversation_state
        self.user_state = user_state

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(STARTING_UP_TEXT))


def build_bot(settings: Settings, engine: AsyncEngine) -> Bot:
    """The bot for these settings, keeping its state in the store behind ``engine``."""
    storage = SqlAlchemyStorage(engine)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    return StartingUpBot(conversation_state, user_state)
