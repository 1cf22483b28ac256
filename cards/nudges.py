"""What the scheduler's reminders say: every nudge's words in one place, to be read as prose.

Each function turns one ``domain.reminders.Reminder`` (and the names it needs) into a ``Nudge``:
the card, the line Teams shows in notifications (``summary``) and, for IR reminders, the
reminder itself as the message text above the IR card. Every nudge says what it is about, the
date with its weekday, the rule (id and basis) it comes from, and what to do.

IR reminders reuse the IR card (``cards.ir_card.ir_card``) rendered for the recipient, so
the stage owner can answer and the IRO can escalate from the reminder itself; the outbox
payload also marks it as an IR card, so the dispatcher renders it again at send time and keeps
it up to date in place (``services.ir_cards``).

``summary`` never holds a name: Teams shows it on lock screens and in the activity feed. It
holds IR references, the authority's child ids and dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.due import status_color
from cards.elements import Card, Element, card, facts, heading, row, text
from cards.ir_card import ir_card
from domain.deadlines import Deadline, standing_for
from domain.formatting import counted, long_date
from domain.issues_resolution import IRStatus
from domain.permissions import CardRights
from domain.reminders import (
    DECISIONS_RULE,
    MINUTES_RULE,
    Phase,
    RecipientRole,
    Reminder,
    ReminderKind,
)
from domain.reviews import decisions_due, minutes_due
from domain.rules import RuleSet
from services.ir_cards import IrCardView
from storage.reminder_queries import ChildLabel, DigestData
from storage.repositories.ir_lists import IrSummary

ATTENTION = "Attention"
WARNING = "Warning"


@dataclass(frozen=True)
class Nudge:
    """One reminder as it is sent."""

    summary: str  # no names: shown on lock screens and in the activity feed
    card: Card
    text: str | None = None  # shown above the card; None when the card says it all

    def payload(self, **routing: Any) -> dict[str, Any]:
        """The outbox payload (``storage/outbox.py``), plus routing keys for the dispatcher."""
        out: dict[str, Any] = {"summary": self.summary, "card": self.card, **routing}
        if self.text is not None:
            out["text"] = self.text
        return out


# -- shared wording ---------------------------------------------------------------------------


def when(deadline: Deadline, today: date) -> str:
    """'in 2 working days', 'today' or 'overdue by 3 working days' (from the practical date)."""
    standing = deadline.standing(today)
    if standing.overdue:
        return standing.summary
    if today >= deadline.practical_due:
        return "today"
    return f"in {counted(standing.working_days_left, 'working day')}"


def rule_line(deadline: Deadline) -> str:
    """'IR-STAGE (Response to ...): 5 working days after the IR was raised at Stage 1 on ...'."""
    return f"{deadline.rule_id} ({deadline.title}): {deadline.basis}."


def _rule_facts(deadline: Deadline) -> list[tuple[str, str]]:
    basis = deadline.basis
    return [
        ("Rule", f"{deadline.rule_id}: {deadline.title}"),
        ("Why", basis[:1].upper() + basis[1:]),
        ("Source", deadline.citation),
    ]


def _child(label: ChildLabel) -> str:
    return label.name if label.name == label.child_id else f"{label.name} ({label.child_id})"


def _short(day: date) -> str:
    """'Mon 7 Dec 2026': for summaries and tables."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _deadline(reminder: Reminder) -> Deadline:
    if reminder.deadline is None:  # every reminder but the digest has one
        raise ValueError(f"reminder {reminder.kind} has no deadline")
    return reminder.deadline


# -- Issues Resolution ------------------------------------------------------------------------


def ir_nudge(reminder: Reminder, view: IrCardView, rights: CardRights, today: date) -> Nudge:
    """An IR reminder: the reminder as text, over the IR card with the recipient's buttons."""
    deadline = _deadline(reminder)
    kind = reminder.kind
    if kind in (ReminderKind.IR_STAGE_SOON, ReminderKind.IR_STAGE_DUE_TODAY,
                ReminderKind.IR_STAGE_OVERDUE):  # fmt: skip
        message = _stage_owner_text(reminder, view, deadline, today)
    elif kind is ReminderKind.IR_ESCALATION:
        message = _escalation_text(reminder, view, deadline, today)
    elif kind in (ReminderKind.IR_FORMAL_WARNING, ReminderKind.IR_FORMAL_BREACHED):
        message = _formal_text(reminder, view, deadline, today)
    else:
        raise ValueError(f"{kind} is not an IR reminder")
    return Nudge(summary=ir_summary(reminder, view.reference), card=ir_card(view, rights),
                 text=message)  # fmt: skip


