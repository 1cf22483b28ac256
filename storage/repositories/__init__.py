"""SQLAlchemy implementations of the domain's ports (``domain.ports``), over an ``AsyncSession``.

- ``names.set_child_names``: the one writer of a child's name and its folded search columns;
- ``visibility.visibility_clause``: the one translation of the domain's visibility policy to SQL;
- ``children.SqlChildRepository`` and ``staff.SqlStaffRepository``: the read ports.

The caller owns the session and its transaction; repositories never commit.
"""

from storage.repositories.children import SqlChildRepository
from storage.repositories.names import child_display_name, prefix_range, set_child_names
from storage.repositories.staff import SqlStaffRepository
from storage.repositories.visibility import visibility_clause

__all__ = [
    "SqlChildRepository",
    "SqlStaffRepository",
    "child_display_name",
    "prefix_range",
    "set_child_names",
    "visibility_clause",
]
