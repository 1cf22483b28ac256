"""The domain's visibility policy (``domain.ports.visibility_for``) as a SQL condition.

Every read of children in this package filters with ``visibility_clause``; it is the only
translation of ``Visibility`` to SQL, mirroring ``Visibility.allows`` field for field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.sql.operators import ColumnOperators

from domain.ports import Visibility
from storage.models import Child
from storage.repositories.planning import filter_only_on_sqlite


def visibility_clause(visibility: Visibility, *, as_filter: bool = False) -> ColumnElement[bool]:
    """Rows ``visibility`` may see.

    ``as_filter``: another condition chooses the index (a name prefix, one IRO's dates, a
    primary key) and this only filters what it finds (``planning.filter_only_on_sqlite``). Leave it
    False when visibility is what should drive (listing or searching a caseload).
    """

    def column(attribute: ColumnOperators) -> Any:
        return filter_only_on_sqlite(attribute) if as_filter else attribute

    if visibility.everything:
        return true()
    terms: list[ColumnElement[bool]] = []
    if visibility.reviewing_iro_id is not None:
        terms.append(column(Child.iro_id) == visibility.reviewing_iro_id)
        terms.append(column(Child.covering_iro_id) == visibility.reviewing_iro_id)
    if visibility.social_worker_id is not None:
        terms.append(column(Child.social_worker_id) == visibility.social_worker_id)
    if visibility.service_area is not None:
        terms.append(column(Child.service_area) == visibility.service_area)
    if not terms:
        return false()
    return or_(*terms)
