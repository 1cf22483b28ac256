"""Entities other than dates: IR references, child ids and names, pronouns, stages, review parts,
IR reasons and free-text reasons.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from domain.names import normalise_name
from domain.paperwork import Paperwork
from domain.reviews import ReviewPart
from domain.rules import RuleSet
from understanding.dates import Canonical
from understanding.text import PRONOUNS, Token, fold_name

# -- IR references and child ids (found in the cleaned text, before tokenising) ------------------

# "IR-2026-0042", "IR-2026-42", "ir 2026 42", "ir2026-0042", "IR 2026-0019", "IR/2026/7".
_IR_REF = re.compile(r"\bir[\s\-_/#:.]*(20\d{2})[\s\-_/.]+(\d{1,6})\b", re.IGNORECASE)
# The LA's child ids: up to three letters then 3+ digits ("C123456"), or 5+ digits.
_CHILD_ID = re.compile(r"(?<![\w/.\-])([A-Za-z]{1,3}\d{3,}|\d{5,})(?![\w/]|[.\-]\d)")


def find_ir_refs(text: str) -> tuple[list[str], str]:
    """Canonical IR references, and the text with each replaced by "ir" (same length)."""
    refs: list[str] = []

    def blank(m: re.Match[str]) -> str:
        refs.append(f"IR-{m[1]}-{int(m[2]):04d}")
        return "ir" + " " * (len(m.group()) - 2)

    return refs, _IR_REF.sub(blank, text)


def find_child_ids(text: str) -> tuple[list[str], str]:
    ids: list[str] = []

    def blank(m: re.Match[str]) -> str:
        ids.append(m[1])
        return " " * len(m.group())

    return ids, _CHILD_ID.sub(blank, text)


# -- stages, parts, IR reasons (over the canonical words) ----------------------------------------

_STAGE_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "i": "1", "ii": "2", "iii": "3", "iv": "4",
    "1": "1", "2": "2", "3": "3", "4": "4",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _StageTable:
    numbered: re.Pattern[str]
    titles: re.Pattern[str]  # every stage name and owner title, longest first
    by_title: dict[str, str]
    keys: frozenset[str]


_STAGE_TABLES: dict[int, tuple[RuleSet, _StageTable]] = {}


def _stage_table(rules: RuleSet) -> _StageTable:
    # RuleSet holds dicts, so it cannot be a cache key: keep tables by identity (with the
    # rules, so the id is not reused while cached).
    cached = _STAGE_TABLES.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    if len(_STAGE_TABLES) > 8:
        _STAGE_TABLES.clear()
    table = _build_stage_table(rules)
    _STAGE_TABLES[id(rules)] = (rules, table)
    return table


def _build_stage_table(rules: RuleSet) -> _StageTable:
    by_title: dict[str, str] = {}
    for stage in rules.stages:
        phrases = (
            stage.name,
            stage.owner_title,
            stage.owner_role.replace("_", " "),
            "" if stage.key.isdigit() else stage.key,
        )
        for phrase in phrases:
            folded = normalise_name(phrase.replace("&", "and"))
            if folded and not re.fullmatch(r"stage \d+", folded):
                by_title.setdefault(folded, stage.key)
    alternation = "|".join(re.escape(t) for t in sorted(by_title, key=len, reverse=True))
    return _StageTable(
        numbered=re.compile(r"(?<!\S)(?:stage|st) ?(one|two|three|four|iii|ii|iv|i|[1-4])(?!\S)"),
        titles=re.compile(rf"(?<!\S)(?:{alternation})(?!\S)"),
        by_title=by_title,
        keys=frozenset(s.key for s in rules.stages),
    )


def find_stage(canon: Canonical, rules: RuleSet) -> str | None:
    """A stage key ("informal", "1".."4") by number, name or the owner's title."""
    table = _stage_table(rules)
    m = table.numbered.search(canon.text)
    if m and _STAGE_WORDS[m[1]] in table.keys:
        return _STAGE_WORDS[m[1]]
    m = table.titles.search(canon.text)
    return table.by_title[m.group()] if m else None


def find_paperwork(canon: Canonical) -> tuple[str, ...]:
    """Which of a review's paperwork the message names: ("decisions",), ("minutes",), both,
    or () when it names neither (the dialog then asks)."""
    if re.search(r"(?<!\S)both(?!\S)", canon.text):
        return tuple(kind.value for kind in Paperwork)
    return tuple(kind.value for kind in Paperwork
                 if re.search(_PAPERWORK_WORDS[kind], canon.text))  # fmt: skip


_PAPERWORK_WORDS = {
    Paperwork.DECISIONS: r"(?<!\S)decisions?(?!\S)",
    Paperwork.MINUTES: r"(?<!\S)minutes(?!\S)",
}