def ir_summary(reminder: Reminder, reference: str) -> str:
    due = _short(_deadline(reminder).due)
    return {
        ReminderKind.IR_STAGE_SOON: f"{reference}: your response is due {due}",
        ReminderKind.IR_STAGE_DUE_TODAY: f"{reference}: your response is due today",
        ReminderKind.IR_STAGE_OVERDUE: f"{reference}: your response was due {due}",
        ReminderKind.IR_ESCALATION: f"{reference}: no response by {due}: you may escalate",
        ReminderKind.IR_FORMAL_WARNING: f"{reference}: formal IR to be resolved by {due}",
        ReminderKind.IR_FORMAL_BREACHED: f"{reference}: formal IR not resolved by {due}",
    }[reminder.kind]


def _stage_owner_text(reminder: Reminder, view: IrCardView, deadline: Deadline,
                      today: date) -> str:  # fmt: skip
    about = f"{view.reference} about {view.child_name}"
    due = long_date(deadline.due)
    if reminder.phase is Phase.SOON:
        opening = f"Reminder: your response to {about} is due by {due}, {when(deadline, today)}."
    elif reminder.phase is Phase.DUE_TODAY:
        opening = f"Reminder: your response to {about} is due today, {due}."
    else:
        opening = (f"Your response to {about} was due on {due} and is now "
                   f"{when(deadline, today)}. The IRO, {view.iro_name}, may now escalate it "
                   "to a more senior manager.")  # fmt: skip
    parts = [opening]
    if reminder.recipient_role is RecipientRole.DELEGATE:
        owner = view.owner_name or f"the {view.owner_title}"
        parts.append(f"You have this because {owner} ({view.owner_title}) has named you to "
                     "act for them.")  # fmt: skip
    parts.append(f"Rule {rule_line(deadline)}")
    urgency = "today" if reminder.phase is Phase.OVERDUE else f"by {due}"
    parts.append(f"What to do: on the card below, choose Agree and respond (say what will "
                 f"be done, with a target date if you can) or Decline (say why), "
                 f"{urgency}.")  # fmt: skip
    return " ".join(parts)


def _escalation_text(reminder: Reminder, view: IrCardView, deadline: Deadline,
                     today: date) -> str:  # fmt: skip
    who = view.owner_name or f"The {view.owner_title}"
    stage = view.stage_name
    parts = [
        f"{who} has not responded to {view.reference} about {view.child_name} at {stage}. "
        f"The response was due on {long_date(deadline.due)} and is "
        f"{when(deadline, today)}.",
        f"Rule {rule_line(deadline)}",
    ]
    if reminder.can_escalate:
        parts.append("What you can do: escalate it from the card below (Escalate: choose the "
                     "stage, since you may go straight to any higher stage, and give your "
                     "reason), or resolve it, or refer the case to Cafcass.")  # fmt: skip
    else:
        parts.append(f"{stage} is the highest stage, so it cannot be escalated further. What "
                     "you can do: refer the case to Cafcass or resolve it, from the card "
                     "below.")  # fmt: skip
    return " ".join(parts)


def _formal_text(reminder: Reminder, view: IrCardView, deadline: Deadline, today: date) -> str:
    about = f"{view.reference} about {view.child_name}"
    due = long_date(deadline.due)
    if reminder.phase is Phase.BREACHED:
        opening = (f"{about} is a formal IR that has not been resolved within its time limit: "
                   f"it should have been resolved by {due}, and is now "
                   f"{when(deadline, today)}.")  # fmt: skip
    else:
        opening = (f"{about} is a formal IR that must be resolved by {due}, "
                   f"{when(deadline, today)}.")  # fmt: skip
    if view.status is IRStatus.RESPONDED:
        where = f"It is at {view.stage_name}, which has responded: the next step is the IRO's."
    elif view.owner_name:
        where = (f"It is at {view.stage_name}, waiting for {view.owner_name} "
                 f"({view.owner_title}) to respond.")  # fmt: skip
    else:
        where = f"It is at {view.stage_name}, waiting for the {view.owner_title} to respond."
    parts = [opening, where, f"Rule {rule_line(deadline)}"]
    if reminder.recipient_role is RecipientRole.QA_MANAGER:
        parts.append(f"You have this as a QA manager. What to do: check with {view.iro_name}, "
                     "the IRO who raised it, how it will be resolved; you may also act on the "
                     "card below.")  # fmt: skip
    elif reminder.phase is Phase.BREACHED:
        parts.append("What to do: resolve it if the issue has been put right; if not, escalate "
                     "it or refer the case to Cafcass, from the card below.")  # fmt: skip
    else:
        parts.append("What to do: if the response puts things right, choose Accept and resolve; "
                     "if not, escalate it now so the next stage has time to answer.")  # fmt: skip
    return " ".join(parts)


