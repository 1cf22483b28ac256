"""Telling the planner which index should *not* drive a query, on both databases.

A read such as "children named Smith that this area manager may see" has two indexable
conditions; the right one to start from depends on who is asking (a caseload of ~80, or a name
prefix across 100k). Wrapping a column in a no-op expression that no index matches makes the
other condition's index drive, and this one only filter:

- SQLite: ``+column`` (unary plus is a no-op for every type; it is SQLite's documented way to
  disqualify a term from index selection, https://sqlite.org/optoverview.html). SQLite has no
  statistics here (nothing runs ANALYZE), so it guesses that any equality matches ~10 rows and
  would, say, drive a name search from ``service_area = ?`` (a sixth of all children);
- PostgreSQL: ``(column || '')`` for text, ``(column + 0)`` for numbers (value, type and
  collation unchanged). Only ``filter_only`` does this: PostgreSQL's statistics judge equality
  on the visibility columns well (hiding them would lose that), but can misjudge a name prefix
  that is a very common family name, and then read every "Smith" to find one IRO's two.

Two classes rather than one with a flag, because SQLAlchemy's statement cache keys on the class.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class filter_only_on_sqlite(FunctionElement[Any]):  # lower case: reads as the SQL it renders
    """A column that filters and must not choose the index on SQLite; plain on PostgreSQL."""

    inherit_cache = True
    name = "filter_only_on_sqlite"

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type  # compare and bind exactly as the column itself does


class filter_only(filter_only_on_sqlite):
    """A column that filters and must not choose the index, on either database."""

    inherit_cache = True
    name = "filter_only"


def _column(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(filter_only_on_sqlite)
def _plain(element: filter_only_on_sqlite, compiler: Any, **kw: Any) -> str:
    return _column(element, compiler, **kw)


@compiles(filter_only)
def _no_op(element: filter_only, compiler: Any, **kw: Any) -> str:
    if isinstance(element.type, String):
        return f"({_column(element, compiler, **kw)} || '')"
    return f"({_column(element, compiler, **kw)} + 0)"


@compiles(filter_only_on_sqlite, "sqlite")
@compiles(filter_only, "sqlite")
def _unary_plus(element: filter_only_on_sqlite, compiler: Any, **kw: Any) -> str:
    return "+" + _column(element, compiler, **kw)
