"""Which reminders are due today: the scheduler's rules, with no I/O and no clock.

The scheduler (``bot/workers/scheduler.py``) gathers facts from the store, asks this module what
is due on ``today`` and writes one outbox notification per ``Reminder``. What is due:

- **IR-STAGE**, to the current stage's owner (and their delegate): a heads-up when the warning
  point comes (``ir_warning_working_days``, 2 by default, before the response is due), a reminder
  on the due date, and one when it is overdue; when overdue the raising IRO is also offered
  escalation (``IR_ESCALATION``).
- **IR-FORMAL**, to the raising IRO and every QA manager: a warning before a formal IR would
  breach its 20 working days, and a notice if it has breached.
- **CIC-REPORTS**, to the child's social worker: a heads-up before their reports for a booked
  review are due, and a reminder on the day. No "overdue" nudge: the store does not record when
  reports arrive, so it could not tell a late worker from one who sent them on time.
- **CIC-DECISIONS** and **CIC-MINUTES**, to the child's IRO: heads-up, due today, overdue.
- **The digest**, to each IRO, on the first working day on or after the digest weekday (Monday).

Catching up without duplicates. Each deadline moves through *phases* (soon, due today, overdue;
warning, breached). On any working day this module returns the reminder for the phase the
deadline is in *now*, not only on the day the phase began, so a scheduler that was down for a
day still sends it the next working day. Each reminder has a deterministic ``key`` built from
the subject, rule, due date, phase and recipient; the outbox ignores a key it has seen, so
running a tick twice, on two instances, or every five minutes all day, sends each once. A phase
that passed entirely while the scheduler was down is not sent late (a "due in 2 days" heads-up
on the due date would mislead): the current phase supersedes it.

Nothing is produced on a day that is not a working day: reminders wait for the next one.

Review follow-ups (decisions, minutes) stop being chased ``overdue_window_working_days`` after
they fell due, so importing years of history without "sent" dates does not send hundreds of
overdue reminders; the digest still lists what is overdue. IR reminders have no such limit: an
open IR past its deadline always needs someone's action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from domain.calendar import WorkingDayCalendar, add_months
from domain.deadlines import Deadline
from domain.issues_resolution import (
    FORMAL_RULE,
    IR,
    STAGE_RULE,
    AlertKind,
    IRAction,
    allowed_actions,
    warnings_due,
)
from domain.reviews import decisions_due, minutes_due, reports_due
from domain.rules import RuleSet, Timescale, Unit

REPORTS_RULE = "CIC-REPORTS"
DECISIONS_RULE = "CIC-DECISIONS"
MINUTES_RULE = "CIC-MINUTES"


class ReminderKind(StrEnum):
    """What a reminder is about and at which phase; also the outbox notification's ``kind``."""

    IR_STAGE_SOON = "reminder.ir_stage.soon"
    IR_STAGE_DUE_TODAY = "reminder.ir_stage.due_today"
    IR_STAGE_OVERDUE = "reminder.ir_stage.overdue"
    IR_ESCALATION = "reminder.ir_stage.escalate"  # to the IRO, with an overdue stage
    IR_FORMAL_WARNING = "reminder.ir_formal.warning"
    IR_FORMAL_BREACHED = "reminder.ir_formal.breached"
    REPORTS_SOON = "reminder.reports.soon"
    REPORTS_DUE_TODAY = "reminder.reports.due_today"
    DECISIONS_SOON = "reminder.decisions.soon"
    DECISIONS_DUE_TODAY = "reminder.decisions.due_today"
    DECISIONS_OVERDUE = "reminder.decisions.overdue"
    MINUTES_SOON = "reminder.minutes.soon"
    MINUTES_DUE_TODAY = "reminder.minutes.due_today"
    MINUTES_OVERDUE = "reminder.minutes.overdue"
    DIGEST = "digest.weekly"


class Phase(StrEnum):
    """Where a deadline stands, as far as reminders go. Part of every key."""

    SOON = "soon"  # the warning point has come; the deadline is still ahead
    DUE_TODAY = "due-today"
    OVERDUE = "overdue"
    ESCALATE = "escalate"  # the IRO's offer, alongside the owner's OVERDUE
    WARNING = "warning"  # IR-FORMAL: it will breach soon
    BREACHED = "breached"  # IR-FORMAL: it has breached


