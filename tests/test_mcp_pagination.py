"""Paginated lists: MCPServer's pages and cursors in both eras, invalid cursors, the official SDK
client paging through them, and the gateway following its upstreams' `nextCursor`s."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from mcp import Client

from mcp_demo_server import server as demo
from mcp_support import serve
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.server import MCPServer, Session
from mcproute.protocol.server.http import StreamableHTTP

MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}
LISTS = [
    ("tools/list", "tools", "name"),
    ("resources/list", "resources", "uri"),
    ("resources/templates/list", "resourceTemplates", "uriTemplate"),
    ("prompts/list", "prompts", "name"),
]


def paged_server(page_size: int = 2, count: int = 5) -> MCPServer:
    server = MCPServer("pages", page_size=page_size)
    for i in range(count):
        server.tool(f"tool{i}", description="A tool.")(lambda arguments: "ok")
        server.resource(f"test://r{i}", name=f"r{i}")(lambda: "r")
        server.resource_template(f"test://t{i}/{{id}}", name=f"t{i}")(lambda variables: "t")
        server.prompt(f"prompt{i}", description="A prompt.")(lambda arguments: "p")
    return server


class Caller:
    """JSON-RPC requests to an in-process server, in a legacy session or statelessly."""

    def __init__(self, server: MCPServer, era: str) -> None:
        self.server = server
        self.session = Session() if era == "legacy" else None
        self.next_id = 0

    async def __call__(self, method: str, params: dict[str, Any] | None = None) -> Any:
        self.next_id += 1
        params = dict(params or {})
        if self.session is None:
            params["_meta"] = MODERN_META
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        reply = await self.server.handle_bytes(json.dumps(body).encode(), self.session)
        assert reply.body is not None
        return json.loads(reply.body)

    async def initialize(self) -> None:
        if self.session is not None:
            reply = await self(
                "initialize",
                {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            )
            assert "result" in reply


@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize(("method", "key", "field"), LISTS)
async def test_pages_cover_the_list_once_in_order(
    era: str, method: str, key: str, field: str
) -> None:
    server = paged_server(page_size=2, count=5)
    call = Caller(server, era)
    await call.initialize()
    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        reply = await call(method, {"cursor": cursor} if cursor else {})
        result = reply["result"]
        pages += 1
        assert len(result[key]) <= 2
        seen += [item[field] for item in result[key]]
        if era == "modern":
            assert "ttlMs" in result
        cursor = result.get("nextCursor")
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == 5
    assert seen == sorted(seen)  # registration order, each item once


async def test_a_small_server_answers_in_one_page() -> None:
    call = Caller(demo, "modern")
    result = (await call("tools/list"))["result"]
    assert len(result["tools"]) == 3
    assert "nextCursor" not in result


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        cursor_of("prompts/list:2"),  # another list's cursor
        cursor_of("tools/list:0"),
        cursor_of("tools/list:-2"),
        cursor_of("tools/list:x"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
@pytest.mark.parametrize("era", ["legacy", "modern"])
async def test_an_invalid_cursor_is_invalid_params(cursor: str, era: str) -> None:
    call = Caller(paged_server(), era)
    await call.initialize()
    error = (await call("tools/list", {"cursor": cursor}))["error"]
    assert error["code"] == -32602
    assert "params.cursor" in error["message"]


async def test_sdk_client_pages_through_lists() -> None:
    async with serve(StreamableHTTP(paged_server()).app()) as url, Client(url, mode="legacy") as c:
        names: list[str] = []
        cursor: str | None = None
        while True:
            page = await c.list_tools(cursor=cursor)
            names += [t.name for t in page.tools]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert names == [f"tool{i}" for i in range(5)]
        prompts = await c.list_prompts()
        assert [p.name for p in prompts.prompts] == ["prompt0", "prompt1"]
        assert prompts.next_cursor is not None


@pytest.mark.parametrize("prefer", ["legacy", "modern"])
async def test_gateway_follows_upstream_cursors_and_pages_its_own_lists(prefer: str) -> None:
    _ERA_CACHE.clear()
    upstream = StreamableHTTP(paged_server(page_size=2, count=5)).app()
    async with serve(upstream) as upstream_url:
        gateway = Gateway({"up": upstream_url}, namespacing=False, page_size=3)
        try:
            async with (
                serve(StreamableHTTP(gateway).app()) as gw_url,
                MCPConnection(gw_url, prefer=prefer) as client,
            ):
                first = await client.request("tools/list")
                assert len(first["tools"]) == 3  # the gateway's own page size
                assert first.get("nextCursor")
                tools = await client.list_tools()  # every page of every upstream page
                assert [t["name"] for t in tools] == [f"tool{i}" for i in range(5)]
                prompts = await client.list_prompts()
                assert len(prompts) == 5
                result = await client.call_tool("tool4")
                assert result["content"][0]["text"] == "ok"
        finally:
            await gateway.close()
