"""Differential tests: our accept/reject verdict equals the official schemas' verdict.

Valid messages are generated from each revision's schema.json; mutations delete, replace or add
members anywhere in them. The oracle is the `jsonschema` package on the official schema (see
schema_oracle.py for the selection rules the spec states outside the schema).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import REVISIONS
from mcproute import _core
from schema_oracle import ANY_JSON, KEYS, Generator, message_is_valid, wire_methods

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# Extension requests (tasks, SEP-2663; skills, SEP-2640): the core checks only their envelope and
# leaves params to their handler and results to whoever asked. 2025-11-25's schema has a
# tasks/get and tasks/cancel of its own (the experimental tasks the extension replaced), which
# the schema oracle would hold them to.
EXTENSION_REQUESTS = frozenset(
    {"tasks/get", "tasks/update", "tasks/cancel", "skills/list", "skills/get",
     "resources/directory/read"}
)  # fmt: skip


def ours_accepts(version: str, msg: Any, result_of: str | None = None) -> tuple[bool, str]:
    data = json.dumps(msg, ensure_ascii=False).encode()
    try:
        _core.parse(data, version=version, result_of=result_of)
    except _core.ProtocolError as e:
        return False, f"{e.code} {e}"
    return True, ""


@st.composite
def request_messages(draw: st.DrawFn, version: str) -> dict[str, Any]:
    methods = sorted(m for m in wire_methods(version).items() if m[0][0] not in EXTENSION_REQUESTS)
    (_method, notification), name = draw(st.sampled_from(methods))
    body = dict(draw(Generator(version).of(name)))
    body["jsonrpc"] = "2.0"
    if notification:
        body.pop("id", None)
    elif "id" not in body:
        body["id"] = draw(st.integers(min_value=0, max_value=2**31) | st.text(max_size=6))
    return body


@st.composite
def responses(draw: st.DrawFn, version: str) -> tuple[dict[str, Any], str]:
    from schema_oracle import result_check

    requests = sorted(
        m for (m, notification) in wire_methods(version)
        if not notification and m not in EXTENSION_REQUESTS
    )  # fmt: skip
    method = draw(st.sampled_from(requests))
    how, name = result_check(version, method)
    generated = draw(Generator(version).of(name))
    if how == "message":
        msg = dict(generated)
    else:
        msg = {"jsonrpc": "2.0", "id": draw(st.integers(0, 1000)), "result": generated}
    return msg, method


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> Any:
    msg = json.loads(json.dumps(draw(base)))
    every = paths(msg)[1:] or [()]
    deep = [p for p in every if len(p) >= 2]  # inside params/result, where the schema bites
    target = draw(st.sampled_from(deep if deep and draw(st.integers(0, 3)) else every))
    op = draw(st.sampled_from(["delete", "replace", "add"]))
    if not target:
        return draw(ANY_JSON) if op == "replace" else msg
    *parent_path, last = target
    parent = msg
    for step in parent_path:
        parent = parent[step]
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = draw(ANY_JSON)
    else:
        holder = parent[last]
        if isinstance(holder, dict):
            holder[draw(KEYS)] = draw(ANY_JSON)
        elif isinstance(holder, list):
            holder.append(draw(ANY_JSON))
        else:
            parent[last] = draw(ANY_JSON)
    return msg


@pytest.mark.parametrize("version", REVISIONS)
@SETTINGS
@given(data=st.data())
def test_generated_requests_are_accepted(version: str, data: st.DataObject) -> None:
    msg = data.draw(request_messages(version))
    assume(message_is_valid(version, msg))
    ok, why = ours_accepts(version, msg)
    assert ok, f"rejected a schema-valid message: {why}\n{msg}"


@pytest.mark.parametrize("version", REVISIONS)
@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_mutated_requests_agree(version: str, data: st.DataObject) -> None:
    msg = data.draw(mutated(request_messages(version)))
    expected = message_is_valid(version, msg)
    ok, why = ours_accepts(version, msg)
    assert ok == expected, f"schema says {expected}, we said {ok} ({why})\n{msg}"


@pytest.mark.parametrize("version", REVISIONS)
@SETTINGS
@given(data=st.data())
def test_generated_results_are_accepted(version: str, data: st.DataObject) -> None:
    msg, method = data.draw(responses(version))
    assume(message_is_valid(version, msg, result_of=method))
    ok, why = ours_accepts(version, msg, result_of=method)
    assert ok, f"rejected a schema-valid {method} result: {why}\n{msg}"


@pytest.mark.parametrize("version", REVISIONS)
@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_mutated_results_agree(version: str, data: st.DataObject) -> None:
    msg, method = data.draw(responses(version))
    msg = data.draw(mutated(st.just(msg)))
    expected = message_is_valid(version, msg, result_of=method)
    ok, why = ours_accepts(version, msg, result_of=method)
    assert ok == expected, f"{method}: schema says {expected}, we said {ok} ({why})\n{msg}"
