"""Children missing from care (domain brief 7; seed report 19.4, 19.10-19.12, 19.16; MISS-STRAT).

Episodes are numbered among all of a child's recorded episodes and MISS-STRAT windows may open
before the period, so the query (``storage.reporting.missing.load_missing_facts``) loads every
episode (to the span's end) of each child who had one in the span, not only the episodes in the
span. The counting rules are in ``domain.report_missing``.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.report_missing import (
    DURATION_BANDS,
    EPISODE_BANDS,
    Band,
    BandCount,
    MissingFact,
    MissingFigures,
    missing_figures,
)
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
from storage.reporting.missing import load_missing_facts

_RHI_LABELS = {
    "completed": "Return home interview completed",
    "refused": "Return home interview refused",
    "not_recorded": "Return home interview not recorded",
}
_KIND_LABELS = {
    "M": "of which missing (M: whereabouts not known)",
    "A": "of which away from placement without authorisation (A)",
    None: "of which M or A not recorded",
}


class MissingSection:
    key = "missing"
    title = "Children missing from care"

    async def build(self, ctx: ReportContext) -> SectionResult:
        facts = await load_missing_facts(ctx.session, ctx.span)
        return missing_section(facts, ctx.period, ctx.previous, ctx.rules)


def missing_section(
    facts: Sequence[MissingFact], period: Period, previous: Period, rules: RuleSet
) -> SectionResult:
    this = missing_figures(facts, period, rules)
    last = missing_figures(facts, previous, rules)
    strat = rules.timescale("MISS-STRAT")
    threshold = f"{strat.episodes or 3} or more episodes within {strat.quantity}"
    return SectionResult(
        key="missing",
        title="Children missing from care",
        summary=(
            f"{this.episodes} ({last.episodes}) missing or away episodes involving "
            f"{this.children} ({last.children}) children started in {period.label} "
            f"({previous.label} in brackets); {this.strategy_children} "
            f"({last.strategy_children}) children had {threshold} (MISS-STRAT).",
        ),
        tables=(
            _summary_table(this, last),
            _bands_table(
                "missing_episode_numbers",
                "Number of missing episodes: each episode by its number among the child's episodes",
                "Episode",
                EPISODE_BANDS,
                this.by_number,
                last.by_number,
                source="the missing and away episodes that started in the period, each numbered "
                "among all the episodes recorded for its child, first to last",
                left_out=(),
            ),
            _bands_table(
                "missing_durations",
                "Length of time the children were missing per episode",
                "Length of the episode",
                DURATION_BANDS,
                this.by_length,
                last.by_length,
                source="the missing and away episodes that started in the period, by the days "
                "from their start date to their end date",
                left_out=(
                    LeftOut("episodes with no end date", this.not_ended, last.not_ended),
                    LeftOut(
                        "episodes whose end date is before their start",
                        this.ends_before_start,
                        last.ends_before_start,
                    ),
                ),
            ),
            _strategy_table(this, last, threshold),
        ),
        notes=(
            "An episode counts in the period in which it started, with its child's age on "
            "that day. Missing (M) and away from placement without authorisation (A) episodes "
            "are both counted, as the SSDA903 missing module records both.",
            "Episode numbers count every episode recorded for the child, from the first ever "
            "recorded: a child appears in each band their episodes of the period fall in.",
            "The SSDA903 records dates, not times: an episode's length is the days from its "
            "start date to its end date, and one back the same or the next day counts as "
            "found within 24 hours.",
            "A return home interview with no outcome recorded counts as not recorded.",
        ),
    )


def _summary_table(this: MissingFigures, last: MissingFigures) -> Table:
    rows: list[tuple[Cell, ...]] = [
        ("Missing episodes", Compared(this.episodes, last.episodes), None),
    ]
    for kind, label in _KIND_LABELS.items():
        rows.append((label, Compared(this.by_kind[kind], last.by_kind[kind]), None))
    rows += [
        ("Children who went missing", Compared(this.children, last.children), None),
        ("of whom female", Compared(this.female, last.female), None),
        ("of whom male", Compared(this.male, last.male), None),
        ("Youngest age at the start of an episode", Compared(this.youngest, last.youngest), None),
        ("Oldest age at the start of an episode", Compared(this.oldest, last.oldest), None),
    ]
    for outcome, label in _RHI_LABELS.items():
        rows.append(
            (
                label,
                Compared(this.rhi[outcome], last.rhi[outcome]),
                Compared(
                    percent(this.rhi[outcome], this.episodes),
                    percent(last.rhi[outcome], last.episodes),
                    True,
                ),
            )
        )
    return Table(
        key="missing_summary",
        title="Missing episodes, the children involved and return home interviews (MISS-RHI)",
        columns=("Measure", "Number", "% of episodes"),
        rows=tuple(rows),
        csv=(compared_csv("missing_summary", "measure", ("number", "percent"), rows),),
        source="the missing and away episodes that started in the period, with their "
        "children's date of birth and sex",
        left_out=(
            LeftOut(
                "episodes of children with no date of birth (not in the age range)",
                this.no_birth_date,
                last.no_birth_date,
            ),
            LeftOut(
                "children with no sex recorded (not in the female and male counts)",
                this.sex_not_recorded,
                last.sex_not_recorded,
            ),
        ),
        emphasis=frozenset({0, 4}),
    )


def _bands_table(
    key: str,
    title: str,
    first: str,
    bands: Sequence[Band],
    this: Sequence[BandCount],
    last: Sequence[BandCount],
    *,
    source: str,
    left_out: tuple[LeftOut, ...],
) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            band.label,
            Compared(now.episodes, before.episodes),
            Compared(now.children, before.children),
        )
        for band, now, before in zip(bands, this, last, strict=True)
    ]
    return Table(
        key=key,
        title=title,
        columns=(first, "Number of episodes", "Number of children"),
        rows=tuple(rows),
        csv=(compared_csv(key, "band", ("episodes", "children"), rows),),
        source=source,
        left_out=left_out,
    )


def _strategy_table(this: MissingFigures, last: MissingFigures, threshold: str) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            f"Children with {threshold}",
            Compared(this.strategy_children, last.strategy_children),
        ),
        (
            f"Episodes that brought a child to {threshold}",
            Compared(this.strategy_episodes, last.strategy_episodes),
        ),
    ]
    return Table(
        key="missing_strategy",
        title="Children needing a strategy meeting for repeated missing episodes (MISS-STRAT)",
        columns=("Measure", "Number"),
        rows=tuple(rows),
        csv=(compared_csv("missing_strategy", "measure", ("number",), rows),),
        source="every missing and away episode recorded for the children who had one in the "
        "period, counted in the period of the episode that reached the threshold",
    )
