"""Renderers for ``domain.reporting.Report``: self-contained HTML, Markdown and CSV.

Each draws any section's tables and charts generically, so a new report section needs no change
here. Only the HTML renderer imports matplotlib (in ``charts``), and only when it runs.
"""

from bot.reports.csvfiles import write_csv
from bot.reports.html import render_html
from bot.reports.markdown import render_markdown

__all__ = ["render_html", "render_markdown", "write_csv"]
