"""The utterance corpus (tests/unit/utterances.json) run through understand() and resolve_child().

The corpus was written before the classifier was tuned; its expectations are what a careful
reader would want. The aim (issue 4) is at least 95% for intent and for child resolution. The
same evaluation feeds benchmarks/understanding_bench.py and BENCHMARKS.md.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from understanding import (
    ChildCandidate,
    ChildIndex,
    ChildRefKind,
    ConversationContext,
    Intent,
    ResolutionKind,
    Understanding,
    resolve_child,
    understand,
)

CORPUS_PATH = Path(__file__).with_name("utterances.json")
CORPUS: dict[str, Any] = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))
# Written after the classifier was tuned on CORPUS and never tuned against: a check on how far
# the corpus figures generalise. Reported, not asserted at the aim.
HOLDOUT_PATH = Path(__file__).with_name("utterances.holdout.json")
HOLDOUT: dict[str, Any] = json.loads(HOLDOUT_PATH.read_text(encoding="utf-8"))
TODAY = date.fromisoformat(CORPUS["today"])
CASELOAD: tuple[ChildCandidate, ...] = tuple(ChildCandidate(**c) for c in CORPUS["caseload"])
BY_ID = {c.child_id: c for c in CASELOAD}
INDEX = ChildIndex.build(CASELOAD)
AIM = 0.95

ENTITY_KEYS = (
    "date",
    "date_error",
    "period",
    "overdue",
    "part",
    "ir_ref",
    "stage",
    "reasons",
    "scope",
    "reason",
    "paperwork",
)


@dataclass
class Row:
    text: str
    expected: dict[str, Any]
    understanding: Understanding
    child_expected: Any
    child_actual: Any
    entity_problems: list[str] = field(default_factory=list)

    @property
    def intent_ok(self) -> bool:
        return self.understanding.intent.value == self.expected["intent"]

    @property
    def child_relevant(self) -> bool:
        return self.child_expected is not None or self.child_actual is not None

    @property
    def child_ok(self) -> bool:
        return self.child_expected == self.child_actual

    @property
    def entities_ok(self) -> bool:
        return not self.entity_problems


@dataclass
class Report:
    rows: list[Row]

    def _rate(self, rows: list[Row], ok: str) -> tuple[int, int]:
        return sum(getattr(r, ok) for r in rows), len(rows)

    @property
    def intent(self) -> tuple[int, int]:
        return self._rate(self.rows, "intent_ok")

    @property
    def child(self) -> tuple[int, int]:
        return self._rate([r for r in self.rows if r.child_relevant], "child_ok")

    @property
    def entities(self) -> tuple[int, int]:
        return self._rate(self.rows, "entities_ok")

    @property
    def entities_where_expected(self) -> tuple[int, int]:
        rows = [r for r in self.rows if any(k in r.expected for k in ENTITY_KEYS)]
        return self._rate(rows, "entities_ok")

    def per_intent(self) -> dict[str, tuple[int, int]]:
        totals: Counter[str] = Counter()
        right: Counter[str] = Counter()
        for row in self.rows:
            totals[row.expected["intent"]] += 1
            right[row.expected["intent"]] += row.intent_ok
        return {k: (right[k], totals[k]) for k in sorted(totals)}

    def failures(self) -> list[str]:
        lines = []
        for row in self.rows:
            problems = []
            if not row.intent_ok:
                problems.append(
                    f"intent {row.understanding.intent.value} (expected {row.expected['intent']})"
                )
            if row.child_relevant and not row.child_ok:
                problems.append(f"child {row.child_actual} (expected {row.child_expected})")
            problems += row.entity_problems
            if problems:
                lines.append(f"{row.text!r}: " + "; ".join(problems))
        return lines


def _expected_child(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return ("ambiguous", tuple(sorted(value)))
    if value == "none":
        return ("none",)
    return ("match", value)


def _actual_child(u: Understanding) -> Any:
    ref = u.child
    if ref is None:
        return None
    if ref.kind is ChildRefKind.PRONOUN:
        return ("match", ref.child.child_id) if ref.child else ("pronoun, nobody in context",)
    result = resolve_child(ref.text, INDEX)
    if result.kind is ResolutionKind.MATCH:
        assert result.child is not None
        return ("match", result.child.child_id)
    if result.kind is ResolutionKind.AMBIGUOUS:
        return ("ambiguous", tuple(sorted(c.child_id for c in result.choices)))
    return ("none",)


def _entity_problems(u: Understanding, expected: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def check(key: str, actual: Any, wanted: Any) -> None:
        if actual != wanted:
            problems.append(f"{key} {actual!r} (expected {wanted!r})")

    check("date", u.date.isoformat() if u.date else None, expected.get("date"))
    check("date_error", u.date_error is not None, expected.get("date_error", False))
    period = u.period
    span = (
        [period.start.isoformat(), period.end.isoformat()]
        if period and period.start and period.end
        else None
    )
    check("period", span, expected.get("period"))
    check("overdue", bool(period and period.overdue), expected.get("overdue", False))
    check("part", u.part.value if u.part else None, expected.get("part"))
    check("ir_ref", u.ir_ref, expected.get("ir_ref"))
    check("stage", u.stage, expected.get("stage"))
    check("reasons", sorted(u.ir_reasons), sorted(expected.get("reasons", [])))
    check("scope", u.ir_scope.value if u.ir_scope else None, expected.get("scope"))
    check("paperwork", sorted(u.paperwork), sorted(expected.get("paperwork", [])))
    if "reason" in expected and expected["reason"].lower() not in (u.reason or "").lower():
        problems.append(f"reason {u.reason!r} (expected to contain {expected['reason']!r})")
    return problems


def evaluate_corpus(known_names: bool = True, holdout: bool = False) -> Report:
    """Every corpus message through understand() and, for names, resolve_child()."""
    names = INDEX.name_tokens if known_names else frozenset()
    rows = []
    for item in (HOLDOUT if holdout else CORPUS)["utterances"]:
        ctx_data = item.get("context", {})
        last_child = BY_ID[ctx_data["last_child"]] if "last_child" in ctx_data else None
        last_intent = Intent(ctx_data["last_intent"]) if "last_intent" in ctx_data else None
        context = ConversationContext(last_child, last_intent, names)
        u = understand(item["text"], TODAY, context)
        rows.append(
            Row(
                item["text"],
                item,
                u,
                _expected_child(item.get("child")),
                _actual_child(u),
                _entity_problems(u, item),
            )
        )
    return Report(rows)


def _pct(pair: tuple[int, int]) -> str:
    right, total = pair
    return f"{right}/{total} = {right / total:.1%}"


def test_corpus_is_big_enough_and_consistent() -> None:
    assert len(CORPUS["utterances"]) >= 170
    assert len(CASELOAD) >= 40
    intents = {item["intent"] for item in CORPUS["utterances"]}
    assert intents <= {i.value for i in Intent}
    for item in CORPUS["utterances"]:
        child = item.get("child")
        wanted = (
            child if isinstance(child, list) else [child] if child not in (None, "none") else []
        )
        assert all(c in BY_ID for c in wanted), item


def test_corpus_accuracy() -> None:
    report = evaluate_corpus()
    print()
    print(
        f"intent: {_pct(report.intent)}  child: {_pct(report.child)}  "
        f"entities (all rows): {_pct(report.entities)}"
    )
    for line in report.failures():
        print("FAIL", line)
    intent_right, intent_total = report.intent
    child_right, child_total = report.child
    assert intent_right / intent_total >= AIM
    assert child_right / child_total >= AIM


def test_holdout_accuracy_is_reported() -> None:
    report = evaluate_corpus(holdout=True)
    print()
    print(
        f"held out: intent {_pct(report.intent)}  child {_pct(report.child)}  "
        f"entities {_pct(report.entities)}"
    )
    for line in report.failures():
        print("HELD-OUT FAIL", line)
    # Not the aim (these were never tuned against), only a floor that catches a collapse.
    assert report.intent[0] / report.intent[1] >= 0.8
