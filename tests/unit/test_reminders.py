"""Reminders due on a day, by example: real England & Wales dates, including Christmas 2026
(Boxing Day falls on a Saturday, so Monday 28 December is the bank holiday)."""

from __future__ import annotations

import dataclasses
from datetime import date, time

import pytest

from domain.issues_resolution import IR, escalate, raise_ir, resolve, respond
from domain.reminders import (
    BookingFacts,
    HeldReviewFacts,
    IrFacts,
    Phase,
    RecipientRole,
    ReminderKind,
    ReminderPolicy,
    digest_day,
    digest_due,
    digest_key,
    digest_reminders,
    digest_window,
    follow_up_reminders,
    ir_reminders,
    reminder_key,
    reminders_due,
    report_reminders,
)
from domain.rules import DEFAULT_RULES_PATH, load_rules, parse_rules

RULES = load_rules()
CAL = RULES.calendar
IRO, OWNER, DELEGATE, QA1, QA2, SW = 10, 20, 21, 30, 31, 40
MON_30_NOV = date(2026, 11, 30)
RULES_TOML = DEFAULT_RULES_PATH.read_text(encoding="utf-8")


def stage1_ir(on: date = MON_30_NOV, stage: str = "1") -> IR:
    ir, _ = raise_ir(RULES, child_id="C1", raised_by="iro@example.com", reasons=["no advocate"],
                     description="", on=on, stage=stage, owner="tm@example.com",
                     reference="IR-2026-0042")  # fmt: skip
    return ir


def facts(ir: IR, *, owner: int | None = OWNER, delegate: int | None = DELEGATE,
          iro: int | None = IRO) -> IrFacts:  # fmt: skip
    return IrFacts(ir=ir, version=1, child_pk=7, iro_id=iro, owner_id=owner, delegate_id=delegate)


def summary(reminders: list) -> set[tuple[ReminderKind, int]]:
    return {(r.kind, r.recipient_id) for r in reminders}


# -- IR-STAGE ---------------------------------------------------------------------------------


def test_stage_response_due_monday_7_december_the_three_reminders() -> None:
    ir = facts(stage1_ir())  # raised Monday 30 Nov at Stage 1: response due Monday 7 Dec
    assert ir_reminders(ir, RULES, date(2026, 12, 2)) == []  # Wednesday: too early
    soon = ir_reminders(ir, RULES, date(2026, 12, 3))  # Thursday: two working days before
    assert summary(soon) == {(ReminderKind.IR_STAGE_SOON, OWNER),
                             (ReminderKind.IR_STAGE_SOON, DELEGATE)}  # fmt: skip
    assert {r.recipient_role for r in soon} == {RecipientRole.STAGE_OWNER, RecipientRole.DELEGATE}
    assert soon[0].key == "IR-2026-0042:IR-STAGE:stage-1:2026-12-07:soon:20"
    assert soon[0].deadline is not None and soon[0].deadline.due == date(2026, 12, 7)
    assert soon[0].ir_reference == "IR-2026-0042" and soon[0].stage == "1"
    # Friday: still the heads-up phase, with the same keys (the outbox sends it once).
    assert ir_reminders(ir, RULES, date(2026, 12, 4)) == soon
    due = ir_reminders(ir, RULES, date(2026, 12, 7))
    assert summary(due) == {(ReminderKind.IR_STAGE_DUE_TODAY, OWNER),
                            (ReminderKind.IR_STAGE_DUE_TODAY, DELEGATE)}  # fmt: skip
    overdue = ir_reminders(ir, RULES, date(2026, 12, 8))
    assert summary(overdue) == {
        (ReminderKind.IR_STAGE_OVERDUE, OWNER),
        (ReminderKind.IR_STAGE_OVERDUE, DELEGATE),
        (ReminderKind.IR_ESCALATION, IRO),
    }
    offer = next(r for r in overdue if r.kind is ReminderKind.IR_ESCALATION)
    assert offer.can_escalate and offer.recipient_role is RecipientRole.IRO
    assert offer.key == "IR-2026-0042:IR-STAGE:stage-1:2026-12-07:escalate:10"
    # Still overdue a week later: the same keys, so nothing new is sent.
    assert ir_reminders(ir, RULES, date(2026, 12, 15)) == overdue


