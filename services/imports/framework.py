"""What every import shares: the report, reading typed values out of a row, duplicates, kinds.

An import works in three steps per file (see ``services.imports.runner``):

1. parse: each row is turned into a typed record or rejected, with one reason per bad cell;
2. resolve: records are checked against the store and each other (unknown e-mails or child ids,
   duplicates, a manager whose own row was rejected);
3. write: ``storage.importers`` compares the records with what is stored and creates, updates
   or leaves each unchanged, and says which it did; the report counts it. The write runs inside
   a savepoint that is rolled back when the file had any rejected row and ``--partial`` was not
   given, so the counts say what *would* have happened and nothing is half-written.

Every sentence a person reads about their file is worded in this package.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from domain.dates import DateFormatError, parse_date
from domain.formatting import short_date
from domain.ports import Role
from domain.rules import RuleSet
from services.imports.csvfile import CsvRow, CsvTable, UnusableInput, read_csv
from storage.importers.common import Written
from storage.models import Child

#: Staff roles a people file may give, as the domain spells them.
ROLES = tuple(role.value for role in Role)

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    column: str | None  # None when the problem is the row as a whole
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}"
        return (
            f"{where}, {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"
        )


@dataclass
class FileReport:
    """The summary of one file: rows read and what happened to the things they describe."""

    file: str
    entity: str  # what is counted, plural: "children", "periods of care"
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False

    def reject(self, line: int, column: str | None, reason: str) -> None:
        self.rejections.append(Rejection(self.file, line, column, reason))

    @property
    def rejected_lines(self) -> set[int]:
        return {r.line for r in self.rejections}

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected_lines)

    def count(self, outcome: str) -> None:
        """Count one thing as 'created', 'updated' or 'unchanged'."""
        setattr(self, outcome, getattr(self, outcome) + 1)

    def count_all(self, outcomes: Iterable[str]) -> None:
        for outcome in outcomes:
            self.count(outcome)


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 row', '3 rows', '1 child', '2 children'."""
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


# -- the context one run shares ----------------------------------------------------------------


@dataclass
class ImportContext:
    session: AsyncSession
    rules: RuleSet
    today: date  # no date in a file may be after it (the authority's today, not UTC's)
    # Children whose period of care or reviews changed: their stored schedule is refreshed
    # before the file's savepoint is released.
    schedule_changed: dict[int, Child] = field(default_factory=dict)

    def touch(self, child: Child) -> None:
        self.schedule_changed[id(child)] = child

    def record(self, report: FileReport, written: Written) -> None:
        """Count what a write did in ``report`` and remember the children it rescheduled."""
        report.count_all(written.outcomes)
        for child in written.schedule_changed:
            self.touch(child)


# -- reading typed values out of a row -------------------------------------------------------


class RowReader:
    """Typed values from one row; each bad cell is recorded as a rejection naming its column."""

    def __init__(self, row: CsvRow, report: FileReport) -> None:
        self.row = row
        self.report = report
        self.failed = False

    @property
    def line(self) -> int:
        return self.row.line

    def reject(self, column: str | None, reason: str) -> None:
        self.failed = True
        self.report.reject(self.row.line, column, reason)

    def raw(self, column: str) -> str:
        return self.row.values.get(column, "")

    def text(
        self, column: str, *, required: bool = False, max_length: int | None = None
    ) -> str | None:
        value = self.raw(column)
        if not value:
            if required:
                self.reject(column, "is blank, but a value is needed")
            return None
        if max_length is not None and len(value) > max_length:
            self.reject(column, f"is {len(value)} characters long; at most {max_length} fit")
            return None
        return value

    def date(
        self, column: str, *, required: bool = False, today: date | None = None
    ) -> date | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            parsed = parse_date(value)
        except DateFormatError as exc:
            self.reject(column, str(exc))
            return None
        if today is not None and parsed > today:
            self.reject(column, f"{value!r} is in the future (today is {short_date(today)})")
            return None
        return parsed

    def email(self, column: str, *, required: bool = False) -> str | None:
        # E-mails and UPNs are matched case-insensitively, as Entra ID does; stored lower-case.
        value = self.text(column, required=required, max_length=320)
        if value is None:
            return None
        if not _EMAIL.fullmatch(value):
            self.reject(column, f"{value!r} is not an e-mail address")
            return None
        return value.lower()

    def flag(self, column: str) -> bool | None:
        value = self.raw(column)
        if not value:
            return None
        if value.lower() in _YES:
            return True
        if value.lower() in _NO:
            return False
        self.reject(column, f"{value!r} is not yes or no (use yes/no, true/false, Y/N or 1/0)")
        return None

    def choice(
        self, column: str, allowed: Sequence[str], *, required: bool = False, what: str = "value"
    ) -> str | None:
        """One of ``allowed``, matched case-insensitively (spaces and hyphens as underscores)."""
        value = self.text(column, required=required)
        if value is None:
            return None
        wanted = re.sub(r"[\s\-]+", "_", value.lower())
        for option in allowed:
            if option.lower() == wanted:
                return option
        self.reject(column, f"{value!r} is not a {what}: use one of {', '.join(allowed)}")
        return None

    def service_area(self, column: str, rules: RuleSet) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        for area in rules.service_areas:
            if area.lower() == value.lower():
                return area
        self.reject(
            column,
            f"{value!r} is not a service area in {rules.source}: use one of "
            f"{', '.join(rules.service_areas)}",
        )
        return None

    def guid(self, column: str) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            self.reject(
                column,
                f"{value!r} is not an AAD object id (a GUID like "
                "00000000-0000-0000-0000-000000000020)",
            )
            return None


