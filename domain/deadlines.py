"""A deadline is a date that can explain itself: the rule it came from, its basis and citation.

``apply_timescale`` is the one place a timescale turns a start date into a due date. Everything
else in the domain (reviews, child protection, missing episodes, Issues Resolution) goes
through it, so every date the product gives carries the same explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain.calendar import WorkingDayCalendar, add_months
from domain.formatting import long_date, short_date
from domain.rules import Direction, Timescale, Unit


@dataclass(frozen=True)
class Standing:
    """Where a deadline stands on a given day."""

    today: date
    overdue: bool
    due_today: bool
    working_days_left: int  # working days after today up to the practical due date; 0 if overdue
    working_days_overdue: int  # working days after the due date up to today; 0 if not overdue
    days_overdue: int  # calendar days past the due date

    @property
    def summary(self) -> str:
        if self.overdue:
            if self.working_days_overdue == 0:
                return f"overdue by {_plural(self.days_overdue, 'day')}"
            return f"overdue by {_plural(self.working_days_overdue, 'working day')}"
        if self.due_today:
            return "due today"
        if self.working_days_left == 0:
            return "due now: no working day is left before it"
        return f"{_plural(self.working_days_left, 'working day')} left"


@dataclass(frozen=True)
class Deadline:
    due: date
    rule_id: str
    title: str
    basis: str  # "3 months after the first review held on 14 January 2026"
    citation: str
    practical_due: date  # the last working day on or before ``due`` (``due`` when it is one)
    start: date  # the date the period ran from

    @property
    def due_is_working_day(self) -> bool:
        return self.practical_due == self.due

    def standing(self, today: date, calendar: WorkingDayCalendar) -> Standing:
        overdue = today > self.due
        return Standing(
            today=today,
            overdue=overdue,
            due_today=today == self.due,
            working_days_left=max(0, calendar.working_days_between(today, self.practical_due)),
            working_days_overdue=(
                calendar.working_days_between(self.due, today) if overdue else 0
            ),
            days_overdue=(today - self.due).days if overdue else 0,
        )

    def explanation(self) -> str:
        """One paragraph a person can check by hand."""
        text = f"{self.title} due {long_date(self.due)} ({self.rule_id}): {self.basis}."
        if not self.due_is_working_day:
            text += (
                f" That day is not a working day, so the last working day on or before it is "
                f"{long_date(self.practical_due)}."
            )
        return f"{text} Source: {self.citation}."

    def to_dict(self, today: date | None = None,
                calendar: WorkingDayCalendar | None = None) -> dict[str, Any]:  # fmt: skip
        out: dict[str, Any] = {
            "due": self.due.isoformat(),
            "due_long": long_date(self.due),
            "rule": self.rule_id,
            "title": self.title,
            "basis": self.basis,
            "citation": self.citation,
            "practical_due": self.practical_due.isoformat(),
            "start": self.start.isoformat(),
        }
        if today is not None and calendar is not None:
            s = self.standing(today, calendar)
            out["today"] = today.isoformat()
            out["overdue"] = s.overdue
            out["working_days_left"] = s.working_days_left
            out["working_days_overdue"] = s.working_days_overdue
            out["status"] = s.summary
        return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def apply_timescale(
    timescale: Timescale,
    start: date,
    calendar: WorkingDayCalendar,
    event: str | None = None,
) -> Deadline:
    """The deadline ``timescale`` sets from ``start``.

    ``event`` overrides the rule's own description of what the period runs from (for example
    "the IR reached Stage 3").
    """
    sign = -1 if timescale.direction is Direction.BEFORE else 1
    if timescale.unit is Unit.WORKING_DAYS:
        due = calendar.add_working_days(start, sign * timescale.amount)
    elif timescale.unit is Unit.MONTHS:
        due = add_months(start, sign * timescale.amount)
    else:
        # Elapsed hours from a date: the period runs out on the day the hours end.
        due = start + timedelta(hours=sign * timescale.amount)
    basis = f"{timescale.quantity} {timescale.direction.value} {event or timescale.event} on " \
        f"{short_date(start)}"  # fmt: skip
    if timescale.unit is Unit.WORKING_DAYS and timescale.amount:
        low, high = sorted((start, due))
        skipped = calendar.holidays_between(low + timedelta(days=1), high)
        if skipped:
            named = "; ".join(f"{long_date(d)}, {name}" for d, name in skipped)
            basis += f", not counting {named}"
    # A deadline in hours runs on through weekends, so its practical date is itself.
    practical = due if timescale.unit is Unit.HOURS else calendar.last_working_day_on_or_before(due)
    return Deadline(
        due=due,
        rule_id=timescale.rule_id,
        title=timescale.title,
        basis=basis,
        citation=timescale.citation,
        practical_due=practical,
        start=start,
    )
