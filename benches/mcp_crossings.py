"""Count the calls into the Rust core one MCP `tools/call` costs: `python -m benches.mcp_crossings`.

The server under test runs in this process (our everything server alone, then the gateway in
front of it, the upstream in a child process), and a profile hook counts each call of a
`mcproute._core` function or `Message` method while one stateless 2026-07-28 call is served
(after a warm-up call, so that listings and upstream connections are in place). Reads of the
handle's fields (`kind`, `id`, `method`, ...) are attribute reads, not counted here.
"""

from __future__ import annotations

import asyncio
import collections
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from types import FrameType
from typing import Any

import aiohttp
from aiohttp import web

from mcproute.protocol.gateway import Gateway
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.testing.everything_server import build

TOOL = "test_simple_text"
META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": {"name": "crossings", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def counting() -> Iterator[collections.Counter[str]]:
    """Count calls into `mcproute._core` made on this thread while the block runs."""
    counts: collections.Counter[str] = collections.Counter()

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event != "c_call":
            return
        owner = getattr(arg, "__self__", None)
        module = getattr(arg, "__module__", None) or type(owner).__module__
        if module == "mcproute._core":
            counts[getattr(arg, "__qualname__", arg.__name__)] += 1

    sys.setprofile(hook)
    try:
        yield counts
    finally:
        sys.setprofile(None)


@asynccontextmanager
async def serving(app: web.Application) -> Any:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        await runner.cleanup()


async def one_call(http: aiohttp.ClientSession, url: str, tool: str) -> collections.Counter[str]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": {}, "_meta": META},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    for warm in (True, False):
        with counting() as counts:
            async with http.post(url, data=json.dumps(body), headers=headers) as r:
                reply = await r.json()
        if "result" not in reply:
            raise SystemExit(f"{tool}: {reply}")
        if not warm:
            return counts
    raise AssertionError("unreachable")


def _show(title: str, counts: collections.Counter[str]) -> None:
    detail = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    print(f"{title}: {sum(counts.values())} ({detail})")


async def main() -> None:
    async with aiohttp.ClientSession() as http:
        async with serving(StreamableHTTP(build()).app()) as url:
            _show("MCPServer alone", await one_call(http, url, TOOL))
        port = _free_port()
        command = [sys.executable, "-m", "mcproute.testing.everything_server", "--port", str(port)]
        upstream = await asyncio.create_subprocess_exec(*command, stdout=subprocess.DEVNULL)
        try:
            upstream_url = f"http://127.0.0.1:{port}/mcp"
            for _ in range(100):
                try:
                    async with http.get(upstream_url) as r:
                        await r.read()
                    break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            gateway = Gateway({"ev": upstream_url})
            try:
                async with serving(StreamableHTTP(gateway).app()) as url:
                    counts = await one_call(http, url, f"ev__{TOOL}")
                    _show("gateway in front of it (the gateway's process)", counts)
            finally:
                await gateway.close()
        finally:
            upstream.terminate()
            await upstream.wait()


if __name__ == "__main__":
    asyncio.run(main())