# -- duplicates within a file ----------------------------------------------------------------


class HasLine(Protocol):
    line: int


R = TypeVar("R", bound=HasLine)


def drop_duplicates(
    records: Sequence[R],
    rows: dict[int, CsvRow],
    key: Callable[[R], Hashable],
    column: str,
    describe: Callable[[R], str],
    report: FileReport,
) -> list[R]:
    """Records whose key is unique in the file.

    A row that repeats an earlier one exactly is rejected and the first kept (a harmless
    copy-paste); rows that share a key but disagree are all rejected, because which of them is
    right is the user's call, not ours.
    """
    groups: dict[Hashable, list[R]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    kept: list[R] = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            kept.append(first)
            continue
        if all(rows[r.line].values == rows[first.line].values for r in group):
            kept.append(first)
            for repeat in group[1:]:
                report.reject(
                    repeat.line,
                    column,
                    f"repeats line {first.line} exactly ({describe(first)} twice)",
                )
            continue
        lines = [r.line for r in group]
        for record in group:
            others = ", ".join(str(n) for n in lines if n != record.line)
            report.reject(
                record.line,
                column,
                f"{describe(record)} is also on line {others} with different values: "
                f"keep the right one",
            )
    kept.sort(key=lambda r: r.line)
    return kept


# -- messages about the store ----------------------------------------------------------------


def unknown_staff(email: str) -> str:
    return f"{email!r} is not a member of staff (import them with `iro-bot import people` first)"


def unknown_child(child_id: str) -> str:
    return f"there is no child with id {child_id!r} (import children first)"


# -- kinds -----------------------------------------------------------------------------------


class ImportKind:
    """One kind of import: how its input is loaded (before the store is touched) and run."""

    name: str = ""
    usage: str = ""  # what the FILE arguments are, for help text

    def load(self, paths: Sequence[str]) -> list[Any]:
        """Read every input; raise ``UnusableInput`` listing every unusable one."""
        raise NotImplementedError

    async def run(self, ctx: ImportContext, unit: Any) -> list[FileReport]:
        """Import one loaded unit (a file, or a directory for SSDA903) into ``ctx.session``."""
        raise NotImplementedError


class CsvKind(ImportKind, Generic[R]):
    """A kind whose input is one CSV file per argument, one record per row."""

    entity: str = ""
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    key_column: str = ""

    def load(self, paths: Sequence[str]) -> list[CsvTable]:
        tables: list[CsvTable] = []
        problems: list[str] = []
        for path in paths:
            try:
                tables.append(
                    read_csv(
                        Path(path),
                        name=path,
                        required=self.required,
                        optional=self.optional,
                        kind=self.name,
                    )
                )
            except UnusableInput as exc:
                problems.extend(exc.problems)
        if problems:
            raise UnusableInput(problems)
        return tables

    async def run(self, ctx: ImportContext, unit: CsvTable) -> list[FileReport]:
        report = FileReport(
            unit.name, self.entity, rows_read=len(unit.rows), notes=list(unit.notes)
        )
        records: list[R] = []
        for row in unit.rows:
            if row.problem:
                report.reject(row.line, None, row.problem)
                continue
            reader = RowReader(row, report)
            record = self.parse(reader, ctx, unit)
            if record is not None and not reader.failed:
                records.append(record)
        rows = {row.line: row for row in unit.rows}
        records = drop_duplicates(records, rows, self.key, self.key_column, self.describe, report)
        records = await self.resolve(ctx, unit, report, records)
        ctx.record(report, await self.write(ctx, unit, records))
        return [report]

    # What each kind provides.

    def parse(self, row: RowReader, ctx: ImportContext, table: CsvTable) -> R | None:
        raise NotImplementedError

    def key(self, record: R) -> Hashable:
        raise NotImplementedError

    def describe(self, record: R) -> str:
        """The record's key as a person would say it, for duplicate messages."""
        raise NotImplementedError

    async def resolve(
        self, ctx: ImportContext, table: CsvTable, report: FileReport, records: list[R]
    ) -> list[R]:
        """Check records against the store; reject (via ``report``) and drop the ones that fail."""
        return records

    async def write(self, ctx: ImportContext, table: CsvTable, records: list[R]) -> Written:
        """Write the checked records (``storage.importers``); returns what happened."""
        raise NotImplementedError
