"""Issues Resolution under random sequences of actions (Hypothesis).

An IR is raised on a random date between 2010 and 2040 at a random stage; then random actions,
legal and illegal, are tried, dated before or after the last step. A small oracle written here,
independently of the module, says which actions must succeed; every other action must be refused
and leave the IR exactly as it was. After every step the stage history must be coherent and the
deadlines must match the calendar.

Two drivers share that logic: a ``RuleBasedStateMachine`` (good at shrinking a failure to a short
story) and a plain list of actions with a minimum length (so long histories with several
escalations are always covered, which the state machine reaches less often).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import DomainError
from domain.issues_resolution import (
    IR,
    AlertKind,
    IRStatus,
    IssueEscalated,
    StageResponded,
    check_consistent,
    decline,
    escalate,
    formal_deadline,
    raise_ir,
    refer_to_cafcass,
    resolve,
    respond,
    stage_deadline,
    warning_date,
    warnings_due,
)
from domain.rules import load_rules

RULES = load_rules()
CALENDAR = RULES.calendar
STAGE_DAYS = RULES.timescale("IR-STAGE").amount
FORMAL_DAYS = RULES.timescale("IR-FORMAL").amount

# The oracle's own view of the stages: what a user may type -> the stage's order.
ORDER = {"informal": 0, "1": 1, "2": 2, "3": 3, "4": 4}
TYPED = {**ORDER, "Stage 2": 2, "stage 4": 4, "INFORMAL": 0}
STAGE_CHOICES = [*TYPED, "5", "Stage 9", ""]  # the last three are not stages

dates = st.dates(date(2010, 1, 1), date(2040, 12, 31))
# Days after the IR's last recorded step: negative is back-dated and must be refused. Weighted
# towards valid values so that long legal sequences are common.
offsets = st.sampled_from([0, 0, 1, 3, 7, 14, 30, -1, -10]) | st.integers(-10, 40)
texts = st.sampled_from(["Reports will be shared by Friday."] * 4 + ["", "   "])
# Resolving ends what can happen next, so an outcome is valid less often.
outcomes = st.sampled_from(["Put right.", "", "  ", "\t"])
targets = st.none() | st.integers(-3, 30)
# A stage as typed, or a number of stages above the current one (so that legal escalations,
# including bypasses, are common; past the top it names no stage).
escalation_targets = st.sampled_from([1, 1, 2, 3]) | st.sampled_from(STAGE_CHOICES)
REASONS = ["no advocate", "delay allocating a SW", "other", "not a reason"]

SETTINGS = settings(max_examples=100, stateful_step_count=30, deadline=None)


def _has_text(value: str) -> bool:
    return bool(value.strip())


class Player:
    """Holds one IR, tries actions on it against the oracle, and checks the invariants."""

    def __init__(self, on: date, stage: str) -> None:
        self.ir, events = raise_ir(
            RULES,
            child_id="CHILD-1",
            raised_by="iro@example.org",
            reasons=["no advocate"],
            description="",
            on=on,
            stage=stage,
        )
        assert len(events) == 1
        self.check()

    def _on(self, offset: int) -> date:
        return self.ir.last_activity_on + timedelta(days=offset)

    def _attempt(
        self, name: str, legal: bool, act: Callable[[IR], tuple[IR, list[Any]]]
    ) -> list[Any]:
        """Run ``act``; if the oracle says it is illegal it must be refused and change nothing."""
        before = self.ir
        snapshot = copy.deepcopy(before)
        # Shown by --hypothesis-show-statistics: evidence that both paths are exercised.
        event(f"{name}: {'allowed' if legal else 'refused'}")
        if not legal:
            with pytest.raises(DomainError):
                act(before)
            assert before == snapshot
            return []
        after, events = act(before)
        assert len(events) == 1
        assert before == snapshot  # the old IR is never modified, even by a legal action
        self.ir = after
        self.check()
        return events

    # -- actions, each with its oracle ----------------------------------------------------------

    def respond(self, offset: int, text: str, target_days: int | None) -> None:
        ir, on = self.ir, self._on(offset)
        target = None if target_days is None else on + timedelta(days=target_days)
        legal = (
            not ir.is_resolved
            and not ir.current_entry.responded
            and offset >= 0
            and _has_text(text)
            and (target is None or target >= on)
        )
        self._attempt(
            "respond", legal, lambda x: respond(x, RULES, on=on, response=text, target_date=target)
        )
        if legal:
            assert self.ir.status is IRStatus.RESPONDED
            assert self.ir.current_entry.response == text.strip()

    def decline(self, offset: int, text: str) -> None:
        ir, on = self.ir, self._on(offset)
        legal = (
            not ir.is_resolved
            and not ir.current_entry.responded
            and offset >= 0
            and _has_text(text)
        )
        events = self._attempt("decline", legal, lambda x: decline(x, RULES, on=on, reason=text))
        if legal:
            assert isinstance(events[0], StageResponded) and events[0].declined
            assert self.ir.current_entry.declined

    def escalate(self, offset: int, to: str | int, text: str) -> None:
        ir, on = self.ir, self._on(offset)
        if isinstance(to, int):
            order = ORDER[ir.current_stage] + to
            to = str(order) if order in ORDER.values() else "Stage 9"
        legal = (
            not ir.is_resolved
            and offset >= 0
            and to in TYPED
            and TYPED[to] > ORDER[ir.current_stage]
            and _has_text(text)
        )
        was_formal = ir.formal_since is not None
        events = self._attempt(
            "escalate", legal, lambda x: escalate(x, RULES, to_stage=to, on=on, reason=text)
        )
        if legal:
            escalated = events[0]
            assert isinstance(escalated, IssueEscalated)
            assert ORDER[escalated.to_stage] == TYPED[to]
            # Every stage above the first is formal, so only the first escalation can start it.
            assert escalated.became_formal == (not was_formal)
            assert escalated.response_due == CALENDAR.add_working_days(on, STAGE_DAYS)
            assert self.ir.status is IRStatus.OPEN_AWAITING_RESPONSE

    def resolve(self, offset: int, text: str) -> None:
        ir, on = self.ir, self._on(offset)
        stage_before = ir.current_stage
        legal = not ir.is_resolved and offset >= 0 and _has_text(text)
        self._attempt("resolve", legal, lambda x: resolve(x, RULES, on=on, outcome=text))
        if legal:
            assert self.ir.resolved_at_stage == stage_before
            assert self.ir.resolved_on == on

    def refer(self, offset: int) -> None:
        ir, on = self.ir, self._on(offset)
        legal = not ir.is_resolved and ir.cafcass_referred_on is None and offset >= 0
        status_before = ir.status
        self._attempt("refer", legal, lambda x: refer_to_cafcass(x, RULES, on=on))
        if legal:
            # A referral is recorded, not a change of state.
            assert self.ir.status is status_before
            assert self.ir.cafcass_referred_on == on

    # -- invariants ----------------------------------------------------------------------------

    def check(self) -> None:
        self.check_history()
        self.check_deadlines()

    def check_history(self) -> None:
        ir = self.ir
        orders = [ORDER[e.stage] for e in ir.history]
        assert all(a < b for a, b in pairwise(orders))
        entered = [e.entered_on for e in ir.history]
        assert entered == sorted(entered)
        assert entered[0] == ir.raised_on
        open_entries = [e for e in ir.history if e.left_on is None]
        if ir.is_resolved:
            assert open_entries == []
            assert ir.resolved_at_stage == ir.history[-1].stage
            assert ir.history[-1].left_on == ir.resolved_on
        else:
            assert open_entries == [ir.history[-1]]
            assert ir.resolved_at_stage is None and ir.outcome is None
        for left, right in pairwise(ir.history):
            assert left.left_on == right.entered_on
        formal_entries = [e.entered_on for e in ir.history if ORDER[e.stage] > 0]
        assert ir.formal_since == (formal_entries[0] if formal_entries else None)
        # Earlier stages may have answered; only the current one decides the status.
        if not ir.is_resolved:
            answered = ir.history[-1].responded
            assert ir.status is (
                IRStatus.RESPONDED if answered else IRStatus.OPEN_AWAITING_RESPONSE
            )
        check_consistent(ir, RULES)

    def check_deadlines(self) -> None:
        ir = self.ir
        for entry in ir.history:
            due = stage_deadline(ir, RULES, entry).due
            assert due == CALENDAR.add_working_days(entry.entered_on, STAGE_DAYS)
            assert CALENDAR.working_days_between(entry.entered_on, due) == STAGE_DAYS
        formal = formal_deadline(ir, RULES)
        if ir.formal_since is None:
            assert formal is None
        else:
            assert formal is not None
            assert formal.due == CALENDAR.add_working_days(ir.formal_since, FORMAL_DAYS)
        # Long after every deadline: an open IR reports breaches only, a resolved one nothing.
        late = warnings_due(ir, RULES, ir.last_activity_on + timedelta(days=400))
        if ir.is_resolved:
            assert late == ()
        else:
            assert all(a.kind is AlertKind.BREACHED for a in late)
            expected = int(ir.status is IRStatus.OPEN_AWAITING_RESPONSE) + int(formal is not None)
            assert len(late) == expected


# -- driver 1: a state machine ------------------------------------------------------------------


class IssuesResolutionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.player: Player | None = None

    @property
    def p(self) -> Player:
        assert self.player is not None
        return self.player

    @initialize(on=dates, stage=st.sampled_from(sorted(ORDER)))
    def raise_issue(self, on: date, stage: str) -> None:
        self.player = Player(on, stage)

    @rule(offset=offsets, text=texts, target_days=targets)
    def respond_at_stage(self, offset: int, text: str, target_days: int | None) -> None:
        self.p.respond(offset, text, target_days)

    @rule(offset=offsets, text=texts)
    def decline_at_stage(self, offset: int, text: str) -> None:
        self.p.decline(offset, text)

    @rule(offset=offsets, to=escalation_targets, text=texts)
    def escalate_to(self, offset: int, to: str | int, text: str) -> None:
        self.p.escalate(offset, to, text)

    @rule(offset=offsets, text=outcomes)
    def resolve_issue(self, offset: int, text: str) -> None:
        self.p.resolve(offset, text)

    @rule(offset=offsets)
    def refer(self, offset: int) -> None:
        self.p.refer(offset)

    @invariant()
    def consistent(self) -> None:
        if self.player is not None:
            self.player.check()


IssuesResolutionMachine.TestCase.settings = SETTINGS
TestIssuesResolutionMachine = IssuesResolutionMachine.TestCase


# -- driver 2: long random sequences --------------------------------------------------------------

actions = st.one_of(
    st.tuples(st.just("respond"), offsets, texts, targets),
    st.tuples(st.just("decline"), offsets, texts),
    st.tuples(st.just("escalate"), offsets, escalation_targets, texts),
    st.tuples(st.just("escalate"), offsets, escalation_targets, texts),  # twice: more likely
    st.tuples(st.just("resolve"), offsets, outcomes),
    st.tuples(st.just("refer"), offsets),
)


@SETTINGS
@given(
    on=dates, stage=st.sampled_from(sorted(ORDER)), steps=st.lists(actions, min_size=8, max_size=30)
)
def test_long_random_sequences_keep_the_history_consistent(
    on: date, stage: str, steps: list[tuple[Any, ...]]
) -> None:
    player = Player(on, stage)
    for name, *args in steps:
        getattr(player, name)(*args)
    event(f"stages visited: {len(player.ir.history)}")


# -- raising and warnings -------------------------------------------------------------------------


@SETTINGS
@given(
    reasons=st.lists(st.sampled_from(REASONS), max_size=3),
    description=texts,
    stage=st.sampled_from(STAGE_CHOICES),
    on=dates,
)
def test_raise_accepts_exactly_the_valid_inputs(
    reasons: list[str], description: str, stage: str, on: date
) -> None:
    legal = (
        bool(reasons)
        and "not a reason" not in reasons
        and ("other" not in reasons or _has_text(description))
        and stage in TYPED
    )

    def attempt() -> IR:
        ir, _ = raise_ir(RULES, child_id="C", raised_by="I", reasons=reasons,
                         description=description, on=on, stage=stage)  # fmt: skip
        return ir

    if not legal:
        with pytest.raises(DomainError):
            attempt()
        return
    ir = attempt()
    assert ir.reasons == tuple(dict.fromkeys(reasons))
    assert ir.formal_since == (on if TYPED[stage] > 0 else None)
    assert ORDER[ir.current_stage] == TYPED[stage]


@SETTINGS
@given(on=dates, stage=st.sampled_from(sorted(ORDER)), days_later=st.integers(0, 60))
def test_warnings_come_at_the_warning_point_and_breaches_after_the_due_date(
    on: date, stage: str, days_later: int
) -> None:
    ir, _ = raise_ir(RULES, child_id="C", raised_by="I", reasons=["no advocate"],
                     description="", on=on, stage=stage)  # fmt: skip
    today = on + timedelta(days=days_later)
    alerts = {a.deadline.rule_id: a for a in warnings_due(ir, RULES, today)}
    deadlines = [stage_deadline(ir, RULES)]
    formal = formal_deadline(ir, RULES)
    if formal is not None:
        deadlines.append(formal)
    assert set(alerts) <= {d.rule_id for d in deadlines}
    for deadline in deadlines:
        warn_on = warning_date(deadline, RULES)
        # The warning point is n working days before the due date (these deadlines are longer
        # than the warning, so it never needs clamping to the start).
        assert CALENDAR.is_working_day(warn_on)
        assert CALENDAR.working_days_between(warn_on, deadline.due) == RULES.ir_warning_working_days
        alert = alerts.get(deadline.rule_id)
        if today > deadline.due:
            assert alert is not None and alert.kind is AlertKind.BREACHED
        elif today >= warn_on:
            assert alert is not None and alert.kind is AlertKind.WARNING
            assert alert.warn_on == warn_on
        else:
            assert alert is None
