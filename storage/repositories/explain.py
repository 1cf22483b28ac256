"""Seeing the plan a repository call gets, to prove it is an index scan (tests and benchmark).

``captured_statements`` records the SQL and parameters a block of code sends; ``explain`` asks
the database how it would run one of them (SQLite ``EXPLAIN QUERY PLAN``; PostgreSQL
``EXPLAIN``, optionally with ``ANALYZE``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


@asynccontextmanager
async def captured_statements(engine: AsyncEngine) -> AsyncIterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _executemany: bool) -> None:  # fmt: skip
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def explain(
    connection: AsyncConnection, statement: str, parameters: Any, analyze: bool = False
) -> list[str]:
    """The plan's lines, outermost first."""
    if connection.dialect.name == "sqlite":
        rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        depth: dict[int, int] = {0: 0}
        lines = []
        for node_id, parent, _unused, detail in rows:
            depth[node_id] = depth.get(parent, 0) + 1
            lines.append("  " * (depth[node_id] - 1) + str(detail))
        return lines
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
    rows = await connection.exec_driver_sql(prefix + statement, parameters)
    return [str(row[0]) for row in rows]
