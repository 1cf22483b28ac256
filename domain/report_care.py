"""Children in care, children leaving care and IRO caseloads, from each child's periods of care.

Seed report 6.1 (caseloads), 7.1 and 7.3 (children in care, UASC, starting and leaving care) and
12.3 (why children left care). Pure: the facts come from ``storage.reporting.care``.

Counting rules (each one a decision the seed leaves implicit; the DfE's where it has one):

- A child is **in care on a day** when one of their periods of care started on or before it and
  had not ended by it. The day a period ends is the day the child ceased to be looked after
  (SSDA903 DEC), so a child who left on 31 March is not in care at 31 March: the DfE's "looked
  after at 31 March" counts only episodes still open then.
- **Month ends** are the last day of every month the period covers, and the period's last day
  when that is not a month end; the average number in care is the mean over those days.
- **Started** and **ceased** count children, not periods, as the DfE does: a child who started
  twice in the year counts once (their first start), a child who left twice counts once (their
  last leaving, whose REC code gives the reason). The other periods are reported as left out.
- **Left at 18**: a child aged 18 or over on the day care ended (from their date of birth).
- An **IRO's caseload** on a day is the children in care that day whose allocated IRO is that
  person. The store keeps each child's current IRO, not the history of allocations, so both
  periods are counted with today's allocations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from domain.ages import age_on
from domain.calendar import month_end
from domain.rec_codes import FAMILY_OR_ADOPTED, rec_group
from domain.reporting import Period, percent

ADULT_AGE = 18
#: The IRO Handbook's caseload for a full-time IRO, as the seed report (6.1) quotes it.
HANDBOOK_CASELOAD = (50, 70)
NO_REASON = "No reason recorded"


@dataclass(frozen=True)
class CarePeriod:
    started_on: date
    ended_on: date | None
    reason_ended: str | None = None  # SSDA903 REC code

    def covers(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day < self.ended_on)


@dataclass(frozen=True)
class ChildCare:
    """One child's periods of care (none overlapping) and what the figures group them by."""

    child_key: str
    periods: tuple[CarePeriod, ...]
    date_of_birth: date | None = None
    uasc: bool = False
    iro: str | None = None  # the IRO allocated now (their name); None when there is none

    def in_care_on(self, day: date) -> bool:
        return any(p.covers(day) for p in self.periods)


def care_history(
    stored: Iterable[tuple[date, date | None, str | None]], looked_after_since: date | None
) -> tuple[CarePeriod, ...]:
    """A child's periods of care, in order and not overlapping, from the stored ones (start,
    end, REC) and the start of the current period.

    ``looked_after_since`` adds an open period only when no stored period covers that day (a
    child entered by hand may have no period rows). A period stored with no end that is
    followed by another ran on into it: they are one period (no leaving, no new start), since
    nothing says care ended. A period that ends after the next one starts is cut at that start.
    """
    spells = sorted(stored)
    if looked_after_since is not None and not any(
        start <= looked_after_since and (end is None or looked_after_since < end)
        for start, end, _ in spells
    ):
        spells = sorted([*spells, (looked_after_since, None, None)])
    out: list[CarePeriod] = []
    for start, end, reason in spells:
        if out and out[-1].ended_on is None:
            out[-1] = CarePeriod(out[-1].started_on, end, reason)
            continue
        if out and out[-1].ended_on is not None and out[-1].ended_on > start:
            out[-1] = CarePeriod(out[-1].started_on, start, out[-1].reason_ended)
        out.append(CarePeriod(start, end, reason if end else None))
    return tuple(out)


def month_ends(period: Period) -> list[date]:
    """The last day of each month in ``period``, ending with the period's own last day."""
    days = [month_end(first) for first in period.months()]
    days = [day for day in days if day in period]
    if not days or days[-1] != period.end:
        days.append(period.end)
    return days


# -- children in care --------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthEnd:
    day: date
    in_care: int
    uasc: int


@dataclass(frozen=True)
class CareFigures:
    month_ends: tuple[MonthEnd, ...]
    started: int  # children who started to be looked after (once each)
    further_starts: int  # the same children's other starts in the period
    ceased: int
    further_ends: int

    @property
    def at_end(self) -> MonthEnd:
        return self.month_ends[-1]

    @property
    def average(self) -> float:
        """The mean number in care at the month ends, to one decimal place."""
        return round(sum(m.in_care for m in self.month_ends) / len(self.month_ends), 1)


def care_figures(children: Iterable[ChildCare], period: Period) -> CareFigures:
    children = list(children)
    ends = []
    for day in month_ends(period):
        in_care = [c for c in children if c.in_care_on(day)]
        ends.append(MonthEnd(day, len(in_care), sum(1 for c in in_care if c.uasc)))
    starts = [sum(1 for p in c.periods if p.started_on in period) for c in children]
    return CareFigures(
        month_ends=tuple(ends),
        started=sum(1 for n in starts if n),
        further_starts=sum(n - 1 for n in starts if n),
        ceased=len(leavers(children, period)),
        further_ends=further_leavings(children, period),
    )


