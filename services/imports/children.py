"""`iro-bot import children FILE`: the caseload, keyed by the authority's child id.

Columns: ``child_id,given_name,family_name,date_of_birth,looked_after_since,iro_email,
social_worker_email,service_area,uasc``; only ``child_id`` is required. A blank cell (or an
absent column) leaves the stored value alone, because the same child may also come from the
SSDA903 (date of birth, UASC) or from the bot (allocations), and a caseload export with a blank
cell is not a decision to erase what is known.

``looked_after_since`` opens a period of care starting that day (if the child has none starting
then) and becomes the start of the current period, which the review schedule counts from. A
period that was open before is left as it is: a changed date may be a correction or a return to
care, and the file cannot say which (the SSDA903 episodes can). The writes are
``storage.importers.children``.
"""

from __future__ import annotations

from collections.abc import Hashable

from domain.formatting import short_date
from domain.ports import Role
from services.imports.csvfile import CsvTable
from services.imports.framework import (
    CsvKind,
    FileReport,
    ImportContext,
    RowReader,
    unknown_staff,
)
from storage.importers.children import ChildRow, write_children
from storage.importers.common import Written, all_staff, children_by_id


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

    async def write(self, ctx: ImportContext, table: CsvTable, records: list[ChildRow]) -> Written:
        return await write_children(ctx.session, records)
