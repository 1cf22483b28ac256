"""'Today' is the date in the authority's time zone (Europe/London), never UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def today_in(timezone: str = "Europe/London") -> date:
    return datetime.now(ZoneInfo(timezone)).date()
