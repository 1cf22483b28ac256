"""Importing people, children, reviews, IRs or an SSDA903 return into the store.

The command line (`iro-bot import`) acts for the service; each file is read and checked before
the store is touched, written in one transaction (or, with ``partial``, its good rows), and the
import is audited (``storage.importers.runner``). Every surface that imports calls this.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.rules import RuleSet
from storage.importers.runner import ImportReport, run_import


async def import_files(
    sessions: async_sessionmaker[AsyncSession], kind: str, paths: Sequence[str], *,
    rules: RuleSet, today: date, dry_run: bool = False, partial: bool = False,
    actor: str = "cli",
) -> ImportReport:  # fmt: skip
    """Import ``paths`` as ``kind``; ``UnusableInput`` (nothing written) for unusable files."""
    return await run_import(sessions, kind, paths, rules=rules, today=today, dry_run=dry_run,
                            partial=partial, actor=actor)  # fmt: skip