class RecipientRole(StrEnum):
    STAGE_OWNER = "stage_owner"
    DELEGATE = "delegate"  # whom the stage owner named to act for them
    IRO = "iro"
    QA_MANAGER = "qa_manager"
    SOCIAL_WORKER = "social_worker"


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders go. The IR warning point comes from the rules file instead
    (``issues_resolution.warning_working_days``), as the IR card shows it too."""

    #: Heads-up this many working days before reports, decisions and minutes are due.
    lead_working_days: int = 2
    #: Overdue decisions and minutes are chased until this many working days after the due date.
    overdue_window_working_days: int = 10
    digest_weekday: int = 0  # Monday (date.weekday())
    digest_time: time = time(8, 0)  # local time in the authority's time zone
    #: The digest lists reviews due from today to this many working days ahead.
    digest_window_working_days: int = 15

    def __post_init__(self) -> None:
        if self.lead_working_days < 0 or self.overdue_window_working_days < 0:
            raise ValueError("reminder lead and overdue window must be 0 or more working days")
        if not 0 <= self.digest_weekday <= 6:
            raise ValueError("the digest weekday must be 0 (Monday) to 6 (Sunday)")
        if self.digest_window_working_days < 1:
            raise ValueError("the digest window must be at least one working day")


DEFAULT_POLICY = ReminderPolicy()


# -- the facts the store supplies -----------------------------------------------------------


@dataclass(frozen=True)
class IrFacts:
    """An open IR, with the staff ids its reminders go to (the domain IR holds e-mails)."""

    ir: IR  # must have its reference
    version: int
    child_pk: int | None
    iro_id: int | None  # who raised it
    owner_id: int | None  # the current stage's owner
    delegate_id: int | None  # whom the owner named to act for them

    @property
    def reference(self) -> str:
        if self.ir.reference is None:
            raise ValueError("an IR must be stored (have a reference) before reminders")
        return self.ir.reference


@dataclass(frozen=True)
class BookingFacts:
    """A review booked for a date, and the child's social worker (who writes the reports)."""

    booking_id: int
    child_pk: int
    booked_for: date
    social_worker_id: int | None


@dataclass(frozen=True)
class HeldReviewFacts:
    """A review held whose decisions or minutes are not recorded as sent."""

    review_id: int
    child_pk: int
    held_on: date
    iro_id: int | None  # the child's IRO (or covering IRO when none)
    decisions_sent_on: date | None
    minutes_sent_on: date | None


# -- the reminder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One notification to one member of staff, due today."""

    kind: ReminderKind
    phase: Phase
    recipient_id: int
    recipient_role: RecipientRole
    subject: str  # "IR-2026-0042", "review-123", "booking-45", "digest"
    key: str  # the outbox idempotency key
    deadline: Deadline | None = None  # None for the digest
    child_pk: int | None = None
    ir_reference: str | None = None
    stage: str | None = None  # the IR stage key, for IR-STAGE reminders
    can_escalate: bool = False  # IR_ESCALATION: False at the top stage


def reminder_key(
    subject: str, rule_id: str, due: date, phase: Phase, recipient_id: int, stage: str | None = None
) -> str:
    """``IR-2026-0042:IR-STAGE:stage-1:2026-12-03:soon:17``.

    Everything that makes the reminder a different message is in it: a new stage (even with the
    same due date), a new due date (a rebooked review), a new phase, a new recipient (the stage
    owner changed). Nothing that varies from day to day within one phase (such as today) is.
    """
    where = f":stage-{stage}" if stage is not None else ""
    return f"{subject}:{rule_id}{where}:{due.isoformat()}:{phase.value}:{recipient_id}"


def digest_key(iro_id: int, today: date) -> str:
    """One digest per IRO per ISO week: ``digest:2026-W49:5``."""
    year, week, _ = today.isocalendar()
    return f"digest:{year}-W{week:02d}:{iro_id}"


# -- phases ---------------------------------------------------------------------------------


def follow_up_phase(
    deadline: Deadline, today: date, policy: ReminderPolicy, *, chase_overdue: bool
) -> Phase | None:
    """The phase of a review follow-up or reports deadline on ``today``, or None.

    Measured from the practical due date (the last working day on or before the due date), so a
    deadline that falls on a weekend is "due today" on the Friday before it.
    """
    calendar = deadline.calendar
    practical = deadline.practical_due
    if today > deadline.due:
        if not chase_overdue:
            return None
        late = calendar.working_days_between(deadline.due, today)
        return Phase.OVERDUE if late <= policy.overdue_window_working_days else None
    if today >= practical:
        return Phase.DUE_TODAY
    warn_on = calendar.add_working_days(practical, -policy.lead_working_days)
    return Phase.SOON if policy.lead_working_days and today >= warn_on else None


