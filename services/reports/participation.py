"""Children's participation in their reviews (seed report 14.1, 14.2).

Built from every review held in the span with its SSDA903 participation code, who chaired it
where recorded, and the child's date of birth (``storage.reporting.participation``); the
counting rules are in ``domain.report_participation``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.report_participation import (
    LEFT_OUT_REASONS,
    ParticipationFact,
    ParticipationFigures,
    participation_figures,
)
from domain.reporting import (
    Cell,
    Compared,
    LeftOut,
    Period,
    SectionResult,
    Table,
    compared_csv,
)
from services.reports.context import ReportContext
from storage.reporting.participation import load_participation_facts

REVIEWS_SOURCE = "the CIC reviews held in the period and their SSDA903 participation codes"


class ParticipationSection:
    key = "participation"
    title = "Children's participation in their reviews"

    async def build(self, ctx: ReportContext) -> SectionResult:
        facts = await load_participation_facts(ctx.session, ctx.span)
        return participation_section(facts, ctx.period, ctx.previous)


def participation_section(
    facts: Sequence[ParticipationFact], period: Period, previous: Period
) -> SectionResult:
    this = participation_figures(facts, period)
    last = participation_figures(facts, previous)
    share = Compared(this.percent, last.percent, True).text()
    return SectionResult(
        key="participation",
        title="Children's participation in their reviews",
        summary=(
            f"The child contributed to {share} of the reviews of children aged 4 and over "
            f"held in {period.label} ({previous.label} in brackets); "
            f"{this.chaired_children} ({last.chaired_children}) young people chaired their own "
            "reviews where that is recorded.",
        ),
        tables=(
            _months_table(this, last, period),
            _chaired_table(this, last),
        ),
        notes=(
            "Contributed means the review's SSDA903 REVIEW_CODE is PN1 to PN6 (attended and "
            "spoke, through an advocate or symbolically, attended without contributing (PN4), "
            "or conveyed their views another way); PN7 means the child neither attended nor "
            "had their views conveyed. PN0 marks a child under 4, outside the measure.",
            "A review whose code and the child's date of birth disagree about whether the child "
            "was 4 is left out, as is a review with no code; with no date of birth stored, the "
            "code is taken as it is.",
            f"{_to_date_label(period)} counts from the start of the period to the end of the "
            "month. Who chaired the review is not in the SSDA903: it comes from the chaired "
            "column of the bot's reviews import.",
        ),
    )


def _to_date_label(period: Period) -> str:
    return "Year to date" if period.label[:4].isdigit() else "Period to date"


def _month_label(this: date | None, last: date | None) -> str:
    now = f"{this:%b-%y}" if this else "–"
    return f"{now} ({last:%b-%y})" if last else now


def _months_table(this: ParticipationFigures, last: ParticipationFigures, period: Period) -> Table:
    rows: list[tuple[Cell, ...]] = []
    # Months side by side by position: April beside last April for a year.
    count = max(len(this.months), len(last.months))
    for i in range(count):
        now = this.months[i] if i < len(this.months) else None
        before = last.months[i] if i < len(last.months) else None
        rows.append(
            (
                _month_label(now.month if now else None, before.month if before else None),
                Compared(now.measured if now else None, before.measured if before else None),
                Compared(now.contributed if now else None, before.contributed if before else None),
                Compared(now.percent if now else None, before.percent if before else None, True),
                Compared(
                    now.percent_to_date if now else None,
                    before.percent_to_date if before else None,
                    True,
                ),
            )
        )
    rows.append(
        (
            "Whole period",
            Compared(this.measured, last.measured),
            Compared(this.contributed, last.contributed),
            Compared(this.percent, last.percent, True),
            Compared(this.percent, last.percent, True),
        )
    )
    to_date = f"% of reviews {_to_date_label(period).lower()}"
    columns = (
        "Month",
        "Reviews of children aged 4+",
        "Child contributed",
        "% of reviews this month",
        to_date,
    )
    return Table(
        key="participation_by_month",
        title="Percentage of CIC reviews for those aged 4+ where the child or young person "
        "contributed to their review",
        columns=columns,
        rows=tuple(rows),
        csv=(
            compared_csv(
                "participation_by_month",
                "month",
                ("reviews", "contributed", "percent_month", "percent_to_date"),
                rows,
            ),
        ),
        source=REVIEWS_SOURCE + ", with each child's date of birth",
        left_out=tuple(
            LeftOut(reason, this.left_out[key], last.left_out[key])
            for key, reason in LEFT_OUT_REASONS.items()
        ),
        emphasis=frozenset({len(rows) - 1}),
    )


def _chaired_table(this: ParticipationFigures, last: ParticipationFigures) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            "Young people who chaired their own review",
            Compared(this.chaired_children, last.chaired_children),
        ),
        (
            "Reviews chaired by the young person",
            Compared(this.chaired_reviews, last.chaired_reviews),
        ),
        (
            "Reviews where who chaired is recorded",
            Compared(this.chaired_recorded, last.chaired_recorded),
        ),
    ]
    return Table(
        key="participation_chaired",
        title="Young people who chaired their own review",
        columns=("Measure", "Number"),
        rows=tuple(rows),
        csv=(compared_csv("participation_chaired", "measure", ("number",), rows),),
        source="the CIC reviews held in the period where who chaired them is recorded",
        left_out=(
            LeftOut(
                "reviews with who chaired not recorded",
                this.chaired_not_recorded,
                last.chaired_not_recorded,
            ),
        ),
    )
