"""docs/worked-examples.md, row by row: each command is run and must give the row's dates."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "worked-examples.md"
ROW = re.compile(
    r"^\| (?P<input>[^|]+) \| `iro-bot (?P<command>calc [^`]+)` \| (?P<rule>[A-Z0-9-]+) \| "
    r"(?P<due>[^|]+) \| (?P<practical>[^|]+) \|$"
)


def rows() -> list[dict[str, str]]:
    return [m.groupdict() for line in DOC.read_text("utf-8").splitlines() if (m := ROW.match(line))]


def day(text: str) -> date:
    return datetime.strptime(text.strip(), "%a %d %b %Y").date()


def test_every_nation_has_its_table() -> None:
    commands = [r["command"] for r in rows()]
    assert len(commands) >= 20
    for name in ("wales", "scotland", "northern-ireland"):
        assert sum(f"--rules {name}" in c for c in commands) >= 5, name


@pytest.mark.parametrize("row", rows(), ids=lambda r: r["command"])
def test_row_is_what_the_product_answers(row: dict[str, str]) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main([*shlex.split(row["command"]), "--json", "--today", "2026-01-05"])
    assert status == 0
    result = json.loads(out.getvalue())
    assert result["rule"] == row["rule"]
    assert date.fromisoformat(result["due"]) == day(row["due"])
    assert date.fromisoformat(result["practical_due"]) == day(row["practical"])
    # The weekday in the page is the date's own (a typo there would mislead a reader).
    assert row["due"].split()[0] == day(row["due"]).strftime("%a")
    for review in result.get("reviews_held", []):
        assert review["on_time"], "an example's earlier reviews are all on time"
