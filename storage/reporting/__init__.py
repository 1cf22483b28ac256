"""The annual IRO report built from the store: `iro-bot report`.

``build_report`` runs each section (``registry.SECTIONS``) in one read-only session and returns a
``domain.reporting.Report``; renderers in ``bot/reports/`` turn that into HTML, Markdown or CSV.
"""

from storage.reporting.base import ReportContext, ReportSection
from storage.reporting.build import build_report
from storage.reporting.registry import SECTIONS, sections_by_key

__all__ = ["SECTIONS", "ReportContext", "ReportSection", "build_report", "sections_by_key"]
