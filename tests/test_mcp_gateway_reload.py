"""`Gateway.set_upstreams` (a configuration reload): an unchanged upstream keeps its
connection, an added one serves at once, and a removed one finishes the call in flight on it
before its connection is closed."""

from __future__ import annotations

import asyncio
from typing import Any

from mcp_support import http_server, serve
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.server import MCPServer
from mcproute.protocol.server.http import StreamableHTTP

slow = MCPServer("slow")
gate: dict[str, asyncio.Event] = {}  # made in the test's own loop


@slow.tool(description="Answers once the test lets it.")
async def wait(arguments: dict[str, Any]) -> str:
    await gate["released"].wait()
    return "finished"


async def test_set_upstreams_keeps_adds_and_retires_after_calls_in_flight() -> None:
    released = gate["released"] = asyncio.Event()
    async with (
        http_server() as kept_url,
        http_server() as added_url,
        serve(StreamableHTTP(slow).app()) as slow_url,
    ):
        gateway = Gateway({"kept": kept_url, "slow": slow_url})
        async with (
            serve(StreamableHTTP(gateway).app()) as url,
            MCPConnection(url, prefer="legacy") as client,
        ):
            assert (await client.call_tool("kept__add", {"a": 1, "b": 1}))["content"]
            kept, retiring = gateway.upstreams["kept"], gateway.upstreams["slow"]
            kept_connection = kept.connection
            in_flight = asyncio.create_task(client.call_tool("slow__wait", {}))
            for _ in range(200):
                if retiring.calls:
                    break
                await asyncio.sleep(0.01)
            assert retiring.calls == 1

            changes = gateway.set_upstreams({"kept": kept_url, "added": added_url})
            assert changes == {"slow": "removed", "kept": "unchanged", "added": "added"}
            assert gateway.upstreams["kept"] is kept
            names = {t["name"] for t in await client.list_tools()}
            assert "added__add" in names
            assert not any(n.startswith("slow__") for n in names)
            assert (await client.call_tool("added__add", {"a": 2, "b": 2}))["content"][0][
                "text"
            ] == "4"
            assert retiring.connection is not None  # still serving the call in flight

            released.set()
            result = await in_flight
            assert result["content"][0]["text"] == "finished"
            for _ in range(200):
                if retiring.connection is None:
                    break
                await asyncio.sleep(0.01)
            assert retiring.connection is None  # closed once its call had finished
            assert kept.connection is kept_connection
        await gateway.close()
