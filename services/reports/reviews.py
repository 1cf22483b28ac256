"""CIC review figures (domain brief 7; seed report 7.5, 7.6, 8.1, 8.2, 8.5).

Each review is numbered and judged by ``domain.reviews.review_schedule`` over its child's whole
period of care, so the query (``storage.reporting.reviews.load_review_history``) loads every
review of each child who had one in the span, not only the reviews in the span: the first review
in April may be a child's fifth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.reporting import (
    NO_PERIOD_LEFT_OUT,
    NOT_RECORDED,
    OUTSIDE_CARE_LEFT_OUT,
    Cell,
    Chart,
    Compared,
    LeftOut,
    Period,
    ReviewFact,
    ReviewFigures,
    SectionResult,
    Series,
    Table,
    compared_csv,
    percent,
    review_facts,
    review_figures,
    split_part_left_out,
)
from domain.rules import RuleSet
from services.reports.context import ReportContext
from storage.reporting.reviews import load_review_history

REVIEWS_SOURCE = (
    "the CIC reviews recorded for each child (entered in the bot or imported), each numbered "
    "within the child's period of care"
)


class ReviewsSection:
    key = "reviews"
    title = "Child in care reviews"

    async def build(self, ctx: ReportContext) -> SectionResult:
        history = await load_review_history(ctx.session, ctx.span)
        facts = review_facts(history.episodes, ctx.rules, history.without_period)
        return reviews_section(facts, ctx.period, ctx.previous, ctx.rules)


def reviews_section(
    facts: Sequence[ReviewFact], period: Period, previous: Period, rules: RuleSet
) -> SectionResult:
    this = review_figures(facts, period)
    last = review_figures(facts, previous)
    on_time_this = percent(this.on_time, this.held)
    summary = [
        f"{this.held} ({last.held}) reviews were held in {period.label} "
        f"({previous.label} in brackets), about "
        f"{Compared(per_week(this.held, period), per_week(last.held, previous)).text()} a "
        f"week. Of these, {this.initial} ({last.initial}) were initial reviews for children "
        f"entering care, {this.second} ({last.second}) second reviews and {this.subsequent} "
        f"({last.subsequent}) subsequent reviews.",
        f"{Compared(on_time_this, percent(last.on_time, last.held), percent=True).text()} "
        "were held within the statutory timescale.",
    ]
    months = list(this.by_month)
    chart = Chart(
        key="review_timeliness_by_month",
        title=f"Reviews held each month, {period.label}",
        # The year under the first month and each January only: twelve "Apr 25" labels crowd.
        categories=tuple(
            f"{m:%b}\n{m:%Y}" if i == 0 or m.month == 1 else f"{m:%b}" for i, m in enumerate(months)
        ),
        series=(
            Series("Within timescale", tuple(float(this.by_month[m][0]) for m in months)),
            Series("Late", tuple(float(this.by_month[m][1]) for m in months)),
        ),
        y_label="Reviews held",
        stacked=True,
        description="Reviews held each month, within timescale and late: "
        + "; ".join(f"{m:%B %Y} {this.by_month[m][0]} and {this.by_month[m][1]}" for m in months)
        + ".",
    )
    decisions = rules.timescale("CIC-DECISIONS")
    minutes = rules.timescale("CIC-MINUTES")
    return SectionResult(
        key="reviews",
        title="Child in care reviews",
        summary=tuple(summary),
        tables=(
            _held_table(this, last, period, previous, rules),
            _reasons_table(
                "reviews_late_reasons",
                "Why reviews were held late",
                "Reviews held late",
                this.late_by_reason,
                last.late_by_reason,
            ),
            _reasons_table(
                "reviews_part1_reasons",
                "Why only Part 1 of a review could be held",
                "Part 1 reviews",
                this.part1_by_reason,
                last.part1_by_reason,
                (
                    LeftOut(
                        "Part 1s held outside any period of care of the child, or of a child "
                        "with no known period of care",
                        this.part1_left_out,
                        last.part1_left_out,
                    ),
                ),
            ),
            _paperwork_table(this, last, decisions.quantity, minutes.quantity),
        ),
        charts=(chart,),
        notes=(
            "A review counts in the period in which it was held. Initial, second and "
            "subsequent, and whether it was within timescale, are worked out exactly as the "
            "bot works out due dates (CIC-1, CIC-2, CIC-3, brought-forward reviews, and split "
            f"reviews counted from {_split_basis(rules)}).",
            f"Decisions are due within {decisions.quantity} (CIC-DECISIONS) and minutes within "
            f"{minutes.quantity} (CIC-MINUTES) of the review; a review with no date sent "
            "recorded is counted as not recorded.",
        ),
    )


def _split_basis(rules: RuleSet) -> str:
    return "Part 1" if rules.split_counts_from.value == "part1" else "the final part"


def per_week(held: int, period: Period) -> int:
    """Reviews held a week on average, to the nearest whole review (calendar weeks)."""
    days = (period.end - period.start).days + 1
    return round(held * 7 / days)


def _held_table(
    this: ReviewFigures, last: ReviewFigures, period: Period, previous: Period, rules: RuleSet
) -> Table:
    # The seed's 7.5: the reviews held, about how many a week, then initial, second and
    # subsequent; then 8.1's timeliness.
    rows: list[tuple[Cell, ...]] = [
        ("All reviews held", Compared(this.held, last.held)),
        (
            "Held a week, on average",
            Compared(per_week(this.held, period), per_week(last.held, previous)),
        ),
        ("Initial reviews", Compared(this.initial, last.initial)),
        ("Second reviews", Compared(this.second, last.second)),
        ("Subsequent reviews", Compared(this.subsequent, last.subsequent)),
        ("Held within timescale", Compared(this.on_time, last.on_time)),
        ("Held late", Compared(this.late, last.late)),
        (
            "% held within timescale",
            Compared(percent(this.on_time, this.held), percent(last.on_time, last.held), True),
        ),
    ]
    return Table(
        key="reviews_held",
        title="Reviews held and their timeliness",
        columns=("Reviews", "Number"),
        rows=tuple(rows),
        csv=(compared_csv("reviews_held", "measure", ("number",), rows),),
        source=REVIEWS_SOURCE,
        left_out=tuple(
            LeftOut(reason, this.left_out.get(reason, 0), last.left_out.get(reason, 0))
            for reason in (split_part_left_out(rules), OUTSIDE_CARE_LEFT_OUT, NO_PERIOD_LEFT_OUT)
        ),
        emphasis=frozenset({0}),
    )


def _reasons_table(
    key: str,
    title: str,
    column: str,
    this: Mapping[str | None, int],
    last: Mapping[str | None, int],
    left_out: tuple[LeftOut, ...] = (),
) -> Table:
    # Most frequent this period first, as the seed's tables are; "not recorded" last.
    reasons = sorted(
        {*this, *last},
        key=lambda r: (r is None, -this.get(r, 0), -last.get(r, 0), r or ""),
    )
    rows: list[tuple[Cell, ...]] = [
        (reason or NOT_RECORDED, Compared(this.get(reason, 0), last.get(reason, 0)))
        for reason in reasons
    ]
    return Table(
        key=key,
        title=title,
        columns=("Reason", column),
        rows=tuple(rows),
        csv=(compared_csv(key, "reason", ("number",), rows),),
        source=REVIEWS_SOURCE,
        left_out=left_out,
        note=None if rows else "None in either period.",
    )


def _paperwork_table(
    this: ReviewFigures, last: ReviewFigures, decisions_in: str, minutes_in: str
) -> Table:
    def row(name: str, now: tuple[int, int, int], before: tuple[int, int, int]) -> tuple[Cell, ...]:
        return (
            name,
            Compared(now[0], before[0]),
            Compared(now[1], before[1]),
            Compared(now[2], before[2]),
            Compared(percent(now[0], sum(now)), percent(before[0], sum(before)), True),
        )

    rows = (
        row(f"Decisions (within {decisions_in})", this.decisions, last.decisions),
        row(f"Minutes (within {minutes_in})", this.minutes, last.minutes),
    )
    return Table(
        key="reviews_paperwork",
        title="Decisions and minutes sent after the review",
        columns=("Sent", "Within timescale", "Late", "Not recorded", "% within timescale"),
        rows=rows,
        csv=(
            compared_csv(
                "reviews_paperwork",
                "document",
                ("within_timescale", "late", "not_recorded", "percent_within_timescale"),
                rows,
            ),
        ),
        source="the decisions and minutes sent dates recorded against the reviews held",
    )
