"""Dates in UK English: "next Tuesday", "3rd March", "14/1", "in two weeks", "Friday week".

Three tiers, cheapest first, so that a turn stays within a few milliseconds:

1. Numeric dates are day/month: "24/11/2026", "14/01/26", "14/1", ISO "2026-12-15". Full dates
   go through domain.dates.parse_date, the same strict parser as the command line, so MM/DD is
   refused ("12/13/2026": there is no month 13) and never read as 13 December.
2. A small grammar over the mended words covers what people type in chat: weekdays with
   next/this/last/"Friday week", day and month in either order with an optional year,
   "the 23rd", today/tomorrow/yesterday, "in N days/weeks/months", "a week today", "end of next
   week", "end of March", Christmas. It runs in microseconds.
3. Anything else that contains a month or weekday name goes to dateparser (en-GB: DATE_ORDER
   DMY, PREFER_DAY_OF_MONTH first, RELATIVE_BASE today, languages ["en"]). One DateDataParser
   per (today, direction) is built lazily and kept; results are memoised per phrase, because a
   dateparser call costs 1-9 ms on this machine (measured, see BENCHMARKS.md) against a
   whole-turn budget of 1-3 ms.

Conventions (for which dateparser's own choices differ or are missing, and why):
- A date without a year, or a bare weekday, is the next one for anything to be done (booking,
  bringing forward: ``Direction.FUTURE``) and the last one for something that happened
  (recording a review held: ``Direction.PAST``). A day-month may be today; a bare weekday never
  is ("book it for Thursday" said on a Thursday means next week).
- "next <weekday>" is that weekday in next week (Monday-Sunday), the common UK reading: said on
  Thursday 26 Nov, "next Friday" is 4 Dec, not tomorrow. dateparser says tomorrow.
- "last <weekday>" is the most recent one before today ("last Tuesday" on a Thursday is two
  days ago).
- "this <weekday>" is the one in the current week if still to come, else the next one.
- "Friday week" / "a week on Friday": the coming Friday plus 7 days (dateparser: no date).
- "14/01/26": 2026 (dateparser says 2126).
- "the 17th" follows the direction (dateparser always picks this month, even in the past).
Every date is echoed back with its weekday by the dialog before anything is saved.
"""

from __future__ import annotations

import bisect
import calendar
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.calendar import add_months
from domain.dates import DateFormatError, parse_date
from understanding.text import MONTHS, NUMBER_WORDS, WEEKDAYS, Token, clean, tokenise


