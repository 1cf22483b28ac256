"""The few Adaptive Card elements the bot uses, and the text rendering of any card built here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Card = dict[str, Any]
Element = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"


def card(body: Iterable[Element], actions: Iterable[Element] = (), **extra: Any) -> Card:
    out: Card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": [e for e in body if e],
    }
    acts = list(actions)
    if acts:
        out["actions"] = acts
    # Teams renders cards narrow unless asked: tables of children need the full width.
    out["msteams"] = {"width": "Full"}
    out.update(extra)
    return out


def text(value: str, *, size: str | None = None, weight: str | None = None,
         color: str | None = None, subtle: bool = False, wrap: bool = True,
         spacing: str | None = None) -> Element:  # fmt: skip
    el: Element = {"type": "TextBlock", "text": value, "wrap": wrap}
    if size:
        el["size"] = size
    if weight:
        el["weight"] = weight
    if color:
        el["color"] = color
    if subtle:
        el["isSubtle"] = True
    if spacing:
        el["spacing"] = spacing
    return el


def heading(value: str) -> Element:
    return text(value, size="Medium", weight="Bolder")


def facts(pairs: Iterable[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs if v]}


def row(cells: Sequence[str], *, header: bool = False, widths: Sequence[str] | None = None,
        colors: Sequence[str | None] | None = None) -> Element:  # fmt: skip
    """One row of a compact table (ColumnSets render everywhere Teams does)."""
    columns = []
    for i, cell in enumerate(cells):
        block = text(cell, weight="Bolder" if header else None, spacing="None")
        if colors and colors[i]:
            block["color"] = colors[i]
        columns.append({
            "type": "Column",
            "width": widths[i] if widths else "stretch",
            "items": [block],
        })  # fmt: skip
    return {"type": "ColumnSet", "columns": columns, "spacing": "Small"}


def submit(title: str, data: dict[str, Any]) -> Element:
    return {"type": "Action.Submit", "title": title, "data": data}


# -- text fallback ---------------------------------------------------------------------------


def card_to_text(c: Card) -> str:
    """A faithful plain-text rendering: what a screen reader or a terminal user gets."""
    lines: list[str] = []
    _render(c.get("body", []), lines)
    actions = [a.get("title", "") for a in c.get("actions", []) if a.get("title")]
    if actions:
        lines.append("Options: " + " | ".join(actions))
    return "\n".join(lines)


def _render(elements: Iterable[Element], lines: list[str]) -> None:
    for el in elements:
        kind = el.get("type")
        if kind == "TextBlock":
            lines.append(el["text"])
        elif kind == "FactSet":
            lines.extend(f"{f['title']}: {f['value']}" for f in el["facts"])
        elif kind == "ColumnSet":
            cells = []
            for column in el["columns"]:
                sub: list[str] = []
                _render(column.get("items", []), sub)
                cells.append(" ".join(sub))
            lines.append(" | ".join(cells))
        elif kind == "Container":
            _render(el.get("items", []), lines)
        elif kind == "ActionSet":
            titles = [a.get("title", "") for a in el.get("actions", [])]
            lines.append("Options: " + " | ".join(titles))
        elif kind == "Input.ChoiceSet":
            label = el.get("label") or el.get("placeholder") or el.get("id", "")
            lines.append(f"[{label}]")
            # The choices themselves, so a text-only reader can answer by number or name.
            lines.extend(f"  {c.get('title', '')}" for c in el.get("choices", []))
        elif kind and kind.startswith("Input."):
            label = el.get("label") or el.get("placeholder") or el.get("id", "")
            lines.append(f"[{label}]")