# -- reports (CIC-REPORTS), to the social worker ----------------------------------------------


def reports_nudge(reminder: Reminder, child: ChildLabel, booked_for: date, today: date) -> Nudge:
    deadline = _deadline(reminder)
    due = long_date(deadline.due)
    iro = child.iro_name or "the IRO"
    title = ("Social work reports due today" if reminder.phase is Phase.DUE_TODAY
             else f"Social work reports due {due}")  # fmt: skip
    body: list[Element] = [
        heading(title),
        text(f"{child.name}'s review is booked for {long_date(booked_for)}. Your reports "
             f"should reach the IRO, {iro}, by {due}: {when(deadline, today)}."),
        facts([("Child", _child(child)), ("Review booked for", long_date(booked_for)),
               ("Reports due", due), *_rule_facts(deadline)]),
        text(f"What to do: send your reports to {iro} by {due}. If they will be late, please "
             f"tell {iro} now."),
    ]  # fmt: skip
    summary = (f"Reports for child {child.child_id}'s review on {_short(booked_for)} are due "
               f"{_short(deadline.due)}")  # fmt: skip
    return Nudge(summary=summary, card=card(body))


# -- decisions and minutes (CIC-DECISIONS, CIC-MINUTES), to the IRO ---------------------------

_FOLLOW_UP_WORDS = {
    DECISIONS_RULE: ("Review decisions", "the review decisions and updated care plan"),
    MINUTES_RULE: ("Review minutes", "the review record (minutes)"),
}
#: What the IRO says to record them as sent (the words ``dialogs.paperwork_sent`` is begun by).
_SENT_WORD = {DECISIONS_RULE: "review decisions", MINUTES_RULE: "review minutes"}


def follow_up_nudge(reminder: Reminder, child: ChildLabel, held_on: date, today: date) -> Nudge:
    deadline = _deadline(reminder)
    short_name, what = _FOLLOW_UP_WORDS[deadline.rule_id]
    due = long_date(deadline.due)
    if reminder.phase is Phase.OVERDUE:
        title, color = f"{short_name} overdue", ATTENTION
        line = (f"{child.name}'s review was held on {long_date(held_on)}. {what[:1].upper()}"
                f"{what[1:]} should have been sent by {due}: {when(deadline, today)}.")  # fmt: skip
    else:
        title = f"{short_name} due today" if reminder.phase is Phase.DUE_TODAY \
            else f"{short_name} due {due}"  # fmt: skip
        color = WARNING
        line = (f"{child.name}'s review was held on {long_date(held_on)}. {what[:1].upper()}"
                f"{what[1:]} should be sent by {due}: {when(deadline, today)}.")  # fmt: skip
    action = "as soon as you can" if reminder.phase is Phase.OVERDUE else f"by {due}"
    body: list[Element] = [
        text(title, size="Medium", weight="Bolder", color=color),
        text(line),
        facts([("Child", _child(child)), ("Review held", long_date(held_on)), ("Due", due),
               *_rule_facts(deadline)]),
        text(f"What to do: send {what} {action}. When they have gone, tell me "
             f"\"{child.name}'s {_SENT_WORD[deadline.rule_id]} were sent today\" (or the day "
             "they went) and this reminder stops."),
    ]  # fmt: skip
    verb = "overdue since" if reminder.phase is Phase.OVERDUE else "due"
    summary = (f"{short_name} for child {child.child_id}'s review of {_short(held_on)} "
               f"{verb} {_short(deadline.due)}")  # fmt: skip
    return Nudge(summary=summary, card=card(body))


# -- the weekly digest, to each IRO -----------------------------------------------------------

_TABLE = ["stretch", "auto", "auto"]


@dataclass(frozen=True)
class _Paperwork:
    child: ChildLabel
    short_name: str
    deadline: Deadline


def _paperwork(data: DigestData, rules: RuleSet) -> list[_Paperwork]:
    """Decisions and minutes not sent whose due date falls on or before the digest's window."""
    found: list[_Paperwork] = []
    for review in data.follow_ups:
        child = data.children.get(review.child_pk)
        if child is None:
            continue
        for rule_id, sent_on, compute in (
            (DECISIONS_RULE, review.decisions_sent_on, decisions_due),
            (MINUTES_RULE, review.minutes_sent_on, minutes_due),
        ):
            deadline = compute(review.held_on, rules)
            if sent_on is None and deadline.due <= data.last:
                found.append(_Paperwork(child, _FOLLOW_UP_WORDS[rule_id][0], deadline))
    return sorted(found, key=lambda p: (p.deadline.due, p.child.name, p.short_name))


