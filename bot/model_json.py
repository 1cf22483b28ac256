"""msrest's JSON for botbuilder models, without msrest's per-value machinery (bot/adapter.py, 6, 8).

msrest reads and writes a model by interpreting its ``_attribute_map`` afresh for every value:
a copy of the attribute's description, a key-transformer call and a regex split per attribute,
a chain of type-string tests, an exception for every absent value. For a Teams message activity
that is ~0.3 ms to read, and ~0.3 ms to write a card reply, in a turn of a few milliseconds.
Here each model class's ``_attribute_map`` is compiled once into (attribute, JSON key,
converter) triples, and a converter does only what msrest would do with the value in hand.

Exact, or not at all. A converter accepts only values whose msrest result it is sure of (the
exact JSON types, a ``str`` enum member, a model whose class compiled) and raises ``Unsure``
for anything else: a number or an object in a ``str`` field (msrest writes its ``str()``), an
unusual timestamp, a tuple, a class whose map has flattened (dotted) keys, validation rules, a
subtype map or an ``additional_properties`` entry, a type string this module does not know.
The caller then hands the *whole* model to msrest, so what msrest accepts, refuses or mangles,
it still does; this module only ever gives msrest's own result sooner. The property tests in
``tests/unit/test_model_json.py`` hold it to that, attribute by attribute.

Reading mirrors ``Model.deserialize`` (a ``Deserializer`` with its default key extractors,
checked at import): keys are matched case-sensitively (``rest_key_extractor``; the
case-insensitive extractors are only used by ``Model.from_dict`` and by ``Serializer.body``'s
rebuild), a model is built by calling its class with every attribute (``None`` when absent),
JSON keys the map does not know are kept, as the same objects, in ``additional_properties``,
and ``object`` fields (channel data, values) are copied container by container, as msrest's
walk copies them. Timestamps become the same ``datetime``: isodate's ``UTC`` for ``Z``, a new
isodate ``FixedOffset`` for ``+hh:mm``, fractions past microseconds cut off.

Writing mirrors ``Serializer._serialize`` of a model with the default key transformer: ``None``
attributes are left out, keys come in ``_attribute_map`` order, a ``str`` enum member is written
as its value, and plain JSON in an ``object`` field is passed through (``is_plain_json``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from botbuilder.schema import Activity
from isodate.isotzinfo import build_tzinfo
from isodate.tzinfo import UTC as ISODATE_UTC
from msrest.serialization import (
    Deserializer,
    Model,
    Serializer,
    rest_key_extractor,
    xml_key_extractor,
)

Convert = Callable[[Any], Any]

_JSON_LEAVES = frozenset((str, int, bool, type(None)))  # and float, but not NaN


class Unsure(Exception):
    """The fast path cannot promise msrest's result for this input: msrest must decide.

    Deliberately not a ``ValueError``: msrest treats some ``ValueError``s as "leave this value
    out", and nothing here may be mistaken for one of them."""


def is_plain_json(value: Any) -> bool:
    """True for JSON built of exactly dict (string keys), list, str, int, float, bool and None.

    Exact types, not subclasses: a ``str`` enum or a model inside must still go through msrest.
    Written out with loops (and strings, the commonest leaf, tested inline): an Adaptive Card
    is hundreds of values and this walk runs on every card reply.
    """
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) is not str and not is_plain_json(item)):
                return False
        return True
    if kind is list:
        for item in value:  # noqa: SIM110 - a generator under all() costs twice the time here
            if type(item) is not str and not is_plain_json(item):
                return False
        return True
    if kind in _JSON_LEAVES:
        return True
    if kind is float:
        return value == value  # NaN is not JSON
    return False


# -- what compiles ------------------------------------------------------------------------------

#: msrest type strings whose values neither direction converts here (msrest's own parsers and
#: formatters handle them; no model on a bot turn uses them).
_OTHER_MSREST_TYPES = frozenset(Serializer(None).serialize_type) | frozenset(
    Deserializer(None).deserialize_type
)


