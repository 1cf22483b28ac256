"""Issues Resolution (IR): the IRO's escalation of a problem in a child's care, as a state machine.

An IRO raises an IR when the local authority is failing a child (IRO Handbook 2010, ch.6). The IR
sits at one stage at a time (Informal, then Stage 1 to 4 by default; the rules file names them and
says who answers at each). The stage owner responds, agreeing with what they will do or declining;
the IRO may escalate to any strictly higher stage (IR-BYPASS), resolve the IR, or refer the case to
Cafcass (IR-CAFCASS).

Shape (see docs/architecture.md, "Examples to follow"):

- ``IRStatus`` is a ``str`` Enum of states and ``ALLOWED_MOVES`` is the whole table of
  ``(status, action) -> next status``. Anything not in the table is refused with
  ``IllegalTransition`` and a message a social worker can act on.
- ``IR`` and ``StageEntry`` are frozen dataclasses. Every action (``raise_ir``, ``respond``,
  ``decline``, ``escalate``, ``resolve``, ``refer_to_cafcass``) returns a *new* IR plus a list of
  events; a refused action raises before building anything, so the caller's IR is untouched.
- Nothing here does I/O or reads the clock: the date of each action and ``today`` are passed in.
  Deadlines come only from ``domain.deadlines.apply_timescale`` so each can explain itself.

Decisions worth knowing:

- A Cafcass referral is recorded (date, stage, who) but does not change the status or close the
  IR: the referral is about the child's case, while the local authority still owes a response,
  so IR-STAGE and IR-FORMAL keep running until the IRO resolves the IR. A referral is recorded
  once; it is refused on a resolved IR.
- Resolving is allowed whether or not the current stage has answered (the matter may simply have
  been put right), and escalating is allowed while a response is still awaited (the IRO may
  bypass a stage that is not answering).
- A declined response counts as a response: the stage deadline stops, and the IRO decides what
  next (escalate or resolve).
- Events carry keys, dates and staff ids but never free text (descriptions, responses), because
  events may be logged and free text about a child must never reach application logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType

from domain.deadlines import Deadline, apply_timescale
from domain.errors import DomainError, IllegalTransition, RulesError
from domain.formatting import short_date
from domain.rules import RuleSet, Stage

STAGE_RULE = "IR-STAGE"
FORMAL_RULE = "IR-FORMAL"


# -- states, actions and the table of allowed moves -------------------------------------------


class IRStatus(StrEnum):
    OPEN_AWAITING_RESPONSE = "open_awaiting_response"  # the current stage owes a response
    RESPONDED = "responded"  # the current stage has answered (agreed or declined)
    RESOLVED = "resolved"  # closed by the IRO; nothing more can happen to it


class IRAction(StrEnum):
    RESPOND = "respond"  # agree or decline, at the current stage
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    REFER_TO_CAFCASS = "refer_to_cafcass"


#: Every move an IR may make: (status now, action) -> status after. Absent means refused.
#: Raising is not here because it creates the IR; it always starts OPEN_AWAITING_RESPONSE.
ALLOWED_MOVES: Mapping[tuple[IRStatus, IRAction], IRStatus] = MappingProxyType(
    {
        (IRStatus.OPEN_AWAITING_RESPONSE, IRAction.RESPOND): IRStatus.RESPONDED,
        (IRStatus.OPEN_AWAITING_RESPONSE, IRAction.ESCALATE): IRStatus.OPEN_AWAITING_RESPONSE,
        (IRStatus.OPEN_AWAITING_RESPONSE, IRAction.RESOLVE): IRStatus.RESOLVED,
        (IRStatus.OPEN_AWAITING_RESPONSE, IRAction.REFER_TO_CAFCASS): (
            IRStatus.OPEN_AWAITING_RESPONSE
        ),
        (IRStatus.RESPONDED, IRAction.ESCALATE): IRStatus.OPEN_AWAITING_RESPONSE,
        (IRStatus.RESPONDED, IRAction.RESOLVE): IRStatus.RESOLVED,
        (IRStatus.RESPONDED, IRAction.REFER_TO_CAFCASS): IRStatus.RESPONDED,
    }
)

# What each action is called in a refusal: "it cannot be <verb>".
_ACTION_VERBS: Mapping[IRAction, str] = MappingProxyType(
    {
        IRAction.RESPOND: "responded to",
        IRAction.ESCALATE: "escalated",
        IRAction.RESOLVE: "resolved again",
        IRAction.REFER_TO_CAFCASS: "referred to Cafcass",
    }
)


# -- the record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageEntry:
    """One stage an IR has been at: when it got there, who answers, and what they said."""

    stage: str  # the stage key from the rules file, e.g. "informal", "1"
    entered_on: date  # raised at, or escalated to, this stage: IR-STAGE runs from here
    owner: str | None = None  # staff id/e-mail of the person who must answer, when known
    reason: str | None = None  # why the IRO escalated to this stage; None for the raising stage
    response: str | None = None  # the owner's answer when they agreed
    target_date: date | None = None  # when the owner says things will be put right
    declined_reason: str | None = None  # the owner's reason when they declined
    responded_on: date | None = None
    responded_by: str | None = None
    left_on: date | None = None  # escalated away from or resolved at; None while current

    @property
    def responded(self) -> bool:
        return self.responded_on is not None

    @property
    def declined(self) -> bool:
        return self.declined_reason is not None

    @property
    def is_open(self) -> bool:
        return self.left_on is None


@dataclass(frozen=True)
class IR:
    """An Issues Resolution. Immutable: actions return a new IR."""

    reference: str | None  # assigned when stored (``with_reference``)
    child_id: str
    raised_by: str  # the raising IRO's staff id or e-mail
    reasons: tuple[str, ...]  # canonical labels from the rules file, at least one
    description: str
    raised_on: date
    status: IRStatus
    history: tuple[StageEntry, ...]  # every stage in order; the last is the current one
    formal_since: date | None = None  # when it first reached a formal stage (IR-FORMAL start)
    service_area: str | None = None  # the responsible service area, for the annual report
    social_worker: str | None = None  # the responsible worker's staff id or e-mail
    outcome: str | None = None
    resolved_on: date | None = None
    resolved_at_stage: str | None = None
    cafcass_referred_on: date | None = None
    cafcass_referred_by: str | None = None

    def __post_init__(self) -> None:
        # Cheap structural checks, so a record loaded from storage (or a bug here) cannot
        # produce an IR that the rest of the product would misreport. Rule-dependent checks
        # (stage order, formality) need the rules file and live in ``check_consistent``.
        if not self.reasons:
            raise DomainError("an IR needs at least one reason")
        if not self.history:
            raise DomainError("an IR needs at least one stage in its history")
        resolved = self.status is IRStatus.RESOLVED
        if resolved != (self.resolved_on is not None) or resolved != (
            self.resolved_at_stage is not None
        ):
            raise DomainError("an IR is resolved exactly when it has a resolution date and stage")

    # -- derived facts ---------------------------------------------------------------------

    @property
    def current_entry(self) -> StageEntry:
        return self.history[-1]

    @property
    def current_stage(self) -> str:
        """The key of the stage the IR is at (or was resolved at)."""
        return self.history[-1].stage

    @property
    def is_resolved(self) -> bool:
        return self.status is IRStatus.RESOLVED

    @property
    def is_formal(self) -> bool:
        return self.formal_since is not None

    @property
    def last_activity_on(self) -> date:
        """The date of the latest recorded step: no later action may be dated before it."""
        dates = [self.raised_on]
        for entry in self.history:
            dates.append(entry.entered_on)
            if entry.responded_on is not None:
                dates.append(entry.responded_on)
        for extra in (self.cafcass_referred_on, self.resolved_on):
            if extra is not None:
                dates.append(extra)
        return max(dates)


# -- events ----------------------------------------------------------------------------------
# Facts for the edge to turn into notifications and audit rows. No free text (see module doc).


@dataclass(frozen=True)
class IssueRaised:
    reference: str | None
    child_id: str
    on: date
    stage: str
    reasons: tuple[str, ...]
    raised_by: str
    owner: str | None
    response_due: date  # IR-STAGE
    formal_due: date | None  # IR-FORMAL, when raised at a formal stage


@dataclass(frozen=True)
class StageResponded:
    reference: str | None
    child_id: str
    on: date
    stage: str
    declined: bool
    target_date: date | None
    by: str | None


@dataclass(frozen=True)
class IssueEscalated:
    reference: str | None
    child_id: str
    on: date
    from_stage: str
    to_stage: str
    became_formal: bool  # this escalation started the IR-FORMAL clock
    owner: str | None
    by: str | None
    response_due: date  # IR-STAGE at the new stage
    formal_due: date | None  # IR-FORMAL


@dataclass(frozen=True)
class IssueResolved:
    reference: str | None
    child_id: str
    on: date
    stage: str
    by: str | None


@dataclass(frozen=True)
class ReferredToCafcass:
    reference: str | None
    child_id: str
    on: date
    stage: str
    by: str | None


IREvent = IssueRaised | StageResponded | IssueEscalated | IssueResolved | ReferredToCafcass


# -- validation helpers ----------------------------------------------------------------------


def _required_text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"Please give {what}; it cannot be left empty.")
    return text


def _optional_text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _stage(rules: RuleSet, key: str) -> Stage:
    try:
        return rules.stage(key)
    except RulesError:
        names = ", ".join(s.name for s in rules.stages)
        raise DomainError(
            f"There is no Issues Resolution stage called {key!r}. The stages are: {names}."
        ) from None


def _reasons(rules: RuleSet, labels: Iterable[str], description: str) -> tuple[str, ...]:
    chosen: list[str] = []
    for label in labels:
        try:
            reason = rules.canonical_reason(label)
        except RulesError:
            allowed = "; ".join(rules.reasons)
            raise DomainError(
                f"{label!r} is not one of the reasons for an IR. Choose from: {allowed}."
            ) from None
        # A multi-select may send the same reason twice; it is still one reason.
        if reason not in chosen:
            chosen.append(reason)
    if not chosen:
        raise DomainError("Please choose at least one reason for raising the IR.")
    needing_text = [r for r in chosen if r in rules.reasons_needing_text]
    if needing_text and not description:
        raise DomainError(
            f"You chose {needing_text[0]!r} as a reason, so please describe the issue in your "
            "own words."
        )
    return tuple(chosen)


def _refusal(ir: IR, rules: RuleSet, action: IRAction) -> IllegalTransition:
    stage_name = _stage(rules, ir.current_stage).name
    if ir.status is IRStatus.RESOLVED:
        assert ir.resolved_on is not None  # guaranteed by IR.__post_init__
        return IllegalTransition(
            f"This IR was resolved on {short_date(ir.resolved_on)} at {stage_name}, so it cannot "
            f"be {_ACTION_VERBS[action]}. If the problem has come back, raise a new IR."
        )
    if ir.status is IRStatus.RESPONDED and action is IRAction.RESPOND:
        entry = ir.current_entry
        assert entry.responded_on is not None
        answer = "declined" if entry.declined else "responded"
        return IllegalTransition(
            f"{stage_name} already {answer} on {short_date(entry.responded_on)}; a stage answers "
            "once. To take the IR further, escalate it to a higher stage or resolve it."
        )
    # Unreachable with the table above; kept so a future status cannot slip through silently.
    return IllegalTransition(f"An IR that is {ir.status.value} cannot be {_ACTION_VERBS[action]}.")


def _at_highest_stage(current: Stage) -> IllegalTransition:
    return IllegalTransition(
        f"This IR is already at {current.name}, the highest stage, so it cannot be escalated "
        "further. You can resolve it or refer the case to Cafcass."
    )


def _already_referred(on: date) -> IllegalTransition:
    return IllegalTransition(
        f"This IR was already referred to Cafcass on {short_date(on)}; a referral is recorded "
        "once."
    )


def check_allowed(ir: IR, rules: RuleSet, action: IRAction) -> None:
    """Refuse now, in the words the move itself would use, an action the IR cannot take
    whatever comes with it: a resolved IR, a stage that has answered, the highest stage, a
    referral already recorded (IllegalTransition). A conversation asks this before it asks for
    the action's inputs; the move checks everything again when it is made."""
    if ALLOWED_MOVES.get((ir.status, action)) is None:
        raise _refusal(ir, rules, action)
    current = _stage(rules, ir.current_stage)
    if action is IRAction.ESCALATE and current.order == max(s.order for s in rules.stages):
        raise _at_highest_stage(current)
    if action is IRAction.REFER_TO_CAFCASS and ir.cafcass_referred_on is not None:
        raise _already_referred(ir.cafcass_referred_on)


