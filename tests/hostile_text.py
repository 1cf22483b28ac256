"""Hostile text: what a careless, confused or malicious sender might type, in categories.

One list of pieces, used three ways: hypothesis strategies for the language-understanding
properties (``tests/unit/test_understanding_hostile.py``), and a seeded generator for the
``/api/messages`` fuzzer (``tests/e2e/hostile.py``, ``python -m benchmarks.hostile``).

Lone surrogates are included: JSON may carry them escaped (``"\\ud800"``), ``json.loads``
accepts them, and UTF-8 (so every database and every reply) cannot encode them.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

#: Pieces by category. Each is short; the generator joins and repeats them.
# fmt: off
CATEGORIES: dict[str, tuple[str, ...]] = {
    "surrogates": ("\ud800", "\udfff", "\udc00x", "x\ud83d", "\ud83d\ude00"),
    "control": ("\x00", "\x00\x00", "\x07", "\x1b[31m", "\r\n", "\t", "\x7f", "\u0085"),
    "bidi": ("\u202e", "\u202d", "\u2066", "\u2069", "\u200f", "\u061c", "abc\u202edef"),
    "zero_width": ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "J\u200bamie"),
    "combining": ("e\u0301", "a" + "\u0301" * 40, "Zo\u0308e\u0308", "\u0336" * 20),
    "emoji": ("🙂", "👩‍👩‍👧‍👦", "🏳️‍🌈", "🇬🇧", "👍🏽", "\U0001f9d1\u200d\U0001f37c"),
    "scripts": ("ß", "İ", "Ⅻ", "١٢/٣/٢٠٢٦", "𝟏𝟒/𝟏", "Ω", "ﬃ", "日本語", "Ж", "ᏌᎳᎩ"),
    "long_names": ("Wolfeschlegelsteinhausenbergerdorff " * 3, "A" * 300, "O'" * 50,
                   "-".join(["Smith"] * 40)),
    "markup": ("<script>alert(1)</script>", "<at>Bot</at>", "<b>bold</b>", "&amp;&lt;&#0;",
               '{"type": "AdaptiveCard", "body": []}', "${$root.secret}", "{{name}}",
               "<img src=x onerror=alert(1)>", "]]>", "<!--"),
    "markdown": ("**bold**", "[link](http://example.com)", "```code```", "# heading", "> quote",
                 "| a | b |", "_x_", "~~s~~"),
    "sql": ("'; DROP TABLE children; --", "' OR '1'='1", "1; DELETE FROM audit_log",
            "Robert'); DROP TABLE staff;--", "%' AND 1=1 --", "\\'; --",
            "UNION SELECT *"),
    "dates": ("00/00/0000", "99/99/99", "31/02/2026", "12/31/2026", "in 99999999999 weeks",
              "the 99th", "next next next tuesday", "0" * 30 + "/1", "29/02/2100",
              "01/01/0001", "31/12/9999", "yesterday tomorrow"),
    "bot_words": ("raise IR for", "stage 9", "part 7", "IR-2026-", "ir 9999 999999999",
                  "C" + "9" * 40, "her her her", "'s", "cancel", "yes", "help", "record a "
                  "review for", "when is", "escalate IR-2026-0001 to stage 4"),
    "numbers": ("²", "1, ²", "9" * 5000, "١٢", "𝟏", "-1", "1e999", "0x10", "NaN", "Infinity",
                "99999999999999999999"),
    "punctuation": ("-", "'", "''''", "?" * 50, "\\", '"', "…", "‘’“”", "/" * 20),
}

# fmt: on

#: Questions the bot understands, so a piece inside one reaches the deeper paths.
FRAMES = (
    "when is {}'s next review due?",
    "raise an IR for {}",
    "record a review for {} held yesterday",
    "status of {}",
    "book {}'s review for 3rd March",
    "why is {} due then",
    "{}",
)

PIECES: tuple[str, ...] = tuple(p for pieces in CATEGORIES.values() for p in pieces)


def hostile_text() -> st.SearchStrategy[str]:
    """Any text, odd characters (``st.text()`` leaves surrogates out) and the pieces, mixed."""
    # Surrogates, control characters, format characters (bidi, zero-width), combining marks.
    odd_character = st.characters(categories=["Cs", "Cc", "Cf", "Mn"])
    return st.lists(
        st.one_of(st.text(), st.text(odd_character, max_size=20), st.sampled_from(PIECES)),
        max_size=8,
    ).map(" ".join)


def hostile_string(rng: random.Random, *, max_repeat: int = 3) -> tuple[str, str]:
    """A seeded hostile string and the category it was drawn from (for the fuzzer's counts)."""
    category = rng.choice(list(CATEGORIES))
    pieces = [rng.choice(CATEGORIES[category]) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        frame = rng.choice(FRAMES)
        text = frame.format(" ".join(pieces))
    else:
        text = "".join(pieces) * rng.randint(1, max_repeat)
    return text, category
