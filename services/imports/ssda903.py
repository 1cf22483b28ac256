"""`iro-bot import ssda903 DIR`: the national looked-after children return (SSDA903).

DIR holds the return's CSVs (names matched case-insensitively; any may be absent):

- ``header.csv`` (CHILD, SEX, DOB, UASC when the year's return has it): adds children that are not
  stored yet, with no names (the 903 has none), and keeps DOB, SEX and UASC up to date;
- ``episodes.csv`` (CHILD, DECOM, RNE, DEC, REC, ...): periods of care, see below;
- ``reviews.csv`` (CHILD, DOB, REVIEW, REVIEW_CODE): reviews held, with the participation code;
- ``missing.csv`` (CHILD, DOB, MISSING, MIS_START, MIS_END): missing / away episodes;
- ``uasc.csv`` (CHILD, SEX, DOB, DUC): children who were unaccompanied asylum-seeking children;
  each is marked UASC (as the header's UASC column does). DUC, the date UASC status ceased, is
  checked (not before birth) but not kept: the store holds the flag only.

The directory is imported as one unit: the files describe the same children, so if any row in
any of them is rejected nothing from the directory is written (unless ``--partial``).

Periods of care from episodes. A child's episodes are taken in DECOM order. An episode with
RNE = S starts a period; an episode that ends (DEC) with a REC other than X1 ends it on that DEC
(X1 means the episode ended but care continued). An episode that breaks this chain is rejected,
naming the episode it conflicts with: one that starts while the previous one has no DEC or before
it ended; an S episode straight after an X1 (care had not ended); a non-S episode after care
ended. An episode with a REC but no DEC is still open (the REC is ignored, with a note).

A return covers one year, so a child already in care when it starts has no S episode in it. Such
a leading run of episodes continues the stored period of care that covers its first DECOM (from
an earlier return or a children file); when there is none, its start is unknown and no period is
invented (a note counts these children). Periods are added or updated, never deleted: last
year's periods are not in this year's return.

The child's ``looked_after_since`` follows the last period: its start while it is open, blank
once it has ended; it is left alone when the last period's start is unknown.

This module reads and checks the return and words every message; the writes, and how periods
of care are made from episodes, are ``storage.importers.ssda903``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from domain.formatting import short_date
from services.imports.csvfile import CsvTable, UnusableInput, read_csv
from services.imports.framework import (
    FileReport,
    ImportContext,
    ImportKind,
    RowReader,
    drop_duplicates,
    plural,
)
from storage.importers.common import children_by_id
from storage.importers.ssda903 import (
    CARE_CONTINUES,
    STARTED,
    EpisodeRow,
    HeaderRow,
    MissingRow,
    ReviewRow,
    UascRow,
    write_episodes,
    write_header,
    write_missing,
    write_reviews,
    write_uasc,
)
from storage.models import Child

# RNE: S started to be looked after; L legal status, P placement, T both, U/B both at once.
RNE_CODES = ("S", "L", "P", "T", "U", "B")
_REC = re.compile(r"[A-Z]\d{1,2}[A-Z]?")
_REVIEW_CODE = re.compile(r"PN[0-7]")

# (required columns, columns of the return we know and do not need: read silently)
FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "header": (("CHILD", "DOB"), ("SEX", "UASC", "ETHNIC", "UPN", "MOTHER", "MC_DOB")),
    "episodes": (
        ("CHILD", "DECOM", "RNE", "DEC", "REC"),
        (
            "LS",
            "CIN",
            "PLACE",
            "PLACE_PROVIDER",
            "REASON_PLACE_CHANGE",
            "HOME_POST",
            "PL_POST",
            "URN",
        ),
    ),
    "reviews": (("CHILD", "REVIEW"), ("DOB", "REVIEW_CODE")),
    "missing": (("CHILD", "MIS_START"), ("DOB", "MISSING", "MIS_END")),
    "uasc": (("CHILD",), ("SEX", "DOB", "DUC")),
}
ENTITIES = {
    "header": "children",
    "episodes": "periods of care",
    "reviews": "reviews",
    "missing": "missing episodes",
    "uasc": "UASC records",
}


@dataclass
class Return903:
    """One directory: its files by kind, in the order they are imported."""

    name: str
    tables: dict[str, CsvTable]


@dataclass
class _Run:
    """Everything one directory's import works on."""

    ctx: ImportContext
    unit: Return903
    reports: dict[str, FileReport]
    header: list[HeaderRow] = field(default_factory=list)
    episodes: list[EpisodeRow] = field(default_factory=list)
    reviews: list[ReviewRow] = field(default_factory=list)
    missing: list[MissingRow] = field(default_factory=list)
    uasc: list[UascRow] = field(default_factory=list)
    stored: dict[str, Child] = field(default_factory=dict)


