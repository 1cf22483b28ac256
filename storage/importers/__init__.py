"""Imports from an authority's own data: `iro-bot import KIND FILE… [--dry-run] [--partial]`.

Kinds: ``people``, ``children``, ``reviews``, ``irs`` (CSV files) and ``ssda903`` (a directory
holding the national return's CSVs). ``run_import`` is the one entry point; the command line in
``bot/cli/import_command.py`` only parses arguments and prints the report.

Shared behaviour (``framework`` and ``runner``): each file gets a summary (rows read, created,
updated, unchanged, rejected); every rejected row is listed with file, line, column and reason;
a file with a rejected row writes nothing unless ``partial``; ``dry_run`` writes nothing; a run
is one transaction; importing the same file twice changes nothing the second time.
"""

from storage.importers.csvfile import UnusableInput
from storage.importers.framework import FileReport, Rejection
from storage.importers.runner import KINDS, ImportReport, run_import

__all__ = [
    "KINDS",
    "FileReport",
    "ImportReport",
    "Rejection",
    "UnusableInput",
    "run_import",
]
