"""The gateway over two upstreams: namespacing, access policy, routing, the gateway's own
credentials upstream, and era bridging (a modern client reaching a legacy-only server)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from mcp_demo_server import server as demo
from mcp_support import INIT, post, serve
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server import MCPServer
from mcproute.protocol.server.http import StreamableHTTP

SEEN = web.AppKey("seen", list)


def legacy_only(server: MCPServer) -> web.Application:
    """A 2025-06-18-era server: no server/discover; records the headers it receives."""
    server.remove_handler("server/discover")
    seen: list[dict[str, str]] = []
    app = StreamableHTTP(server).app()

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        seen.append(dict(request.headers))
        response: web.StreamResponse = await handler(request)
        return response

    app.middlewares.append(record)
    app[SEEN] = seen
    return app


def other_server() -> MCPServer:
    other = MCPServer("other")

    @other.tool(description="Echo.")
    def add(arguments: dict[str, Any]) -> str:
        return "other add"

    @other.tool(description="Secret.")
    def secret(arguments: dict[str, Any]) -> str:
        return "s3cret"

    return other


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


async def test_namespacing_routing_access_and_credentials() -> None:
    legacy_app = legacy_only(other_server())
    async with serve(StreamableHTTP(demo).app()) as demo_url, serve(legacy_app) as other_url:
        gateway = Gateway(
            {
                "demo": demo_url,
                "other": {"url": other_url, "headers": {"Authorization": "Bearer gateway-own"}},
            },
            access=lambda caller, kind, upstream, name: (upstream, name) != ("other", "secret"),
        )
        async with (
            serve(StreamableHTTP(gateway).app()) as gw_url,
            MCPConnection(gw_url, headers={"Authorization": "Bearer client-token"}) as client,
        ):
            assert client.era == "modern"  # the client speaks 2026-07-28 to the gateway
            names = {t["name"] for t in await client.list_tools()}
            assert names == {"demo__add", "demo__broken", "demo__strict", "other__add"}
            demo_add = await client.call_tool("demo__add", {"a": 2, "b": 2})
            assert demo_add["content"][0]["text"] == "4"
            other_add = await client.call_tool("other__add", {})
            assert other_add["content"][0]["text"] == "other add"  # via a legacy session
            with pytest.raises(MCPError, match="unknown tool"):  # forbidden looks like absent
                await client.call_tool("other__secret", {})
            with pytest.raises(MCPError, match="unknown tool"):
                await client.call_tool("nope__add", {})
            read = await client.read_resource("test://greeting")
            assert read["contents"][0]["text"] == "hello"
        await gateway.close()
    upstream_auth = {h.get("Authorization") for h in legacy_app[SEEN]}
    assert upstream_auth == {"Bearer gateway-own"}  # never the client's token


async def test_namespacing_off_keeps_upstream_names() -> None:
    async with serve(StreamableHTTP(demo).app()) as demo_url:
        gateway = Gateway({"demo": demo_url}, namespacing=False)
        async with (
            serve(StreamableHTTP(gateway).app()) as gw_url,
            MCPConnection(gw_url, prefer="legacy") as client,
        ):
            assert client.era == "legacy"
            assert {t["name"] for t in await client.list_tools()} == {"add", "broken", "strict"}
            prompt = await client.get_prompt("hi", {"who": "Bo"})
            assert prompt["messages"][0]["content"]["text"] == "Say hi to Bo."
        await gateway.close()


async def test_unreachable_upstream_is_left_out_of_listings() -> None:
    async with serve(StreamableHTTP(demo).app()) as demo_url:
        gateway = Gateway({"demo": demo_url, "down": "http://127.0.0.1:9/mcp"})
        async with serve(StreamableHTTP(gateway).app()) as gw_url, MCPConnection(gw_url) as client:
            names = {t["name"] for t in await client.list_tools()}
            assert names == {"demo__add", "demo__broken", "demo__strict"}
        await gateway.close()


async def test_the_access_policy_hears_the_transport_not_the_client() -> None:
    """The caller is the transport's principal; a `principal` a client writes into its own
    clientInfo counts for nothing."""
    async with serve(StreamableHTTP(demo).app()) as demo_url:
        gateway = Gateway(
            {"demo": demo_url}, access=lambda caller, kind, upstream, name: caller == "admin"
        )
        mcp = StreamableHTTP(gateway, principal=lambda request: request.headers.get("X-User"))
        async with serve(mcp.app()) as gw_url:
            listed = {}
            for user in ("eve", "admin"):
                info = {"name": "c", "version": "1", "principal": "admin"}
                init = {**INIT, "params": {**INIT["params"], "clientInfo": info}}
                status, headers, _ = await post(gw_url, init, {"X-User": user})
                assert status == 200
                session = {"X-User": user, "Mcp-Session-Id": headers["Mcp-Session-Id"]}
                listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
                _, _, reply = await post(gw_url, listing, session)
                listed[user] = {tool["name"] for tool in reply["result"]["tools"]}
            assert listed == {"eve": set(), "admin": {"demo__add", "demo__broken", "demo__strict"}}
        await gateway.close()


async def test_upstream_errors_reach_the_client_without_secrets() -> None:
    """An upstream that echoes credentials in its error: the code and the data's shape pass
    through, the credentials do not, in either era."""
    leaky = MCPServer("leaky")
    key = "sk-proj-" + "Q7x" * 12

    @leaky.tool(description="Fails, echoing what it was given.")
    def fail(arguments: dict[str, Any]) -> str:
        raise MCPError(
            -32603,
            f"upstream said: invalid key {key} for https://bob:hunter2@db.internal/x",
            {"url": "https://bob:hunter2@db.internal/x", "hint": f"Bearer {key}", "n": 3},
        )

    async with serve(StreamableHTTP(leaky).app()) as leaky_url:
        gateway = Gateway({"leaky": leaky_url})
        async with serve(StreamableHTTP(gateway).app()) as gw_url:
            for prefer in ("modern", "legacy"):
                async with MCPConnection(gw_url, prefer=prefer) as client:
                    with pytest.raises(MCPError) as caught:
                        await client.call_tool("leaky__fail", {})
                error = caught.value
                shown = f"{error} {error.data}"
                assert error.code == -32603
                assert "upstream said: invalid key" in str(error)
                assert key not in shown
                assert "hunter2" not in shown
                assert error.data["n"] == 3
                assert "db.internal" in error.data["url"]
        await gateway.close()
