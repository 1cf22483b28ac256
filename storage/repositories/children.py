"""``ChildRepository`` over SQLAlchemy: every read is an index lookup or a bounded range scan.

- by name, for readers who see many children (QA, admins, directors, area managers): a UNION of
  prefix ranges on the folded name columns (``names.prefix_range``), each branch ``ORDER BY``
  its own indexed column with a ``LIMIT``, so the database stops after ``limit`` index entries
  however many children share a common name;
- by name, for readers who see a caseload (an IRO, a social worker): the caseload's own index
  finds their ~80 children and the names are tested on those;
- due between / overdue for one IRO: a range on ``(iro_id, next_review_due)`` OR on
  ``(covering_iro_id, next_review_due)``; both databases answer each arm with its index
  (SQLite's multi-index OR, PostgreSQL's BitmapOr);
- every query is filtered by ``visibility_clause``, so no read bypasses domain.md section 5.

The reads a bot turn makes (``get``, ``due_between``, ``overdue``) run statements built once per
visibility shape, with every value a bound parameter (``_prepared``): SQLAlchemy spends ~1 ms
building a statement like these and its cache key, and ~0.5 ms running one it already has
(measured on 10k children; BENCHMARKS.md, "Turns over HTTP").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from domain.names import normalise_name
from domain.ports import ChildSummary, NameCandidate, Visibility
from storage.models import Child, Staff
from storage.repositories.names import child_display_name, prefix_range
from storage.repositories.planning import filter_only
from storage.repositories.visibility import (
    VisibilityShape,
    visibility_clause,
    visibility_params,
    visibility_shape,
    visibility_template,
)

# Table columns, not ORM attributes: a statement naming a mapped attribute goes through the
# ORM's compile and row-loading steps, which cost ~0.4 ms a read here and do nothing for rows
# that become ``ChildSummary`` tuples anyway (a bot turn reads one; a due list reads dozens).
_child = Child.__table__.c
_staff = Staff.__table__
_Iro = _staff.alias("iro")
_CoveringIro = _staff.alias("covering_iro")
_SocialWorker = _staff.alias("social_worker")

# Longest search text considered: a name longer than any stored one cannot match anyway, and
# this keeps a pasted paragraph from producing hundreds of family/given split branches.
#: The largest key the children table's INTEGER id can hold (32 bits on PostgreSQL).
MAX_KEY = 2**31 - 1
_MAX_QUERY_LENGTH = 201
_MAX_NAME_TOKENS = 6


def _build_summary_select() -> Select[Any]:
    """Children with their IRO's, covering IRO's and social worker's names (primary-key joins)."""
    return (
        select(
            _child.id,
            _child.child_id,
            _child.given_name,
            _child.family_name,
            _child.date_of_birth,
            _child.service_area,
            _child.looked_after_since,
            _child.next_review_due,
            _child.next_review_practical,
            _child.next_review_rule,
            _child.next_review_number,
            _child.iro_id,
            _Iro.c.display_name,
            _child.covering_iro_id,
            _CoveringIro.c.display_name,
            _child.social_worker_id,
            _SocialWorker.c.display_name,
        )
        .outerjoin(_Iro, _Iro.c.id == _child.iro_id)
        .outerjoin(_CoveringIro, _CoveringIro.c.id == _child.covering_iro_id)
        .outerjoin(_SocialWorker, _SocialWorker.c.id == _child.social_worker_id)
    )


# Built once: a Select is immutable (each .where() returns a copy), and constructing this one
# took a fifth of a due-list call's time.
_SUMMARY_SELECT = _build_summary_select()


def _summary_select() -> Select[Any]:
    return _SUMMARY_SELECT


def _to_summary(row: Row[Any]) -> ChildSummary:
    return ChildSummary(*row)


#: For the list queries of ``storage.repositories.caseload_lists``: a list shows a child with
#: the same columns and joins as every other read, so a ChildSummary is one thing everywhere.
summary_select, to_summary = _summary_select, _to_summary


