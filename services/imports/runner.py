"""Running an import: every input loaded first, then one transaction, one savepoint per file.

- Inputs that cannot be imported at all (missing file, unknown kind, required column absent)
  raise ``UnusableInput`` before the store is touched.
- Each file (each directory, for SSDA903) is applied inside a savepoint. When any of its rows was
  rejected and ``partial`` is off, the savepoint is rolled back, so the counts say what would
  have happened and nothing from the file is written.
- ``dry_run`` runs everything the same way and then rolls the whole transaction back, so its
  counts include what earlier files in the same run would have made possible.
- One audit entry per run, with counts only (never a name or a file's path).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.rules import RuleSet
from services.imports.children import ChildrenImport
from services.imports.csvfile import UnusableInput
from services.imports.framework import FileReport, ImportContext, ImportKind, plural
from services.imports.irs import IrsImport
from services.imports.people import PeopleImport
from services.imports.reviews import ReviewsImport
from services.imports.ssda903 import Ssda903Import
from storage.audit import record_audit
from storage.importers.schedules import refresh_schedules

KINDS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (PeopleImport(), ChildrenImport(), ReviewsImport(), IrsImport(), Ssda903Import())
}


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    partial: bool
    files: list[FileReport] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def exit_status(self) -> int:
        """0 when every row was imported, 1 when any row was rejected."""
        return 1 if self.rows_rejected else 0

    def totals(self) -> dict[str, int]:
        """Counts for the audit log: what was written, not what would have been."""
        written = [f for f in self.files if f.written]
        return {
            "files": len(self.files),
            "files_written": len(written),
            "rows_read": sum(f.rows_read for f in self.files),
            "rows_rejected": self.rows_rejected,
            "created": sum(f.created for f in written),
            "updated": sum(f.updated for f in written),
            "unchanged": sum(f.unchanged for f in written),
        }

    def render(self) -> str:
        """The summary printed by `iro-bot import`: one block per file, then the outcome."""
        lines: list[str] = []
        if self.dry_run:
            lines.append("Dry run: nothing is written; the counts say what an import would do.")
        for report in self.files:
            lines.extend(_file_lines(report, self.dry_run))
        rejected = self.rows_rejected
        if not rejected:
            lines.append(
                "Dry run: every row would be imported."
                if self.dry_run
                else "Every row was imported."
            )
        else:
            files = sum(1 for f in self.files if f.rejections)
            rows = plural(rejected, "row")
            if self.partial:
                tail = (
                    "the other rows were imported"
                    if not self.dry_run
                    else ("the other rows would be imported")
                )
            else:
                tail = "nothing from a file with a rejected row was written"
            lines.append(f"{rows} rejected in {plural(files, 'file')}: {tail}.")
        return "\n".join(lines)


async def _begin_for_savepoints(session: AsyncSession) -> None:
    """Make SQLite's transaction real before the first savepoint.

    Python's sqlite3 driver only sends BEGIN before its first write, so a SAVEPOINT issued
    first opens SQLite's outermost transaction itself, and releasing that savepoint commits:
    a file's rows would be written even when the run is rolled back (a dry run). Sending BEGIN
    ourselves keeps the savepoints nested (the driver sees the open transaction and leaves it
    be). IMMEDIATE takes the write lock now, so the import cannot fail half-way with "database is
    locked" when it first writes after reading. PostgreSQL needs none of this.
    """
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


def _file_lines(report: FileReport, dry_run: bool) -> list[str]:
    counts = f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"
    rejected = plural(report.rows_rejected, "row")
    head = f"{report.file}: {plural(report.rows_read, 'row')} read"
    if report.written:
        lines = [f"{head}; {report.entity}: {counts}; {rejected} rejected"]
    else:
        lines = [f"{head}; {report.entity} (not written): {counts}; {rejected} rejected"]
    for rejection in sorted(report.rejections, key=lambda r: r.line):
        lines.append(f"  {rejection}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    if report.rejections and not report.written and not dry_run:
        good = report.rows_read - report.rows_rejected
        lines.append(
            f"  Nothing from {report.file} was written because {rejected} "
            f"{'was' if report.rows_rejected == 1 else 'were'} rejected: correct "
            f"{'it' if report.rows_rejected == 1 else 'them'} and import again, or use "
            f"--partial to write the {plural(good, 'good row')}."
        )
    return lines


async def run_import(
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
    paths: Sequence[str],
    *,
    rules: RuleSet,
    today: date,
    dry_run: bool = False,
    partial: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Import ``paths`` as ``kind`` in one transaction; raise ``UnusableInput`` for bad input."""
    importer = KINDS.get(kind)
    if importer is None:
        raise UnusableInput([f"there is no import kind {kind!r}: use one of {', '.join(KINDS)}"])
    if not paths:
        raise UnusableInput([f"give the {kind} import {importer.usage} to read"])
    units = importer.load(list(paths))  # every input read before the store is touched
    report = ImportReport(kind, dry_run, partial)

    async with sessions() as session:
        await session.begin()
        try:
            await _begin_for_savepoints(session)
            ctx = ImportContext(session, rules, today)
            for unit in units:
                savepoint = await session.begin_nested()
                file_reports = await importer.run(ctx, unit)
                # The stored schedule must match reviews and periods in the same transaction.
                await refresh_schedules(session, ctx.schedule_changed.values(), rules)
                ctx.schedule_changed.clear()
                keep = partial or not any(f.rejections for f in file_reports)
                if keep:
                    await savepoint.commit()
                else:
                    await savepoint.rollback()
                for file_report in file_reports:
                    file_report.written = keep and not dry_run
                    if not keep and not file_report.rejections:
                        # An SSDA903 directory is one unit: say why a clean file was held back.
                        others = ", ".join(f.file for f in file_reports if f.rejections)
                        file_report.notes.append(
                            f"not written because rows of {others} were rejected: the files "
                            "of a return are imported together (or use --partial)"
                        )
                report.files.extend(file_reports)
            if dry_run:
                await session.rollback()
            else:
                await record_audit(
                    session,
                    f"import.{kind}",
                    actor_external_id=actor,
                    entity_type="import",
                    outcome="ok" if report.exit_status == 0 else "rejected",
                    detail={**report.totals(), "partial": partial},
                )
                await session.commit()
        except BaseException:
            await session.rollback()
            raise
    return report
