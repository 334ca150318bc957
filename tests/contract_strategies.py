"""Hypothesis strategies derived from the request contracts' own tables.

`valid(shape)` draws values the contract accepts; `broken(shape)` draws values with exactly one
fault (a wrong type, an out-of-range number, a missing or unknown field, a bad tag) together with
the JSON path where that fault sits, so a test can insist that the 400 names that path. Wrong
values are built from each shape's declared parameters (its type, bounds, enum, pattern), never
by asking the validator, so the tests hold the validator to the table rather than to itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mcproute.contract import shapes
from mcproute.contract.responses import InputItem

Broken = tuple[Any, list[str | int]]
SAMPLES: dict[type, Any] = {
    dict: st.just({"x": 1}),
    list: st.just([1]),
    str: st.sampled_from(["", "x", "1e300"]),
    int: st.sampled_from([0, -1, 7]),
    float: st.sampled_from([0.5, -2.5]),
    bool: st.booleans(),
    type(None): st.none(),
}
BAD_SCOPES = ["bogus", "model:", "mcp::x", "context:ctx_nope", "tenant:a b", "", "admin "]
SMALL_JSON = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=4), st.just({"k": [1]}))


def _kinds(shape: shapes.Shape) -> set[type]:
    kinds = set(shape.kinds)
    if int in kinds or float in kinds:  # JSON numbers: a bool is not one
        kinds.discard(bool)
    return kinds


def _int_in(shape: shapes.Int) -> st.SearchStrategy[int]:
    return st.integers(shape.min, shape.max)


def valid(shape: shapes.Shape) -> st.SearchStrategy[Any]:
    if isinstance(shape, InputItem):  # a message (whose `type` is optional) or a call item
        return st.one_of(valid(shape.message), valid(shape.calls))
    if isinstance(shape, shapes.AnyValue):
        return SMALL_JSON
    if isinstance(shape, shapes.Str):
        if shape.enum is not None:
            return st.sampled_from(shape.enum)
        if shape.pattern is not None:
            return st.from_regex(shape.pattern, fullmatch=True)
        if shape.valid is not None:
            return st.sampled_from(shape.examples)
        high = shape.max_len if shape.max_len is not None else shape.min_len + 12
        return st.text(min_size=shape.min_len, max_size=min(high, shape.min_len + 12))
    if isinstance(shape, shapes.Int):
        return _int_in(shape)
    if isinstance(shape, shapes.Num):
        low = shape.gt if shape.gt is not None else shape.min
        return st.floats(
            -1e6 if low is None else low,
            1e6 if shape.max is None else shape.max,
            exclude_min=shape.gt is not None,
            allow_nan=False,
            allow_infinity=False,
        )
    if isinstance(shape, shapes.Bool):
        return st.booleans()
    if isinstance(shape, shapes.List):
        top = shape.min_items + 2 if shape.max_items is None else shape.max_items
        return st.lists(valid(shape.item), min_size=shape.min_items, max_size=min(top, 2))
    if isinstance(shape, shapes.Dict):
        keys = st.text(min_size=1, max_size=min(shape.key_max_len or 8, 8))
        top = 2 if shape.max_keys is None else min(shape.max_keys, 2)
        return st.dictionaries(keys, valid(shape.values), max_size=top)
    if isinstance(shape, shapes.Obj):
        return _valid_obj(shape)
    if isinstance(shape, shapes.Tagged):
        return st.one_of(
            [
                _valid_obj(v, skip={shape.tag}).map(_tagged(shape.tag, t))
                for t, v in _variants(shape)
            ]
        )
    if isinstance(shape, shapes.Union):
        return st.one_of([valid(a) for a in shape.alternatives])
    raise TypeError(f"no strategy for {type(shape).__name__}")


def _variants(shape: shapes.Tagged) -> list[tuple[str, shapes.Obj]]:
    return sorted(shape.variants.items())


def _tagged(tag: str, name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda obj: {tag: name, **obj}


def _valid_obj(
    shape: shapes.Obj,
    skip: set[str] = frozenset(),
    force: str | None = None,  # type: ignore[assignment]
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid objects of `shape` without the fields in `skip` (`force` always present); one
    member of each exclusive group (`force` if it is in one)."""
    skip = set(skip)
    chosen: list[st.SearchStrategy[str]] = []
    for group in shape.exclusive:
        if force in group:
            skip.update(n for n in group if n != force)
        elif open_members := [n for n in group if n not in skip]:
            chosen.append(st.sampled_from(open_members))
    required = {n: valid(f.shape) for n, f in shape.fields.items() if f.required and n not in skip}
    optional = {
        n: valid(f.shape) for n, f in shape.fields.items() if not f.required and n not in skip
    }
    if force in optional:
        required[force] = optional.pop(force)
    grouped = {n for g in shape.exclusive for n in g}
    base = st.fixed_dictionaries(
        required, optional={n: s for n, s in optional.items() if n not in grouped}
    )
    if not chosen:
        return base

    def with_groups(draw: st.DrawFn) -> dict[str, Any]:
        obj = draw(base)
        for pick in chosen:
            name = draw(pick)
            obj[name] = draw(valid(shape.fields[name].shape))
        return obj

    return st.composite(with_groups)()


