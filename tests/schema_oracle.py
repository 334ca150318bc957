"""The official JSON Schemas as an oracle, and Hypothesis strategies that generate from them.

The oracle answers "is this message valid under revision V?" with the `jsonschema` package and
the rules the spec states outside the schema (which definition governs a message, per-request
versions); the strategies produce valid instances of any definition for differential tests.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
from hypothesis import strategies as st
from referencing import Registry, Resource

from conftest import definitions, official_schema

MODERN = "2026-07-28"
META_VERSION = "io.modelcontextprotocol/protocolVersion"


@cache
def _validator_class(version: str) -> Any:
    """The schema's validator, with our documented limit: a float stands for an integer only
    within the signed 64-bit range (as ids do)."""
    base = jsonschema.validators.validator_for(official_schema(version))

    def is_integer(checker: Any, instance: Any) -> bool:
        if isinstance(instance, float):
            return instance.is_integer() and -(2**63) <= instance < 2**63
        return bool(base.TYPE_CHECKER.is_type(instance, "integer"))

    checker = base.TYPE_CHECKER.redefine("integer", is_integer)
    return jsonschema.validators.extend(base, type_checker=checker)


@cache
def _registry(version: str) -> Registry:
    schema = official_schema(version)
    return Registry().with_resource("urn:mcp", Resource.from_contents(schema))


def _ref(version: str, name: str) -> dict[str, Any]:
    key = "$defs" if "$defs" in official_schema(version) else "definitions"
    return {"$ref": f"urn:mcp#/{key}/{name}"}


@cache
def validator(version: str, name: str) -> Any:
    cls = _validator_class(version)
    return cls(_ref(version, name), registry=_registry(version))


def valid_as(version: str, name: str, instance: Any) -> bool:
    return bool(validator(version, name).is_valid(instance))


@cache
def wire_methods(version: str) -> dict[tuple[str, bool], str]:
    """(method, is_notification) -> definition name, for messages that travel on the wire.

    Mirrors the spec: in 2026-07-28 sampling, elicitation and roots requests exist only inside
    an InputRequiredResult, so their types lack the envelope every wire request carries.
    """
    typed = {
        name: d
        for name, d in definitions(version).items()
        if isinstance(d.get("properties", {}).get("method", {}).get("const"), str)
        and name.endswith(("Request", "Notification"))
        and not name.startswith(("Client", "Server"))
    }
    enveloped = any("jsonrpc" in d.get("required", []) for d in typed.values())
    out = {}
    for name, d in typed.items():
        if enveloped and "jsonrpc" not in d.get("required", []):
            continue
        out[(d["properties"]["method"]["const"], name.endswith("Notification"))] = name
    return out


def result_check(version: str, method: str) -> tuple[str, str]:
    """How a response to `method` is judged: ("message", def) or ("result", def)."""
    request = wire_methods(version)[(method, False)]
    base = request.removesuffix("Request")
    defs = definitions(version)
    if f"{base}ResultResponse" in defs:
        return ("message", f"{base}ResultResponse")
    for candidate in (f"{base}Result", "EmptyResult", "Result"):
        if candidate in defs:
            return ("result", candidate)
    raise KeyError(method)


def negotiate(requested: Any) -> str:
    legacy = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
    return requested if requested in legacy else "2025-11-25"


def message_is_valid(version: str, msg: Any, result_of: str | None = None) -> bool:
    """The official schemas' verdict on one message, under the spec's selection rules."""
    if not isinstance(msg, dict):
        return False
    has_method, has_result, has_error = ("method" in msg, "result" in msg, "error" in msg)
    if has_method + has_result + has_error != 1:
        return False  # JSON-RPC: exactly one of a call, a result or an error
    request_id = msg.get("id")
    numeric_id = isinstance(request_id, int | float) and not isinstance(request_id, bool)
    if numeric_id and not -(2**63) <= request_id < 2**63:
        return False  # our documented limit: numeric ids are signed 64-bit integers
    params = msg.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    if isinstance(meta, dict) and META_VERSION in meta:
        if meta[META_VERSION] != MODERN:
            return False  # -32022 unsupported per-request version
        version = MODERN
    elif msg.get("method") == "initialize" and isinstance(params, dict):
        version = negotiate(params.get("protocolVersion"))
    if has_method:
        is_notification = "id" not in msg
        envelope = "JSONRPCNotification" if is_notification else "JSONRPCRequest"
        if not valid_as(version, envelope, msg):
            return False
        name = wire_methods(version).get((msg["method"], is_notification))
        return name is not None and valid_as(version, name, msg)
    defs = definitions(version)
    if has_error:
        env = "JSONRPCErrorResponse" if "JSONRPCErrorResponse" in defs else "JSONRPCError"
        return valid_as(version, env, msg)
    env = "JSONRPCResultResponse" if "JSONRPCResultResponse" in defs else "JSONRPCResponse"
    if not valid_as(version, env, msg):
        return False
    if result_of is None:
        return True
    how, name = result_check(version, result_of)
    return valid_as(version, name, msg if how == "message" else msg["result"])


# --- generation -------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text(max_size=8)
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
KEYS = st.text(alphabet="abcxyz_/.", min_size=1, max_size=8)


class Generator:
    """Hypothesis strategies for the definitions of one revision."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.defs = definitions(version)
        self._cache: dict[str, st.SearchStrategy[Any]] = {}

    def of(self, name: str) -> st.SearchStrategy[Any]:
        if name not in self._cache:
            self._cache[name] = st.deferred(lambda: self.schema(self.defs[name], depth=0))
        return self._cache[name]

    def schema(self, s: Any, depth: int) -> st.SearchStrategy[Any]:
        if s is True or s == {}:
            return ANY_JSON
        if "$ref" in s:
            return self.of(s["$ref"].rsplit("/", 1)[1])
        if "const" in s:
            return st.just(s["const"])
        if "enum" in s:
            return st.sampled_from(s["enum"])
        if "anyOf" in s:
            return st.one_of([self.schema(x, depth + 1) for x in s["anyOf"]])
        if "allOf" in s:
            # The schemas use allOf only to combine object shapes: merge their properties.
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in s["allOf"]:
                part = self.defs[part["$ref"].rsplit("/", 1)[1]] if "$ref" in part else part
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return self.schema(merged, depth)
        types = s.get("type")
        if isinstance(types, list):
            return st.one_of([self.schema({**s, "type": t}, depth) for t in types])
        if types == "object" or "properties" in s:
            return self.obj(s, depth)
        if types == "array":
            items = self.schema(s.get("items", {}), depth + 1)
            return st.lists(items, max_size=min(s.get("maxItems", 2), 2))
        if types == "string":
            return st.text(max_size=10)
        if types == "integer":
            lo, hi = s.get("minimum", -(2**31)), s.get("maximum", 2**31)
            return st.integers(min_value=int(lo), max_value=int(hi))
        if types == "number":
            return st.floats(
                min_value=s.get("minimum"),
                max_value=s.get("maximum"),
                allow_nan=False,
                allow_infinity=False,
            )
        if types == "boolean":
            return st.booleans()
        if types == "null":
            return st.none()
        return ANY_JSON

    def obj(self, s: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        props = s.get("properties", {})
        required = [k for k in s.get("required", []) if k in props]
        optional = [k for k in props if k not in required] if depth < 4 else []
        req = {k: self.schema(props[k], depth + 1) for k in required}
        opt = {k: self.schema(props[k], depth + 1) for k in optional}
        return st.fixed_dictionaries(req, optional=opt)
