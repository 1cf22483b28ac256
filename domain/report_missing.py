"""Children missing from care (seed report 19.4, 19.10-19.12; MISS-STRAT), from plain facts.

The SSDA903 missing module records two kinds of episode (its MISSING column; DfE SSDA903
guidance, as transcribed in the data-to-insight 903 validator's code list):

- ``M`` missing from care: not at the placement or where expected, whereabouts not known;
- ``A`` away from placement without authorisation: whereabouts known, but not where they should
  be, and the carer is concerned or the police or the authority have been told.

The seed report does not say whether its 104 "reported episodes" include the away ones. Both
are counted here, and the summary table shows how many of each (and how many have no kind), so a
reader who wants missing only can read it off.

Counting decisions:

- An episode counts in the period in which it **started**; its child and their age (full years
  on the start date) go with it. The age range leaves out the episodes of a child with no date
  of birth; the female/male split leaves out children with no sex recorded.
- **Episodes per child** (19.11): each episode is numbered among all of the child's episodes
  recorded in the store, in order of start, from the first ever (the seed's bands run to "31st
  to 37th reported episode" for a child with 36 "ever"; its "Number of children" column adds up
  to 38 for 26 children, so a child is counted once in every band their episodes of the period
  fall in). An episode of the period is counted in the band its number falls in; a band's
  children are the children with at least one such episode. The numbering is only as complete as
  the store: a return imported for one year numbers that year's first episode 1st.
- **How long** (19.12): the 903 records dates, not times, so the length is the number of days
  from the start date to the end date. Back the same day or the next (0 or 1 days) is "within
  24 hours" (an overnight episode spans two dates); 2, 3, 4 or 5 days is "within 2 days" and so
  on; 6 or more is "longer than 5 days". An episode with no end date (still missing, or the end
  not recorded) is left out of the lengths, with that reason; so is one whose end date is
  before its start (the SSDA903 import refuses those, but a store may hold one).
- **Strategy meetings** (MISS-STRAT): ``domain.missing.strategy_meeting_triggers`` over each
  child's episodes (all recorded, so a window that began before the period counts); a child
  counts in the period in which an episode brought them to the threshold.
- **Return home interviews**: each episode's recorded outcome; none recorded is "not recorded".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from domain.ages import age_on
from domain.missing import strategy_meeting_triggers
from domain.reporting import Period
from domain.rules import RuleSet

RHI_OUTCOMES = ("completed", "refused", "not_recorded")
KINDS: tuple[str | None, ...] = ("M", "A", None)
MALE, FEMALE = "1", "2"  # SSDA903 SEX


@dataclass(frozen=True)
class Band:
    """Episode numbers (or days) from ``low`` to ``high``, both included; None: no upper end."""

    low: int
    high: int | None
    label: str

    def __contains__(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and value >= self.low
            and (self.high is None or value <= self.high)
        )


# Seed 19.11 (its "25th to 30th" is read as 26th to 30th: 25th is already in 21st to 25th).
EPISODE_BANDS: tuple[Band, ...] = (
    Band(1, 1, "1st reported episode"),
    Band(2, 5, "2nd to 5th reported episode"),
    Band(6, 10, "6th to 10th reported episode"),
    Band(11, 15, "11th to 15th reported episode"),
    Band(16, 20, "16th to 20th reported episode"),
    Band(21, 25, "21st to 25th reported episode"),
    Band(26, 30, "26th to 30th reported episode"),
    Band(31, None, "31st reported episode and over"),
)
# Seed 19.12, in days from the start date to the end date.
DURATION_BANDS: tuple[Band, ...] = (
    Band(0, 1, "Found within 24 hours (back the same or the next day)"),
    Band(2, 2, "Found within 2 days"),
    Band(3, 3, "Found within 3 days"),
    Band(4, 4, "Found within 4 days"),
    Band(5, 5, "Found within 5 days"),
    Band(6, None, "Longer than 5 days"),
)


def band_index(bands: Sequence[Band], value: int) -> int:
    """The index of the band holding ``value`` (bands are contiguous from their first low)."""
    for index, band in enumerate(bands):
        if value in band:
            return index
    raise ValueError(f"{value} is in none of the bands")


@dataclass(frozen=True)
class MissingFact:
    """One recorded missing (or away) episode, with its child's details."""

    child_key: str
    started_on: date
    ended_on: date | None
    kind: str | None  # M, A or None (not recorded)
    rhi_outcome: str  # completed, refused, not_recorded
    born_on: date | None = None
    sex: str | None = None  # SSDA903 SEX: 1 male, 2 female