def _check_move(ir: IR, rules: RuleSet, action: IRAction, on: date) -> IRStatus:
    """The status after ``action``, or IllegalTransition. Checks the table, then the date."""
    after = ALLOWED_MOVES.get((ir.status, action))
    if after is None:
        raise _refusal(ir, rules, action)
    last = ir.last_activity_on
    if on < last:
        raise IllegalTransition(
            f"The date given, {short_date(on)}, is before the last step recorded on this IR "
            f"({short_date(last)}). Steps are recorded in date order: please check the date."
        )
    return after


def _stage_deadline_for(entry: StageEntry, first: bool, rules: RuleSet) -> Deadline:
    name = _stage(rules, entry.stage).name
    how = f"the IR was raised at {name}" if first else f"the IR was escalated to {name}"
    return apply_timescale(rules.timescale(STAGE_RULE), entry.entered_on, rules.calendar, how)


def _formal_deadline_for(formal_since: date, rules: RuleSet) -> Deadline:
    return apply_timescale(
        rules.timescale(FORMAL_RULE), formal_since, rules.calendar, "the IR first became formal"
    )


# -- actions ---------------------------------------------------------------------------------


def raise_ir(
    rules: RuleSet,
    *,
    child_id: str,
    raised_by: str,
    reasons: Iterable[str],
    description: str,
    on: date,
    stage: str | None = None,
    owner: str | None = None,
    service_area: str | None = None,
    social_worker: str | None = None,
    reference: str | None = None,
) -> tuple[IR, list[IREvent]]:
    """Raise an IR at ``stage`` (the first, informal, stage by default; any stage: IR-BYPASS)."""
    child = _required_text(child_id, "the child the IR is about")
    iro = _required_text(raised_by, "who is raising the IR")
    text = (description or "").strip()
    chosen = _reasons(rules, reasons, text)
    at = rules.stages[0] if stage is None else _stage(rules, stage)
    area = _optional_text(service_area)
    if area is not None and area not in rules.service_areas:
        raise DomainError(
            f"{area!r} is not a service area. Choose from: {'; '.join(rules.service_areas)}."
        )
    entry = StageEntry(stage=at.key, entered_on=on, owner=_optional_text(owner))
    ir = IR(
        reference=_optional_text(reference),
        child_id=child,
        raised_by=iro,
        reasons=chosen,
        description=text,
        raised_on=on,
        status=IRStatus.OPEN_AWAITING_RESPONSE,
        history=(entry,),
        # Raising straight at a formal stage makes the IR formal from the day it is raised.
        formal_since=on if at.is_formal else None,
        service_area=area,
        social_worker=_optional_text(social_worker),
    )
    formal = formal_deadline(ir, rules)
    event = IssueRaised(
        reference=ir.reference,
        child_id=child,
        on=on,
        stage=at.key,
        reasons=chosen,
        raised_by=iro,
        owner=entry.owner,
        response_due=stage_deadline(ir, rules).due,
        formal_due=formal.due if formal else None,
    )
    return ir, [event]


