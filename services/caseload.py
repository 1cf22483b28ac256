"""Questions about a caseload: which children (and which names a user may type), how many and
who ("my caseload", a team's, the service's), what is due, which reviews are booked (and who is
due with none), which IRs are waiting, one IR's status, a child's child protection plan and
booked reviews. Each checks what the actor may see (``domain.permissions``) and audits the read;
none writes anything else.

A list for a scope the actor may not see ("the team's" from an IRO) is refused with what they can
see (``ScopeRefused``), never answered for a narrower scope: "nothing overdue" for their own
children would read as the team's answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from domain import issues_resolution as ir_model
from domain.permissions import CaseloadScope, Reach, ScopeView, scope_view, visibility_for
from domain.ports import NOTHING, ChildSummary, NameCandidate, Role, StaffMember
from services.context import Services
from services.unit_of_work import SqlUnitOfWork, UnitOfWork
from storage.repositories.caseload_lists import (
    BookedReview,
    booked_reviews,
    bookings_of_child,
    caseload_counts,
    children_due,
    count_children,
    due_without_booking,
)
from storage.repositories.child_protection import CpPlanInputs, cp_plans_for
from storage.repositories.ir_lists import IrListScope, IrSummary, list_irs
from storage.repositories.issues import IrNotFound


async def candidate_names(uow: UnitOfWork, actor: StaffMember) -> list[NameCandidate]:
    """Every name the actor may type for a child they can see (for the name index)."""
    return await uow.children.candidate_names(visibility_for(actor))


async def visible_child(uow: UnitOfWork, actor: StaffMember, child_pk: int) -> ChildSummary | None:
    """The child, when the actor may see it; None otherwise (absent or not visible alike),
    and then the attempt is audited as refused."""
    child = await uow.children.get(child_pk, visibility_for(actor))
    if child is None:
        await uow.audit.record("child.read", actor_staff_id=actor.id, entity_type="child",
                               entity_id=child_pk, outcome="refused")  # fmt: skip
    return child


# -- scopes: "my", "the team's", "the service's" -----------------------------------------------

#: The most children a list shows (soonest due first); the count is always the whole.
LIST_LIMIT = 100
#: How far ahead "due with no review booked" looks: a review is arranged weeks ahead (reports,
#: the child's and carers' diaries), so 12 weeks is what an IRO plans within.
UNBOOKED_WEEKS = 12


@dataclass(frozen=True)
class ScopeRefused:
    """A list for ``asked``, which the actor may not see: what they can see instead (``own``,
    ``own_count`` children). Nothing of the scope asked for, nor of a narrower one, is listed."""

    asked: CaseloadScope
    own: ScopeView
    own_count: int


def wider_scope(actor: StaffMember) -> CaseloadScope | None:
    """The widest scope beyond their own the actor may ask for (to suggest it), if any."""
    mine = scope_view(actor, CaseloadScope.MINE)
    for scope in (CaseloadScope.SERVICE, CaseloadScope.TEAM):
        view = scope_view(actor, scope)
        if view is not None and (mine is None or view.visibility != mine.visibility):
            return scope
    return None


async def _view_or_refusal(
    uow: SqlUnitOfWork, actor: StaffMember, scope: CaseloadScope, what: str
) -> ScopeView | ScopeRefused:
    """The children ``scope`` covers for the actor; or, when they may not ask for it, the
    refusal with how many children they can see (audited as a refused list)."""
    view = scope_view(actor, scope)
    if view is not None:
        return view
    own = scope_view(actor, CaseloadScope.MINE) or ScopeView(NOTHING, Reach.NONE)
    count = await count_children(uow.session, own.visibility)
    await uow.audit.record("child.list", actor_staff_id=actor.id, entity_type="child",
                           outcome="refused", detail={"what": what, "scope": scope.value,
                                                      "own_count": count})  # fmt: skip
    return ScopeRefused(scope, own, count)


@dataclass(frozen=True)
class DueChildren:
    view: ScopeView
    children: list[ChildSummary]  # soonest due first
    #: When nothing is due and the person may ask for a wider list: how many children the scope
    #: covers at all (0: "you review no children", not "nothing is overdue, well done").
    caseload_size: int | None = None


async def due_children(
    uow: SqlUnitOfWork, actor: StaffMember, first: date | None, last: date | None, today: date,
    *, overdue: bool, scope: CaseloadScope = CaseloadScope.MINE,
) -> DueChildren | ScopeRefused:  # fmt: skip
    """The children whose next review is overdue (``overdue``) or due in ``[first, last]``, among
    those ``scope`` covers for the actor (``domain.permissions.scope_view``); refused, with what
    they can see, for a scope they may not."""
    found = await _view_or_refusal(uow, actor, scope, "due")
    if isinstance(found, ScopeRefused):
        return found
    view, repo = found, uow.children
    if view.reach is Reach.REVIEWED:
        # One IRO's own children: the indexed reads a bot turn makes most (children.py).
        assert view.visibility.reviewing_iro_id is not None
        iro = view.visibility.reviewing_iro_id
        if overdue:
            children = await repo.overdue(iro, today, view.visibility)
        else:
            assert first is not None and last is not None
            children = await repo.due_between(iro, first, last, view.visibility)
    elif overdue:
        children = await children_due(uow.session, view.visibility, before=today)
    else:
        assert first is not None and last is not None
        children = await children_due(uow.session, view.visibility, first=first, last=last)
    # Counted only where "nothing is due" could mislead: a list the person has a wider one to
    # ask for (the QA team's own reviews, usually none). An IRO's empty list costs no second read.
    counts = not children and wider_scope(actor) is not None
    size = await count_children(uow.session, view.visibility) if counts else None
    await uow.audit.record("child.list", actor_staff_id=actor.id, entity_type="child",
                           detail={"count": len(children), "overdue": overdue,
                                   "scope": scope.value})  # fmt: skip
    return DueChildren(view, children, size)


@dataclass(frozen=True)
class Caseload:
    view: ScopeView
    total: int  # every child the scope covers
    in_care: int  # of whom in care now (the others' care has ended)
    children: list[ChildSummary]  # soonest due first, at most LIST_LIMIT; none for a count


async def caseload_of(
    uow: SqlUnitOfWork, actor: StaffMember, scope: CaseloadScope, *, count_only: bool
) -> Caseload | ScopeRefused:
    """How many children ``scope`` covers for the actor (and, unless ``count_only``, who: the
    soonest due first); refused, with what they can see, for a scope they may not."""
    found = await _view_or_refusal(uow, actor, scope, "caseload")
    if isinstance(found, ScopeRefused):
        return found
    total, in_care = await caseload_counts(uow.session, found.visibility)
    children = [] if count_only or not total else \
        await uow.children.visible_to(found.visibility, limit=LIST_LIMIT)  # fmt: skip
    await uow.audit.record("child.list", actor_staff_id=actor.id, entity_type="child",
                           detail={"what": "caseload", "scope": scope.value, "count": total,
                                   "listed": len(children)})  # fmt: skip
    return Caseload(found, total, in_care, children)


@dataclass(frozen=True)
class Bookings:
    view: ScopeView
    booked: list[BookedReview]  # from today on, by date; at most LIST_LIMIT
    more_booked: bool  # more than LIST_LIMIT were booked
    #: Due by ``until`` (overdue included) with nothing booked, soonest first; at most LIST_LIMIT.
    unbooked: list[ChildSummary]
    more_unbooked: bool
    until: date
    #: Only when both lists are empty: how many children the scope covers (0: say so).
    caseload_size: int | None = None


async def bookings_for(
    uow: SqlUnitOfWork, actor: StaffMember, scope: CaseloadScope, today: date
) -> Bookings | ScopeRefused:
    """The reviews booked from today on for the children ``scope`` covers, by date, and those
    due in the next ``UNBOOKED_WEEKS`` weeks (or overdue) with no review booked."""
    found = await _view_or_refusal(uow, actor, scope, "booked_reviews")
    if isinstance(found, ScopeRefused):
        return found
    until = today + timedelta(weeks=UNBOOKED_WEEKS)
    # One more than is shown, to say that there are more.
    booked = await booked_reviews(uow.session, found.visibility, today, LIST_LIMIT + 1)
    unbooked = await due_without_booking(uow.session, found.visibility, today, until,
                                         LIST_LIMIT + 1)  # fmt: skip
    size = None if booked or unbooked else await count_children(uow.session, found.visibility)
    await uow.audit.record("child.list", actor_staff_id=actor.id, entity_type="child",
                           detail={"what": "booked_reviews", "scope": scope.value,
                                   "count": len(booked[:LIST_LIMIT]),
                                   "unbooked": len(unbooked[:LIST_LIMIT])})  # fmt: skip
    return Bookings(found, booked[:LIST_LIMIT], len(booked) > LIST_LIMIT,
                    unbooked[:LIST_LIMIT], len(unbooked) > LIST_LIMIT, until, size)  # fmt: skip


@dataclass(frozen=True)
class ChildBookings:
    child: ChildSummary  # its next_review_due is the date the bookings are measured against
    booked: list[date]  # from today on, earliest first


async def bookings_of(
    uow: SqlUnitOfWork, actor: StaffMember, child: ChildSummary, today: date
) -> ChildBookings:
    """The reviews booked for one child from today on (``child`` read with the actor's
    visibility, by the child lookup)."""
    booked = await bookings_of_child(uow.session, child.pk, today)
    await uow.audit.child_read(actor, child.pk, "booked_reviews")
    return ChildBookings(child, booked)


async def irs_for(
    uow: SqlUnitOfWork, actor: StaffMember, scope: IrListScope | None
) -> tuple[IrListScope, list[IrSummary]]:
    """The open IRs the actor raised, must answer, or both; managers asking "my IRs" mean the
    ones they must answer."""
    wanted = scope or (IrListScope.ALL if actor.role == Role.IRO else IrListScope.AWAITING)
    items = await list_irs(uow.session, actor.id, visibility_for(actor), wanted)
    await uow.audit.record("ir.list", actor_staff_id=actor.id, entity_type="ir",
                           detail={"count": len(items), "scope": wanted.value})  # fmt: skip
    return wanted, items


async def irs_about(
    uow: SqlUnitOfWork, actor: StaffMember, child: ChildSummary
) -> list[IrSummary]:
    """The open IRs about one child (already read with the actor's visibility), audited as a
    read of the child's record."""
    items = await list_irs(uow.session, actor.id, visibility_for(actor), IrListScope.ALL,
                           child_pk=child.pk)  # fmt: skip
    await uow.audit.record("ir.list", actor_staff_id=actor.id, entity_type="child",
                           entity_id=str(child.pk), detail={"count": len(items)})  # fmt: skip
    return items


@dataclass(frozen=True)
class IrStatus:
    ir: ir_model.IR
    child: ChildSummary | None  # None: the child is outside the actor's caseload


async def ir_status(uow: SqlUnitOfWork, actor: StaffMember, reference: str) -> IrStatus | None:
    """One IR, when the actor may read it (raiser, a stage owner, or may see the child)."""
    visibility = visibility_for(actor)
    if not await uow.irs.may_read(reference, actor.id, visibility):
        await uow.audit.record("ir.read", actor_staff_id=actor.id, entity_type="ir",
                               entity_id=reference, outcome="refused")  # fmt: skip
        return None
    try:
        ir, row = await uow.irs.load(reference)
    except IrNotFound:
        return None
    await uow.audit.record("ir.read", actor_staff_id=actor.id, entity_type="ir",
                           entity_id=reference)  # fmt: skip
    child = await uow.children.get(row.child_pk, visibility) if row.child_pk else None
    return IrStatus(ir, child)


async def current_cp_plan(
    uow: SqlUnitOfWork, actor: StaffMember, child: ChildSummary
) -> CpPlanInputs | None:
    """The child's current child protection plan (``child`` read with the actor's visibility)."""
    await uow.audit.child_read(actor, child.pk, "cp_conference")
    plans = [p for p in await cp_plans_for(uow.session, child.pk) if p.ended_on is None]
    return plans[0] if plans else None


def name_loader(
    services: Services, actor: StaffMember
) -> Callable[[], Awaitable[list[NameCandidate]]]:
    """``candidate_names`` in a unit of work of its own, for a cache to call when it must."""

    async def load() -> list[NameCandidate]:
        async with services.unit_of_work() as uow:
            return await candidate_names(uow, actor)

    return load