class Direction(StrEnum):
    FUTURE = "future"
    PAST = "past"


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date phrase found in the message; evaluated once the intent gives its direction."""

    first: int  # token indexes, inclusive
    last: int
    text: str  # as typed
    evaluate: Callable[[date, Direction], date]  # raises DateFormatError when impossible


@dataclass(frozen=True, slots=True)
class PeriodMention:
    first: int
    last: int
    text: str
    span: Callable[[date], tuple[date, date]]


# -- calendar helpers ----------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _day_month(day: int, month: int, year: int | None, today: date, direction: Direction) -> date:
    """A day and month, in the year the direction implies when none is given."""
    if year is not None:
        return _checked(day, month, year)
    year = today.year
    if direction is Direction.FUTURE:
        for y in (year, year + 1, year + 2, year + 3, year + 4):
            candidate = _maybe(day, month, y)
            if candidate is not None and candidate >= today:
                return candidate
    else:
        for y in (year, year - 1, year - 2, year - 3, year - 4):
            candidate = _maybe(day, month, y)
            if candidate is not None and candidate <= today:
                return candidate
    return _checked(day, month, year)  # impossible in any year (31/11): say so


def _maybe(day: int, month: int, year: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _checked(day: int, month: int, year: int) -> date:
    # Through parse_date so every impossible date gets the product's one wording.
    return parse_date(f"{day:02d}/{month:02d}/{year:04d}")


def _weekday(target: int, mode: str, today: date, direction: Direction) -> date:
    delta = target - today.weekday()
    if mode == "next":
        return _week_start(today) + timedelta(days=7 + target)
    if mode == "last":
        return today - timedelta(days=(today.weekday() - target - 1) % 7 + 1)
    if mode == "this":
        return today + timedelta(days=delta if delta >= 0 else delta + 7)
    if direction is Direction.PAST:
        return today - timedelta(days=(-delta - 1) % 7 + 1)
    return today + timedelta(days=(delta - 1) % 7 + 1)


def _numeric(text: str, today: date, direction: Direction) -> date:
    """Day/month[/year] or ISO. Two-digit years are 20YY. MM/DD is refused by parse_date."""
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        return parse_date(text)
    parts = re.split(r"[/.\-]", text)
    if len(parts) == 2:
        if "/" not in text:
            raise DateFormatError(f"{text!r} is not a date I can read: write it as DD/MM/YYYY")
        day, month = int(parts[0]), int(parts[1])
        if not 1 <= month <= 12:
            return parse_date(f"{parts[0]}/{parts[1]}/{today.year}")  # raises with the hint
        return _day_month(day, month, None, today, direction)
    day_s, month_s, year_s = parts
    if len(year_s) == 2:
        year_s = f"20{year_s}"
    elif len(year_s) != 4:
        raise DateFormatError(f"{text!r} is not a date I can read: write it as DD/MM/YYYY")
    return parse_date(f"{day_s}/{month_s}/{year_s}")


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _shift(today: date, n: int, unit: str) -> date:
    unit = unit.rstrip("s")
    if unit == "month":
        return add_months(today, n)
    days = {"day": 1, "week": 7, "fortnight": 14}[unit]
    return today + timedelta(days=n * days)


# -- the grammar ---------------------------------------------------------------------------------

_WD = "|".join(WEEKDAYS)
_MON = "|".join(MONTHS)
_NUM = r"\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_UNIT = r"days?|weeks?|fortnights?|months?"
_ORDINALS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth", "twentieth",
)  # fmt: skip
_ORDINAL_WORDS = (
    r"(?:twenty|thirty) (?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|thirtieth|" + "|".join(sorted(_ORDINALS, key=len, reverse=True))
)
_ORD = rf"(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?|(?P<dw>{_ORDINAL_WORDS}))"


def _day_of(m: re.Match[str]) -> int:
    """The day of the month from digits ("3rd") or words ("twenty third")."""
    if m["d"]:
        return int(m["d"])
    words = m["dw"].split()
    tens = {"twenty": 20, "thirty": 30}.get(words[0], 0)
    return 30 if words[-1] == "thirtieth" else tens + _ORDINALS.index(words[-1]) + 1


_B = r"(?<!\S)"  # patterns match whole words of the canonical text
_E = r"(?!\S)"

Evaluator = Callable[[date, Direction], date]


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(_B + pattern + _E)


def _day_month_eval(m: re.Match[str]) -> Evaluator:
    day = _day_of(m)
    month = MONTHS.index(m["m"]) + 1
    year = int(m["y"]) if m["y"] else None
    return lambda today, direction: _day_month(day, month, year, today, direction)


def _weekday_eval(m: re.Match[str]) -> Evaluator:
    target = WEEKDAYS.index(m["wd"])
    mode = {"next": "next", "last": "last", "this": "this"}.get(m["mode"] or "", "")
    extra = {"week": 7, "fortnight": 14}.get(m["wk"] or "", 0)

    def evaluate(today: date, direction: Direction) -> date:
        # "Friday week" is always ahead: a week after the coming Friday.
        day = _weekday(target, mode, today, Direction.FUTURE if extra else direction)
        return day + timedelta(days=extra)

    return evaluate


def _week_on_eval(m: re.Match[str]) -> Evaluator:
    target = WEEKDAYS.index(m["wd"])
    extra = {"week": 7, "fortnight": 14}[m["wk"]]
    return lambda today, _direction: (
        _weekday(target, "", today, Direction.FUTURE) + timedelta(days=extra)
    )


def _relative_word_eval(m: re.Match[str]) -> Evaluator:
    words = m.group()
    if "yesterday" in words:
        days = -2 if "before" in words else -1
    elif "tomorrow" in words:
        days = 2 if "after" in words else 1
    else:
        days = 0
    return lambda today, _direction: today + timedelta(days=days)


def _in_n_eval(m: re.Match[str]) -> Evaluator:
    n = _number(m["n"] or m["n2"])
    unit = m["u"] or m["u2"]
    sign = -1 if m.group().endswith(" ago") else 1
    return lambda today, _direction: _shift(today, sign * n, unit)


def _week_today_eval(m: re.Match[str]) -> Evaluator:
    days = {"week": 7, "fortnight": 14}[m["wk"]] + (1 if m["anchor"] == "tomorrow" else 0)
    return lambda today, _direction: today + timedelta(days=days)


def _the_day_eval(m: re.Match[str]) -> Evaluator:
    day = int(m["d"] or m["d2"])

    def evaluate(today: date, direction: Direction) -> date:
        step = 1 if direction is Direction.FUTURE else -1
        month_index = today.year * 12 + today.month - 1
        for _ in range(13):
            year, month = divmod(month_index, 12)
            candidate = _maybe(day, month + 1, year)
            if candidate is not None and (candidate >= today if step == 1 else candidate <= today):
                return candidate
            month_index += step
        raise DateFormatError(f"no month has a day {day}")

    return evaluate


def _edge_of_unit_eval(m: re.Match[str]) -> Evaluator:
    edge, which, unit = m["edge"], m["which"] or "this", m["unit"]

    def evaluate(today: date, _direction: Direction) -> date:
        if unit == "week":
            monday = _week_start(today) + timedelta(days=7 if which == "next" else 0)
            return monday + timedelta(days=6) if edge == "end" else monday
        first = date(today.year, today.month, 1)
        if which == "next":
            first = add_months(first, 1)
        return _month_end(first.year, first.month) if edge == "end" else first

    return evaluate


def _edge_of_month_eval(m: re.Match[str]) -> Evaluator:
    edge, month = m["edge"], MONTHS.index(m["m"]) + 1
    year = int(m["y"]) if m["y"] else None

    def evaluate(today: date, direction: Direction) -> date:
        first = _day_month(1, month, year, date(today.year, today.month, 1), direction)
        return _month_end(first.year, first.month) if edge == "end" else first

    return evaluate


_HOLIDAYS = {
    "christmas eve": (24, 12), "christmas day": (25, 12), "christmas": (25, 12),
    "boxing day": (26, 12), "new years eve": (31, 12), "new year": (1, 1),
    "new years day": (1, 1), "new years": (1, 1),
}  # fmt: skip


def _holiday_eval(m: re.Match[str]) -> Evaluator:
    day, month = _HOLIDAYS[m.group()]
    return lambda today, direction: _day_month(day, month, None, today, direction)


def _month_only_eval(m: re.Match[str]) -> Evaluator:
    month = MONTHS.index(m["m"]) + 1
    year = int(m["y"]) if m["y"] else None
    # PREFER_DAY_OF_MONTH "first", as dateparser is configured: "before March" = before 1 March.
    return lambda today, direction: _day_month(
        1, month, year, date(today.year, today.month, 1), direction
    )


_DATE_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Evaluator]], ...] = (
    (
        _p(rf"(?:(?:{_WD}) )?(?:the )?{_ORD} (?:of )?(?P<m>{_MON})(?: (?P<y>\d{{4}}))?"),
        _day_month_eval,
    ),
    (_p(rf"(?:(?:{_WD}) )?(?P<m>{_MON}) (?:the )?{_ORD}(?: (?P<y>\d{{4}}))?"), _day_month_eval),
    (_p(rf"a (?P<wk>week|fortnight) (?:on )?(?P<wd>{_WD})"), _week_on_eval),
    (
        _p(
            rf"(?:(?P<mode>next|this coming|this|last|coming|on) )?(?P<wd>{_WD})"
            r"(?: (?P<wk>week|fortnight))?"
        ),
        _weekday_eval,
    ),
    (
        _p(
            r"(?:the )?day (?:after tomorrow|before yesterday)|today|tonight"
            r"|this (?:morning|afternoon|evening)|(?:tomorrow|yesterday)(?: (?:morning|afternoon))?"
        ),
        _relative_word_eval,
    ),
    (
        _p(
            rf"(?:in (?P<n>{_NUM}) (?P<u>{_UNIT})(?: time)?|(?P<n2>{_NUM}) (?P<u2>{_UNIT})"
            r" (?:time|from (?:now|today)|ago))"
        ),
        _in_n_eval,
    ),
    (_p(r"a (?P<wk>week|fortnight) (?P<anchor>today|tomorrow)"), _week_today_eval),
    (
        _p(
            rf"(?:(?:(?:on|for|to) )?the (?P<d>\d{{1,2}})(?:st|nd|rd|th)"
            rf"|on (?P<d2>\d{{1,2}})(?:st|nd|rd|th))(?! (?:of )?(?:{_MON})(?!\S))"
        ),
        _the_day_eval,
    ),
    (
        _p(
            r"(?:the )?(?P<edge>end|start|beginning) of (?:the )?(?:(?P<which>this|next) )?"
            r"(?P<unit>week|month)"
        ),
        _edge_of_unit_eval,
    ),
    (
        _p(rf"(?:the )?(?P<edge>end|start|beginning) of (?P<m>{_MON})(?: (?P<y>\d{{4}}))?"),
        _edge_of_month_eval,
    ),
    (
        _p(
            r"christmas eve|christmas day|christmas|boxing day|new years eve|new years day"
            r"|new years|new year"
        ),
        _holiday_eval,
    ),
)

_MONTH_ONLY = _p(
    rf"(?:in|during|by|before|until|till|from|after|for|since) "
    rf"(?P<core>(?P<m>{_MON})(?: (?P<y>\d{{4}}))?)"
)


class Canonical:
    """The tokens' words joined by single spaces, with a map from characters back to tokens."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.starts: list[int] = []
        parts: list[str] = []
        pos = 0
        for token in tokens:
            self.starts.append(pos)
            parts.append(token.word)
            pos += len(token.word) + 1
        self.text = " ".join(parts)

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        first = bisect.bisect_right(self.starts, start) - 1
        last = bisect.bisect_right(self.starts, max(start, end - 1)) - 1
        return first, last

    def typed(self, source: str, first: int, last: int) -> str:
        return source[self.tokens[first].start : self.tokens[last].end]