def _compilable(cls: type) -> bool:
    """A model class whose JSON shape is its attribute map, key for key: msrest treats it
    generically, as the converters below assume."""
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        return False
    attribute_map = cls._attribute_map
    keys = [desc.get("key") for desc in attribute_map.values()]
    return (
        # A subtype map (own or inherited) makes msrest pick a subclass and drop the key.
        not getattr(cls, "_subtype_map", None)
        and not cls.is_xml_model()
        # Rules: read-only and constant attributes are skipped when written and set apart when
        # read, and Serializer.body checks the others (no botbuilder model declares any).
        and not cls._validation
        # With an entry in the map, additional_properties is written and not collected.
        and "additional_properties" not in attribute_map
        # Dotted keys are flattened paths; repeated keys mean "the first one wins".
        and all(type(key) is str and key and "." not in key for key in keys)
        and len(set(keys)) == len(keys)
        and all(type(desc.get("type")) is str and desc["type"] for desc in attribute_map.values())
    )


def _unsure(value: Any) -> Any:
    raise Unsure


def _compile_type(
    type_name: str, dependencies: Mapping[str, Any], *, text: Convert, timestamp: Convert,
    json_object: Convert, model: Callable[[type], Convert],
) -> Convert:  # fmt: skip
    """The converter for an msrest type string, in either direction: the cases are msrest's own
    (``serialize_data``/``deserialize_data`` test them in the same order); what differs between
    reading and writing (strings, timestamps, ``object`` fields, models) is passed in."""
    scalar = {"str": text, "int": _exactly(int), "float": _exactly(float),
              "bool": _exactly(bool), "iso-8601": timestamp, "object": json_object}  # fmt: skip
    if type_name in scalar:
        return scalar[type_name]
    if type_name in _OTHER_MSREST_TYPES:
        return _unsure

    def inner(element: str) -> Convert:
        return _compile_type(element, dependencies, text=text, timestamp=timestamp,
                             json_object=json_object, model=model)  # fmt: skip

    if type_name[0] + type_name[-1] == "[]":
        return _items(inner(type_name[1:-1]))
    if type_name[0] + type_name[-1] == "{}":
        return _values(inner(type_name[1:-1]))
    target = dependencies.get(type_name)
    if not (isinstance(target, type) and issubclass(target, Model)):
        return _unsure  # an enum (msrest checks or makes a member of it), or unknown to msrest
    return model(target)


def _exactly(kind: type) -> Convert:
    """A converter that passes a value of exactly ``kind`` through (msrest's ``str(x)``,
    ``int(x)``, ``float(x)``, ``bool(x)`` give that same value back) and is unsure otherwise."""

    def convert(value: Any) -> Any:
        if type(value) is kind:
            return value
        raise Unsure

    return convert


def _items(convert: Convert) -> Convert:
    """``[X]``: msrest converts each item, ``None`` staying ``None``."""

    def convert_list(value: Any) -> Any:
        if type(value) is not list:
            raise Unsure
        return [None if item is None else convert(item) for item in value]

    return convert_list


def _values(convert: Convert) -> Convert:
    """``{X}``: msrest converts each value and keeps the (string) keys."""

    def convert_dict(value: Any) -> Any:
        if type(value) is not dict:
            raise Unsure  # msrest also reads a list of {"key", "value"} pairs: left to it
        result = {}
        for key, item in value.items():
            if type(key) is not str:
                raise Unsure
            result[key] = None if item is None else convert(item)
        return result

    return convert_dict


# -- reading ------------------------------------------------------------------------------------

#: The timestamps channels send: ``2026-11-26T09:30:01.1234567Z`` or with ``+hh:mm``, in ASCII
#: digits (msrest upper-cases first and isodate takes other layouts: those fall back).
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|([+-])([0-9]{2}):([0-9]{2}))",
    re.ASCII,
)