class Ssda903Import(ImportKind):
    name = "ssda903"
    usage = (
        "a directory holding the SSDA903 return's header, episodes, reviews, missing and uasc CSVs"
    )

    def load(self, paths: Sequence[str]) -> list[Return903]:
        loaded: list[Return903] = []
        problems: list[str] = []
        for given in paths:
            try:
                loaded.append(self._load_dir(given))
            except UnusableInput as exc:
                problems.extend(exc.problems)
        if problems:
            raise UnusableInput(problems)
        return loaded

    @staticmethod
    def _load_dir(given: str) -> Return903:
        directory = Path(given)
        if not directory.exists():
            raise UnusableInput([f"{given}: no such directory"])
        if not directory.is_dir():
            raise UnusableInput(
                [
                    f"{given} is not a directory: ssda903 takes the folder holding the return's "
                    "header.csv, episodes.csv, reviews.csv, missing.csv and uasc.csv"
                ]
            )
        found: dict[str, Path] = {}
        ignored: list[str] = []
        for entry in sorted(directory.iterdir()):
            if entry.suffix.lower() != ".csv":
                continue
            if entry.stem.lower() in FILES:
                found[entry.stem.lower()] = entry
            else:
                ignored.append(entry.name)
        if not found:
            raise UnusableInput(
                [
                    f"{given} holds none of the SSDA903 files header.csv, episodes.csv, "
                    "reviews.csv, missing.csv or uasc.csv"
                ]
            )
        tables: dict[str, CsvTable] = {}
        problems: list[str] = []
        for kind, (required, optional) in FILES.items():
            if kind not in found:
                continue
            path = found[kind]
            try:
                tables[kind] = read_csv(
                    path,
                    name=str(Path(given) / path.name),
                    required=required,
                    optional=optional,
                    kind=f"SSDA903 {kind}",
                )
            except UnusableInput as exc:
                problems.extend(exc.problems)
        if problems:
            raise UnusableInput(problems)
        first = tables[next(iter(tables))]
        for name in ignored:
            first.notes.append(f"{name} in {given} is not an SSDA903 file this import reads")
        return Return903(given, tables)

    async def run(self, ctx: ImportContext, unit: Any) -> list[FileReport]:
        assert isinstance(unit, Return903)
        reports = {
            kind: FileReport(
                table.name, ENTITIES[kind], rows_read=len(table.rows), notes=list(table.notes)
            )
            for kind, table in unit.tables.items()
        }
        run = _Run(ctx, unit, reports)
        self._parse(run)
        ids = {
            r.child_id
            for rows in (run.header, run.episodes, run.reviews, run.missing, run.uasc)
            for r in rows
        }
        run.stored = await children_by_id(ctx.session, ids)
        self._check_children(run)
        self._check_episode_chains(run)
        await self._write(run)
        return list(reports.values())

    # -- parse -------------------------------------------------------------------------------

    def _parse(self, run: _Run) -> None:
        ctx, tables, reports = run.ctx, run.unit.tables, run.reports
        parsers = {
            "header": (
                self._header_row,
                lambda r: r.child_id,
                "CHILD",
                lambda r: f"child {r.child_id!r}",
            ),
            "episodes": (
                self._episode_row,
                lambda r: (r.child_id, r.start),
                "DECOM",
                lambda r: f"an episode of child {r.child_id!r} from {short_date(r.start)}",
            ),
            "reviews": (
                self._review_row,
                lambda r: (r.child_id, r.held_on),
                "REVIEW",
                lambda r: f"a review of child {r.child_id!r} on {short_date(r.held_on)}",
            ),
            "missing": (
                self._missing_row,
                lambda r: (r.child_id, r.start),
                "MIS_START",
                lambda r: f"an episode of child {r.child_id!r} from {short_date(r.start)}",
            ),
            "uasc": (
                self._uasc_row,
                lambda r: r.child_id,
                "CHILD",
                lambda r: f"child {r.child_id!r}",
            ),
        }
        for kind, table in tables.items():
            parse, key, column, describe = parsers[kind]
            report = reports[kind]
            records = []
            for row in table.rows:
                if row.problem:
                    report.reject(row.line, None, row.problem)
                    continue
                reader = RowReader(row, report)
                record = parse(reader, ctx)
                if record is not None and not reader.failed:
                    records.append(record)
            rows = {row.line: row for row in table.rows}
            kept = drop_duplicates(records, rows, key, column, describe, report)
            setattr(run, kind, kept)
        if "episodes" in tables:
            open_with_rec = sum(
                1 for r in run.episodes if r.end is None and r.rec and r.rec != CARE_CONTINUES
            )
            if open_with_rec:
                reports["episodes"].notes.append(
                    f"{plural(open_with_rec, 'episode')} with a REC other than X1 but no DEC: "
                    "treated as still open (a REC means nothing without the date it happened)"
                )

    @staticmethod
    def _child_id(row: RowReader) -> str | None:
        return row.text("CHILD", required=True, max_length=64)

    def _header_row(self, row: RowReader, ctx: ImportContext) -> HeaderRow | None:
        child_id = self._child_id(row)
        dob = row.date("DOB", required=True, today=ctx.today)
        sex = row.raw("SEX") or None
        if sex is not None and sex not in ("1", "2"):
            row.reject("SEX", f"{sex!r} is not an SSDA903 SEX code: 1 (male) or 2 (female)")
        uasc = row.flag("UASC")
        if child_id is None or dob is None:
            return None
        return HeaderRow(row.line, child_id, dob, sex, uasc)

    def _episode_row(self, row: RowReader, ctx: ImportContext) -> EpisodeRow | None:
        child_id = self._child_id(row)
        start = row.date("DECOM", required=True, today=ctx.today)
        rne = row.choice("RNE", RNE_CODES, required=True, what="reason for new episode (RNE)")
        end = row.date("DEC", today=ctx.today)
        rec = row.raw("REC").upper() or None
        if rec is not None and not _REC.fullmatch(rec):
            row.reject("REC", f"{row.raw('REC')!r} is not a reason episode ceased (like X1 or E11)")
        if start and end and end < start:
            row.reject(
                "DEC", f"{short_date(end)} is before the episode began ({short_date(start)})"
            )
        if end and not rec:
            row.reject(
                "REC",
                "is blank but DEC is given: say why the episode ended (X1 when the "
                "child stays in care)",
            )
        if child_id is None or start is None or rne is None:
            return None
        return EpisodeRow(row.line, child_id, start, rne, end, rec)

    def _review_row(self, row: RowReader, ctx: ImportContext) -> ReviewRow | None:
        child_id = self._child_id(row)
        held_on = row.date("REVIEW", required=True, today=ctx.today)
        code = row.raw("REVIEW_CODE").upper() or None
        if code is not None and not _REVIEW_CODE.fullmatch(code):
            row.reject(
                "REVIEW_CODE",
                f"{row.raw('REVIEW_CODE')!r} is not a participation code (PN0 to PN7)",
            )
        dob = row.date("DOB")
        if child_id is None or held_on is None:
            return None
        return ReviewRow(row.line, child_id, held_on, code, dob)

    def _missing_row(self, row: RowReader, ctx: ImportContext) -> MissingRow | None:
        child_id = self._child_id(row)
        start = row.date("MIS_START", required=True, today=ctx.today)
        end = row.date("MIS_END", today=ctx.today)
        kind = row.raw("MISSING").upper() or None
        if kind is not None and kind not in ("M", "A"):
            row.reject(
                "MISSING",
                f"{row.raw('MISSING')!r} is not M (missing) or A (away from "
                "placement without authorisation)",
            )
        if start and end and end < start:
            row.reject(
                "MIS_END", f"{short_date(end)} is before the episode began ({short_date(start)})"
            )
        dob = row.date("DOB")
        if child_id is None or start is None:
            return None
        return MissingRow(row.line, child_id, start, end, kind, dob)

    def _uasc_row(self, row: RowReader, ctx: ImportContext) -> UascRow | None:
        child_id = self._child_id(row)
        sex = row.raw("SEX") or None
        if sex is not None and sex not in ("1", "2"):
            row.reject("SEX", f"{sex!r} is not an SSDA903 SEX code: 1 (male) or 2 (female)")
        dob = row.date("DOB")
        ceased = row.date("DUC", today=ctx.today)
        if child_id is None:
            return None
        return UascRow(row.line, child_id, dob, ceased)

    # -- checks across files and against the store --------------------------------------------

    def _check_children(self, run: _Run) -> None:
        """Every row's child is in header.csv or the store, born on the same day, before it."""
        header_ok = {r.child_id: r for r in run.header}
        header_lines: dict[str, int] = {}
        if "header" in run.unit.tables:
            header_lines = {
                row.values.get("CHILD", ""): row.line for row in run.unit.tables["header"].rows
            }
        header_name = run.reports["header"].file if "header" in run.reports else "header.csv"

        def born(child_id: str) -> tuple[date | None, str]:
            if child_id in header_ok:
                return header_ok[child_id].dob, f"{header_name}, line {header_lines[child_id]}"
            stored = run.stored.get(child_id)
            return (stored.date_of_birth if stored else None), "the store"

        def check(kind: str, record: Any, date_column: str, day: date | None) -> bool:
            report = run.reports[kind]
            child_id = record.child_id
            if child_id not in header_ok and child_id not in run.stored:
                if child_id in header_lines:
                    reason = (
                        f"child {child_id!r}: their row in {header_name} (line "
                        f"{header_lines[child_id]}) was rejected"
                    )
                else:
                    reason = f"child {child_id!r} is not in header.csv or in the store"
                report.reject(record.line, "CHILD", reason)
                return False
            dob, where = born(child_id)
            given = getattr(record, "dob", None)
            if given and dob and given != dob:
                report.reject(
                    record.line,
                    "DOB",
                    f"{short_date(given)} is not the child's date "
                    f"of birth in {where} ({short_date(dob)})",
                )
                return False
            if dob and day and day < dob:
                report.reject(
                    record.line,
                    date_column,
                    f"{short_date(day)} is before the child was born ({short_date(dob)})",
                )
                return False
            return True

        run.episodes = [r for r in run.episodes if check("episodes", r, "DECOM", r.start)]
        run.reviews = [r for r in run.reviews if check("reviews", r, "REVIEW", r.held_on)]
        run.missing = [r for r in run.missing if check("missing", r, "MIS_START", r.start)]
        run.uasc = [r for r in run.uasc if check("uasc", r, "DUC", r.ceased)]

    def _check_episode_chains(self, run: _Run) -> None:
        """Reject an episode that does not follow on from the child's previous one."""
        if "episodes" not in run.reports:
            return
        report = run.reports["episodes"]
        accepted: list[EpisodeRow] = []
        by_child: dict[str, list[EpisodeRow]] = defaultdict(list)
        for episode in run.episodes:
            by_child[episode.child_id].append(episode)
        for episodes in by_child.values():
            previous: EpisodeRow | None = None
            for episode in sorted(episodes, key=lambda e: (e.start, e.line)):
                problem = _chain_problem(previous, episode)
                if problem:
                    report.reject(episode.line, *problem)
                    continue
                accepted.append(episode)
                previous = episode
        run.episodes = sorted(accepted, key=lambda e: e.line)

    # -- write -------------------------------------------------------------------------------

    async def _write(self, run: _Run) -> None:
        """Write each file's checked records (``storage.importers.ssda903``) and count them."""
        session, ctx, reports = run.ctx.session, run.ctx, run.reports
        children = dict(run.stored)
        if "header" in reports:
            header = await write_header(session, run.header, run.stored)
            ctx.record(reports["header"], header)
            children = header.children
        if "episodes" in reports:
            episodes = await write_episodes(session, run.episodes, children)
            ctx.record(reports["episodes"], episodes)
            if episodes.unknown_start:
                reports["episodes"].notes.append(
                    f"{plural(episodes.unknown_start, 'child', 'children')} with episodes here "
                    "that continue a period of care begun earlier (no RNE S episode before them, "
                    "and no stored period covering them): its start is unknown, so no period of "
                    "care was recorded for them (a children file's looked_after_since can give "
                    "it)"
                )
            if episodes.moved:
                reports["episodes"].notes.append(
                    f"looked_after_since changed for {plural(episodes.moved, 'child', 'children')} "
                    "(next review dates recomputed)"
                )
        if "reviews" in reports:
            ctx.record(reports["reviews"], await write_reviews(session, run.reviews, children))
        if "missing" in reports:
            ctx.record(reports["missing"], await write_missing(session, run.missing, children))
        if "uasc" in reports:
            ctx.record(reports["uasc"], await write_uasc(session, run.uasc, children))


def _chain_problem(previous: EpisodeRow | None, episode: EpisodeRow) -> tuple[str, str] | None:
    """Why ``episode`` cannot follow ``previous`` (the child's last accepted episode), if so."""
    if previous is None:
        return None
    other = f"the child's episode on line {previous.line}"
    if previous.end is None:
        return (
            "DECOM",
            f"{short_date(episode.start)}, but {other} (from {short_date(previous.start)}) has "
            "no DEC, so it is still open: an episode must end before the next one starts",
        )
    if episode.start < previous.end:
        return (
            "DECOM",
            f"{short_date(episode.start)} is before {other} ended, on {short_date(previous.end)}",
        )
    if previous.rec == CARE_CONTINUES and episode.rne == STARTED:
        return (
            "RNE",
            f"is S (started to be looked after), but {other} ended with REC X1, meaning the "
            "child stayed in care",
        )
    if previous.rec != CARE_CONTINUES and episode.rne != STARTED:
        return (
            "RNE",
            f"is {episode.rne}, which continues a period of care, but {other} ended it on "
            f"{short_date(previous.end)} with REC {previous.rec}: a new period of care starts "
            "with RNE S",
        )
    return None
