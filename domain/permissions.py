"""Who may see and do what: domain.md section 5, in one module.

Every surface (chat, card buttons, command line, a web page) asks these functions, through the
use cases in ``services/``, so a rule is written once and a button and the check behind it
cannot disagree:

- ``visibility_for``: which children a member of staff may see (every read takes its value);
- ``may_answer``: who may respond to (or decline) an IR's current stage;
- ``may_direct``: who may escalate, resolve or refer an IR to Cafcass;
- ``card_rights``: which of those buttons a viewer's IR card carries now;
- ``may_ever_act_on_ir``: whether a role may ever do an IR move (``IrMove``) at all, and
  ``ir_refusal`` says who can, for the refusal before any IR is looked up;
- ``may_see_service_figures``: who may ask for the service's figures (the QA summary);
- ``scope_view`` / ``may_see_scope``: whose children "my", "the team's" and "the service's"
  lists cover for a member of staff, or that they may not ask for them;
- ``may_change`` / ``may_ever_change``: who may change a child's review record (record, book or
  bring forward a review, record its paperwork sent) or raise an IR about the child, and
  ``who_may`` says who, for a refusal.

A child the actor may not see is reported exactly as one that does not exist; a child they may
see but not change is refused with who can.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.issues_resolution import IRStatus
from domain.ports import NOTHING, SYSTEM, Role, StaffMember, Visibility

#: Managers see the children of their service area (domain.md section 5).
MANAGER_ROLES = frozenset(
    {
        Role.PRACTICE_SUPERVISOR,
        Role.TEAM_MANAGER,
        Role.SERVICE_MANAGER,
        Role.SERVICE_DIRECTOR,
        Role.DIRECTOR,
    }
)
#: Managers whose work may span every service area (domain.md section 2: directors have none).
#: Only these see every child when they have no service area; the other managers see nothing
#: then, so a blank cell in a people file never opens the whole caseload.
AREA_SPANNING_MANAGER_ROLES = frozenset({Role.SERVICE_DIRECTOR, Role.DIRECTOR})



def visibility_for(staff: StaffMember | None) -> Visibility:
    """domain.md section 5, the one place it is decided.

    - unknown or inactive staff: nothing;
    - QA managers and admins: every child;
    - IROs: the children they review and any child they are covering;
    - social workers: the children allocated to them;
    - managers: the children in their service area; a service director or director with no
      service area spans them all; any other manager with none sees nothing (fail closed).
    """
    if staff is None or not staff.active:
        return NOTHING
    try:
        role = Role(staff.role)
    except ValueError:
        return NOTHING
    if role in (Role.QA_MANAGER, Role.ADMIN):
        return SYSTEM
    if role is Role.IRO:
        return Visibility(reviewing_iro_id=staff.id)
    if role is Role.SOCIAL_WORKER:
        return Visibility(social_worker_id=staff.id)
    if role in MANAGER_ROLES:
        if staff.service_area:
            return Visibility(service_area=staff.service_area)
        if role in AREA_SPANNING_MANAGER_ROLES:
            return SYSTEM
    return NOTHING


# -- Issues Resolution -------------------------------------------------------------------------


@dataclass(frozen=True)
class IrParties:
    """Who holds which part in an IR now (staff ids)."""

    raised_by_id: int | None
    owner_id: int | None  # the current stage's owner
    owner_delegate_id: int | None  # whoever the owner has named to act for them
    status: IRStatus
    response_overdue: bool
    social_worker_id: int | None
    owner_ids: tuple[int, ...]  # every stage's owner, in order (those who got the card)

    def names(self, staff: StaffMember) -> bool:
        """Is ``staff`` one of the IR's parties (raiser, a stage owner or the owner's delegate)?"""
        return staff.id in (self.raised_by_id, self.owner_delegate_id, *self.owner_ids)


@dataclass(frozen=True)
class CardRights:
    """Which buttons a viewer's card carries."""

    may_answer: bool = False  # Agree and respond, Decline
    may_direct: bool = False  # Accept and resolve, Escalate, Refer to Cafcass


NO_RIGHTS = CardRights()


def may_answer(parties: IrParties, staff: StaffMember) -> bool:
    """The current stage's owner or their delegate (domain.md section 5)."""
    if not staff.active or parties.owner_id is None:
        return False
    return staff.id in (parties.owner_id, parties.owner_delegate_id)