def read_timestamp(text: Any) -> datetime:
    """``Deserializer.deserialize_iso(text)`` for the common layouts, else ``Unsure``.

    msrest cuts a fraction to six digits (``str.replace`` of the digit run, which with these
    layouts can only match the fraction) and isodate parses the rest into ``datetime.combine(
    date, time(h, m, s, µs, tz))``, ``tz`` from ``build_tzinfo``; then msrest refuses a moment
    outside years 1-9999 in UTC. The same steps, minus the generality."""
    if type(text) is not str:
        raise Unsure
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise Unsure
    year, month, day, hour, minute, second, fraction, zone, sign, tz_hour, tz_minute = (
        match.groups()
    )
    microsecond = int(fraction[:6].ljust(6, "0")) if fraction else 0
    if zone == "Z":
        tzinfo = ISODATE_UTC
    else:
        tzinfo = build_tzinfo(zone, sign, int(tz_hour), int(tz_minute))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond,
            tzinfo,
        )  # fmt: skip
        in_utc = moment.utctimetuple()
    except (ValueError, OverflowError) as error:
        raise Unsure from error  # msrest refuses it too, in its own words
    if not 1 <= in_utc.tm_year <= 9999:
        raise Unsure
    return moment


def copy_json(value: Any) -> Any:
    """``Deserializer.deserialize_object`` of plain JSON: new dicts and lists, the same scalars
    (``str(s)``, ``int(i)``, ``float(f)``, ``bool(b)`` of exact types return their argument)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool:
        return value
    if kind is dict:
        return {key: None if item is None else copy_json(item) for key, item in value.items()}
    if kind is list:
        return [None if item is None else copy_json(item) for item in value]
    raise Unsure  # msrest turns a str subclass into a str, refuses a tuple...


#: Read types whose values msrest gives back unchanged when they are of exactly this Python type.
_EXACT_READS: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


class _ReadPlan:
    __slots__ = ("by_key", "cls", "known_keys", "nothing")

    def __init__(self, cls: type[Model], fields: list[tuple[str, str, type | None, Convert]]):
        self.cls = cls
        # Every attribute, None until found, in map order: msrest passes them all to __init__.
        self.nothing = {attr: None for attr, _, _, _ in fields}
        # JSON key -> (attribute, the exact type passed through or None, else the converter).
        self.by_key = {key: (attr, exact, convert) for attr, key, exact, convert in fields}
        # msrest's additional-properties test: every key that is not the head of a map key.
        self.known_keys = set(self.by_key)


class ModelReader:
    """Reads JSON into models as ``Deserializer(dependencies)`` with its default key extractors
    does, or raises ``Unsure``. Type strings in attribute maps resolve through ``dependencies``,
    as msrest resolves them."""

    def __init__(self, dependencies: Mapping[str, type]) -> None:
        self._dependencies = dict(dependencies)
        self._plans: dict[type, _ReadPlan | None] = {}

    def read(self, cls: type[Model], data: Any) -> Model:
        plan = self._plans.get(cls, False)
        if plan is False:
            plan = self._plans[cls] = self._plan(cls)
        if plan is None or type(data) is not dict:
            raise Unsure  # msrest fails on anything but a mapping here, in its own way
        # msrest looks each map key up in the JSON; looking each JSON key up in the map finds
        # the same pairs (keys are unique on both sides) in a third of the steps for an
        # activity, whose map has 42 keys and whose JSON a dozen.
        kwargs = plan.nothing.copy()
        by_key = plan.by_key
        unknown = False
        for key, value in data.items():
            field = by_key.get(key)
            if field is None:
                unknown = True
            elif value is not None:
                attr, exact, convert = field
                kwargs[attr] = value if type(value) is exact else convert(value)
        model = plan.cls(**kwargs)
        if unknown:
            # Built as msrest builds it (a set difference, then a dict over it), so even the
            # order of additional_properties is the same; the values are the JSON's own objects.
            missing_keys = set(data.keys()) - plan.known_keys
            model.additional_properties = {key: data[key] for key in missing_keys}
        return model

    def _plan(self, cls: type) -> _ReadPlan | None:
        if not _compilable(cls):
            return None
        fields = []
        for attr, desc in cls._attribute_map.items():
            exact = _EXACT_READS.get(desc["type"])
            # For str, int, float, bool anything but the exact type is msrest's to convert (a
            # number or an object in a str field becomes its str(), a "1" in an int field 1).
            convert = _unsure if exact is not None else self._converter(desc["type"])
            fields.append((attr, desc["key"], exact, convert))
        return _ReadPlan(cls, fields)

    def _converter(self, type_name: str) -> Convert:
        def read_model(target: type) -> Convert:
            def convert_model(value: Any) -> Any:
                # Resolved when used: model graphs are recursive (Activity -> ... -> Activity).
                return self.read(target, value)

            return convert_model

        # A number or an object in a str field becomes its str() in msrest: left to it.
        return _compile_type(type_name, self._dependencies, text=_exactly(str),
                             timestamp=read_timestamp, json_object=copy_json,
                             model=read_model)  # fmt: skip


def _msrest_reads_as_assumed() -> bool:
    """``Model.deserialize`` still builds a ``Deserializer`` that looks keys up exactly and
    collects unknown keys: what ``ModelReader`` reproduces."""
    probe = Deserializer()
    return (
        probe.key_extractors == [rest_key_extractor, xml_key_extractor]
        and probe.additional_properties_detection is True
    )


#: What ``Activity().deserialize`` resolves type strings with (``Model._infer_class_models``).
ACTIVITY_READER = (
    ModelReader(Activity._infer_class_models()) if _msrest_reads_as_assumed() else None
)


def read_activity(body: Any) -> Activity:
    """``Activity().deserialize(body)``: the same activity, or the same exception (msrest's own,
    for any input the fast path is not sure of)."""
    if ACTIVITY_READER is not None:
        try:
            return ACTIVITY_READER.read(Activity, body)  # type: ignore[return-value]
        except Exception:  # Unsure, or any surprise (RecursionError): msrest decides
            pass
    return Activity().deserialize(body)


# -- writing ------------------------------------------------------------------------------------


def _write_str(value: Any) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, Enum) and type(value.value) is str:
        return value.value  # msrest's serialize_unicode writes an enum member's value
    raise Unsure


def _write_timestamp(value: Any) -> Any:
    if type(value) is not datetime:
        raise Unsure
    return Serializer.serialize_iso(value)  # msrest's own formatter, so exact by construction


class _WritePlan:
    __slots__ = ("fields",)

    def __init__(self, fields: list[tuple[str, str, Convert]]) -> None:
        self.fields = tuple(fields)


class ModelWriter:
    """Writes models as ``Serializer(dependencies)._serialize`` does with its default key
    transformer and no options, or raises ``Unsure``."""

    def __init__(self, dependencies: Mapping[str, type]) -> None:
        self._dependencies = dict(dependencies)
        self._plans: dict[type, _WritePlan | None] = {}

    def write(self, model: Any) -> dict[str, Any]:
        # The model's own class, not the declared one: msrest walks the object's own map.
        cls = type(model)
        plan = self._plans.get(cls, False)
        if plan is False:
            plan = self._plans[cls] = self._plan(cls)
        if plan is None:
            raise Unsure
        written = {}
        for attr, key, convert in plan.fields:
            value = getattr(model, attr)
            if value is not None:  # msrest leaves None out (its serialize_data raises)
                written[key] = convert(value)
        return written

    def _plan(self, cls: type) -> _WritePlan | None:
        if not _compilable(cls):
            return None
        return _WritePlan(
            [
                (attr, desc["key"], self._converter(desc["type"]))
                for attr, desc in cls._attribute_map.items()
            ]
        )

    def _write_object(self, value: Any) -> Any:
        if is_plain_json(value):
            return value  # msrest's walk copies it into equal values
        if isinstance(value, Model):
            return self.write(value)  # msrest serialises a model it finds as a model
        raise Unsure

    def _write_model(self, value: Any) -> Any:
        if not isinstance(value, Model):
            raise Unsure
        return self.write(value)

    def _converter(self, type_name: str) -> Convert:
        # msrest serialises whatever model it finds in a model field as that model.
        return _compile_type(type_name, self._dependencies, text=_write_str,
                             timestamp=_write_timestamp, json_object=self._write_object,
                             model=lambda _target: self._write_model)  # fmt: skip
