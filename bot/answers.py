"""Answers to questions (no dialog needed): each asks its use case (``services``), which reads
and audits, and turns what it returns into a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cards.caseload import (
    DUE_EXAMPLE,
    bookings_card,
    caseload_card,
    caseload_sentence,
    child_bookings_card,
    no_children,
    scope_refusal,
    where,
)
from cards.child_facts import child_facts_card, detail_answer
from cards.common import date_line, ir_list_card, ir_status_card
from cards.due import due_list_card, next_review_card
from cards.elements import Card, card, facts, heading, text
from cards.summary import NOT_FOR_YOU, ir_summary_card, reviews_summary_card
from domain import child_protection
from domain import issues_resolution as ir_model
from domain.errors import DomainError
from domain.formatting import long_date, short_date
from domain.permissions import CaseloadScope
from domain.ports import ChildSummary, StaffMember
from domain.rules import RuleSet
from services import caseload, summaries
from services.child_facts import child_facts
from services.reviews import schedule_of
from services.unit_of_work import SqlUnitOfWork
from storage.repositories.ir_lists import IrListScope, IrSummary
from understanding import DuePeriod, IrScope, Understanding
from understanding.summaries import Topic


@dataclass(frozen=True)
class Reply:
    card: Card | None = None
    text: str | None = None
    #: The one IR the answer shows: "escalate it" next means that IR.
    about_ir: str | None = None


@dataclass(frozen=True)
class Asked:
    """A question, as the route table hands it to its answer."""

    uow: SqlUnitOfWork
    rules: RuleSet
    staff: StaffMember
    heard: Understanding
    today: date
    #: The one child the question is about, found by the child lookup (routes that need one).
    child: ChildSummary | None = None

    @property
    def the_child(self) -> ChildSummary:
        assert self.child is not None, "a route that needs a child always has one"
        return self.child


async def next_review(asked: Asked) -> Reply:
    uow, rules, staff, child, today = asked.uow, asked.rules, asked.staff, asked.the_child, \
        asked.today  # fmt: skip
    try:
        # From the summary the caller read with the user's visibility, in this unit of work:
        # reading the child's row again would be a second query for the same two fields.
        schedule = await schedule_of(uow, rules, staff, child, "next_review")
    except DomainError as exc:
        return Reply(text=f"{child.display_name}: {exc}")
    return Reply(card=next_review_card(child, schedule.next_due, today))


async def explain(asked: Asked) -> Reply:
    uow, rules, staff, child = asked.uow, asked.rules, asked.staff, asked.the_child
    try:
        schedule = await schedule_of(uow, rules, staff, child, "explain")
    except DomainError as exc:
        return Reply(text=f"{child.display_name}: {exc}")
    due = schedule.next_due
    body = [
        heading(f"Why {child.display_name}'s next review is due {long_date(due.due)}"),
        text(due.explanation()),
        text(f"This period of care began on {long_date(schedule.period_start)}."),
    ]
    if schedule.held:
        body.append(text("Reviews held in this period of care", weight="Bolder"))
        for o in schedule.held:
            verdict = "on time" if o.on_time else "late"
            body.append(text(
                f"Review {o.number} held {short_date(o.review.held_on)} "
                f"({o.review.part.value}): due {short_date(o.due.due)} "
                f"({o.due.rule_id}), {verdict}",
                spacing="None",
            ))  # fmt: skip
    if schedule.part2_outstanding_since:
        body.append(
            text(
                f"Part 2 of the review begun on "
                f"{short_date(schedule.part2_outstanding_since)} is still to be held."
            )
        )
    return Reply(card=card(body))


async def cp_conference(asked: Asked) -> Reply:
    rules, child, today = asked.rules, asked.the_child, asked.today
    plan = await caseload.current_cp_plan(asked.uow, asked.staff, child)
    if plan is None:
        return Reply(text=f"{child.display_name} has no current child protection plan recorded.")
    try:
        if plan.initial_conference_on is None:
            deadline = child_protection.initial_conference_due(plan.strategy_discussion_on, rules)
        else:
            deadline = child_protection.next_review_conference_due(
                plan.initial_conference_on, plan.review_conferences, rules
            )
    except DomainError as exc:  # the rules in use set no such timescale: said, in its words
        return Reply(text=f"{child.display_name}: {exc}")
    standing = deadline.standing(today)
    return Reply(card=card([
        heading(f"{child.display_name}: {deadline.title.lower()}"),
        text(long_date(deadline.due), size="Large", weight="Bolder"),
        text(standing.summary.capitalize(), weight="Bolder",
             color="Attention" if standing.overdue else None),
        facts([("Rule", deadline.rule_id), ("Why", deadline.basis), ("Source", deadline.citation)]),
    ]))  # fmt: skip


DEFAULT_WINDOW_WORKING_DAYS = 15  # as the Monday digest: the next three working weeks


def period_title(period: DuePeriod | None, today: date, rules: RuleSet) -> tuple[str, date, date]:
    """The heading and the date range a due-list covers (default: the next 15 working days)."""
    if period and period.start and period.end:
        label = period.label or "then"
        return (f"Reviews due {label} ({short_date(period.start)} to {short_date(period.end)})",
                period.start, period.end)  # fmt: skip
    if period and period.end:
        return (f"Reviews due {period.label or 'by ' + short_date(period.end)}", today, period.end)
    end = rules.calendar.add_working_days(today, DEFAULT_WINDOW_WORKING_DAYS)
    return (f"Reviews due in the next {DEFAULT_WINDOW_WORKING_DAYS} working days "
            f"(to {short_date(end)})", today, end)  # fmt: skip


def scope_of(heard: Understanding) -> CaseloadScope:
    """Whose children the question means (not said: the user's own)."""
    return CaseloadScope(heard.scope.value) if heard.scope else CaseloadScope.MINE


async def due_for_me(asked: Asked) -> Reply:
    """What is due (or overdue) for the user's own children, or across the team or the service
    when asked and they may see it; never the user's own list in place of a wider one."""
    uow, rules, staff, period, today = asked.uow, asked.rules, asked.staff, \
        asked.heard.period, asked.today  # fmt: skip
    scope = scope_of(asked.heard)
    overdue = bool(period and period.overdue)
    if overdue:
        title, empty = "Overdue reviews", "No review is overdue. Well done."
        found = await caseload.due_children(uow, staff, None, None, today, overdue=True,
                                            scope=scope)  # fmt: skip
    else:
        (title, first, last), empty = period_title(period, today, rules), \
            "No reviews are due in that time."  # fmt: skip
        found = await caseload.due_children(uow, staff, first, last, today, overdue=False,
                                            scope=scope)  # fmt: skip
    if isinstance(found, caseload.ScopeRefused):
        return Reply(text=scope_refusal(found))
    if found.caseload_size == 0:
        # No children at all (a QA manager's own): not "nothing overdue, well done".
        return Reply(text=no_children(found.view, caseload.wider_scope(staff), DUE_EXAMPLE))
    return Reply(card=due_list_card(title + where(found.view), found.children, today,
                                    rules.calendar, empty))  # fmt: skip


#: The child lookup's own words for a child the user may not see (or that is gone).
CHILD_NOT_VISIBLE = "I can't find that child among the children you can see."
#: Which child (the handler's child lookup asks the same): also a named child that was not
#: looked up, asked rather than answered with the user's whole list, not what they asked.
WHICH_CHILD = "Which child do you mean? You can type their name or child ID."


async def child_details(asked: Asked) -> Reply:
    """A child's social worker, IRO, date into care, age, UASC (and that legal status is in the
    case record): the one fact asked for, or all of them."""
    found = await child_facts(asked.uow, asked.staff, asked.the_child, asked.today)
    if found is None:
        return Reply(text=CHILD_NOT_VISIBLE)
    if asked.heard.detail is not None:
        return Reply(text=detail_answer(found, asked.heard.detail))
    return Reply(card=child_facts_card(found))


async def booked_reviews(asked: Asked) -> Reply:
    """One child's booked reviews (a child named), else those of the user's children (or the
    team's or the service's, when asked and they may see them), with the children due in the
    next weeks with nothing booked."""
    uow, staff, today = asked.uow, asked.staff, asked.today
    if asked.child is not None:
        booked = await caseload.bookings_of(uow, staff, asked.child, today)
        return Reply(card=child_bookings_card(booked, today))
    if asked.heard.child is not None:
        return Reply(text=WHICH_CHILD)
    scope = scope_of(asked.heard)
    found = await caseload.bookings_for(uow, staff, scope, today)
    if isinstance(found, caseload.ScopeRefused):
        return Reply(text=scope_refusal(found))
    return Reply(card=bookings_card(found, scope, caseload.wider_scope(staff), today,
                                    asked.rules.calendar))  # fmt: skip


async def my_caseload(asked: Asked) -> Reply:
    """How many children (``count_only``), or who: the user's own, a team's or the service's
    when they may see it; a scope they may not see is refused with what they can see."""
    scope, staff = scope_of(asked.heard), asked.staff
    found = await caseload.caseload_of(asked.uow, staff, scope, count_only=asked.heard.count_only)
    if isinstance(found, caseload.ScopeRefused):
        return Reply(text=scope_refusal(found))
    if asked.heard.count_only and found.total:
        return Reply(text=caseload_sentence(found))
    return Reply(card=caseload_card(found, scope, caseload.wider_scope(staff)))


async def irs_or_status(asked: Asked) -> Reply:
    """ "My IRs" (or "escalate" without a reference): the list; with a reference, its status."""
    if asked.heard.ir_ref:
        return await ir_status(asked)
    return await my_irs(asked)


async def my_irs(question: Asked) -> Reply:
    uow, rules, staff, scope, today = question.uow, question.rules, question.staff, \
        question.heard.ir_scope, question.today  # fmt: skip
    asked = None if scope is None else {IrScope.RAISED: IrListScope.RAISED,
                                        IrScope.AWAITING: IrListScope.AWAITING}.get(
        scope, IrListScope.ALL)  # fmt: skip
    wanted, items = await caseload.irs_for(uow, staff, asked)
    title = {IrListScope.RAISED: "Open IRs you raised",
             IrListScope.AWAITING: "IRs waiting for your response",
             IrListScope.ALL: "Your open IRs"}[wanted]  # fmt: skip
    rows = _ir_rows(items, rules, today)
    return Reply(card=ir_list_card(title, rows, "None at the moment."))


def _ir_rows(items: list[IrSummary], rules: RuleSet, today: date) -> list[dict[str, str]]:
    """An IR list's rows: reference, child, stage, and when the response is due."""
    rows = []
    for item in items:
        stage = rules.stage(item.stage).name
        if item.stage_due:
            standing = rules.calendar.working_days_between(today, item.stage_due)
            due = f"{item.stage_due:%a %d %b}" + (" (overdue)" if item.stage_due < today else
                                                  f" ({standing} wd left)")  # fmt: skip
        else:
            due = "answered"
        rows.append({"reference": item.reference, "child": item.child_name, "stage": stage,
                     "due": due})  # fmt: skip
    return rows


async def ir_status(asked: Asked) -> Reply:
    """One IR's status by its reference; the open IRs about a child named ("show me the IR for
    Ivy": one is shown whole); with neither, which IR?"""
    reference, today, rules = asked.heard.ir_ref, asked.today, asked.rules
    if not reference and asked.child is not None:
        child = asked.child
        items = await caseload.irs_about(asked.uow, asked.staff, child)
        if len(items) != 1:
            return Reply(card=ir_list_card(f"Open IRs about {child.display_name}",
                                           _ir_rows(items, rules, today),
                                           "None: no IR is open about them."))  # fmt: skip
        reference = items[0].reference
    if not reference:
        return Reply(text="Which IR? Give its reference, for example IR-2026-0042.")
    found = await caseload.ir_status(asked.uow, asked.staff, reference)
    if found is None:
        return Reply(text=f"I can't find {reference} among the IRs you can see.")
    ir, child = found.ir, found.child
    stage = ir_model.current_stage(ir, rules)
    status = {ir_model.IRStatus.OPEN_AWAITING_RESPONSE: f"waiting for the {stage.owner_title}",
              ir_model.IRStatus.RESPONDED: f"{stage.name} has responded",
              ir_model.IRStatus.RESOLVED: "resolved"}[ir.status]  # fmt: skip
    lines = [("Stage", stage.name), ("Status", status), ("Raised", long_date(ir.raised_on)),
             ("Reasons", "; ".join(ir.reasons))]  # fmt: skip
    for deadline in ir_model.open_deadlines(ir, rules):
        lines.append((deadline.title, f"{long_date(deadline.due)}: "
                      f"{deadline.standing(today).summary}"))  # fmt: skip
    if ir.resolved_on:
        resolved_at = rules.stage(ir.resolved_at_stage or ir.current_stage).name
        lines.append(("Resolved", f"{long_date(ir.resolved_on)} at {resolved_at}"))
    if ir.cafcass_referred_on:
        lines.append(("Referred to Cafcass", date_line(ir.cafcass_referred_on)))
    history = [
        f"{rules.stage(e.stage).name}: from {short_date(e.entered_on)}"
        + (f", responded {short_date(e.responded_on)}" if e.responded_on else "")
        for e in ir.history
    ]
    name = child.display_name if child else "a child outside your caseload"
    return Reply(card=ir_status_card(reference, name, lines, history), about_ir=reference)


async def service_summary(asked: Asked) -> Reply:
    """A QA manager's figures ("IR summary this year"); a polite refusal for anyone else."""
    uow, rules, staff, question = asked.uow, asked.rules, asked.staff, asked.heard.summary
    assert question is not None, "a summary intent always carries its question"
    period, previous = question.period, question.previous
    if question.topic is Topic.IRS:
        irs = await summaries.ir_summary(uow, rules, staff, period, previous)
        if irs is None:
            return Reply(text=NOT_FOR_YOU)
        return Reply(card=ir_summary_card(question.wording, period, previous, *irs, rules))
    reviews = await summaries.review_summary(uow, rules, staff, period, previous)
    if reviews is None:
        return Reply(text=NOT_FOR_YOU)
    return Reply(card=reviews_summary_card(question.wording, period, previous, *reviews))
