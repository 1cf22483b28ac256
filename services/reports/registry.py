"""The report's sections, in the order they are printed.

To add a section: write a module under ``services/reports/`` with an object satisfying
``services.reports.context.ReportSection`` (its query under ``storage/reporting/``) and add it
here. Keys must be unique: they name the section on the command line (``--sections``) and prefix
nothing else.
"""

from __future__ import annotations

from services.reports.care import ChildrenInCareSection
from services.reports.caseloads import CaseloadsSection
from services.reports.context import ReportSection
from services.reports.issues import IssuesResolutionSection
from services.reports.leaving_care import LeavingCareSection
from services.reports.locations import LocationsSection
from services.reports.missing import MissingSection
from services.reports.participation import ParticipationSection
from services.reports.reviews import ReviewsSection

# In the seed report's order: caseloads (6), children in care (7.1-7.3), reviews (7.5-8),
# where reviews were held (11), leaving care (12), participation (14), missing (19), Issues
# Resolution (21).
SECTIONS: tuple[ReportSection, ...] = (
    CaseloadsSection(),
    ChildrenInCareSection(),
    ReviewsSection(),
    LocationsSection(),
    LeavingCareSection(),
    ParticipationSection(),
    MissingSection(),
    IssuesResolutionSection(),
)


def sections_by_key() -> dict[str, ReportSection]:
    return {section.key: section for section in SECTIONS}
