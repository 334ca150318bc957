"""Shapes: a small compiled schema for JSON request bodies.

A contract is a tree of `Shape` objects built once at import. `check` walks an already-parsed
body (orjson's dicts, lists, str, int, float, bool, None) and raises `Invalid` at the first
problem; the JSON path is collected only on the way out of a failure, so a valid body costs a
type test per node and nothing else. Every shape keeps its parameters as public attributes, so
tests can derive valid and invalid bodies from the same table the server checks against.
"""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

import orjson

from mcproute.redact import redact

JSON_TYPES: tuple[type, ...] = (dict, list, str, int, float, bool, type(None))
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY_SHOWN = 64  # a field name from the caller is shown truncated: it is the caller's input


class Invalid(Exception):
    """A problem at a place in the body. `path` holds the segments innermost first; each
    enclosing shape appends its own segment as the error passes through it."""

    def __init__(self, problem: str, *path: str | int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str | int] = list(reversed(path))


def format_path(segments: Iterable[str | int]) -> str:
    """`messages[2].content[0].type`; odd field names are quoted: `metadata["a b"]`. A name
    the caller chose that looks like a credential is shown redacted, never repeated."""
    out = ""
    for seg in segments:
        if isinstance(seg, int):
            out += f"[{seg}]"
            continue
        seg = redact(seg)
        if _IDENT.fullmatch(seg):
            out += f".{seg}" if out else seg
        else:
            out += "[" + orjson.dumps(seg[:_KEY_SHOWN]).decode() + "]"
    return out or "body"


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "a boolean"
    return {
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), "an unsupported value")


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(orjson.dumps(v).decode() for v in values)


def _bounds(kind: str, low: float | None, high: float | None, gt: bool = False) -> str:
    def num(x: float) -> str:
        return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else repr(x)

    if low is not None and high is not None and not gt:
        return f"{kind} from {num(low)} to {num(high)}"
    parts = [kind]
    if low is not None:
        parts.append(f"{'>' if gt else '>='} {num(low)}")
    if high is not None:
        parts.append(("and " if low is not None else "") + f"<= {num(high)}")
    return " ".join(parts)


class Shape(abc.ABC):
    """One node of a contract. `describe` completes "expected ..."; `kinds` are the Python
    types of the JSON values it can accept (a `Union` dispatches on them)."""

    describe = "a value"
    kinds: tuple[type, ...] = JSON_TYPES

    @abc.abstractmethod
    def check(self, value: Any) -> None:
        """Raise `Invalid` (naming the problem) unless `value` fits this shape."""

    def fail(self, value: Any) -> NoReturn:
        raise Invalid(f"expected {self.describe}, got {type_name(value)}")


class AnyValue(Shape):
    """Any JSON value (JSON Schema documents, tool arguments, provider-specific blobs)."""

    def check(self, value: Any) -> None:
        return None


class Str(Shape):
    kinds = (str,)

    def __init__(
        self,
        *,
        enum: Iterable[str] | None = None,
        min_len: int = 0,
        max_len: int | None = None,
        pattern: str | None = None,
        valid: Callable[[str], str | None] | None = None,
        describe: str | None = None,
        examples: Iterable[str] = (),
    ) -> None:
        self.enum = tuple(enum) if enum is not None else None
        self._enum_set = frozenset(self.enum or ())
        self.min_len = min_len
        self.max_len = max_len
        self.pattern = re.compile(pattern) if pattern is not None else None
        self.valid = valid  # a finer check: returns the problem, or None
        self.examples = tuple(examples)  # valid values, for a `valid` check tests cannot invert
        if describe is not None:
            self.describe = describe
        elif self.enum is not None:
            self.describe = f"one of {_quoted(self.enum)}"
        elif min_len or max_len is not None:
            self.describe = _bounds("a string of length", min_len or None, max_len)
        else:
            self.describe = "a string"

    def check(self, value: Any) -> None:
        if type(value) is not str:
            self.fail(value)
        if self.enum is not None:
            if value not in self._enum_set:
                raise Invalid(f"expected {self.describe}")
            return
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            raise Invalid(f"expected {self.describe}, got length {len(value)}")
        if self.pattern is not None and self.pattern.fullmatch(value) is None:
            raise Invalid(f"expected {self.describe}")
        if self.valid is not None:
            problem = self.valid(value)
            if problem is not None:
                raise Invalid(problem)


