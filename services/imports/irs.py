"""`iro-bot import irs FILE`: Issues Resolutions recorded in an earlier system.

Columns: ``ir_ref,child_id,raised_by_email,raised_on,stage_raised,stage_resolved,resolved_on,
reasons,service_area``. Stages are the rules file's keys or names (``informal``, ``1``..``4`` or
"Stage 2"); reasons are its labels, case-insensitive and ``;``-separated. A blank ``resolved_on``
means the IR is still open.

What an earlier system usually does not record, and what we store instead:

- the date of an escalation: an IR resolved at a higher stage than it was raised at gets one
  escalation entry for the resolved stage, dated the day it was resolved (the only date known),
  and becomes formal then if it was raised informally;
- the stage resolved at, when blank on a resolved IR: the stage it was raised at;
- an open IR's current stage is the stage it was raised at (``stage_resolved`` must then be
  blank), and its response deadlines (IR-STAGE, IR-FORMAL) are computed by the domain.

An IR the bot itself recorded is never overwritten by an import. Imported references of the
bot's own form (IR-2025-0042) move the bot's counter on, so it never issues one again. The writes
are ``storage.importers.irs``.
"""

from __future__ import annotations

from collections.abc import Hashable

from domain.errors import RulesError
from domain.formatting import short_date
from domain.rules import RuleSet, Stage
from services.imports.csvfile import CsvTable
from services.imports.framework import (
    CsvKind,
    FileReport,
    ImportContext,
    RowReader,
    unknown_child,
    unknown_staff,
)
from storage.importers.common import Written, all_staff, children_by_id
from storage.importers.irs import SOURCE, IrRow, irs_by_reference, write_irs


class IrsImport(CsvKind[IrRow]):
    name = "irs"
    usage = "an IRs CSV"
    entity = "IRs"
    required = ("ir_ref", "child_id", "raised_by_email", "raised_on", "stage_raised", "reasons")
    optional = ("stage_resolved", "resolved_on", "service_area")
    key_column = "ir_ref"

    def parse(self, row: RowReader, ctx: ImportContext, table: CsvTable) -> IrRow | None:
        rules = ctx.rules
        reference = row.text("ir_ref", required=True, max_length=20)
        child_id = row.text("child_id", required=True, max_length=64)
        raised_by = row.email("raised_by_email", required=True)
        raised_on = row.date("raised_on", required=True, today=ctx.today)
        resolved_on = row.date("resolved_on", today=ctx.today)
        stage_raised = self._stage(row, rules, "stage_raised", required=True)
        stage_resolved = self._stage(row, rules, "stage_resolved")
        area = row.service_area("service_area", rules)
        reasons: list[str] = []
        for label in row.raw("reasons").split(";"):
            if not label.strip():
                continue
            try:
                reason = rules.canonical_reason(label.strip())
            except RulesError as exc:
                row.reject("reasons", str(exc))
                continue
            if reason not in reasons:
                reasons.append(reason)
        if not row.raw("reasons").replace(";", "").strip():
            row.reject("reasons", "is blank: an IR needs at least one reason")

        if raised_on and resolved_on and resolved_on < raised_on:
            row.reject(
                "resolved_on",
                f"{short_date(resolved_on)} is before the IR was raised ({short_date(raised_on)})",
            )
        if stage_resolved and resolved_on is None and not row.raw("resolved_on"):
            row.reject(
                "stage_resolved",
                "is given but resolved_on is blank: an open IR has no resolved stage (leave "
                "stage_resolved blank, or give the date it was resolved)",
            )
        if stage_raised and stage_resolved and stage_resolved.order < stage_raised.order:
            row.reject(
                "stage_resolved",
                f"{stage_resolved.name} is below the stage it was raised at "
                f"({stage_raised.name}): an IR only escalates upwards",
            )
        if (
            row.failed
            or reference is None
            or child_id is None
            or raised_by is None
            or raised_on is None
            or stage_raised is None
        ):
            return None
        if resolved_on and stage_resolved is None:
            stage_resolved = stage_raised
        return IrRow(
            row.line,
            reference,
            child_id,
            raised_by,
            raised_on,
            stage_raised,
            stage_resolved,
            resolved_on,
            tuple(reasons),
            area,
        )

    @staticmethod
    def _stage(
        row: RowReader, rules: RuleSet, column: str, *, required: bool = False
    ) -> Stage | None:
        value = row.text(column, required=required)
        if value is None:
            return None
        try:
            return rules.stage(value)
        except RulesError as exc:
            row.reject(column, str(exc))
            return None

    def key(self, record: IrRow) -> Hashable:
        return record.reference.upper()

    def describe(self, record: IrRow) -> str:
        return f"ir_ref {record.reference!r}"

    async def resolve(
        self, ctx: ImportContext, table: CsvTable, report: FileReport, records: list[IrRow]
    ) -> list[IrRow]:
        staff = {s.email for s in await all_staff(ctx.session)}
        children = await children_by_id(ctx.session, (r.child_id for r in records))
        ours = await irs_by_reference(ctx.session, [r.reference for r in records])
        good: list[IrRow] = []
        for record in records:
            ok = True
            if record.child_id not in children:
                report.reject(record.line, "child_id", unknown_child(record.child_id))
                ok = False
            if record.raised_by not in staff:
                report.reject(record.line, "raised_by_email", unknown_staff(record.raised_by))
                ok = False
            stored = ours.get(record.reference)
            if stored is not None and stored.source != SOURCE:
                report.reject(
                    record.line,
                    "ir_ref",
                    f"{record.reference!r} is an IR recorded in the bot; an import does not "
                    "overwrite it (give the earlier system's IR another reference)",
                )
                ok = False
            if ok:
                good.append(record)
        return good

    async def write(self, ctx: ImportContext, table: CsvTable, records: list[IrRow]) -> Written:
        return await write_irs(ctx.session, records, ctx.rules)
