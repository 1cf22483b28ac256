"""Children's participation in their reviews (seed report 14.1, 14.2), from plain facts.

The measure is the seed's: of the reviews of children aged 4 and over, the share where the child
contributed. The SSDA903 REVIEW_CODE says how (DfE SSDA903 guidance, as transcribed in the
data-to-insight 903 validator's code list):

- PN0 the child was under 4 at the time of the review: outside the measure;
- PN1 to PN6 the child contributed: attended and spoke (PN1), attended with an advocate speaking
  (PN2), attended and conveyed their view symbolically (PN3), attended without contributing
  (PN4), briefed an advocate (PN5) or conveyed their views by another medium (PN6);
- PN7 the child neither attended nor had their views conveyed.

PN4 ("attendance without contribution") counts as contributed, as the issue defines the measure
(PN1-PN6 against PN7); the table's note says so.

Counting decisions (each review held in the period is either counted or left out with a reason,
so counted + left out = the reviews held):

- The code decides, the date of birth checks it. A review coded PN0 of a child whose date of
  birth makes them 4 or over on the day, or coded PN1-PN7 for a child under 4 on the day, is
  left out ("the code and the date of birth disagree"): either could be wrong, and counting it
  on either side would be a guess. With no date of birth stored, the code is taken as it is.
- A review with no code (one recorded in the bot, or a blank REVIEW_CODE) is left out.
- A split review's parts are one meeting: the SSDA903 import puts the code on one row only, so
  the part without a code is left out with "no participation code", not counted twice.
- "Chaired their own review" is counted from the reviews held in the period where who chaired
  is recorded (the 903 does not record it; the bot's reviews CSV has a ``chaired`` column); the
  rest are left out as not recorded. It counts young people, as the seed does ("3 (4) young
  people chaired their own reviews"), and the reviews they chaired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from domain.ages import age_on
from domain.reporting import Period, percent

UNDER_FOUR_CODE = "PN0"
CONTRIBUTED_CODES = frozenset({"PN1", "PN2", "PN3", "PN4", "PN5", "PN6"})
NOT_CONTRIBUTED_CODE = "PN7"
MEASURE_AGE = 4

# Why a review held in the period is not in the measure, in the order they are shown.
UNDER_FOUR = "under_four"
CODE_SAYS_UNDER_FOUR = "pn0_but_four_or_over"
CODE_SAYS_FOUR_OR_OVER = "code_but_under_four"
NO_CODE = "no_code"
LEFT_OUT_REASONS: Mapping[str, str] = {
    UNDER_FOUR: "reviews of children under 4 (PN0), outside the measure",
    CODE_SAYS_UNDER_FOUR: (
        "reviews coded PN0 (under 4) of a child aged 4 or over on the day by their date of birth"
    ),
    CODE_SAYS_FOUR_OR_OVER: (
        "reviews coded PN1-PN7 of a child under 4 on the day by their date of birth"
    ),
    NO_CODE: "reviews with no participation code (REVIEW_CODE) recorded",
}
CONTRIBUTED = "contributed"
DID_NOT_CONTRIBUTE = "did_not_contribute"


@dataclass(frozen=True)
class ParticipationFact:
    """One stored review with what the measure needs."""

    child_key: str
    held_on: date
    code: str | None  # PN0-PN7
    born_on: date | None
    chaired_by_child: bool | None  # None: not recorded


def classify(fact: ParticipationFact) -> str:
    """CONTRIBUTED, DID_NOT_CONTRIBUTE, or the key of the reason the review is left out."""
    code = (fact.code or "").strip().upper()
    if not code:
        return NO_CODE
    four_or_over = (
        None if fact.born_on is None else age_on(fact.born_on, fact.held_on) >= MEASURE_AGE
    )
    if code == UNDER_FOUR_CODE:
        return CODE_SAYS_UNDER_FOUR if four_or_over else UNDER_FOUR
    if four_or_over is False:
        return CODE_SAYS_FOUR_OR_OVER
    if code in CONTRIBUTED_CODES:
        return CONTRIBUTED
    if code == NOT_CONTRIBUTED_CODE:
        return DID_NOT_CONTRIBUTE
    # The import accepts PN0-PN7 only; anything else stored by hand is not a code.
    return NO_CODE


@dataclass(frozen=True)
class MonthParticipation:
    month: date  # the first day
    contributed: int
    measured: int  # reviews of children 4+ with PN1-PN7
    contributed_to_date: int  # from the period's start to the month's end
    measured_to_date: int

    @property
    def percent(self) -> float | None:
        return percent(self.contributed, self.measured)

    @property
    def percent_to_date(self) -> float | None:
        return percent(self.contributed_to_date, self.measured_to_date)


@dataclass(frozen=True)
class ParticipationFigures:
    held: int  # every review held in the period
    contributed: int
    did_not_contribute: int
    left_out: Mapping[str, int]  # every reason key, 0 when none
    months: tuple[MonthParticipation, ...]
    chaired_reviews: int
    chaired_children: int
    chaired_recorded: int  # reviews where who chaired is recorded (yes or no)

    @property
    def measured(self) -> int:
        return self.contributed + self.did_not_contribute

    @property
    def percent(self) -> float | None:
        return percent(self.contributed, self.measured)

    @property
    def chaired_not_recorded(self) -> int:
        return self.held - self.chaired_recorded


def participation_figures(
    facts: Iterable[ParticipationFact], period: Period
) -> ParticipationFigures:
    held = [f for f in facts if f.held_on in period]
    outcome = {id(f): classify(f) for f in held}
    counts = Counter(outcome.values())
    per_month: dict[date, list[int]] = {month: [0, 0] for month in period.months()}
    for fact in held:
        result = outcome[id(fact)]
        if result in (CONTRIBUTED, DID_NOT_CONTRIBUTE):
            cell = per_month[fact.held_on.replace(day=1)]
            cell[0] += result == CONTRIBUTED
            cell[1] += 1
    months: list[MonthParticipation] = []
    running = [0, 0]
    for month, (contributed, measured) in per_month.items():
        running[0] += contributed
        running[1] += measured
        months.append(MonthParticipation(month, contributed, measured, running[0], running[1]))
    chaired = [f for f in held if f.chaired_by_child]
    return ParticipationFigures(
        held=len(held),
        contributed=counts[CONTRIBUTED],
        did_not_contribute=counts[DID_NOT_CONTRIBUTE],
        left_out={reason: counts[reason] for reason in LEFT_OUT_REASONS},
        months=tuple(months),
        chaired_reviews=len(chaired),
        chaired_children=len({f.child_key for f in chaired}),
        chaired_recorded=sum(1 for f in held if f.chaired_by_child is not None),
    )