@dataclass(frozen=True)
class BandCount:
    episodes: int
    children: int


@dataclass(frozen=True)
class MissingFigures:
    episodes: int
    by_kind: Mapping[str | None, int]
    children: int
    female: int
    male: int
    sex_not_recorded: int  # children
    youngest: int | None  # age in years at the start of an episode
    oldest: int | None
    no_birth_date: int  # episodes left out of the age range
    rhi: Mapping[str, int]
    by_number: tuple[BandCount, ...]  # one per EPISODE_BANDS
    by_length: tuple[BandCount, ...]  # one per DURATION_BANDS
    not_ended: int  # episodes left out of the lengths: no end date
    ends_before_start: int  # and those whose end date is before their start (bad data)
    strategy_children: int  # children brought to the MISS-STRAT threshold in the period
    strategy_episodes: int  # episodes that did so


def missing_figures(facts: Iterable[MissingFact], period: Period, rules: RuleSet) -> MissingFigures:
    """The period's figures; ``facts`` holds every recorded episode of the children concerned
    (earlier ones too: they number the episodes and open MISS-STRAT windows)."""
    by_child: dict[str, list[MissingFact]] = defaultdict(list)
    for fact in facts:
        by_child[fact.child_key].append(fact)
    chosen: list[tuple[int, MissingFact]] = []  # (number among the child's episodes, episode)
    strategy_children: set[str] = set()
    strategy_episodes = 0
    for child, episodes in by_child.items():
        ordered = sorted(episodes, key=lambda f: f.started_on)
        chosen += [(n, f) for n, f in enumerate(ordered, 1) if f.started_on in period]
        triggers = strategy_meeting_triggers((f.started_on for f in ordered), rules)
        reached = [t for t in triggers if t.triggered_on in period]
        if reached:
            strategy_children.add(child)
            strategy_episodes += len(reached)

    kids = {f.child_key: f for _, f in chosen}
    sexes = Counter(f.sex for f in kids.values())
    ages = [age_on(f.born_on, f.started_on) for _, f in chosen if f.born_on is not None]
    rhi: Counter[str] = Counter({outcome: 0 for outcome in RHI_OUTCOMES})
    rhi.update(
        f.rhi_outcome if f.rhi_outcome in RHI_OUTCOMES else "not_recorded" for _, f in chosen
    )
    kinds: Counter[str | None] = Counter({kind: 0 for kind in KINDS})
    kinds.update(f.kind if f.kind in ("M", "A") else None for _, f in chosen)

    numbered = [(band_index(EPISODE_BANDS, n), f.child_key) for n, f in chosen]
    lengths = [
        (band_index(DURATION_BANDS, (f.ended_on - f.started_on).days), f.child_key)
        for _, f in chosen
        if f.ended_on is not None and f.ended_on >= f.started_on
    ]
    not_ended = sum(1 for _, f in chosen if f.ended_on is None)
    return MissingFigures(
        episodes=len(chosen),
        by_kind=dict(kinds),
        children=len(kids),
        female=sexes[FEMALE],
        male=sexes[MALE],
        sex_not_recorded=len(kids) - sexes[FEMALE] - sexes[MALE],
        youngest=min(ages, default=None),
        oldest=max(ages, default=None),
        no_birth_date=len(chosen) - len(ages),
        rhi=dict(rhi),
        by_number=_band_counts(numbered, len(EPISODE_BANDS)),
        by_length=_band_counts(lengths, len(DURATION_BANDS)),
        not_ended=not_ended,
        ends_before_start=len(chosen) - len(lengths) - not_ended,
        strategy_children=len(strategy_children),
        strategy_episodes=strategy_episodes,
    )


def _band_counts(placed: Sequence[tuple[int, str]], bands: int) -> tuple[BandCount, ...]:
    episodes = Counter(index for index, _ in placed)
    children = Counter(index for index, _ in set(placed))
    return tuple(BandCount(episodes[i], children[i]) for i in range(bands))
