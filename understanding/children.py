"""Which child a typed name means, among the children the user can see. Never guess.

resolve_child(reference, candidates) gives MATCH (one child), AMBIGUOUS (two or more plausible
children: the caller shows a choice) or NONE (with up to three closest names from the same
candidates, so nothing outside the user's own caseload is ever suggested).

How a name is scored (all on normalise_name folds, so accents, apostrophes, hyphens and case
never matter: "zoe" = "Zoë", "obrien" = "O'Brien", "smith jones" = "Smith-Jones"):

- The reference is split into words; each word is matched to a different word of the child's
  name (given and family names, plus each multi-word name written solid: "ellarose"):
  same word 100; a typo scores rapidfuzz's ``ratio`` (one wrong letter in "smith" -> 80); a
  beginning of a name of 3+ letters ("alex" -> "alexander") PREFIX_SCORE; a single letter after
  another matched word ("Jamie O") INITIAL_SCORE. The child's score is the mean over the
  reference's words (a word that matches nothing counts 0, so "Jamie Brown" does not match
  Jamie Smith). Words scoring under WORD_CUTOFF count 0.
- PLAUSIBLE (75): a child scoring this or more could be meant. One wrong letter in a 4-letter
  name (75) still counts; two in a 5-letter name (60) does not.
- MARGIN (10): the best child is a MATCH only when no other plausible child is within 10 points.
  So an exact name beats a one-letter variant of a longer name ("Jamie" 100 vs "Jamey" 80) and
  a nickname prefix (85), but "Clark" (Mason Clark 100, Zoë Clarke 91) and "Jamie" (two
  Jamies) are AMBIGUOUS.
- An exact child id (case, spaces and hyphens ignored) wins outright; digits alone ("100012")
  match the id's digits (LA ids are often quoted without their letter prefix).

Scale: the index keeps each distinct name word once with the children it belongs to, and
rapidfuzz compares a reference word against all distinct words in C. A sequence passed in is
indexed once and the index kept (by identity) for tuples, so a caseload tuple cached by the
caller costs the indexing only once; callers with a long-lived list can build a ChildIndex.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process

from understanding.text import fold_name

PLAUSIBLE = 75.0
MARGIN = 10.0
WORD_CUTOFF = 70.0  # a word's typo score below this counts as no match
SUGGEST_WORD_CUTOFF = 60.0  # looser, only to rank suggestions when nothing is plausible
SUGGEST_FLOOR = 45.0  # suggestions must score at least this
PREFIX_SCORE = 85.0
INITIAL_SCORE = 90.0
MAX_SUGGESTIONS = 3
_MAX_REF_WORDS = 4  # "Lily Mae Hartley Smith" is as long as a child's name gets

_ID_CLEAN = re.compile(r"[\s\-_/]+")


@dataclass(frozen=True, slots=True)
class ChildCandidate:
    """A child the user may see: the store's primary key, the LA's child id and the names."""

    pk: int
    child_id: str
    given_name: str | None
    family_name: str | None

    @property
    def full_name(self) -> str:
        return " ".join(n for n in (self.given_name, self.family_name) if n)


class ResolutionKind(StrEnum):
    MATCH = "match"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ChildResolution:
    kind: ResolutionKind
    child: ChildCandidate | None = None  # MATCH
    choices: tuple[ChildCandidate, ...] = ()  # AMBIGUOUS: every plausible child, best first
    suggestions: tuple[ChildCandidate, ...] = ()  # NONE: up to 3 closest, from the candidates
    # MATCH by the exact full name while others were as plausible: name them, so the user knows
    # which child was meant and can say if it was the other one.
    namesakes: tuple[ChildCandidate, ...] = ()


def _fold_id(text: str) -> str:
    return _ID_CLEAN.sub("", text).upper()


def looks_like_child_id(text: str) -> bool:
    """Letters then 3+ digits ("C123456"), or 5+ digits: the shapes LA child ids take."""
    folded = _fold_id(text)
    return bool(re.fullmatch(r"[A-Z]{0,3}\d{3,}", folded)) and (
        not folded.isdigit() or len(folded) >= 5
    )


@dataclass(slots=True)
class _Entry:
    candidate: ChildCandidate
    words: tuple[str, ...]  # folded name words, then solid forms of multi-word names
    full: str  # folded full name, for ordering ties and suggestions


@dataclass(slots=True)
class ChildIndex:
    """The candidates prepared for matching; build once per caseload and reuse."""

    candidates: tuple[ChildCandidate, ...]
    _entries: list[_Entry] = field(default_factory=list)
    _by_id: dict[str, list[int]] = field(default_factory=dict)
    _by_digits: dict[str, list[int]] = field(default_factory=dict)
    _postings: dict[str, list[int]] = field(default_factory=dict)  # word -> entry indexes
    _words: list[str] = field(default_factory=list)  # distinct words, sorted (prefix bisect)

    @classmethod
    def build(cls, candidates: Sequence[ChildCandidate]) -> ChildIndex:
        index = cls(tuple(candidates))
        for i, child in enumerate(index.candidates):
            given = fold_name(child.given_name)
            family = fold_name(child.family_name)
            words = [*given.split(), *family.split()]
            # "Ella-Rose" folds to "ella rose"; someone may type "ellarose".
            words += [name.replace(" ", "") for name in (given, family) if " " in name]
            entry = _Entry(child, tuple(dict.fromkeys(words)), f"{given} {family}".strip())
            index._entries.append(entry)
            for word in entry.words:
                index._postings.setdefault(word, []).append(i)
            folded_id = _fold_id(child.child_id)
            index._by_id.setdefault(folded_id, []).append(i)
            digits = "".join(c for c in folded_id if c.isdigit())
            if digits:
                index._by_digits.setdefault(digits, []).append(i)
        index._words = sorted(index._postings)
        return index

    @property
    def name_tokens(self) -> frozenset[str]:
        """Every folded name word, for ConversationContext.known_names."""
        return frozenset(self._postings)

    # -- matching --------------------------------------------------------------------------

    def _word_scores(self, word: str, cutoff: float) -> dict[str, float]:
        """Each indexed name word this reference word could be, with its score."""
        scores: dict[str, float] = {}
        if len(word) >= 3:
            for other, score, _ in process.extract(
                word, self._words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                scores[other] = score
        elif word in self._postings:
            scores[word] = 100.0
        if len(word) >= 3 or len(word) == 1:
            # Words that begin with it: a prefix ("alex") or an initial ("O" for O'Neil).
            prefix_score = PREFIX_SCORE if len(word) >= 3 else INITIAL_SCORE
            words = self._words
            for k in range(bisect.bisect_left(words, word), len(words)):
                other = words[k]
                if not other.startswith(word):
                    break
                if other != word:
                    scores[other] = max(scores.get(other, 0.0), prefix_score)
        return scores

    def _score_all(self, ref_words: list[str], cutoff: float, floor: float) -> dict[int, float]:
        """Scores of the children scoring at least ``floor`` (see the module doc)."""
        n = len(ref_words)
        per_word = [self._word_scores(w, cutoff) for w in ref_words]
        # First each touched child's best score per reference word, ignoring that two reference
        # words may want the same name word: an upper bound, cheap to get from the postings.
        # Only children whose bound reaches ``floor`` get the exact pairing; at 10,000 children
        # "Muhammad Kamara" touches ~300 children, of which a handful need it.
        bounds: dict[int, list[float]] = {}
        for r, scores in enumerate(per_word):
            for word, sim in scores.items():
                for i in self._postings[word]:
                    row = bounds.get(i)
                    if row is None:
                        row = bounds[i] = [0.0] * n
                    if sim > row[r]:
                        row[r] = sim
        results: dict[int, float] = {}
        for i, row in bounds.items():
            if sum(row) / n < floor:
                continue
            if n == 1:
                score = 0.0 if len(ref_words[0]) == 1 else row[0]
            else:
                score = _best_assignment(ref_words, per_word, self._entries[i].words)
            if score >= floor:
                results[i] = score
        return results

    def resolve(self, reference: str) -> ChildResolution:
        folded_id = _fold_id(reference)
        if (folded_id and folded_id in self._by_id) or looks_like_child_id(reference):
            return self._resolve_id(reference)
        folded = fold_name(reference)
        if not folded:
            return ChildResolution(ResolutionKind.NONE)
        best: dict[int, float] = {}
        for ref_words in _reference_variants(folded.split()[:_MAX_REF_WORDS]):
            for i, score in self._score_all(ref_words, WORD_CUTOFF, PLAUSIBLE).items():
                best[i] = max(best.get(i, 0.0), score)
        plausible = sorted(
            ((s, i) for i, s in best.items()),
            key=lambda si: (-si[0], self._entries[si[1]].full),
        )
        if not plausible:
            return ChildResolution(ResolutionKind.NONE, suggestions=self._suggest(folded))
        top = plausible[0][0]
        near = [i for s, i in plausible if s >= top - MARGIN]
        if len(near) == 1:
            return ChildResolution(ResolutionKind.MATCH, child=self._entries[near[0]].candidate)
        # The exact full name (folded: case, accents, apostrophes and hyphens aside) of one of
        # them is that child, not a question: "Ava Brown" is not "Ava Browne".
        solid = folded.replace(" ", "")
        exact = [i for i in near if self._entries[i].full.replace(" ", "") == solid]
        if len(exact) == 1:
            return ChildResolution(
                ResolutionKind.MATCH, child=self._entries[exact[0]].candidate,
                namesakes=tuple(self._entries[i].candidate for i in near if i != exact[0]),
            )  # fmt: skip
        return ChildResolution(
            ResolutionKind.AMBIGUOUS, choices=tuple(self._entries[i].candidate for i in near)
        )

    def _resolve_id(self, reference: str) -> ChildResolution:
        folded = _fold_id(reference)
        hits = self._by_id.get(folded) or (
            self._by_digits.get(folded, []) if folded.isdigit() else []
        )
        if len(hits) == 1:
            return ChildResolution(ResolutionKind.MATCH, child=self._entries[hits[0]].candidate)
        if hits:
            return ChildResolution(
                ResolutionKind.AMBIGUOUS, choices=tuple(self._entries[i].candidate for i in hits)
            )
        # An id that is nobody's: suggesting names would be a guess about a different child.
        return ChildResolution(ResolutionKind.NONE)

    def _suggest(self, folded: str) -> tuple[ChildCandidate, ...]:
        scores = self._score_all(
            folded.split()[:_MAX_REF_WORDS], SUGGEST_WORD_CUTOFF, SUGGEST_FLOOR
        )
        ranked = sorted(
            ((s, i) for i, s in scores.items()),
            key=lambda si: (-si[0], self._entries[si[1]].full),
        )
        return tuple(self._entries[i].candidate for _, i in ranked[:MAX_SUGGESTIONS])


def _reference_variants(words: list[str]) -> list[list[str]]:
    """The words as typed, and with a short particle joined to the next ("o brien" -> "obrien")."""
    variants = [words]
    for j in range(len(words) - 1):
        if len(words[j]) <= 3 and words[j] in _PARTICLES:
            variants.append([*words[:j], words[j] + words[j + 1], *words[j + 2 :]])
    return variants


# Name particles that people type separately or solid: O'Brien, McDonald, MacDonald, D'Arcy...
_PARTICLES = frozenset({
    "al", "d", "da", "de", "di", "du", "el", "la", "le", "mac", "mc", "o", "st", "van", "von",
})  # fmt: skip


def _best_assignment(
    ref_words: list[str], per_word: list[dict[str, float]], name_words: tuple[str, ...]
) -> float:
    """Mean score of the best one-to-one pairing of reference words with the name's words.

    A reference word may also stay unpaired (scoring 0). An initial only counts beside a
    matched full word: "O" alone is nobody. References have at most 4 words and names a
    handful, so trying every pairing is a few dozen steps.
    """
    table = [[scores.get(w, 0.0) for w in name_words] for scores in per_word]
    if len(table) == 1:
        return 0.0 if len(ref_words[0]) == 1 else max(table[0], default=0.0)
    initial = [len(w) == 1 for w in ref_words]
    best = 0.0

    def walk(r: int, used: int, total: float, full_words: float) -> None:
        nonlocal best
        if r == len(table):
            if full_words > 0 and total > best:
                best = total
            return
        walk(r + 1, used, total, full_words)  # leave this word unpaired
        for slot, score in enumerate(table[r]):
            if score and not used & (1 << slot):
                walk(
                    r + 1,
                    used | (1 << slot),
                    total + score,
                    full_words + (0.0 if initial[r] else score),
                )

    walk(0, 0, 0.0, 0.0)
    return best / len(table)


_INDEX_CACHE: dict[int, tuple[tuple[ChildCandidate, ...], ChildIndex]] = {}
_INDEX_CACHE_SIZE = 8


def child_index(candidates: Sequence[ChildCandidate] | ChildIndex) -> ChildIndex:
    """An index for these candidates, reusing the last ones built for the same tuple object."""
    if isinstance(candidates, ChildIndex):
        return candidates
    if not isinstance(candidates, tuple):
        # A list may be changed in place later, so its identity proves nothing: index afresh.
        return ChildIndex.build(candidates)
    cached = _INDEX_CACHE.get(id(candidates))
    if cached is not None and cached[0] is candidates:
        return cached[1]
    index = ChildIndex.build(candidates)
    if len(_INDEX_CACHE) >= _INDEX_CACHE_SIZE:
        _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
    # The tuple is held too, so its id cannot be reused by another object while cached.
    _INDEX_CACHE[id(candidates)] = (candidates, index)
    return index


def resolve_child(
    reference: str, candidates: Sequence[ChildCandidate] | ChildIndex
) -> ChildResolution:
    """MATCH, AMBIGUOUS or NONE for ``reference`` among ``candidates`` (see the module doc)."""
    return child_index(candidates).resolve(reference)
