"""Missing from care: the return home interview (MISS-RHI) and repeated episodes (MISS-STRAT)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.calendar import add_months
from domain.deadlines import Deadline, apply_timescale
from domain.rules import RuleSet


def return_home_interview_due(returned_on: date, rules: RuleSet) -> Deadline:
    """MISS-RHI: offered within 72 hours of the child's return (elapsed time, weekends too)."""
    return apply_timescale(rules.timescale("MISS-RHI"), returned_on, rules.calendar)


@dataclass(frozen=True)
class StrategyTrigger:
    """Enough episodes inside one window to need a strategy meeting."""

    triggered_on: date  # the start of the episode that reached the threshold
    window_start: date  # the first episode counted in the window
    episodes: tuple[date, ...]
    rule_id: str = "MISS-STRAT"


def strategy_meeting_triggers(
    episode_starts: Iterable[date], rules: RuleSet
) -> list[StrategyTrigger]:
    """Each episode that brings the count within the period to the threshold or above.

    With the defaults: 3 or more episodes that started within 3 calendar months of each other
    (the window runs from the first episode's start to the corresponding date 3 months on).
    """
    rule = rules.timescale("MISS-STRAT")
    threshold = rule.episodes or 3
    starts = sorted(episode_starts)
    triggers: list[StrategyTrigger] = []
    first = 0
    for i, start in enumerate(starts):
        # Drop episodes that began more than the period before this one.
        while add_months(starts[first], rule.amount) < start:
            first += 1
        window = tuple(starts[first : i + 1])
        if len(window) >= threshold:
            triggers.append(StrategyTrigger(start, window[0], window))
    return triggers