def test_a_missed_heads_up_is_superseded_not_sent_late() -> None:
    ir = facts(stage1_ir())
    on_due_day = ir_reminders(ir, RULES, date(2026, 12, 7))
    assert {r.phase for r in on_due_day} == {Phase.DUE_TODAY}


def test_nothing_on_weekends_or_bank_holidays() -> None:
    ir = facts(stage1_ir())
    for day in (date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 25), date(2026, 12, 28)):
        assert reminders_due(day, RULES, irs=[ir], qa_manager_ids=[QA1]) == []
    assert reminders_due(date(2026, 12, 8), RULES, irs=[ir], qa_manager_ids=[QA1])


def test_over_christmas_the_warning_skips_the_bank_holidays() -> None:
    # Raised Friday 18 December at Stage 1: 5 working days, not counting 25 and 28 December.
    ir = facts(stage1_ir(on=date(2026, 12, 18)))
    [soon, *_] = ir_reminders(ir, RULES, date(2026, 12, 23))
    assert soon.phase is Phase.SOON and soon.deadline is not None
    assert soon.deadline.due == date(2026, 12, 29)
    assert "Christmas Day" in soon.deadline.basis
    assert ir_reminders(ir, RULES, date(2026, 12, 22)) == []


def test_no_stage_reminders_once_the_stage_answered_nor_after_resolution() -> None:
    answered, _ = respond(stage1_ir(), RULES, on=date(2026, 12, 2), response="Will do")
    assert [r for r in ir_reminders(facts(answered), RULES, date(2026, 12, 8))
            if r.kind.value.startswith("reminder.ir_stage")] == []  # fmt: skip
    closed, _ = resolve(answered, RULES, on=date(2026, 12, 3), outcome="Done")
    assert ir_reminders(facts(closed), RULES, date(2027, 2, 1), [QA1]) == []


def test_an_escalation_starts_new_stage_keys_even_with_the_same_due_date() -> None:
    ir = stage1_ir()
    up, _ = escalate(ir, RULES, to_stage="2", on=MON_30_NOV, reason="No answer", owner="sm@x.org")
    before = {r.key for r in ir_reminders(facts(ir), RULES, date(2026, 12, 3))}
    after = {r.key for r in ir_reminders(facts(up), RULES, date(2026, 12, 3))}
    assert before and after and before.isdisjoint(after)
    assert all(":stage-2:" in key for key in after)


def test_at_the_top_stage_the_iro_is_told_it_cannot_be_escalated_further() -> None:
    ir = facts(stage1_ir(stage="4"))
    [offer] = [r for r in ir_reminders(ir, RULES, date(2026, 12, 8))
               if r.kind is ReminderKind.IR_ESCALATION]  # fmt: skip
    assert not offer.can_escalate


def test_recipients_are_distinct_and_missing_ones_are_skipped() -> None:
    same = facts(stage1_ir(), delegate=OWNER)
    assert summary(ir_reminders(same, RULES, date(2026, 12, 3))) == {
        (ReminderKind.IR_STAGE_SOON, OWNER)
    }
    nobody = facts(stage1_ir(), owner=None, delegate=None, iro=None)
    assert ir_reminders(nobody, RULES, date(2026, 12, 8)) == []


# -- IR-FORMAL --------------------------------------------------------------------------------


def test_formal_warning_to_the_iro_and_every_qa_manager_then_breach() -> None:
    ir = facts(stage1_ir())  # formal from 30 Nov: 20 working days -> Wednesday 30 December
    formal = [r for r in ir_reminders(ir, RULES, date(2026, 12, 24), [QA1, QA2, IRO])
              if r.kind.value.startswith("reminder.ir_formal")]  # fmt: skip
    assert summary(formal) == {(ReminderKind.IR_FORMAL_WARNING, who) for who in (IRO, QA1, QA2)}
    assert formal[0].deadline is not None and formal[0].deadline.due == date(2026, 12, 30)
    assert formal[0].key == "IR-2026-0042:IR-FORMAL:2026-12-30:warning:10"
    assert all(not r.kind.value.startswith("reminder.ir_formal")
               for r in ir_reminders(ir, RULES, date(2026, 12, 23), [QA1]))  # fmt: skip
    breached = {r.kind for r in ir_reminders(ir, RULES, date(2026, 12, 31), [QA1])}
    assert ReminderKind.IR_FORMAL_BREACHED in breached
    assert ReminderKind.IR_FORMAL_WARNING not in breached


