"""The route table: for every intent, what answers it. Consulted once per message (``route``).

A route is one of three kinds:

- a **reply**: a fixed answer that reads nothing (help, thanks, "nothing to cancel");
- an **answer**: a question, answered at once from the store (reads only, in a session that
  refuses writes: ``Services.answering``), by a function of ``bot/answers.py`` over a use case;
- a **dialog**: a change to the record, made by a guided flow (``dialogs/``) that asks what is
  missing and writes only after the user confirms.

``needs_child``: the one child lookup runs first (``IroBot._child_for``: the name, id or pronoun
resolved among the children the user may see, or asked for). ``use_case`` names the services
function behind the route, and ``for_whom`` who it is for; the use case itself checks that
(``domain.permissions``), so every surface refuses the same way. A new intent is one row here,
its use case and its card.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import answers
from bot.answers import Asked, Reply
from cards.common import (
    DIDNT_UNDERSTAND,
    NOTES_BELONG_IN_THE_RECORD,
    NOTHING_TO_CANCEL,
    help_card,
)
from dialogs import (
    BOOK_REVIEW,
    BRING_FORWARD,
    CORRECT_REVIEW,
    IR_ACTION,
    PAPERWORK_SENT,
    RAISE_IR,
    RECORD_REVIEW,
)
from domain.permissions import ANSWERING_MOVES, Change, IrMove, who_may
from domain.ports import StaffMember
from understanding import Intent

Answer = Callable[[Asked], Awaitable[Reply | None]]


@dataclass(frozen=True)
class Route:
    reply: Callable[[StaffMember], Reply] | None = None
    answer: Answer | None = None
    dialog: str | None = None
    #: The change to the record a dialog makes: a member of staff whose role may never make it
    #: is told at once who can (``domain.permissions``), before any child is looked up; the
    #: dialog checks the child too, and the write checks again.
    change: Change | None = None
    #: The IR move a dialog makes (``dialog=IR_ACTION``): a role that may never make it is
    #: told at once who can (``domain.permissions.may_ever_act_on_ir``), before any IR is
    #: looked up; the dialog checks the IR before its first question, and the write again.
    ir_move: IrMove | None = None
    needs_child: bool = False
    #: The child lookup runs when the message names a child ("is Jamie's review booked?", "show
    #: me the IR for Ivy"); without one the answer is about the user's own children or IRs.
    child_if_named: bool = False
    use_case: str = ""
    for_whom: str = "any member of staff (what they may see)"

    @property
    def writes(self) -> bool:
        """Only a dialog changes the record, and only after the user confirms."""
        return self.dialog is not None


def _help(staff: StaffMember) -> Reply:
    return Reply(card=help_card(staff))


def _ir_action(move: IrMove) -> Route:
    """A row for an IR action by text: the same use case (and rules) as the card's button."""
    whom = "the owner of the IR's current stage, or their delegate" if move in ANSWERING_MOVES \
        else "the IRO who raised the IR, or a QA manager"  # fmt: skip
    return Route(dialog=IR_ACTION, ir_move=move, use_case="services.ir_actions.act_on_ir",
                 for_whom=whom)


