"""CSV: one file per table (and per chart's data) in a folder, UTF-8 with a header row.

Plain UTF-8 without a byte-order mark, so the files diff and load cleanly in scripts; Excel
opens them with "Data > From Text/CSV".
"""

from __future__ import annotations

import csv
from pathlib import Path

from domain.reporting import Chart, CsvFile, Report


def csv_files(report: Report) -> list[CsvFile]:
    files: list[CsvFile] = []
    for section in report.sections:
        for table in section.tables:
            files.extend(table.csv)
        files.extend(_chart_csv(chart) for chart in section.charts)
    files.append(_sources_csv(report))
    return files


def _sources_csv(report: Report) -> CsvFile:
    """report_sources.csv: what each table was computed from, and every record left out.

    One row per left-out reason (this period and last), or one row with no reason for a table
    that left nothing out, so the file lists every table.
    """
    rows: list[tuple[str | int | float | None, ...]] = []
    for section in report.sections:
        for table in section.tables:
            if not table.left_out:
                rows.append((table.key, table.source, None, None, None))
            for item in table.left_out:
                rows.append((table.key, table.source, item.reason, item.this, item.last))
    return CsvFile(
        name="report_sources",
        columns=("table", "computed_from", "left_out_reason", "left_out_this", "left_out_last"),
        rows=tuple(rows),
    )


def _chart_csv(chart: Chart) -> CsvFile:
    return CsvFile(
        name=chart.key,
        columns=("category", *(series.name for series in chart.series)),
        rows=tuple(
            (category, *(_number(series.values[i]) for series in chart.series))
            for i, category in enumerate(chart.categories)
        ),
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def write_csv(report: Report, folder: Path) -> list[Path]:
    """Write every file into ``folder`` (created if needed); the paths written, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    names: set[str] = set()
    for file in csv_files(report):
        if file.name in names:
            # Two sections chose the same file name: fail loudly rather than overwrite one.
            raise ValueError(f"two report tables both write {file.name}.csv")
        names.add(file.name)
        path = folder / f"{file.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(file.columns)
            writer.writerows(["" if v is None else v for v in row] for row in file.rows)
        written.append(path)
    return written
