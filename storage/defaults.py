"""Defaults that the settings need without importing SQLAlchemy (it costs half a second)."""

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./iro-bot.db"