def respond(
    ir: IR,
    rules: RuleSet,
    *,
    on: date,
    response: str,
    target_date: date | None = None,
    by: str | None = None,
) -> tuple[IR, list[IREvent]]:
    """The current stage agrees: what they will do, and optionally by when."""
    after = _check_move(ir, rules, IRAction.RESPOND, on)
    text = _required_text(response, "the response: what will be done to put things right")
    if target_date is not None and target_date < on:
        raise DomainError(
            f"The target date, {short_date(target_date)}, is before the date of the response "
            f"({short_date(on)}). Please give a date on or after the response."
        )
    entry = replace(
        ir.current_entry,
        response=text,
        target_date=target_date,
        responded_on=on,
        responded_by=_optional_text(by),
    )
    new = replace(ir, status=after, history=(*ir.history[:-1], entry))
    return new, [_responded_event(new, entry, on)]


def decline(
    ir: IR, rules: RuleSet, *, on: date, reason: str, by: str | None = None
) -> tuple[IR, list[IREvent]]:
    """The current stage declines to act, giving a reason. It counts as the stage's response."""
    after = _check_move(ir, rules, IRAction.RESPOND, on)
    text = _required_text(reason, "the reason for declining")
    entry = replace(
        ir.current_entry, declined_reason=text, responded_on=on, responded_by=_optional_text(by)
    )
    new = replace(ir, status=after, history=(*ir.history[:-1], entry))
    return new, [_responded_event(new, entry, on)]