def _wrong_types(shape: shapes.Shape, nullable: bool) -> st.SearchStrategy[Any]:
    kinds = _kinds(shape)
    if isinstance(shape, shapes.Bool):
        kinds = {bool}
    wrong = [s for t, s in SAMPLES.items() if t not in kinds and not (nullable and t is type(None))]
    if int in kinds and float not in kinds:
        wrong.remove(SAMPLES[float])
    return st.one_of(wrong)


def _wrong_values(shape: shapes.Shape) -> list[st.SearchStrategy[Any]]:
    """Values of an accepted JSON type that the shape's declared limits exclude."""
    out: list[st.SearchStrategy[Any]] = []
    if isinstance(shape, shapes.Str):
        if shape.enum is not None:
            out.append(st.text(max_size=8).filter(lambda s: s not in shape.enum))  # type: ignore[operator]
        elif shape.valid is not None:
            out.append(st.sampled_from(BAD_SCOPES))
        elif shape.pattern is not None:
            out.append(st.sampled_from(["", "x y", "ctx_nope", "\u0000"]).filter(
                lambda s: shape.pattern.fullmatch(s) is None  # type: ignore[union-attr]
            ))  # fmt: skip
        else:
            if shape.min_len:
                out.append(st.just(""))
            if shape.max_len is not None:
                out.append(st.just("x" * (shape.max_len + 1)))
    elif isinstance(shape, shapes.Int):
        if shape.min > shapes.INT64[0]:
            out.append(st.sampled_from([shape.min - 1, -1e300]))
        if shape.max < shapes.INT64[1]:
            out.append(st.sampled_from([shape.max + 1, 1e300]))
        if shape.max > shape.min:  # a fraction inside the range (far from the float limits)
            out.append(st.just(0.5 if shape.min <= 0 < shape.max else shape.min + 0.5))
    elif isinstance(shape, shapes.Num):
        if shape.gt is not None:
            out.append(st.sampled_from([shape.gt, shape.gt - 1, -1e300]))
        if shape.min is not None:
            out.append(st.sampled_from([shape.min - 1, -1e300]))
        if shape.max is not None:
            out.append(st.sampled_from([shape.max + 1, 1e300]))
    elif isinstance(shape, shapes.List):
        if shape.min_items:
            out.append(st.just([]))
        if shape.max_items is not None:
            n = shape.max_items + 1  # one valid item repeated: cheap to draw at any length
            out.append(valid(shape.item).map(lambda v: [v] * n))
    elif isinstance(shape, shapes.Dict) and shape.max_keys is not None:
        n = shape.max_keys + 1
        out.append(
            st.dictionaries(
                st.text(min_size=1, max_size=8), valid(shape.values), min_size=n, max_size=n
            )
        )
    elif isinstance(shape, shapes.Union):
        for alt in shape.alternatives:
            out.extend(_wrong_values(alt))
    return out


def _at(value_path: Broken, *prefix: str | int) -> Broken:
    value, path = value_path
    return value, [*prefix, *path]


def broken(shape: shapes.Shape, nullable: bool = False) -> st.SearchStrategy[Broken]:
    """(value, path): `value` breaks `shape` in one place, `path` (from here) names it."""
    return st.one_of(_options(shape, nullable))


def sites(shape: shapes.Obj) -> list[st.SearchStrategy[Broken]]:
    """One strategy per kind of fault of each field of a body (and of the body itself), so a
    few draws of each cover every field the contract knows."""
    return [*_here(shape, False), *_inside_obj(shape, flat=True)]


def _here(shape: shapes.Shape, nullable: bool) -> list[st.SearchStrategy[Broken]]:
    if isinstance(shape, shapes.AnyValue):
        return []
    wrong = [_wrong_types(shape, nullable), *_wrong_values(shape)]
    return [w.map(lambda v: (v, [])) for w in wrong]


