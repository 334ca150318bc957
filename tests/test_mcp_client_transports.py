"""Our client over stdio and the 2024-11-05 HTTP+SSE transport, against real servers: our own,
the official `mcp` SDK's, FastMCP's, and the reference TypeScript everything-server of the
2025-11-25 era (legacy only: it answers `server/discover` with -32601)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mcp_demo_server import add_big_tool
from mcp_support import LEGACY_EVERYTHING, NODE, free_port, process, sample, serve
from mcproute.client import MCPClient
from mcproute.config import parse_config
from mcproute.protocol.client import connection as client_module
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.client.stdio import StdioServer, StdioTransport
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server import MCPServer
from mcproute.protocol.server.http import StreamableHTTP
from models_support import OPENAI_KEY, developers_config_at, running_simulator

TESTS = Path(__file__).parent
DEMO = StdioServer(sys.executable, (str(TESTS / "mcp_demo_server.py"), "stdio", "--big"))
SDK = StdioServer(sys.executable, (str(TESTS / "sdk_server.py"), "stdio"))
FASTMCP = StdioServer(sys.executable, (str(TESTS / "fastmcp_server.py"), "stdio"))
LEGACY = StdioServer(str(NODE), (str(LEGACY_EVERYTHING), "stdio"))


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


def text(result: dict[str, Any]) -> str:
    return str(result["content"][0]["text"])


def child_pid(conn: MCPConnection) -> int:
    channel = conn._transport
    assert isinstance(channel, StdioTransport)
    assert channel._proc is not None
    return channel._proc.pid


# --- stdio ------------------------------------------------------------------------------------


async def test_stdio_modern_against_our_server() -> None:
    progress: list[dict[str, Any]] = []

    async def on_note(method: str, params: dict[str, Any]) -> None:
        if method == "notifications/progress":
            progress.append(params)

    async with MCPConnection(DEMO) as conn:
        assert (conn.transport and conn.transport.kind, conn.era, conn.version) == (
            "stdio",
            "modern",
            "2026-07-28",
        )
        assert conn.server_info["name"] == "demo"
        assert {t["name"] for t in await conn.list_tools()} >= {"add", "big"}
        assert text(await conn.call_tool("add", {"a": 2, "b": 40})) == "42"
        assert (await conn.read_resource("test://greeting"))["contents"][0]["text"] == "hello"
        prompt = await conn.get_prompt("hi", {"who": "Ada"})
        assert "Ada" in prompt["messages"][0]["content"]["text"]
        # A reply of 2 MB on one line, and a progress notification routed to its request.
        params = {"name": "big", "arguments": {"size": 2_000_000}, "_meta": {"progressToken": 7}}
        result = await conn.request("tools/call", params, on_notification=on_note)
        assert len(text(result)) == 2_000_000
        assert progress == [{"progressToken": 7, "progress": 0, "total": 1}]
        with pytest.raises(MCPError) as err:
            await conn.call_tool("strict", {})
        assert err.value.code == -32602


async def test_stdio_legacy_session_when_preferred() -> None:
    async with MCPConnection(DEMO, prefer="legacy") as conn:
        assert (conn.era, conn.version) == ("legacy", "2025-11-25")
        calls = [conn.call_tool("add", {"a": i, "b": 1}) for i in range(20)]
        # Concurrent requests on one pipe, each reply matched to its request by id.
        assert [text(r) for r in await asyncio.gather(*calls)] == [str(i + 1) for i in range(20)]


@pytest.mark.parametrize(
    ("server", "tool", "answer"),
    [(SDK, "add", "5"), (FASTMCP, "multiply", "6")],
    ids=["mcp-sdk", "fastmcp"],
)
async def test_stdio_against_sdk_servers(server: StdioServer, tool: str, answer: str) -> None:
    async with MCPConnection(server) as conn:
        assert conn.era == "modern"
        assert text(await conn.call_tool(tool, {"a": 2, "b": 3})) == answer
    async with MCPConnection(server, prefer="legacy") as conn:
        assert conn.era == "legacy"
        assert text(await conn.call_tool(tool, {"a": 2, "b": 3})) == answer


async def test_stdio_falls_back_to_initialize_on_a_legacy_server() -> None:
    progress: list[dict[str, Any]] = []

    async def on_note(method: str, params: dict[str, Any]) -> None:
        if method == "notifications/progress":
            progress.append(params)

    async with MCPConnection(LEGACY, capabilities={"sampling": {}}, on_request=sample) as conn:
        assert (conn.era, conn.version) == ("legacy", "2025-11-25")
        assert text(await conn.call_tool("get-sum", {"a": 2, "b": 3})).endswith("5.")
        # Server-to-client request on the pipe, answered by on_request.
        sampled = await conn.call_tool("trigger-sampling-request", {"prompt": "hi"})
        assert re.search(r"sampled: [^\"]*\bhi\b", str(sampled))
        params = {
            "name": "trigger-long-running-operation",
            "arguments": {"duration": 0.2, "steps": 2},
            "_meta": {"progressToken": "p"},
        }
        await conn.request("tools/call", params, on_notification=on_note)
        assert [p["progress"] for p in progress] == [1, 2]


async def test_stdio_child_sees_only_its_own_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPROUTE_PARENT_SECRET", "do-not-leak")
    server = StdioServer(LEGACY.command, LEGACY.args, env={"UPSTREAM_TOKEN": "for-the-child"})
    async with MCPConnection(server) as conn:
        env = text(await conn.call_tool("get-env", {}))
    assert "for-the-child" in env
    assert "do-not-leak" not in env
    assert os.environ["PATH"] in env  # enough to run programs


async def test_stdio_restarts_a_server_that_exited(caplog: pytest.LogCaptureFixture) -> None:
    async with MCPConnection(DEMO) as conn:
        first = child_pid(conn)
        os.kill(first, signal.SIGKILL)
        for _ in range(200):  # until the reader has seen the pipe close
            if conn._transport is not None and conn._transport.ended_reason is not None:
                break
            await asyncio.sleep(0.01)
        with caplog.at_level(logging.WARNING, "mcproute.mcp.client"):
            assert text(await conn.call_tool("add", {"a": 1, "b": 1})) == "2"
        assert child_pid(conn) != first
        assert "restarting" in caplog.text


async def test_stdio_request_in_flight_fails_when_the_server_dies() -> None:
    async with MCPConnection(LEGACY) as conn:
        call = asyncio.create_task(
            conn.call_tool("trigger-long-running-operation", {"duration": 30, "steps": 3})
        )
        await asyncio.sleep(0.3)
        os.kill(child_pid(conn), signal.SIGKILL)
        with pytest.raises(MCPError, match="the connection is closed"):
            await asyncio.wait_for(call, 10)


async def test_stdio_server_stderr_goes_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    script = "import sys; sys.stderr.write('booting the test server\\n'); sys.stderr.flush()"
    server = StdioServer(sys.executable, ("-c", f"{script}; import time; time.sleep(5)"))
    with caplog.at_level(logging.INFO, "mcproute.mcp.stdio"):
        conn = MCPConnection(server, timeout_s=0.5)
        with pytest.raises(MCPError):
            await conn.connect()
    assert "booting the test server" in caplog.text


async def test_stdio_unknown_command_is_a_clear_error() -> None:
    conn = MCPConnection(StdioServer("mcproute-no-such-server", ("--token", "s3cret")))
    with pytest.raises(MCPError, match="cannot start mcproute-no-such-server:") as raised:
        await conn.connect()
    assert "s3cret" not in str(raised.value)  # arguments may carry credentials


async def test_stdio_server_that_exits_at_once() -> None:
    conn = MCPConnection(StdioServer(sys.executable, ("-c", "pass")))
    with pytest.raises(MCPError, match="the connection is closed"):
        await conn.connect()


async def test_stdio_silent_server_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A probe that gets no answer means legacy; an initialize with none is an error, not a
    hang."""
    monkeypatch.setattr(client_module, "PROBE_TIMEOUT_S", 0.2)
    silent = StdioServer(sys.executable, ("-c", "import time; time.sleep(30)"))
    conn = MCPConnection(silent, timeout_s=0.5)
    with pytest.raises(MCPError, match=r"initialize: no reply within 0\.5 s"):
        await conn.connect()
    assert conn._transport is None  # the child was stopped


