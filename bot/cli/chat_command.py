"""`iro-bot chat --as alexw@example.com`: the same bot in a terminal, against the local store.

Cards are shown as text; a card's buttons are numbered, and typing the number presses it. The
terminal is trusted as the member of staff named by ``--as`` (whoever runs it can read the
store's file anyway), so it is for trying the bot locally, not a way in for anyone else.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    ResourceResponse,
)

ADAPTIVE = "application/vnd.microsoft.card.adaptive"
CHANNEL = "terminal"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="talk to the bot in this terminal, as a member of staff",
        description="Talk to the bot in this terminal against the local store (DATABASE_URL). "
        "Type 'quit' or press Ctrl-D to leave.",
    )
    parser.add_argument("--as", dest="as_email", required=True, metavar="EMAIL",
                        help="the member of staff to be, e.g. alexw@example.com")  # fmt: skip
    parser.add_argument("--today", metavar="D", help="pretend today is this date")
    parser.set_defaults(handler=run_chat)


class TerminalAdapter(BotAdapter):
    """Prints what the bot sends; remembers the last card's buttons so a number presses one."""

    def __init__(self, write: Callable[[str], None]) -> None:
        super().__init__()
        self.write = write
        self.buttons: list[dict[str, Any]] = []

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        for activity in activities:
            if activity.type == ActivityTypes.message:
                self.write(self.render(activity))
        return [ResourceResponse(id=uuid.uuid4().hex) for _ in activities]

    async def update_activity(self, context: TurnContext, activity: Activity) -> None:
        self.write("(updated) " + self.render(activity))

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        return None

    def render(self, activity: Activity) -> str:
        from cards.elements import card_to_text

        parts = [activity.text] if activity.text else []
        for attachment in activity.attachments or []:
            if attachment.content_type != ADAPTIVE:
                continue
            content = dict(attachment.content)
            actions = content.pop("actions", [])
            parts.append(card_to_text(content))
            self.buttons = [a for a in actions if a.get("type") == "Action.Submit"]
            parts += [f"  [{i}] {a.get('title', '')}" for i, a in enumerate(self.buttons, 1)]
        return "\n".join(parts)


def run_chat(args: argparse.Namespace) -> int:
    return asyncio.run(_chat(args))


async def _chat(args: argparse.Namespace) -> int:
    from bot.handler import TRUSTED_EMAIL
    from bot.settings import Settings
    from bot.wiring import build_bot
    from domain.dates import parse_date
    from storage.engine import create_engine, session_factory
    from storage.migrate import check_schema
    from storage.repositories import SqlStaffRepository

    settings = Settings()
    engine = create_engine(settings.database_url)
    try:
        await check_schema(engine)
        async with session_factory(engine)() as session:
            staff = await SqlStaffRepository(session).by_email(args.as_email)
        if staff is None:
            print(f"iro-bot: {args.as_email} is not a member of staff in this store (try "
                  "`iro-bot seed-demo`, or import a people file).", file=sys.stderr)  # fmt: skip
            return 2
        today = parse_date(args.today) if args.today else None
        bot = build_bot(settings, engine, clock=(lambda: today) if today else None)
        adapter = TerminalAdapter(print)
        conversation = ConversationAccount(id=f"terminal-{staff.id}", conversation_type="personal")
        sender = ChannelAccount(id=f"terminal:{staff.email}", name=staff.display_name,
                                aad_object_id=staff.aad_object_id)  # fmt: skip
        me = ChannelAccount(id="iro-bot", name="iro-bot")

        async def say(text: str | None, value: dict[str, Any] | None = None) -> None:
            activity = Activity(
                type=ActivityTypes.message, text=text, value=value, channel_id=CHANNEL,
                conversation=conversation, from_property=sender, recipient=me,
                service_url="terminal://", id=uuid.uuid4().hex,
                timestamp=datetime.now(UTC), locale="en-GB",
            )  # fmt: skip
            context = TurnContext(adapter, activity)
            context.turn_state[TRUSTED_EMAIL] = staff.email
            await adapter.run_pipeline(context, bot.on_turn)

        print(f"Talking to iro-bot as {staff.display_name}. Type 'quit' to leave.")
        while True:
            try:
                line = await asyncio.to_thread(input, "you> ")
            except EOFError:
                break
            line = line.strip()
            if line.lower() in ("quit", "exit"):
                break
            if line.isdigit() and 1 <= int(line) <= len(adapter.buttons):
                await say(None, adapter.buttons[int(line) - 1].get("data"))
            elif line:
                await say(line)
        return 0
    finally:
        await engine.dispose()
