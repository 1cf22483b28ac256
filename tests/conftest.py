"""Fixtures for every test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_stderr_handler_outlives_its_test() -> Iterator[None]:
    """A command run in-process (``cli.main(["serve", ...])``) configures logging as a process
    does: ``logging.basicConfig`` puts a ``StreamHandler`` on ``sys.stderr`` at the root. Under
    pytest that stderr is the test's capture, closed when the test ends; left installed, every
    later log line fails to write to it ("Logging error ... I/O operation on closed file") in
    whichever test logs next. pytest's own handlers are subclasses and are left alone."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in root.handlers[:]:
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    root.setLevel(level)