ROUTES: dict[Intent, Route] = {
    Intent.HELP: Route(reply=_help),
    Intent.GREETING: Route(reply=_help),
    Intent.THANKS: Route(reply=lambda _: Reply(text="You're welcome.")),
    Intent.CANCEL: Route(reply=lambda _: Reply(text=NOTHING_TO_CANCEL)),
    Intent.UNKNOWN: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
    # Notes are not kept here: said plainly, with what can be recorded instead.
    Intent.ADD_NOTE: Route(reply=lambda _: Reply(text=NOTES_BELONG_IN_THE_RECORD)),
    Intent.CHILD_DETAILS: Route(answer=answers.child_details, needs_child=True,
                                use_case="services.child_facts.child_facts"),
    # A child's bookings when one is named (the lookup gives Asked.child), else the user's own,
    # the team's or the service's (scope: domain.permissions.scope_view).
    Intent.BOOKED_REVIEWS: Route(answer=answers.booked_reviews, child_if_named=True,
                                 use_case="services.caseload.bookings_of / bookings_for",
                                 for_whom="any member of staff (their own children; a team's "
                                          "or the service's: managers and the QA team)"),
    Intent.MY_CASELOAD: Route(answer=answers.my_caseload,
                              use_case="services.caseload.caseload_of",
                              for_whom="any member of staff (their own children; a team's or "
                                       "the service's: managers and the QA team)"),
    # An IR action by text: the IR card's use case through one dialog (dialogs/ir_action.py).
    Intent.RESPOND_IR: _ir_action(IrMove.RESPOND),
    Intent.DECLINE_IR: _ir_action(IrMove.DECLINE),
    Intent.ESCALATE_IR: _ir_action(IrMove.ESCALATE),
    Intent.RESOLVE_IR: _ir_action(IrMove.RESOLVE),
    Intent.REFER_IR: _ir_action(IrMove.REFER),
    Intent.NEXT_REVIEW: Route(answer=answers.next_review, needs_child=True,
                              use_case="services.reviews.schedule_of"),
    Intent.EXPLAIN: Route(answer=answers.explain, needs_child=True,
                          use_case="services.reviews.schedule_of"),
    Intent.CP_CONFERENCE_DUE: Route(answer=answers.cp_conference, needs_child=True,
                                    use_case="services.caseload.current_cp_plan"),
    Intent.DUE_FOR_ME: Route(answer=answers.due_for_me,
                             use_case="services.caseload.due_children"),
    Intent.MY_IRS: Route(answer=answers.irs_or_status,
                         use_case="services.caseload.irs_for / ir_status"),
    Intent.IR_STATUS: Route(answer=answers.ir_status, child_if_named=True,
                            use_case="services.caseload.ir_status / irs_about"),
    Intent.IR_SUMMARY: Route(answer=answers.service_summary,
                             use_case="services.summaries.ir_summary",
                             for_whom="QA managers (domain.permissions)"),
    Intent.REVIEW_SUMMARY: Route(answer=answers.service_summary,
                                 use_case="services.summaries.review_summary",
                                 for_whom="QA managers (domain.permissions)"),
    Intent.RAISE_IR: Route(dialog=RAISE_IR, change=Change.RAISE_IR,
                           use_case="services.irs.raise_issue", for_whom=who_may(Change.RAISE_IR)),
    Intent.RECORD_REVIEW: Route(dialog=RECORD_REVIEW, change=Change.RECORD_REVIEW,
                                use_case="services.reviews.record_review",
                                for_whom=who_may(Change.RECORD_REVIEW)),
    # Correcting what was recorded is recording it: the same people may.
    Intent.CORRECT_REVIEW: Route(dialog=CORRECT_REVIEW, change=Change.RECORD_REVIEW,
                                 use_case="services.reviews.correct_review",
                                 for_whom=who_may(Change.RECORD_REVIEW)),
    Intent.BOOK_REVIEW: Route(dialog=BOOK_REVIEW, change=Change.BOOK_REVIEW,
                              use_case="services.reviews.book_review",
                              for_whom=who_may(Change.BOOK_REVIEW)),
    Intent.BRING_FORWARD: Route(dialog=BRING_FORWARD, change=Change.BRING_FORWARD,
                                use_case="services.reviews.bring_forward",
                                for_whom=who_may(Change.BRING_FORWARD)),
    Intent.RECORD_SENT: Route(dialog=PAPERWORK_SENT, change=Change.RECORD_PAPERWORK,
                              use_case="services.paperwork.record_paperwork_sent",
                              for_whom=who_may(Change.RECORD_PAPERWORK)),
}  # fmt: skip


#: What a user might type for each request ("Jamie Smith" stands for any child). The
#: conversation tests type every one of these at every question of every dialog, and none may
#: be taken as the answer (``understanding.interruptions``); a new intent adds its line here.
EXAMPLES: dict[Intent, str] = {
    Intent.NEXT_REVIEW: "when is Jamie Smith's next review due?",
    Intent.DUE_FOR_ME: "what's due this fortnight?",
    Intent.EXPLAIN: "why is Jamie Smith's review due then?",
    Intent.RECORD_REVIEW: "record a review for Jamie Smith held yesterday",
    Intent.RECORD_SENT: "Jamie Smith's review decisions sent today",
    Intent.BOOK_REVIEW: "book Jamie Smith's review for 3rd March",
    Intent.BRING_FORWARD: "bring Jamie Smith's review forward to Friday because of a move",
    Intent.RAISE_IR: "raise an IR for Jamie Smith",
    Intent.ESCALATE_IR: "escalate IR-2026-0042 to stage 2",
    Intent.RESPOND_IR: "respond to IR-2026-0042: a social worker is allocated from Monday",
    Intent.DECLINE_IR: "decline IR-2026-0042 because it is for another service area",
    Intent.RESOLVE_IR: "resolve IR-2026-0042: the care plan was updated",
    Intent.REFER_IR: "refer IR-2026-0042 to Cafcass",
    Intent.MY_IRS: "IRs waiting for me",
    Intent.IR_STATUS: "status of IR-2026-0042",
    Intent.CP_CONFERENCE_DUE: "when is Jamie Smith's next CP conference?",
    Intent.IR_SUMMARY: "IR summary this year",
    Intent.REVIEW_SUMMARY: "review figures this quarter",
    Intent.CHILD_DETAILS: "who is Jamie Smith's social worker?",
    Intent.BOOKED_REVIEWS: "what reviews have I got booked?",
    Intent.MY_CASELOAD: "how many children do I have?",
    Intent.ADD_NOTE: "add a note to Jamie Smith's record",
    Intent.CORRECT_REVIEW: "change the participation for Jamie Smith's last review",
    Intent.HELP: "help",
}
#: Intents with no example: they are how a message is answered, not requests.
NOT_REQUESTS = frozenset({Intent.UNKNOWN, Intent.CANCEL, Intent.GREETING, Intent.THANKS})
#: For each dialog, the words that start it and say nothing else, so it asks every question.
OPENS_WITH: dict[str, str] = {
    RECORD_REVIEW: "record a review",
    BOOK_REVIEW: "book a review",
    BRING_FORWARD: "bring a review forward",
    PAPERWORK_SENT: "record decisions sent",
    RAISE_IR: "raise an IR",
    CORRECT_REVIEW: "correct a review",
    IR_ACTION: "escalate an IR",
}


def route(intent: Intent) -> Route:
    """What answers ``intent`` (every intent has a row: a test checks it)."""
    return ROUTES[intent]
