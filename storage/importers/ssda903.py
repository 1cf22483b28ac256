"""Writing an SSDA903 return (read and checked by ``services.imports.ssda903``).

- header: adds children that are not stored yet, with no names (the 903 has none), and keeps
  DOB, SEX and UASC up to date;
- episodes: periods of care, see below;
- reviews: reviews held, with the participation code;
- missing: missing / away episodes;
- uasc: each child is marked UASC (the store holds the flag only).

Periods of care from episodes (already checked to chain: each starts after the previous one
ended). A child's episodes are taken in DECOM order. An episode with RNE = S starts a period; an
episode that ends (DEC) with a REC other than X1 ends it on that DEC (X1 means the episode ended
but care continued).

A return covers one year, so a child already in care when it starts has no S episode in it. Such
a leading run of episodes continues the stored period of care that covers its first DECOM (from
an earlier return or a children file); when there is none, its start is unknown and no period is
invented (``EpisodesWritten.unknown_start`` counts these children). Periods are added or updated,
never deleted: last year's periods are not in this year's return.

The child's ``looked_after_since`` follows the last period: its start while it is open, blank
once it has ended; it is left alone when the last period's start is unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.importers.common import Written, children_by_id, chunks, insert_rows, outcome
from storage.models import Child, MissingEpisode, PeriodOfCare, Review

SOURCE = "ssda903"
CARE_CONTINUES = "X1"  # REC: the episode ended but the child stayed in care
STARTED = "S"  # RNE: started to be looked after


@dataclass(frozen=True)
class HeaderRow:
    line: int
    child_id: str
    dob: date
    sex: str | None
    uasc: bool | None


@dataclass(frozen=True)
class EpisodeRow:
    line: int
    child_id: str
    start: date
    rne: str
    end: date | None
    rec: str | None


@dataclass(frozen=True)
class ReviewRow:
    line: int
    child_id: str
    held_on: date
    code: str | None
    dob: date | None


@dataclass(frozen=True)
class MissingRow:
    line: int
    child_id: str
    start: date
    end: date | None
    kind: str | None
    dob: date | None


@dataclass(frozen=True)
class UascRow:
    line: int
    child_id: str
    dob: date | None
    ceased: date | None  # DUC


@dataclass
class Segment:
    """A run of episodes in one period of care; ``start`` is None when it began earlier."""

    first: date
    start: date | None
    end: date | None = None
    reason: str | None = None


@dataclass
class HeaderWritten(Written):
    """What the header did, and every child of the return by id (the stored and the new)."""

    children: dict[str, Child] = field(default_factory=dict)


@dataclass
class EpisodesWritten(Written):
    """One outcome per period of care, and two counts of children."""

    unknown_start: int = 0  # children whose episodes continue a period of unknown start
    moved: int = 0  # children whose looked_after_since changed


async def write_header(
    session: AsyncSession, records: Sequence[HeaderRow], stored: dict[str, Child]
) -> HeaderWritten:
    """Add the children not in ``stored`` (the stored children of the return, by id)."""
    written = HeaderWritten(children=dict(stored))
    new: list[dict[str, Any]] = []
    for record in records:
        child = written.children.get(record.child_id)
        if child is None:
            # The 903 carries no names: a caseload (children) file adds them.
            new.append(
                {
                    "child_id": record.child_id,
                    "date_of_birth": record.dob,
                    "sex": record.sex,
                    "uasc": bool(record.uasc),
                }
            )
            written.outcomes.append("created")
            continue
        changed = False
        for attr, value in (
            ("date_of_birth", record.dob),
            ("sex", record.sex),
            ("uasc", record.uasc),
        ):
            if value is not None and getattr(child, attr) != value:
                setattr(child, attr, value)
                changed = True
        written.outcomes.append(outcome(False, changed))
    await insert_rows(session, Child, new)
    # The new children's ids, for their periods, reviews and missing episodes.
    written.children.update(await children_by_id(session, (row["child_id"] for row in new)))
    return written


async def write_episodes(
    session: AsyncSession, records: Sequence[EpisodeRow], children: dict[str, Child]
) -> EpisodesWritten:
    """Add or update the periods of care the episodes make; move ``looked_after_since``."""
    written = EpisodesWritten()
    segments: dict[str, list[Segment]] = defaultdict(list)
    for episode in sorted(records, key=lambda e: (e.child_id, e.start)):
        runs = segments[episode.child_id]
        if episode.rne == STARTED or not runs or runs[-1].end is not None:
            start = episode.start if episode.rne == STARTED else None
            runs.append(Segment(first=episode.start, start=start))
        if episode.end is not None and episode.rec != CARE_CONTINUES:
            runs[-1].end, runs[-1].reason = episode.end, episode.rec

    periods: dict[int, list[PeriodOfCare]] = defaultdict(list)
    pks = {children[c].id for c in segments}
    for batch in chunks(pks):
        for period in await session.scalars(
            select(PeriodOfCare).where(PeriodOfCare.child_pk.in_(batch))
        ):
            periods[period.child_pk].append(period)

    new: list[dict[str, Any]] = []
    for child_id, runs in segments.items():
        child = children[child_id]
        known = periods[child.id]
        current_start = None  # the start of the period the latest segment belongs to
        for segment in runs:
            if segment.start is None:
                period = _covering(known, segment.first)
                if period is None:
                    written.unknown_start += 1
                    current_start = None
                    continue
            else:
                period = next((p for p in known if p.started_on == segment.start), None)
            if period is None:
                assert segment.start is not None  # a segment of unknown start never gets here
                new.append(
                    {
                        "child_pk": child.id,
                        "started_on": segment.start,
                        "ended_on": segment.end,
                        "reason_ended": segment.reason,
                        "source": SOURCE,
                    }
                )
                written.outcomes.append("created")
                current_start: date | None = segment.start
            else:
                changed = (period.ended_on, period.reason_ended) != (segment.end, segment.reason)
                period.ended_on, period.reason_ended = segment.end, segment.reason
                written.outcomes.append(outcome(False, changed))
                current_start = period.started_on
        last = runs[-1]
        if last.end is not None:
            since: date | None = None  # the child has left care
        elif current_start is not None:
            since = current_start
        else:
            continue  # in care since a date these episodes do not give: leave it
        if child.looked_after_since != since:
            child.looked_after_since = since
            written.schedule_changed.append(child)
            written.moved += 1
    await insert_rows(session, PeriodOfCare, new)
    return written


async def write_reviews(
    session: AsyncSession, records: Sequence[ReviewRow], children: dict[str, Child]
) -> Written:
    """Add the reviews not stored yet (as full reviews); keep their participation codes."""
    written = Written()
    stored: dict[tuple[int, date], Review] = {}
    pks = {children[r.child_id].id for r in records}
    for batch in chunks(pks):
        for review in await session.scalars(select(Review).where(Review.child_pk.in_(batch))):
            # The 903 does not split reviews: a Part 1 or Part 2 held that day is the same
            # meeting, and a second "full" row beside it would count the review twice.
            key = (review.child_pk, review.held_on)
            if key not in stored or review.part == "full":
                stored[key] = review
    new: list[dict[str, Any]] = []
    for record in records:
        child = children[record.child_id]
        key = (child.id, record.held_on)
        if key not in stored:
            new.append(
                {
                    "child_pk": child.id,
                    "held_on": record.held_on,
                    "part": "full",
                    "participation_code": record.code,
                    "source": SOURCE,
                }
            )
            written.schedule_changed.append(child)
            written.outcomes.append("created")
            continue
        review = stored[key]
        if record.code and review.participation_code != record.code:
            review.participation_code = record.code
            written.outcomes.append("updated")
        else:
            written.outcomes.append("unchanged")
    await insert_rows(session, Review, new)
    return written


async def write_missing(
    session: AsyncSession, records: Sequence[MissingRow], children: dict[str, Child]
) -> Written:
    """Add or update each missing / away episode."""
    written = Written()
    stored: dict[tuple[int, date], MissingEpisode] = {}
    pks = {children[r.child_id].id for r in records}
    for batch in chunks(pks):
        for episode in await session.scalars(
            select(MissingEpisode).where(MissingEpisode.child_pk.in_(batch))
        ):
            stored[(episode.child_pk, episode.started_on)] = episode
    new: list[dict[str, Any]] = []
    for record in records:
        child = children[record.child_id]
        episode = stored.get((child.id, record.start))
        if episode is None:
            new.append(
                {
                    "child_pk": child.id,
                    "started_on": record.start,
                    "ended_on": record.end,
                    "kind": record.kind,
                    "source": SOURCE,
                }
            )
            written.outcomes.append("created")
            continue
        changed = False
        for attr, value in (("ended_on", record.end), ("kind", record.kind)):
            if getattr(episode, attr) != value:
                setattr(episode, attr, value)
                changed = True
        written.outcomes.append(outcome(False, changed))
    await insert_rows(session, MissingEpisode, new)
    return written


async def write_uasc(
    session: AsyncSession, records: Sequence[UascRow], children: dict[str, Child]
) -> Written:
    """Mark each child UASC."""
    written = Written()
    for record in records:
        child = children[record.child_id]
        changed = not child.uasc
        child.uasc = True
        written.outcomes.append(outcome(False, changed))
    return written


def _covering(periods: list[PeriodOfCare], day: date) -> PeriodOfCare | None:
    """The stored period of care that ``day`` falls in, if any (the latest-starting one)."""
    covering = [
        p for p in periods if p.started_on <= day and (p.ended_on is None or p.ended_on >= day)
    ]
    return max(covering, key=lambda p: p.started_on, default=None)