def may_direct(parties: IrParties, staff: StaffMember) -> bool:
    """The raising IRO or a QA manager may escalate, resolve or refer (domain.md section 5)."""
    if not staff.active:
        return False
    return staff.id == parties.raised_by_id or staff.role == Role.QA_MANAGER.value


def card_rights(parties: IrParties, staff: StaffMember | None) -> CardRights:
    """The buttons ``staff`` sees: answering while a response is owed; directing once the stage
    has responded (or its response is overdue, when the IRO may bypass it: IR-BYPASS)."""
    if staff is None or parties.status is IRStatus.RESOLVED:
        return NO_RIGHTS
    awaiting = parties.status is IRStatus.OPEN_AWAITING_RESPONSE
    answer = awaiting and may_answer(parties, staff)
    direct = (not awaiting or parties.response_overdue) and may_direct(parties, staff)
    return CardRights(may_answer=answer, may_direct=direct)


class IrMove(StrEnum):
    """What may be done to an IR, by its card's buttons or by text (one use case for both)."""

    RESPOND = "respond"
    DECLINE = "decline"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    REFER = "refer"


#: The moves that answer the IR's current stage (``may_answer``); the others direct the IR.
ANSWERING_MOVES = frozenset({IrMove.RESPOND, IrMove.DECLINE})
#: IRs are raised by IROs; the raising IRO or a QA manager directs them (``may_direct``).
_DIRECTING_ROLES = frozenset({Role.IRO, Role.QA_MANAGER})
_DOING_IT = {IrMove.RESPOND: "respond to it", IrMove.DECLINE: "decline it",
             IrMove.ESCALATE: "escalate it", IrMove.RESOLVE: "resolve it",
             IrMove.REFER: "refer it to Cafcass"}  # fmt: skip


def may_ever_act_on_ir(staff: StaffMember | None, move: IrMove) -> bool:
    """Could ``staff`` do ``move`` to any IR at all (their role allows it)? Anyone active may be
    a stage's owner or an owner's delegate, so answering is decided IR by IR (``may_answer``);
    directing is only ever an IRO's (the raising one) or a QA manager's (``may_direct``)."""
    if staff is None or not staff.active:
        return False
    return move in ANSWERING_MOVES or _role(staff) in _DIRECTING_ROLES


def ir_refusal(move: IrMove) -> str:
    """Why ``move`` was refused at once (``may_ever_act_on_ir``), and who can make it."""
    if move in ANSWERING_MOVES:
        return f"Only the owner of an IR's current stage, or their delegate, can {_DOING_IT[move]}."
    return f"Only the IRO who raised an IR, or a QA manager, can {_DOING_IT[move]}."


# -- the service's figures ---------------------------------------------------------------------

#: Who may ask for the service's figures: they are the QA manager's to report.
SERVICE_FIGURES_ROLES = frozenset({Role.QA_MANAGER})


def may_see_service_figures(staff: StaffMember) -> bool:
    return staff.active and staff.role in SERVICE_FIGURES_ROLES


# -- whose children a list covers ("my", "the team's", "the service's") ----------------------


class CaseloadScope(StrEnum):
    """Whose children a list or a count means (the values are ``understanding.Scope``'s)."""

    MINE = "mine"
    TEAM = "team"  # the service area the user works in
    SERVICE = "service"  # every child


class Reach(StrEnum):
    """What a list actually covers, so the answer can say it in words."""

    REVIEWED = "reviewed"  # the children the user reviews as IRO or is covering
    ALLOCATED = "allocated"  # the children allocated to the user as social worker
    AREA = "area"  # the children of one service area
    EVERY = "every"  # every child
    NONE = "none"  # nothing (inactive, or a manager with no service area recorded)


@dataclass(frozen=True)
class ScopeView:
    """The children a scope covers for one member of staff, and how to say which they are."""

    visibility: Visibility
    reach: Reach
    service_area: str | None = None