def _responded_event(ir: IR, entry: StageEntry, on: date) -> StageResponded:
    return StageResponded(
        reference=ir.reference,
        child_id=ir.child_id,
        on=on,
        stage=entry.stage,
        declined=entry.declined,
        target_date=entry.target_date,
        by=entry.responded_by,
    )


def escalate(
    ir: IR,
    rules: RuleSet,
    *,
    to_stage: str,
    on: date,
    reason: str,
    owner: str | None = None,
    by: str | None = None,
) -> tuple[IR, list[IREvent]]:
    """Move the IR up to ``to_stage``, which must be strictly higher (any higher: IR-BYPASS)."""
    after = _check_move(ir, rules, IRAction.ESCALATE, on)
    current = _stage(rules, ir.current_stage)
    target = _stage(rules, to_stage)
    if target.order <= current.order:
        higher = [s.name for s in rules.stages if s.order > current.order]
        if not higher:
            raise _at_highest_stage(current)
        where = "already at" if target.order == current.order else "at"
        raise IllegalTransition(
            f"This IR is {where} {current.name}; an IR can only be escalated to a higher stage, "
            f"not to {target.name}. Choose one of: {', '.join(higher)}."
        )
    why = _required_text(reason, "the reason for escalating")
    left = replace(ir.current_entry, left_on=on)
    entry = StageEntry(stage=target.key, entered_on=on, owner=_optional_text(owner), reason=why)
    became_formal = ir.formal_since is None and target.is_formal
    new = replace(
        ir,
        status=after,
        history=(*ir.history[:-1], left, entry),
        formal_since=on if became_formal else ir.formal_since,
    )
    formal = formal_deadline(new, rules)
    event = IssueEscalated(
        reference=new.reference,
        child_id=new.child_id,
        on=on,
        from_stage=current.key,
        to_stage=target.key,
        became_formal=became_formal,
        owner=entry.owner,
        by=_optional_text(by),
        response_due=stage_deadline(new, rules).due,
        formal_due=formal.due if formal else None,
    )
    return new, [event]


