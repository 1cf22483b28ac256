"""Writing the caseload from a children file, keyed by the authority's child id (read and
checked by ``services.imports.children``).

A blank value leaves the stored one alone, because the same child may also come from the
SSDA903 (date of birth, UASC) or from the bot (allocations), and a caseload export with a blank
cell is not a decision to erase what is known.

``looked_after_since`` opens a period of care starting that day (if the child has none starting
then) and becomes the start of the current period, which the review schedule counts from. A
period that was open before is left as it is: a changed date may be a correction or a return to
care, and the file cannot say which (the SSDA903 episodes can).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.importers.common import (
    Written,
    all_staff,
    children_by_id,
    chunks,
    insert_rows,
    outcome,
)
from storage.models import Child, PeriodOfCare
from storage.repositories.names import set_child_names


@dataclass(frozen=True)
class ChildRow:
    line: int
    child_id: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    looked_after_since: date | None
    iro_email: str | None
    social_worker_email: str | None
    service_area: str | None
    uasc: bool | None


async def write_children(session: AsyncSession, records: Sequence[ChildRow]) -> Written:
    """Create or update each child, and open the periods of care their files start."""
    schedule_changed: dict[int, Child] = {}

    def touch(child: Child) -> None:
        schedule_changed[id(child)] = child

    staff_ids = {s.email: s.id for s in await all_staff(session)}
    stored = await children_by_id(session, (r.child_id for r in records))
    results: dict[int, tuple[bool, bool]] = {}
    new: list[dict[str, object]] = []

    for record in records:
        child = stored.get(record.child_id)
        created = child is None
        if child is None:
            # Filled in like a stored child, then inserted with the others in a few
            # statements (one INSERT per object is slow on SQLite): never added itself.
            child = Child(child_id=record.child_id, uasc=False)
        # The review schedule counts from looked_after_since: refresh it when that moves.
        moved = record.looked_after_since not in (None, child.looked_after_since)
        changed = False
        if record.given_name is not None or record.family_name is not None:
            given = record.given_name if record.given_name is not None else child.given_name
            family = record.family_name if record.family_name is not None else child.family_name
            if (given, family) != (child.given_name, child.family_name):
                set_child_names(child, given, family)
                changed = True
        wanted = {
            "date_of_birth": record.date_of_birth,
            "service_area": record.service_area,
            "uasc": record.uasc,
            "iro_id": staff_ids[record.iro_email] if record.iro_email else None,
            "social_worker_id": (
                staff_ids[record.social_worker_email] if record.social_worker_email else None
            ),
            "looked_after_since": record.looked_after_since,
        }
        for attr, value in wanted.items():
            if value is not None and getattr(child, attr) != value:
                setattr(child, attr, value)
                changed = True
        if created:
            new.append({column: getattr(child, column) for column in _NEW_CHILD_COLUMNS})
        elif moved:
            touch(child)
        results[record.line] = (created, changed)
    await insert_rows(session, Child, new)
    children = await children_by_id(session, (r.child_id for r in records))

    # looked_after_since opens a period of care starting then, unless there is one already.
    starts = {children[r.child_id].id: r for r in records if r.looked_after_since}
    existing: set[tuple[int, date]] = set()
    for batch in chunks(starts):
        rows = await session.execute(
            select(PeriodOfCare.child_pk, PeriodOfCare.started_on).where(
                PeriodOfCare.child_pk.in_(batch)
            )
        )
        existing.update((pk, started) for pk, started in rows)
    periods: list[dict[str, object]] = []
    for pk, record in starts.items():
        created, _ = results[record.line]
        if created:
            touch(children[record.child_id])  # a new child's first schedule
        if (pk, record.looked_after_since) not in existing:
            periods.append(
                {"child_pk": pk, "started_on": record.looked_after_since, "source": "children"}
            )
            touch(children[record.child_id])
            results[record.line] = (created, True)
    await insert_rows(session, PeriodOfCare, periods)
    return Written(
        [outcome(created, changed) for created, changed in results.values()],
        list(schedule_changed.values()),
    )


# What a new child row is inserted with: everything ``write_children`` may set.
_NEW_CHILD_COLUMNS = (
    "child_id",
    "given_name",
    "family_name",
    "given_name_norm",
    "family_name_norm",
    "full_name_norm",
    "date_of_birth",
    "service_area",
    "uasc",
    "iro_id",
    "social_worker_id",
    "looked_after_since",
)
