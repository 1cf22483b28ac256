"""IRO caseloads (seed report 6.1): children in care per IRO against the IRO Handbook's 50-70."""

from __future__ import annotations

from domain.report_care import HANDBOOK_CASELOAD, Caseloads, caseloads, handbook_band
from domain.reporting import (
    Cell,
    Compared,
    LeftOut,
    Period,
    SectionResult,
    Table,
    compared_csv,
)
from services.reports.care import children_in_care_for, reviewed_without_period
from services.reports.context import ReportContext
from storage.reporting.care import CareData

CASELOAD_SOURCE = (
    "each child's periods of care and the IRO allocated to the child now (the store keeps the "
    "current allocation, not its history)"
)


class CaseloadsSection:
    key = "caseloads"
    title = "IRO caseloads"

    async def build(self, ctx: ReportContext) -> SectionResult:
        data = await children_in_care_for(ctx)
        return caseloads_section(data, ctx.period, ctx.previous)


def caseloads_section(data: CareData, period: Period, previous: Period) -> SectionResult:
    this, last = caseloads(data.children, period), caseloads(data.children, previous)
    low, high = HANDBOOK_CASELOAD
    left_out = (
        LeftOut(
            "children in care on the last day with no IRO recorded",
            this.unallocated_at_end,
            last.unallocated_at_end,
        ),
        LeftOut(
            "children in care at a month end with no IRO recorded (one per child per month "
            "end, left out of the averages)",
            this.unallocated_total,
            last.unallocated_total,
        ),
        LeftOut(
            "children with a review in the period but no known period of care",
            reviewed_without_period(data, period),
            reviewed_without_period(data, previous),
        ),
    )
    at_end = Compared(this.per_iro_at_end, last.per_iro_at_end)
    average = Compared(this.per_iro_average, last.per_iro_average)
    if this.total or last.total:
        summary = (
            f"On the last day of {period.label} each IRO held {at_end.text()} children in care "
            f"on average ({previous.label} in brackets); over the period's month ends, "
            f"{average.text()}. The IRO Handbook recommends {low} to {high} children in care "
            "for a full-time IRO."
        )
    else:
        summary = (
            "No child in care in either period has an IRO recorded, so there are no caseloads "
            "to show (IROs are allocated in the bot or by a children file's iro_email)."
        )
    return SectionResult(
        key="caseloads",
        title="IRO caseloads",
        summary=(summary,),
        tables=(_table(this, last, left_out),),
        notes=(
            "An IRO's caseload on a day is the children in care that day whose allocated IRO "
            "is that person (an IRO covering for a colleague is not counted). The store keeps "
            "each child's current IRO, not who held the child before, so both periods are "
            "counted with today's allocations: a child who changed IRO counts with their "
            "current IRO throughout.",
            "The average for an IRO is the mean of their caseload over the month ends. "
            "Children per IRO on a day is the children in care with an IRO divided by the IROs "
            "holding at least one of them that day; the average is its mean over the month "
            "ends. Caseloads are in children in care only: child protection work is not "
            f"counted, and the {low}-{high} range is for full-time IROs.",
        ),
    )


def _table(this: Caseloads, last: Caseloads, left_out: tuple[LeftOut, ...]) -> Table:
    names = sorted({*this.total, *last.total}, key=lambda n: n.lower())
    rows: list[tuple[Cell, ...]] = [
        (
            name,
            Compared(this.at_end.get(name, 0), last.at_end.get(name, 0)),
            Compared(this.average(name), last.average(name)),
            handbook_band(this.at_end.get(name, 0)),
        )
        for name in names
    ]
    rows.append(
        (
            "Children per IRO",
            Compared(this.per_iro_at_end, last.per_iro_at_end),
            Compared(this.per_iro_average, last.per_iro_average),
            handbook_band(this.per_iro_at_end),
        )
    )
    low, high = HANDBOOK_CASELOAD
    return Table(
        key="iro_caseloads",
        title="Children in care per IRO",
        columns=(
            "IRO",
            "On the last day",
            "Average over the month ends",
            f"Against the Handbook's {low}-{high} (last day)",
        ),
        rows=tuple(rows),
        csv=(
            compared_csv(
                "iro_caseloads", "iro", ("last_day", "month_end_average", "handbook_range"), rows
            ),
        ),
        source=CASELOAD_SOURCE,
        left_out=left_out,
        emphasis=frozenset({len(rows) - 1}),
    )
