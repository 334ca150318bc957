"""Validated parse of MCP messages: mcproute vs what a Python user would otherwise call.

Run with `make bench` (or `python -m benches.run codec`). Never part of `make test`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from mcp_types import _v2025_11_25 as v2025
from pydantic import TypeAdapter
from referencing import Registry, Resource

from mcproute import _core

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT.parent / "shared/mcp-schema/2025-11-25/schema.json").read_text())
VERSION = "2025-11-25"

# A typical 325-byte tools/call request.
TOOLS_CALL = (
    b'{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_weather",'
    b'"arguments":{"location":"San Francisco, CA","units":"metric","days":3,'
    b'"include":["hourly","alerts","uv_index"],"lang":"en","detail":"full"},'
    b'"_meta":{"progressToken":"tok-42","traceparent":"00-0af7651916cd43dd8448eb211c80319c-'
    b'b7ad6b7169203331-01"}}}'
)


def tools_list_result(size: int = 100_000) -> bytes:
    tools: list[dict[str, Any]] = []
    while True:
        i = len(tools)
        tools.append(
            {
                "name": f"tool_{i}",
                "title": f"Tool number {i}",
                "description": "Fetches data from the upstream service and summarises it. " * 2,
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "search text"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["query"],
                },
                "annotations": {"readOnlyHint": True, "idempotentHint": True},
            }
        )
        msg = orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}})
        if len(msg) >= size:
            return msg


TOOLS_LIST = tools_list_result()
assert 320 <= len(TOOLS_CALL) <= 330, len(TOOLS_CALL)

_registry = Registry().with_resource("urn:mcp", Resource.from_contents(SCHEMA))
_Validator = jsonschema.validators.validator_for(SCHEMA)
CALL_VALIDATOR = _Validator({"$ref": "urn:mcp#/$defs/CallToolRequest"}, registry=_registry)
LIST_VALIDATOR = _Validator({"$ref": "urn:mcp#/$defs/JSONRPCResultResponse"}, registry=_registry)
LIST_RESULT_VALIDATOR = _Validator({"$ref": "urn:mcp#/$defs/ListToolsResult"}, registry=_registry)
CLIENT_REQUEST = TypeAdapter(v2025.ClientRequest)


def _jsonschema_call(data: bytes) -> None:
    CALL_VALIDATOR.validate(orjson.loads(data))


def _jsonschema_list(data: bytes) -> None:
    msg = orjson.loads(data)
    LIST_VALIDATOR.validate(msg)
    LIST_RESULT_VALIDATOR.validate(msg["result"])


def _mcp_types_list(data: bytes) -> None:
    msg = orjson.loads(data)
    v2025.ListToolsResult.model_validate(msg["result"])


CALL_CASES: dict[str, tuple[str, Callable[[bytes], Any]]] = {
    "mcproute parse+validate+handle": (
        "ours",
        lambda d: _core.parse(d, version=VERSION),
    ),
    "orjson.loads (no validation)": ("peer", orjson.loads),
    "mcp_types CallToolRequest": ("peer", v2025.CallToolRequest.model_validate_json),
    "mcp_types ClientRequest union": ("peer", CLIENT_REQUEST.validate_json),
    "jsonschema (official schema)": ("peer", _jsonschema_call),
}
LIST_CASES: dict[str, tuple[str, Callable[[bytes], Any]]] = {
    "mcproute parse+validate+handle": (
        "ours",
        lambda d: _core.parse(d, version=VERSION, result_of="tools/list"),
    ),
    "orjson.loads (no validation)": ("peer", orjson.loads),
    "mcp_types ListToolsResult": ("peer", _mcp_types_list),
    "jsonschema (official schema)": ("peer", _jsonschema_list),
}


@pytest.mark.parametrize("case", list(CALL_CASES))
def test_tools_call_325b(benchmark: Any, case: str) -> None:
    role, fn = CALL_CASES[case]
    fn(TOOLS_CALL)  # must accept the message
    benchmark.group = f"codec: tools/call request, {len(TOOLS_CALL)} B"
    benchmark.extra_info.update(role=role, bytes=len(TOOLS_CALL))
    benchmark(fn, TOOLS_CALL)


@pytest.mark.parametrize("case", list(LIST_CASES))
def test_tools_list_100kb(benchmark: Any, case: str) -> None:
    role, fn = LIST_CASES[case]
    fn(TOOLS_LIST)
    benchmark.group = f"codec: tools/list result, {len(TOOLS_LIST) // 1000} kB"
    benchmark.extra_info.update(role=role, bytes=len(TOOLS_LIST))
    benchmark(fn, TOOLS_LIST)
