"""CIC review figures (domain brief 7; seed report 7.5, 7.6, 8.1, 8.2, 8.5): the query.

Each review is numbered and judged by ``domain.reviews.review_schedule`` over its child's whole
period of care, so the query loads every review of each child who had one in the span, not only
the reviews in the span: the first review in April may be a child's fifth. The section is
``services.reports.reviews``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reporting import CareEpisode, Period, StoredReview
from domain.reviews import ReviewPart
from storage.models import Child, PeriodOfCare, Review
from storage.schedule import among, brought_forward_by_child


@dataclass(frozen=True)
class ReviewHistory:
    episodes: list[CareEpisode]
    # Reviews of children with no known period of care: (child key, review).
    without_period: list[tuple[str, StoredReview]]


async def load_care_episodes(session: AsyncSession, span: Period) -> list[CareEpisode]:
    """The periods of care of every child with a review held within ``span``."""
    return (await load_review_history(session, span)).episodes


async def load_review_history(session: AsyncSession, span: Period) -> ReviewHistory:
    """The periods of care, with all their reviews, of every child with a review in ``span``;
    and the reviews of such children whose period of care is not known."""
    wanted = (
        select(Review.child_pk)
        .where(Review.held_on >= span.start, Review.held_on <= span.end)
        .distinct()
    )
    children = {
        pk: (child_id, since)
        for pk, child_id, since in await session.execute(
            select(Child.id, Child.child_id, Child.looked_after_since).where(Child.id.in_(wanted))
        )
    }
    periods: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for pk, started, ended in await session.execute(
        select(PeriodOfCare.child_pk, PeriodOfCare.started_on, PeriodOfCare.ended_on).where(
            PeriodOfCare.child_pk.in_(wanted)
        )
    ):
        periods[pk].append((started, ended))
    reviews: dict[int, list[StoredReview]] = defaultdict(list)
    for row in await session.execute(
        select(
            Review.child_pk,
            Review.held_on,
            Review.part,
            Review.late_reason,
            Review.part1_reason,
            Review.decisions_sent_on,
            Review.minutes_sent_on,
        ).where(Review.child_pk.in_(wanted))
    ):
        reviews[row.child_pk].append(
            StoredReview(
                held_on=row.held_on,
                part=ReviewPart.parse(row.part),
                late_reason=row.late_reason,
                part1_reason=row.part1_reason,
                decisions_sent_on=row.decisions_sent_on,
                minutes_sent_on=row.minutes_sent_on,
            )
        )
    directions = await brought_forward_by_child(session, among(wanted))

    episodes: list[CareEpisode] = []
    without_period: list[tuple[str, StoredReview]] = []
    for pk, (child_id, since) in children.items():
        known = care_periods(periods.get(pk, []), since)
        if not known:
            without_period += [(child_id, review) for review in reviews.get(pk, ())]
        for started, ended in known:
            episodes.append(
                CareEpisode(
                    child_key=child_id,
                    started_on=started,
                    ended_on=ended,
                    reviews=tuple(reviews.get(pk, ())),
                    directions=tuple(directions.get(pk, ())),
                )
            )
    return ReviewHistory(episodes, without_period)


def care_periods(
    stored: Sequence[tuple[date, date | None]], looked_after_since: date | None
) -> list[tuple[date, date | None]]:
    """A child's periods of care, in order, none overlapping.

    The stored periods, plus the current one from ``looked_after_since`` when no stored period
    starts then (a child entered by hand may have no period rows). A period left open (no end)
    that is followed by another ends the day before the next starts, so no review is judged
    twice.
    """
    starts: dict[date, date | None] = {}
    for started, ended in stored:
        starts[started] = ended if started not in starts else (starts[started] or ended)
    if looked_after_since is not None and looked_after_since not in starts:
        starts[looked_after_since] = None
    ordered = sorted(starts.items())
    out: list[tuple[date, date | None]] = []
    for index, (started, ended) in enumerate(ordered):
        if index + 1 < len(ordered):
            next_start = ordered[index + 1][0]
            if ended is None or ended >= next_start:
                ended = date.fromordinal(next_start.toordinal() - 1)
        out.append((started, ended))
    return out
