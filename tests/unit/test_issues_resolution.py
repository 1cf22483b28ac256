"""Issues Resolution: the state machine, its refusals and its deadlines, by example.

Dates are real England & Wales working days; the worked example is the one in docs/domain.md.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import date

import pytest

from domain.errors import DomainError, IllegalTransition
from domain.issues_resolution import (
    ALLOWED_MOVES,
    IR,
    AlertKind,
    IRAction,
    IRStatus,
    IssueEscalated,
    IssueRaised,
    IssueResolved,
    ReferredToCafcass,
    StageEntry,
    StageResponded,
    allowed_actions,
    check_allowed,
    check_consistent,
    current_owner_role,
    current_stage,
    decline,
    escalate,
    formal_deadline,
    open_deadlines,
    raise_ir,
    refer_to_cafcass,
    resolve,
    respond,
    stage_deadline,
    warning_date,
    warnings_due,
    with_reference,
)
from domain.rules import RuleSet, load_rules

RULES = load_rules()

FRI_20_DEC_2024 = date(2024, 12, 20)


def raise_at(stage: str | None = "1", on: date = FRI_20_DEC_2024, **kwargs: object) -> IR:
    args: dict[str, object] = {
        "child_id": "CHILD-1",
        "raised_by": "iro@westberks.example",
        "reasons": ["reports not available in time"],
        "description": "Reports for the review on 16 Dec were not ready.",
        "on": on,
        "stage": stage,
    }
    args.update(kwargs)
    ir, _ = raise_ir(RULES, **args)  # type: ignore[arg-type]
    return ir


# -- the worked example ------------------------------------------------------------------------


def test_worked_example_raised_at_stage_1_on_friday_20_december_2024() -> None:
    ir, events = raise_ir(
        RULES,
        child_id="CHILD-1",
        raised_by="iro@westberks.example",
        reasons=["reports not available in time"],
        description="",
        on=FRI_20_DEC_2024,
        stage="1",
    )
    stage_due = stage_deadline(ir, RULES)
    formal_due = formal_deadline(ir, RULES)
    assert stage_due.due == date(2024, 12, 31)
    assert stage_due.rule_id == "IR-STAGE"
    assert formal_due is not None
    assert formal_due.due == date(2025, 1, 22)
    assert formal_due.rule_id == "IR-FORMAL"
    assert ir.formal_since == FRI_20_DEC_2024
    # The dates explain themselves: the rule, the event and the holidays skipped.
    explanation = stage_due.explanation()
    assert "the IR was raised at Stage 1 on 20 December 2024" in explanation
    assert "Christmas Day" in explanation and "Boxing Day" in explanation
    assert "the IR first became formal on 20 December 2024" in formal_due.explanation()
    assert events == [
        IssueRaised(
            reference=None,
            child_id="CHILD-1",
            on=FRI_20_DEC_2024,
            stage="1",
            reasons=("reports not available in time",),
            raised_by="iro@westberks.example",
            owner=None,
            response_due=date(2024, 12, 31),
            formal_due=date(2025, 1, 22),
        )
    ]


# -- raising -----------------------------------------------------------------------------------


def test_raise_defaults_to_informal_which_is_not_formal() -> None:
    ir = raise_at(stage=None)
    assert ir.current_stage == "informal"
    assert ir.status is IRStatus.OPEN_AWAITING_RESPONSE
    assert ir.formal_since is None
    assert formal_deadline(ir, RULES) is None
    assert current_owner_role(ir, RULES) == "line_manager"
    assert current_stage(ir, RULES).name == "Informal"
    assert [d.rule_id for d in open_deadlines(ir, RULES)] == ["IR-STAGE"]
    assert ir.history == (StageEntry(stage="informal", entered_on=FRI_20_DEC_2024),)


@pytest.mark.parametrize(
    ("typed", "key", "role"),
    [
        ("2", "2", "service_manager"),
        ("Stage 3", "3", "service_director"),
        ("stage 4", "4", "director"),
        ("INFORMAL", "informal", "line_manager"),
    ],
)
def test_raise_at_any_stage_ir_bypass(typed: str, key: str, role: str) -> None:
    ir = raise_at(stage=typed)
    assert ir.current_stage == key
    assert current_owner_role(ir, RULES) == role


def test_reasons_are_canonical_labels_without_repeats() -> None:
    ir = raise_at(reasons=["NO ADVOCATE", "delay in allowances", "no advocate "])
    assert ir.reasons == ("no advocate", "delay in allowances")


def test_owner_area_worker_and_text_are_tidied() -> None:
    ir = raise_at(
        owner="  tm@westberks.example ",
        service_area="Children in Care",
        social_worker="sw@westberks.example",
        description="  Late reports.  ",
    )
    assert ir.current_entry.owner == "tm@westberks.example"
    assert ir.service_area == "Children in Care"
    assert ir.social_worker == "sw@westberks.example"
    assert ir.description == "Late reports."


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reasons": []}, "at least one reason"),
        ({"reasons": ["the moon is full"]}, "'the moon is full' is not one of the reasons"),
        ({"reasons": ["other"], "description": "   "}, "describe the issue in your own words"),
        ({"stage": "5"}, "no Issues Resolution stage called '5'"),
        ({"stage": ""}, "no Issues Resolution stage called ''"),
        ({"child_id": " "}, "the child the IR is about"),
        ({"raised_by": ""}, "who is raising the IR"),
        ({"service_area": "Narnia"}, "'Narnia' is not a service area"),
    ],
)
def test_raise_refuses_bad_input_with_a_clear_message(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        raise_at(**changes)


def test_other_with_a_description_is_fine() -> None:
    ir = raise_at(reasons=["Other"], description="Placement broke down without notice.")
    assert ir.reasons == ("other",)


# -- responding --------------------------------------------------------------------------------


def test_respond_records_the_answer_and_stops_the_stage_clock() -> None:
    ir = raise_at()
    after, events = respond(
        ir,
        RULES,
        on=date(2024, 12, 30),
        response="Reports will be completed and shared by 3 January.",
        target_date=date(2025, 1, 3),
        by="tm@westberks.example",
    )
    entry = after.current_entry
    assert after.status is IRStatus.RESPONDED
    assert entry.response == "Reports will be completed and shared by 3 January."
    assert entry.responded_on == date(2024, 12, 30)
    assert entry.responded_by == "tm@westberks.example"
    assert entry.target_date == date(2025, 1, 3)
    assert not entry.declined and entry.is_open
    assert events == [
        StageResponded(
            reference=None,
            child_id="CHILD-1",
            on=date(2024, 12, 30),
            stage="1",
            declined=False,
            target_date=date(2025, 1, 3),
            by="tm@westberks.example",
        )
    ]
    # The stage has answered, but the formal 20 working days run until the IR is resolved.
    assert [d.rule_id for d in open_deadlines(after, RULES)] == ["IR-FORMAL"]
    # The stage deadline is still there to say whether the answer came in time.
    assert stage_deadline(after, RULES).due == date(2024, 12, 31)


def test_decline_counts_as_the_stage_response() -> None:
    ir = raise_at()
    after, events = decline(ir, RULES, on=date(2024, 12, 23), reason="No capacity this month.")
    assert after.status is IRStatus.RESPONDED
    assert after.current_entry.declined
    assert after.current_entry.declined_reason == "No capacity this month."
    assert after.current_entry.response is None
    assert isinstance(events[0], StageResponded) and events[0].declined


def test_responding_twice_at_the_same_stage_is_refused() -> None:
    ir, _ = respond(raise_at(), RULES, on=date(2024, 12, 23), response="On it.")
    with pytest.raises(IllegalTransition, match="Stage 1 already responded on 23 December 2024"):
        respond(ir, RULES, on=date(2024, 12, 24), response="Again.")
    ir2, _ = decline(raise_at(), RULES, on=date(2024, 12, 23), reason="No.")
    with pytest.raises(IllegalTransition, match="Stage 1 already declined"):
        decline(ir2, RULES, on=date(2024, 12, 24), reason="Still no.")


def test_respond_needs_text_and_a_sensible_target_date() -> None:
    ir = raise_at()
    with pytest.raises(DomainError, match="Please give the response"):
        respond(ir, RULES, on=date(2024, 12, 23), response="  ")
    with pytest.raises(DomainError, match="Please give the reason for declining"):
        decline(ir, RULES, on=date(2024, 12, 23), reason="")
    with pytest.raises(DomainError, match="target date, 22 December 2024, is before"):
        respond(ir, RULES, on=date(2024, 12, 23), response="Soon.", target_date=date(2024, 12, 22))


# -- escalating --------------------------------------------------------------------------------


def test_escalating_from_informal_makes_the_ir_formal_on_that_date() -> None:
    ir = raise_at(stage=None, on=date(2025, 3, 3))
    after, events = escalate(
        ir,
        RULES,
        to_stage="1",
        on=date(2025, 3, 10),
        reason="No response from the line manager.",
        owner="tm@westberks.example",
        by="iro@westberks.example",
    )
    assert after.formal_since == date(2025, 3, 10)
    assert after.status is IRStatus.OPEN_AWAITING_RESPONSE
    assert [e.stage for e in after.history] == ["informal", "1"]
    assert after.history[0].left_on == date(2025, 3, 10)
    assert after.history[1] == StageEntry(
        stage="1",
        entered_on=date(2025, 3, 10),
        owner="tm@westberks.example",
        reason="No response from the line manager.",
    )
    stage_due = stage_deadline(after, RULES)
    assert stage_due.due == date(2025, 3, 17)
    assert "the IR was escalated to Stage 1 on 10 March 2025" in stage_due.basis
    # The informal stage's own deadline is still available for reporting.
    assert stage_deadline(after, RULES, after.history[0]).due == date(2025, 3, 10)
    formal = formal_deadline(after, RULES)
    assert formal is not None and formal.due == date(2025, 4, 7)
    assert events == [
        IssueEscalated(
            reference=None,
            child_id="CHILD-1",
            on=date(2025, 3, 10),
            from_stage="informal",
            to_stage="1",
            became_formal=True,
            owner="tm@westberks.example",
            by="iro@westberks.example",
            response_due=date(2025, 3, 17),
            formal_due=date(2025, 4, 7),
        )
    ]
    assert current_owner_role(after, RULES) == "team_manager"


def test_escalating_within_formal_stages_keeps_the_formal_start() -> None:
    ir = raise_at(stage="1")
    after, events = escalate(ir, RULES, to_stage="3", on=date(2025, 1, 6), reason="Not resolved.")
    assert after.formal_since == FRI_20_DEC_2024
    formal = formal_deadline(after, RULES)
    assert formal is not None and formal.due == date(2025, 1, 22)
    assert stage_deadline(after, RULES).due == date(2025, 1, 13)
    assert isinstance(events[0], IssueEscalated) and not events[0].became_formal
    assert current_owner_role(after, RULES) == "service_director"


@pytest.mark.parametrize(
    ("at", "to", "message"),
    [
        ("2", "1", "This IR is at Stage 2; an IR can only be escalated to a higher stage, not to "
         "Stage 1. Choose one of: Stage 3, Stage 4."),
        ("2", "stage 2", "This IR is already at Stage 2"),
        ("1", "informal", "not to Informal"),
        ("4", "4", "already at Stage 4, the highest stage"),
        ("4", "1", "already at Stage 4, the highest stage"),
    ],
)  # fmt: skip
def test_escalating_down_or_sideways_is_refused(at: str, to: str, message: str) -> None:
    ir = raise_at(stage=at)
    with pytest.raises(IllegalTransition, match=message):
        escalate(ir, RULES, to_stage=to, on=date(2025, 1, 2), reason="Because.")


def test_escalation_needs_a_known_stage_and_a_reason() -> None:
    ir = raise_at(stage=None)
    with pytest.raises(DomainError, match="no Issues Resolution stage called 'Stage 7'"):
        escalate(ir, RULES, to_stage="Stage 7", on=date(2025, 1, 2), reason="Because.")
    with pytest.raises(DomainError, match="reason for escalating"):
        escalate(ir, RULES, to_stage="1", on=date(2025, 1, 2), reason=" ")


# -- resolving and Cafcass ---------------------------------------------------------------------


def test_resolve_records_outcome_and_stage_and_ends_all_deadlines() -> None:
    ir, _ = escalate(raise_at(stage="1"), RULES, to_stage="2", on=date(2025, 1, 2), reason="Late.")
    after, events = resolve(
        ir, RULES, on=date(2025, 1, 8), outcome="Reports shared.", by="iro@westberks.example"
    )
    assert after.status is IRStatus.RESOLVED
    assert after.outcome == "Reports shared."
    assert after.resolved_on == date(2025, 1, 8)
    assert after.resolved_at_stage == "2"
    assert after.current_entry.left_on == date(2025, 1, 8)
    assert open_deadlines(after, RULES) == ()
    assert warnings_due(after, RULES, date(2025, 3, 1)) == ()
    assert allowed_actions(after, RULES) == frozenset()
    assert events == [
        IssueResolved(
            reference=None,
            child_id="CHILD-1",
            on=date(2025, 1, 8),
            stage="2",
            by="iro@westberks.example",
        )
    ]


def test_resolve_needs_an_outcome() -> None:
    with pytest.raises(DomainError, match="the outcome"):
        resolve(raise_at(), RULES, on=date(2025, 1, 8), outcome="")


def test_cafcass_referral_is_recorded_once_and_leaves_the_ir_open() -> None:
    ir = raise_at(stage="3")
    after, events = refer_to_cafcass(ir, RULES, on=date(2025, 1, 2), by="iro@westberks.example")
    assert after.cafcass_referred_on == date(2025, 1, 2)
    assert after.cafcass_referred_by == "iro@westberks.example"
    assert after.status is IRStatus.OPEN_AWAITING_RESPONSE
    assert events == [
        ReferredToCafcass(
            reference=None,
            child_id="CHILD-1",
            on=date(2025, 1, 2),
            stage="3",
            by="iro@westberks.example",
        )
    ]
    # The local authority still owes a response and a resolution.
    assert [d.rule_id for d in open_deadlines(after, RULES)] == ["IR-STAGE", "IR-FORMAL"]
    assert IRAction.REFER_TO_CAFCASS not in allowed_actions(after, RULES)
    with pytest.raises(IllegalTransition, match="already referred to Cafcass on 2 January 2025"):
        refer_to_cafcass(after, RULES, on=date(2025, 1, 3))
    # Still open: it can be answered and resolved after the referral.
    answered, _ = respond(after, RULES, on=date(2025, 1, 3), response="Agreed.")
    done, _ = resolve(answered, RULES, on=date(2025, 1, 9), outcome="Care plan amended.")
    assert done.cafcass_referred_on == date(2025, 1, 2)


# -- refusals change nothing -------------------------------------------------------------------


def _resolved() -> IR:
    ir, _ = resolve(raise_at(), RULES, on=date(2025, 1, 2), outcome="Put right.")
    return ir


def _responded() -> IR:
    ir, _ = respond(raise_at(), RULES, on=date(2024, 12, 23), response="Agreed.")
    return ir


_ON = date(2025, 1, 10)
_EARLY = date(2024, 12, 19)  # the day before the IR was raised

ILLEGAL: list[tuple[str, Callable[[], IR], Callable[[IR], object], str]] = [
    ("respond to resolved", _resolved,
     lambda ir: respond(ir, RULES, on=_ON, response="x"),
     "resolved on 2 January 2025 at Stage 1, so it cannot be responded to"),
    ("decline resolved", _resolved,
     lambda ir: decline(ir, RULES, on=_ON, reason="x"), "cannot be responded to"),
    ("escalate resolved", _resolved,
     lambda ir: escalate(ir, RULES, to_stage="2", on=_ON, reason="x"), "cannot be escalated"),
    ("resolve twice", _resolved,
     lambda ir: resolve(ir, RULES, on=_ON, outcome="x"), "cannot be resolved again"),
    ("refer resolved", _resolved,
     lambda ir: refer_to_cafcass(ir, RULES, on=_ON), "cannot be referred to Cafcass"),
    ("respond twice", _responded,
     lambda ir: respond(ir, RULES, on=_ON, response="x"), "already responded"),
    ("escalate down", raise_at,
     lambda ir: escalate(ir, RULES, to_stage="informal", on=_ON, reason="x"), "higher stage"),
    ("escalate same", raise_at,
     lambda ir: escalate(ir, RULES, to_stage="1", on=_ON, reason="x"), "already at Stage 1"),
    ("unknown stage", raise_at,
     lambda ir: escalate(ir, RULES, to_stage="9", on=_ON, reason="x"), "no Issues Resolution"),
    ("respond early", raise_at,
     lambda ir: respond(ir, RULES, on=_EARLY, response="x"), "before the last step"),
    ("escalate early", raise_at,
     lambda ir: escalate(ir, RULES, to_stage="2", on=_EARLY, reason="x"), "before the last step"),
    ("resolve early", _responded,
     lambda ir: resolve(ir, RULES, on=date(2024, 12, 20), outcome="x"),
     "The date given, 20 December 2024, is before the last step recorded on this IR "
     r"\(23 December 2024\)"),
    ("refer early", raise_at,
     lambda ir: refer_to_cafcass(ir, RULES, on=_EARLY), "before the last step"),
    ("empty response", raise_at,
     lambda ir: respond(ir, RULES, on=_ON, response=""), "cannot be left empty"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "act", "message"), [c[1:] for c in ILLEGAL], ids=[c[0] for c in ILLEGAL]
)
def test_illegal_actions_are_refused_and_change_nothing(
    make: Callable[[], IR], act: Callable[[IR], object], message: str
) -> None:
    ir = make()
    snapshot = copy.deepcopy(ir)
    with pytest.raises(DomainError, match=message):
        act(ir)
    assert ir == snapshot


def test_same_day_actions_are_allowed() -> None:
    ir = raise_at(stage=None)
    ir, _ = respond(ir, RULES, on=FRI_20_DEC_2024, response="Agreed.")
    ir, _ = escalate(ir, RULES, to_stage="2", on=FRI_20_DEC_2024, reason="Not good enough.")
    ir, _ = refer_to_cafcass(ir, RULES, on=FRI_20_DEC_2024)
    ir, _ = resolve(ir, RULES, on=FRI_20_DEC_2024, outcome="Agreed a plan.")
    assert ir.formal_since == FRI_20_DEC_2024
    check_consistent(ir, RULES)


def test_the_table_allows_nothing_once_resolved() -> None:
    assert not [move for move in ALLOWED_MOVES if move[0] is IRStatus.RESOLVED]
    assert (IRStatus.RESPONDED, IRAction.RESPOND) not in ALLOWED_MOVES


def test_allowed_actions_offers_what_the_table_and_guards_allow() -> None:
    assert allowed_actions(raise_at(), RULES) == set(IRAction)
    assert allowed_actions(_responded(), RULES) == {
        IRAction.ESCALATE,
        IRAction.RESOLVE,
        IRAction.REFER_TO_CAFCASS,
    }
    assert IRAction.ESCALATE not in allowed_actions(raise_at(stage="4"), RULES)


# -- warnings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 12, 24), []),
        # 2 working days before Tue 31 Dec is Fri 27 Dec (25 and 26 are bank holidays).
        (date(2024, 12, 27), [("IR-STAGE", AlertKind.WARNING)]),
        (date(2024, 12, 31), [("IR-STAGE", AlertKind.WARNING)]),
        (date(2025, 1, 2), [("IR-STAGE", AlertKind.BREACHED)]),
        # 2 working days before Wed 22 Jan is Mon 20 Jan.
        (date(2025, 1, 20), [("IR-STAGE", AlertKind.BREACHED), ("IR-FORMAL", AlertKind.WARNING)]),
        (date(2025, 1, 23),
         [("IR-STAGE", AlertKind.BREACHED), ("IR-FORMAL", AlertKind.BREACHED)]),
    ],
)  # fmt: skip
def test_warnings_before_and_after_each_deadline(
    today: date, expected: list[tuple[str, AlertKind]]
) -> None:
    alerts = warnings_due(raise_at(), RULES, today)
    assert [(a.deadline.rule_id, a.kind) for a in alerts] == expected
    assert all(a.stage == "1" for a in alerts)


def test_warning_dates_for_the_worked_example() -> None:
    ir = raise_at()
    assert warning_date(stage_deadline(ir, RULES), RULES) == date(2024, 12, 27)
    formal = formal_deadline(ir, RULES)
    assert formal is not None
    assert warning_date(formal, RULES) == date(2025, 1, 20)


def test_once_answered_only_the_formal_deadline_warns() -> None:
    ir, _ = respond(raise_at(), RULES, on=date(2024, 12, 30), response="Agreed.")
    alerts = warnings_due(ir, RULES, date(2025, 1, 21))
    assert [(a.deadline.rule_id, a.kind) for a in alerts] == [("IR-FORMAL", AlertKind.WARNING)]


def test_informal_ir_never_has_a_formal_warning() -> None:
    ir = raise_at(stage=None)
    alerts = warnings_due(ir, RULES, date(2025, 6, 1))
    assert [(a.deadline.rule_id, a.kind) for a in alerts] == [("IR-STAGE", AlertKind.BREACHED)]


def test_warning_never_comes_before_the_period_starts() -> None:
    eager: RuleSet = dataclasses.replace(RULES, ir_warning_working_days=30)
    ir = raise_at()
    assert warning_date(stage_deadline(ir, eager), eager) == FRI_20_DEC_2024
    none: RuleSet = dataclasses.replace(RULES, ir_warning_working_days=0)
    assert warning_date(stage_deadline(ir, none), none) == date(2024, 12, 31)


# -- reference, construction and consistency ---------------------------------------------------


def test_reference_is_given_once() -> None:
    ir = with_reference(raise_at(), "IR-2024-0042")
    assert ir.reference == "IR-2024-0042"
    assert with_reference(ir, "IR-2024-0042") == ir
    with pytest.raises(DomainError, match="already has the reference IR-2024-0042"):
        with_reference(ir, "IR-2024-0043")
    _, events = respond(ir, RULES, on=date(2024, 12, 23), response="Agreed.")
    assert events[0].reference == "IR-2024-0042"


def test_stage_deadline_refuses_an_entry_from_another_ir() -> None:
    with pytest.raises(DomainError, match="not part of this IR's history"):
        stage_deadline(raise_at(), RULES, StageEntry(stage="3", entered_on=date(2025, 1, 1)))


def test_an_incoherent_ir_cannot_be_built() -> None:
    ir = raise_at()
    with pytest.raises(DomainError, match="at least one reason"):
        dataclasses.replace(ir, reasons=())
    with pytest.raises(DomainError, match="at least one stage"):
        dataclasses.replace(ir, history=())
    with pytest.raises(DomainError, match="resolved exactly when"):
        dataclasses.replace(ir, status=IRStatus.RESOLVED)


def test_check_consistent_spots_a_hand_edited_record() -> None:
    ir, _ = escalate(raise_at(stage=None), RULES, to_stage="2", on=date(2025, 1, 6), reason="x")
    check_consistent(ir, RULES)
    backwards = dataclasses.replace(ir, history=(ir.history[1], ir.history[0]))
    with pytest.raises(DomainError, match="stages do not rise in order"):
        check_consistent(backwards, RULES)
    wrong_formal = dataclasses.replace(ir, formal_since=FRI_20_DEC_2024)
    with pytest.raises(DomainError, match="became formal does not match"):
        check_consistent(wrong_formal, RULES)


def test_check_allowed_refuses_now_in_the_moves_own_words_and_agrees_with_the_buttons() -> None:
    """What a chat says before asking for an action's inputs: the move's own refusal, and only
    for the actions the card would not offer (``allowed_actions``)."""
    at_4 = raise_at(stage="4")
    answered, _ = respond(at_4, RULES, on=date(2025, 1, 2), response="Agreed.")
    referred, _ = refer_to_cafcass(answered, RULES, on=date(2025, 1, 3))
    resolved, _ = resolve(referred, RULES, on=date(2025, 1, 6), outcome="Done.")
    for ir in (raise_at(stage="1"), at_4, answered, referred, resolved):
        for action in IRAction:
            if action in allowed_actions(ir, RULES):
                check_allowed(ir, RULES, action)
            else:
                with pytest.raises(IllegalTransition):
                    check_allowed(ir, RULES, action)
    with pytest.raises(IllegalTransition, match="already at Stage 4, the highest stage"):
        check_allowed(answered, RULES, IRAction.ESCALATE)
    with pytest.raises(IllegalTransition, match="already referred to Cafcass on 3 January 2025"):
        check_allowed(referred, RULES, IRAction.REFER_TO_CAFCASS)
    with pytest.raises(IllegalTransition, match="Stage 4 already responded on 2 January 2025"):
        check_allowed(answered, RULES, IRAction.RESPOND)
    with pytest.raises(IllegalTransition, match="resolved on 6 January 2025"):
        check_allowed(resolved, RULES, IRAction.ESCALATE)
