"""Strict parsing of dates typed on the command line or found in files.

UK order (DD/MM/YYYY) or ISO (YYYY-MM-DD) only. MM/DD is never guessed: "02/13/2026" is refused
with a message that says dates are day/month/year, rather than read as 13 February.
Free text in chat ("next Tuesday") is the bot's language layer's job, not this module's.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from domain.errors import DomainError

_UK = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class DateFormatError(DomainError):
    """A date that is malformed or impossible; the message says what was wrong."""


def parse_date(text: str) -> date:
    """A date from 'DD/MM/YYYY' (also with '-' or '.') or ISO 'YYYY-MM-DD'."""
    raw = text.strip()
    if m := _ISO.fullmatch(raw):
        year, month, day = (int(g) for g in m.groups())
        uk_order = False
    elif m := _UK.fullmatch(raw):
        day, month, year = (int(g) for g in m.groups())
        uk_order = True
    else:
        raise DateFormatError(
            f"{text!r} is not a date I can read: write it as DD/MM/YYYY (e.g. 19/12/2025) "
            f"or YYYY-MM-DD"
        )
    if not 1 <= month <= 12:
        # Someone typing month/day gets told the order rather than a silent misreading.
        hint = " (dates are day/month/year)" if uk_order and 1 <= day <= 12 else ""
        raise DateFormatError(f"{text!r} has no month {month}{hint}")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateFormatError(
            f"{text!r} is not a real date: {calendar.month_name[month]} {year} has {last} days"
        )
    if year < 1900:
        raise DateFormatError(f"{text!r} is too far in the past to be a real date here")
    return date(year, month, day)
