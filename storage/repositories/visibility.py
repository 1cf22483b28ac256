"""The domain's visibility policy (``domain.ports.visibility_for``) as a SQL condition.

Every read of children in this package filters with ``visibility_clause``; it is the only
translation of ``Visibility`` to SQL, mirroring ``Visibility.allows`` field for field.

``visibility_template`` is the same translation with the values left as bound parameters
(``visibility_params``), for statements built once and reused (a bot turn's hot reads): building
a SQLAlchemy statement and its cache key costs more than running it (see
``storage/repositories/children.py``). Both are built by ``_condition``, so they cannot disagree.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, ColumnElement, bindparam, false, or_, true
from sqlalchemy.sql.operators import ColumnOperators

from domain.ports import Visibility
from storage.models import Child
from storage.repositories.planning import filter_only_on_sqlite

#: Table columns (see storage/repositories/children.py): the clause keeps a Core statement Core.
_child = Child.__table__.c


def visibility_clause(visibility: Visibility, *, as_filter: bool = False) -> ColumnElement[bool]:
    """Rows ``visibility`` may see.

    ``as_filter``: another condition chooses the index (a name prefix, one IRO's dates, a
    primary key) and this only filters what it finds (``planning.filter_only_on_sqlite``). Leave it
    False when visibility is what should drive (listing or searching a caseload).
    """
    return _condition(visibility_shape(visibility), as_filter, visibility_params(visibility))


class VisibilityShape(NamedTuple):
    """Which of ``Visibility``'s alternatives are in play: what a statement's SQL depends on."""

    everything: bool
    reviewing_iro: bool
    social_worker: bool
    service_area: bool


def visibility_shape(visibility: Visibility) -> VisibilityShape:
    return VisibilityShape(
        visibility.everything,
        visibility.reviewing_iro_id is not None,
        visibility.social_worker_id is not None,
        visibility.service_area is not None,
    )


#: The bound parameters of a template, named so they cannot clash with a statement's own.
IRO_PARAM, SOCIAL_WORKER_PARAM, AREA_PARAM = "vis_iro", "vis_social_worker", "vis_area"


def visibility_params(visibility: Visibility) -> dict[str, Any]:
    """The values for ``visibility_template(visibility_shape(visibility), ...)``."""
    return {
        IRO_PARAM: visibility.reviewing_iro_id,
        SOCIAL_WORKER_PARAM: visibility.social_worker_id,
        AREA_PARAM: visibility.service_area,
    }


@functools.cache
def visibility_template(shape: VisibilityShape, *, as_filter: bool = False) -> ColumnElement[bool]:
    """``visibility_clause`` for every visibility of this shape, its values bound parameters."""
    return _condition(shape, as_filter, _placeholders())


def _placeholders() -> dict[str, BindParameter[Any]]:
    return {name: bindparam(name) for name in (IRO_PARAM, SOCIAL_WORKER_PARAM, AREA_PARAM)}


def _condition(
    shape: VisibilityShape, as_filter: bool, value: dict[str, Any]
) -> ColumnElement[bool]:
    def column(attribute: ColumnOperators) -> Any:
        return filter_only_on_sqlite(attribute) if as_filter else attribute

    if shape.everything:
        return true()
    terms: list[ColumnElement[bool]] = []
    if shape.reviewing_iro:
        terms.append(column(_child.iro_id) == value[IRO_PARAM])
        terms.append(column(_child.covering_iro_id) == value[IRO_PARAM])
    if shape.social_worker:
        terms.append(column(_child.social_worker_id) == value[SOCIAL_WORKER_PARAM])
    if shape.service_area:
        terms.append(column(_child.service_area) == value[AREA_PARAM])
    if not terms:
        return false()
    return or_(*terms)
