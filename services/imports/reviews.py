"""`iro-bot import reviews FILE`: CIC reviews already held, ``child_id,review_date,part,chaired``.

``part`` is ``full``, ``part1`` or ``part2`` (blank means full). ``chaired`` (optional: yes or
no, blank for not recorded) says whether the young person chaired their own review, which the
IRO annual report counts (seed report 14.2) and the SSDA903 does not record. A review is
identified by child, date and part, so a row is either new (created), already stored with the
same ``chaired`` (unchanged), or stored and now given a ``chaired`` answer (updated: a blank
never clears one already recorded). This is how a review imported from the SSDA903 (a ``full``
review) gets its chaired answer. The child's next review date is recomputed whenever a review is
added (``storage.importers.reviews``).
"""

from __future__ import annotations

from collections.abc import Hashable

from domain.errors import DomainError
from domain.formatting import short_date
from domain.reviews import ReviewPart
from services.imports.csvfile import CsvTable
from services.imports.framework import (
    CsvKind,
    FileReport,
    ImportContext,
    RowReader,
    unknown_child,
)
from storage.importers.common import Written, children_by_id
from storage.importers.reviews import ReviewRow, write_reviews


class ReviewsImport(CsvKind[ReviewRow]):
    name = "reviews"
    usage = "a reviews CSV"
    entity = "reviews"
    required = ("child_id", "review_date")
    optional = ("part", "chaired")
    key_column = "review_date"

    def parse(self, row: RowReader, ctx: ImportContext, table: CsvTable) -> ReviewRow | None:
        child_id = row.text("child_id", required=True, max_length=64)
        held_on = row.date("review_date", required=True, today=ctx.today)
        try:
            part = ReviewPart.parse(row.raw("part"))
        except DomainError as exc:
            row.reject("part", str(exc))
            return None
        chaired = row.flag("chaired")
        if child_id is None or held_on is None or row.failed:
            return None
        return ReviewRow(row.line, child_id, held_on, part, chaired)

    def key(self, record: ReviewRow) -> Hashable:
        return (record.child_id, record.held_on, record.part)

    def describe(self, record: ReviewRow) -> str:
        return (
            f"the {record.part.value} review of child {record.child_id!r} on "
            f"{short_date(record.held_on)}"
        )

    async def resolve(
        self, ctx: ImportContext, table: CsvTable, report: FileReport, records: list[ReviewRow]
    ) -> list[ReviewRow]:
        stored = await children_by_id(ctx.session, (r.child_id for r in records))
        good: list[ReviewRow] = []
        for record in records:
            child = stored.get(record.child_id)
            if child is None:
                report.reject(record.line, "child_id", unknown_child(record.child_id))
            elif child.date_of_birth and record.held_on < child.date_of_birth:
                report.reject(
                    record.line,
                    "review_date",
                    f"{short_date(record.held_on)} is before the child was born "
                    f"({short_date(child.date_of_birth)})",
                )
            else:
                good.append(record)
        return good

    async def write(self, ctx: ImportContext, table: CsvTable, records: list[ReviewRow]) -> Written:
        return await write_reviews(ctx.session, records)