_SEPARATORS = re.compile(r"[/.\-]")
# Every date phrase the grammar or the fallback reads has one of these; most messages have none.
_DATEISH = re.compile(
    rf"(?<!\S)(?:{_WD}|{_MON}|today|tomorrow|yesterday|tonight|christmas|boxing|years?|"
    rf"days?|weeks?|fortnights?|months?|morning|afternoon|evening|{_ORDINAL_WORDS})(?!\S)"
    r"|\d"
)


def find_dates(canon: Canonical, source: str, today: date) -> list[DateMention]:
    """Every date phrase, leftmost first, longest where two overlap."""
    if not _DATEISH.search(canon.text):
        return []  # the fast pre-check: most messages have no date at all
    found: list[tuple[int, int, Evaluator]] = []
    for i, token in enumerate(canon.tokens):
        if token.kind == "num" and (
            token.word.count("/") == 1 or len(_SEPARATORS.findall(token.word)) == 2
        ):
            # "14/1" or three parts; "10.30" and "3-4" are times and ranges, not dates.
            text = token.word
            found.append(
                (i, i, lambda today, direction, text=text: _numeric(text, today, direction))
            )
    for pattern, make in _DATE_RULES:
        for m in pattern.finditer(canon.text):
            first, last = canon.token_range(m.start(), m.end())
            found.append((first, last, make(m)))
    for m in _MONTH_ONLY.finditer(canon.text):
        first, last = canon.token_range(m.start("core"), m.end("core"))
        found.append((first, last, _month_only_eval(m)))
    mentions = _non_overlapping(found, canon, source)
    if not mentions:
        mentions = _dateparser_fallback(canon, source, today)
    return mentions