# -- each kind of subject -------------------------------------------------------------------

_STAGE_KINDS = {
    Phase.SOON: ReminderKind.IR_STAGE_SOON,
    Phase.DUE_TODAY: ReminderKind.IR_STAGE_DUE_TODAY,
    Phase.OVERDUE: ReminderKind.IR_STAGE_OVERDUE,
}
_FOLLOW_UP_KINDS = {
    DECISIONS_RULE: {
        Phase.SOON: ReminderKind.DECISIONS_SOON,
        Phase.DUE_TODAY: ReminderKind.DECISIONS_DUE_TODAY,
        Phase.OVERDUE: ReminderKind.DECISIONS_OVERDUE,
    },
    MINUTES_RULE: {
        Phase.SOON: ReminderKind.MINUTES_SOON,
        Phase.DUE_TODAY: ReminderKind.MINUTES_DUE_TODAY,
        Phase.OVERDUE: ReminderKind.MINUTES_OVERDUE,
    },
}
_REPORT_KINDS = {
    Phase.SOON: ReminderKind.REPORTS_SOON,
    Phase.DUE_TODAY: ReminderKind.REPORTS_DUE_TODAY,
}


def _recipients(*pairs: tuple[int | None, RecipientRole]) -> list[tuple[int, RecipientRole]]:
    """Distinct recipients in order: one person holding two parts gets one reminder."""
    seen: set[int] = set()
    out: list[tuple[int, RecipientRole]] = []
    for staff_id, role in pairs:
        if staff_id is not None and staff_id not in seen:
            seen.add(staff_id)
            out.append((staff_id, role))
    return out


def ir_reminders(
    facts: IrFacts, rules: RuleSet, today: date, qa_manager_ids: Sequence[int] = ()
) -> list[Reminder]:
    """IR-STAGE and IR-FORMAL reminders for one IR on ``today`` (a working day).

    Built on ``warnings_due``, which reports the state on ``today`` rather than only on the
    warning day: exactly the catch-up behaviour described in the module docstring.
    """
    ir, reference = facts.ir, facts.reference
    out: list[Reminder] = []
    for alert in warnings_due(ir, rules, today):
        deadline = alert.deadline
        if deadline.rule_id == STAGE_RULE:
            if alert.kind is AlertKind.BREACHED:
                phase = Phase.OVERDUE
            elif today >= deadline.due:
                phase = Phase.DUE_TODAY
            elif alert.warn_on > deadline.start:
                phase = Phase.SOON
            else:
                # The warning point is the day the stage began: the owner was sent the IR that
                # day, and a "due soon" on top of it would add nothing.
                continue
            for staff_id, role in _recipients(
                (facts.owner_id, RecipientRole.STAGE_OWNER),
                (facts.delegate_id, RecipientRole.DELEGATE),
            ):
                out.append(
                    Reminder(
                        kind=_STAGE_KINDS[phase],
                        phase=phase,
                        recipient_id=staff_id,
                        recipient_role=role,
                        subject=reference,
                        key=reminder_key(
                            reference, STAGE_RULE, deadline.due, phase, staff_id, alert.stage
                        ),
                        deadline=deadline,
                        child_pk=facts.child_pk,
                        ir_reference=reference,
                        stage=alert.stage,
                    )
                )
            if phase is Phase.OVERDUE and facts.iro_id is not None:
                can_escalate = IRAction.ESCALATE in allowed_actions(ir, rules)
                out.append(
                    Reminder(
                        kind=ReminderKind.IR_ESCALATION,
                        phase=Phase.ESCALATE,
                        recipient_id=facts.iro_id,
                        recipient_role=RecipientRole.IRO,
                        subject=reference,
                        key=reminder_key(
                            reference,
                            STAGE_RULE,
                            deadline.due,
                            Phase.ESCALATE,
                            facts.iro_id,
                            alert.stage,
                        ),
                        deadline=deadline,
                        child_pk=facts.child_pk,
                        ir_reference=reference,
                        stage=alert.stage,
                        can_escalate=can_escalate,
                    )
                )
        elif deadline.rule_id == FORMAL_RULE:
            if alert.kind is AlertKind.BREACHED:
                phase, kind = Phase.BREACHED, ReminderKind.IR_FORMAL_BREACHED
            elif alert.warn_on > deadline.start:
                phase, kind = Phase.WARNING, ReminderKind.IR_FORMAL_WARNING
            else:
                continue  # as above: nothing to add on the day it became formal
            recipients = _recipients(
                (facts.iro_id, RecipientRole.IRO),
                *((qa, RecipientRole.QA_MANAGER) for qa in qa_manager_ids),
            )
            for staff_id, role in recipients:
                out.append(
                    Reminder(
                        kind=kind,
                        phase=phase,
                        recipient_id=staff_id,
                        recipient_role=role,
                        subject=reference,
                        key=reminder_key(reference, FORMAL_RULE, deadline.due, phase, staff_id),
                        deadline=deadline,
                        child_pk=facts.child_pk,
                        ir_reference=reference,
                        stage=alert.stage,
                    )
                )
    return out


