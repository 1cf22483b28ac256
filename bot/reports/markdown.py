"""Markdown for pasting into a document or a wiki: GitHub-style tables, charts as their data."""

from __future__ import annotations

from domain.formatting import short_date
from domain.reporting import Chart, Report, Table, cell_text, provenance_text


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> list[str]:
    lines = [f"**{_escape(table.title)}**", ""]
    if not table.rows:
        lines += [f"_{table.note or 'Nothing to show.'}_", ""]
        lines += [f"_{_escape(provenance_text(table))}_", ""]
        return lines
    lines.append("| " + " | ".join(_escape(c) for c in table.columns) + " |")
    # Figures right-aligned, labels left.
    lines.append("|" + "|".join([":---", *("---:" for _ in table.columns[1:])]) + "|")
    for index, row in enumerate(table.rows):
        cells = [_escape(cell_text(c)) for c in row]
        if index in table.emphasis:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if table.note:
        lines += [f"_{_escape(table.note)}_", ""]
    lines += [f"_{_escape(provenance_text(table))}_", ""]
    return lines


def _chart(chart: Chart) -> list[str]:
    lines = [f"**Chart: {_escape(chart.title)}**", ""]
    lines.append("| | " + " | ".join(_escape(s.name) for s in chart.series) + " |")
    lines.append("|:---|" + "|".join("---:" for _ in chart.series) + "|")
    for i, category in enumerate(chart.categories):
        values = " | ".join(f"{s.values[i]:g}" for s in chart.series)
        lines.append(f"| {_escape(category)} | {values} |")
    lines.append("")
    return lines


def render_markdown(report: Report) -> str:
    lines = [
        f"# {_escape(report.title)}",
        "",
        f"{report.authority}. Period {short_date(report.period.start)} to "
        f"{short_date(report.period.end)}; figures in brackets are for the previous period, "
        f"{short_date(report.previous.start)} to {short_date(report.previous.end)}. "
        f"Produced from the IRO bot's records on {short_date(report.generated_on)}.",
        "",
    ]
    for section in report.sections:
        lines += [f"## {_escape(section.title)}", ""]
        for sentence in section.summary:
            lines += [sentence, ""]
        for table in section.tables:
            lines += _table(table)
        for chart in section.charts:
            lines += _chart(chart)
        if section.notes:
            lines += ["How these figures are counted:", ""]
            lines += [f"- {note}" for note in section.notes]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