INT64 = (-(2**63), 2**63 - 1)


class Int(Shape):
    """An integer (an integral float such as `100.0` too, as JSON does not tell them apart)."""

    kinds = (int, float)

    def __init__(self, min: int = INT64[0], max: int = INT64[1]) -> None:
        self.min = min
        self.max = max
        shown_min = None if min == INT64[0] else min
        shown_max = None if max == INT64[1] else max
        self.describe = _bounds("an integer", shown_min, shown_max)

    def check(self, value: Any) -> None:
        kind = type(value)
        if kind is not int and not (kind is float and value.is_integer()):
            self.fail(value)
        if not self.min <= value <= self.max:
            raise Invalid(f"expected {self.describe}")


class Num(Shape):
    kinds = (int, float)

    def __init__(
        self, min: float | None = None, max: float | None = None, *, gt: float | None = None
    ) -> None:
        self.min = min
        self.max = max
        self.gt = gt  # an exclusive lower bound
        low = gt if gt is not None else min
        self.describe = _bounds("a number", low, max, gt=gt is not None)

    def check(self, value: Any) -> None:
        kind = type(value)
        if kind is not int and kind is not float:
            self.fail(value)
        if (
            (self.min is not None and value < self.min)
            or (self.gt is not None and value <= self.gt)
            or (self.max is not None and value > self.max)
            or (kind is float and not math.isfinite(value))
        ):
            raise Invalid(f"expected {self.describe}")


class Bool(Shape):
    kinds = (bool,)
    describe = "true or false"

    def check(self, value: Any) -> None:
        if value is not True and value is not False:
            self.fail(value)


class List(Shape):
    kinds = (list,)

    def __init__(self, item: Shape, *, min_items: int = 0, max_items: int | None = None) -> None:
        self.item = item
        self.min_items = min_items
        self.max_items = max_items
        if min_items and max_items is not None:
            counted = f" with {min_items} to {max_items} items"
        elif min_items:
            counted = f" with at least {min_items} item{'s' if min_items > 1 else ''}"
        elif max_items is not None:
            counted = f" with at most {max_items} items"
        else:
            counted = ""
        self.describe = f"an array of {item.describe}{counted}"
        self._any = isinstance(item, AnyValue)

    def check(self, value: Any) -> None:
        if type(value) is not list:
            self.fail(value)
        n = len(value)
        if n < self.min_items or (self.max_items is not None and n > self.max_items):
            raise Invalid(f"expected {self.describe}, got {n} items")
        if self._any:
            return
        check = self.item.check
        for i, item in enumerate(value):
            try:
                check(item)
            except Invalid as exc:
                exc.path.append(i)
                raise


class Dict(Shape):
    """An object used as a map: any keys, every value of one shape."""

    kinds = (dict,)

    def __init__(
        self, values: Shape, *, max_keys: int | None = None, key_max_len: int | None = None
    ) -> None:
        self.values = values
        self.max_keys = max_keys
        self.key_max_len = key_max_len
        self.describe = "an object"
        self._any = isinstance(values, AnyValue)

    def check(self, value: Any) -> None:
        if type(value) is not dict:
            self.fail(value)
        if self.max_keys is not None and len(value) > self.max_keys:
            raise Invalid(f"expected at most {self.max_keys} keys, got {len(value)}")
        if self._any and self.key_max_len is None:
            return
        for key, item in value.items():
            try:
                if self.key_max_len is not None and len(key) > self.key_max_len:
                    raise Invalid(f"key longer than {self.key_max_len} characters")
                self.values.check(item)
            except Invalid as exc:
                exc.path.append(key)
                raise


class Field:
    """A field of an `Obj`: its shape, and whether it must be present."""

    __slots__ = ("required", "shape")

    def __init__(self, shape: Shape, required: bool = False) -> None:
        self.shape = shape
        self.required = required


def Required(shape: Shape) -> Field:
    return Field(shape, required=True)


