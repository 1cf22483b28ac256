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

from domain.names import normalise_name
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
from understanding.interruptions import Waiting, interrupts

CORPUS_PATH = Path(__file__).with_name("utterances.json")
CORPUS: dict[str, Any] = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))
# Written after the classifier was tuned on CORPUS and never tuned against: a check on how far
# the corpus figures generalise. Reported, not asserted at the aim.
HOLDOUT_PATH = Path(__file__).with_name("utterances.holdout.json")
HOLDOUT: dict[str, Any] = json.loads(HOLDOUT_PATH.read_text(encoding="utf-8"))
# Issue 17's held-out set: the everyday questions, the IR actions by text, and messages typed
# while a dialog waits ("during": the dialog and its question; "expect": interrupt or answer).
# Written before the recogniser was tuned for them, and never tuned against.
HOLDOUT17_PATH = Path(__file__).with_name("utterances.holdout17.json")
HOLDOUT17: dict[str, Any] = json.loads(HOLDOUT17_PATH.read_text(encoding="utf-8"))
#: The questions of a dialog that take any words (``Ask(..., free_text=True)``), as the
#: held-out set names them.
FREE_TEXT_ASKING = frozenset({"child", "late_reason", "bf_reason", "description"})
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
    "detail",
    "count_only",
)


@dataclass
class Row:
    text: str
    expected: dict[str, Any]
    understanding: Understanding
    child_expected: Any
    child_actual: Any
    entity_problems: list[str] = field(default_factory=list)
    #: For a message typed while a dialog waits: was it read as another request?
    interrupted: bool | None = None

    @property
    def interruption_ok(self) -> bool:
        return self.interrupted == (self.expected.get("expect") == "interrupt")

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

    @property
    def interruptions(self) -> tuple[int, int]:
        """Messages typed while a dialog waits, told right: another request, or its answer."""
        return self._rate([r for r in self.rows if r.interrupted is not None], "interruption_ok")

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
            if row.interrupted is not None and not row.interruption_ok:
                during = row.expected["during"]
                problems.append(f"while {during['dialog']} asks {during['asking']}: "
                                f"{'interrupted' if row.interrupted else 'taken as the answer'}"
                                f" (expected {row.expected['expect']})")  # fmt: skip
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


def _entity_problems(
    u: Understanding, expected: dict[str, Any], labelled_only: bool = False
) -> list[str]:
    """What ``u`` got wrong. The first two sets label every entity (a key left out means none
    is expected); issue 17's labels only what its items are about (``labelled_only``)."""
    problems: list[str] = []

    def check(key: str, actual: Any, wanted: Any) -> None:
        if labelled_only and key not in expected:
            return
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
    scope = u.ir_scope.value if u.ir_scope else (u.scope.value if u.scope else None)
    check("scope", scope, expected.get("scope"))
    check("paperwork", sorted(u.paperwork), sorted(expected.get("paperwork", [])))
    check("detail", u.detail.value if u.detail else None, expected.get("detail"))
    check("count_only", u.count_only, expected.get("count_only", False))
    if "reason" in expected and expected["reason"].lower() not in (u.reason or "").lower():
        problems.append(f"reason {u.reason!r} (expected to contain {expected['reason']!r})")
    return problems


def evaluate_corpus(
    known_names: bool = True, holdout: bool = False, corpus: dict[str, Any] | None = None
) -> Report:
    """Every corpus message through understand() and, for names, resolve_child(); a message
    typed while a dialog waits, through the interruption policy too."""
    names = INDEX.name_tokens if known_names else frozenset()
    rows = []
    chosen = corpus if corpus is not None else (HOLDOUT if holdout else CORPUS)
    labelled_only = chosen is HOLDOUT17
    for item in chosen["utterances"]:
        ctx_data = item.get("context", {})
        last_child = BY_ID[ctx_data["last_child"]] if "last_child" in ctx_data else None
        last_intent = Intent(ctx_data["last_intent"]) if "last_intent" in ctx_data else None
        context = ConversationContext(last_child, last_intent, names,
                                      last_ir=ctx_data.get("last_ir"))  # fmt: skip
        u = understand(item["text"], TODAY, context)
        rows.append(
            Row(
                item["text"],
                item,
                u,
                _expected_child(item.get("child")),
                _actual_child(u),
                _entity_problems(u, item, labelled_only),
                _interrupted(u, item),
            )
        )
    return Report(rows)


def _interrupted(u: Understanding, item: dict[str, Any]) -> bool | None:
    """For an item typed while a dialog waits: does the policy read it as another request?"""
    during = item.get("during")
    if during is None:
        return None
    if u.intent is Intent.CANCEL:
        return True  # the handler stops the dialog first: never an answer
    from bot.routes import ROUTES  # the dialogs' intents, as the handler reads them

    intents = frozenset(i for i, r in ROUTES.items() if r.dialog == during["dialog"])
    child = BY_ID.get(during.get("for_child", ""))
    names = normalise_name(child.full_name or "").split() if child else []
    waiting = Waiting(intents, frozenset(names), child.child_id if child else None,
                      free_text=during["asking"] in FREE_TEXT_ASKING)  # fmt: skip
    return interrupts(u, waiting, item["text"])


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


def test_holdout17_is_consistent_and_reported() -> None:
    """Issue 17's held-out set: consistent, and its figures printed (BENCHMARKS.md keeps them);
    a floor only, since it is never tuned against."""
    for item in HOLDOUT17["utterances"]:
        assert item["intent"] in {i.value for i in Intent}, item
        child = item.get("child")
        wanted = child if isinstance(child, list) else [child] if child not in (None, "none") \
            else []  # fmt: skip
        assert all(c in BY_ID for c in wanted), item
    report = evaluate_corpus(corpus=HOLDOUT17)
    print(f"\nheld out (issue 17): intent {_pct(report.intent)}  child {_pct(report.child)}  "
          f"entities {_pct(report.entities)}  while a dialog waits "
          f"{_pct(report.interruptions)}")  # fmt: skip
    for line in report.failures():
        print("HELD-OUT-17 FAIL", line)
    assert len(HOLDOUT17["utterances"]) >= 60
    assert report.interruptions[1] >= 30
    assert report.intent[0] / report.intent[1] >= 0.6
    assert report.interruptions[0] / report.interruptions[1] >= 0.6
