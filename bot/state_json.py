"""Conversation state to JSON and back, exactly as jsonpickle does it, for what dialogs store.

Why: the bot state is stored as jsonpickle's JSON (``bot/state.py`` says why), and
jsonpickle is general: for every value it asks which of a dozen protocols applies (handlers,
``__reduce_ex__``, ``__getstate__``, new-args, properties...), tracks depth, and restores through
proxies. A turn inside a dialog carries its prompt (an Adaptive Card of a few hundred values):
jsonpickle took 134 µs to write a raise-IR dialog's 3 kB state and 180 µs to read it, here 45
and 58 (``benchmarks/state_json_bench.py``).

What dialogs store is a small language: JSON values, and botbuilder's ``DialogState`` and
``DialogInstance`` (plain objects whose attributes jsonpickle writes inline after a
``"py/object"`` tag). ``flatten`` and ``restore`` walk exactly that, numbering containers as
jsonpickle does (depth first, a dict, list or object when first met), so a container met twice
is written ``{"py/id": n}`` and read back as the same object.

Exact or step aside: anything outside that language raises ``Unsure`` before anything is
returned, and the caller hands the *whole* item to jsonpickle: another class or a subclass, a
tuple or set, a dict key that is not a string or that jsonpickle treats specially (its ``py/``
tags, ``default_factory``, ``__...``), a reference to a container still being walked (a
cycle: jsonpickle restores those through proxies), a ``py/id`` that is not a plain index.
``tests/unit/test_state_json.py`` holds both directions to jsonpickle's on generated states
(shared and cyclic references, hostile keys and documents).
"""

from __future__ import annotations

from typing import Any

from botbuilder.dialogs import DialogInstance, DialogState

#: The classes walked here, by the name jsonpickle writes (``util.importable_name``).
_CLASSES: dict[type, str] = {
    DialogState: "botbuilder.dialogs.dialog_state.DialogState",
    DialogInstance: "botbuilder.dialogs.dialog_instance.DialogInstance",
}
_CLASS_NAMED = {name: cls for cls, name in _CLASSES.items()}
#: Exact types jsonpickle passes through as they are (``util.PRIMITIVES`` less bytes).
_SCALARS = frozenset({str, int, float, bool, type(None)})
_OBJECT = "py/object"
_ID = "py/id"


class Unsure(Exception):
    """The value is outside what this module writes exactly as jsonpickle: use jsonpickle."""


def _plain_key(key: object) -> str:
    # jsonpickle drops its reserved tags as keys, renames None and non-strings, reads "py/..."
    # and "default_factory" specially, and skips "__" attributes: none of that is done here.
    if type(key) is not str or key.startswith(("py/", "__")) or key == "default_factory":
        raise Unsure
    return key


def flatten(item: object) -> Any:
    """``jsonpickle.Pickler().flatten(item)``, or ``Unsure``."""
    numbered: dict[int, int] = {}
    open_: set[int] = set()  # containers being walked: met again inside themselves is a cycle

    def walk(value: object) -> Any:
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is not dict and kind is not list and kind not in _CLASSES:
            raise Unsure
        key = id(value)
        number = numbered.get(key)
        if number is not None:
            if key in open_:
                raise Unsure
            return {_ID: number}
        numbered[key] = len(numbered)
        open_.add(key)
        out: Any
        if kind is list:
            out = [walk(v) for v in value]  # type: ignore[attr-defined]
        elif kind is dict:
            out = {_plain_key(k): walk(v) for k, v in value.items()}  # type: ignore[attr-defined]
        else:
            out = {_OBJECT: _CLASSES[kind]}
            for name, v in vars(value).items():
                out[_plain_key(name)] = walk(v)
        open_.discard(key)
        return out

    return walk(item)


def restore(flat: object) -> Any:
    """``jsonpickle.Unpickler().restore(flat)`` for JSON that ``flatten`` could have written,
    or ``Unsure``."""
    made: list[object] = []
    open_: set[int] = set()

    def walk(value: object) -> Any:
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is list:
            number = len(made)
            items: list[Any] = []
            made.append(items)
            open_.add(number)
            items.extend(walk(v) for v in value)  # type: ignore[attr-defined]
            open_.discard(number)
            return items
        if kind is not dict:
            raise Unsure
        if _ID in value:  # type: ignore[operator]
            return _reference(value)  # type: ignore[arg-type]
        cls = None
        if _OBJECT in value:  # type: ignore[operator]
            name = value[_OBJECT]  # type: ignore[index]
            cls = _CLASS_NAMED.get(name) if type(name) is str else None
            if cls is None:
                raise Unsure
        number = len(made)
        target: Any = {} if cls is None else cls.__new__(cls)
        made.append(target)
        open_.add(number)
        for k, v in value.items():  # type: ignore[attr-defined]
            if cls is None:
                target[_plain_key(k)] = walk(v)
            elif k != _OBJECT:
                setattr(target, _plain_key(k), walk(v))
        open_.discard(number)
        return target

    def _reference(value: dict[str, Any]) -> object:
        number = value[_ID]
        if len(value) != 1 or type(number) is not int or not 0 <= number < len(made):
            raise Unsure
        if number in open_:
            raise Unsure
        return made[number]

    return walk(flat)
