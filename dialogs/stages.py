"""Reading which Issues Resolution stage a reply names: the raise and IR action dialogs ask."""

from __future__ import annotations

from domain.errors import RulesError
from domain.rules import RuleSet
from understanding.dates import Canonical
from understanding.entities import find_stage
from understanding.text import clean, tokenise

_DEFAULT_STAGE_WORDS = frozenset({"default", "usual", "the usual", "the default", "first"})


def stage_key(text: str | None, rules: RuleSet) -> str | None:
    """The stage a reply or an option names ("stage 2", "2", "informal", "team manager")."""
    if not text or not str(text).strip():
        return None
    typed = str(text).strip()
    if typed.lower() in _DEFAULT_STAGE_WORDS:
        return rules.stages[0].key
    try:
        return rules.stage(typed).key
    except RulesError:
        return find_stage(Canonical(tokenise(clean(typed))), rules)
