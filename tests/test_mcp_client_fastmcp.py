"""Our MCP client against a FastMCP server (the most common way MCP servers are built in
Python), in both eras."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mcp_support import free_port, process
from mcproute.protocol.client import _ERA_CACHE, MCPConnection
from mcproute.protocol.server import MCPError

FASTMCP_SERVER = str(Path(__file__).with_name("fastmcp_server.py"))


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    port = free_port()
    with process([sys.executable, FASTMCP_SERVER, str(port)], port) as url:
        yield url


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


@pytest.mark.parametrize("era", ["negotiated", "legacy"])
async def test_tools_resources_prompts(url: str, era: str) -> None:
    if era == "legacy":
        parts = urlsplit(url)
        _ERA_CACHE[f"{parts.scheme}://{parts.netloc}"] = "legacy"
    notes: list[tuple[str, Any]] = []

    async def on_note(method: str, params: dict[str, Any]) -> None:
        notes.append((method, params))

    async with MCPConnection(url, on_notification=on_note) as conn:
        if era == "legacy":
            assert conn.era == "legacy"
            assert conn.session_id is not None
        else:  # FastMCP 4 speaks 2026-07-28: no session
            assert conn.era == "modern"
            assert conn.version == "2026-07-28"
        assert conn.server_info["name"] == "fastmcp-peer"
        tools = {t["name"]: t for t in await conn.list_tools()}
        assert {"multiply", "chatty", "fails"} <= set(tools)
        assert tools["multiply"]["inputSchema"]["required"] == ["a", "b"]
        result = await conn.call_tool("multiply", {"a": 6, "b": 7})
        assert result["content"][0]["text"] == "42"
        failed = await conn.call_tool("fails", {})
        assert failed["isError"] is True
        assert "always fails" in failed["content"][0]["text"]
        read = await conn.read_resource("peer://fastmcp")
        assert read["contents"][0]["text"] == "hello from FastMCP"
        templated = await conn.read_resource("peer://items/7")
        assert templated["contents"][0]["text"] == "item 7"
        prompt = await conn.get_prompt("greet", {"name": "Ada"})
        assert "Ada" in prompt["messages"][0]["content"]["text"]
        if era == "legacy":  # log notifications need a request-scoped stream (legacy sessions)
            await conn.request("logging/setLevel", {"level": "info"})
            assert (await conn.call_tool("chatty", {}))["content"][0]["text"] == "done"
            assert any(m == "notifications/message" for m, _ in notes)
        with pytest.raises(MCPError):
            await conn.request("no/such/method")
