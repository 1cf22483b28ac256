"""A child's age in whole years on a given day."""

from __future__ import annotations

from datetime import date


def age_on(born: date, day: date) -> int:
    """Completed years on ``day``: the birthday itself counts, so a child born on 2 May 2019 is
    4 on 2 May 2023. A 29 February birthday is reached on 1 March in other years (28 February
    is still the day before it)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birthday(born: date, years: int) -> date:
    """The day a child born on ``born`` reaches ``years`` (as ``age_on`` counts: a 29 February
    birthday is reached on 1 March in other years)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February in a year without one
        return date(born.year + years, 3, 1)
