"""Our MCP client against the official `mcp` SDK's server, a FastMCP server and our own, both
eras."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mcp_demo_server import server as demo
from mcp_support import free_port, http_server, process
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.jsonrpc import MCPError

SDK_SERVER = str(Path(__file__).with_name("sdk_server.py"))
FASTMCP_SERVER = str(Path(__file__).with_name("fastmcp_server.py"))


@pytest.fixture(scope="module")
def sdk_url() -> Iterator[str]:
    port = free_port()
    with process([sys.executable, SDK_SERVER, str(port)], port) as url:
        yield url


@pytest.fixture(scope="module")
def fastmcp_url() -> Iterator[str]:
    port = free_port()
    with process([sys.executable, FASTMCP_SERVER, str(port)], port) as url:
        yield url


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


def remember_legacy(url: str) -> None:
    """As if an earlier connection had negotiated a legacy session with this server."""
    parts = urlsplit(url)
    _ERA_CACHE[f"{parts.scheme}://{parts.netloc}"] = "legacy"


async def test_against_the_sdk_server(sdk_url: str) -> None:
    notes: list[tuple[str, Any]] = []

    async def on_note(method: str, params: dict[str, Any]) -> None:
        notes.append((method, params))

    async with MCPConnection(sdk_url, on_notification=on_note) as conn:
        assert conn.era in ("modern", "legacy")
        assert conn.server_info["name"] == "sdk-peer"
        tools = {t["name"] for t in await conn.list_tools()}
        assert {"add", "chatty"} <= tools
        result = await conn.call_tool("add", {"a": 2, "b": 40})
        assert result["content"][0]["text"] == "42"
        read = await conn.read_resource("peer://hello")
        assert read["contents"][0]["text"] == "hello from the SDK"
        prompt = await conn.get_prompt("greet", {"name": "Ada"})
        assert "Ada" in prompt["messages"][0]["content"]["text"]
        with pytest.raises(MCPError):
            await conn.request("no/such/method")


async def test_legacy_handshake_with_the_sdk_server(sdk_url: str) -> None:
    remember_legacy(sdk_url)
    async with MCPConnection(sdk_url) as conn:
        assert conn.era == "legacy"
        assert conn.session_id is not None
        assert conn.version == "2025-11-25"
        result = await conn.call_tool("add", {"a": 1, "b": 1})
        assert result["content"][0]["text"] == "2"


async def test_against_our_server_modern_then_legacy_fallback() -> None:
    async with http_server() as url:
        async with MCPConnection(url) as conn:
            assert (conn.era, conn.version) == ("modern", "2026-07-28")
            assert conn.session_id is None
            assert (await conn.call_tool("add", {"a": 1, "b": 2}))["content"][0]["text"] == "3"
        # a server that does not answer server/discover gets the initialize handshake
        _ERA_CACHE.clear()
        discover = demo.remove_handler("server/discover")
        assert discover is not None
        try:
            async with MCPConnection(url) as conn:
                assert conn.era == "legacy"
                assert conn.session_id is not None
                assert len(await conn.list_tools()) == 3
        finally:
            demo.set_handler("server/discover", discover)


async def test_expired_session_is_reinitialized() -> None:
    async with http_server() as url:
        discover = demo.remove_handler("server/discover")
        assert discover is not None
        try:
            async with MCPConnection(url) as conn:
                first = conn.session_id
                conn.session_id = "forgotten-by-the-server"
                assert len(await conn.list_tools()) == 3
                assert conn.session_id not in (None, first, "forgotten-by-the-server")
        finally:
            demo.set_handler("server/discover", discover)


async def test_server_to_client_requests_are_answered() -> None:
    from aiohttp import web

    from mcproute.protocol.server.http import StreamableHTTP
    from mcproute.testing.everything_server import build

    runner = web.AppRunner(StreamableHTTP(build()).app(), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    asked: list[str] = []

    async def on_request(method: str, params: dict[str, Any]) -> dict[str, Any]:
        asked.append(method)
        return {
            "role": "assistant",
            "content": {"type": "text", "text": "from our model"},
            "model": "m",
        }

    try:
        # sampling is a legacy-session feature: force the handshake
        _ERA_CACHE[f"http://127.0.0.1:{port}"] = "legacy"
        async with MCPConnection(
            f"http://127.0.0.1:{port}/mcp", capabilities={"sampling": {}}, on_request=on_request
        ) as conn:
            result = await conn.call_tool("test_sampling", {"prompt": "hi"})
            assert result["content"][0]["text"] == "LLM response: from our model"
            assert asked == ["sampling/createMessage"]
    finally:
        await runner.cleanup()


async def test_sampling_is_served_by_the_model_registry() -> None:
    from aiohttp import web

    from mcproute.config import parse_config
    from mcproute.models import ModelRegistry
    from mcproute.protocol.client.sampling import sampling_handler
    from mcproute.protocol.server.http import StreamableHTTP
    from mcproute.testing.everything_server import build
    from models_support import OPENAI_KEY, developers_config_at, running_simulator

    async with running_simulator(tokens=2) as sim:
        registry = ModelRegistry(
            parse_config(developers_config_at(sim.url), env={"OPENAI_API_KEY": OPENAI_KEY})
        )
        runner = web.AppRunner(StreamableHTTP(build()).app(), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            async with MCPConnection(
                f"http://127.0.0.1:{port}/mcp",
                capabilities={"sampling": {}},
                on_request=sampling_handler(registry),
                prefer="legacy",
            ) as conn:
                result = await conn.call_tool("test_sampling", {"prompt": "weather?"})
            assert result["content"][0]["text"].startswith("LLM response: echo: weather?")
            assert sim.requests[-1].body["messages"] == [{"role": "user", "content": "weather?"}]
            assert sim.requests[-1].body["max_tokens"] == 100
        finally:
            await runner.cleanup()


@pytest.mark.parametrize("era", ["negotiated", "legacy"])
async def test_against_a_fastmcp_server(fastmcp_url: str, era: str) -> None:
    if era == "legacy":
        remember_legacy(fastmcp_url)
    notes: list[tuple[str, Any]] = []

    async def on_note(method: str, params: dict[str, Any]) -> None:
        notes.append((method, params))

    async with MCPConnection(fastmcp_url, on_notification=on_note) as conn:
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


@pytest.mark.parametrize("prefer", ["modern", "legacy"])
async def test_watch_hears_the_sdk_server(sdk_url: str, prefer: str) -> None:
    """What the server announces outside our requests: on `subscriptions/listen` in
    2026-07-28, on the session's GET stream in a legacy session."""
    heard: list[str] = []
    got = asyncio.Event()

    async def note(method: str, params: dict[str, Any]) -> None:
        heard.append(method)
        got.set()

    async with MCPConnection(sdk_url, prefer=prefer) as client:
        assert client.era == prefer
        opened = asyncio.Event()
        watch = asyncio.create_task(
            client.watch(note, notifications={"resourcesListChanged": True}, opened=opened)
        )
        try:
            await opened.wait()
            assert not watch.done()
            await client.call_tool("add_note", {"content": prefer})
            async with asyncio.timeout(20):
                await got.wait()
            assert heard == ["notifications/resources/list_changed"]
        finally:
            watch.cancel()