def rate_per_10000(count: int, population: int | None) -> int | None:
    """Children in care per 10,000 children, to the nearest whole number as the DfE gives it."""
    if not population:
        return None
    return round(count * 10_000 / population)


# -- leaving care --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaver:
    child_key: str
    ended_on: date
    reason: str | None  # REC code
    age: int | None  # on the day care ended; None when the date of birth is not known


def leavers(children: Iterable[ChildCare], period: Period) -> list[Leaver]:
    """Each child who ceased to be looked after in ``period``, at their last leaving in it."""
    out: list[Leaver] = []
    for child in children:
        ended = [p for p in child.periods if p.ended_on is not None and p.ended_on in period]
        if not ended:
            continue
        last = max(ended, key=lambda p: p.started_on)
        assert last.ended_on is not None
        age = age_on(child.date_of_birth, last.ended_on) if child.date_of_birth else None
        out.append(Leaver(child.child_key, last.ended_on, last.reason_ended, age))
    return out


def further_leavings(children: Iterable[ChildCare], period: Period) -> int:
    """Periods of care ended in ``period`` besides each child's last one: not counted."""
    ends = [sum(1 for p in c.periods if p.ended_on in period) for c in children]
    return sum(n - 1 for n in ends if n)


def reason_label(code: str | None) -> str:
    """The grouped table's row for a REC code."""
    if code is None:
        return NO_REASON
    group = rec_group(code)
    return group.label if group else f"{code.upper()} (not a code in the DfE list)"


@dataclass(frozen=True)
class LeavingFigures:
    ceased: int
    by_reason: Mapping[str, int]  # reason_label -> children
    by_code: Mapping[str | None, int]
    aged_18_or_over: int
    age_unknown: int
    family_or_adopted: int  # of those who left under 18

    @property
    def under_18(self) -> int:
        return self.ceased - self.aged_18_or_over - self.age_unknown

    @property
    def family_or_adopted_share(self) -> float | None:
        return percent(self.family_or_adopted, self.under_18)


def leaving_figures(leaving: Iterable[Leaver]) -> LeavingFigures:
    leaving = list(leaving)
    under_18 = [x for x in leaving if x.age is not None and x.age < ADULT_AGE]
    return LeavingFigures(
        ceased=len(leaving),
        by_reason=Counter(reason_label(x.reason) for x in leaving),
        by_code=Counter(x.reason.upper() if x.reason else None for x in leaving),
        aged_18_or_over=sum(1 for x in leaving if x.age is not None and x.age >= ADULT_AGE),
        age_unknown=sum(1 for x in leaving if x.age is None),
        family_or_adopted=sum(
            1 for x in under_18 if x.reason and x.reason.upper() in FAMILY_OR_ADOPTED
        ),
    )


# -- IRO caseloads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caseloads:
    days: int  # month ends counted
    at_end: Mapping[str, int]  # IRO -> children in care with them on the last day
    total: Mapping[str, int]  # IRO -> children summed over the month ends
    unallocated_at_end: int  # children in care on the last day with no IRO recorded
    unallocated_total: int  # the same summed over the month ends
    # Children per IRO on each month end (None on a day no child had an IRO).
    per_iro_by_day: tuple[float | None, ...]

    def average(self, iro: str) -> float:
        return round(self.total.get(iro, 0) / self.days, 1)

    @property
    def per_iro_at_end(self) -> float | None:
        last = self.per_iro_by_day[-1]
        return None if last is None else round(last, 1)

    @property
    def per_iro_average(self) -> float | None:
        known = [n for n in self.per_iro_by_day if n is not None]
        return round(sum(known) / len(known), 1) if known else None


def caseloads(children: Iterable[ChildCare], period: Period) -> Caseloads:
    """Children in care per IRO on each month end of ``period``.

    "Children per IRO" on a day is the children in care with an IRO divided by the IROs holding
    at least one of them that day; the average is the mean of that over the month ends.
    """
    children = list(children)
    days = month_ends(period)
    total: Counter[str] = Counter()
    per_day: list[Counter[str]] = []
    unallocated: list[int] = []
    for day in days:
        held: Counter[str] = Counter()
        none = 0
        for child in children:
            if child.in_care_on(day):
                if child.iro is None:
                    none += 1
                else:
                    held[child.iro] += 1
        per_day.append(held)
        unallocated.append(none)
        total.update(held)
    return Caseloads(
        days=len(days),
        at_end=dict(per_day[-1]),
        total=dict(total),
        unallocated_at_end=unallocated[-1],
        unallocated_total=sum(unallocated),
        per_iro_by_day=tuple(sum(held.values()) / len(held) if held else None for held in per_day),
    )


def handbook_band(children: float | None) -> str:
    """Where a caseload sits against the Handbook's range."""
    low, high = HANDBOOK_CASELOAD
    if children is None:
        return ""
    if children < low:
        return f"below {low}"
    if children > high:
        return f"above {high}"
    return f"within {low}-{high}"