def _reviewed_or_covered_by(
    iro_staff_id: Any, due_condition: ColumnElement[bool]
) -> ColumnElement[bool]:
    """The IRO's own children OR those they cover, each arm a range on its composite index.

    The due-date condition is repeated inside each arm (not ANDed outside the OR) because
    SQLite plans each OR arm on its own: outside, it would use only the ``iro_id =`` part of
    the index and filter every child of the IRO by date.
    """
    return or_(
        and_(_child.iro_id == iro_staff_id, due_condition),
        and_(_child.covering_iro_id == iro_staff_id, due_condition),
    )


_PREPARED: dict[tuple[str, VisibilityShape], Select[Any]] = {}


def _prepared(
    name: str, visibility: Visibility, build: Callable[[ColumnElement[bool]], Select[Any]]
) -> Select[Any]:
    """The statement ``build`` makes from the visibility filter of this visibility's shape,
    built the first time and reused after (its values are bound parameters:
    ``visibility_params`` and the caller's own)."""
    key = (name, visibility_shape(visibility))
    statement = _PREPARED.get(key)
    if statement is None:
        statement = _PREPARED[key] = build(visibility_template(key[1], as_filter=True))
    return statement


class SqlChildRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _summaries(
        self, query: Select[Any], params: dict[str, Any] | None = None
    ) -> list[ChildSummary]:
        return [_to_summary(row) for row in await self._session.execute(query, params)]

    async def get(self, pk: int, visibility: Visibility) -> ChildSummary | None:
        if not 0 < pk <= MAX_KEY:
            return None  # a forged key no row can have (PostgreSQL would refuse to compare it)
        query = _prepared("get", visibility, lambda visible: _summary_select().where(
            _child.id == bindparam("pk"), visible))  # fmt: skip
        found = await self._summaries(query, {"pk": pk, **visibility_params(visibility)})
        return found[0] if found else None

    async def get_by_child_id(self, child_id: str, visibility: Visibility) -> ChildSummary | None:
        wanted = child_id.strip()
        if not wanted:
            return None
        found = await self._summaries(
            _summary_select().where(
                _child.child_id == wanted, visibility_clause(visibility, as_filter=True)
            )
        )
        return found[0] if found else None

    async def can_see(self, pk: int, visibility: Visibility) -> bool:
        found = await self._session.scalar(
            select(_child.id).where(_child.id == pk, visibility_clause(visibility, as_filter=True))
        )
        return found is not None

    async def find_by_name(
        self, text: str, visibility: Visibility, limit: int = 20
    ) -> list[ChildSummary]:
        if limit <= 0 or visibility.nothing:
            return []
        text = text[:_MAX_QUERY_LENGTH]
        query = _summary_select().order_by(_child.full_name_norm, _child.id).limit(limit)
        if _is_caseload(visibility):
            # An IRO's or social worker's own children (~80): the caseload indexes find them and
            # the names are tested on those few rows; the cost is the caseload's, whatever N is.
            conditions = _name_conditions(text, as_filter=True)
            if not conditions:
                return []
            query = query.where(visibility_clause(visibility), or_(*(c for c, _ in conditions)))
        else:
            conditions = _name_conditions(text)
            if not conditions:
                return []
            query = query.where(_child.id.in_(_name_index_branches(conditions, visibility, limit)))
        return await self._summaries(query)

    async def candidate_names(
        self, visibility: Visibility, limit: int | None = None
    ) -> list[NameCandidate]:
        if visibility.nothing:
            return []
        query = (
            select(_child.id, _child.child_id, _child.given_name, _child.family_name,
                   _child.full_name_norm)
            .where(visibility_clause(visibility))
            .order_by(_child.full_name_norm, _child.id)
        )  # fmt: skip
        if limit is not None:
            query = query.limit(limit)
        rows = await self._session.execute(query)
        candidates = []
        for pk, child_id, given, family, folded in rows:
            shown = child_display_name(given, family) or child_id
            candidates.append(NameCandidate(
                pk, child_id, shown, folded or normalise_name(shown), given, family
            ))  # fmt: skip
        return candidates

    async def due_between(
        self, iro_staff_id: int, first: date, last: date, visibility: Visibility
    ) -> list[ChildSummary]:
        if first > last or visibility.nothing:
            return []

        def build(visible: ColumnElement[bool]) -> Select[Any]:
            in_window = and_(_child.next_review_due >= bindparam("first"),
                             _child.next_review_due <= bindparam("last"))  # fmt: skip
            return (
                _summary_select()
                .where(_reviewed_or_covered_by(bindparam("iro"), in_window), visible)
                .order_by(_child.next_review_due, _child.full_name_norm, _child.id)
            )

        params = {"iro": iro_staff_id, "first": first, "last": last}
        return await self._summaries(
            _prepared("due_between", visibility, build), {**params, **visibility_params(visibility)}
        )

    async def overdue(
        self, iro_staff_id: int, today: date, visibility: Visibility
    ) -> list[ChildSummary]:
        if visibility.nothing:
            return []

        def build(visible: ColumnElement[bool]) -> Select[Any]:
            # Overdue means today is after the due date (domain.deadlines.Deadline.standing).
            overdue = _child.next_review_due < bindparam("today")
            return (
                _summary_select()
                .where(_reviewed_or_covered_by(bindparam("iro"), overdue), visible)
                .order_by(_child.next_review_due, _child.full_name_norm, _child.id)
            )

        params = {"iro": iro_staff_id, "today": today, **visibility_params(visibility)}
        return await self._summaries(_prepared("overdue", visibility, build), params)

    async def visible_to(
        self, visibility: Visibility, limit: int = 200, offset: int = 0
    ) -> list[ChildSummary]:
        if visibility.nothing or limit <= 0:
            return []
        query = (
            _summary_select()
            .where(visibility_clause(visibility))
            .order_by(_child.next_review_due.is_(None), _child.next_review_due,
                      _child.full_name_norm, _child.id)
            .limit(limit)
            .offset(offset)
        )  # fmt: skip
        return await self._summaries(query)