def digest_nudge(data: DigestData, rules: RuleSet, today: date) -> Nudge | None:
    """The Monday digest for one IRO; None when there is nothing at all to tell them."""
    paperwork = _paperwork(data, rules)
    if not (data.due or data.overdue or paperwork or data.irs):
        return None
    calendar = rules.calendar
    body: list[Element] = [
        heading(f"Your week ahead: {long_date(today)}"),
        text("Reviews due in the next 15 working days, what is overdue and the IRs you raised "
             "that are still open.", subtle=True),
    ]  # fmt: skip

    body.append(text(f"Reviews due by {long_date(data.last)} ({len(data.due)})", weight="Bolder"))
    if data.due:
        body.append(row(["Child", "Due", "Rule"], header=True, widths=_TABLE))
        for child in data.due:
            assert child.next_review_due is not None  # due_between only returns dated children
            standing = standing_for(child.next_review_due,
                                    child.next_review_practical or child.next_review_due,
                                    today, calendar)  # fmt: skip
            body.append(row([child.display_name, _short(child.next_review_due),
                             child.next_review_rule or ""], widths=_TABLE,
                            colors=[None, status_color(standing), None]))  # fmt: skip
    else:
        body.append(text("None.", spacing="None"))

    late = [p for p in paperwork if p.deadline.due < today]
    coming = [p for p in paperwork if p.deadline.due >= today]
    overdue_count = len(data.overdue) + len(late)
    body.append(text(f"Overdue ({overdue_count})", weight="Bolder"))
    lines: list[Element] = []
    for child in data.overdue:
        assert child.next_review_due is not None
        standing = standing_for(child.next_review_due, child.next_review_due, today, calendar)
        lines.append(row([child.display_name, f"Review was due {_short(child.next_review_due)}",
                          standing.summary], widths=_TABLE,
                         colors=[None, None, ATTENTION]))  # fmt: skip
    lines += [_paperwork_row(item, today, ATTENTION) for item in late]
    body += lines or [text("Nothing is overdue.", spacing="None")]
    if coming:
        body.append(text(f"Decisions and minutes due by {long_date(data.last)} ({len(coming)})",
                         weight="Bolder"))  # fmt: skip
        body += [_paperwork_row(item, today, None) for item in coming]

    body.append(text(f"Issues Resolutions you raised, still open ({len(data.irs)})",
                     weight="Bolder"))  # fmt: skip
    if data.irs:
        for item in _ir_order(data.irs, today):
            stage = rules.stage(item.stage)
            waiting, color = _ir_waiting(item.status, item.stage_due, stage.owner_title, today)
            if item.formal_due is not None:
                waiting += f"; formal limit {_short(item.formal_due)}"
            body.append(row([f"{item.reference} {item.child_name}", stage.name, waiting],
                            widths=_TABLE, colors=[None, None, color]))  # fmt: skip
    else:
        body.append(text("None.", spacing="None"))
    body.append(text('Ask "what\'s due for me?" or "my IRs" at any time for the latest.',
                     subtle=True))  # fmt: skip
    summary = (f"Your week: {counted(len(data.due), 'review')} due, {overdue_count} overdue, "
               f"{counted(len(data.irs), 'open IR')}")  # fmt: skip
    return Nudge(summary=summary, card=card(body))


def _paperwork_row(item: _Paperwork, today: date, color: str | None) -> Element:
    return row([item.child.name, f"{item.short_name} due {_short(item.deadline.due)}",
                item.deadline.standing(today).summary], widths=_TABLE,
               colors=[None, None, color])  # fmt: skip


def _ir_order(irs: Sequence[IrSummary], today: date) -> list[IrSummary]:
    """Those needing the IRO first (responded; response overdue), then the rest by due date."""

    def rank(item: IrSummary) -> tuple[int, date]:
        if item.status == IRStatus.RESPONDED.value:
            return (0, item.raised_on)
        if item.stage_due is not None and item.stage_due < today:
            return (1, item.stage_due)
        return (2, item.stage_due or item.raised_on)

    return sorted(irs, key=rank)


def _ir_waiting(status: str, stage_due: date | None, owner_title: str,
                today: date) -> tuple[str, str | None]:  # fmt: skip
    if status == IRStatus.RESPONDED.value:
        return "Responded: your decision (resolve or escalate)", WARNING
    if stage_due is not None and stage_due < today:
        return f"Response was due {_short(stage_due)}: you may escalate", ATTENTION
    if stage_due is not None:
        return f"Awaiting the {owner_title}, due {_short(stage_due)}", None
    return f"Awaiting the {owner_title}", None


__all__ = [
    "Nudge",
    "digest_nudge",
    "follow_up_nudge",
    "ir_nudge",
    "ir_summary",
    "reports_nudge",
    "rule_line",
    "when",
]