def scope_view(staff: StaffMember | None, scope: CaseloadScope) -> ScopeView | None:
    """The children ``scope`` covers for ``staff``, or None when they may not ask for it.

    - "mine": an IRO's reviewed and covered children; a social worker's allocated children; a
      manager's service area (every child for a director with none); every child for the QA
      team, whose work is the whole service's (domain.md section 5: "QA managers see all
      children"), so a QA manager's "what's overdue?" is the service's, as it always was;
    - "the team's": a manager's service area; the QA team's and an area-spanning director's
      team is the whole service; IROs and social workers have no team caseload to see;
    - "the service's": only those who see every child (the QA team, a director with no area).

    Never wider than ``visibility_for``: a scope is a part of what the person may see, or refused.
    """
    own = visibility_for(staff)
    if staff is None:
        return None
    if own.nothing:
        # Inactive, an unknown role, or a manager with no service area: nothing of their own,
        # said as such, and nothing wider.
        return ScopeView(own, Reach.NONE) if scope is CaseloadScope.MINE else None
    role = _role(staff)
    if scope is CaseloadScope.MINE:
        if role is Role.IRO:
            return ScopeView(Visibility(reviewing_iro_id=staff.id), Reach.REVIEWED)
        if role is Role.SOCIAL_WORKER:
            return ScopeView(own, Reach.ALLOCATED)
    elif role in (Role.IRO, Role.SOCIAL_WORKER):
        return None  # a team's or the service's caseload is its managers' and the QA team's
    elif scope is CaseloadScope.SERVICE and not own.everything:
        return None
    if own.everything:
        return ScopeView(own, Reach.EVERY)
    return ScopeView(own, Reach.AREA, own.service_area)


def may_see_scope(staff: StaffMember | None, scope: CaseloadScope) -> bool:
    return scope_view(staff, scope) is not None


# -- changes to a child's record -------------------------------------------------------------


class Change(StrEnum):
    """The changes to a child's record a member of staff may make (each one confirmed write)."""

    RECORD_REVIEW = "record a review"
    BOOK_REVIEW = "book a review"
    BRING_FORWARD = "bring a review forward"
    RECORD_PAPERWORK = "record a review's decisions or minutes as sent"
    RAISE_IR = "raise an IR"


#: Besides the child's own IRO (or the IRO covering): the QA & Safeguarding service, who keep
#: the review record with the IROs (and whose admins book and record reviews for them).
RECORD_KEEPER_ROLES = frozenset({Role.QA_MANAGER, Role.ADMIN})
#: An IR is the IRO's challenge to the authority (IRO Handbook ch.6): only IROs raise one.
_IRO_ONLY = frozenset({Change.RAISE_IR})


def _role(staff: StaffMember) -> Role | None:
    try:
        return Role(staff.role)
    except ValueError:
        return None


def may_ever_change(staff: StaffMember | None, change: Change) -> bool:
    """Could ``staff`` make ``change`` for any child at all (their role allows it)? What help
    offers them, and what a request is refused at once for, before any child is looked up."""
    if staff is None or not staff.active:
        return False
    role = _role(staff)
    if role is Role.IRO:
        return True
    return change not in _IRO_ONLY and role in RECORD_KEEPER_ROLES


def may_change(
    staff: StaffMember, change: Change, *, iro_id: int | None, covering_iro_id: int | None
) -> bool:
    """May ``staff`` make ``change`` for the child whose IRO and covering IRO these are?

    The child's IRO or the IRO covering may make every change; QA managers and admins may
    change the review record (not raise an IR); nobody else may change anything.
    """
    if not may_ever_change(staff, change):
        return False
    if _role(staff) is Role.IRO:
        return staff.id in (iro_id, covering_iro_id)
    return True


def who_may(change: Change) -> str:
    """Who may make ``change``, in the words of a refusal."""
    if change in _IRO_ONLY:
        return "the child's IRO, or the IRO covering for them"
    return "the child's IRO (or the IRO covering), or the QA & Safeguarding team"


def refusal(change: Change) -> str:
    """Why a change was refused, and who can make it."""
    return f"Only {who_may(change)}, can {change}."


#: What someone whose role may never make a change can do instead (said after the refusal).
_INSTEAD = {
    Change.RAISE_IR: "If something is going wrong for the child, tell their IRO: they can "
                     "raise one, and you will see it here.",
}


def instead(change: Change) -> str:
    """What to do instead of a change one's role may never make: tell the child's IRO."""
    return _INSTEAD.get(change, f"If it needs doing, ask the child's IRO to {change}.")
