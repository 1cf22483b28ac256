"""The nudges' words (cards/nudges.py) and the scheduler's settings, without a store."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from bot.workers.scheduler import SchedulerConfig, SchedulerSettings, load_scheduler_config
from cards.elements import card_to_text
from cards.nudges import digest_nudge, follow_up_nudge, reports_nudge, when
from domain.ports import ChildSummary, StaffMember
from domain.reminders import BookingFacts, HeldReviewFacts, follow_up_reminders, report_reminders
from domain.reviews import decisions_due
from domain.rules import load_rules
from storage.reminder_queries import ChildLabel, DigestData
from storage.repositories.ir_lists import IrSummary
from understanding import Intent, understand

RULES = load_rules()
ZOE = ChildLabel(pk=7, child_id="C0007", name="Zoë O'Brien", iro_id=10, iro_name="Sam Patel")


def test_reports_nudge_names_the_dates_with_weekdays_the_rule_and_what_to_do() -> None:
    booking = BookingFacts(45, 7, date(2026, 12, 17), social_worker_id=40)
    [reminder] = report_reminders(booking, RULES, date(2026, 12, 10))
    nudge = reports_nudge(reminder, ZOE, booking.booked_for, date(2026, 12, 10))
    shown = card_to_text(nudge.card)
    assert "Social work reports due Monday 14 December 2026" in shown
    assert "booked for Thursday 17 December 2026" in shown
    assert "by Monday 14 December 2026: in 2 working days" in shown
    assert "CIC-REPORTS" in shown and "3 working days before the review booked" in shown
    assert "What to do: send your reports to Sam Patel" in shown
    assert "Zoë" not in nudge.summary and "C0007" in nudge.summary
    assert nudge.payload(report_to_staff_id=10) == {
        "summary": nudge.summary, "card": nudge.card, "report_to_staff_id": 10}  # fmt: skip


def test_overdue_minutes_say_as_soon_as_you_can() -> None:
    review = HeldReviewFacts(123, 7, date(2026, 11, 30), 10, date(2026, 12, 2), None)
    [reminder] = follow_up_reminders(review, RULES, date(2027, 1, 4))
    shown = card_to_text(follow_up_nudge(reminder, ZOE, review.held_on, date(2027, 1, 4)).card)
    assert "Review minutes overdue" in shown
    assert "should have been sent by Wednesday 30 December 2026: overdue by 2 working days" in shown
    assert "CIC-MINUTES" in shown and "not counting Friday 25 December 2026" in shown
    assert "send the review record (minutes) as soon as you can" in shown


@pytest.mark.parametrize(
    ("decisions_sent_on", "today", "kind"),
    [
        (date(2026, 12, 2), date(2027, 1, 4), "minutes"),  # overdue
        (None, date(2026, 12, 7), "decisions"),  # due today
    ],
)
def test_the_words_a_follow_up_nudge_suggests_record_that_paperwork_for_that_child(
    decisions_sent_on: date | None, today: date, kind: str
) -> None:
    review = HeldReviewFacts(123, 7, date(2026, 11, 30), 10, decisions_sent_on, None)
    reminder = next(r for r in follow_up_reminders(review, RULES, today)
                    if kind in r.kind.value)  # fmt: skip
    shown = card_to_text(follow_up_nudge(reminder, ZOE, review.held_on, today).card)
    suggested = re.search(r'tell me "([^"]+)"', shown)
    assert suggested is not None, shown
    heard = understand(suggested[1], today, rules=RULES)
    assert heard.intent is Intent.RECORD_SENT
    assert heard.child is not None and heard.child.text == "Zoë O'Brien"
    assert heard.paperwork == (kind,) and heard.date == today


def test_when_reads_from_the_practical_date() -> None:
    deadline = decisions_due(date(2026, 11, 30), RULES)  # Monday 7 December
    assert when(deadline, date(2026, 12, 3)) == "in 2 working days"
    assert when(deadline, date(2026, 12, 7)) == "today"
    assert when(deadline, date(2026, 12, 9)) == "overdue by 2 working days"


def _child(pk: int, due: date, given: str) -> ChildSummary:
    return ChildSummary(pk, f"C{pk:04d}", given, "Smith", None, None, None, due, due, "CIC-3", 3,
                        10, "Sam Patel", None, None, 40, "Jo Bloggs")  # fmt: skip


def test_digest_lists_due_overdue_paperwork_and_irs_and_is_skipped_when_empty() -> None:
    iro = StaffMember(10, "sam@example.com", "Sam Patel", "iro")
    monday = date(2026, 11, 30)
    empty = DigestData(iro, monday, date(2026, 12, 21), [], [], [], [], {})
    assert digest_nudge(empty, RULES, monday) is None
    ir = IrSummary("IR-2026-0042", 7, "Zoë O'Brien", "1", "responded", date(2026, 11, 20),
                   None, date(2026, 12, 18), False)  # fmt: skip
    data = DigestData(
        iro, monday, date(2026, 12, 21),
        due=[_child(1, date(2026, 12, 8), "Ava")],
        overdue=[_child(2, date(2026, 11, 19), "Jayden")],
        follow_ups=[HeldReviewFacts(9, 7, date(2026, 11, 2), 10, None, None)],
        irs=[ir], children={7: ZOE},
    )  # fmt: skip
    nudge = digest_nudge(data, RULES, monday)
    assert nudge is not None
    shown = card_to_text(nudge.card)
    assert "Your week ahead: Monday 30 November 2026" in shown
    assert "Reviews due by Monday 21 December 2026 (1)" in shown
    assert "Ava Smith | Tue 8 Dec 2026 | CIC-3" in shown
    # Overdue: Jayden's review and Zoë's decisions (due 9 Nov); her minutes are due 30 Nov.
    assert "Overdue (2)" in shown and "Review decisions due Mon 9 Nov 2026" in shown
    assert "Decisions and minutes due by Monday 21 December 2026 (1)" in shown
    assert "Responded: your decision (resolve or escalate)" in shown
    assert nudge.summary == "Your week: 1 review due, 2 overdue, 1 open IR"


def test_scheduler_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRO_SCHEDULER_WORK_START", "07:30")
    monkeypatch.setenv("IRO_SCHEDULER_WORK_END", "17:00")
    monkeypatch.setenv("IRO_SCHEDULER_DIGEST_DAY", "Tuesday")
    monkeypatch.setenv("IRO_SCHEDULER_DIGEST_TIME", "09:15")
    monkeypatch.setenv("IRO_SCHEDULER_INTERVAL_SECONDS", "60")
    config = SchedulerSettings(_env_file=None).config()  # type: ignore[call-arg]
    assert (config.work_start, config.work_end, config.interval_seconds) == (
        time(7, 30), time(17), 60)  # fmt: skip
    assert (config.policy.digest_weekday, config.policy.digest_time) == (1, time(9, 15))
    monkeypatch.setenv("IRO_SCHEDULER_DIGEST_DAY", "Caturday")
    with pytest.raises(ValueError):
        SchedulerSettings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        SchedulerConfig(work_start=time(18), work_end=time(8))


def test_load_scheduler_config_is_one_line_about_a_bad_setting_and_none_when_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IRO_SCHEDULER_WORK_START", "half past eight")
    with pytest.raises(ValueError) as refused:
        load_scheduler_config()
    assert str(refused.value).startswith("IRO_SCHEDULER_WORK_START: ")
    assert "\n" not in str(refused.value)
    monkeypatch.delenv("IRO_SCHEDULER_WORK_START")
    monkeypatch.setenv("IRO_SCHEDULER_ENABLED", "false")
    assert load_scheduler_config() is None
    monkeypatch.setenv("IRO_SCHEDULER_ENABLED", "true")
    assert load_scheduler_config() == SchedulerConfig()
