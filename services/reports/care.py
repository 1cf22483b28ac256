"""Children in care (seed report 7.1, 7.3): month-end numbers, UASC, starting and ceasing care.

The children in care (``storage.reporting.care.load_children_in_care``) are read once per report
(``children_in_care_for``): the leaving-care and caseload sections read them too.
"""

from __future__ import annotations

from domain.report_care import CareFigures, care_figures, rate_per_10000
from domain.reporting import (
    Cell,
    Compared,
    LeftOut,
    Period,
    SectionResult,
    Table,
    compared_csv,
    percent,
)
from domain.rules import RuleSet
from services.reports.context import ReportContext
from storage.reporting.care import CareData, load_children_in_care

CARE_SOURCE = (
    "each child's periods of care (from the SSDA903 episodes, the children file's "
    "looked_after_since or the bot), with the child's UASC flag"
)


def reviewed_without_period(data: CareData, period: Period) -> int:
    """Children with a review in ``period`` but no known period of care."""
    return len({child for child, held in data.reviewed_without_period if held in period})


async def children_in_care_for(ctx: ReportContext) -> CareData:
    """``load_children_in_care`` over the report's span, read once per report."""
    if "children_in_care" not in ctx.shared:
        ctx.shared["children_in_care"] = await load_children_in_care(ctx.session, ctx.span)
    return ctx.shared["children_in_care"]


class ChildrenInCareSection:
    key = "children_in_care"
    title = "Children in care"

    async def build(self, ctx: ReportContext) -> SectionResult:
        data = await children_in_care_for(ctx)
        return children_in_care_section(data, ctx.period, ctx.previous, ctx.rules)


def children_in_care_section(
    data: CareData, period: Period, previous: Period, rules: RuleSet
) -> SectionResult:
    this = care_figures(data.children, period)
    last = care_figures(data.children, previous)
    no_period = LeftOut(
        "children with a review in the period but no known period of care (their start is "
        "not in the data), so not counted as in care",
        reviewed_without_period(data, period),
        reviewed_without_period(data, previous),
    )
    population = rules.child_population
    rate = Compared(
        rate_per_10000(this.at_end.in_care, population),
        rate_per_10000(last.at_end.in_care, population),
    )
    summary = [
        f"{this.at_end.in_care} ({last.at_end.in_care}) children were in care on the last day "
        f"of {period.label} ({previous.label} in brackets), {this.at_end.uasc} "
        f"({last.at_end.uasc}) of them unaccompanied asylum-seeking children (UASC); on average "
        f"{Compared(this.average, last.average).text()} were in care at the month ends.",
        f"{this.started} ({last.started}) children started to be looked after and "
        f"{this.ceased} ({last.ceased}) ceased to be looked after.",
    ]
    if population:
        summary.append(
            f"That is {rate.text()} children in care per 10,000 children, of a child "
            f"population of {population:,}."
        )
    return SectionResult(
        key="children_in_care",
        title="Children in care",
        summary=tuple(summary),
        tables=(
            _summary_table(this, last, rate if population else None, no_period),
            _months_table(this, last, no_period),
        ),
        notes=(
            "A child is in care on a day when one of their periods of care has started and has "
            "not ended by then: a child who left care on the last day of a month is not counted "
            "at that month's end (as the DfE counts children looked after at 31 March).",
            "Children who started (or ceased) to be looked after are counted once each, at "
            "their first start (last leaving) in the period, as the DfE counts them.",
            "UASC is the child's flag as recorded now (SSDA903 header or uasc file, or the "
            "children file); the date a child stopped being UASC is not kept.",
            _population_note(population, rules.source),
        ),
    )


def _population_note(population: int | None, source: str) -> str:
    if population:
        return (
            f"The rate per 10,000 divides by the child population in the rules file "
            f"({population:,}, authority.child_population in {source}), the same figure for "
            "both periods."
        )
    return (
        "No rate per 10,000 children is shown: the rules file gives no child population "
        f"(authority.child_population in {source})."
    )


def _summary_table(
    this: CareFigures, last: CareFigures, rate: Compared | None, no_period: LeftOut
) -> Table:
    rows: list[tuple[Cell, ...]] = [
        ("Children in care on the last day", Compared(this.at_end.in_care, last.at_end.in_care)),
        ("of whom UASC", Compared(this.at_end.uasc, last.at_end.uasc)),
        (
            "% UASC",
            Compared(
                percent(this.at_end.uasc, this.at_end.in_care),
                percent(last.at_end.uasc, last.at_end.in_care),
                True,
            ),
        ),
    ]
    if rate is not None:
        rows.append(("Children in care per 10,000 children", rate))
    rows += [
        ("Average in care at the month ends", Compared(this.average, last.average)),
        ("Children who started to be looked after", Compared(this.started, last.started)),
        ("Children who ceased to be looked after", Compared(this.ceased, last.ceased)),
    ]
    return Table(
        key="children_in_care",
        title="Children in care, starting and leaving care",
        columns=("Children", "Number"),
        rows=tuple(rows),
        csv=(compared_csv("children_in_care", "measure", ("number",), rows),),
        source=CARE_SOURCE,
        left_out=(
            no_period,
            LeftOut(
                "further periods of care started by a child already counted as starting",
                this.further_starts,
                last.further_starts,
            ),
            LeftOut(
                "further periods of care ended by a child already counted as ceasing",
                this.further_ends,
                last.further_ends,
            ),
        ),
        emphasis=frozenset({0}),
    )


def _months_table(this: CareFigures, last: CareFigures, no_period: LeftOut) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for index, now in enumerate(this.month_ends):
        before = last.month_ends[index] if index < len(last.month_ends) else None
        label = f"{now.day:%d %b %Y}" + (f" ({before.day:%d %b %Y})" if before else "")
        rows.append(
            (
                label,
                Compared(now.in_care, before.in_care if before else None),
                Compared(now.uasc, before.uasc if before else None),
            )
        )
    return Table(
        key="children_in_care_by_month",
        title="Children in care at the end of each month",
        columns=("Month end", "Children in care", "of whom UASC"),
        rows=tuple(rows),
        csv=(
            compared_csv(
                "children_in_care_by_month",
                "month_end",
                ("in_care", "uasc"),
                # This period's date, ISO: last period's is the same month a period earlier.
                [
                    (m.day.isoformat(), *row[1:])
                    for m, row in zip(this.month_ends, rows, strict=True)
                ],
            ),
        ),
        source=CARE_SOURCE,
        left_out=(no_period,),
    )
