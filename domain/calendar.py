"""Working days, bank holidays and calendar months: the arithmetic every deadline rests on.

Working days are Monday to Friday less the bank holidays of one UK nation (England & Wales by
default, from the `holidays` package with ``subdiv``) and any extra closure days an authority
configures. The calendar precomputes the sorted ordinals of every working day in its range, so
each operation is one or two bisects rather than a walk over days.

Calendar months follow the corresponding-date rule (Dodds v Walker [1981]): the same day of the
month N months later, or the last day of that month when it has no such day. This is exactly what
``dateutil.relativedelta`` does.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import holidays
from dateutil.relativedelta import relativedelta

from domain.errors import DomainError

#: UK nations whose bank holidays the `holidays` package knows, by its subdivision codes.
REGIONS: Mapping[str, str] = {
    "ENG": "England & Wales",
    "WLS": "Wales",
    "SCT": "Scotland",
    "NIR": "Northern Ireland",
}

DEFAULT_FIRST_YEAR = 2000
DEFAULT_LAST_YEAR = 2070


class CalendarRangeError(DomainError):
    """A date outside the years the calendar was built for."""


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months by the corresponding-date rule."""
    return start + relativedelta(months=months)


@dataclass(frozen=True, eq=False)
class WorkingDayCalendar:
    """Working days of one UK nation between two years, with O(log n) arithmetic."""

    region: str = "ENG"
    extra_closures: frozenset[date] = frozenset()
    first_year: int = DEFAULT_FIRST_YEAR
    last_year: int = DEFAULT_LAST_YEAR
    _holiday_names: dict[date, str] = field(init=False, repr=False)
    _working: array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            known = ", ".join(f"{code} ({name})" for code, name in REGIONS.items())
            raise DomainError(f"holiday region {self.region!r} is not known; use one of {known}")
        if self.first_year > self.last_year:
            raise DomainError("the calendar's first year is after its last year")
        years = range(self.first_year, self.last_year + 1)
        names: dict[date, str] = dict(
            holidays.country_holidays("GB", subdiv=self.region, years=years).items()
        )
        for closure in self.extra_closures:
            names.setdefault(closure, "Closure day (local)")
        first = date(self.first_year, 1, 1).toordinal()
        last = date(self.last_year, 12, 31).toordinal()
        closed = {d.toordinal() for d in names}
        # Ordinal 1 (0001-01-01) was a Monday, so (ordinal - 1) % 7 is the weekday (0 = Monday).
        working = array(
            "l",
            (o for o in range(first, last + 1) if (o - 1) % 7 < 5 and o not in closed),
        )
        object.__setattr__(self, "_holiday_names", names)
        object.__setattr__(self, "_working", working)

    @classmethod
    def for_region(
        cls, region: str = "ENG", extra_closures: Iterable[date] = ()
    ) -> WorkingDayCalendar:
        return cls(region=region, extra_closures=frozenset(extra_closures))

    # -- queries -----------------------------------------------------------------------------

    def _ordinal(self, day: date) -> int:
        if not self.first_year <= day.year <= self.last_year:
            raise CalendarRangeError(
                f"{day:%d/%m/%Y} is outside the years this calendar covers "
                f"({self.first_year} to {self.last_year})"
            )
        return day.toordinal()

    def is_working_day(self, day: date) -> bool:
        o = self._ordinal(day)
        i = bisect_left(self._working, o)
        return i < len(self._working) and self._working[i] == o

    def holiday_name(self, day: date) -> str | None:
        """The bank holiday or closure on ``day``, if any (a plain Saturday or Sunday has none)."""
        return self._holiday_names.get(day)

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """Bank holidays and closures in ``[start, end]`` that fall on a weekday, in order."""
        return sorted(
            (d, n) for d, n in self._holiday_names.items() if start <= d <= end and d.weekday() < 5
        )

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is not counted).

        Negative ``n`` counts back: -3 is the third working day before ``start``. ``n == 0``
        returns ``start`` unchanged.
        """
        if n == 0:
            return start
        o = self._ordinal(start)
        if n > 0:
            i = bisect_right(self._working, o) + n - 1
        else:
            i = bisect_left(self._working, o) + n
        if not 0 <= i < len(self._working):
            raise CalendarRangeError(
                f"{n} working days from {start:%d/%m/%Y} falls outside the years this calendar "
                f"covers ({self.first_year} to {self.last_year})"
            )
        return date.fromordinal(self._working[i])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative when ``end`` is before ``start``."""
        a, b = self._ordinal(start), self._ordinal(end)
        return bisect_right(self._working, b) - bisect_right(self._working, a)

    def last_working_day_on_or_before(self, day: date) -> date:
        i = bisect_right(self._working, self._ordinal(day)) - 1
        if i < 0:
            raise CalendarRangeError(f"no working day on or before {day:%d/%m/%Y} in range")
        return date.fromordinal(self._working[i])

    def next_working_day_on_or_after(self, day: date) -> date:
        i = bisect_left(self._working, self._ordinal(day))
        if i >= len(self._working):
            raise CalendarRangeError(f"no working day on or after {day:%d/%m/%Y} in range")
        return date.fromordinal(self._working[i])
