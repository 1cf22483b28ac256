"""Writing a child's name with its folded search columns, and searching those by prefix.

``set_child_names`` is the only code that writes ``Child.given_name_norm``, ``family_name_norm``
or ``full_name_norm``; importers, the bot and the demo seeder all call it, so the stored form can
never drift from what ``domain.names.normalise_name`` does to a search.
"""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy import ColumnElement, and_

from domain.names import normalise_name
from storage.models import Child

# The column lengths of the folded names. NFKD can lengthen a name (a ligature becomes two
# letters), so the folded form is cut to fit rather than failing on PostgreSQL; a cut search
# column still finds every prefix a person could type that fits.
_GIVEN_NORM_LENGTH = 100
_FAMILY_NORM_LENGTH = 100
_FULL_NORM_LENGTH = 201


def child_display_name(given: str | None, family: str | None) -> str:
    return " ".join(part.strip() for part in (given, family) if part and part.strip())


def set_child_names(child: Child, given: str | None, family: str | None) -> None:
    """Set a child's names as written, and their folded forms for search."""
    child.given_name = given.strip() if given and given.strip() else None
    child.family_name = family.strip() if family and family.strip() else None
    child.given_name_norm = normalise_name(child.given_name)[:_GIVEN_NORM_LENGTH] or None
    child.family_name_norm = normalise_name(child.family_name)[:_FAMILY_NORM_LENGTH] or None
    full = normalise_name(child_display_name(child.given_name, child.family_name))
    child.full_name_norm = full[:_FULL_NORM_LENGTH] or None


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (code-point order).

    None when there is none (the prefix is all U+10FFFF): then only the lower bound applies.
    """
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < sys.maxunicode:
            following = last + 1
            if 0xD800 <= following <= 0xDFFF:  # surrogates cannot be stored as UTF-8
                following = 0xE000
            return "".join(chars) + chr(following)
    return None


def prefix_range(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` (a text column or expression) starts with ``prefix``, as a b-tree range.

    Not ``LIKE 'p%'``: SQLite only uses an index for LIKE under case-insensitive collation
    rules that do not fit here, and PostgreSQL only with a ``text_pattern_ops`` index. A range
    in code-point order is the same test on both, because the folded columns compare bytewise
    (SQLite's BINARY collation; collation "C" on PostgreSQL, see the model), and UTF-8 byte
    order is code-point order.
    """
    upper = _successor(prefix)
    if upper is None:
        return column >= prefix
    return and_(column >= prefix, column < upper)


__all__ = ["child_display_name", "prefix_range", "set_child_names"]
