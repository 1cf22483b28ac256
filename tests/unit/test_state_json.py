"""``bot/state_json.py`` writes and reads the bot state exactly as jsonpickle does.

The oracle is jsonpickle itself (``Pickler().flatten``, ``Unpickler().restore``). States are
generated as object graphs: JSON values, ``DialogState`` and ``DialogInstance`` (with extra
attributes), containers met again elsewhere (shared) or inside themselves (cycles), and hostile
values (tuples, sets, bytes, other classes and subclasses, enums, keys jsonpickle treats
specially). Writing must give jsonpickle's JSON, text for text, or step aside (``Unsure``);
reading jsonpickle's JSON (and hostile documents) must give an object graph that jsonpickle
writes back identically (types, attributes, order and sharing), or step aside, and a document
jsonpickle refuses must not be read here. A state of dialogs' language (no hostile value, no
cycle) must never need the fallback: that is where the time is saved. ``bot/state.py``
is held to the same oracle through ``_serialise``/``_deserialise``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import pytest
from botbuilder.dialogs import DialogInstance, DialogState
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from bot import state_json
from bot.state import _class_missing, _deserialise, _serialise
from bot.state_json import Unsure

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["id", "state", "_dialog_stack", "options", "values", "e_tag", "null",
                     "py/object", "py/id", "py/tuple", "py/b64", "py/state", "py/seq",
                     "__dict__", "__x", "default_factory", "py/ref"]),
)  # fmt: skip
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))


class Colour(IntEnum):
    RED = 1


class TaggedStr(str):
    pass


class MyInstance(DialogInstance):
    pass


@dataclass
class Other:
    x: int = 1
    y: list[int] = field(default_factory=list)


HOSTILE = st.sampled_from([
    lambda: (1, "a"), lambda: {2, 3}, lambda: b"\x00b", lambda: Colour.RED,
    lambda: TaggedStr("t"), lambda: MyInstance("m"), lambda: Other(), lambda: OrderedDict(a=1),
    lambda: {1: "int key"}, lambda: {None: "none key"}, lambda: len,
])  # fmt: skip


@dataclass
class Graph:
    """A generated state and what went into it."""

    root: dict[str, Any]
    hostile: bool = False  # a value outside dialogs' language
    cycle: bool = False  # a container met again inside itself


class Builder:
    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.made: list[object] = []  # containers made so far (for references)
        self.open: list[object] = []  # containers being filled (a reference to one: a cycle)
        self.hostile = False
        self.cycle = False

    def draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(strategy)

    def key(self) -> str:
        k = self.draw(KEYS)
        if k.startswith(("py/", "__")) or k == "default_factory":
            self.hostile = True
        return k

    def value(self, depth: int) -> object:
        kind = self.draw(st.integers(0, 9 if depth < 4 else 3))
        if kind <= 2:
            return self.draw(SCALARS)
        if kind == 3:
            if not self.made:
                return self.draw(SCALARS)
            again = self.draw(st.sampled_from(self.made))
            if any(again is o for o in self.open):
                self.cycle = True
            return again
        if kind in (4, 5):
            return self.fill_dict({}, depth)
        if kind == 6:
            items: list[object] = []
            self.made.append(items)
            self.open.append(items)
            items.extend(self.value(depth + 1) for _ in range(self.draw(st.integers(0, 3))))
            self.open.pop()
            return items
        if kind == 7:
            instance = DialogInstance(self.draw(st.text(max_size=8)))
            self.made.append(instance)
            self.open.append(instance)
            instance.state = self.fill_dict({}, depth)
            for _ in range(self.draw(st.integers(0, 2))):
                vars(instance)[self.key()] = self.value(depth + 1)
            self.open.pop()
            return instance
        if kind == 8:
            stack = DialogState()
            self.made.append(stack)
            self.open.append(stack)
            stack._dialog_stack = [
                self.value(depth + 1) for _ in range(self.draw(st.integers(0, 3)))
            ]
            self.open.pop()
            return stack
        self.hostile = True
        return self.draw(HOSTILE)()

    def fill_dict(self, target: dict[str, Any], depth: int) -> dict[str, Any]:
        self.made.append(target)
        self.open.append(target)
        for _ in range(self.draw(st.integers(0, 4))):
            target[self.key()] = self.value(depth + 1)
        self.open.pop()
        return target


def build(data: st.DataObject) -> Graph:
    builder = Builder(data)
    root = builder.fill_dict({}, 0)
    return Graph(root, builder.hostile, builder.cycle)


def jsonpickle_text(item: object) -> str:
    return json.dumps(Pickler().flatten(item), ensure_ascii=False)


def in_language(graph: Graph) -> bool:
    return not graph.hostile and not graph.cycle


def walked(walk: Callable[[Any], Any], value: Any, graph: Graph) -> tuple[bool, Any]:
    """``(True, walk(value))``, or ``(False, None)`` when it stepped aside, which a state of
    dialogs' language must never need (that is where the time is saved)."""
    try:
        return True, walk(value)
    except Unsure:
        assert not in_language(graph), "a state of dialogs' language needed jsonpickle"
        return False, None


@PROPERTIES
@given(st.data())
def test_writes_what_jsonpickle_writes(data: st.DataObject) -> None:
    graph = build(data)
    expected = jsonpickle_text(graph.root)
    done, flat = walked(state_json.flatten, graph.root, graph)
    if done:
        assert json.dumps(flat, ensure_ascii=False) == expected


