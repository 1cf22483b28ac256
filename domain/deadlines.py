"""A deadline is a date that can explain itself: the rule it came from, its basis and citation.

``apply_timescale`` is the one place a timescale turns a start date into a due date. Everything
else in the domain (reviews, child protection, missing episodes, Issues Resolution) goes
through it, so every date the product gives carries the same explanation.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

from domain.calendar import WorkingDayCalendar, add_months
from domain.formatting import counted, long_date, short_date
from domain.rules import Timescale, Unit

_WORKING_DAYS, _MONTHS, _HOURS = Unit.WORKING_DAYS, Unit.MONTHS, Unit.HOURS
_DAYS, _WEEKS = Unit.DAYS, Unit.WEEKS


class Standing(NamedTuple):
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
                return f"overdue by {counted(self.days_overdue, 'day')}"
            return f"overdue by {counted(self.working_days_overdue, 'working day')}"
        if self.due_today:
            return "due today"
        if self.working_days_left == 0:
            return "due now: no working day is left before it"
        return f"{counted(self.working_days_left, 'working day')} left"


class Deadline(NamedTuple):
    """A due date and everything needed to explain it.

    A NamedTuple rather than a frozen dataclass: it is built for every child on every list, and
    a frozen dataclass's ``__init__`` costs several times the date arithmetic itself. The basis
    text is rendered only when someone reads it.
    """

    due: date
    timescale: Timescale
    start: date  # the date the period ran from
    event: str  # what the period ran from, e.g. "the first review held"
    calendar: WorkingDayCalendar
    note: str | None = None  # a basis written by the caller instead (e.g. brought forward)

    @property
    def practical_due(self) -> date:
        """The last working day on or before ``due`` (``due`` itself when it is one).

        Months, calendar days and weeks keep their due date as it is, with this as the
        practical latest day. Worked out on demand: most deadlines in a list are never shown in
        full.
        """
        ts = self.timescale
        if ts.unit is _HOURS or (ts.unit is _WORKING_DAYS and ts.amount):
            # Elapsed hours run on through weekends; a working-day count lands on a working day.
            return self.due
        return self.calendar.last_working_day_on_or_before(self.due)

    @property
    def rule_id(self) -> str:
        return self.timescale.rule_id

    @property
    def title(self) -> str:
        return self.timescale.title

    @property
    def citation(self) -> str:
        return self.timescale.citation

    @property
    def basis(self) -> str:
        """'3 months after the first review held on 14 January 2026'."""
        if self.note is not None:
            return self.note
        ts = self.timescale
        quantity = ts.quantity
        if ts.unit is _WEEKS and ts.amount:
            quantity += f" ({ts.amount * 7} days)"
        text = f"{quantity} {ts.direction.value} {self.event} on {short_date(self.start)}"
        if ts.unit is Unit.WORKING_DAYS and ts.amount:
            low, high = sorted((self.start, self.due))
            skipped = self.calendar.holidays_between(low + timedelta(days=1), high)
            if skipped:
                named = "; ".join(f"{long_date(d)}, {name}" for d, name in skipped)
                text += f", not counting {named}"
        return text

    @property
    def due_is_working_day(self) -> bool:
        return self.practical_due == self.due

    def standing(self, today: date) -> Standing:
        return standing_for(self.due, self.practical_due, today, self.calendar)

    def explanation(self) -> str:
        """One paragraph a person can check by hand."""
        text = f"{self.title} due {long_date(self.due)} ({self.rule_id}): {self.basis}."
        if not self.due_is_working_day:
            text += (
                f" That day is not a working day, so the last working day on or before it is "
                f"{long_date(self.practical_due)}."
            )
        return f"{text} Source: {self.citation}."

    def to_dict(self, today: date | None = None) -> dict[str, Any]:
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
        if today is not None:
            s = self.standing(today)
            out["today"] = today.isoformat()
            out["overdue"] = s.overdue
            out["working_days_left"] = s.working_days_left
            out["working_days_overdue"] = s.working_days_overdue
            out["status"] = s.summary
        return out


def standing_for(
    due: date, practical_due: date, today: date, calendar: WorkingDayCalendar
) -> Standing:
    """Where a due date stands on ``today``; for stored dates as much as computed deadlines."""
    overdue = today > due
    return Standing(
        today=today,
        overdue=overdue,
        due_today=today == due,
        working_days_left=max(0, calendar.working_days_between(today, practical_due)),
        working_days_overdue=calendar.working_days_between(due, today) if overdue else 0,
        days_overdue=(today - due).days if overdue else 0,
    )


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
    unit = timescale.unit
    amount = timescale.signed_amount
    if unit is _WORKING_DAYS:
        due = calendar.add_working_days(start, amount)
    elif unit is _MONTHS:
        due = add_months(start, amount)
    elif unit is _DAYS:
        # Calendar days: the N-th day after the start, whatever day of the week it is.
        due = start + timedelta(days=amount)
    elif unit is _WEEKS:
        due = start + timedelta(days=7 * amount)
    else:
        due = start + timedelta(hours=amount)
    return Deadline(due, timescale, start, event or timescale.event, calendar)
