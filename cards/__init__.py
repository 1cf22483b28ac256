"""Adaptive Cards (schema 1.5, Teams-compatible), built by small pure functions returning dicts.

Every card has a plain-text rendering (``card_to_text``) used as the activity's text fallback
and by `iro-bot chat` in a terminal.
"""
