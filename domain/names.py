"""Folding names so that 'Zoë O'Brien-Smith' is found by 'zoe obrien smith'.

One function, used both when a name is stored (normalised columns) and when it is searched for.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = "'’‘`´ʼ"
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")


def normalise_name(text: str | None) -> str:
    """Lower case, accents removed, apostrophes dropped, hyphens and runs of spaces as one space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    no_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    no_apostrophes = no_accents.translate({ord(c): None for c in _APOSTROPHES})
    return _SEPARATORS.sub(" ", no_apostrophes.casefold()).strip()
