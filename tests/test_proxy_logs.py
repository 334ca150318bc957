"""Logs of `mcproute serve`: `bytes_out` in the access log is what the caller received, every
line logged during a request carries its id, `--log-format json` writes JSON objects, and a
stdio MCP child that fails has its stderr logged at WARNING."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from mcp_support import free_port, serve
from mcproute.config import parse_config
from mcproute.logs import JsonFormatter, RequestIdFilter, TextFormatter
from mcproute.protocol.client import MCPConnection
from mcproute.proxy import build_app
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from models_support import OPENAI_KEY, running_simulator
from test_proxy_crash import wait_ready
from test_proxy_serve import served


def access_lines(stderr: str) -> list[dict[str, Any]]:
    return [
        entry
        for entry in map(json.loads, filter(lambda x: x.startswith("{"), stderr.splitlines()))
        if "path" in entry
    ]


async def raw_exchange(port: int, request: bytes) -> bytes:
    """Everything the server sends for one request on a connection it then closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    received = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    await writer.wait_closed()
    return received


async def test_bytes_out_counts_what_the_caller_received(tmp_path: Path) -> None:
    async with running_simulator(tokens=4) as sim, served(tmp_path, sim.url) as proxy:
        port = int(proxy.url.rsplit(":", 1)[1])
        sizes = {}
        for rid, stream in (("json-reply", False), ("sse-reply", True)):
            messages = [{"role": "user", "content": "hi"}]
            body = json.dumps({"model": "gpt-4", "stream": stream, "messages": messages}).encode()
            received = await raw_exchange(
                port,
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                b"Authorization: Bearer " + proxy.key.encode() + b"\r\n"
                b"x-request-id: " + rid.encode() + b"\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body,
            )
            assert received.startswith(b"HTTP/1.1 200")
            sizes[rid] = len(received)
        unauthorized = await raw_exchange(
            port,
            b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nx-request-id: no-key\r\n"
            b"Connection: close\r\n\r\n",
        )
        assert unauthorized.startswith(b"HTTP/1.1 401")
        sizes["no-key"] = len(unauthorized)
        proxy.proc.terminate()
        assert await asyncio.wait_for(proxy.proc.wait(), 30) == 0
    logged = {e["request_id"]: e for e in access_lines((tmp_path / "stderr").read_text())}
    assert {rid: logged[rid]["bytes_out"] for rid in sizes} == sizes


@contextlib.contextmanager
def captured(formatter: logging.Formatter) -> Iterator[io.StringIO]:
    """A stderr-like handler, set up as `mcproute serve` sets up its own."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


async def test_every_line_of_a_request_carries_its_id(tmp_path: Path) -> None:
    """Lines from the handler, from a task it starts, and aiohttp's own line for an unhandled
    error, each with the request's id; a line outside any request has none."""
    log = logging.getLogger("mcproute.test")

    async def noisy(request: web.Request) -> web.Response:
        log.warning("in the handler")
        await asyncio.create_task(asyncio.to_thread(lambda: None))  # a hop the id survives
        await asyncio.create_task(_log_later(log))
        if request.query.get("fail"):
            raise RuntimeError("a bug")
        return web.json_response({})

    data = DataDir(tmp_path / "data")
    with SqliteApiKeyStore(data) as store:
        key, _ = ApiKeyManager(data.pepper(), store).issue("test", ["admin"])
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "models": ["gpt-4"]}}
    config = parse_config({"mcp": {"models": models}}, env={"OPENAI_API_KEY": OPENAI_KEY})
    app = build_app(config, data)
    app.router.add_get("/admin/test-noisy", noisy)
    with captured(JsonFormatter()) as out, captured(TextFormatter()) as text:
        async with serve(app) as url, aiohttp.ClientSession() as http:
            base = url.removesuffix("/mcp")
            for rid, query in (("req-ok", ""), ("req-fail", "?fail=1")):
                headers = {"Authorization": f"Bearer {key}", "x-request-id": rid}
                async with http.get(f"{base}/admin/test-noisy{query}", headers=headers) as r:
                    assert r.status == (500 if query else 200)
            log.warning("outside")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    by_message = [(e["message"], e["request_id"]) for e in lines if e["logger"] == "mcproute.test"]
    assert by_message == [
        ("in the handler", "req-ok"),
        ("in a task", "req-ok"),
        ("in the handler", "req-fail"),
        ("in a task", "req-fail"),
        ("outside", None),
    ]
    error = next(e for e in lines if e["logger"] == "aiohttp.server")
    assert error["request_id"] == "req-fail"
    assert error["level"] == "error"
    assert "RuntimeError: a bug" in error["exception"]
    assert "in a task [request_id=req-ok]" in text.getvalue()
    assert "outside\n" in text.getvalue()


async def _log_later(log: logging.Logger) -> None:
    await asyncio.sleep(0)
    log.warning("in a task")


FAILING_CHILD = "import sys; sys.stderr.write('boom: no database\\n'); sys.exit(3)"


@pytest.mark.parametrize("log_format", ["json", "text"])
async def test_a_failing_stdio_child_is_logged_at_warning(tmp_path: Path, log_format: str) -> None:
    data = DataDir(tmp_path / "data")
    with SqliteApiKeyStore(data) as store:
        key, _ = ApiKeyManager(data.pepper(), store).issue("test", ["mcp"])
    config = tmp_path / "mcproute.json"
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
    servers = {"broken": {"command": sys.executable, "args": ["-c", FAILING_CHILD]}}
    config.write_text(json.dumps({"mcp": {"models": models, "mcpServers": servers}}))
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "mcproute.cli", "serve", "--config", str(config)),
        *("--port", str(port), "--log-format", log_format),
        env={**os.environ, "MCPROUTE_DATA_DIR": str(data.path)},
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, url)
            auth = {"Authorization": f"Bearer {key}"}
            async with MCPConnection(f"{url}/mcp", http=http, headers=auth) as conn:
                assert await conn.list_tools() == []  # the broken upstream has none to offer
    finally:
        proc.terminate()
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    lines = stderr.decode().splitlines()
    if log_format == "json":
        entries = [json.loads(line) for line in lines]  # every line, the start-up one too
        assert any(e.get("message", "").startswith("mcproute serving on") for e in entries)
        warnings = [
            e
            for e in map(json.loads, filter(lambda x: x.startswith("{"), lines))
            if e.get("logger") == "mcproute.mcp.stdio"
        ]
        assert warnings, stderr.decode()
        assert all(e["level"] == "warning" for e in warnings)
        assert f"{sys.executable} exited with status 3" in warnings[0]["message"]
        assert "boom: no database" in warnings[0]["message"]
    else:
        text = "\n".join(lines)
        assert f"WARNING mcproute.mcp.stdio: {sys.executable} exited with status 3" in text
        assert "  boom: no database" in text