# --- HTTP+SSE (2024-11-05) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def legacy_sse_url() -> Iterator[str]:
    port = free_port()
    args = [str(NODE), str(LEGACY_EVERYTHING), "sse"]
    with process(args, port, env={"PORT": str(port)}):
        yield f"http://127.0.0.1:{port}/sse"


@pytest.fixture(scope="module")
def sdk_sse_url() -> Iterator[str]:
    port = free_port()
    with process([sys.executable, str(TESTS / "sdk_server.py"), str(port), "sse"], port):
        yield f"http://127.0.0.1:{port}/sse"


async def test_http_sse_fallback_against_the_reference_server(legacy_sse_url: str) -> None:
    async with MCPConnection(
        legacy_sse_url, capabilities={"sampling": {}}, on_request=sample
    ) as conn:
        assert (conn.transport and conn.transport.kind, conn.era) == ("sse", "legacy")
        assert text(await conn.call_tool("get-sum", {"a": 4, "b": 5})).endswith("9.")
        sampled = await conn.call_tool("trigger-sampling-request", {"prompt": "over sse"})
        assert re.search(r"sampled: [^\"]*\bover sse\b", str(sampled))
        assert len(await conn.list_resources()) > 0
    # The transport is remembered: the next connection goes straight to the SSE stream.
    assert any(era == "sse" for era in _ERA_CACHE.values())
    async with MCPConnection(legacy_sse_url) as conn:
        assert conn.transport
        assert conn.transport.kind == "sse"
        assert text(await conn.call_tool("echo", {"message": "again"})).endswith("again")


