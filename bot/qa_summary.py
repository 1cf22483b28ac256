"""Key figures in chat for QA managers: "IR summary this year", "how many reviews were late this
quarter". The answer is a card with the figures, the period they cover, and the same period a
year (quarter, month) earlier in brackets, computed exactly as `iro-bot report` computes them.

Recognised before the general understanding layer, and narrowly: the message must ask for
figures ("summary", "how many", "figures", ...) about IRs or reviews, and must not be about the
asker's own work ("my IRs", "what's due for me") or a single IR, which the IRO answers own.

Periods: "year" is the reporting year, 1 April to 31 March (the local authority's financial year,
which the annual report and the SSDA903 return use); quarters are calendar quarters (so also
the financial year's). "This year" means the year so far, compared with the same dates a year
earlier, not with the whole of last year; "last year" is the whole year, compared with the year
before it. With no period named, this year so far.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.answers import Reply
from cards.summary import ir_summary_card, reviews_summary_card
from domain.calendar import add_months
from domain.ports import StaffMember
from domain.reporting import Period, ir_figures, previous_period, review_facts, review_figures
from domain.rules import RuleSet
from storage.audit import record_audit
from storage.reporting.issues import load_ir_facts
from storage.reporting.reviews import load_care_episodes

#: Who may ask: the service's figures are the QA manager's to report (issue 6).
ALLOWED_ROLES = frozenset({"qa_manager"})
YEAR_STARTS_IN = 4  # April
NOT_FOR_YOU = (
    "The service's figures (IR and review summaries) are for QA managers. Ask your QA manager, "
    'or ask me about your own reviews and IRs: try "what\'s due this week" or "my IRs".'
)


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
    period, previous, wording = _periods("this" if which == "this" else "last", unit, today)
    return SummaryQuestion(topic, period, previous, wording)


def _periods(which: str, unit: str, today: date) -> tuple[Period, Period, str]:
    months = {"year": 12, "quarter": 3, "month": 1}[unit]
    if unit == "year":
        year = today.year if today.month >= YEAR_STARTS_IN else today.year - 1
        start = date(year, YEAR_STARTS_IN, 1)
    elif unit == "quarter":
        start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    else:
        start = today.replace(day=1)
    if which == "this":
        # So far, beside the same stretch of the previous year (quarter, month): a part-year
        # against a whole one would always look like an improvement.
        period = Period(start, today)
        return (
            period,
            Period(add_months(start, -months), add_months(today, -months)),
            (f"this {unit} so far"),
        )
    period = Period(add_months(start, -months), date.fromordinal(start.toordinal() - 1))
    return period, previous_period(period), f"last {unit}"


async def answer(
    session: AsyncSession, rules: RuleSet, staff: StaffMember, question: SummaryQuestion
) -> Reply:
    """The card for a QA manager; a polite refusal (audited) for anyone else."""
    allowed = staff.role in ALLOWED_ROLES and staff.active
    await record_audit(
        session,
        "report.summary",
        actor_staff_id=staff.id,
        outcome="ok" if allowed else "refused",
        detail={
            "topic": question.topic.value,
            "from": question.period.start.isoformat(),
            "to": question.period.end.isoformat(),
        },
    )
    if not allowed:
        return Reply(text=NOT_FOR_YOU)
    span = Period(question.previous.start, question.period.end)
    if question.topic is Topic.IRS:
        facts = await load_ir_facts(session, span)
        return Reply(
            card=ir_summary_card(
                question.wording,
                question.period,
                question.previous,
                ir_figures(facts, question.period),
                ir_figures(facts, question.previous),
                rules,
            )
        )
    reviews = review_facts(await load_care_episodes(session, span), rules)
    return Reply(
        card=reviews_summary_card(
            question.wording,
            question.period,
            question.previous,
            review_figures(reviews, question.period),
            review_figures(reviews, question.previous),
        )
    )
