"""The report's sections, in the order they are printed.

To add a section: write a module under ``storage/reporting/`` with an object satisfying
``storage.reporting.base.ReportSection`` and add it here. Keys must be unique: they name the
section on the command line (``--sections``) and prefix nothing else.
"""

from __future__ import annotations

from storage.reporting.base import ReportSection
from storage.reporting.issues import IssuesResolutionSection
from storage.reporting.missing import MissingSection
from storage.reporting.participation import ParticipationSection
from storage.reporting.reviews import ReviewsSection

SECTIONS: tuple[ReportSection, ...] = (
    IssuesResolutionSection(),
    ReviewsSection(),
    ParticipationSection(),
    MissingSection(),
)


def sections_by_key() -> dict[str, ReportSection]:
    return {section.key: section for section in SECTIONS}
