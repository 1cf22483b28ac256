"""The report's sections, in the order they are printed.

To add a section: write a module under ``storage/reporting/`` with an object satisfying
``storage.reporting.base.ReportSection`` and add it here. Keys must be unique: they name the
section on the command line (``--sections``) and prefix nothing else.
"""

from __future__ import annotations

from storage.reporting.base import ReportSection
from storage.reporting.care import ChildrenInCareSection
from storage.reporting.caseloads import CaseloadsSection
from storage.reporting.issues import IssuesResolutionSection
from storage.reporting.leaving_care import LeavingCareSection
from storage.reporting.missing import MissingSection
from storage.reporting.participation import ParticipationSection
from storage.reporting.reviews import ReviewsSection

# In the seed report's order: caseloads (6), children in care (7.1-7.3), reviews (7.5-8),
# leaving care (12), participation (14), missing (19), Issues Resolution (21).
SECTIONS: tuple[ReportSection, ...] = (
    CaseloadsSection(),
    ChildrenInCareSection(),
    ReviewsSection(),
    LeavingCareSection(),
    ParticipationSection(),
    MissingSection(),
    IssuesResolutionSection(),
)


def sections_by_key() -> dict[str, ReportSection]:
    return {section.key: section for section in SECTIONS}
