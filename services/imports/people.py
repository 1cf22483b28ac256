"""`iro-bot import people FILE`: staff, keyed by e-mail/UPN.

Columns: ``email,display_name,role,service_area,manager_email,aad_object_id``; the first three
are required. A blank ``service_area`` means the person's work spans areas and a blank
``manager_email`` means they have no manager here (e.g. the director), so both are stored as
blank. A blank ``aad_object_id`` leaves the stored one alone: it may have been learnt from Teams.
An optional column that is absent from the header leaves that field alone for everybody.

Managers may appear later in the same file than the people they manage, so managers are
resolved after every row has been read, and set after every person has been written
(``storage.importers.people``).
"""

from __future__ import annotations

from collections.abc import Hashable

from services.imports.csvfile import CsvTable
from services.imports.framework import ROLES, CsvKind, FileReport, ImportContext, RowReader
from storage.importers.common import Written, all_staff
from storage.importers.people import PersonRow, write_people


class PeopleImport(CsvKind[PersonRow]):
    name = "people"
    usage = "a people CSV"
    entity = "people"
    required = ("email", "display_name", "role")
    optional = ("service_area", "manager_email", "aad_object_id")
    key_column = "email"

    def parse(self, row: RowReader, ctx: ImportContext, table: CsvTable) -> PersonRow | None:
        email = row.email("email", required=True)
        display_name = row.text("display_name", required=True, max_length=200)
        role = row.choice("role", ROLES, required=True, what="role")
        service_area = row.service_area("service_area", ctx.rules)
        manager = row.email("manager_email")
        aad = row.guid("aad_object_id")
        if email and manager == email:
            row.reject("manager_email", "is the person's own e-mail: nobody manages themselves")
        if email is None or display_name is None or role is None:
            return None
        return PersonRow(row.line, email, display_name, role, service_area, manager, aad)

    def key(self, record: PersonRow) -> Hashable:
        return record.email

    def describe(self, record: PersonRow) -> str:
        return f"email {record.email!r}"

    async def resolve(
        self, ctx: ImportContext, table: CsvTable, report: FileReport, records: list[PersonRow]
    ) -> list[PersonRow]:
        stored = await all_staff(ctx.session)
        stored_emails = {s.email for s in stored}
        # Every line an e-mail is on, rejected rows included, so a message can point at it.
        lines_of = {
            row.values.get("email", "").lower(): row.line for row in table.rows if row.values
        }

        # The same AAD object id on two people: the bot could not tell who is talking to it.
        owner_of_aad = {s.aad_object_id: s.email for s in stored if s.aad_object_id}
        by_aad: dict[str, list[PersonRow]] = {}
        for record in records:
            if record.aad_object_id:
                by_aad.setdefault(record.aad_object_id, []).append(record)
        bad: set[int] = set()
        for aad, group in by_aad.items():
            if len(group) > 1:
                for record in group:
                    others = ", ".join(str(r.line) for r in group if r is not record)
                    report.reject(record.line, "aad_object_id", f"is also on line {others}")
                    bad.add(record.line)
            elif owner_of_aad.get(aad, group[0].email) != group[0].email:
                report.reject(
                    group[0].line,
                    "aad_object_id",
                    f"already belongs to another member of staff ({owner_of_aad[aad]})",
                )
                bad.add(group[0].line)
        good = [r for r in records if r.line not in bad]

        # A manager must be in the store or on a good row of this file. Rejecting a manager's
        # row can strand the people they manage, so repeat until nothing more falls out.
        while True:
            known = stored_emails | {r.email for r in good}
            stranded = [r for r in good if r.manager_email and r.manager_email not in known]
            if not stranded:
                return good
            for record in stranded:
                manager = record.manager_email or ""
                if manager in lines_of:
                    reason = f"{manager!r} is on line {lines_of[manager]}, which was rejected"
                else:
                    reason = f"{manager!r} is not a member of staff, here or in the store"
                report.reject(record.line, "manager_email", reason)
            stranded_lines = {r.line for r in stranded}
            good = [r for r in good if r.line not in stranded_lines]

    async def write(self, ctx: ImportContext, table: CsvTable, records: list[PersonRow]) -> Written:
        return await write_people(ctx.session, records, table.columns)
