"""Cancellation with the official `mcp` SDK client: a call it abandons (a read timeout) stops
the tool's handler, on our server and, through the gateway, on the upstream, in both eras; a
held call that is cancelled releases its upstream request."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError as SdkError

from mcp_support import free_port, post, process, serve, start_session
from mcproute._core import parse
from mcproute.protocol.client.connection import _ERA_CACHE
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.gateway.held_calls import HeldCalls
from mcproute.protocol.server import MCPServer
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.protocol.server.input_required import InputRequired

WAIT_S = 10.0  # bounds every wait on the server's side
SDK_SERVER = str(Path(__file__).with_name("sdk_server.py"))


class Hanging:
    """An MCPServer whose `hang` tool waits until it is cancelled."""

    def __init__(self) -> None:
        self.server = MCPServer("hanging")
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

        @self.server.tool(description="Waits until cancelled.")
        async def hang(arguments: dict[str, Any]) -> str:
            self.started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled.set()
                raise
            return "never"

        @self.server.tool(description="Answers at once.")
        def quick(arguments: dict[str, Any]) -> str:
            return "quick"


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


@pytest.fixture
async def hanging() -> AsyncIterator[tuple[Hanging, str]]:
    peer = Hanging()
    async with serve(StreamableHTTP(peer.server).app()) as url:
        yield peer, url


async def abandon(client: Client, tool: str) -> None:
    """Call `tool` with a read timeout the SDK gives up on (it then cancels the request)."""
    with pytest.raises(SdkError, match="timed out"):
        await client.call_tool(tool, {}, read_timeout_seconds=0.5)


def hang_server(tmp_path: Path) -> tuple[Path, Path]:
    """A stdio MCPServer script whose `hang` tool waits until cancelled, and the file it then
    writes."""
    marker = tmp_path / "cancelled"
    script = tmp_path / "hang_server.py"
    script.write_text(
        "import asyncio\n"
        "from mcproute.protocol.server import MCPServer\n"
        "from mcproute.protocol.server.stdio import serve_stdio\n"
        "server = MCPServer('hang')\n"
        "@server.tool(description='Waits until cancelled.')\n"
        "async def hang(arguments):\n"
        "    try:\n"
        "        await asyncio.Event().wait()\n"
        "    except asyncio.CancelledError:\n"
        f"        open({str(marker)!r}, 'w').close()\n"
        "        raise\n"
        "asyncio.run(serve_stdio(server))\n"
    )
    return script, marker


async def appears(marker: Path) -> None:
    """Wait (bounded) for a file a child process writes."""
    async with asyncio.timeout(WAIT_S):
        while not marker.exists():  # noqa: ASYNC110, ASYNC240 - another process writes it
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_an_abandoned_call_stops_its_handler(hanging: tuple[Hanging, str], mode: str) -> None:
    peer, url = hanging
    async with Client(url, mode=mode) as client:
        await abandon(client, "hang")
        async with asyncio.timeout(WAIT_S):
            await peer.cancelled.wait()
        # The session (legacy) or the endpoint (stateless) keeps serving.
        result = await client.call_tool("quick", {})
        assert result.content[0].text == "quick"  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_gateway_forwards_the_cancellation_upstream(
    hanging: tuple[Hanging, str], mode: str
) -> None:
    peer, url = hanging
    gateway = Gateway({"up": url})
    try:
        async with (
            serve(StreamableHTTP(gateway).app()) as gw_url,
            Client(gw_url, mode=mode) as client,
        ):
            await abandon(client, "up__hang")
            async with asyncio.timeout(WAIT_S):
                await peer.cancelled.wait()
            result = await client.call_tool("up__quick", {})
            assert result.content[0].text == "quick"  # type: ignore[union-attr]
    finally:
        await gateway.close()


async def test_a_stdio_upstream_hears_the_cancellation(tmp_path: Path) -> None:
    """The gateway's stdio upstream is our server in a child process; the SDK client cancels
    through the gateway and the child's handler ends (it says so in a file)."""
    script, marker = hang_server(tmp_path)
    gateway = Gateway({"child": {"command": sys.executable, "args": [str(script)]}})
    try:
        async with (
            serve(StreamableHTTP(gateway).app()) as gw_url,
            Client(gw_url, mode="legacy") as client,
        ):
            await abandon(client, "child__hang")
            await appears(marker)
    finally:
        await gateway.close()


