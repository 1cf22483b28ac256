"""A review's paperwork: its decisions (CIC-DECISIONS) and its minutes (CIC-MINUTES), each due
a number of working days after the review and recorded when sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.deadlines import Deadline
from domain.reviews import ReviewPart


class Paperwork(StrEnum):
    DECISIONS = "decisions"  # the review's decisions and the updated care plan (CIC-DECISIONS)
    MINUTES = "minutes"  # the review record (CIC-MINUTES)


def sent_in_time(sent_on: date | None, due: date) -> bool | None:
    """Whether paperwork went out by its due date (the statutory date, as the annual report
    counts it); None when it has not been sent."""
    return None if sent_on is None else sent_on <= due


@dataclass(frozen=True)
class PaperworkCheck:
    """What recording a sent date would mean for one review, before it is written."""

    held_on: date  # the review the paperwork records
    part: ReviewPart
    # For each kind asked about: its deadline, and the date already recorded (None if none).
    due: dict[Paperwork, Deadline]
    recorded: dict[Paperwork, date | None]