def _non_overlapping(
    found: list[tuple[int, int, Evaluator]], canon: Canonical, source: str
) -> list[DateMention]:
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    taken: set[int] = set()
    mentions: list[DateMention] = []
    for first, last, evaluator in found:
        span = set(range(first, last + 1))
        if span & taken:
            continue
        taken |= span
        mentions.append(DateMention(first, last, canon.typed(source, first, last), evaluator))
    mentions.sort(key=lambda m: m.first)
    return mentions


# -- periods ("what's due this fortnight") --------------------------------------------------------

PeriodSpan = Callable[[date], tuple[date, date]]


def _period_this(m: re.Match[str]) -> PeriodSpan:
    unit = m["u"]

    def span(today: date) -> tuple[date, date]:
        if unit in ("week", "wk"):
            return today, _week_start(today) + timedelta(days=6)
        if unit == "fortnight":
            return today, today + timedelta(days=13)
        return today, _month_end(today.year, today.month)

    return span


def _period_next(m: re.Match[str]) -> PeriodSpan:
    unit = m["u"]

    def span(today: date) -> tuple[date, date]:
        if unit == "week":
            monday = _week_start(today) + timedelta(days=7)
            return monday, monday + timedelta(days=6)
        if unit == "fortnight":
            return today, today + timedelta(days=13)
        first = add_months(date(today.year, today.month, 1), 1)
        return first, _month_end(first.year, first.month)

    return span


