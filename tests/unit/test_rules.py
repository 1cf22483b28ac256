"""Loading and validating a per-authority rules file."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import RulesError
from domain.rules import (
    DEFAULT_RULES_PATH,
    REQUIRED_RULES,
    SplitReviewBasis,
    load_rules,
    parse_rules,
)

DEFAULT_TEXT = DEFAULT_RULES_PATH.read_text(encoding="utf-8")

WBC_REASONS = [
    "reports not available in time", "delay in later-life work",
    "IRO not notified of a significant event",
    "care plan for a child new to care not completed within 10 working days",
    "care plan filed without the IRO's view", "no advocate", "delay in care proceedings",
    "statutory visits out of time", "delay in allowances", "delay allocating a SW",
    "care provider failure", "SEN/education provision delay", "other",
]  # fmt: skip
WBC_AREAS = [
    "Family Safeguarding West", "Family Safeguarding East", "Children with Disabilities",
    "Children in Care", "16+/Care Leavers", "Family Placement Team", "SEN Service",
    "External provider",
]  # fmt: skip


def test_default_rules_have_the_exact_west_berkshire_labels() -> None:
    rules = load_rules()
    assert list(rules.reasons) == WBC_REASONS
    assert list(rules.service_areas) == WBC_AREAS
    assert [(s.key, s.name, s.owner_role) for s in rules.stages] == [
        ("informal", "Informal", "line_manager"),
        ("1", "Stage 1", "team_manager"),
        ("2", "Stage 2", "service_manager"),
        ("3", "Stage 3", "service_director"),
        ("4", "Stage 4", "director"),
    ]
    assert set(REQUIRED_RULES) <= set(rules.timescales)
    assert rules.split_counts_from is SplitReviewBasis.PART1
    assert rules.holiday_region == "ENG" and rules.ir_warning_working_days == 2
    amounts = {k: (t.amount, t.unit.value) for k, t in rules.timescales.items()}
    assert amounts["CIC-1"] == (20, "working_days")
    assert amounts["CIC-2"] == (3, "months") and amounts["CIC-3"] == (6, "months")
    assert amounts["CIC-DECISIONS"] == (5, "working_days")
    assert amounts["IR-STAGE"] == (5, "working_days")
    assert amounts["IR-FORMAL"] == (20, "working_days")


def test_child_population_is_optional() -> None:
    assert load_rules().child_population == 35800
    without = DEFAULT_TEXT.replace("child_population = 35800\n", "")
    assert without != DEFAULT_TEXT
    assert parse_rules(without).child_population is None


def test_stage_lookup_is_forgiving() -> None:
    rules = load_rules()
    assert rules.stage("Stage 2").key == "2"
    assert rules.stage("INFORMAL").key == "informal"
    assert rules.canonical_reason("No Advocate") == "no advocate"


def test_a_changed_file_changes_the_rules() -> None:
    text = DEFAULT_TEXT.replace('holiday_region = "ENG"', 'holiday_region = "SCT"')
    decisions = 'amount = 5\nunit = "working_days"\nfrom = "the review held"'
    assert decisions in text
    text = text.replace(decisions, decisions.replace("amount = 5", "amount = 10"))
    rules = parse_rules(text)
    assert rules.holiday_region == "SCT"
    assert rules.timescale("CIC-DECISIONS").amount == 10


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('holiday_region = "ENG"', 'holiday_region = "FRA"', "authority.holiday_region must be"),
        ("[timescales.CIC-2]", "[timescales.CIC-TWO]", "timescales.CIC-2 is missing"),
        ("amount = 20\nunit", 'amount = "twenty"\nunit', "timescales.CIC-1.amount must be a whole"),
        ('unit = "months"', 'unit = "fortnights"', "timescales.CIC-2.unit must be one of"),
        (
            'split_counts_from = "part1"',
            'split_counts_from = "part3"',
            "reviews.split_counts_from must be one of",
        ),
        (
            'owner_role = "team_manager"',
            'owner_role = "teacher"',
            "issues_resolution.stages[1].owner_role must be one of",
        ),
        ('key = "2"', 'key = "1"', "two stages with the same key"),
        ('needs_text = ["other"]', 'needs_text = ["something"]', "not a reason"),
        (
            '    "no advocate",\n',
            '    "no advocate",\n    "No Advocate",\n',
            "lists 'no advocate' more than once",
        ),
        ("extra_closures = []", 'extra_closures = ["29/12/2026"]', "authority.extra_closures"),
        ("[authority]", "[authorty]", "authority is missing"),
        (
            "child_population = 35800",
            "child_population = 0",
            "authority.child_population must be more than 0",
        ),
        (
            "child_population = 35800",
            'child_population = "36k"',
            "authority.child_population must be a whole number",
        ),
        (
            "child_population = 35800",
            "child_population = -1",
            "authority.child_population must be a whole number",
        ),
    ],
)
def test_invalid_rules_name_the_key_and_the_problem(old: str, new: str, message: str) -> None:
    assert old in DEFAULT_TEXT
    with pytest.raises(RulesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules(DEFAULT_TEXT.replace(old, new, 1), source="test.toml")


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="not valid TOML"):
        parse_rules("[authority\nname=", source="broken.toml")
    with pytest.raises(RulesError, match="cannot read rules file"):
        load_rules(tmp_path / "missing.toml")


def test_extra_closures_are_not_working_days(tmp_path: Path) -> None:
    path = tmp_path / "closures.toml"
    path.write_text(DEFAULT_TEXT.replace("extra_closures = []", "extra_closures = [2026-12-29]"))
    rules = load_rules(path)
    from datetime import date

    assert not rules.calendar.is_working_day(date(2026, 12, 29))
    assert load_rules().calendar.is_working_day(date(2026, 12, 29))
