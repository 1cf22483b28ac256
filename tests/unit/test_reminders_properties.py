"""Reminders over whole runs of days (Hypothesis): the scheduler is simulated day by day.

For a random IR, booking or review, ``reminders_due`` is asked about every day from the start
to well past the deadline. The oracle here is written from the rules in domain.md, not from the
module: a heads-up from the warning point, a reminder on the due date, overdue from the next
working day; nothing on a weekend or bank holiday; each key always means the same message.
Then the scheduler is made to miss random days, and an outbox (a dict keyed as the real one)
must still receive the current phase on the next day it runs, and nothing twice.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.issues_resolution import IR, open_deadlines, raise_ir, stage_deadline, warning_date
from domain.reminders import (
    BookingFacts,
    HeldReviewFacts,
    IrFacts,
    Phase,
    Reminder,
    ReminderKind,
    ReminderPolicy,
    booking_window,
    digest_reminders,
    follow_up_lookback,
    follow_up_reminders,
    ir_horizon,
    ir_reminders,
    reminders_due,
    report_reminders,
)
from domain.reviews import minutes_due, reports_due
from domain.rules import load_rules

RULES = load_rules()
CAL = RULES.calendar
IRO, OWNER, DELEGATE, QA, SW = 1, 2, 3, 4, 5
STAGES = [s.key for s in RULES.stages]

days = st.dates(date(2015, 1, 1), date(2035, 12, 31))
working_days = days.map(CAL.next_working_day_on_or_after)


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def an_ir(raised: date, stage: str, reference: str) -> IR:
    ir, _ = raise_ir(RULES, child_id="C", raised_by="iro@x", reasons=["no advocate"],
                     description="", on=raised, stage=stage, owner="o@x",
                     reference=reference)  # fmt: skip
    return ir


def run(days_run: list[date], **data: object) -> dict[date, list[Reminder]]:
    return {day: reminders_due(day, RULES, **data) for day in days_run}  # type: ignore[arg-type]


def check_stable_keys(by_day: dict[date, list[Reminder]]) -> dict[str, list[date]]:
    """Every reminder sharing a key is the same message; returns the days each key appeared."""
    seen: dict[str, Reminder] = {}
    appeared: dict[str, list[date]] = {}
    for day, reminders in by_day.items():
        if reminders:
            assert CAL.is_working_day(day), f"reminders on {day}, not a working day"
        assert len({r.key for r in reminders}) == len(reminders)
        for r in reminders:
            first = seen.setdefault(r.key, r)
            assert (first.kind, first.recipient_id, first.phase, first.subject) == (
                r.kind, r.recipient_id, r.phase, r.subject)  # fmt: skip
            assert first.deadline == r.deadline
            appeared.setdefault(r.key, []).append(day)
    return appeared


@settings(max_examples=150, deadline=None)
@given(raised=days, stage=st.sampled_from(STAGES))
def test_stage_reminders_fall_on_exactly_the_right_working_days(raised: date, stage: str) -> None:
    ir = an_ir(raised, stage, "IR-2030-0001")
    facts = IrFacts(ir, 1, 9, IRO, OWNER, None)
    deadline = stage_deadline(ir, RULES)
    warn_on = warning_date(deadline, RULES)
    by_day = run(span(raised, deadline.due + timedelta(days=20)), irs=[facts])
    appeared = check_stable_keys(by_day)

    def days_of(kind: ReminderKind) -> list[date]:
        return sorted(d for d, rs in by_day.items() for r in rs if r.kind is kind)

    later = [d for d in span(deadline.due + timedelta(days=1), deadline.due + timedelta(days=20))
             if CAL.is_working_day(d)]  # fmt: skip
    expected_soon = [d for d in span(warn_on, deadline.due - timedelta(days=1))
                     if CAL.is_working_day(d)] if warn_on > deadline.start else []  # fmt: skip
    assert days_of(ReminderKind.IR_STAGE_SOON) == expected_soon
    assert days_of(ReminderKind.IR_STAGE_DUE_TODAY) == [deadline.due]
    assert days_of(ReminderKind.IR_STAGE_OVERDUE) == later
    assert days_of(ReminderKind.IR_ESCALATION) == later
    stage_keys = [k for k in appeared if ":IR-STAGE:" in k]
    # One key per phase and recipient: soon (when there is a heads-up), due, overdue, the offer.
    assert len(stage_keys) == (4 if expected_soon else 3)


@settings(max_examples=150, deadline=None)
@given(raised=working_days, stage=st.sampled_from(STAGES[1:]), runs=st.data())
def test_a_scheduler_that_misses_days_catches_up_once(
    raised: date, stage: str, runs: st.DataObject
) -> None:
    ir = an_ir(raised, stage, "IR-2030-0002")
    facts = IrFacts(ir, 1, 9, IRO, OWNER, DELEGATE)
    everything = span(raised, raised + timedelta(days=60))
    full = run(everything, irs=[facts], qa_manager_ids=[QA])
    every_key = {r.key for rs in full.values() for r in rs}
    ran = sorted(runs.draw(st.sets(st.sampled_from(everything))))
    outbox: dict[str, Reminder] = {}
    attempts = 0
    for day in ran:
        for reminder in full[day]:
            attempts += 1
            outbox.setdefault(reminder.key, reminder)  # the outbox's ON CONFLICT DO NOTHING
    assert set(outbox) <= every_key
    # Whatever phase a deadline was in on a day the scheduler ran, that phase was delivered.
    for day in ran:
        assert {r.key for r in full[day]} <= set(outbox)
    # Per recipient and deadline, at most one message per phase: never a duplicate.
    per = [(r.recipient_id, r.deadline.rule_id if r.deadline else "", r.phase)
           for r in outbox.values()]  # fmt: skip
    assert len(per) == len(set(per))
    assert attempts >= len(outbox)


@settings(max_examples=150, deadline=None)
@given(booked=working_days)
def test_reports_nudges_only_before_the_review_and_in_order(booked: date) -> None:
    booking = BookingFacts(1, 9, booked, SW)
    deadline = reports_due(booked, RULES)
    by_day = run(span(booked - timedelta(days=30), booked + timedelta(days=5)), bookings=[booking])
    check_stable_keys(by_day)
    phases = [r.phase for _, rs in sorted(by_day.items()) for r in rs]
    assert phases == sorted(phases, key=[Phase.SOON, Phase.DUE_TODAY].index)
    assert phases.count(Phase.DUE_TODAY) == 1
    assert phases.count(Phase.SOON) == 2  # the default lead: two working days
    assert all(r.recipient_id == SW for rs in by_day.values() for r in rs)
    sent_days = [d for d, rs in by_day.items() if rs]
    assert max(sent_days) == deadline.due and min(sent_days) < deadline.due


@settings(max_examples=150, deadline=None)
@given(held=working_days, window=st.integers(0, 15), lead=st.integers(0, 4))
def test_minutes_reminders_follow_soon_due_overdue_then_stop(
    held: date, window: int, lead: int
) -> None:
    policy = ReminderPolicy(lead_working_days=lead, overdue_window_working_days=window)
    review = HeldReviewFacts(1, 9, held, IRO, held, None)  # decisions sent the same day
    deadline = minutes_due(held, RULES)
    by_day = {d: reminders_due(d, RULES, reviews=[review], policy=policy)
              for d in span(held, deadline.due + timedelta(days=40))}  # fmt: skip
    check_stable_keys(by_day)

    def count(phase: Phase) -> int:
        return sum(r.phase is phase for rs in by_day.values() for r in rs)

    assert count(Phase.SOON) == lead
    assert count(Phase.DUE_TODAY) == 1
    assert count(Phase.OVERDUE) == window
    order = [Phase.SOON, Phase.DUE_TODAY, Phase.OVERDUE]
    phases = [r.phase for _, rs in sorted(by_day.items()) for r in rs]
    assert phases == sorted(phases, key=order.index)


@settings(max_examples=150, deadline=None)
@given(
    monday=days.map(lambda d: d - timedelta(days=d.weekday())),
    weekday=st.integers(0, 4),
    runs=st.lists(st.tuples(st.integers(0, 6), st.integers(7, 18), st.integers(0, 59)),
                  max_size=12),
)  # fmt: skip
def test_at_most_one_digest_a_week_and_never_before_its_time(
    monday: date, weekday: int, runs: list[tuple[int, int, int]]
) -> None:
    policy = ReminderPolicy(digest_weekday=weekday)
    sent: dict[str, date] = {}
    for offset, hour, minute in sorted(runs):
        day, at = monday + timedelta(days=offset), time(hour, minute)
        for reminder in digest_reminders([IRO], day, at, CAL, policy):
            assert CAL.is_working_day(day)
            assert day.weekday() >= weekday
            sent.setdefault(reminder.key, day)
    assert len(sent) <= 1
    digest_day = next((d for d in span(monday + timedelta(days=weekday), monday
                       + timedelta(days=6)) if CAL.is_working_day(d)), None)  # fmt: skip
    eligible = [
        (o, h, m) for o, h, m in runs
        if digest_day is not None and CAL.is_working_day(monday + timedelta(days=o))
        and (monday + timedelta(days=o) > digest_day
             or (monday + timedelta(days=o) == digest_day and time(h, m) >= time(8)))
    ]  # fmt: skip
    assert len(sent) == (1 if eligible else 0)


@settings(max_examples=200, deadline=None)
@given(today=working_days, days_before=st.integers(1, 60), window=st.integers(0, 15),
       lead=st.integers(0, 5))  # fmt: skip
def test_reviews_held_before_the_lookback_have_no_reminders(
    today: date, days_before: int, window: int, lead: int
) -> None:
    policy = ReminderPolicy(lead_working_days=lead, overdue_window_working_days=window)
    held = follow_up_lookback(today, RULES, policy) - timedelta(days=days_before)
    review = HeldReviewFacts(1, 9, held, IRO, None, None)
    assert follow_up_reminders(review, RULES, today, policy) == []


@settings(max_examples=200, deadline=None)
@given(today=working_days, days_after=st.integers(1, 60), lead=st.integers(0, 5))
def test_bookings_after_the_window_have_no_reminders(
    today: date, days_after: int, lead: int
) -> None:
    policy = ReminderPolicy(lead_working_days=lead)
    first, last = booking_window(today, RULES, policy)
    assert first == today
    booking = BookingFacts(1, 9, last + timedelta(days=days_after), SW)
    assert report_reminders(booking, RULES, today, policy) == []


@settings(max_examples=200, deadline=None)
@given(raised=days, stage=st.sampled_from(STAGES), today=working_days)
def test_irs_whose_deadlines_lie_past_the_horizon_have_no_reminders(
    raised: date, stage: str, today: date
) -> None:
    ir = an_ir(raised, stage, "IR-2030-0003")
    horizon = ir_horizon(today, RULES, slack_working_days=0)
    if all(d.due > horizon for d in open_deadlines(ir, RULES)):
        assert ir_reminders(IrFacts(ir, 1, 9, IRO, OWNER, DELEGATE), RULES, today, [QA]) == []