_PARTS = (
    (re.compile(r"(?<!\S)(?:part ?(?:1|one|i)|pt ?(?:1|one)|first part)(?!\S)"), ReviewPart.PART1),
    (
        re.compile(r"(?<!\S)(?:part ?(?:2|two|ii)|pt ?(?:2|two)|second part|final part)(?!\S)"),
        ReviewPart.PART2,
    ),
    (re.compile(r"(?<!\S)(?:full|whole|complete) review(?!\S)|(?<!\S)full(?!\S)"), ReviewPart.FULL),
)


def find_part(canon: Canonical) -> ReviewPart | None:
    for pattern, part in _PARTS:
        if pattern.search(canon.text):
            return part
    return None


#: Phrases for each default (WBC) reason label. Only labels the authority's rules also use are
#: returned, so an authority with other labels simply gets fewer pre-ticked reasons.
_REASON_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        (
            "reports not available in time",
            r"\breports?\b(?: \S+){0,3} (?:not|late|missing|overdue|delayed|unavailable|never)\b"
            r"|\b(?:late|no|missing|delayed|overdue|outstanding) (?:sw )?reports?\b",
        ),
        ("delay in later-life work", r"\blater ?life\b|\blife story\b"),
        (
            "IRO not notified of a significant event",
            r"\b(?:not|wasnt|never|didnt|nobody|havent|hasnt|werent) (?:\S+ )?"
            r"(?:told|notified|informed)\b|\bsignificant event\b",
        ),
        (
            "care plan for a child new to care not completed within 10 working days",
            r"\bcare plan\b.*\b(?:10|ten) (?:working )?days\b|\bnew to care\b",
        ),
        (
            "care plan filed without the IRO's view",
            r"\bwithout (?:my|the iros?|iros?|our) "
            r"(?:views?|input|comments?|consultation|agreement)\b"
            r"|\bfiled without\b|\bnot consulted\b",
        ),
        ("no advocate", r"\badvoca(?:te|cy)\b"),
        ("delay in care proceedings", r"\b(?:care )?proceedings\b|\bcourt\b"),
        ("statutory visits out of time", r"\bvisits?\b|\bvisiting\b"),
        ("delay in allowances", r"\ballowances?\b|\bpayments?\b"),
        (
            "delay allocating a SW",
            r"\b(?:no|not|without|unallocated)\b(?: \S+){0,3} (?:sw|social worker)\b"
            r"|\b(?:sw|social worker)\b(?: \S+){0,2} (?:not|un)allocated\b|\bunallocated\b"
            r"|\bdelay(?:ed)? allocating\b",
        ),
        ("care provider failure", r"\bprovider\b|\bcare agency\b"),
        ("SEN/education provision delay", r"\b(?:sen|ehcp|education|educational|school|tuition)\b"),
    )
)


def find_ir_reasons(canon: Canonical, rules: RuleSet) -> tuple[str, ...]:
    labels = {label.lower(): label for label in rules.reasons}
    found = [
        labels[lab.lower()]
        for lab, p in _REASON_PATTERNS
        if lab.lower() in labels and p.search(canon.text)
    ]
    return tuple(found)


# -- free-text reason ("because the placement moved") -------------------------------------------

_CUE_STRONG = re.compile(
    r"(?<!\S)(?:because(?: of)?|due to(?! (?:be|have|take|hold|happen)(?!\S))|owing to"
    r"|as a result of|reason(?: is| was| being)?|following|since)(?!\S)"
)
_CUE_AS = re.compile(r"(?<!\S)as(?!\S)")
_AS_AFTER = frozenset({"late", "forward", "earlier", "sooner", "urgently", "delayed"})


def find_reason(
    tokens: list[Token], canon: Canonical, source: str, date_tokens: set[int]
) -> tuple[str | None, int]:
    """The free-text reason and the index of the token it starts at (len(tokens) when none).

    Cues, strongest first: "because", "due to", "owing to", "reason"...; "as" straight after a
    date or "late"/"forward" ("moved to 4/12 as he's moving"); a dash between spaces
    ("... to Tuesday - placement breaking down"); a comma after the date ("to 3 Dec, change of
    care plan").
    """
    start: int | None = None
    m = _CUE_STRONG.search(canon.text)
    if m:
        start = canon.token_range(m.start(), m.end())[1] + 1
    if start is None:
        for m in _CUE_AS.finditer(canon.text):
            i = canon.token_range(m.start(), m.end())[0]
            if i > 0 and (i - 1 in date_tokens or tokens[i - 1].word in _AS_AFTER):
                start = i + 1
                break
    if start is None:
        for i in range(1, len(tokens)):
            gap = source[tokens[i - 1].end : tokens[i].start]
            if re.search(r"\s[-–—]\s", gap) or (gap.strip() == "," and i - 1 in date_tokens):
                start = i
                break
    if start is None or start >= len(tokens):
        return None, len(tokens)
    text = source[tokens[start].start :].strip(" .,;:-–—!?")
    return (text or None), start


# -- the child: an id, a name, or a pronoun -------------------------------------------------------

