"""What understand() returns: an intent and the entities found, as plain frozen values.

Nothing here knows about Teams, the store or the bot framework: the handler turns an
Understanding into a reply or a dialog, and the tests build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.reviews import ReviewPart
from understanding.children import ChildCandidate
from understanding.summaries import SummaryQuestion


class Intent(StrEnum):
    NEXT_REVIEW = "NEXT_REVIEW"  # when is a child's next CIC review due
    DUE_FOR_ME = "DUE_FOR_ME"  # what is due for me (a period and/or overdue)
    EXPLAIN = "EXPLAIN"  # why is that date due / which rule
    RECORD_REVIEW = "RECORD_REVIEW"  # a review was held (date, part, late reason)
    RECORD_SENT = "RECORD_SENT"  # a review's decisions and/or minutes were sent (date)
    BOOK_REVIEW = "BOOK_REVIEW"  # book a review date
    BRING_FORWARD = "BRING_FORWARD"  # bring a review forward (date and reason), CIC-BF
    RAISE_IR = "RAISE_IR"  # raise an Issues Resolution (child, stage, reasons)
    ESCALATE_IR = "ESCALATE_IR"  # escalate an existing IR (reference and/or stage)
    MY_IRS = "MY_IRS"  # IRs I raised / IRs awaiting my response
    IR_STATUS = "IR_STATUS"  # where an IR is up to (by reference, or for a child)
    CP_CONFERENCE_DUE = "CP_CONFERENCE_DUE"  # child protection conference due (one child or a list)
    IR_SUMMARY = "IR_SUMMARY"  # the service's IR figures for a period (QA managers)
    REVIEW_SUMMARY = "REVIEW_SUMMARY"  # the service's review figures for a period (QA managers)
    CHILD_DETAILS = "CHILD_DETAILS"  # a fact about one child: SW, IRO, date in care, age, UASC
    BOOKED_REVIEWS = "BOOKED_REVIEWS"  # the reviews booked (for one child, or mine)
    MY_CASELOAD = "MY_CASELOAD"  # the children I have: how many, who (or a team's, a service's)
    RESPOND_IR = "RESPOND_IR"  # answer an IR's current stage (its owner), by text
    DECLINE_IR = "DECLINE_IR"  # decline an IR's current stage (its owner), by text
    RESOLVE_IR = "RESOLVE_IR"  # resolve an IR (the raising IRO or a QA manager), by text
    REFER_IR = "REFER_IR"  # refer an IR to Cafcass (the raising IRO or a QA manager), by text
    ADD_NOTE = "ADD_NOTE"  # "add a note to Ivy's record": notes belong in the case record
    CORRECT_REVIEW = "CORRECT_REVIEW"  # change what was recorded about a review held
    HELP = "HELP"
    CANCEL = "CANCEL"
    GREETING = "GREETING"
    THANKS = "THANKS"
    UNKNOWN = "UNKNOWN"  # "Sorry, I didn't understand" (plus help)


#: Intents that are about one child: a pronoun means the child last discussed, and a bare name
#: after one of the first three asks the same question about another child.
CHILD_INTENTS = frozenset({
    Intent.NEXT_REVIEW, Intent.EXPLAIN, Intent.RECORD_REVIEW, Intent.RECORD_SENT,
    Intent.BOOK_REVIEW, Intent.BRING_FORWARD, Intent.RAISE_IR, Intent.ESCALATE_IR, Intent.MY_IRS,
    Intent.IR_STATUS, Intent.CP_CONFERENCE_DUE, Intent.CHILD_DETAILS, Intent.BOOKED_REVIEWS,
    Intent.ADD_NOTE, Intent.CORRECT_REVIEW,
})  # fmt: skip

#: The IR actions a message can ask for, each the same use case as the card's button.
IR_ACTION_INTENTS = frozenset({
    Intent.ESCALATE_IR, Intent.RESPOND_IR, Intent.DECLINE_IR, Intent.RESOLVE_IR, Intent.REFER_IR,
})  # fmt: skip


class ChildDetail(StrEnum):
    """Which fact about a child a CHILD_DETAILS question asks for (None: all of them)."""

    SOCIAL_WORKER = "social_worker"
    IRO = "iro"
    CARE_START = "care_start"  # when they came into care (the current period of care)
    AGE = "age"  # and date of birth
    UASC = "uasc"
    LEGAL_STATUS = "legal_status"  # not held by the store: said plainly


class Scope(StrEnum):
    """Whose children a listing means: "my", "the team's", "the whole service's"."""

    MINE = "mine"
    TEAM = "team"  # the team or service area the user works in
    SERVICE = "service"  # every child in care


class IrScope(StrEnum):
    """Which IRs "my IRs" means."""

    ALL = "all"  # both, or not said
    RAISED = "raised"  # IRs I raised (as the IRO)
    AWAITING = "awaiting"  # IRs waiting for my response (as a stage owner)


class ChildRefKind(StrEnum):
    NAME = "name"  # a name or part of one, as typed: resolve with resolve_child
    ID = "id"  # the LA's child id (C123456, or 5+ digits): resolve_child matches it exactly
    PRONOUN = "pronoun"  # her/him/them...: the child last discussed (context.last_child)


@dataclass(frozen=True, slots=True)
class ChildRef:
    kind: ChildRefKind
    text: str  # as typed (possessive 's removed); never logged
    # PRONOUN: the child it stands for, from the context; None when nobody was discussed yet
    # (the caller then asks which child).
    child: ChildCandidate | None = None


@dataclass(frozen=True, slots=True)
class DuePeriod:
    """The dates a "what's due" question covers, inclusive; and/or overdue items.

    ``start``/``end`` are None when only overdue items were asked for. Conventions (documented in
    understanding/periods.py): "this week" = today..Sunday; "this fortnight" / "next two
    weeks" = today..today+13 (14 calendar days, today included); "next week" = Monday..Sunday of
    next week; "before X" ends the day before X, "by X" / "until X" ends on X.
    """

    start: date | None
    end: date | None
    overdue: bool = False
    label: str = ""  # the words that set it, e.g. "this fortnight", for the reply's heading


@dataclass(frozen=True, slots=True)
class ConversationContext:
    """What the conversation already knows: plain values the handler keeps between turns."""

    last_child: ChildCandidate | None = None  # the child the last answer was about
    last_intent: Intent | None = None
    # Folded name tokens (normalise_name, split) of the children this user can see, e.g. from
    # ChildIndex.name_tokens. Optional: with it, names that are also words ("Will", "Hope") are
    # recognised when they are written as names, and stray words next to a name are left out.
    known_names: frozenset[str] = frozenset()
    #: The IR last discussed (a status shown, an action taken): "escalate it" means that one.
    last_ir: str | None = None


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: Intent
    child: ChildRef | None = None
    date: date | None = None  # the date the message gives (booking, review held, bring forward...)
    date_text: str | None = None  # the words it came from, to echo back ("next Tuesday")
    date_error: str | None = None  # a date was given but is impossible or MM/DD: say so, ask again
    period: DuePeriod | None = None  # DUE_FOR_ME and CP listings only
    part: ReviewPart | None = None  # RECORD_REVIEW: only when the message says which part
    reason: str | None = None  # free text after "because", "due to", "as", " - " ... (late / BF)
    ir_ref: str | None = None  # canonical "IR-2026-0042"
    stage: str | None = None  # a stage key from the rules: "informal", "1".."4"
    ir_reasons: tuple[str, ...] = ()  # IR reason labels (from the rules) the message mentions
    ir_scope: IrScope | None = None  # MY_IRS only
    # RECORD_SENT only: "decisions", "minutes" or both, as the message names them.
    paperwork: tuple[str, ...] = ()
    summary: SummaryQuestion | None = None  # IR_SUMMARY and REVIEW_SUMMARY only
    detail: ChildDetail | None = None  # CHILD_DETAILS only; None means all the details held
    #: DUE_FOR_ME, MY_CASELOAD, BOOKED_REVIEWS: whose children (None means the user's own).
    scope: Scope | None = None
    count_only: bool = False  # MY_CASELOAD: "how many ..." rather than "list ..."
    #: CORRECT_REVIEW: which of a review's details to change ("participation", "late_reason",
    #: "part1_reason", "held_at", "chaired_by_child"), when the message says.
    review_field: str | None = None
    #: How strongly the words said the intent (0 when it came from context or a bare name):
    #: an open dialog takes a message this confident in another request as an interruption.
    score: float = 0.0
    #: A change asked about as a question ("have I recorded Ivy's review?"): the handler asks
    #: whether the change is wanted before starting it.
    unsure: bool = False
