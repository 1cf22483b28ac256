"""What the annual report counts about a review held, beyond its date and part: how the child
took part (SSDA903 REVIEW_CODE), why it was late, why only Part 1 could be held, where it was
held, and whether the young person chaired it.

The late and Part 1 reasons and the localities are the authority's lists (the rules file); a
reason not on its list is "Other: <the words typed>", so the report can count it under
"Other" without one row per wording.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import DomainError

#: SSDA903 REVIEW_CODE, in the guidance's order, each said in plain English (DfE SSDA903
#: guidance: "PN0 child aged under 4 at the time of the review" ... "PN7 child does not attend
#: nor are his or her views conveyed to the review").
PARTICIPATION: dict[str, str] = {
    "PN0": "Under 4 at the time of the review",
    "PN1": "Attended and spoke for themselves",
    "PN2": "Attended, and an advocate spoke for them",
    "PN3": "Attended and gave their views without words (symbols, signs)",
    "PN4": "Attended but did not give their views",
    "PN5": "Did not attend, but briefed an advocate to speak for them",
    "PN6": "Did not attend, but gave their views another way (a letter, a recording, an app)",
    "PN7": "Did not attend, and their views were not given",
}
UNDER_FOUR = "PN0"
#: The prefix of a reason given in the user's own words (not on the authority's list).
OTHER = "Other"


def other(words: str) -> str:
    """A reason in the user's own words, as stored: "Other: snow closed the roads"."""
    return f"{OTHER}: {words.strip()}"


def is_other(reason: str) -> bool:
    return reason == OTHER or reason.startswith(f"{OTHER}: ")


@dataclass(frozen=True)
class ReviewDetails:
    """The report's facts about one review, as the user gave them (each may be absent: an
    import, or a review recorded before these were asked)."""

    participation: str | None = None  # PN0-PN7
    late_reason: str | None = None  # a label of the list, or "Other: ..."
    part1_reason: str | None = None  # a label of the list, or "Other: ..."
    held_at: str | None = None  # a locality of the list, or the words typed
    chaired_by_child: bool | None = None


#: Nothing given (an import, or a review on time and full: nothing to ask).
NO_DETAILS = ReviewDetails()


def check_details(
    details: ReviewDetails, *, late: bool, part1: bool, late_reasons: Sequence[str],
    part1_reasons: Sequence[str],
) -> ReviewDetails:  # fmt: skip
    """The details as they will be stored, or a DomainError saying what is wrong: a late
    review needs its reason, a Part 1 its reason, each from the list or "Other: ..."; a
    participation code must be one of PN0-PN7. A reason the review does not need is dropped."""
    code = (details.participation or "").strip().upper() or None
    if code is not None and code not in PARTICIPATION:
        raise DomainError(f"{code} is not a participation code: use PN0 to PN7.")
    late_reason = _reason(details.late_reason, late_reasons, "was late") if late else None
    part1_reason = _reason(details.part1_reason, part1_reasons, "was held in two parts") \
        if part1 else None  # fmt: skip
    held_at = (details.held_at or "").strip() or None
    if held_at is not None and len(held_at) > 100:
        raise DomainError("Where it was held is too long: a place name is enough.")
    return ReviewDetails(code, late_reason, part1_reason, held_at, details.chaired_by_child)


def _reason(given: str | None, labels: Sequence[str], what: str) -> str:
    reason = (given or "").strip()
    if not reason:
        raise DomainError(f"This review {what}: please say why, so it can be reported.")
    if reason in labels:
        return reason
    if is_other(reason) and reason != OTHER:
        if len(reason) > 200:
            raise DomainError("That reason is too long: a sentence is enough.")
        return reason
    raise DomainError(f"{reason!r} is not one of the reasons on the list: choose one, or "
                      "\"other\" and say why in a few words.")  # fmt: skip
