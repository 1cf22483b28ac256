"""Questions for the service's figures: "IR summary this year", "how many reviews were late this
quarter" (the intents IR_SUMMARY and REVIEW_SUMMARY). The answer (``services.summaries``, for QA
managers) is a card with the figures, the period they cover, and the same period a year
(quarter, month) earlier in brackets, computed exactly as `iro-bot report` computes them.

Recognised first, before the classifier scores the message, and narrowly: the message must ask for
figures ("summary", "how many", "figures", ...) about IRs or reviews, and must not be about the
asker's own work ("my IRs", "what's due for me") or a single IR, which the IRO answers own.

Periods (``domain.reporting.summary_periods``): "year" is the reporting year, 1 April to 31 March
(the local authority's financial year, which the annual report and the SSDA903 return use);
quarters are calendar quarters (so also the financial year's). "This year" means the year so
far, compared with the same dates a year earlier, not with the whole of last year; "last year"
is the whole year, compared with the year before it. With no period named, this year so far.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.reporting import Period, summary_periods


class Topic(StrEnum):
    IRS = "irs"
    REVIEWS = "reviews"


@dataclass(frozen=True)
class SummaryQuestion:
    topic: Topic
    period: Period
    previous: Period
    wording: str  # "this year so far", "last quarter", ...


_WORDS = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PERIOD = re.compile(r"\b(this|last|previous|past)\s+(year|quarter|month)\b")
_IRS = re.compile(r"\b(?:irs?|issues? resolutions?|disputes?)\b")
_REVIEWS = re.compile(r"\b(?:reviews?|cic reviews?)\b")
_FIGURES = re.compile(
    r"\b(?:summary|summarise|summarize|overview|figures|stats|statistics|numbers|how many|count)\b"
)
_PERSONAL = re.compile(r"\b(?:my|mine|me|i|i'm|im)\b")
_SCHEDULE = re.compile(r"\b(?:due|overdue|next|coming|upcoming|book|booked)\b")
_IR_REF = re.compile(r"\bir-\d{4}-\d+\b")


def recognise(text: str, today: date) -> SummaryQuestion | None:
    """The figures a message asks for, or None when it asks for something else."""
    words = " ".join(_WORDS.findall(text.lower().replace("’", "'")))
    if not _FIGURES.search(words) or _PERSONAL.search(words) or _IR_REF.search(text.lower()):
        return None
    if _IRS.search(words):
        topic = Topic.IRS
    elif _REVIEWS.search(words) and not _SCHEDULE.search(words):
        topic = Topic.REVIEWS
    else:
        return None
    found = _PERIOD.search(words)
    which, unit = (found.group(1), found.group(2)) if found else ("this", "year")
    which = "this" if which == "this" else "last"
    period, previous = summary_periods(which, unit, today)
    wording = f"this {unit} so far" if which == "this" else f"last {unit}"
    return SummaryQuestion(topic, period, previous, wording)