_NAME_CUES = frozenset({"for", "about", "of", "on", "re", "with", "is", "and"})


def find_name(
    tokens: list[Token], known_names: frozenset[str], stop_at: int
) -> tuple[str | None, set[int]]:
    """The words most likely to be a child's name, as typed, and their token indexes."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, token in enumerate(tokens[:stop_at]):
        if _is_name_word(token, known_names):
            current.append(i)
            if token.possessive:
                runs.append(current)
                current = []
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    if not runs:
        return None, set()
    if known_names:
        runs = [_trim(run, tokens, known_names) for run in runs]

    def rank(run: list[int]) -> tuple[int, int, int, int]:
        first = tokens[run[0]]
        matches = sum(1 for i in run if _matches_known(tokens[i].word, known_names))
        cue = run[0] > 0 and tokens[run[0] - 1].word in _NAME_CUES
        named = any(tokens[i].possessive or tokens[i].capital for i in run) or cue
        return (matches, int(named), len(run), -first.start)

    best = max(runs, key=rank)
    if len(best) == 1:
        # One lower-case word, not after "for"/"about"..., that is like none of the user's
        # children's names (or there are no names to check it against): as likely a typo or
        # jargon as a name. Leaving it out makes the caller ask "which child?".
        only = tokens[best[0]]
        cue = best[0] > 0 and tokens[best[0] - 1].word in _NAME_CUES
        lone = not (only.capital or only.possessive or cue)
        if lone and not _matches_known(only.word, known_names):
            return None, set()
    return " ".join(tokens[i].raw for i in best), set(best)


def _is_name_word(token: Token, known_names: frozenset[str]) -> bool:
    if token.kind != "word" or token.used:
        return False
    if token.word in PRONOUNS and not token.capital:
        return False
    if not token.known:
        return token.word.isalpha() or "-" in token.raw or "'" in token.raw
    # A vocabulary word can be a name ("Will", "Hope", "Grace"): when it is written as one.
    folded = fold_name(token.raw)
    written_as_name = (token.capital and not token.initial) or token.possessive
    if known_names:
        return folded in known_names and written_as_name
    # Without the user's names, only "Will's" inside a sentence ("When's" starts one).
    return (
        token.capital
        and token.possessive
        and not token.initial
        and folded not in VOCABULARY_KEYWORDS
    )


#: Vocabulary words never taken as names, however written ("Review's", "IR's").
VOCABULARY_KEYWORDS = frozenset({"review", "ir", "irs", "cp", "cic", "sw", "iro", "la", "child"})


def _matches_known(word: str, known_names: frozenset[str]) -> bool:
    """Could this word be (part of) one of the user's children's names?"""
    if not known_names:
        return False
    folded = fold_name(word)
    if folded in known_names or folded.replace(" ", "") in known_names:
        return True
    return _known(known_names).like(folded)


class _KnownNames:
    """The user's name words, sorted for prefix search, with answers memoised per word."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.sorted = sorted(names)
        self.answers: dict[str, bool] = {}

    def like(self, word: str) -> bool:
        answer = self.answers.get(word)
        if answer is None:
            answer = self._like(word)
            if len(self.answers) < 4096:
                self.answers[word] = answer
        return answer

    def _like(self, word: str) -> bool:
        # A beginning ("alex", or an initial "o") or a typo (ratio >= 70, as resolve_child's
        # word cut-off) of some name word.
        i = bisect.bisect_left(self.sorted, word)
        if (
            i < len(self.sorted)
            and self.sorted[i].startswith(word)
            and (len(word) >= 3 or len(word) == 1)
        ):
            return True
        if len(word) < 3:
            return False
        return process.extractOne(word, self.sorted, scorer=fuzz.ratio, score_cutoff=70) is not None


_KNOWN: dict[int, _KnownNames] = {}


def _known(names: frozenset[str]) -> _KnownNames:
    # By identity: the handler passes the same frozenset for a user turn after turn.
    known = _KNOWN.get(id(names))
    if known is None or known.names is not names:
        if len(_KNOWN) > 32:
            _KNOWN.clear()
        known = _KNOWN[id(names)] = _KnownNames(names)
    return known


def _trim(run: list[int], tokens: list[Token], known_names: frozenset[str]) -> list[int]:
    """Drop words at either end that are like no known name (unless none of them are)."""
    like = [_matches_known(tokens[i].word, known_names) for i in run]
    if not any(like):
        return run
    first = like.index(True)
    last = len(like) - 1 - like[::-1].index(True)
    return run[first : last + 1]


def find_pronoun(tokens: list[Token], stop_at: int) -> Token | None:
    for token in tokens[:stop_at]:
        if token.kind == "word" and token.word in PRONOUNS and not token.used:
            return token
    return None


def _span(canon: Canonical, m: re.Match[str]) -> set[int]:
    first, last = canon.token_range(m.start(), m.end())
    return set(range(first, last + 1))
