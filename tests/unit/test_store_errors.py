"""Which failures mean "the store cannot be reached just now" (``is_store_unavailable``): the user
is then told to try again in a minute, not that something went wrong."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from storage.engine import is_store_unavailable


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    try:
        raise error from cause
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")),
        DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
        raised_from(RuntimeError("turn failed"), OperationalError("SELECT 1", {}, Exception())),
    ],
    ids=["sqlite locked", "connection invalidated", "caused by one"],
)
def test_lost_or_locked_stores_are_unavailable(error: BaseException) -> None:
    assert is_store_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("INSERT", {}, Exception("duplicate key")),
        ProgrammingError("SELECT", {}, Exception("no such column")),
        DBAPIError("SELECT 1", {}, Exception("bad value"), connection_invalidated=False),
        LookupError("no such child"),
        # Raised here, not inside a database driver: a connector or a bug, not the store.
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=["integrity", "programming", "dbapi", "lookup", "oserror outside a driver"],
)
def test_bugs_and_failures_elsewhere_are_not(error: BaseException) -> None:
    assert not is_store_unavailable(error)
