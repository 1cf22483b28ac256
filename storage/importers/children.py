"""`iro-bot import children FILE`: the caseload, keyed by the authority's child id.

Columns: ``child_id,given_name,family_name,date_of_birth,looked_after_since,iro_email,
social_worker_email,service_area,uasc``; only ``child_id`` is required. A blank cell (or an
absent column) leaves the stored value alone, because the same child may also come from the
SSDA903 (date of birth, UASC) or from the bot (allocations), and a caseload export with a blank
cell is not a decision to erase what is known.

``looked_after_since`` opens a period of care starting that day (if the child has none starting
then) and becomes the start of the current period, which the review schedule counts from. A
period that was open before is left as it is: a changed date may be a correction or a return to
care, and the file cannot say which (the SSDA903 episodes can).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from domain.formatting import short_date
from domain.ports import Role
from storage.importers.csvfile import CsvTable
from storage.importers.framework import (
    CsvKind,
    FileReport,
    ImportContext,
    RowReader,
    all_staff,
    children_by_id,
    chunks,
    insert_rows,
    outcome,
    unknown_staff,
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


class ChildrenImport(CsvKind[ChildRow]):
    name = "children"
    usage = "a children CSV"
    entity = "children"
    required = ("child_id",)
    optional = (
        "given_name",
        "family_name",
        "date_of_birth",
        "looked_after_since",
        "iro_email",
        "social_worker_email",
        "service_area",
        "uasc",
    )
    key_column = "child_id"

    def parse(self, row: RowReader, ctx: ImportContext, table: CsvTable) -> ChildRow | None:
        child_id = row.text("child_id", required=True, max_length=64)
        given = row.text("given_name", max_length=100)
        family = row.text("family_name", max_length=100)
        born = row.date("date_of_birth", today=ctx.today)
        since = row.date("looked_after_since", today=ctx.today)
        if born and since and since < born:
            row.reject(
                "looked_after_since",
                f"{short_date(since)} is before the child's date of birth, {short_date(born)}",
            )
        iro = row.email("iro_email")
        social_worker = row.email("social_worker_email")
        area = row.service_area("service_area", ctx.rules)
        uasc = row.flag("uasc")
        if child_id is None:
            return None
        return ChildRow(
            row.line, child_id, given, family, born, since, iro, social_worker, area, uasc
        )

    def key(self, record: ChildRow) -> Hashable:
        return record.child_id

    def describe(self, record: ChildRow) -> str:
        return f"child_id {record.child_id!r}"

    async def resolve(
        self, ctx: ImportContext, table: CsvTable, report: FileReport, records: list[ChildRow]
    ) -> list[ChildRow]:
        staff = {s.email: s for s in await all_staff(ctx.session)}
        stored = await children_by_id(ctx.session, (r.child_id for r in records))
        good: list[ChildRow] = []
        for record in records:
            ok = True
            if record.iro_email:
                person = staff.get(record.iro_email)
                if person is None:
                    report.reject(record.line, "iro_email", unknown_staff(record.iro_email))
                    ok = False
                elif person.role != Role.IRO:
                    # Allocation decides who sees the child and who is asked to review them.
                    report.reject(
                        record.line,
                        "iro_email",
                        f"{record.iro_email!r} is a {person.role.replace('_', ' ')}, not an IRO",
                    )
                    ok = False
            if record.social_worker_email and record.social_worker_email not in staff:
                report.reject(
                    record.line, "social_worker_email", unknown_staff(record.social_worker_email)
                )
                ok = False
            # A date of birth from another source still has to come before the period of care.
            child = stored.get(record.child_id)
            born = record.date_of_birth or (child.date_of_birth if child else None)
            if record.looked_after_since and born and record.looked_after_since < born:
                report.reject(
                    record.line,
                    "looked_after_since",
                    f"{short_date(record.looked_after_since)} is before the child's stored date "
                    f"of birth, {short_date(born)}",
                )
                ok = False
            if ok:
                good.append(record)
        return good

    async def apply(
        self, ctx: ImportContext, table: CsvTable, report: FileReport, records: list[ChildRow]
    ) -> None:
        session = ctx.session
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
                ctx.touch(child)
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
                ctx.touch(children[record.child_id])  # a new child's first schedule
            if (pk, record.looked_after_since) not in existing:
                periods.append(
                    {"child_pk": pk, "started_on": record.looked_after_since, "source": "children"}
                )
                ctx.touch(children[record.child_id])
                results[record.line] = (created, True)
        await insert_rows(session, PeriodOfCare, periods)
        for created, changed in results.values():
            report.count(outcome(created, changed))


# What a new child row is inserted with: everything ``apply`` may set.
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
