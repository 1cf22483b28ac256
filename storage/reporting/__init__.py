"""The annual IRO report's queries: what each section reads from the store, as plain data.

The sections that turn these into tables and charts, and ``build_report``, are in
``services/reports/``; renderers in ``bot/reports/`` turn the report into HTML, Markdown or CSV.
"""

from storage.reporting.care import CareData, load_children_in_care
from storage.reporting.issues import load_ir_facts
from storage.reporting.locations import load_review_locations
from storage.reporting.missing import load_missing_facts
from storage.reporting.participation import load_participation_facts
from storage.reporting.reviews import (
    ReviewHistory,
    care_periods,
    load_care_episodes,
    load_review_history,
)

__all__ = [
    "CareData",
    "ReviewHistory",
    "care_periods",
    "load_care_episodes",
    "load_children_in_care",
    "load_ir_facts",
    "load_missing_facts",
    "load_participation_facts",
    "load_review_history",
    "load_review_locations",
]