def report_reminders(
    booking: BookingFacts, rules: RuleSet, today: date, policy: ReminderPolicy = DEFAULT_POLICY
) -> list[Reminder]:
    """CIC-REPORTS: the social worker's reports for a booked review (heads-up, due today)."""
    if booking.social_worker_id is None or booking.booked_for < today:
        return []
    deadline = reports_due(booking.booked_for, rules)
    phase = follow_up_phase(deadline, today, policy, chase_overdue=False)
    if phase is None:
        return []
    subject = f"booking-{booking.booking_id}"
    staff_id = booking.social_worker_id
    return [
        Reminder(
            kind=_REPORT_KINDS[phase],
            phase=phase,
            recipient_id=staff_id,
            recipient_role=RecipientRole.SOCIAL_WORKER,
            subject=subject,
            key=reminder_key(subject, REPORTS_RULE, deadline.due, phase, staff_id),
            deadline=deadline,
            child_pk=booking.child_pk,
        )
    ]


def follow_up_reminders(
    review: HeldReviewFacts, rules: RuleSet, today: date, policy: ReminderPolicy = DEFAULT_POLICY
) -> list[Reminder]:
    """CIC-DECISIONS and CIC-MINUTES for one review held, to the IRO, while not sent."""
    if review.iro_id is None or review.held_on > today:
        return []
    subject = f"review-{review.review_id}"
    out: list[Reminder] = []
    for rule_id, sent_on, compute in (
        (DECISIONS_RULE, review.decisions_sent_on, decisions_due),
        (MINUTES_RULE, review.minutes_sent_on, minutes_due),
    ):
        if sent_on is not None:
            continue
        deadline = compute(review.held_on, rules)
        phase = follow_up_phase(deadline, today, policy, chase_overdue=True)
        if phase is None:
            continue
        out.append(
            Reminder(
                kind=_FOLLOW_UP_KINDS[rule_id][phase],
                phase=phase,
                recipient_id=review.iro_id,
                recipient_role=RecipientRole.IRO,
                subject=subject,
                key=reminder_key(subject, rule_id, deadline.due, phase, review.iro_id),
                deadline=deadline,
                child_pk=review.child_pk,
            )
        )
    return out


# -- the weekly digest ----------------------------------------------------------------------


def digest_day(today: date, calendar: WorkingDayCalendar, policy: ReminderPolicy) -> date | None:
    """The day this ISO week's digest goes: the first working day on or after the digest
    weekday in the same week (Tuesday after a bank holiday Monday); None when none is left."""
    day = today - timedelta(days=today.weekday() - policy.digest_weekday)
    while day.isocalendar()[:2] == today.isocalendar()[:2]:
        if calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    return None


def digest_due(
    today: date, time_of_day: time, calendar: WorkingDayCalendar, policy: ReminderPolicy
) -> bool:
    """True from the digest time on the digest day until the week ends, on working days only.

    Later working days of the week catch up a digest that could not go on its day (the
    scheduler was down); ``digest_key`` keeps it to one a week.
    """
    if not calendar.is_working_day(today):
        return False
    day = digest_day(today, calendar, policy)
    if day is None or today < day:
        return False
    return today > day or time_of_day >= policy.digest_time


def digest_window(
    today: date, calendar: WorkingDayCalendar, policy: ReminderPolicy
) -> tuple[date, date]:
    """The reviews a digest lists: due from today to ``digest_window_working_days`` ahead."""
    return today, calendar.add_working_days(today, policy.digest_window_working_days)


