"""Which intent a message has: weighted cue phrases over the mended words, plus a few facts.

No model is trained: the product must run without a cloud service and explain itself, and the
corpus in tests/unit/utterances.json is a test set, not training data. Each intent has cue
phrases with weights (a strong verb such as "bring ... forward" outweighs the word "review",
which nearly every message has); facts found by the entity extractors add to them (an IR
reference, a period, an overdue word, a child). The highest score wins if it reaches
THRESHOLD; ties go to the earlier intent in PRIORITY. Whole-message intents (cancel, greeting,
thanks, help) are decided first, because "stop" or "thanks" mean the same wherever they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from understanding.model import ChildDetail, Intent, Scope

THRESHOLD = 2.5


@dataclass(frozen=True, slots=True)
class Facts:
    has_child: bool  # a name, an id or a pronoun
    has_name: bool  # a name or an id (not a pronoun)
    has_ir_ref: bool
    has_period: bool
    has_date: bool
    overdue: bool
    has_ir_reasons: bool
    past_date: bool  # an explicit numeric date before today
    #: The last message was about one IR (a status, an action): "it" can mean that IR.
    it_is_an_ir: bool = False


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Singular: "raise an issue" is an IR; "issue resolutions" (plural) is a list of them.
_IR = r"(?:ir|issues? resolution|dispute resolution|dispute|issue)(?! resolutions)"
_IRS = r"(?:irs|issues? resolutions|dispute resolutions|disputes)"
_ANY_IR = _c(rf"\b(?:{_IR}|{_IRS})\b")
_SINGULAR_IR = _c(r"\bir\b|\bissues? resolution\b|\bdispute resolution\b")

_PAPERWORK = r"(?:decisions?|minutes|paperwork)"
_SENT = r"(?:sent|send|emailed|circulated|distributed|issued|shared|went out|gone out)"
# "Have the minutes been sent?" asks; it records nothing.
_ASKS = _c(r"^(?:when|have|has|were|was|did|are|is|will|should|do|does|what|which|why|how)\b")

# (intent, pattern, weight). Patterns run over the mended words joined by single spaces.
_CUES: tuple[tuple[Intent, re.Pattern[str], float], ...] = (
    # Child protection conferences: specific words, so a strong cue.
    (Intent.CP_CONFERENCE_DUE, _c(r"\b(?:cp|icpc|rcpc|child protection)\b"), 5),
    (Intent.CP_CONFERENCE_DUE, _c(r"\bconferences?\b"), 5),
    # Bringing a review forward (CIC-BF).
    (
        Intent.BRING_FORWARD,
        _c(
            r"\b(?:bring|brought|bringing|move|moving|pull)\b(?: \S+){0,5} "
            r"(?:forward|forwards|earlier|sooner)\b"
        ),
        6,
    ),
    (Intent.BRING_FORWARD, _c(r"\b(?:earlier|sooner) review\b|\breview (?:earlier|sooner)\b"), 6),
    # Booking.
    (Intent.BOOK_REVIEW, _c(r"\b(?:book|booked|booking|schedule|scheduled|arrange|arranged)\b"), 4),
    (Intent.BOOK_REVIEW, _c(r"\b(?:put|pop)\b.*\b(?:diary|calendar)\b"), 4),
    (Intent.BOOK_REVIEW, _c(r"\bset\b(?: \S+){0,4} (?:date|for|to)\b"), 4),
    # Recording a review held.
    (
        Intent.RECORD_REVIEW,
        _c(r"\b(?:held|chaired|took place|happened|completed|finished|done|recorded)\b"),
        3,
    ),
    (Intent.RECORD_REVIEW, _c(r"\b(?:record|log|logged|mark|marked)\b"), 3),
    (Intent.RECORD_REVIEW, _c(r"\b(?:had|did|attended) (?:\S+ ){0,4}review\b"), 3),
    # A review's paperwork sent: the decisions or minutes named with a verb of sending.
    (Intent.RECORD_SENT, _c(rf"\b{_PAPERWORK}\b(?: \S+){{0,6}} {_SENT}\b"), 7),
    (Intent.RECORD_SENT, _c(rf"\b{_SENT}\b(?: \S+){{0,6}} {_PAPERWORK}\b"), 7),
    # Explaining a date.
    (Intent.EXPLAIN, _c(r"\b(?:why|explain|explanation|calculated|calculate|calculation)\b"), 5),
    (
        Intent.EXPLAIN,
        _c(r"\bhow come\b|\bwork (?:that|it|this) out\b|\bworked (?:that|it) out\b"),
        5,
    ),
    (Intent.EXPLAIN, _c(r"\b(?:which|what) (?:rule|regulation|basis)\b|\bcome from\b"), 5),
    # Issues Resolution.
    (
        Intent.RAISE_IR,
        _c(
            rf"\b(?:raise|raising|start|open|new|create|lodge|submit|log|formal|informal)\b"
            rf"(?: \S+){{0,3}} {_IR}\b"
        ),
        5,
    ),
    (Intent.RAISE_IR, _c(r"\bchallenge\b"), 4),
    (
        Intent.RAISE_IR,
        _c(
            r"\bescalate (?:my |some |the |these |our )?(?:concerns?|worries|issues)"
            r"\b"
        ),
        7,
    ),
    (Intent.RAISE_IR, _SINGULAR_IR, 1.5),
    (Intent.ESCALATE_IR, _c(r"\bescalat\w*\b"), 5),
    (Intent.ESCALATE_IR, _c(r"\bup to stage\b"), 5),
    (
        Intent.IR_STATUS,
        _c(
            r"\b(?:status|update on|up to(?! stage)|happening with|answered|responded|progress"
            r"|what stage|where is|where are)\b"
        ),
        4,
    ),
    (Intent.MY_IRS, _c(rf"\b{_IRS}\b"), 3),
    (Intent.MY_IRS, _c(r"\b(?:my|mine|me|i)\b"), 0.5),
    # Reviews due.
    (Intent.NEXT_REVIEW, _c(r"\breviews?\b"), 1),
    (Intent.NEXT_REVIEW, _c(r"\bnext\b"), 1),
    (Intent.NEXT_REVIEW, _c(r"\b(?:when|what date|date)\b"), 1),
    (Intent.NEXT_REVIEW, _c(r"\bdue\b(?! to\b)|\bcoming up\b"), 1),
    (
        Intent.DUE_FOR_ME,
        _c(r"\bdue\b(?! to\b)|\bcoming up\b|\bupcoming\b|\bgot on\b|\bhave on\b"),
        1.5,
    ),
    (Intent.DUE_FOR_ME, _c(r"\b(?:my|me|i|mine|caseload)\b"), 1),
    (Intent.DUE_FOR_ME, _c(r"\breviews\b"), 1),
    (Intent.DUE_FOR_ME, _c(r"\b(?:what|which|anything|any|list|show)\b"), 0.5),
    # A fact about one child (which fact: ``DETAILS``); "tell me about Jamie" asks for them all.
    (Intent.CHILD_DETAILS, _c(r"\btell me about\b|\bdetails\b|\binformation (?:on|about|for)\b"
                              r"|\bwho is\b(?! (?:due|overdue|late))"), 3),
    # The reviews booked: a question with "booked" in it ("what have I got booked?").
    (Intent.BOOKED_REVIEWS, _c(r"\bbookings\b"), 3),
    (Intent.BOOKED_REVIEWS, _c(r"\bbooked reviews?\b|\breviews (?:i have |i've )?booked\b"), 6),
    # The children on a caseload.
    (Intent.MY_CASELOAD, _c(r"\bhow many (?:children|kids|young people|cic|cases|child)\b"
                            r"|\bnumber of (?:children|kids|young people|cic|cases)\b"), 6),
    (Intent.MY_CASELOAD, _c(r"\b(?:list|show|who are|who is|who's)\b(?: \S+){0,3} "
                            r"(?:children|kids|young people|cases|caseload)\b"), 4),
    (Intent.MY_CASELOAD, _c(r"\bcaseload\b|\bmy (?:children|kids|cases)\b"
                            r"|\bwho do (?:i|we) have\b"), 3),
    # The IR actions a message can take (guarded in ``score``: an IR must be meant).
    (Intent.RESPOND_IR, _c(r"\b(?:respond|reply|response|answer)\b"), 4),
    (Intent.DECLINE_IR, _c(r"\b(?:decline|declined|reject|rejected|refuse|turn down"
                           r"|do not accept|don't accept|dont accept|not accepted)\b"), 6),
    (Intent.RESOLVE_IR, _c(r"\b(?:resolve|resolved|close|closed|sorted|settled)\b"), 6),
    (Intent.REFER_IR, _c(r"\bcafcass\b"), 8),
    (Intent.REFER_IR, _c(r"\b(?:refer|referral|referred)\b"), 3),
    # Correcting what was recorded about a review ("change the participation for Jamie's last
    # review", "the late reason for Kai's review was wrong").
    (Intent.CORRECT_REVIEW, _c(r"\b(?:change|correct|correcting|update|amend|fix|edit)\b"
                               r"(?: \S+){0,6} (?:participation|late reason|reason|part 1 reason"
                               r"|where(?: \S+){0,6} held|location|locality|venue"
                               r"|chaired|chair)\b"), 9),
    (Intent.CORRECT_REVIEW, _c(r"\b(?:correct|amend|fix|edit)\b(?: \S+){0,4} reviews?\b"
                               r"|\bchange what (?:was|i) recorded\b"), 3.5),
    (Intent.CORRECT_REVIEW, _c(r"\b(?:participation|late reason|reason|locality|location|venue)"
                               r"\b(?: \S+){0,6} (?:wrong|incorrect|mistake)\b"), 9),
    # Notes: not kept here (the route says where they belong), but never a review recorded.
    (Intent.ADD_NOTE, _c(r"\b(?:add|make|put|leave|write|record|log|take)\b(?: \S+){0,3} "
                         r"(?:note|notes)\b|\bnote (?:on|to|for|that|in)\b|\bcase note\b"), 9),
)

#: Which fact a CHILD_DETAILS question asks for (checked in this order).
DETAILS: tuple[tuple[ChildDetail, re.Pattern[str]], ...] = (
    (ChildDetail.LEGAL_STATUS, _c(r"\blegal (?:status|order)\b|\b(?:section|s) ?(?:20|31)\b"
                                  r"|\b(?:interim )?care order\b|\bplacement order\b")),
    (ChildDetail.UASC, _c(r"\b(?:uasc|unaccompanied|asylum)\b")),
    (ChildDetail.CARE_START, _c(
        r"\b(?:come|came|coming|go|went|enter|entered|brought) (?:in ?to|in) care\b"
        r"|\b(?:become|became|been) (?:looked after|cic)\b|\bin care since\b"
        r"|\blooked after since\b|\bdate (?:in|into) care\b|\b(?:start|started) (?:of )?care\b"
        r"|\bhow long\b.*\bin care\b|\bperiod of care\b|\bcare start\b")),
    (ChildDetail.AGE, _c(r"\bhow old\b|\bage\b|\baged\b|\bdob\b|\bdate of birth\b"
                         r"|\bbirthday\b|\bborn\b")),
    (ChildDetail.SOCIAL_WORKER, _c(r"\b(?:social worker|sw|allocated worker|case worker"
                                   r"|caseworker)\b")),
    (ChildDetail.IRO, _c(r"\b(?:iro|reviewing officer)\b")),
)

_ASKS_FOR = _c(r"\b(?:tell me|remind me|need to know|check|confirm|find out|look up)\b")
_TEAM = _c(r"\b(?:team|team's|teams|service area|area|our|everyone's|everybody's|colleagues)\b")
_SERVICE = _c(r"\b(?:whole service|the service|service wide|across the service|all children"
              r"|every child|all the children|all cic|all looked after|authority|la wide"
              r"|everyone)\b")

# A question about the record, not a request to change it: "what have I got booked?", "show
# me the IR for Ivy". A polite request ("can you book ...", "I need to raise ...") is not one.
QUESTION = _c(
    r"^(?:when|what|what's|whats|which|who|whose|who's|why|how|is|are|has|have|was|were|does"
    r"|show|list|tell me|any|anything|where)\b|\?$"
)
REQUEST = _c(
    r"^(?:(?:can|could|would|will) (?:you|u|i|we)|(?:i|we) (?:need|want|would like|'d like)"
    r"|please|pls|plz)\b"
)

# The scope of "my IRs".
SCOPE_AWAITING = _c(
    r"\b(?:waiting for me|awaiting (?:my|me)|for me to|respond to|to answer|need to answer"
    r"|my response|my approval|to approve|sign off|assigned to me|with me|need to respond)\b"
)
SCOPE_RAISED = _c(r"\b(?:i raised|have i raised|raised by me|did i raise|i opened|i started)\b")

# Messages that are one thing whole.
_CANCEL = _c(
    r"^(?:oh )?(?:cancel|stop|quit|abort|exit|nevermind|never mind|forget (?:it|that|this|about it)"
    r"|start again|start over)(?: (?:it|that|this|now|please|thanks|then))*$"
)
_HELP = _c(
    r"^(?:help(?: me| please)?|\?|commands?|menu|options|what can (?:you|i) (?:do|ask(?: you)?|say)"
    r"(?: for me)?|how do i use (?:this|you|it|the bot)|what do you do|how does this work"
    r"|instructions|what are the commands)$"
)
_GREETING_WORDS = frozenset({
    "afternoon", "again", "all", "bot", "evening", "everyone", "good", "greetings", "hello",
    "hey", "hi", "hiya", "morning", "there", "yo",
})  # fmt: skip
_THANKS_WORDS = frozenset({
    "brilliant", "cheers", "cool", "great", "helpful", "is", "lots", "lovely", "many", "much",
    "ok", "okay", "perfect", "so", "thank", "thanks", "that", "very", "you",
})  # fmt: skip
_FOLLOW_UP = _c(r"^(?:and|what about|how about|same for|also|then|ok|okay)\b")

PRIORITY = (
    Intent.CORRECT_REVIEW, Intent.ADD_NOTE, Intent.REFER_IR, Intent.DECLINE_IR,
    Intent.RESOLVE_IR, Intent.RESPOND_IR,
    Intent.MY_CASELOAD, Intent.CHILD_DETAILS, Intent.BOOKED_REVIEWS,
    Intent.BRING_FORWARD, Intent.ESCALATE_IR, Intent.RAISE_IR, Intent.IR_STATUS, Intent.MY_IRS,
    Intent.CP_CONFERENCE_DUE, Intent.EXPLAIN, Intent.BOOK_REVIEW, Intent.RECORD_SENT,
    Intent.RECORD_REVIEW, Intent.NEXT_REVIEW, Intent.DUE_FOR_ME,
)  # fmt: skip


def whole_message_intent(words: list[str]) -> tuple[Intent | None, int]:
    """CANCEL/HELP/GREETING/THANKS when that is all the message says; else how many leading
    greeting words to ignore ("Hi, when is..." is a question, not a greeting)."""
    text = " ".join(w for w in words if w not in ("please", "?"))
    if _CANCEL.match(text):
        return Intent.CANCEL, 0
    if _HELP.match(text) or (not text and words):  # "?" alone asks for help
        return Intent.HELP, 0
    lead = 0
    while lead < len(words) and words[lead] in _GREETING_WORDS:
        lead += 1
    rest = [w for w in words[lead:] if w != "?"]
    if lead and not rest:
        return Intent.GREETING, lead
    if (
        rest
        and all(w in _THANKS_WORDS for w in rest)
        and any(w in ("thanks", "thank", "cheers") for w in rest)
    ):
        return Intent.THANKS, lead
    return None, lead


def score(text: str, facts: Facts) -> dict[Intent, float]:
    scores = dict.fromkeys(PRIORITY, 0.0)
    for intent, pattern, weight in _CUES:
        if pattern.search(text):
            scores[intent] += weight
    any_ir = bool(_ANY_IR.search(text)) or facts.has_ir_ref
    if not any_ir:
        scores[Intent.IR_STATUS] = 0.0
        scores[Intent.MY_IRS] = 0.0
        if not re.search(r"\b(?:this|it|that)\b.*\bstage\b|\bstage\b", text):
            scores[Intent.ESCALATE_IR] = min(scores[Intent.ESCALATE_IR], 2.0)
    else:
        # An IR is about; the words "review", "due" and "when" are about IRs now, not reviews.
        scores[Intent.NEXT_REVIEW] = 0.0
        scores[Intent.DUE_FOR_ME] = 0.0
        if SCOPE_AWAITING.search(text) or SCOPE_RAISED.search(text):
            scores[Intent.MY_IRS] += 3
            scores[Intent.RAISE_IR] = 0.0  # "IRs I raised" asks about them, it raises none
        if facts.has_ir_reasons:
            scores[Intent.RAISE_IR] += 2
        if facts.has_child and not re.search(rf"\b{_IRS}\b", text):
            scores[Intent.RAISE_IR] += 1
    if facts.has_ir_ref:
        scores[Intent.IR_STATUS] += 3
        scores[Intent.ESCALATE_IR] += 1
        scores[Intent.RAISE_IR] = 0.0  # a reference means the IR exists already
    # An action on an IR needs one IR meant: a reference, "the IR" (not a list), or "it"
    # straight after one was discussed. "IRs waiting for my response" lists them.
    one_ir = facts.has_ir_ref or bool(_SINGULAR_IR.search(text)) or (
        facts.it_is_an_ir and bool(re.search(r"\b(?:it|this|that|this one|that one)\b", text)))
    plural = bool(re.search(rf"\b{_IRS}\b", text))
    for action in (Intent.RESPOND_IR, Intent.DECLINE_IR, Intent.RESOLVE_IR, Intent.REFER_IR):
        awaiting = action is Intent.RESPOND_IR and not facts.has_ir_ref \
            and bool(SCOPE_AWAITING.search(text))  # "IRs I need to respond to" lists them
        if not one_ir or plural or awaiting:
            scores[action] = 0.0
        elif scores[action]:
            scores[action] += 3  # the verb and the IR together outweigh the status words
    if facts.it_is_an_ir and not any_ir and re.search(r"\b(?:it|this|that)\b", text):
        scores[Intent.ESCALATE_IR] = max(scores[Intent.ESCALATE_IR], 5.0 if re.search(
            r"\bescalat\w*\b", text) else 0.0)  # fmt: skip
    if detail_of(text) is not None and (QUESTION.search(text) or _ASKS_FOR.search(text)):
        # Asked about ("who is Kai's SW?"), not mentioned ("late because the SW was off").
        scores[Intent.CHILD_DETAILS] += 5 if facts.has_child else 2
    elif not facts.has_child:
        scores[Intent.CHILD_DETAILS] = 0.0
    if re.search(r"\bbooked\b", text) and QUESTION.search(text) and not REQUEST.search(text):
        scores[Intent.BOOKED_REVIEWS] += 6  # "what have I got booked?" asks; it books nothing
    if re.search(r"\b(?:due|overdue|late|reviews|conferences?|irs?)\b", text) or facts.overdue:
        scores[Intent.MY_CASELOAD] = max(0.0, scores[Intent.MY_CASELOAD] - 4)
    if facts.has_period:
        scores[Intent.DUE_FOR_ME] += 2.5
    elif facts.has_date and re.search(r"\bdue\b(?! to\b)", text):
        scores[Intent.DUE_FOR_ME] += 1  # "anything due today?"
    if facts.overdue:
        scores[Intent.DUE_FOR_ME] += 2.5
    if facts.has_child:
        scores[Intent.NEXT_REVIEW] += 1.5
    if facts.past_date:
        scores[Intent.RECORD_REVIEW] += 1
    if _ASKS.search(text):
        scores[Intent.RECORD_SENT] = 0.0
    # "When does her review need to be held by?" asks for a due date; it records nothing.
    if re.search(r"\b(?:when|what date)\b", text) and not facts.past_date:
        scores[Intent.RECORD_REVIEW] = max(0.0, scores[Intent.RECORD_REVIEW] - 3)
    return scores


def detail_of(text: str) -> ChildDetail | None:
    """Which fact about a child the words ask for, if any."""
    for detail, pattern in DETAILS:
        if pattern.search(text):
            return detail
    return None


#: Which detail of a review a correction names, checked in this order.
REVIEW_FIELDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("part1_reason", _c(r"\bpart (?:1|one) reason\b|\bwhy (?:only )?part (?:1|one)\b")),
    ("late_reason", _c(r"\blate reason\b|\breason\b|\bwhy (?:it|the review) was late\b")),
    ("participation", _c(r"\bparticipation\b|\btook part\b|\bpn[0-7]\b")),
    ("chaired_by_child", _c(r"\bchaired\b|\bchair\b")),
    ("held_at", _c(r"\bwhere\b|\blocation\b|\blocality\b|\bvenue\b|\bheld at\b")),
)


def review_field_of(text: str) -> str | None:
    for name, pattern in REVIEW_FIELDS:
        if pattern.search(text):
            return name
    return None


def scope_of(text: str) -> Scope | None:
    """ "across the team" / "the whole service"; None means the user's own."""
    if _SERVICE.search(text):
        return Scope.SERVICE
    if _TEAM.search(text):
        return Scope.TEAM
    return None


def mentions_ir(text: str) -> bool:
    return bool(_ANY_IR.search(text))


def best(scores: dict[Intent, float]) -> tuple[Intent, float]:
    top = max(scores.values())
    for intent in PRIORITY:
        if scores[intent] == top:
            return intent, top
    raise AssertionError("unreachable")


def is_follow_up(text: str) -> bool:
    return bool(_FOLLOW_UP.match(text))
