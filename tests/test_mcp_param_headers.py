"""`x-mcp-header` validation and `Mcp-Param-*` values (2026-07-28 custom headers)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from mcp_support import post, serve
from mcproute.protocol.client.connection import _ERA_CACHE
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.param_headers import decode_value, encode_value, header_map, param_headers
from mcproute.protocol.server import MCPServer
from mcproute.protocol.server.http import StreamableHTTP


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


async def test_the_gateway_sends_the_upstreams_param_headers() -> None:
    """Through the gateway, a 2026-07-28 upstream gets the `Mcp-Param-*` headers its own
    tool's annotations ask for, whichever headers the client sent the gateway."""
    upstream = MCPServer("regional")

    @upstream.tool(
        description="Where am I?",
        input_schema=tool(
            region={"type": "string", "x-mcp-header": "Region"}, n={"type": "integer"}
        ),
    )
    def where(arguments: dict[str, Any]) -> str:
        return str(arguments["region"])

    seen: list[dict[str, str]] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        seen.append(dict(request.headers))
        response: web.StreamResponse = await handler(request)
        return response

    app = StreamableHTTP(upstream).app()
    app.middlewares.append(record)
    _ERA_CACHE.clear()
    async with serve(app) as url:
        gateway = Gateway({"up": url})
        try:
            async with serve(StreamableHTTP(gateway).app()) as gw_url:
                # The client's call to the gateway carries no Mcp-Param header of its own.
                status, _, body = await post(
                    gw_url,
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "tools/call",
                        "params": {
                            "name": "up__where",
                            "arguments": {"region": "eu west", "n": 1},
                            "_meta": {
                                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                "io.modelcontextprotocol/clientCapabilities": {},
                            },
                        },
                    },
                    {"Mcp-Method": "tools/call", "Mcp-Name": "up__where"},
                )
        finally:
            await gateway.close()
    assert status == 200, body
    assert body["result"]["content"][0]["text"] == "eu west"
    calls = [h for h in seen if h.get("Mcp-Method") == "tools/call"]
    assert calls
    assert all(h.get("Mcp-Param-Region") == "eu west" for h in calls)


@pytest.mark.parametrize("through_gateway", [False, True])
@pytest.mark.parametrize(
    ("arguments", "headers", "status"),
    [
        ({"region": "eu west"}, {"Mcp-Param-Region": "eu west"}, 200),
        ({"region": "Hello"}, {"Mcp-Param-Region": "=?base64?SGVsbG8=?="}, 200),
        ({}, {}, 200),
        ({"region": "eu"}, {}, 400),  # the header is missing
        ({"region": "eu"}, {"Mcp-Param-Region": "us"}, 400),  # it differs
        ({"region": "Hello"}, {"Mcp-Param-Region": "=?base64?SGVsbG8?="}, 400),  # bad padding
        ({}, {"Mcp-Param-Region": "eu"}, 400),  # a header for an argument not sent
    ],
)
async def test_servers_check_param_headers_against_the_body(
    through_gateway: bool, arguments: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    """SEP-2243: a call to a tool with `x-mcp-header` annotations is refused (400, -32020) when
    its `Mcp-Param-*` headers do not mirror the annotated arguments; the gateway checks them
    against the upstream tool's own annotations."""
    from mcproute.testing.everything_server import build

    _ERA_CACHE.clear()
    async with serve(StreamableHTTP(build()).app()) as url:
        gateway = Gateway({"ev": url}, namespacing=False)
        try:
            async with serve(StreamableHTTP(gateway).app()) as gw_url:
                target = gw_url if through_gateway else url
                meta = {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                }
                listing = {"jsonrpc": "2.0", "id": 0, "method": "tools/list",
                           "params": {"_meta": meta}}  # fmt: skip
                await post(target, listing, {"Mcp-Method": "tools/list"})
                call = {"name": "test_x_mcp_header", "arguments": arguments, "_meta": meta}
                got, _, body = await post(
                    target,
                    {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call},
                    {"Mcp-Method": "tools/call", "Mcp-Name": "test_x_mcp_header", **headers},
                )
        finally:
            await gateway.close()
    assert got == status, body
    if status == 400:
        assert body["error"]["code"] == -32020
        assert "Mcp-Param-Region" in body["error"]["message"]
