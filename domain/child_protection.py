"""Child protection conference timescales (Working Together to Safeguard Children 2023, ch.3).

CP-1 the initial conference within 15 working days of the strategy discussion; CP-2 the first
review conference within 3 months of the initial conference; CP-3 later review conferences at
intervals of not more than 6 months.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.deadlines import Deadline, apply_timescale
from domain.errors import DomainError
from domain.formatting import short_date
from domain.rules import RuleSet


def initial_conference_due(strategy_discussion_on: date, rules: RuleSet) -> Deadline:
    """CP-1."""
    return apply_timescale(rules.timescale("CP-1"), strategy_discussion_on, rules.calendar)


def next_review_conference_due(
    initial_conference_on: date, reviews_held: Iterable[date], rules: RuleSet
) -> Deadline:
    """CP-2 after the initial conference; CP-3 after the latest review conference."""
    held = sorted(set(reviews_held))
    if held and held[0] < initial_conference_on:
        raise DomainError(
            f"a review conference on {short_date(held[0])} is before the initial conference "
            f"on {short_date(initial_conference_on)}"
        )
    if not held:
        return apply_timescale(rules.timescale("CP-2"), initial_conference_on, rules.calendar)
    return apply_timescale(rules.timescale("CP-3"), held[-1], rules.calendar)
