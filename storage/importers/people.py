"""Writing staff from a people file, keyed by e-mail/UPN (read and checked by
``services.imports.people``).

A blank ``service_area`` is stored as blank (the person's work spans areas), as is a blank
manager. A blank ``aad_object_id`` leaves the stored one alone: it may have been learnt from
Teams. An optional column that is absent from the file's header leaves that field alone for
everybody. Managers are set after every person has been written, so a manager may come later in
the file than the people they manage.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.importers.common import Written, all_staff, outcome
from storage.models import Staff


@dataclass(frozen=True)
class PersonRow:
    line: int
    email: str
    display_name: str
    role: str
    service_area: str | None
    manager_email: str | None
    aad_object_id: str | None


async def write_people(
    session: AsyncSession, records: Sequence[PersonRow], columns: Collection[str]
) -> Written:
    """Create or update each person; ``columns`` are the ones the file's header has."""
    by_email = {s.email: s for s in await all_staff(session)}
    has = columns.__contains__
    results: dict[int, tuple[bool, bool]] = {}  # line -> (created, changed)

    for record in records:
        staff = by_email.get(record.email)
        created = staff is None
        if staff is None:
            staff = Staff(
                email=record.email,
                display_name=record.display_name,
                role=record.role,
                active=True,
            )
            session.add(staff)
            by_email[record.email] = staff
        wanted: dict[str, object] = {"display_name": record.display_name, "role": record.role}
        if has("service_area"):
            wanted["service_area"] = record.service_area
        if has("aad_object_id") and record.aad_object_id:
            wanted["aad_object_id"] = record.aad_object_id
        changed = False
        for attr, value in wanted.items():
            if getattr(staff, attr) != value:
                setattr(staff, attr, value)
                changed = True
        results[record.line] = (created, changed)
    # New people need ids before anyone can point at them as their manager.
    await session.flush()

    if has("manager_email"):
        for record in records:
            staff = by_email[record.email]
            manager_id = by_email[record.manager_email].id if record.manager_email else None
            if staff.manager_id != manager_id:
                staff.manager_id = manager_id
                created, _ = results[record.line]
                results[record.line] = (created, True)
    return Written([outcome(created, changed) for created, changed in results.values()])
