"""One self-contained HTML file: styles inline, charts as base64 PNGs, nothing fetched.

It is written to be printed (or saved as PDF) as much as read on screen: A4 pages, tables and
charts kept whole across page breaks, headings kept with what follows, colours printed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape

from domain.formatting import short_date
from domain.reporting import (
    Chart,
    Compared,
    Report,
    SectionResult,
    Table,
    cell_text,
    provenance_text,
)

_STYLE = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #c8c8c8; --band: #f1f4f8; --accent: #0b4f8a; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, "Liberation Sans", sans-serif; color: var(--ink);
       font-size: 11pt; line-height: 1.45; margin: 0 auto; max-width: 60rem; padding: 1.5rem; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 1.2rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; color: var(--accent); }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; color: var(--accent);
     border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
.meta { color: var(--muted); margin: .2rem 0 .8rem; }
.key { background: var(--band); border-left: 4px solid var(--accent); padding: .5rem .8rem; }
table { border-collapse: collapse; margin: .4rem 0 1.2rem; width: 100%; font-size: 10pt; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid var(--rule); padding: .3rem .5rem; vertical-align: top; }
th { background: var(--band); text-align: left; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .last { color: var(--muted); }
tr.total td { font-weight: 700; background: #fafafa; }
.note { color: var(--muted); font-size: 9.5pt; margin: -.8rem 0 1rem; }
figure { margin: .5rem 0 1.2rem; }
figure img { width: 100%; max-width: 44rem; height: auto; }
figcaption { color: var(--muted); font-size: 9.5pt; }
ul.notes { color: var(--muted); font-size: 9.5pt; }
footer { color: var(--muted); font-size: 9pt; border-top: 1px solid var(--rule);
         margin-top: 2rem; padding-top: .5rem; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  table, figure, .key { break-inside: avoid; }
  caption { break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

ChartRenderer = Callable[[Chart], bytes]


def _cell(cell: object, first: bool) -> str:
    if isinstance(cell, Compared):
        # "this (last)" with last period's figure greyed: the eye reads this period first.
        this, _, last = cell.text().partition(" ")
        return f'<td class="n">{escape(this)} <span class="last">{escape(last)}</span></td>'
    text = escape(cell_text(cell))  # type: ignore[arg-type]
    if first or not isinstance(cell, int | float):
        return f"<td>{text}</td>"
    return f'<td class="n">{text}</td>'


def _table(table: Table) -> str:
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in table.columns)
    body = []
    for index, row in enumerate(table.rows):
        cls = ' class="total"' if index in table.emphasis else ""
        cells = "".join(_cell(c, i == 0) for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    if not table.rows:
        body.append(f'<tr><td colspan="{len(table.columns)}">None in either period.</td></tr>')
    note = f'<p class="note">{escape(table.note)}</p>' if table.note and table.rows else ""
    source = f'<p class="note source">{escape(provenance_text(table))}</p>'
    return (
        f'<table id="{escape(table.key)}"><caption>{escape(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}{source}"
    )


def _chart(chart: Chart, draw: ChartRenderer) -> str:
    data = base64.b64encode(draw(chart)).decode("ascii")
    return (
        f'<figure id="{escape(chart.key)}"><img src="data:image/png;base64,{data}" '
        f'alt="{escape(chart.description or chart.title)}"></figure>'
        # No caption: the title is drawn in the image, and stays with it when copied out.
    )


def _section(section: SectionResult, draw: ChartRenderer) -> str:
    parts = [f'<section id="{escape(section.key)}"><h2>{escape(section.title)}</h2>']
    parts += [f"<p>{escape(sentence)}</p>" for sentence in section.summary]
    parts += [_table(table) for table in section.tables]
    parts += [_chart(chart, draw) for chart in section.charts]
    if section.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in section.notes)
        parts.append(f'<ul class="notes">{items}</ul>')
    parts.append("</section>")
    return "".join(parts)


def render_html(report: Report, draw: ChartRenderer | None = None) -> str:
    """The report as one HTML document. ``draw`` makes a chart's PNG (matplotlib by default)."""
    if draw is None:
        from bot.reports.charts import chart_png

        draw = chart_png
    period, previous = report.period, report.previous
    sections = "".join(_section(section, draw) for section in report.sections)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(report.title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{escape(report.title)}</h1>
<p class="meta">{escape(report.authority)} · {escape(short_date(period.start))} to \
{escape(short_date(period.end))}</p>
</header>
<p class="key">Figures in brackets are for the previous period of the same length, \
{escape(short_date(previous.start))} to {escape(short_date(previous.end))}: \
<strong>this period</strong> (last period).</p>
{sections}
<footer>Produced from the IRO bot's records on {escape(short_date(report.generated_on))} \
with <code>iro-bot report</code>.</footer>
</body>
</html>
"""