def _is_caseload(visibility: Visibility) -> bool:
    """True when the reader sees only children allocated to them (a small set to start from)."""
    return not visibility.everything and visibility.service_area is None


def _name_conditions(
    text: str, *, as_filter: bool = False
) -> list[tuple[ColumnElement[bool], Any]]:
    """The ways ``text`` can name a child, each with the indexed column that serves it.

    ``as_filter``: the conditions only test rows another index found (a caseload).
    """

    def column(attribute: Any) -> Any:
        return filter_only(attribute) if as_filter else attribute

    found: list[tuple[ColumnElement[bool], Any]] = []
    child_id = text.strip()
    if child_id:
        found.append((column(_child.child_id) == child_id, _child.child_id))
    folded = normalise_name(text)
    if not folded:
        return found
    for name in (_child.full_name_norm, _child.family_name_norm, _child.given_name_norm):
        found.append((prefix_range(column(name), folded), name))
    # "O'Brien Zoe": family name first. Each split is an equality on the family name index.
    tokens = folded.split(" ")[:_MAX_NAME_TOKENS]
    for cut in range(1, len(tokens)):
        family, given = " ".join(tokens[:cut]), " ".join(tokens[cut:])
        condition = and_(
            column(_child.family_name_norm) == family,
            prefix_range(column(_child.given_name_norm), given),
        )
        found.append((condition, _child.family_name_norm))
    return found


def _name_index_branches(
    conditions: list[tuple[ColumnElement[bool], Any]],
    visibility: Visibility,
    limit: int,
) -> Any:
    """For readers who see many children: a UNION of small index-ordered, limited id lists.

    Each branch is ordered by its own indexed column, and by nothing else (not even the id, as
    PostgreSQL would then read every equal key to sort them), so LIMIT stops the index scan after
    ``limit`` visible matches however many children share a common name; visibility only
    filters. Wrapped in subqueries because SQLite allows no ORDER BY/LIMIT on a UNION member.
    """
    visible = visibility_clause(visibility, as_filter=True)
    branches: list[Select[Any]] = []
    for condition, indexed in conditions:
        inner = select(_child.id).where(condition, visible).order_by(indexed).limit(limit)
        branches.append(select(inner.subquery().c.id))
    return branches[0] if len(branches) == 1 else union(*branches)
