"""Issues Resolution figures (domain brief 7; seed report 21.5, 21.6 and the 21.9 table).

``storage.reporting.issues.load_ir_facts`` is the only query; ``ir_section`` builds the tables
from facts and is pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.reporting import (
    NOT_RECORDED,
    Cell,
    Chart,
    Compared,
    CsvFile,
    IrFact,
    IrFigures,
    Period,
    SectionResult,
    Series,
    Table,
    compared_csv,
    ir_figures,
    ordered_labels,
)
from domain.rules import RuleSet, Stage
from services.reports.context import ReportContext
from storage.reporting.issues import load_ir_facts

IRS_SOURCE = (
    "the Issues Resolutions raised in the bot or imported with `iro-bot import irs`, by the date "
    "they were raised, with every stage they went through"
)


class IssuesResolutionSection:
    key = "irs"
    title = "Issues Resolution"

    async def build(self, ctx: ReportContext) -> SectionResult:
        facts = await load_ir_facts(ctx.session, ctx.span)
        return ir_section(facts, ctx.period, ctx.previous, ctx.rules)


def _stage_label(stage: Stage) -> str:
    return f"{stage.name} ({stage.owner_title})"


def _stage_name(key: str, stages: Mapping[str, Stage]) -> str:
    stage = stages.get(key)
    return stage.name if stage else key


def ir_section(
    facts: Sequence[IrFact], period: Period, previous: Period, rules: RuleSet
) -> SectionResult:
    this = ir_figures(facts, period)
    last = ir_figures(facts, previous)
    stages = {stage.key: stage for stage in rules.stages}
    tables = (
        _matrix_table(this, last, rules),
        _reasons_table(this, last, rules),
        _areas_table(this, last, rules, stages),
        _escalations_table(this, last, rules, stages),
    )
    raised_by_stage = Chart(
        key="irs_by_stage",
        title="IRs by the stage they were raised at",
        categories=tuple(stage.name for stage in rules.stages),
        series=(
            Series(period.label, tuple(float(_raised_at(this, s.key)) for s in rules.stages)),
            Series(previous.label, tuple(float(_raised_at(last, s.key)) for s in rules.stages)),
        ),
        y_label="IRs raised",
        description=(
            "IRs raised at each stage: "
            + "; ".join(
                f"{s.name} {_raised_at(this, s.key)} ({_raised_at(last, s.key)})"
                for s in rules.stages
            )
            + f", this period ({period.label}) with last period ({previous.label}) in brackets."
        ),
    )
    resolved_open = sum(n for row in this.matrix.values() for k, n in row.items() if k is None)
    summary = [
        f"{this.raised} ({last.raised}) IRs were raised in {period.label} "
        f"({previous.label} in brackets).",
    ]
    if resolved_open:
        summary.append(f"{resolved_open} of this period's IRs are still open.")
    return SectionResult(
        key="irs",
        title="Issues Resolution",
        summary=tuple(summary),
        tables=tables,
        charts=(raised_by_stage,),
        notes=(
            "An IR counts in the period in which it was raised; the stage it was resolved at is "
            "what is recorded now.",
            "An escalation is the move from the stage an IR was raised at to the highest stage "
            "it reached.",
            "An IR raised for more than one reason counts once under each, so the reasons add "
            "up to more than the IRs raised.",
        ),
    )


def _raised_at(figures: IrFigures, stage: str) -> int:
    return sum(figures.matrix.get(stage, {}).values())


def _matrix_table(this: IrFigures, last: IrFigures, rules: RuleSet) -> Table:
    """Seed 21.5: stage raised (rows) by stage resolved (columns), with the IRs still open."""
    keys = [stage.key for stage in rules.stages]
    rows: list[tuple[Cell, ...]] = []
    for stage in rules.stages:
        now, before = this.matrix.get(stage.key, {}), last.matrix.get(stage.key, {})
        rows.append(
            (
                _stage_label(stage),
                Compared(sum(now.values()), sum(before.values())),
                *(Compared(now.get(k, 0), before.get(k, 0)) for k in keys),
                Compared(now.get(None, 0), before.get(None, 0)),
            )
        )

    def column_total(figures: IrFigures, key: str | None) -> int:
        return sum(row.get(key, 0) for row in figures.matrix.values())

    rows.append(
        (
            "All stages",
            Compared(this.raised, last.raised),
            *(Compared(column_total(this, k), column_total(last, k)) for k in keys),
            Compared(column_total(this, None), column_total(last, None)),
        )
    )

    # The CSV has the documented fixed shape: one row per stage raised, one column per stage
    # resolved (the stage keys, as in the irs import), and the number raised; IRs still open
    # are the total less the resolved columns.
    def csv_for(figures: IrFigures, name: str) -> CsvFile:
        return CsvFile(
            name=name,
            columns=("stage_raised", *keys, "total"),
            rows=tuple(
                (
                    stage,
                    *(figures.matrix.get(stage, {}).get(k, 0) for k in keys),
                    sum(figures.matrix.get(stage, {}).values()),
                )
                for stage in keys
            ),
        )

    return Table(
        key="ir_stage_matrix",
        title="Stage the IR was raised at and the stage it was resolved at",
        columns=(
            "Stage raised",
            "IRs raised",
            *(f"Resolved at {stage.name}" for stage in rules.stages),
            "Still open",
        ),
        rows=tuple(rows),
        csv=(csv_for(this, "ir_stage_matrix"), csv_for(last, "ir_stage_matrix_last_period")),
        source=IRS_SOURCE,
        emphasis=frozenset({len(rows) - 1}),
    )


def _reasons_table(this: IrFigures, last: IrFigures, rules: RuleSet) -> Table:
    """Seed 21.6: each reason this period, last period in brackets, in the rules file's order."""
    labels = ordered_labels(rules.reasons, [*this.reasons, *last.reasons])
    rows: list[tuple[Cell, ...]] = [
        (label or NOT_RECORDED, Compared(this.reasons.get(label, 0), last.reasons.get(label, 0)))
        for label in labels
        if label is not None
    ]
    return Table(
        key="ir_reasons",
        title="Why the IRs were raised",
        columns=("Reason", "Times raised"),
        rows=tuple(rows),
        csv=(compared_csv("ir_reasons", "reason", ("times_raised",), rows),),
        source=IRS_SOURCE,
        note="An IR raised for more than one reason counts under each.",
    )


