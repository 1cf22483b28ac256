"""Answers to questions (no dialog needed): each reads the store, asks the domain, builds a card.

Every read of a child's record is audited here, in the same transaction as the read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import date_line, ir_list_card, ir_status_card
from cards.due import due_list_card, next_review_card
from cards.elements import Card, card, facts, heading, text
from domain import child_protection
from domain import issues_resolution as ir_model
from domain.errors import DomainError
from domain.formatting import long_date, short_date
from domain.ports import ChildSummary, Role, StaffMember, visibility_for
from domain.rules import RuleSet
from storage.actions import current_schedule
from storage.audit import audit_child_read, record_audit
from storage.repositories import SqlChildRepository
from storage.repositories.child_protection import cp_plans_for
from storage.repositories.ir_lists import IrListScope, list_irs, may_read_ir
from storage.repositories.issues import IrNotFound, load_ir
from understanding import DuePeriod, IrScope


@dataclass(frozen=True)
class Reply:
    card: Card | None = None
    text: str | None = None


async def next_review(
    session: AsyncSession, rules: RuleSet, staff: StaffMember, child: ChildSummary, today: date
) -> Reply:
    try:
        # From the summary the caller read with the user's visibility, in this transaction:
        # reading the child's row again would be a second query for the same two fields.
        schedule = await current_schedule(session, child, rules)
    except DomainError as exc:
        await audit_child_read(session, staff, child.pk, "next_review")
        return Reply(text=f"{child.display_name}: {exc}")
    # Audited after the reads (same transaction, committed with them): on SQLite the insert
    # takes the write lock, held to the commit, so it is not held through the reads while other
    # turns wait for it.
    await audit_child_read(session, staff, child.pk, "next_review")
    return Reply(card=next_review_card(child, schedule.next_due, today))


async def explain(
    session: AsyncSession, rules: RuleSet, staff: StaffMember, child: ChildSummary, today: date
) -> Reply:
    try:
        schedule = await current_schedule(session, child, rules)  # as in next_review
    except DomainError as exc:
        await audit_child_read(session, staff, child.pk, "explain")
        return Reply(text=f"{child.display_name}: {exc}")
    await audit_child_read(session, staff, child.pk, "explain")  # after the reads: see next_review
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


async def cp_conference(
    session: AsyncSession, rules: RuleSet, staff: StaffMember, child: ChildSummary, today: date
) -> Reply:
    await audit_child_read(session, staff, child.pk, "cp_conference")
    plans = [p for p in await cp_plans_for(session, child.pk) if p.ended_on is None]
    if not plans:
        return Reply(text=f"{child.display_name} has no current child protection plan recorded.")
    plan = plans[0]
    if plan.initial_conference_on is None:
        deadline = child_protection.initial_conference_due(plan.strategy_discussion_on, rules)
    else:
        deadline = child_protection.next_review_conference_due(
            plan.initial_conference_on, plan.review_conferences, rules
        )
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


async def due_for_me(
    session: AsyncSession, rules: RuleSet, staff: StaffMember, period: DuePeriod | None,
    today: date,
) -> Reply:  # fmt: skip
    repo = SqlChildRepository(session)
    visibility = visibility_for(staff)
    overdue = bool(period and period.overdue)
    if staff.role == Role.IRO:
        if overdue:
            children = await repo.overdue(staff.id, today, visibility)
        else:
            title, first, last = period_title(period, today, rules)
            children = await repo.due_between(staff.id, first, last, visibility)
    else:
        # Social workers and managers: their visible caseload, filtered to the window.
        caseload = await repo.visible_to(visibility, limit=2000)
        if overdue:
            children = [c for c in caseload if c.next_review_due and c.next_review_due < today]
        else:
            title, first, last = period_title(period, today, rules)
            children = [c for c in caseload
                        if c.next_review_due and first <= c.next_review_due <= last]  # fmt: skip
    await record_audit(session, "child.list", actor_staff_id=staff.id, entity_type="child",
                       detail={"count": len(children), "overdue": overdue})  # fmt: skip
    if overdue:
        return Reply(card=due_list_card("Overdue reviews", children, today, rules.calendar,
                                        "No review is overdue. Well done."))  # fmt: skip
    return Reply(card=due_list_card(title, children, today, rules.calendar,
                                    "No reviews are due in that time."))  # fmt: skip


async def my_irs(
    session: AsyncSession, rules: RuleSet, staff: StaffMember, scope: IrScope | None, today: date
) -> Reply:
    wanted = {IrScope.RAISED: IrListScope.RAISED, IrScope.AWAITING: IrListScope.AWAITING}.get(
        scope or IrScope.ALL, IrListScope.ALL
    )
    if scope is None and staff.role != Role.IRO:
        wanted = IrListScope.AWAITING  # managers ask "my IRs" meaning the ones they must answer
    items = await list_irs(session, staff.id, visibility_for(staff), wanted)
    await record_audit(session, "ir.list", actor_staff_id=staff.id, entity_type="ir",
                       detail={"count": len(items), "scope": wanted.value})  # fmt: skip
    title = {IrListScope.RAISED: "Open IRs you raised",
             IrListScope.AWAITING: "IRs waiting for your response",
             IrListScope.ALL: "Your open IRs"}[wanted]  # fmt: skip
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
    return Reply(card=ir_list_card(title, rows, "None at the moment."))


async def ir_status(
    session: AsyncSession, rules: RuleSet, staff: StaffMember, reference: str, today: date
) -> Reply:
    not_found = Reply(text=f"I can't find {reference} among the IRs you can see.")
    if not await may_read_ir(session, reference, staff.id, visibility_for(staff)):
        await record_audit(session, "ir.read", actor_staff_id=staff.id, entity_type="ir",
                           entity_id=reference, outcome="refused")  # fmt: skip
        return not_found
    try:
        ir, row = await load_ir(session, reference)
    except IrNotFound:
        return not_found
    await record_audit(session, "ir.read", actor_staff_id=staff.id, entity_type="ir",
                       entity_id=reference)  # fmt: skip
    child = await SqlChildRepository(session).get(row.child_pk, visibility_for(staff)) \
        if row.child_pk else None  # fmt: skip
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
    return Reply(card=ir_status_card(reference, name, lines, history))