def resolve(
    ir: IR, rules: RuleSet, *, on: date, outcome: str, by: str | None = None
) -> tuple[IR, list[IREvent]]:
    """Close the IR with its outcome, recording the stage it was resolved at."""
    after = _check_move(ir, rules, IRAction.RESOLVE, on)
    text = _required_text(outcome, "the outcome: how the issue was resolved")
    left = replace(ir.current_entry, left_on=on)
    new = replace(
        ir,
        status=after,
        history=(*ir.history[:-1], left),
        outcome=text,
        resolved_on=on,
        resolved_at_stage=left.stage,
    )
    event = IssueResolved(
        reference=new.reference,
        child_id=new.child_id,
        on=on,
        stage=left.stage,
        by=_optional_text(by),
    )
    return new, [event]


def refer_to_cafcass(
    ir: IR, rules: RuleSet, *, on: date, by: str | None = None
) -> tuple[IR, list[IREvent]]:
    """Record a referral to Cafcass (IR-CAFCASS). The IR stays open; see the module docstring."""
    after = _check_move(ir, rules, IRAction.REFER_TO_CAFCASS, on)
    if ir.cafcass_referred_on is not None:
        raise _already_referred(ir.cafcass_referred_on)
    new = replace(ir, status=after, cafcass_referred_on=on, cafcass_referred_by=_optional_text(by))
    event = ReferredToCafcass(
        reference=new.reference,
        child_id=new.child_id,
        on=on,
        stage=new.current_stage,
        by=new.cafcass_referred_by,
    )
    return new, [event]


def with_reference(ir: IR, reference: str) -> IR:
    """The IR with the reference storage gave it. A reference, once given, never changes."""
    ref = _required_text(reference, "the IR's reference")
    if ir.reference is not None and ir.reference != ref:
        raise DomainError(f"This IR already has the reference {ir.reference}; it cannot change.")
    return replace(ir, reference=ref)


def allowed_actions(ir: IR, rules: RuleSet) -> frozenset[IRAction]:
    """What can be done to the IR now: the buttons a card should offer."""
    actions = {action for (status, action) in ALLOWED_MOVES if status is ir.status}
    if _stage(rules, ir.current_stage).order == max(s.order for s in rules.stages):
        actions.discard(IRAction.ESCALATE)
    if ir.cafcass_referred_on is not None:
        actions.discard(IRAction.REFER_TO_CAFCASS)
    return frozenset(actions)


# -- stages, owners and deadlines ------------------------------------------------------------


def current_stage(ir: IR, rules: RuleSet) -> Stage:
    """The rules-file stage the IR is at (or was resolved at)."""
    return _stage(rules, ir.current_stage)


def current_owner_role(ir: IR, rules: RuleSet) -> str:
    """The role that answers at the current stage, e.g. "team_manager" at Stage 1."""
    return current_stage(ir, rules).owner_role