def _escalation_text(moves: Mapping[tuple[str, str], int], stages: Mapping[str, Stage]) -> str:
    return "; ".join(
        f"{n} × {_stage_name(a, stages)} to {_stage_name(b, stages)}"
        for (a, b), n in sorted(moves.items(), key=lambda m: _order(m[0], stages))
    )


def _order(move: tuple[str, str], stages: Mapping[str, Stage]) -> tuple[int, int]:
    a, b = move
    return (
        stages[a].order if a in stages else 99,
        stages[b].order if b in stages else 99,
    )


def _areas_table(
    this: IrFigures, last: IrFigures, rules: RuleSet, stages: Mapping[str, Stage]
) -> Table:
    """Seed 21.9: IRs by service area and the stage they were raised at, with escalations."""
    areas = ordered_labels(rules.service_areas, [*this.by_area, *last.by_area])
    keys = [stage.key for stage in rules.stages]
    rows: list[tuple[Cell, ...]] = []
    csv_rows: list[tuple[str | int | float | None, ...]] = []
    for area in areas:
        now, before = this.by_area.get(area, {}), last.by_area.get(area, {})
        esc_now = _escalation_text(this.escalations_by_area.get(area, {}), stages)
        esc_before = _escalation_text(last.escalations_by_area.get(area, {}), stages)
        name = area or NOT_RECORDED
        rows.append(
            (
                name,
                *(Compared(now.get(k, 0), before.get(k, 0)) for k in keys),
                Compared(sum(now.values()), sum(before.values())),
                esc_now or "none",
                esc_before or "none",
            )
        )
        csv_rows.append(
            (
                name,
                *(v for k in keys for v in (now.get(k, 0), before.get(k, 0))),
                sum(now.values()),
                sum(before.values()),
                esc_now,
                esc_before,
            )
        )
    rows.append(
        (
            "All areas",
            *(Compared(_raised_at(this, k), _raised_at(last, k)) for k in keys),
            Compared(this.raised, last.raised),
            "",
            "",
        )
    )
    return Table(
        key="ir_service_areas",
        title="IRs by service area and the stage they were raised at",
        columns=(
            "Service area",
            *(f"Raised at {stage.name}" for stage in rules.stages),
            "Total",
            "Escalations this period",
            "Escalations last period",
        ),
        rows=tuple(rows),
        csv=(
            CsvFile(
                name="ir_service_areas",
                columns=(
                    "service_area",
                    *(f"{k}_{p}" for k in keys for p in ("this_period", "last_period")),
                    "total_this_period",
                    "total_last_period",
                    "escalations_this_period",
                    "escalations_last_period",
                ),
                rows=tuple(csv_rows),
            ),
        ),
        source=IRS_SOURCE,
        emphasis=frozenset({len(rows) - 1}),
        note="The service area is the one responsible for the issue, as recorded on the IR.",
    )


def _escalations_table(
    this: IrFigures, last: IrFigures, rules: RuleSet, stages: Mapping[str, Stage]
) -> Table:
    moves = sorted({*this.escalations, *last.escalations}, key=lambda move: _order(move, stages))
    rows: list[tuple[Cell, ...]] = [
        (
            f"{_stage_name(a, stages)} to {_stage_name(b, stages)}",
            Compared(this.escalations.get((a, b), 0), last.escalations.get((a, b), 0)),
        )
        for a, b in moves
    ]
    return Table(
        key="ir_escalations",
        title="Escalations (the stage raised at to the highest stage reached)",
        columns=("Escalation", "IRs"),
        rows=tuple(rows),
        csv=(
            CsvFile(
                name="ir_escalations",
                columns=("from_stage", "to_stage", "this_period", "last_period"),
                rows=tuple(
                    (a, b, this.escalations.get((a, b), 0), last.escalations.get((a, b), 0))
                    for a, b in moves
                ),
            ),
        ),
        source=IRS_SOURCE,
        note=None if rows else "No IR was escalated in either period.",
    )
