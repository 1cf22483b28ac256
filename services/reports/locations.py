"""Where CIC reviews were held (seed report 11, "Number and location of the CIC reviews").

Built from every review meeting held in the span with the place recorded for it
(``storage.reporting.locations``); the counting rules are in ``domain.report_locations``.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.report_locations import (
    LocationFigures,
    ReviewLocation,
    location_figures,
    location_rows,
)
from domain.reporting import (
    NOT_RECORDED,
    Cell,
    Compared,
    Period,
    SectionResult,
    Table,
    compared_csv,
)
from services.reports.context import ReportContext
from storage.reporting.locations import load_review_locations

LOCATIONS_SOURCE = (
    "the CIC review meetings held in the period (a full review, or one part of a split review) "
    "and where each was held, as recorded in the bot"
)


class LocationsSection:
    key = "locations"
    title = "Where reviews were held"

    async def build(self, ctx: ReportContext) -> SectionResult:
        facts = await load_review_locations(ctx.session, ctx.span)
        return locations_section(facts, ctx.period, ctx.previous, ctx.rules.localities)


def locations_section(
    facts: Sequence[ReviewLocation], period: Period, previous: Period, localities: Sequence[str]
) -> SectionResult:
    this = location_figures(facts, period, localities)
    last = location_figures(facts, previous, localities)
    table = _places_table(this, last, localities)
    summary = (
        f"{this.held} ({last.held}) review meetings were held in {period.label} "
        f"({previous.label} in brackets); where it was held is not recorded for "
        f"{this.not_recorded} ({last.not_recorded}).",
    )
    return SectionResult(
        key="locations",
        title="Where reviews were held",
        summary=summary,
        tables=(table,),
        notes=(
            "Every review meeting held in the period counts once, as the seed report counts "
            "meetings: a full review, and each part of a split review (its Part 1 and its "
            "Part 2 were two meetings, perhaps in two places). So the total may be more than "
            'the reviews section\'s "All reviews held", which counts a split review once.',
            "The places are the authority's localities (the rules file's reviews.localities), "
            "most meetings first; then places typed that are not on the list, as typed (the "
            'same words in other capitals counted together); "not recorded" last. Where a '
            "review was held is asked when it is recorded in the bot; reviews recorded before "
            "that, and imported reviews, are not recorded.",
        ),
    )


def _places_table(this: LocationFigures, last: LocationFigures, localities: Sequence[str]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (row.place or NOT_RECORDED, Compared(row.this, row.last))
        for row in location_rows(this, last, localities)
    ]
    return Table(
        key="reviews_by_locality",
        title="Number and location of the CIC reviews",
        columns=("Locality", "Review meetings"),
        rows=tuple(rows),
        csv=(compared_csv("reviews_by_locality", "locality", ("number",), rows),),
        source=LOCATIONS_SOURCE,
        note=None if rows else "None in either period.",
    )