def test_informal_irs_have_no_formal_reminders() -> None:
    ir = facts(stage1_ir(stage="informal"))
    assert all(not r.kind.value.startswith("reminder.ir_formal")
               for r in ir_reminders(ir, RULES, date(2027, 3, 1), [QA1]))  # fmt: skip


# -- CIC-REPORTS ------------------------------------------------------------------------------


def test_reports_for_a_review_booked_thursday_17_december() -> None:
    booking = BookingFacts(booking_id=45, child_pk=7, booked_for=date(2026, 12, 17),
                           social_worker_id=SW)  # fmt: skip
    # Reports due three working days before: Monday 14 December. Heads-up from Thursday 10th.
    assert report_reminders(booking, RULES, date(2026, 12, 9)) == []
    [soon] = report_reminders(booking, RULES, date(2026, 12, 10))
    assert soon.kind is ReminderKind.REPORTS_SOON and soon.recipient_id == SW
    assert soon.recipient_role is RecipientRole.SOCIAL_WORKER
    assert soon.key == "booking-45:CIC-REPORTS:2026-12-14:soon:40"
    [due] = report_reminders(booking, RULES, date(2026, 12, 14))
    assert due.kind is ReminderKind.REPORTS_DUE_TODAY
    # No "overdue": the store cannot tell whether the reports arrived.
    assert report_reminders(booking, RULES, date(2026, 12, 15)) == []
    assert report_reminders(dataclasses.replace(booking, social_worker_id=None), RULES,
                            date(2026, 12, 14)) == []  # fmt: skip


def test_rebooking_changes_the_key() -> None:
    booking = BookingFacts(45, 7, date(2026, 12, 17), SW)
    moved = dataclasses.replace(booking, booked_for=date(2026, 12, 18))
    [a] = report_reminders(booking, RULES, date(2026, 12, 14))
    [b] = report_reminders(moved, RULES, date(2026, 12, 15))
    assert a.key != b.key


# -- CIC-DECISIONS and CIC-MINUTES -------------------------------------------------------------


def test_decisions_and_minutes_for_a_review_held_monday_30_november() -> None:
    review = HeldReviewFacts(review_id=123, child_pk=7, held_on=MON_30_NOV, iro_id=IRO,
                             decisions_sent_on=None, minutes_sent_on=None)  # fmt: skip
    # Decisions: 5 working days -> Monday 7 December. Minutes: 20 -> Wednesday 30 December.
    assert follow_up_reminders(review, RULES, date(2026, 12, 2)) == []
    [soon] = follow_up_reminders(review, RULES, date(2026, 12, 3))
    assert soon.kind is ReminderKind.DECISIONS_SOON
    assert soon.key == "review-123:CIC-DECISIONS:2026-12-07:soon:10"
    [due] = follow_up_reminders(review, RULES, date(2026, 12, 7))
    assert due.kind is ReminderKind.DECISIONS_DUE_TODAY
    # Decisions overdue are chased for 10 working days after 7 December: to 21 December.
    assert {r.kind for r in follow_up_reminders(review, RULES, date(2026, 12, 21))} == {
        ReminderKind.DECISIONS_OVERDUE
    }
    assert {r.kind for r in follow_up_reminders(review, RULES, date(2026, 12, 24))} == {
        ReminderKind.MINUTES_SOON
    }
    assert {r.kind for r in follow_up_reminders(review, RULES, date(2026, 12, 30))} == {
        ReminderKind.MINUTES_DUE_TODAY
    }
    sent = dataclasses.replace(review, decisions_sent_on=date(2026, 12, 4))
    assert follow_up_reminders(sent, RULES, date(2026, 12, 7)) == []
    # Minutes overdue: chased until 10 working days after 30 December (14 January 2027).
    assert follow_up_reminders(review, RULES, date(2027, 1, 14))[0].phase is Phase.OVERDUE
    assert follow_up_reminders(review, RULES, date(2027, 1, 15)) == []


