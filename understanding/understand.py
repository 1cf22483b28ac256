"""understand(text, today, context) -> Understanding: the one entry point for a chat message."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from domain.dates import DateFormatError
from domain.rules import RuleSet, load_rules
from understanding import entities
from understanding.dates import (
    Canonical,
    DateMention,
    Direction,
    PeriodMention,
    find_dates,
    find_periods,
)
from understanding.intents import (
    QUESTION,
    REQUEST,
    SCOPE_AWAITING,
    SCOPE_RAISED,
    THRESHOLD,
    Facts,
    best,
    detail_of,
    is_follow_up,
    mentions_ir,
    review_field_of,
    scope_of,
    score,
    whole_message_intent,
)
from understanding.model import (
    CHILD_INTENTS,
    IR_ACTION_INTENTS,
    ChildRef,
    ChildRefKind,
    ConversationContext,
    DuePeriod,
    Intent,
    IrScope,
    Understanding,
)
from understanding.summaries import Topic
from understanding.summaries import recognise as recognise_summary
from understanding.text import Token, clean, tokenise

_NO_CONTEXT = ConversationContext()
_OVERDUE = re.compile(
    r"\b(?:overdue|out of time|past due|missed|breached|gone over|outstanding)\b"
    r"|\b(?:any|anything|which|what|are|is|ones?)\b.*\blate\b(?! (?:because|due|as|since))"
    r"|\blate ones\b"
)
# Intents whose date words describe a range of days rather than one date.
_LISTING = frozenset({Intent.DUE_FOR_ME, Intent.CP_CONFERENCE_DUE})
_PART_INTENTS = frozenset({Intent.RECORD_REVIEW, Intent.BOOK_REVIEW})
_STAGE_INTENTS = frozenset({Intent.RAISE_IR, Intent.ESCALATE_IR})
# After these, a message that is only a child's name asks the same thing about that child.
_CHILD_FOLLOW_UPS = frozenset(
    {Intent.NEXT_REVIEW, Intent.CP_CONFERENCE_DUE, Intent.EXPLAIN, Intent.MY_IRS, Intent.IR_STATUS}
)


#: The score of a message that is one thing whole ("help", "cancel") or a service figure.
SURE = 10.0
_SUMMARY_INTENT = {Topic.IRS: Intent.IR_SUMMARY, Topic.REVIEWS: Intent.REVIEW_SUMMARY}

#: The intents that change the record (each starts a dialog that writes after a yes).
WRITE_INTENTS = frozenset({
    Intent.RECORD_REVIEW, Intent.RECORD_SENT, Intent.BOOK_REVIEW, Intent.BRING_FORWARD,
    Intent.RAISE_IR, Intent.CORRECT_REVIEW, *IR_ACTION_INTENTS,
})  # fmt: skip
#: A question about a change reads the record instead: "what have I got booked?" lists the
#: bookings, "show me the IR for Ivy" shows it. Writes with no question to read are unsure.
_READ_INSTEAD = {
    Intent.BOOK_REVIEW: Intent.BOOKED_REVIEWS, Intent.BRING_FORWARD: Intent.EXPLAIN,
    Intent.RAISE_IR: Intent.IR_STATUS, **dict.fromkeys(IR_ACTION_INTENTS, Intent.IR_STATUS),
}  # fmt: skip
#: After these, "it" can mean the IR last discussed.
_ABOUT_ONE_IR = frozenset({Intent.IR_STATUS, Intent.RAISE_IR, *IR_ACTION_INTENTS})
_COUNT = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b|\btotal\b")
_SCOPED = frozenset({Intent.DUE_FOR_ME, Intent.MY_CASELOAD, Intent.BOOKED_REVIEWS})
_ACTION_TEXT = re.compile(
    r"(?::|\s[-–—]\s|\b(?:saying|because|as|reason|outcome|response|with the response|"
    r"answer|noting)\b:?)\s*(?P<text>.+)$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _default_rules() -> RuleSet:
    return load_rules()


def understand(
    text: str,
    today: date,
    context: ConversationContext | None = None,
    rules: RuleSet | None = None,
) -> Understanding:
    """The intent of ``text`` and its entities; never raises for any string.

    ``today`` is the authority's date (Europe/London); relative dates count from it.
    ``rules`` supplies stage names, owner titles and IR reason labels (default: the West
    Berkshire rules file).
    """
    context = context or _NO_CONTEXT
    rules = rules or _default_rules()
    # The service's figures first, and narrowly (understanding/summaries.py says which).
    if (summary := recognise_summary(text, today)) is not None:
        # Recognised narrowly, so as sure as a message gets.
        return Understanding(_SUMMARY_INTENT[summary.topic], summary=summary, score=SURE)
    cleaned = clean(text)
    ir_refs, cleaned = entities.find_ir_refs(cleaned)
    child_ids, cleaned = entities.find_child_ids(cleaned)
    tokens = tokenise(cleaned, context.known_names)
    if not tokens and not child_ids and not ir_refs:
        return Understanding(Intent.UNKNOWN)
    words = [t.word for t in tokens]
    whole, lead = whole_message_intent(words)
    if whole is not None:
        return Understanding(whole, score=SURE)

    canon = Canonical(tokens)
    dates = find_dates(canon, cleaned, today)
    periods = find_periods(canon, cleaned, dates)
    date_tokens = {i for d in dates for i in range(d.first, d.last + 1)}
    period_tokens = {i for p in periods for i in range(p.first, p.last + 1)}
    for i in date_tokens | period_tokens:
        tokens[i].used = True
    overdue = bool(_OVERDUE.search(canon.text))
    about_ir = bool(ir_refs) or mentions_ir(canon.text)
    ir_reasons = entities.find_ir_reasons(canon, rules) if about_ir else ()

    name, _ = entities.find_name(tokens, context.known_names, len(tokens))
    pronoun = entities.find_pronoun(tokens, len(tokens))
    true_periods = [p for p in periods if not _is_plain_date(p, dates)]
    facts = Facts(
        has_child=bool(child_ids or name or pronoun),
        has_name=bool(child_ids or name),
        has_ir_ref=bool(ir_refs),
        has_period=bool(true_periods),
        has_date=bool(dates),
        overdue=overdue,
        has_ir_reasons=bool(ir_reasons),
        past_date=_explicit_past(dates, tokens, today),
        it_is_an_ir=context.last_intent in _ABOUT_ONE_IR and context.last_ir is not None,
    )
    scored_text = " ".join(words[lead:])
    scores = score(scored_text, facts)
    intent, top = best(scores)
    if top < THRESHOLD:
        intent = _without_cues(scored_text, facts, context, name, tokens)
        top = 0.0
    unsure = False
    if intent in WRITE_INTENTS and QUESTION.search(scored_text) \
            and not REQUEST.search(scored_text):  # fmt: skip
        # A question never starts a change: it reads the record, or (no such reading) the
        # handler asks whether a change was meant ("Do you want to record a review for Ivy?").
        intent = _READ_INSTEAD.get(intent, intent)
        unsure = intent in WRITE_INTENTS
    if intent is Intent.DUE_FOR_ME and facts.has_child:
        intent = Intent.NEXT_REVIEW  # "what's due for Jamie" is about Jamie's review

    reason: str | None = None
    if intent in (Intent.RECORD_REVIEW, Intent.BRING_FORWARD):
        reason, cue_at = entities.find_reason(tokens, canon, cleaned, date_tokens)
        if cue_at < len(tokens):
            # The reason is free text: look for the child before it when they are named there.
            early_name, _ = entities.find_name(tokens, context.known_names, cue_at)
            if early_name or entities.find_pronoun(tokens, cue_at):
                name = early_name
                pronoun = entities.find_pronoun(tokens, cue_at)

    child = _child_ref(child_ids, name, pronoun, context) if intent in CHILD_INTENTS else None
    if child is None and intent is Intent.EXPLAIN and context.last_intent in _ABOUT_ONE_CHILD:
        # "why?" / "why's that?" straight after a date about one child asks about that date.
        child = ChildRef(ChildRefKind.PRONOUN, "that", context.last_child)
    # "CP conferences due this month" lists; "Kai's next CP conference" is about one child.
    listing = intent in _LISTING and not (child and intent is Intent.CP_CONFERENCE_DUE)
    # An IR action's dates belong to the words it carries ("visit booked for Tuesday").
    dateless = listing or intent in IR_ACTION_INTENTS
    when, when_text, date_error = (None, None, None) if dateless else _the_date(intent, dates,
                                                                                today)
    if intent is Intent.RAISE_IR and not ir_reasons:
        ir_reasons = entities.find_ir_reasons(canon, rules)  # "escalate concerns about ..."
    ir_ref = ir_refs[0] if ir_refs else None
    if ir_ref is None and intent in _ABOUT_ONE_IR and facts.it_is_an_ir \
            and re.search(r"\b(?:it|this|that)\b", scored_text):  # fmt: skip
        ir_ref = context.last_ir  # "escalate it" straight after its status
    if intent in IR_ACTION_INTENTS:
        reason = _action_text(cleaned)
    return Understanding(
        intent=intent,
        child=child,
        date=when,
        date_text=when_text,
        date_error=date_error,
        period=_the_period(periods, overdue, today) if listing else None,
        part=entities.find_part(canon) if intent in _PART_INTENTS else None,
        reason=reason,
        ir_ref=ir_ref,
        stage=entities.find_stage(canon, rules) if intent in _STAGE_INTENTS else None,
        ir_reasons=ir_reasons if intent is Intent.RAISE_IR else (),
        ir_scope=_scope(scored_text) if intent is Intent.MY_IRS else None,
        paperwork=entities.find_paperwork(canon) if intent is Intent.RECORD_SENT else (),
        detail=detail_of(scored_text) if intent is Intent.CHILD_DETAILS else None,
        scope=scope_of(scored_text) if intent in _SCOPED else None,
        count_only=intent is Intent.MY_CASELOAD and bool(_COUNT.search(scored_text)),
        review_field=review_field_of(scored_text) if intent is Intent.CORRECT_REVIEW else None,
        score=top,
        unsure=unsure,
    )


def _action_text(cleaned: str) -> str | None:
    """What an IR action's message says after its command: the response, the reason for
    declining or escalating, the outcome ("respond to IR-2026-0012: SW allocated Monday")."""
    found = _ACTION_TEXT.search(cleaned)
    if found is None:
        return None
    said = found.group("text").strip(" .,;:-–—")
    return said or None


def _without_cues(
    text: str, facts: Facts, context: ConversationContext, name: str | None, tokens: list[Token]
) -> Intent:
    """No intent stands out: a follow-up to the last question, a bare name, or UNKNOWN."""
    last = context.last_intent
    follow_up = is_follow_up(text)
    if last in _CHILD_FOLLOW_UPS and facts.has_child and (follow_up or _only_a_name(tokens)):
        return last
    if last in _LISTING and (facts.has_period or facts.overdue) and not facts.has_name:
        return last
    if name and facts.has_name and _only_a_name(tokens):
        # Just a child's name: the question the bot answers most is when their review is due.
        return Intent.NEXT_REVIEW
    return Intent.UNKNOWN


_FILLER = frozenset({"and", "what", "about", "how", "for", "the", "please", "?", "then", "ok",
                     "okay", "same", "also", "so", "is", "re", "child"})  # fmt: skip


def _only_a_name(tokens: list[Token]) -> bool:
    """Every word is part of a name, a pronoun, or filler such as "and" / "what about"."""
    named = False
    for token in tokens:
        if token.kind == "q" or token.word in _FILLER:
            continue
        # A vocabulary word is only fine when it is written as part of the name ("Will's").
        vocabulary = token.known and token.word not in entities.PRONOUNS and not token.used
        if vocabulary and not (token.capital and not token.initial):
            return False
        named = True
    return named


# Answers about one child, after which a bare "why?" means that child's date.
_ABOUT_ONE_CHILD = frozenset({Intent.NEXT_REVIEW, Intent.EXPLAIN, Intent.CP_CONFERENCE_DUE})


def _child_ref(
    child_ids: list[str], name: str | None, pronoun: Token | None, context: ConversationContext
) -> ChildRef | None:
    """An id beats a name beats a pronoun: "Liam's review ... as he's moving" is about Liam."""
    if child_ids:
        return ChildRef(ChildRefKind.ID, child_ids[0])
    if name:
        return ChildRef(ChildRefKind.NAME, name)
    if pronoun is not None:
        return ChildRef(ChildRefKind.PRONOUN, pronoun.raw, context.last_child)
    return None


#: Intents whose date has already happened: "Friday" is the last one.
_PAST_INTENTS = frozenset({Intent.RECORD_REVIEW, Intent.RECORD_SENT, Intent.CORRECT_REVIEW})


def _the_date(
    intent: Intent, dates: list[DateMention], today: date
) -> tuple[date | None, str | None, str | None]:
    if not dates:
        return None, None, None
    direction = Direction.PAST if intent in _PAST_INTENTS else Direction.FUTURE
    mention = dates[0]
    try:
        return mention.evaluate(today, direction), mention.text, None
    except (DateFormatError, ValueError, OverflowError) as exc:
        return None, mention.text, str(exc)


def _the_period(periods: list[PeriodMention], overdue: bool, today: date) -> DuePeriod | None:
    for period in periods:
        try:
            start, end = period.span(today)
        except (DateFormatError, ValueError, OverflowError):
            continue
        return DuePeriod(start, end, overdue, period.text)
    if overdue:
        return DuePeriod(None, None, True, "overdue")
    return None


def _is_plain_date(period: PeriodMention, dates: list[DateMention]) -> bool:
    """A date on its own ("3rd March") rather than a range ("this week", "before 3rd March")."""
    return any(d.first == period.first and d.last == period.last for d in dates)


_FULL_NUMERIC = re.compile(r"\d+[/.\-]\d+[/.\-]\d+")


def _explicit_past(dates: list[DateMention], tokens: list[Token], today: date) -> bool:
    """A numeric date with its year, before today: "24/11/2026" is something that happened."""
    for mention in dates:
        token = tokens[mention.first]
        if mention.first == mention.last and _FULL_NUMERIC.fullmatch(token.word):
            try:
                return mention.evaluate(today, Direction.PAST) < today
            except (DateFormatError, ValueError, OverflowError):
                return False
    return False


def _scope(text: str) -> IrScope:
    if SCOPE_AWAITING.search(text):
        return IrScope.AWAITING
    if SCOPE_RAISED.search(text):
        return IrScope.RAISED
    return IrScope.ALL
