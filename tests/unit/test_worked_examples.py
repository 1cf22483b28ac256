"""Every worked example in domain.md section 4, through the domain and `iro-bot calc --json`."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from domain.child_protection import initial_conference_due
from domain.reviews import ReviewHeld, next_review_due
from domain.rules import RuleSet, load_rules

RULES: RuleSet = load_rules()


def calc_json(*args: str) -> dict:
    """`iro-bot calc ... --json`, run in-process (the console script calls the same main)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["calc", *args, "--json", "--today", "2026-11-26"])
    assert status == 0
    return json.loads(buffer.getvalue())


# (domain.md input, rule, due) — CIC-2 and CIC-3 need the reviews that lead to them.
def test_cic1_became_looked_after_friday_19_dec_2025() -> None:
    due = next_review_due(date(2025, 12, 19), [], RULES)
    assert (due.due, due.rule_id) == (date(2026, 1, 21), "CIC-1")
    assert due.due.strftime("%a") == "Wed"
    assert due.practical_due == due.due
    cli = calc_json("first-review", "--looked-after", "19/12/2025")
    assert (cli["due"], cli["rule"], cli["practical_due"]) == ("2026-01-21", "CIC-1", "2026-01-21")
    assert "19 December 2025" in cli["basis"]


def test_cic1_skips_the_state_funeral() -> None:
    due = next_review_due(date(2022, 9, 5), [], RULES)
    assert (due.due, due.rule_id) == (date(2022, 10, 4), "CIC-1")
    assert "State Funeral" in due.basis
    cli = calc_json("first-review", "--looked-after", "2022-09-05")
    assert (cli["due"], cli["rule"]) == ("2022-10-04", "CIC-1")


def test_cic2_three_months_after_first_review_31_jan_2025() -> None:
    # Became looked after on 6 January 2025; the first review held on 31 January 2025.
    due = next_review_due(date(2025, 1, 6), [ReviewHeld(date(2025, 1, 31))], RULES)
    assert (due.due, due.rule_id) == (date(2025, 4, 30), "CIC-2")
    cli = calc_json("next-review", "--looked-after", "06/01/2025", "--review", "31/01/2025")
    assert (cli["due"], cli["rule"], cli["practical_due"]) == ("2025-04-30", "CIC-2", "2025-04-30")
    assert cli["basis"] == "3 months after the first review held on 31 January 2025"


def test_cic3_six_months_after_review_30_sep_2025() -> None:
    held = [ReviewHeld(date(2025, m, d)) for m, d in ((3, 1), (5, 30), (9, 30))]
    due = next_review_due(date(2025, 2, 10), held, RULES)
    assert (due.due, due.rule_id) == (date(2026, 3, 30), "CIC-3")
    cli = calc_json(
        "next-review", "--looked-after", "10/02/2025",
        "--review", "30/09/2025", "--review", "01/03/2025", "--review", "30/05/2025",
    )  # fmt: skip
    assert (cli["due"], cli["rule"]) == ("2026-03-30", "CIC-3")


def test_cp1_strategy_discussion_thursday_24_apr_2025() -> None:
    due = initial_conference_due(date(2025, 4, 24), RULES)
    assert (due.due, due.rule_id) == (date(2025, 5, 16), "CP-1")
    cli = calc_json("cp-initial", "--strategy", "24/04/2025")
    assert (cli["due"], cli["rule"]) == ("2025-05-16", "CP-1")


def test_ir_raised_friday_20_dec_2024_at_stage_1() -> None:
    cli = calc_json("ir", "--raised", "20/12/2024", "--stage", "1")
    assert cli["stage_due"] == "2024-12-31"
    assert cli["formal_due"] == "2025-01-22"
    assert cli["due"] == "2024-12-31"
    assert cli["rule"] == "IR-STAGE"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["first-review", "--looked-after", "31/02/2026"], "February 2026 has 28 days"),
        (["first-review", "--looked-after", "12/31/2026"], "day/month/year"),
        (["first-review", "--looked-after", "next tuesday"], "DD/MM/YYYY"),
        (["ir", "--raised", "20/12/2024", "--stage", "9"], "no Issues Resolution stage"),
    ],
)
def test_bad_input_prints_one_line_and_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calc", *argv]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_the_installed_command_exits_2_without_a_traceback() -> None:
    script = Path(sys.executable).with_name("iro-bot")
    out = subprocess.run(
        [str(script), "calc", "first-review", "--looked-after", "30/02/2026"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    expected = "iro-bot: '30/02/2026' is not a real date: February 2026 has 28 days"
    assert out.stderr.strip() == expected
    ok = subprocess.run(
        [str(script), "calc", "first-review", "--looked-after", "19/12/2025", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(ok.stdout)["due"] == "2026-01-21"