@PROPERTIES
@given(st.data())
def test_reads_what_jsonpickle_reads(data: st.DataObject) -> None:
    graph = build(data)
    text = jsonpickle_text(graph.root)
    try:
        expected = Unpickler(safe=True, on_missing="ignore").restore(json.loads(text))
    except Exception:  # jsonpickle cannot read back what it wrote (a "py/b64" key)
        assert not in_language(graph)
        with pytest.raises(Unsure):
            state_json.restore(json.loads(text))
        return
    done, restored = walked(state_json.restore, json.loads(text), graph)
    if done:
        # Written back by jsonpickle: types, attribute order and sharing, all in the text.
        assert jsonpickle_text(restored) == jsonpickle_text(expected) == text


HOSTILE_DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(KEYS, inner, max_size=3),
        st.fixed_dictionaries(
            {"py/id": st.one_of(st.integers(-2, 8), st.booleans(), st.text(max_size=2))},
            optional={"py/tuple": st.lists(inner, max_size=2), "py/set": st.just([]), "a": inner},
        ),
        st.fixed_dictionaries(
            {"py/object": st.sampled_from([
                "botbuilder.dialogs.dialog_state.DialogState",
                "botbuilder.dialogs.dialog_instance.DialogInstance",
                "builtins.dict", "no.such.Class", 7])},
            optional={"id": inner, "state": inner, "_dialog_stack": inner, "py/state": inner,
                      "py/seq": inner, "default_factory": inner},
        ),
    ),
    max_leaves=12,
)  # fmt: skip


@PROPERTIES
@given(st.dictionaries(KEYS, HOSTILE_DOCS, max_size=4))
def test_a_document_is_read_as_jsonpickle_reads_it_or_left_to_it(doc: dict[str, Any]) -> None:
    text = json.dumps(doc)
    try:
        expected = Unpickler(safe=True, on_missing=_class_missing).restore(json.loads(text))
        expected_text = jsonpickle_text(expected)
    except Exception:  # whatever jsonpickle refuses must not be read here
        with pytest.raises(Unsure):
            state_json.restore(json.loads(text))
        return
    try:
        restored = state_json.restore(json.loads(text))
    except Unsure:
        return
    assert jsonpickle_text(restored) == expected_text


@PROPERTIES
@given(st.data())
def test_the_store_writes_and_reads_as_jsonpickle_does(data: st.DataObject) -> None:
    graph = build(data)
    expected = Pickler().flatten(graph.root)
    expected.pop("e_tag", None)
    written = _serialise("key", graph.root)
    assert written == json.dumps(expected, ensure_ascii=False)
    flat = json.loads(written)
    flat["e_tag"] = "etag-1"
    try:
        oracle = Unpickler(safe=True, on_missing=_class_missing).restore(flat)
    except Exception as refused:  # the same refusal must come out
        with pytest.raises(type(refused)):
            _deserialise(written, "etag-1")
        return
    assert jsonpickle_text(_deserialise(written, "etag-1")) == jsonpickle_text(oracle)


def test_a_dialog_turns_state_is_walked_without_jsonpickle() -> None:
    # The shape a raise-IR dialog stores: nested stacks, a card prompt, options shared by two
    # dialogs on the stack (written once, then as {"py/id": n}).
    options = {"staff": {"id": 5, "display_name": "Alex Wilber"}, "child_pk": None}
    card = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Why?"}]}
    inner = DialogState([
        DialogInstance("raise_ir.reasons", {"options": {"prompt": {"card": card}}, "attempts": 0}),
        DialogInstance("raise_ir.steps", {"options": options, "values": {}, "stepIndex": 1}),
    ])  # fmt: skip
    state = {
        "IroMemory": {"last_intent": "RAISE_IR", "last_child": {"pk": 24}},
        "DialogState": DialogState(
            [DialogInstance("raise_ir", {"dialogs": inner, "options": options})]
        ),
    }  # fmt: skip
    flat = state_json.flatten(state)
    assert json.dumps(flat) == jsonpickle_text(state)
    assert '"options": {"py/id": ' in json.dumps(flat)
    restored = state_json.restore(json.loads(json.dumps(flat)))
    outer = restored["DialogState"]._dialog_stack[0]
    # The shared options are one dict again, as jsonpickle would restore them.
    assert outer.state["dialogs"]._dialog_stack[1].state["options"] is outer.state["options"]
    assert type(outer) is DialogInstance


def test_a_cycle_and_a_foreign_class_are_left_to_jsonpickle() -> None:
    looped: dict[str, Any] = {}
    looped["self"] = looped
    with pytest.raises(Unsure):
        state_json.flatten(looped)
    with pytest.raises(Unsure):
        state_json.flatten({"d": MyInstance("sub")})
    with pytest.raises(Unsure):
        state_json.restore({"a": {"b": {"py/id": 1}}})  # a reference to an open dict
    with pytest.raises(Unsure):
        state_json.restore({"x": {"py/object": "botbuilder.schema._models_py3.Activity"}})
    # jsonpickle reads a tuple tag before a reference tag: such a document is left to it.
    doc = {"a": [], "b": {"py/id": 1, "py/tuple": [1]}}
    assert Unpickler().restore(json.loads(json.dumps(doc)))["b"] == (1,)
    with pytest.raises(Unsure):
        state_json.restore(doc)
