"""Reading one import CSV: encoding, BOM, blank lines, header matching and line numbers.

Everything that makes a file unusable as a whole (missing, unreadable, empty, a required column
absent, a column named twice) raises ``UnusableInput`` here, before the store is touched. Problems
with a single row (too many or too few cells) are attached to that row and become rejections.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from domain.errors import DomainError


class UnusableInput(DomainError):
    """The input cannot be imported at all (exit status 2); each problem is one line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class CsvRow:
    line: int  # the line the record starts on, counting as an editor does (header = line 1)
    values: dict[str, str]  # spec column name -> value with surrounding spaces removed
    problem: str | None = None  # a row-shape problem, already worded as a rejection reason


@dataclass
class CsvTable:
    name: str  # how the file is named in messages (the path as the user gave it)
    columns: frozenset[str]  # the spec columns the header has
    rows: list[CsvRow]
    notes: list[str] = field(default_factory=list)  # ignored columns, encoding fallbacks


def canonical_header(text: str) -> str:
    """'Date of Birth ' -> 'date_of_birth', so spreadsheet-style headers still match."""
    return re.sub(r"[\s\-]+", "_", text.strip().lstrip("\ufeff").strip()).lower()


def _decode(data: bytes, name: str) -> tuple[str, str | None]:
    """The file's text and a note when it was not UTF-8.

    Excel's plain "CSV" save writes Windows-1252, so a UK authority's file with 'Zoë' in it is
    often not UTF-8; reading it as 1252 gives the right letters, and the note says so.
    """
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), f"{name} is not UTF-8: read it as Windows-1252 (Excel CSV)"
    except UnicodeDecodeError:
        raise UnusableInput(
            [f"{name} is not a text file in UTF-8: save it as 'CSV UTF-8' and try again"]
        ) from None


def read_csv(
    path: Path,
    *,
    name: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    kind: str,
) -> CsvTable:
    """Read ``path`` into rows keyed by the spec's column names (matched case-insensitively)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnusableInput([f"{name}: no such file"]) from None
    except IsADirectoryError:
        raise UnusableInput([f"{name} is a directory, not a CSV file"]) from None
    except OSError as exc:
        raise UnusableInput([f"{name}: cannot read it ({exc.strerror})"]) from None
    text, encoding_note = _decode(data, name)

    reader = csv.reader(io.StringIO(text, newline=""))
    spec = {canonical_header(c): c for c in (*required, *optional)}
    header: list[str | None] | None = None
    rows: list[CsvRow] = []
    notes = [encoding_note] if encoding_note else []
    last_line = 0
    try:
        for cells in reader:
            start, last_line = last_line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines, and Excel's rows of bare commas
            if header is None:
                header = _match_header(cells, spec, name, required, kind, notes)
                continue
            rows.append(_row(cells, header, start))
    except csv.Error as exc:
        raise UnusableInput(
            [f"{name}, line {reader.line_num + 1}: not valid CSV ({exc})"]
        ) from None
    if header is None:
        raise UnusableInput([f"{name} is empty: it needs a header line naming the columns"])
    return CsvTable(name, frozenset(c for c in header if c), rows, notes)


def _match_header(
    cells: list[str],
    spec: dict[str, str],
    name: str,
    required: Sequence[str],
    kind: str,
    notes: list[str],
) -> list[str | None]:
    header: list[str | None] = []
    seen: set[str] = set()
    problems: list[str] = []
    for cell in cells:
        column = spec.get(canonical_header(cell))
        if column is None:
            if cell.strip():
                notes.append(f"column {cell.strip()!r} is not used by a {kind} import: ignored")
        elif column in seen:
            problems.append(f"{name}: column {column!r} appears twice in the header")
        else:
            seen.add(column)
        header.append(column)
    for column in required:
        if column not in seen:
            problems.append(
                f"{name}: the header has no {column!r} column; a {kind} file needs "
                f"{', '.join(required)}"
            )
    if problems:
        raise UnusableInput(problems)
    return header


def _row(cells: list[str], header: list[str | None], line: int) -> CsvRow:
    # Trailing empty cells (a spreadsheet's stray commas) are harmless; anything else that does
    # not line up with the header probably holds an unquoted comma, and guessing would put a
    # value in the wrong column.
    while len(cells) > len(header) and not cells[-1].strip():
        cells = cells[:-1]
    values = {c: v.strip() for c, v in zip(header, cells, strict=False) if c}
    problem = None
    if len(cells) != len(header):
        problem = (
            f"has {len(cells)} values but the header has {len(header)} columns "
            f"(is there a comma in a value that is not in quotes?)"
        )
    return CsvRow(line, values, problem)