def _options(shape: shapes.Shape, nullable: bool) -> list[st.SearchStrategy[Broken]]:
    return [*_here(shape, nullable), *_inside(shape)]


def _inside(shape: shapes.Shape) -> list[st.SearchStrategy[Broken]]:
    if isinstance(shape, InputItem):  # with no `type` an item is a message: not a missing tag
        calls = _inside(shape.calls)[1:]
        bad_type = st.sampled_from([{"type": "bogus"}, {"type": 3}]).map(lambda v: (v, ["type"]))
        return [*_inside(shape.message), bad_type, *calls]
    if isinstance(shape, shapes.Obj):
        return _inside_obj(shape)
    if isinstance(shape, shapes.List) and not isinstance(shape.item, shapes.AnyValue):
        return [_inside_list(shape)]
    if isinstance(shape, shapes.Dict) and not isinstance(shape.values, shapes.AnyValue):
        return [broken(shape.values).map(lambda b: ({"k": b[0]}, ["k", *b[1]]))]
    if isinstance(shape, shapes.Tagged):
        out = [
            st.sampled_from([{}, {shape.tag: "bogus"}, {shape.tag: 3}]).map(
                lambda v: (v, [shape.tag])
            )
        ]
        for name, variant in _variants(shape):
            out.extend(
                s.map(lambda b, name=name: ({shape.tag: name, **b[0]}, b[1]))
                for s in _inside_obj(variant, skip={shape.tag})
            )
        return out
    if isinstance(shape, shapes.Union):
        return [s for alt in shape.alternatives for s in _inside(alt)]
    return []


def _inside_list(shape: shapes.List) -> st.SearchStrategy[Broken]:
    @st.composite
    def one_bad_item(draw: st.DrawFn) -> Broken:
        room = 1 if shape.max_items is None else shape.max_items - 1
        items = draw(st.lists(valid(shape.item), min_size=0, max_size=min(room, 1)))
        bad, path = draw(broken(shape.item))
        i = draw(st.integers(0, len(items)))
        items.insert(i, bad)
        return items, [i, *path]

    return one_bad_item()


def _inside_obj(
    shape: shapes.Obj,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    flat: bool = False,
) -> list[st.SearchStrategy[Broken]]:
    out: list[st.SearchStrategy[Broken]] = []
    for name, field in sorted(shape.fields.items()):
        if name in skip or isinstance(field.shape, shapes.AnyValue):
            continue
        nullable = shape.nulls and not field.required
        options = _options(field.shape, nullable)
        for bad in options if flat else [st.one_of(options)]:
            out.append(
                st.tuples(_valid_obj(shape, skip, force=name), bad).map(
                    lambda t, name=name: ({**t[0], name: t[1][0]}, [name, *t[1][1]])
                )
            )
        if field.required:
            out.append(_valid_obj(shape, skip | {name}).map(lambda obj, name=name: (obj, [name])))
    if shape.closed:
        unknown = st.sampled_from(["rpm", "budget", "x-extra", "a b"]).filter(
            lambda k: k not in shape.fields
        )
        out.append(
            st.tuples(_valid_obj(shape, skip), unknown, SMALL_JSON).map(
                lambda t: ({**t[0], t[1]: t[2]}, [t[1]])
            )
        )
    for group in shape.exclusive:
        both = st.fixed_dictionaries({n: valid(shape.fields[n].shape) for n in group})
        out.append(st.tuples(_valid_obj(shape, skip | set(group)), both).map(
            lambda t: ({**t[0], **t[1]}, [])
        ))  # fmt: skip
        out.append(_valid_obj(shape, skip | set(group)).map(lambda obj: (obj, [])))
    return out


def drawn_cases(shape: shapes.Obj, per_site: int) -> list[Broken]:
    """`per_site` broken bodies for every kind of fault of every field of `shape`."""
    return [case for site in sites(shape) for case in examples(site, per_site)]


def examples(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """`n` draws of `strategy`, for async tests that send them to a running server."""
    drawn: list[Any] = []

    @settings(
        max_examples=n,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def encoded(value: Any) -> bytes:
    """JSON for any drawn value (the standard library also writes integers beyond 64 bits)."""
    return json.dumps(value).encode()


def names_path(message: str, path: list[str | int]) -> bool:
    """Does an error message start with this JSON path (and not a longer name)?"""
    shown = shapes.format_path(path)
    return message.startswith(shown) and message[len(shown) : len(shown) + 1] in (":", ".", "[")
