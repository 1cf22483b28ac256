"""The annual IRO report's figures, computed from plain facts: no I/O, no database, no rendering.

Domain brief section 7: every figure is shown for the reporting period with the previous period
of the same length beside it, "this (last)". The report is made of *sections* (IRs, reviews,
missing, and later the SSDA903-based ones); each section turns facts into the generic
``Table`` and ``Chart`` values defined here, and every renderer (HTML, Markdown, CSV) draws any
table or chart without knowing which section made it. That is what makes sections pluggable.

Counting rules (each one a decision the seed report leaves implicit):

- An IR counts in the period in which it was **raised**, whatever happened to it later; its
  stages are the ones recorded now (an IR raised in March and resolved in April appears as
  resolved in the report written in May), and one still open is counted as open.
- An IR's **escalation** is the move from the stage it was raised at to the highest stage it
  reached (stages only go up), which is what the seed's "1 x Stage 1 to Stage 2" records.
- A review counts in the period in which it was **held**; initial, second and subsequent are
  the numbers ``domain.reviews.review_schedule`` gives it within its period of care, and "within
  timescale" is that schedule's ``on_time`` (so CIC-SPLIT and CIC-BF are applied exactly as for
  the bot's own due dates). A review that cannot be numbered (the uncounted part of a split
  review, one held outside all of the child's periods of care, one of a child whose period of
  care is not known) is kept with the reason, so the report lists it as left out.
- A missing episode counts in the period in which it **started**.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.calendar import add_months
from domain.errors import DomainError
from domain.formatting import short_date
from domain.paperwork import sent_in_time
from domain.review_details import OTHER, is_other
from domain.reviews import (
    BroughtForward,
    ReviewHeld,
    ReviewPart,
    decisions_due,
    minutes_due,
    review_schedule,
)
from domain.rules import RuleSet, Stage

NOT_RECORDED = "not recorded"

# -- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DomainError(
                f"the period ends ({short_date(self.end)}) before it starts "
                f"({short_date(self.start)})"
            )

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def label(self) -> str:
        """'2023-24' for an April-to-March year, else '1 April 2023 to 31 March 2024'."""
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (
            4,
            1,
            3,
            31,
        ) and self.end.year == self.start.year + 1:
            return f"{self.start.year}-{self.end.year % 100:02d}"
        return f"{short_date(self.start)} to {short_date(self.end)}"

    def months(self) -> list[date]:
        """The first day of every calendar month the period touches, in order."""
        first = self.start.replace(day=1)
        out: list[date] = []
        while first <= self.end:
            out.append(first)
            first = add_months(first, 1)
        return out


#: The reporting year starts on 1 April: the local authority's financial year, which the annual
#: report and the SSDA903 return use.
FINANCIAL_YEAR_STARTS_IN = 4


def financial_year_start(day: date) -> date:
    """The first day of the reporting year ``day`` falls in."""
    year = day.year if day.month >= FINANCIAL_YEAR_STARTS_IN else day.year - 1
    return date(year, FINANCIAL_YEAR_STARTS_IN, 1)


def summary_periods(which: str, unit: str, today: date) -> tuple[Period, Period]:
    """The period "this" or "last" ``unit`` ("year", "quarter", "month") means on ``today``, and
    the period it is compared with.

    "This" is so far, beside the same stretch of the previous year (quarter, month): a part-year
    against a whole one would always look like an improvement. "Last" is the whole period,
    beside the one before it. Years are reporting years (from 1 April); quarters are calendar
    quarters (so also the reporting year's).
    """
    months = {"year": 12, "quarter": 3, "month": 1}[unit]
    if unit == "year":
        start = financial_year_start(today)
    elif unit == "quarter":
        start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    else:
        start = today.replace(day=1)
    if which == "this":
        return (Period(start, today),
                Period(add_months(start, -months), add_months(today, -months)))  # fmt: skip
    period = Period(add_months(start, -months), date.fromordinal(start.toordinal() - 1))
    return period, previous_period(period)


def previous_period(period: Period) -> Period:
    """The period of the same length just before ``period``.

    Whole calendar months step back by months, so 1 Apr 2023 - 31 Mar 2024 (366 days, a leap
    year) is compared with 1 Apr 2022 - 31 Mar 2023, not with a period starting 31 Mar 2022.
    Any other period steps back by its number of days.
    """
    whole_months = period.start.day == 1 and (period.end + timedelta(days=1)).day == 1
    if whole_months:
        after_end = period.end + timedelta(days=1)
        months = (after_end.year - period.start.year) * 12 + after_end.month - period.start.month
        start = add_months(period.start, -months)
    else:
        start = period.start - (period.end - period.start + timedelta(days=1))
    return Period(start, period.start - timedelta(days=1))


# -- what every section produces -----------------------------------------------------------------


@dataclass(frozen=True)
class Compared:
    """A figure this period beside the same figure last period: shown as "this (last)"."""

    this: float | None
    last: float | None
    percent: bool = False

    def text(self) -> str:
        return f"{_figure(self.this, self.percent)} ({_figure(self.last, self.percent)})"


def _figure(value: float | None, percent: bool) -> str:
    if value is None:
        return "–"  # no reviews (say), so no percentage: not 0%
    if percent:
        return f"{value:.0f}%"
    return f"{value:g}"


Cell = str | int | float | Compared | None


def cell_text(cell: Cell) -> str:
    if isinstance(cell, Compared):
        return cell.text()
    if cell is None:
        return ""
    if isinstance(cell, float):
        return f"{cell:g}"
    return str(cell)


@dataclass(frozen=True)
class CsvFile:
    """One CSV file: ``name`` is its file name without ``.csv``."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | int | float | None, ...], ...]


@dataclass(frozen=True)
class LeftOut:
    """Records a table could not count, and why, this period and last.

    Every table accounts for what it did not count (a review outside any period of care, a
    missing episode with no start date), so a reader can reconcile the figures with the data.
    """

    reason: str  # e.g. "reviews held outside any period of care"
    this: int
    last: int


@dataclass(frozen=True)
class Table:
    """A table as a person reads it, plus the CSV file(s) it is exported as.

    ``csv`` is explicit because some files have a fixed, documented shape (ir_stage_matrix.csv
    has one column per stage resolved, this period only); ``compared_csv`` builds the usual
    shape where every "this (last)" cell becomes two columns. ``source`` says which records the
    table was computed from, in words a reader of the report understands; ``left_out`` lists
    what was not counted and why (shown under the table, and in ``report_sources.csv``).
    """

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    csv: tuple[CsvFile, ...]
    source: str
    left_out: tuple[LeftOut, ...] = ()
    note: str | None = None
    # Rows rendered in bold (a totals row), by index.
    emphasis: frozenset[int] = frozenset()


def provenance_text(table: Table) -> str:
    """'Computed from ... Left out: 2 (0) reviews held outside any period of care.'"""
    text = f"Computed from {table.source}."
    counted = [item for item in table.left_out if item.this or item.last]
    if counted:
        parts = "; ".join(f"{item.this} ({item.last}) {item.reason}" for item in counted)
        text += f" Left out: {parts}."
    return text


def compared_csv(
    name: str, first_column: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> CsvFile:
    """The usual CSV shape of a displayed table: the first column as is; a column holding
    "this (last)" figures becomes ``<col>_this_period`` and ``<col>_last_period`` (just
    ``this_period,last_period`` when it is the only one); any other column stays one column."""
    compared = [any(isinstance(row[i + 1], Compared) for row in rows) for i in range(len(columns))]
    only_one = compared.count(True) == 1 and len(columns) == 1
    header: list[str] = [first_column]
    for column, is_compared in zip(columns, compared, strict=True):
        if is_compared and only_one:
            header += ["this_period", "last_period"]
        elif is_compared:
            header += [f"{column}_this_period", f"{column}_last_period"]
        else:
            header.append(column)
    out: list[tuple[str | int | float | None, ...]] = []
    for row in rows:
        values: list[str | int | float | None] = [cell_text(row[0])]
        for cell, is_compared in zip(row[1:], compared, strict=True):
            if isinstance(cell, Compared):
                values += [_csv_number(cell.this), _csv_number(cell.last)]
            elif is_compared:
                values += [cell_text(cell), None]
            else:
                values.append(cell_text(cell))
        out.append(tuple(values))
    return CsvFile(name, tuple(header), tuple(out))


def _csv_number(value: float | None) -> int | float | None:
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return round(value, 1)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A bar chart described as data; the renderer draws it (matplotlib) and embeds it.

    ``stacked`` stacks the series (on time + late = held); otherwise they stand side by side
    (this period beside last period).
    """

    key: str
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    y_label: str
    stacked: bool = False
    # Alt text for the embedded image: what the chart shows, in words.
    description: str = ""


@dataclass(frozen=True)
class SectionResult:
    key: str
    title: str
    summary: tuple[str, ...] = ()  # sentences, e.g. "22 (30) IRs were raised."
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = ()  # how the figures were counted


@dataclass(frozen=True)
class Report:
    title: str
    authority: str
    period: Period
    previous: Period
    generated_on: date
    sections: tuple[SectionResult, ...] = field(default_factory=tuple)

    def table(self, key: str) -> Table:
        for section in self.sections:
            for table in section.tables:
                if table.key == key:
                    return table
        raise KeyError(key)


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole


# -- Issues Resolution -------------------------------------------------------------------------


@dataclass(frozen=True)
class IrFact:
    reference: str
    raised_on: date
    stage_raised: str  # stage keys, as in the rules file and the irs import
    current_stage: str  # the highest stage reached (stages only go up)
    resolved_at_stage: str | None  # None while open
    service_area: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class IrFigures:
    """The IR tables of one period (domain brief 7; seed report 21.5, 21.6, 21.9)."""

    raised: int
    # stage raised -> stage resolved (None: still open) -> count
    matrix: Mapping[str, Mapping[str | None, int]]
    reasons: Mapping[str, int]
    # service area (None: not recorded) -> stage raised -> count
    by_area: Mapping[str | None, Mapping[str, int]]
    # service area -> (from stage, to stage) -> count
    escalations_by_area: Mapping[str | None, Mapping[tuple[str, str], int]]
    escalations: Mapping[tuple[str, str], int]


def ir_figures(irs: Iterable[IrFact], period: Period) -> IrFigures:
    chosen = [ir for ir in irs if ir.raised_on in period]
    matrix: dict[str, Counter[str | None]] = {}
    by_area: dict[str | None, Counter[str]] = {}
    escalations_by_area: dict[str | None, Counter[tuple[str, str]]] = {}
    reasons: Counter[str] = Counter()
    escalations: Counter[tuple[str, str]] = Counter()
    for ir in chosen:
        matrix.setdefault(ir.stage_raised, Counter())[ir.resolved_at_stage] += 1
        by_area.setdefault(ir.service_area, Counter())[ir.stage_raised] += 1
        # One count per reason per IR: an IR raised for two reasons counts under both, as in
        # the seed ("the total in this table will be higher than the number raised").
        reasons.update(set(ir.reasons))
        if ir.current_stage != ir.stage_raised:
            move = (ir.stage_raised, ir.current_stage)
            escalations[move] += 1
            escalations_by_area.setdefault(ir.service_area, Counter())[move] += 1
    return IrFigures(
        raised=len(chosen),
        matrix=matrix,
        reasons=reasons,
        by_area=by_area,
        escalations_by_area=escalations_by_area,
        escalations=escalations,
    )


def ordered_labels(configured: Sequence[str], seen: Iterable[str | None]) -> list[str | None]:
    """The configured labels in their order, then any other label found in the data (an old
    reason or area no longer in the rules file must still be counted, not dropped), then None
    ("not recorded") last."""
    found = set(seen)
    out: list[str | None] = list(configured)
    out += sorted(s for s in found if s is not None and s not in configured)
    if None in found:
        out.append(None)
    return out


def stage_sort_key(stages: Sequence[Stage]) -> dict[str, int]:
    return {stage.key: stage.order for stage in stages}


# -- reviews ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredReview:
    """A review row as stored (a split review has one per part)."""

    held_on: date
    part: ReviewPart
    late_reason: str | None = None
    part1_reason: str | None = None
    decisions_sent_on: date | None = None
    minutes_sent_on: date | None = None


@dataclass(frozen=True)
class CareEpisode:
    """One child's period of care with everything needed to judge its reviews."""

    child_key: str
    started_on: date
    ended_on: date | None
    reviews: tuple[StoredReview, ...]
    directions: tuple[BroughtForward, ...] = ()


@dataclass(frozen=True)
class ReviewFact:
    child_key: str
    held_on: date
    part: ReviewPart
    number: int | None  # 1 initial, 2 second, 3+ subsequent; None: not counted
    on_time: bool | None  # None when not counted
    late_reason: str | None
    part1_reason: str | None
    decisions_on_time: bool | None  # None: not sent (recorded)
    minutes_on_time: bool | None
    # Why a review is not counted (None when it is): see the *_LEFT_OUT reasons below.
    left_out: str | None = None


OUTSIDE_CARE_LEFT_OUT = "reviews held outside any period of care of the child"
NO_PERIOD_LEFT_OUT = (
    "reviews of children with no known period of care (the start of their care is not in the "
    "data, so the review cannot be numbered)"
)


def split_part_left_out(rules: RuleSet) -> str:
    """Why the uncounted part of a split review is not counted, for the rules in force."""
    if rules.split_counts_from.value == "part1":
        return "Part 2s of split reviews (a split review is counted once, at its Part 1)"
    return "Part 1s of split reviews (a split review is counted once, at its final part)"


def review_facts(
    episodes: Iterable[CareEpisode],
    rules: RuleSet,
    without_period: Iterable[tuple[str, StoredReview]] = (),
) -> list[ReviewFact]:
    """Every stored review, numbered and judged by the domain's own schedule.

    A review outside all of its child's periods of care, or of a child with no known period
    (``without_period``: child key and review), is kept with the reason it is not counted, so
    the report can account for it.
    """
    facts: list[ReviewFact] = []
    split_part = split_part_left_out(rules)
    placed: dict[str, set[StoredReview]] = {}
    reviews_of: dict[str, set[StoredReview]] = {}
    for episode in episodes:
        reviews_of.setdefault(episode.child_key, set()).update(episode.reviews)
        inside = [
            r
            for r in episode.reviews
            if r.held_on >= episode.started_on
            and (episode.ended_on is None or r.held_on <= episode.ended_on)
        ]
        placed.setdefault(episode.child_key, set()).update(inside)
        schedule = review_schedule(
            episode.started_on,
            [ReviewHeld(r.held_on, r.part) for r in inside],
            rules,
            episode.directions,
        )
        judged = {(o.review.held_on, o.review.part): o for o in schedule.held}
        for review in inside:
            outcome = judged.get((review.held_on, review.part))
            facts.append(
                ReviewFact(
                    child_key=episode.child_key,
                    held_on=review.held_on,
                    part=review.part,
                    number=outcome.number if outcome else None,
                    on_time=outcome.on_time if outcome else None,
                    late_reason=review.late_reason,
                    part1_reason=review.part1_reason,
                    decisions_on_time=sent_in_time(
                        review.decisions_sent_on, decisions_due(review.held_on, rules).due
                    ),
                    minutes_on_time=sent_in_time(
                        review.minutes_sent_on, minutes_due(review.held_on, rules).due
                    ),
                    left_out=None if outcome else split_part,
                )
            )
    unplaced = [
        (child, review, OUTSIDE_CARE_LEFT_OUT)
        for child, reviews in reviews_of.items()
        for review in sorted(reviews - placed[child], key=lambda r: (r.held_on, r.part.value))
    ]
    unplaced += [(child, review, NO_PERIOD_LEFT_OUT) for child, review in without_period]
    for child, review, reason in unplaced:
        facts.append(
            ReviewFact(
                child_key=child,
                held_on=review.held_on,
                part=review.part,
                number=None,
                on_time=None,
                late_reason=review.late_reason,
                part1_reason=review.part1_reason,
                decisions_on_time=None,
                minutes_on_time=None,
                left_out=reason,
            )
        )
    return facts


@dataclass(frozen=True)
class ReviewFigures:
    held: int
    initial: int
    second: int
    subsequent: int
    on_time: int
    late_by_reason: Mapping[str | None, int]
    part1_by_reason: Mapping[str | None, int]
    decisions: tuple[int, int, int]  # within timescale, late, not recorded
    minutes: tuple[int, int, int]
    # month (first day) -> (on time, late)
    by_month: Mapping[date, tuple[int, int]]
    # reason -> reviews held in the period and not counted (ReviewFact.left_out)
    left_out: Mapping[str, int] = field(default_factory=dict)
    # Part 1s held outside care or for a child with no known period: not in part1_by_reason.
    part1_left_out: int = 0

    @property
    def late(self) -> int:
        return self.held - self.on_time


def review_figures(facts: Iterable[ReviewFact], period: Period) -> ReviewFigures:
    in_period = [f for f in facts if f.held_on in period]
    counted = [f for f in in_period if f.number is not None]
    # Part 1s held in care (a split review's Part 1 may itself be the uncounted part).
    all_parts1 = [f for f in in_period if f.part is ReviewPart.PART1]
    parts1 = [
        f for f in all_parts1 if f.left_out not in (OUTSIDE_CARE_LEFT_OUT, NO_PERIOD_LEFT_OUT)
    ]
    late = [f for f in counted if not f.on_time]
    by_month: dict[date, list[int]] = {month: [0, 0] for month in period.months()}
    for f in counted:
        by_month[f.held_on.replace(day=1)][0 if f.on_time else 1] += 1

    def sent(values: list[bool | None]) -> tuple[int, int, int]:
        return (values.count(True), values.count(False), values.count(None))

    return ReviewFigures(
        held=len(counted),
        initial=sum(1 for f in counted if f.number == 1),
        second=sum(1 for f in counted if f.number == 2),
        subsequent=sum(1 for f in counted if (f.number or 0) >= 3),
        on_time=sum(1 for f in counted if f.on_time),
        late_by_reason=Counter(_reason(f.late_reason) for f in late),
        part1_by_reason=Counter(_reason(f.part1_reason) for f in parts1),
        decisions=sent([f.decisions_on_time for f in counted]),
        minutes=sent([f.minutes_on_time for f in counted]),
        by_month={month: (v[0], v[1]) for month, v in by_month.items()},
        left_out=Counter(f.left_out for f in in_period if f.number is None and f.left_out),
        part1_left_out=len(all_parts1) - len(parts1),
    )


def _reason(text: str | None) -> str | None:
    """The row a stored reason counts in: its label, "Other" for one given in the user's own
    words ("Other: snow"), or None (not recorded)."""
    cleaned = (text or "").strip()
    if is_other(cleaned):
        return OTHER
    return cleaned or None
