"""Where CIC reviews were held (seed report 11, "Number and location of the CIC reviews"), from
plain facts.

The seed counts review *meetings* by the locality they were held in, most first. The counting
rules (each a decision the seed leaves implicit):

- Every review meeting held in the period counts once: a full review, and each part of a split
  review (its Part 1 and its Part 2 were two meetings, possibly in two places). So the total
  here may be more than the reviews section's "All reviews held", which counts a split review
  once; nothing is left out for being outside a period of care, since the meeting was held.
- A place is one of the authority's localities (the rules file's ``reviews.localities``), or
  the words typed when it was not on the list. A typed place that is a listed locality but for
  capitals and spaces counts as that locality; other typed places count together when they are
  the same words but for capitals and spaces, shown as most often spelt.
- The rows: the listed localities first, most meetings this period first (then last period,
  then the list's order); then the typed places, the same way (then alphabetically); "not
  recorded" (a review recorded before the bot asked, or imported) last. A place with no
  meeting in either period has no row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from domain.reporting import Period


@dataclass(frozen=True)
class ReviewLocation:
    """One review meeting as stored (a split review has one per part)."""

    held_on: date
    held_at: str | None  # a listed locality, the words typed, or None: not recorded


def place_key(place: str) -> str:
    """Two spellings of one place compare equal: capitals and runs of spaces ignored."""
    return " ".join(place.split()).casefold()


@dataclass(frozen=True)
class LocationFigures:
    """Meetings held in one period, by the row they count in (None: not recorded)."""

    held: int
    by_place: Mapping[str | None, int]

    @property
    def not_recorded(self) -> int:
        return self.by_place.get(None, 0)


def location_figures(
    facts: Iterable[ReviewLocation], period: Period, localities: Sequence[str]
) -> LocationFigures:
    """The meetings held in ``period`` by place: a listed locality's label, a typed place's
    commonest spelling, or None when where it was held is not recorded.

    Only the spellings of the facts in the period are looked at, so a place spelt two ways is
    shown one way in a period; ``compare`` joins two periods' rows by ``place_key``.
    """
    listed = {place_key(label): label for label in localities}
    counts: Counter[str | None] = Counter()
    spellings: dict[str, Counter[str]] = {}
    held = 0
    for fact in facts:
        if fact.held_on not in period:
            continue
        held += 1
        place = " ".join((fact.held_at or "").split())
        if not place:
            counts[None] += 1
            continue
        key = place_key(place)
        if key not in listed:
            spellings.setdefault(key, Counter())[place] += 1
        counts[key] += 1
    by_place: dict[str | None, int] = {}
    for key, count in counts.items():
        if key is None:
            by_place[None] = count
        elif key in listed:
            by_place[listed[key]] = count
        else:
            by_place[_commonest(spellings[key])] = count
    return LocationFigures(held, by_place)


def _commonest(spellings: Counter[str]) -> str:
    # The spelling typed most often; of equals, the first in sorted order (so it is stable).
    return min(spellings, key=lambda s: (-spellings[s], s))


@dataclass(frozen=True)
class LocationRow:
    place: str | None  # None: not recorded
    listed: bool  # one of the authority's localities
    this: int
    last: int


def location_rows(
    this: LocationFigures, last: LocationFigures, localities: Sequence[str]
) -> list[LocationRow]:
    """The table's rows in the seed's order (see the module's docstring): listed localities,
    then typed places, each most first; "not recorded" last; places with no meeting left out."""
    order = {place_key(label): index for index, label in enumerate(localities)}
    rows: dict[str | None, list] = {}  # place key -> [shown as, this, last]
    for figures, column in ((this, 1), (last, 2)):
        for place, count in figures.by_place.items():
            key = None if place is None else place_key(place)
            # This period's spelling wins for a place spelt differently in the two periods.
            row = rows.setdefault(key, [place, 0, 0])
            row[column] += count
    out = [
        LocationRow(shown, key is not None and key in order, now, before)
        for key, (shown, now, before) in rows.items()
        if now or before
    ]

    def rank(row: LocationRow) -> tuple:
        if row.place is None:
            return (2,)
        key = place_key(row.place)
        if row.listed:
            return (0, -row.this, -row.last, order[key])
        return (1, -row.this, -row.last, key, row.place)

    return sorted(out, key=rank)