def _period_coming(m: re.Match[str]) -> PeriodSpan:
    n = _number(m["n"]) if m["n"] else 1
    unit = m["u"]

    def span(today: date) -> tuple[date, date]:
        return today, _shift(today, n, unit) - timedelta(days=1)

    return span


def _period_month(m: re.Match[str]) -> PeriodSpan:
    month = MONTHS.index(m["m"]) + 1
    year = int(m["y"]) if m["y"] else None

    def span(today: date) -> tuple[date, date]:
        first = _day_month(1, month, year, date(today.year, today.month, 1), Direction.FUTURE)
        return first, _month_end(first.year, first.month)

    return span


_PERIOD_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], PeriodSpan]], ...] = (
    (_p(r"(?:this|the current) (?P<u>week|fortnight|month)"), _period_this),
    (_p(r"(?:in |over |during |for )?(?:the )?next (?P<u>week|fortnight|month)"), _period_next),
    (
        _p(
            rf"(?:in |over |during |for |within )?(?:the )?(?:next|coming|following) "
            rf"(?:(?P<n>{_NUM}) )?(?P<u>{_UNIT})"
        ),
        _period_coming,
    ),
    (_p(rf"(?:in|during) (?P<m>{_MON})(?: (?P<y>\d{{4}}))?"), _period_month),
)

#: Words before a date that make it the end of a period starting today; "before" excludes it.
_UNTIL = re.compile(
    r"(?:^|\s)(?P<op>before|by|until|till|up to|no later than|between (?:now|today)"
    r" and|from (?:now|today) (?:to|until|till))\s*$"
)


def find_periods(canon: Canonical, source: str, dates: list[DateMention]) -> list[PeriodMention]:
    """Periods, and dates read as periods: "before 3rd March", "by 18/12", a single day."""
    periods: list[PeriodMention] = []
    taken: set[int] = set()
    for pattern, make in _PERIOD_RULES:
        for m in pattern.finditer(canon.text):
            first, last = canon.token_range(m.start(), m.end())
            if taken & set(range(first, last + 1)):
                continue
            taken |= set(range(first, last + 1))
            periods.append(PeriodMention(first, last, canon.typed(source, first, last), make(m)))
    for mention in dates:
        if mention.first in taken:
            continue
        before = canon.text[: canon.starts[mention.first]]
        op = _UNTIL.search(before)
        if op:
            first = canon.token_range(op.start("op"), op.end("op"))[0]
            exclusive = op["op"] == "before"
            periods.append(
                PeriodMention(
                    first,
                    mention.last,
                    canon.typed(source, first, mention.last),
                    _until(mention.evaluate, exclusive),
                )
            )
        else:
            periods.append(
                PeriodMention(mention.first, mention.last, mention.text, _one_day(mention.evaluate))
            )
    periods.sort(key=lambda p: p.first)
    return periods


def _until(evaluate: Evaluator, exclusive: bool) -> PeriodSpan:
    def span(today: date) -> tuple[date, date]:
        end = evaluate(today, Direction.FUTURE)
        return today, end - timedelta(days=1) if exclusive else end

    return span


def _one_day(evaluate: Evaluator) -> PeriodSpan:
    def span(today: date) -> tuple[date, date]:
        day = evaluate(today, Direction.FUTURE)
        return day, day

    return span


# -- dateparser, for what the grammar does not cover ----------------------------------------------