def test_a_deadline_on_a_weekend_is_due_on_the_friday_before() -> None:
    text = RULES_TOML.replace(
        '[timescales.CIC-MINUTES]\ntitle = "Review record (minutes) sent"\namount = 20\n'
        'unit = "working_days"',
        '[timescales.CIC-MINUTES]\ntitle = "Review record (minutes) sent"\namount = 1\n'
        'unit = "months"',
    )
    monthly = parse_rules(text)
    review = HeldReviewFacts(1, 7, date(2026, 4, 30), IRO, date(2026, 5, 1), None)
    # 30 April + 1 month = Saturday 30 May; the last working day before it is Friday 29 May.
    [due] = follow_up_reminders(review, monthly, date(2026, 5, 29))
    assert due.kind is ReminderKind.MINUTES_DUE_TODAY
    assert due.deadline is not None and due.deadline.due == date(2026, 5, 30)
    [late] = follow_up_reminders(review, monthly, date(2026, 6, 1))
    assert late.kind is ReminderKind.MINUTES_OVERDUE


def test_policy_lead_and_window_are_configurable() -> None:
    review = HeldReviewFacts(1, 7, MON_30_NOV, IRO, None, date(2026, 12, 1))
    no_heads_up = ReminderPolicy(lead_working_days=0)
    assert follow_up_reminders(review, RULES, date(2026, 12, 4), no_heads_up) == []
    short = ReminderPolicy(overdue_window_working_days=1)
    assert follow_up_reminders(review, RULES, date(2026, 12, 8), short)
    assert follow_up_reminders(review, RULES, date(2026, 12, 9), short) == []
    with pytest.raises(ValueError):
        ReminderPolicy(lead_working_days=-1)
    with pytest.raises(ValueError):
        ReminderPolicy(digest_weekday=7)


# -- the digest -------------------------------------------------------------------------------


def test_digest_on_monday_from_eight() -> None:
    policy = ReminderPolicy()
    monday = date(2026, 12, 7)
    assert not digest_due(monday, time(7, 59), CAL, policy)
    assert digest_due(monday, time(8, 0), CAL, policy)
    # Catch-up later in the week, with the same key: one digest a week.
    assert digest_due(date(2026, 12, 9), time(9, 0), CAL, policy)
    assert digest_key(5, monday) == digest_key(5, date(2026, 12, 11)) == "digest:2026-W50:5"
    assert digest_key(5, date(2026, 12, 14)) == "digest:2026-W51:5"
    assert not digest_due(date(2026, 12, 12), time(9, 0), CAL, policy)  # Saturday
    [one, two] = digest_reminders([5, 6, 5], monday, time(8, 30), CAL, policy)
    assert (one.recipient_id, two.recipient_id) == (5, 6) and one.kind is ReminderKind.DIGEST
    assert digest_reminders([5], monday, time(7, 30), CAL, policy) == []


def test_after_a_bank_holiday_monday_the_digest_goes_on_tuesday() -> None:
    policy = ReminderPolicy()
    assert digest_day(date(2027, 3, 31), CAL, policy) == date(2027, 3, 30)  # Easter Monday 29th
    assert not digest_due(date(2027, 3, 29), time(9), CAL, policy)
    assert not digest_due(date(2027, 3, 30), time(7, 30), CAL, policy)
    assert digest_due(date(2027, 3, 30), time(8), CAL, policy)
    assert digest_day(date(2026, 12, 30), CAL, policy) == date(2026, 12, 29)  # Boxing Day obs.


def test_digest_window_is_15_working_days() -> None:
    assert digest_window(date(2026, 11, 30), CAL, ReminderPolicy()) == (
        date(2026, 11, 30),
        date(2026, 12, 21),
    )


def test_reminders_due_combines_and_keeps_keys_unique() -> None:
    today = date(2026, 12, 7)
    ir = facts(stage1_ir())
    booking = BookingFacts(45, 7, date(2026, 12, 10), SW)  # reports due Mon 7 Dec
    review = HeldReviewFacts(123, 7, MON_30_NOV, IRO, None, None)
    found = reminders_due(today, RULES, irs=[ir, ir], bookings=[booking], reviews=[review],
                          qa_manager_ids=[QA1])  # fmt: skip
    assert len({r.key for r in found}) == len(found)
    assert {r.kind for r in found} == {ReminderKind.IR_STAGE_DUE_TODAY,
                                       ReminderKind.REPORTS_DUE_TODAY,
                                       ReminderKind.DECISIONS_DUE_TODAY}  # fmt: skip


def test_reminder_key_shape() -> None:
    key = reminder_key("IR-2026-0042", "IR-STAGE", date(2026, 12, 3), Phase.SOON, 17, "1")
    assert key == "IR-2026-0042:IR-STAGE:stage-1:2026-12-03:soon:17"
    assert len(key) < 200  # notifications.idempotency_key is String(200)