async def test_http_sse_against_the_sdk_server(sdk_sse_url: str) -> None:
    async with MCPConnection(sdk_sse_url) as conn:
        assert (conn.transport and conn.transport.kind, conn.era) == ("sse", "legacy")
        assert conn.server_info["name"] == "sdk-peer"
        results = await asyncio.gather(*(conn.call_tool("add", {"a": i, "b": i}) for i in range(5)))
        assert [text(r) for r in results] == [str(2 * i) for i in range(5)]


async def test_http_sse_endpoint_on_another_origin_is_refused() -> None:
    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"event: endpoint\ndata: http://attacker.example/messages\n\n")
        await asyncio.sleep(5)
        return resp

    app = web.Application()
    app.router.add_get("/mcp", stream)  # POST is not allowed: 405, as on a 2024-11-05 server
    async with serve(app) as url:
        with pytest.raises(MCPError, match="on another origin"):
            await MCPConnection(url).connect()


# --- Streamable HTTP ---------------------------------------------------------------------------


async def test_large_sse_reply_over_streamable_http() -> None:
    """Replies on an SSE stream may exceed aiohttp's 512 KiB line limit."""
    server = MCPServer("big")
    add_big_tool(server)
    app = StreamableHTTP(server).app()
    async with serve(app) as url, MCPConnection(url, prefer="legacy") as conn:
        assert conn.era == "legacy"  # progress puts the reply on an SSE stream
        params = {"name": "big", "arguments": {"size": 3_000_000}, "_meta": {"progressToken": 1}}
        assert len(text(await conn.request("tools/call", params))) == 3_000_000


@pytest.mark.parametrize("prefer", ["modern", "legacy"])
async def test_mcp_client_serves_sampling_with_its_models(prefer: str) -> None:
    """`MCPClient.connect`: an MCP server over stdio samples through our ModelRegistry (an
    InputRequiredResult in 2026-07-28, a server-to-client request in a legacy session)."""
    module = "mcproute.testing.everything_server"
    everything = StdioServer(sys.executable, ("-m", module, "--stdio"))
    async with running_simulator(tokens=2) as sim:
        config = parse_config(developers_config_at(sim.url), env={"OPENAI_API_KEY": OPENAI_KEY})
        async with MCPClient(config) as client, client.connect(everything, prefer=prefer) as srv:
            assert srv.era == prefer
            result = await srv.call_tool("test_sampling", {"prompt": "weather?"})
    assert text(result).startswith("LLM response: echo: weather?")
    assert sim.requests[-1].body["messages"] == [{"role": "user", "content": "weather?"}]
