"""serve and worker build their dispatcher in one place, with the IR cards' hooks by default."""

from __future__ import annotations

from pathlib import Path

from bot.adapter import create_adapter
from bot.dispatcher import build_dispatcher
from bot.settings import Settings
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