def stage_deadline(ir: IR, rules: RuleSet, entry: StageEntry | None = None) -> Deadline:
    """IR-STAGE for ``entry`` (the current stage by default): 5 working days after it was
    raised at, or escalated to, that stage. Given for any entry, answered or not, so reports
    can say whether a stage responded in time."""
    chosen = ir.current_entry if entry is None else entry
    if chosen not in ir.history:
        raise DomainError("That stage is not part of this IR's history.")
    # Stages in a history are distinct, so equality finds the one entry.
    return _stage_deadline_for(chosen, ir.history.index(chosen) == 0, rules)


def formal_deadline(ir: IR, rules: RuleSet) -> Deadline | None:
    """IR-FORMAL: 20 working days after the IR first became formal; None while informal."""
    if ir.formal_since is None:
        return None
    return _formal_deadline_for(ir.formal_since, rules)


def open_deadlines(ir: IR, rules: RuleSet) -> tuple[Deadline, ...]:
    """Deadlines still running: the stage response while it is awaited, and IR-FORMAL until
    the IR is resolved (a Cafcass referral does not stop either)."""
    if ir.is_resolved:
        return ()
    running: list[Deadline] = []
    if ir.status is IRStatus.OPEN_AWAITING_RESPONSE:
        running.append(stage_deadline(ir, rules))
    formal = formal_deadline(ir, rules)
    if formal is not None:
        running.append(formal)
    return tuple(running)


def warning_date(deadline: Deadline, rules: RuleSet) -> date:
    """When to warn: ``ir_warning_working_days`` working days before the deadline, but never
    before the period started (a warning cannot come before the thing it warns about)."""
    warn = rules.calendar.add_working_days(deadline.due, -rules.ir_warning_working_days)
    return max(warn, deadline.start)


class AlertKind(StrEnum):
    WARNING = "warning"  # the warning point has come and the deadline has not passed
    BREACHED = "breached"  # the deadline has passed without a response / resolution


@dataclass(frozen=True)
class DeadlineAlert:
    """One deadline that needs someone's attention ``today``.

    ``warnings_due`` reports the state on ``today`` rather than only on the warning day, so a
    scheduler that missed a day still warns; the edge deduplicates by
    ``(ir reference, deadline.rule_id, deadline.due, kind)``.
    """

    kind: AlertKind
    deadline: Deadline
    warn_on: date
    stage: str  # the stage key the IR is at


def warnings_due(ir: IR, rules: RuleSet, today: date) -> tuple[DeadlineAlert, ...]:
    """Warnings and breaches of the IR's running deadlines on ``today``."""
    alerts: list[DeadlineAlert] = []
    for deadline in open_deadlines(ir, rules):
        warn_on = warning_date(deadline, rules)
        if today > deadline.due:
            kind = AlertKind.BREACHED
        elif today >= warn_on:
            kind = AlertKind.WARNING
        else:
            continue
        alerts.append(DeadlineAlert(kind, deadline, warn_on, ir.current_stage))
    return tuple(alerts)


def check_consistent(ir: IR, rules: RuleSet) -> None:
    """Raise DomainError if the IR's history breaks a rule that every action keeps.

    For records loaded from storage or edited by hand; the actions above cannot produce an
    IR that fails it (the property tests check this independently).
    """
    stages = [_stage(rules, e.stage) for e in ir.history]
    problems: list[str] = []
    if any(b.order <= a.order for a, b in pairwise(stages)):
        problems.append("its stages do not rise in order")
    if any(
        b.entered_on < a.entered_on or a.left_on != b.entered_on for a, b in pairwise(ir.history)
    ):
        problems.append("its stage dates are out of order")
    if ir.history[0].entered_on != ir.raised_on:
        problems.append("its first stage does not start on the day it was raised")
    open_entries = [e for e in ir.history if e.is_open]
    if ir.is_resolved:
        if open_entries or ir.resolved_at_stage != ir.current_stage:
            problems.append("it is resolved but its last stage is still open")
    elif open_entries != [ir.current_entry]:
        problems.append("it does not have exactly one current stage")
    if (ir.status is IRStatus.RESPONDED) != (not ir.is_resolved and ir.current_entry.responded):
        problems.append("its status does not match the current stage's response")
    first_formal = next(
        (e.entered_on for e, s in zip(ir.history, stages, strict=True) if s.is_formal), None
    )
    if ir.formal_since != first_formal:
        problems.append("the date it became formal does not match its stages")
    if problems:
        label = ir.reference or "(not yet stored)"
        raise DomainError(f"IR {label} is inconsistent: {'; '.join(problems)}.")