_DP_WORDS = re.compile(
    rf"^(?:{_WD}|{_MON}|\d{{1,4}}(?:st|nd|rd|th)?|the|of|on|at|next|last|this"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
    r"|eleventh|twelfth|thirtieth|twentieth|twenty|thirty|a|week|weeks|day"
    r"|days|after|before|ago|in)$"
)
_DP_ANCHOR = re.compile(rf"^(?:{_WD}|{_MON})$")
_DP_LOCK = threading.Lock()
_DP_PARSERS: dict[tuple[date, Direction], Any] = {}
_DP_CACHE: OrderedDict[tuple[str, date, Direction], date | None] = OrderedDict()
_DP_CACHE_SIZE = 4096


def _dateparser_fallback(canon: Canonical, source: str, today: date) -> list[DateMention]:
    """The run of date-like words around a month or weekday name, read by dateparser."""
    tokens = canon.tokens
    for i, token in enumerate(tokens):
        if token.kind != "word" or not _DP_ANCHOR.match(token.word):
            continue
        first = last = i
        while (
            first > 0
            and tokens[first - 1].kind == "word"
            and _DP_WORDS.match(tokens[first - 1].word)
        ):
            first -= 1
        while (
            last + 1 < len(tokens)
            and tokens[last + 1].kind == "word"
            and _DP_WORDS.match(tokens[last + 1].word)
        ):
            last += 1
        phrase = " ".join(t.word for t in tokens[first : last + 1])
        if not any(c.isdigit() for c in phrase) or token.word not in MONTHS:
            continue  # the grammar reads every weekday form; a month needs a number with it
        text = canon.typed(source, first, last)
        probe = dateparser_date(phrase, today, Direction.FUTURE)
        if probe is None:
            continue
        return [
            DateMention(
                first,
                last,
                text,
                lambda today, direction, phrase=phrase: _dp_or_fail(phrase, today, direction),
            )
        ]
    return []


def _dp_or_fail(phrase: str, today: date, direction: Direction) -> date:
    found = dateparser_date(phrase, today, direction)
    if found is None:
        raise DateFormatError(f"{phrase!r} is not a date I can read")
    return found


def dateparser_date(phrase: str, today: date, direction: Direction) -> date | None:
    """dateparser's reading of ``phrase`` (en-GB settings), memoised; None when it has none."""
    key = (phrase, today, direction)
    with _DP_LOCK:
        if key in _DP_CACHE:
            _DP_CACHE.move_to_end(key)
            return _DP_CACHE[key]
    result = _parser(today, direction).get_date_data(phrase).date_obj
    found = result.date() if result is not None else None
    with _DP_LOCK:
        _DP_CACHE[key] = found
        if len(_DP_CACHE) > _DP_CACHE_SIZE:
            _DP_CACHE.popitem(last=False)
    return found


def _parser(today: date, direction: Direction) -> Any:
    """One DateDataParser per (today, direction), built on first use (import costs ~0.3 s)."""
    key = (today, direction)
    with _DP_LOCK:
        parser = _DP_PARSERS.get(key)
        if parser is None:
            from dateparser.date import DateDataParser  # deferred: most turns never need it

            if len(_DP_PARSERS) > 8:  # yesterday's parsers are no use
                _DP_PARSERS.clear()
            parser = DateDataParser(
                languages=["en"],
                settings={
                    "DATE_ORDER": "DMY",
                    "PREFER_DAY_OF_MONTH": "first",
                    "PREFER_DATES_FROM": str(direction),
                    "RELATIVE_BASE": datetime(today.year, today.month, today.day),
                    "RETURN_AS_TIMEZONE_AWARE": False,
                },
            )
            _DP_PARSERS[key] = parser
        return parser


# -- a date on its own (a dialog's "Which date?" prompt) ------------------------------------------


@dataclass(frozen=True, slots=True)
class DateReading:
    date: date | None  # None when there is no date, or it is impossible (then ``error`` says why)
    text: str | None  # the words read as the date
    error: str | None


def read_date(text: str, today: date, direction: Direction = Direction.FUTURE) -> DateReading:
    """The first date in ``text``, for prompts that ask for one; never raises."""
    cleaned = clean(text)
    canon = Canonical(tokenise(cleaned))
    mentions = find_dates(canon, cleaned, today)
    if not mentions:
        return DateReading(None, None, None)
    try:
        return DateReading(mentions[0].evaluate(today, direction), mentions[0].text, None)
    except (DateFormatError, ValueError, OverflowError) as exc:
        return DateReading(None, mentions[0].text, str(exc))
