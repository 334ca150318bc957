"""`x-mcp-header` validation and `Mcp-Param-*` values (2026-07-28 custom headers)."""

from __future__ import annotations

from typing import Any

import pytest

from mcproute.protocol.param_headers import decode_value, encode_value, header_map, param_headers


def tool(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("us-west1", "us-west1"),
        ("us west 1", "us west 1"),
        ("", ""),
        (" padded ", "=?base64?IHBhZGRlZCA=?="),
        ("Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="),
        ("line1\nline2", "=?base64?bGluZTEKbGluZTI=?="),
        ("=?base64?eA==?=", "=?base64?PT9iYXNlNjQ/ZUE9PT89?="),  # a literal sentinel
    ],
)
def test_values_that_would_not_survive_a_header_go_base64(value: str, sent: str) -> None:
    assert encode_value(value) == sent
    assert decode_value(sent) == value


def test_a_malformed_sentinel_decodes_to_nothing() -> None:
    assert decode_value("=?base64?not base64?=") is None


@pytest.mark.parametrize(
    "schema",
    [
        tool(v={"type": "string", "x-mcp-header": ""}),
        tool(v={"type": "string", "x-mcp-header": "My Region"}),
        tool(v={"type": "string", "x-mcp-header": "Région"}),
        tool(v={"type": "object", "x-mcp-header": "Data"}),
        tool(v={"type": "number", "x-mcp-header": "Ratio"}),
        tool(a={"type": "string", "x-mcp-header": "X"}, b={"type": "string", "x-mcp-header": "x"}),
        {"type": "object", "anyOf": [tool(v={"type": "string", "x-mcp-header": "V"})]},
        {"type": "string", "x-mcp-header": "Root"},
    ],
)
def test_invalid_annotations_are_rejected(schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="x-mcp-header"):
        header_map(schema)


def test_annotated_arguments_become_headers() -> None:
    schema = tool(
        region={"type": "string", "x-mcp-header": "Region"},
        count={"type": "integer", "x-mcp-header": "Count"},
        debug={"type": "boolean", "x-mcp-header": "Debug"},
        verbose={"type": "boolean", "x-mcp-header": "Verbose"},
        query={"type": "string"},
        nested=tool(zone={"type": "string", "x-mcp-header": "Zone"}),
        ref={"$ref": "https://example.com/never-fetched.json"},
    )
    arguments = {"region": "eu", "count": 3, "debug": False, "verbose": None, "query": "q",
                 "nested": {"zone": "b"}}  # fmt: skip
    assert param_headers(header_map(schema), arguments) == {
        "Mcp-Param-Region": "eu",
        "Mcp-Param-Count": "3",
        "Mcp-Param-Debug": "false",
        "Mcp-Param-Zone": "b",
    }