class Obj(Shape):
    """An object with known fields. `closed`: other fields are an error (our own APIs);
    open objects pass unknown fields through untouched (providers add fields often).
    `nulls`: a null optional field counts as absent (as OpenAI's API takes it).
    `exclusive`: groups of fields of which exactly one must be present."""

    kinds = (dict,)
    describe = "an object"

    def __init__(
        self,
        fields: Mapping[str, Shape | Field] | None = None,
        *,
        closed: bool = False,
        nulls: bool = True,
        exclusive: Iterable[tuple[str, ...]] = (),
    ) -> None:
        self.fields: dict[str, Field] = {
            name: f if isinstance(f, Field) else Field(f) for name, f in (fields or {}).items()
        }
        self.closed = closed
        self.nulls = nulls
        self.exclusive = tuple(exclusive)
        self.required = tuple(n for n, f in self.fields.items() if f.required)
        self._required_set = frozenset(self.required)
        self._shapes = {n: f.shape for n, f in self.fields.items()}
        self._nullable = frozenset(n for n, f in self.fields.items() if nulls and not f.required)
        self._entries: dict[str, tuple[type | None, bool, Callable[[Any], None]]] = {}
        for name in self.fields:
            self._index(name)
        self._trivial = not self.fields and not closed and not self.exclusive

    def _index(self, name: str) -> None:
        """One lookup per field on the hot path: the type that alone settles it (a plain
        string, a boolean, any object: tested inline, sparing a call), whether null counts as
        absent, and the shape's check."""
        shape = self.fields[name].shape
        nullable = name in self._nullable
        self._entries[name] = (_simple_type(shape), nullable, shape.check)

    def check(self, value: Any) -> None:
        if type(value) is not dict:
            self.fail(value)
        if self._trivial:
            return
        entries = self._entries
        for key, item in value.items():
            entry = entries.get(key)
            if entry is None:
                if self.closed:
                    raise Invalid(f"unknown field; expected one of {_quoted(self.fields)}", key)
                continue
            simple, nullable, check = entry
            if type(item) is simple or (item is None and nullable):
                continue
            try:
                check(item)
            except Invalid as exc:
                exc.path.append(key)
                raise
        if self._required_set and not self._required_set <= value.keys():
            for name in self.required:  # a set test above; the name is found only on failure
                if name not in value:
                    raise Invalid(f"required, {self._shapes[name].describe}", name)
        for group in self.exclusive:
            present = [n for n in group if value.get(n) is not None]
            if not present:
                raise Invalid(f"{' or '.join(group)} is required")
            if len(present) > 1:
                raise Invalid(f"give either {' or '.join(present)}, not both")


def _simple_type(shape: Shape) -> type | None:
    """The one Python type that makes a value valid for `shape`, if a type test is enough."""
    if isinstance(shape, Bool):
        return bool
    if isinstance(shape, Str) and shape.describe == "a string" and shape.valid is None:
        return str
    if isinstance(shape, Obj) and shape._trivial:
        return dict
    return None


class Tagged(Shape):
    """Objects told apart by a tag field (`type` of a content part, `role` of a message)."""

    kinds = (dict,)

    def __init__(self, tag: str, variants: Mapping[str, Obj], describe: str | None = None) -> None:
        self.tag = tag
        self.variants = dict(variants)
        self.describe = describe or f"an object with {tag} " + " or ".join(
            _quoted(self.variants).split(", ")
        )
        self.tag_shape = Str(enum=self.variants)
        for variant in self.variants.values():  # checked here already: a known field there
            if tag not in variant.fields:
                variant.fields[tag] = Field(Str())  # a plain string: settled inline
                variant._shapes[tag] = variant.fields[tag].shape
                variant._index(tag)

    def check(self, value: Any) -> None:
        if type(value) is not dict:
            self.fail(value)
        tag = value.get(self.tag)
        variant = self.variants.get(tag) if type(tag) is str else None
        if variant is None:
            if tag is None:
                raise Invalid(f"required, {self.tag_shape.describe}", self.tag)
            raise Invalid(f"expected {self.tag_shape.describe}", self.tag)
        variant.check(value)


class Union(Shape):
    """One of several shapes that accept different JSON types (a string or an array of parts;
    a mode name or an object): the value's type picks the shape, so errors come from it."""

    def __init__(self, *alternatives: Shape) -> None:
        self.alternatives = alternatives
        self._by_type: dict[type, Shape] = {}
        for alt in alternatives:
            for kind in alt.kinds:
                if kind in self._by_type:
                    raise TypeError(f"union alternatives overlap on {kind.__name__}")
                self._by_type[kind] = alt
        self.kinds = tuple(self._by_type)
        self.describe = " or ".join(a.describe for a in alternatives)

    def check(self, value: Any) -> None:
        shape = self._by_type.get(type(value))
        if shape is None:
            self.fail(value)
        shape.check(value)
