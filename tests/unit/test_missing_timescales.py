"""A rules file may leave out a timescale a nation's law does not set (issue 21), and say why.

Asking for such a date raises ``MissingTimescale``: a ``DomainError`` whose message says which
date, why it is not set and what to do, so every surface that shows the domain's refusals as
they are (the command line, a dialog's checks and its save, the next-review answers) says so
in words, not with a stack trace. `iro-bot calc` still answers what it can.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date

import pytest

from bot.cli import main
from domain.child_protection import initial_conference_due
from domain.errors import DomainError, RulesError
from domain.issues_resolution import raise_ir, stage_deadline
from domain.missing import return_home_interview_due
from domain.reminders import JOB_RULES, job_applies
from domain.reviews import decisions_due, minutes_due, reports_due
from domain.rules import (
    DEFAULT_RULES_PATH,
    OPTIONAL_RULES,
    REQUIRED_RULES,
    MissingTimescale,
    load_rules,
    parse_rules,
)

DEFAULT_TEXT = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
CP1 = """[timescales.CP-1]
title = "Initial child protection conference"
amount = 15
unit = "working_days"
from = "the strategy discussion held"
citation = "Working Together to Safeguard Children 2023, chapter 3"
"""


def without_cp1(not_set: str = "") -> str:
    assert CP1 in DEFAULT_TEXT
    return DEFAULT_TEXT.replace(CP1, not_set)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


# -- the rules file -------------------------------------------------------------------------


def test_a_left_out_rule_needs_a_reason() -> None:
    with pytest.raises(
        RulesError,
        match=r"timescales\.CP-1 is missing: give its timescale, or "
        r"say why it is left out under \[timescales_not_set\]",
    ):
        parse_rules(without_cp1(), source="test.toml")
    rules = parse_rules(
        without_cp1('[timescales_not_set]\nCP-1 = "Not set by any regulation here"\n'),
        source="test.toml",
    )
    assert not rules.has_timescale("CP-1") and rules.has_timescale("CP-2")
    assert rules.not_set == {"CP-1": "Not set by any regulation here"}


@pytest.mark.parametrize(
    ("not_set", "message"),
    [
        ('CIC-1 = "no"', r"timescales_not_set\.CIC-1 cannot be left out"),
        ('CP-9 = "no"', r"timescales_not_set\.CP-9 is not a rule"),
        ('CP-2 = "no"', r"timescales_not_set\.CP-2 is also given under \[timescales\]"),
        ('CP-1 = ""', r"timescales_not_set\.CP-1 must be non-empty text"),
    ],
)
def test_timescales_not_set_is_checked(not_set: str, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(without_cp1(f"[timescales_not_set]\n{not_set}\n"), source="test.toml")


def test_the_review_cycle_can_never_be_left_out() -> None:
    assert set(REQUIRED_RULES) == {"CIC-1", "CIC-2", "CIC-3", "CIC-BF"}
    assert not set(REQUIRED_RULES) & set(OPTIONAL_RULES)
    for name in ("wales", "scotland", "northern-ireland"):
        rules = load_rules(name)
        assert set(REQUIRED_RULES) <= set(rules.timescales)
        # Every other rule is set or said to be left out, never silently missing.
        assert set(rules.timescales) | set(rules.not_set) == set(REQUIRED_RULES) | set(
            OPTIONAL_RULES
        )


# -- asking for a date that is not set ------------------------------------------------------


def test_the_message_says_which_date_why_and_what_to_do() -> None:
    rules = load_rules("scotland")
    with pytest.raises(MissingTimescale) as caught:
        initial_conference_due(date(2025, 4, 24), rules)
    error = caught.value
    assert isinstance(error, DomainError)  # shown as it is wherever refusals are shown
    assert error.rule_id == "CP-1"
    text = str(error)
    assert text.startswith(
        "The rules for Scotland set no timescale for the initial child protection conference "
        "(CP-1), so I can't work that date out."
    )
    assert "national guidance, not regulation" in text  # the file's own reason
    assert text.endswith("can add it to scotland.toml with its source.")
    assert "Traceback" not in text and "KeyError" not in text


@pytest.mark.parametrize("name", ["wales", "scotland", "northern-ireland"])
def test_every_left_out_date_says_so(name: str) -> None:
    rules = load_rules(name)
    asks = {
        "CIC-DECISIONS": lambda: decisions_due(date(2025, 6, 2), rules),
        "CIC-MINUTES": lambda: minutes_due(date(2025, 6, 2), rules),
        "CIC-REPORTS": lambda: reports_due(date(2025, 6, 12), rules),
        "CP-1": lambda: initial_conference_due(date(2025, 6, 2), rules),
        "MISS-RHI": lambda: return_home_interview_due(date(2025, 6, 2), rules),
        "IR-STAGE": lambda: stage_deadline(
            raise_ir(
                rules,
                child_id="c",
                raised_by="i",
                reasons=["other"],
                description="x",
                on=date(2025, 6, 2),
                stage="informal",
            )[0],
            rules,
        ),
    }
    for rule_id, ask in asks.items():
        assert rule_id in rules.not_set
        with pytest.raises(MissingTimescale, match=rf"\({rule_id}\), so I can't work that date"):
            ask()


# -- iro-bot calc ---------------------------------------------------------------------------


def test_calc_first_review_says_the_care_plan_is_not_set_and_still_answers() -> None:
    status, out, err = run("calc", "first-review", "--looked-after", "19/12/2025",
                           "--rules", "scotland", "--today", "2026-01-05")  # fmt: skip
    assert (status, err) == (0, "")
    assert "First review: Friday 30 January 2026  [CIC-1]" in out
    assert "6 weeks (42 days) after the child was placed on 19 December 2025." in out
    assert "Source: Looked After Children (Scotland) Regulations 2009 (SSI 2009/210), " \
        "reg 45(2)(a)." in out  # fmt: skip
    assert "[CIC-PLAN] The rules for Scotland set no timescale for the care plan" in out

    status, out, _ = run("calc", "first-review", "--looked-after", "19/12/2025",
                         "--rules", "scotland", "--json")  # fmt: skip
    result = json.loads(out)
    assert status == 0 and "also" not in result
    assert result["not_set"][0]["rule"] == "CIC-PLAN"


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (("cp-initial", "--strategy", "24/04/2025"), "CP-1"),
        (("cp-review", "--initial-conference", "16/05/2025"), "CP-2"),
        (("ir", "--raised", "20/12/2024", "--stage", "1"), "IR-FORMAL"),
    ],
)
@pytest.mark.parametrize("name", ["wales", "scotland", "northern-ireland"])
def test_calc_of_a_date_not_set_is_one_line_and_status_2(
    name: str, args: tuple[str, ...], rule: str
) -> None:
    status, out, err = run("calc", *args, "--rules", name)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("iro-bot: The rules for ")
    assert f"({rule}), so I can't work that date out." in err


@pytest.mark.parametrize("name", ["wales", "scotland", "northern-ireland"])
def test_reminder_jobs_whose_timescales_a_nation_leaves_out_are_idle(name: str) -> None:
    """The scheduler's jobs count from CIC-REPORTS, CIC-DECISIONS/MINUTES and IR-STAGE: with
    none set, a job has nothing to remind of (rather than failing every tick)."""
    rules = load_rules(name)
    for job, rule_ids in JOB_RULES.items():
        assert job_applies(job, rules) == all(rules.has_timescale(r) for r in rule_ids)
    assert not job_applies("reports", rules) and not job_applies("follow_ups", rules)
    assert all(job_applies(job, load_rules()) for job in JOB_RULES)  # England sets them all
