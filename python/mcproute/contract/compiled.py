"""A contract's shapes compiled to one Python predicate: is this parsed body valid?

The shape tree (`shapes.py`) walks a body and reports where it fails; that bookkeeping (a call
per node, exception frames) is wasted on the valid bodies that are nearly all traffic. Here the
same tree is turned, once at import, into straight-line Python source: scalar fields become
inline type and range tests, each object, array and tagged union one function. The predicate
only answers yes or no; `Contract.check` asks the shape tree for the path and the problem only
when the answer is no.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from mcproute.contract.shapes import (
    AnyValue,
    Bool,
    Dict,
    Int,
    Invalid,
    List,
    Num,
    Obj,
    Shape,
    Str,
    Tagged,
    Union,
)

Predicate = Callable[[Any], bool]
_INLINE_FIELDS = 8  # objects with more known fields dispatch through a dict of predicates


def _accepts(shape: Shape) -> Predicate:
    """A predicate from the shape tree itself, for the rare checks not worth generating."""

    def ok(value: Any) -> bool:
        try:
            shape.check(value)
        except Invalid:
            return False
        return True

    return ok


class _Compiler:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"isfinite": math.isfinite}
        self.done: dict[int, str] = {}

    def constant(self, value: Any) -> str:
        name = f"c{len(self.names)}"
        self.names[name] = value
        return name

    def expr(self, shape: Shape, var: str) -> str:
        """A boolean expression over `var` that is true when `shape` accepts it."""
        if isinstance(shape, AnyValue):
            return "True"
        if isinstance(shape, Bool):
            return f"({var} is True or {var} is False)"
        if isinstance(shape, Str):
            if shape.enum is not None:
                return f"(type({var}) is str and {var} in {self.constant(frozenset(shape.enum))})"
            if shape.describe == "a string" and shape.valid is None:
                return f"type({var}) is str"
            return f"{self.constant(_accepts(shape))}({var})"
        if isinstance(shape, Int):
            return (
                f"((type({var}) is int or (type({var}) is float and {var}.is_integer()))"
                f" and {shape.min} <= {var} <= {shape.max})"
            )
        if isinstance(shape, Num):
            tests = [f"(type({var}) is int or type({var}) is float)"]
            if shape.min is not None:
                tests.append(f"{var} >= {shape.min!r}")
            if shape.gt is not None:
                tests.append(f"{var} > {shape.gt!r}")
            if shape.max is not None:
                tests.append(f"{var} <= {shape.max!r}")
            tests.append(f"isfinite({var})")
            return "(" + " and ".join(tests) + ")"
        return f"{self.function(shape)}({var})"

    def function(self, shape: Shape) -> str:
        """The name of a generated function for a container shape (generated once per node)."""
        if id(shape) in self.done:
            return self.done[id(shape)]
        name = f"f{len(self.done)}"
        self.done[id(shape)] = name
        body: list[str]
        if isinstance(shape, Obj):
            body = self.obj(shape)
        elif isinstance(shape, List):
            body = self.array(shape)
        elif isinstance(shape, Dict):
            body = self.map(shape)
        elif isinstance(shape, Tagged):
            body = self.tagged(shape)
        elif isinstance(shape, Union):
            body = self.union(shape)
        else:
            self.names[name] = _accepts(shape)
            return name
        self.lines += [f"def {name}(v):", *("    " + line for line in body), ""]
        return name

    def field_test(self, shape: Obj, key: str, var: str) -> str:
        test = self.expr(shape.fields[key].shape, var)
        return f"({var} is None or {test})" if key in shape._nullable else test

    def obj(self, shape: Obj) -> list[str]:
        out = ["if type(v) is not dict:", "    return False"]
        if shape.fields or shape.closed:
            unknown = "return False" if shape.closed else "pass"
            if len(shape.fields) <= _INLINE_FIELDS:
                out.append("for k, x in v.items():")
                for i, key in enumerate(shape.fields):
                    out += [
                        f"    {'if' if i == 0 else 'elif'} k == {key!r}:",
                        f"        if not {self.field_test(shape, key, 'x')}:",
                        "            return False",
                    ]
                out += [f"    {'else:' if shape.fields else 'if True:'}", f"        {unknown}"]
            else:
                tests = {}
                for key in shape.fields:
                    fn = f"lambda x: {self.field_test(shape, key, 'x')}"
                    tests[key] = fn
                table = self.constant({})
                self.lines.append(
                    f"{table}.update({{{', '.join(f'{k!r}: {fn}' for k, fn in tests.items())}}})"
                )
                out += [
                    "for k, x in v.items():",
                    f"    p = {table}.get(k)",
                    "    if p is None:",
                    f"        {unknown}",
                    "    elif not p(x):",
                    "        return False",
                ]
        if shape.required:
            out.append(f"if not {self.constant(frozenset(shape.required))} <= v.keys():")
            out.append("    return False")
        for group in shape.exclusive:
            names = self.constant(group)
            out.append(f"if sum(v.get(n) is not None for n in {names}) != 1:")
            out.append("    return False")
        return [*out, "return True"]

    def array(self, shape: List) -> list[str]:
        out = ["if type(v) is not list:", "    return False"]
        if shape.min_items:
            out += [f"if len(v) < {shape.min_items}:", "    return False"]
        if shape.max_items is not None:
            out += [f"if len(v) > {shape.max_items}:", "    return False"]
        if not isinstance(shape.item, AnyValue):
            out += [
                "for x in v:",
                f"    if not {self.expr(shape.item, 'x')}:",
                "        return False",
            ]
        return [*out, "return True"]

    def map(self, shape: Dict) -> list[str]:
        out = ["if type(v) is not dict:", "    return False"]
        if shape.max_keys is not None:
            out += [f"if len(v) > {shape.max_keys}:", "    return False"]
        tests = [f"not {self.expr(shape.values, 'x')}"]
        if shape.key_max_len is not None:
            tests.insert(0, f"len(k) > {shape.key_max_len}")
        out += ["for k, x in v.items():", f"    if {' or '.join(tests)}:", "        return False"]
        return [*out, "return True"]

    def tagged(self, shape: Tagged) -> list[str]:
        table = self.constant({})
        names = {tag: self.function(variant) for tag, variant in shape.variants.items()}
        self.lines.append(
            f"{table}.update({{{', '.join(f'{t!r}: {n}' for t, n in names.items())}}})"
        )
        return [
            "if type(v) is not dict:",
            "    return False",
            f"t = v.get({shape.tag!r})",
            "if type(t) is not str:",
            "    return False",
            f"p = {table}.get(t)",
            "return p is not None and p(v)",
        ]

    def union(self, shape: Union) -> list[str]:
        out = ["t = type(v)"]
        for alt in shape.alternatives:
            kinds = " or ".join(f"t is {k.__name__}" for k in alt.kinds)
            out += [f"if {kinds}:", f"    return {self.expr(alt, 'v')}"]
        return [*out, "return False"]


def compile_shape(shape: Shape) -> Predicate:
    """A predicate equivalent to `shape.check` not raising."""
    compiler = _Compiler()
    root = compiler.expr(shape, "v")
    compiler.lines += ["def root(v):", f"    return {root}"]
    namespace = dict(compiler.names)
    exec("\n".join(compiler.lines), namespace)  # the source comes from our own tables
    predicate: Predicate = namespace["root"]
    return predicate
