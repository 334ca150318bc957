"""2026-07-28 request headers derived from the body: `Mcp-Name` and `Mcp-Param-*`.

A tool's inputSchema may mark properties with `x-mcp-header: <Token>`; a client mirrors those
arguments into `Mcp-Param-<Token>` headers so intermediaries can route without parsing bodies.
An annotation is valid only on a property reached from the root through `properties` alone,
with a non-empty RFC 9110 token that is unique (case-insensitively) and a string, integer or
boolean type; a client MUST drop a tool whose annotations are invalid. Values that would not
survive as a header (non-ASCII, control characters, edge whitespace) travel base64-encoded in
the `=?base64?...?=` sentinel.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

ANNOTATION = "x-mcp-header"
PARAM_PREFIX = "Mcp-Param-"
PRIMITIVE_TYPES = frozenset({"string", "integer", "boolean"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_PLAIN = re.compile(r"[\x20-\x7e]*")
_SENTINEL = re.compile(r"=\?base64\?.*\?=")
# Keywords whose values are subschemas: an annotation below them is off the `properties` chain.
_ONE = frozenset(
    {"items", "contains", "additionalProperties", "propertyNames", "unevaluatedItems",
     "unevaluatedProperties", "not", "if", "then", "else", "contentSchema"}
)  # fmt: skip
_MANY = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_NAMED = frozenset({"$defs", "definitions", "patternProperties", "dependentSchemas"})

Path = tuple[str, ...]


def encode_value(value: str) -> str:
    """A header value that carries `value` exactly: verbatim when plain, else base64."""
    if _PLAIN.fullmatch(value) and value == value.strip() and not _SENTINEL.fullmatch(value):
        return value
    return f"=?base64?{base64.b64encode(value.encode()).decode()}?="


def decode_value(sent: str) -> str | None:
    """The value `encode_value` carried; None for a malformed base64 sentinel."""
    if not _SENTINEL.fullmatch(sent):
        return sent
    try:
        return base64.b64decode(sent[9:-2], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def _positions(schema: Any) -> Iterator[tuple[Path | None, dict[str, Any]]]:
    """Every subschema with its `properties` path from the root (None once off that chain).
    `$ref` is never followed, and instance data (`default`, `enum`, ...) is never entered."""
    stack: list[tuple[Path | None, Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield path, node
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                stack.extend((None if path is None else (*path, k), v) for k, v in value.items())
            elif key in _ONE:
                stack.append((None, value))
            elif key in _MANY and isinstance(value, list):
                stack.extend((None, v) for v in value)
            elif key in _NAMED and isinstance(value, dict):
                stack.extend((None, v) for v in value.values())


def header_map(input_schema: Any) -> dict[Path, str]:
    """Argument path -> header token for a tool; ValueError names the first invalid annotation."""
    found: dict[Path, str] = {}
    seen: set[str] = set()
    for path, node in _positions(input_schema):
        if ANNOTATION not in node:
            continue
        token = node[ANNOTATION]
        where = ".".join(path or ()) or "<root>"
        if not path:
            raise ValueError(f"{where}: {ANNOTATION} is only allowed on properties")
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise ValueError(f"{where}: {ANNOTATION} {token!r} is not an HTTP header token")
        if node.get("type") not in PRIMITIVE_TYPES:
            raise ValueError(f"{where}: {ANNOTATION} needs a string, integer or boolean type")
        if token.lower() in seen:
            raise ValueError(f"{where}: {ANNOTATION} {token!r} is used twice")
        seen.add(token.lower())
        found[path] = token
    return found


def header_maps(tools: list[dict[str, Any]]) -> tuple[dict[str, dict[Path, str]], list[Any]]:
    """(tool name -> its header map, the tools whose annotations are valid) of a listing."""
    maps: dict[str, dict[Path, str]] = {}
    kept = []
    for tool in tools:
        try:
            maps[tool["name"]] = header_map(tool.get("inputSchema"))
        except ValueError:
            continue
        kept.append(tool)
    return maps, kept


def param_headers(mapping: dict[Path, str], arguments: Any) -> dict[str, str]:
    """The `Mcp-Param-*` headers for one call; null or absent arguments send no header."""
    headers = {}
    for path, token in mapping.items():
        value = arguments
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None or isinstance(value, dict | list):
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        headers[PARAM_PREFIX + token] = encode_value(text)
    return headers


def mismatch(mapping: dict[Path, str], arguments: Any, headers: Mapping[str, str]) -> str | None:
    """Why the `Mcp-Param-*` headers of a call do not mirror its annotated arguments (a header
    missing, malformed, extra or different), or None when they do."""
    expected = param_headers(mapping, arguments)
    for path, token in mapping.items():
        name, where = PARAM_PREFIX + token, "arguments." + ".".join(path)
        sent, wanted = headers.get(name), expected.get(name)
        if sent is None and wanted is None:
            continue
        if sent is None:
            return f"{name} header missing: {where} is in the body"
        value = decode_value(sent)
        if value is None:
            return f"{name} header: malformed base64 value"
        if wanted is None:
            return f"{name} header sent, but {where} is not in the body"
        if value != decode_value(wanted):
            return f"{name} header {value!r} does not match {where}"
    return None