async def test_our_stdio_server_stops_a_cancelled_handler(tmp_path: Path) -> None:
    script, marker = hang_server(tmp_path)
    params = StdioServerParameters(command=sys.executable, args=[str(script)])
    async with Client(params, mode="legacy") as client:
        await abandon(client, "hang")
        await appears(marker)


async def test_cancellation_without_mcp_method_and_only_of_ones_own(
    hanging: tuple[Hanging, str],
) -> None:
    """A 2026-07-28 cancellation posted without `Mcp-Method` is accepted (202); a legacy
    session cannot cancel another session's request of the same id."""
    peer, url = hanging
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
    status, _, _ = await post(url, cancel, {"MCP-Protocol-Version": "2026-07-28"})
    assert status == 202
    mine, other = await start_session(url), await start_session(url)
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "hang"}}
    running = asyncio.ensure_future(post(url, call, {"Mcp-Session-Id": mine}))
    try:
        async with asyncio.timeout(WAIT_S):
            await peer.started.wait()
        status, _, _ = await post(url, cancel, {"Mcp-Session-Id": other})
        assert status == 202
        await asyncio.sleep(0.2)
        assert not peer.cancelled.is_set()  # another session's id 1 is not this one's
        status, _, _ = await post(url, cancel, {"Mcp-Session-Id": mine})
        assert status == 202
        async with asyncio.timeout(WAIT_S):
            await peer.cancelled.wait()
            status, _, body = await running
        assert (status, body) == (202, None)  # no response for a cancelled request
    finally:
        running.cancel()


async def test_a_cancelled_held_call_releases_its_upstream_request() -> None:
    held = HeldCalls()
    upstream_cancelled = asyncio.Event()

    async def run(on_request: Any) -> dict[str, Any]:
        await on_request("elicitation/create", {"message": "?", "requestedSchema": {}})
        try:
            await asyncio.Event().wait()  # the upstream works on after the answer
        except asyncio.CancelledError:
            upstream_cancelled.set()
            raise
        return {}

    with pytest.raises(InputRequired) as asked:
        await held.start(run, lambda method: True)
    key = asked.value.carry["held"]
    answers = {k: {"action": "accept", "content": {}} for k in asked.value.requests}
    round_two = asyncio.ensure_future(held.resume(key, answers))
    await asyncio.sleep(0.05)
    round_two.cancel()  # the client cancels this round
    async with asyncio.timeout(WAIT_S):
        await upstream_cancelled.wait()
    with pytest.raises(Exception, match="gone"):
        await held.resume(key, {})


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_gateway_cancels_a_call_on_the_sdk_server(tmp_path: Path, mode: str) -> None:
    """SDK client → gateway → SDK server: the abandoned call's handler on the SDK server ends."""
    marker = tmp_path / "cancelled"
    port = free_port()
    with process([sys.executable, SDK_SERVER, str(port)], port) as sdk_url:
        gateway = Gateway({"sdk": sdk_url})
        try:
            async with (
                serve(StreamableHTTP(gateway).app()) as gw_url,
                Client(gw_url, mode=mode) as client,
            ):
                with pytest.raises(SdkError, match="timed out"):
                    await client.call_tool(
                        "sdk__wait_cancelled", {"marker": str(marker)}, read_timeout_seconds=1.0
                    )
                await appears(marker)
        finally:
            await gateway.close()


async def test_a_handler_runs_on_the_callers_task_and_its_cancellations_stay_apart() -> None:
    """`handle` runs the handler on the task that awaits it: the client's cancellation ends it
    with no reply and leaves that task with no cancellation pending (it goes on to answer
    202); the task's own cancellation (a shutdown's) still propagates."""
    peer = Hanging()
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "hang", "arguments": {}, "_meta": meta}}  # fmt: skip
    message = parse(json.dumps(call).encode())

    async def handled() -> tuple[bytes | None, int]:
        reply = await peer.server.handle(message, None, None, "alice")
        running = asyncio.current_task()
        assert running is not None
        return reply.body, running.cancelling()

    first = asyncio.create_task(handled())
    async with asyncio.timeout(WAIT_S):
        await peer.started.wait()
    assert not peer.server.cancel(None, "bob", 7)  # only the sender's own
    assert peer.server.cancel(None, "alice", 7)
    assert await first == (None, 0)
    assert peer.cancelled.is_set()

    peer.started.clear()
    second = asyncio.create_task(handled())
    async with asyncio.timeout(WAIT_S):
        await peer.started.wait()
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    assert not peer.server.cancel(None, "alice", 7)  # no longer running
