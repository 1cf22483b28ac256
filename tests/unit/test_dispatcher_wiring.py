"""serve and worker build their dispatcher in one place, with the IR cards' hooks by default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.adapter import create_adapter
from bot.settings import Settings
from bot.workers.dispatcher import build_activity, build_dispatcher
from storage.dispatch_queue import ClaimedNotification
from storage.engine import create_engine


async def test_the_default_dispatcher_renders_and_records_ir_cards(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    engine = create_engine(settings.database_url)
    adapter = create_adapter(settings)
    try:
        dispatcher = build_dispatcher(settings, adapter, engine)
        # Bound methods of the IR cards' hooks: cards rendered at send time, copies recorded.
        assert dispatcher.hooks.prepare.__qualname__ == "IrCardHooks.prepare"
        assert dispatcher.hooks.on_sent.__qualname__ == "IrCardHooks.on_sent"
    finally:
        await adapter.close()
        await engine.dispose()


def _claimed(payload: dict) -> ClaimedNotification:
    return ClaimedNotification(
        id=7, key="k-7", recipient_staff_id=1, kind="ir.raised", payload=payload,
        attempts=1, token="t", lease_until=datetime(2026, 11, 26, tzinfo=UTC),
    )  # fmt: skip


def test_a_card_notification_is_one_attachment_with_its_text_as_the_first_line() -> None:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "IR"}]}
    payload = {"card": card, "text": "Stage 1 response due Tuesday", "summary": "IR-2026-0042"}
    activity = build_activity(_claimed(payload))
    # No text beside the card: the Agents Playground splits text+card into two messages and
    # returns no id, so the card could not be edited in place later.
    assert activity.text is None and activity.summary == "IR-2026-0042"
    [attachment] = activity.attachments
    assert [block["text"] for block in attachment.content["body"]] == [
        "Stage 1 response due Tuesday",
        "IR",
    ]
    assert card["body"] == [{"type": "TextBlock", "text": "IR"}]  # the stored payload untouched
    assert activity.channel_data["iroNotification"] == {"key": "k-7", "id": 7}


def test_a_text_notification_is_plain_text() -> None:
    activity = build_activity(_claimed({"text": "Reminder"}))
    assert activity.text == "Reminder" and not activity.attachments
