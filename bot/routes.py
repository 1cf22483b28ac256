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
from dialogs import BOOK_REVIEW, BRING_FORWARD, PAPERWORK_SENT, RAISE_IR, RECORD_REVIEW
from domain.permissions import Change, who_may
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
    needs_child: bool = False
    use_case: str = ""
    for_whom: str = "any member of staff (what they may see)"

    @property
    def writes(self) -> bool:
        """Only a dialog changes the record, and only after the user confirms."""
        return self.dialog is not None


def _help(staff: StaffMember) -> Reply:
    return Reply(card=help_card(staff))


ROUTES: dict[Intent, Route] = {
    Intent.HELP: Route(reply=_help),
    Intent.GREETING: Route(reply=_help),
    Intent.THANKS: Route(reply=lambda _: Reply(text="You're welcome.")),
    Intent.CANCEL: Route(reply=lambda _: Reply(text=NOTHING_TO_CANCEL)),
    Intent.UNKNOWN: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
    # Notes are not kept here: said plainly, with what can be recorded instead.
    Intent.ADD_NOTE: Route(reply=lambda _: Reply(text=NOTES_BELONG_IN_THE_RECORD)),
    # Being built (issue 17, items 7 and 8); understand() does not return these yet.
    Intent.CHILD_DETAILS: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
    Intent.BOOKED_REVIEWS: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
    Intent.MY_CASELOAD: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
    Intent.RESPOND_IR: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
    Intent.DECLINE_IR: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
    Intent.RESOLVE_IR: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
    Intent.REFER_IR: Route(reply=lambda _: Reply(text=DIDNT_UNDERSTAND)),
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
    # "Escalate IR-..." in chat shows the IR (or the list): escalating is a card button.
    Intent.ESCALATE_IR: Route(answer=answers.irs_or_status,
                              use_case="services.caseload.irs_for / ir_status"),
    Intent.IR_STATUS: Route(answer=answers.ir_status, use_case="services.caseload.ir_status"),
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


def route(intent: Intent) -> Route:
    """What answers ``intent`` (every intent has a row: a test checks it)."""
    return ROUTES[intent]
