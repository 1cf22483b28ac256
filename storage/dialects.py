"""The dialect-specific pieces the store needs, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_on_conflict(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT construct that supports ON CONFLICT.

    ON CONFLICT is what makes insert-or-update and insert-if-absent single atomic statements;
    SQLAlchemy only offers it through the dialect-specific insert constructs (PostgreSQL, and
    SQLite 3.24+, which share the syntax).
    """
    return insert_for_dialect(session.get_bind().dialect.name)


def insert_for_dialect(dialect: str) -> Callable[..., Any]:
    """``insert_on_conflict`` for a dialect name (an engine's ``dialect.name``)."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"iro-bot's store supports SQLite and PostgreSQL, not {dialect}")
