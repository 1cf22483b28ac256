"""Importing people, children, reviews, IRs or an SSDA903 return into the store.

The command line (`iro-bot import`) acts for the service; each file is read and checked before
the store is touched, written in one transaction (or, with ``partial``, its good rows), and the
import is audited (``services.imports.runner``). Every surface that imports calls this.

Kinds: ``people``, ``children``, ``reviews``, ``irs`` (CSV files) and ``ssda903`` (a directory
holding the national return's CSVs). This package reads and checks: the CSV files
(``csvfile``), typed cells, the report and every sentence a person reads about their file
(``framework``), each kind's parse and checks against the store (one module a kind), and the
run (``runner``). The writes are ``storage.importers``, which returns what it did as data.

Shared behaviour: each file gets a summary (rows read, created, updated, unchanged, rejected);
every rejected row is listed with file, line, column and reason; a file with a rejected row
writes nothing unless ``partial``; ``dry_run`` writes nothing; a run is one transaction;
importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.rules import RuleSet
from services.imports.csvfile import UnusableInput
from services.imports.framework import FileReport, Rejection
from services.imports.runner import KINDS, ImportReport, run_import

__all__ = [
    "KINDS",
    "FileReport",
    "ImportReport",
    "Rejection",
    "UnusableInput",
    "import_files",
    "run_import",
]


async def import_files(
    sessions: async_sessionmaker[AsyncSession], kind: str, paths: Sequence[str], *,
    rules: RuleSet, today: date, dry_run: bool = False, partial: bool = False,
    actor: str = "cli",
) -> ImportReport:  # fmt: skip
    """Import ``paths`` as ``kind``; ``UnusableInput`` (nothing written) for unusable files."""
    return await run_import(sessions, kind, paths, rules=rules, today=today, dry_run=dry_run,
                            partial=partial, actor=actor)  # fmt: skip