def digest_reminders(
    iro_ids: Iterable[int],
    today: date,
    time_of_day: time,
    calendar: WorkingDayCalendar,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> list[Reminder]:
    """One digest for each IRO when the digest is due, else none."""
    if not digest_due(today, time_of_day, calendar, policy):
        return []
    return [
        Reminder(
            kind=ReminderKind.DIGEST,
            phase=Phase.DUE_TODAY,
            recipient_id=iro_id,
            recipient_role=RecipientRole.IRO,
            subject="digest",
            key=digest_key(iro_id, today),
        )
        for iro_id in dict.fromkeys(iro_ids)
    ]


# -- how far back and ahead the store must look ----------------------------------------------
# The scheduler reads only the rows that can have a reminder due today: these bounds are exact
# for working-day timescales and generous (a few days' slack) for months and hours.


def _reach(day: date, timescale: Timescale, calendar: WorkingDayCalendar, sign: int) -> date:
    """A date at least as far from ``day`` (in direction ``sign``) as ``timescale`` runs."""
    if timescale.unit is Unit.WORKING_DAYS:
        return calendar.add_working_days(day, sign * timescale.amount)
    if timescale.unit is Unit.MONTHS:
        # Month ends clamp (31 Jan + 1 month = 28 Feb), so allow a few days either way.
        return add_months(day, sign * timescale.amount) + timedelta(days=sign * 4)
    if timescale.unit is Unit.DAYS:
        return day + timedelta(days=sign * (timescale.amount + 1))
    if timescale.unit is Unit.WEEKS:
        return day + timedelta(days=sign * (timescale.amount * 7 + 1))
    return day + timedelta(days=sign * (timescale.amount // 24 + 2))


#: The timescales each job's reminders count from: a rules file that sets none of them (a
#: nation whose law leaves them to local protocol) has no such reminders, and the job is idle.
JOB_RULES = {
    "ir": ("IR-STAGE",),
    "reports": (REPORTS_RULE,),
    "follow_ups": (DECISIONS_RULE, MINUTES_RULE),
}


def job_applies(job: str, rules: RuleSet) -> bool:
    """Do ``rules`` set every timescale ``job``'s reminders count from?"""
    return all(rules.has_timescale(rule_id) for rule_id in JOB_RULES.get(job, ()))


def ir_horizon(today: date, rules: RuleSet, slack_working_days: int = 5) -> date:
    """IRs whose running deadline is after this cannot have a reminder due today.

    The slack covers a rules change since an IR's deadlines were stored.
    """
    return rules.calendar.add_working_days(
        today, rules.ir_warning_working_days + slack_working_days
    )


def booking_window(
    today: date, rules: RuleSet, policy: ReminderPolicy = DEFAULT_POLICY
) -> tuple[date, date]:
    """Reviews booked outside these dates cannot have a reports reminder due today."""
    calendar = rules.calendar
    last_warning = calendar.add_working_days(today, policy.lead_working_days + 1)
    return today, _reach(last_warning, rules.timescale(REPORTS_RULE), calendar, +1)


def follow_up_lookback(
    today: date, rules: RuleSet, policy: ReminderPolicy = DEFAULT_POLICY
) -> date:
    """Reviews held before this cannot have a decisions or minutes reminder due today."""
    calendar = rules.calendar
    oldest_chased = calendar.add_working_days(today, -(policy.overdue_window_working_days + 1))
    return min(
        _reach(oldest_chased, rules.timescale(rule_id), calendar, -1)
        for rule_id in (DECISIONS_RULE, MINUTES_RULE)
    )


# -- everything at once ---------------------------------------------------------------------


def reminders_due(
    today: date,
    rules: RuleSet,
    *,
    irs: Iterable[IrFacts] = (),
    bookings: Iterable[BookingFacts] = (),
    reviews: Iterable[HeldReviewFacts] = (),
    qa_manager_ids: Sequence[int] = (),
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> list[Reminder]:
    """Every reminder due on ``today`` (none on a day that is not a working day), keys unique.

    The scheduler calls the per-subject functions itself, one subject at a time, so one bad
    record fails alone; this is the same thing for a caller that does not need that.
    """
    if not rules.calendar.is_working_day(today):
        return []
    found: dict[str, Reminder] = {}
    batches: list[Iterable[Reminder]] = []
    batches += [ir_reminders(f, rules, today, qa_manager_ids) for f in irs]
    batches += [report_reminders(b, rules, today, policy) for b in bookings]
    batches += [follow_up_reminders(r, rules, today, policy) for r in reviews]
    for batch in batches:
        for reminder in batch:
            found.setdefault(reminder.key, reminder)
    return list(found.values())
