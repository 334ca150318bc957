"""`POST /mcp` on the server front's lane (`proxy.front.mcp_lane`) answers, records and logs
every request as the app's chain on aiohttp's own site does: the same bytes (but the date and
the made request ids), the same history rows, HTTP metrics and access log lines."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from front_support import running_app
from mcp_support import serve
from mcproute.logs import ACCESS_LOGGER
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.proxy.history import HISTORY
from mcproute.proxy.mcp_mount import MCP_MOUNT
from mcproute.proxy.metrics import METRICS
from mcproute.testing import everything_server
from proxy_support import document
from test_front_proxy import connection

MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "lane-test", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


def modern(method: str, params: dict[str, Any], request_id: int | None = 7) -> bytes:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": {**params, "_meta": META}}
    if request_id is not None:
        body["id"] = request_id
    return orjson.dumps(body)


def request(key: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n{lines}\r\n"
    )
    return head.encode() + body


def call_headers(tool: str) -> dict[str, str]:
    return {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool}


def cases(key: str, unscoped: str) -> list[bytes]:
    add = modern("tools/call", {"name": "demo__add", "arguments": {"a": 1, "b": 2}})
    return [
        request(key, add, call_headers("demo__add")),  # the lane's own bytes
        request(key, add, {**call_headers("demo__add"), "x-request-id": "given-id.1"}),
        request(key, add, {**call_headers("demo__other")}),  # Mcp-Name mismatch: 400
        request(key, modern("tools/call", {"name": "nope", "arguments": {}}), call_headers("nope")),
        request(key, modern("tools/list", {}), {"Mcp-Method": "tools/list"}),
        request(
            key,
            add,
            {
                "Mcp-Method": "tools/call",
                "Mcp-Name": "demo__add",
                "MCP-Protocol-Version": "2025-06-18",
            },
        ),
        request(key, modern("notifications/cancelled", {"requestId": 3}, None), {}),  # 202
        request(key, add, {**call_headers("demo__add"), "Origin": "http://evil.example"}),
        request(unscoped, add, call_headers("demo__add")),  # 403: no mcp scope
        request("mcpr_nope", add, call_headers("demo__add")),  # 401
        request(key, b'{"jsonrpc": "2.0", "id": 1, "method": "initialize"', {}),  # not JSON
    ]


async def read_reply(reader: Any) -> tuple[list[str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    lines = head.split("\r\n")[:-2]
    length = next(int(line.split(":")[1]) for line in lines if line.startswith("Content-Length"))
    body = await reader.readexactly(length)
    kept = [line for line in lines if not line.startswith("Date:")]
    return kept, body


async def outcomes(
    tmp_path: Path, front: bool, caplog: pytest.LogCaptureFixture
) -> tuple[list[Any], list[Any], dict[Any, int], list[Any]]:
    async with running_app(tmp_path, front) as (proxy, server, app):
        assert app[MCP_MOUNT].lane is front or server is None
        key, unscoped = proxy.key("mcp"), proxy.key("models")
        replies = []
        caplog.clear()
        with caplog.at_level(logging.INFO, ACCESS_LOGGER):
            async with connection(proxy.url) as (reader, writer):
                for sent in cases(key, unscoped):
                    writer.write(sent)
                    head, body = await read_reply(reader)
                    made_id = next(
                        (line for line in head if line.startswith("x-request-id:")), None
                    )
                    if made_id is not None and "given-id" not in made_id:
                        head[head.index(made_id)] = "x-request-id: <made>"
                    replies.append((head, orjson.loads(body) if body else None))
        access = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]
        for entry in access:
            for volatile in ("ts", "duration_ms", "client"):
                entry.pop(volatile)
            if "given-id" not in entry["request_id"]:
                entry["request_id"] = "<made>"
            entry["key_id"] = entry["key_id"] is not None
        rows = [[row[3], row[4], row[7], row[12], row[2] is not None] for row in app[HISTORY].log]
        requests = {k: v for k, v in app[METRICS].requests.items() if k[0] == "/mcp"}
        return replies, rows, requests, access


async def test_the_lane_answers_records_and_logs_as_the_chain(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lane = await outcomes(tmp_path / "front", True, caplog)
    plain = await outcomes(tmp_path / "plain", False, caplog)
    replies = lane[0]
    statuses = [head[0] for head, _ in replies]
    assert statuses == [
        "HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request", "HTTP/1.1 200 OK",
        "HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request", "HTTP/1.1 202 Accepted",
        "HTTP/1.1 403 Forbidden", "HTTP/1.1 403 Forbidden", "HTTP/1.1 401 Unauthorized",
        "HTTP/1.1 400 Bad Request",
    ]  # fmt: skip
    assert replies[0][1]["result"]["content"][0]["text"] == "3"
    assert "x-request-id: given-id.1" in replies[1][0]
    assert lane == plain


async def cancelled_call(tmp_path: Path, front: bool) -> tuple[list[str], bytes, list[str]]:
    """A slow 2026-07-28 call on one connection, cancelled from another: both replies' heads
    (but the date and made ids) and the call's body."""
    upstream = StreamableHTTP(everything_server.build())
    async with serve(upstream.app()) as everything_url:

        def config(sim_url: str, _: str) -> dict[str, Any]:
            return document(sim_url, everything_url)

        async with running_app(tmp_path, front, config) as (proxy, _, app):
            demo = app[MCP_MOUNT].service.gateway.upstreams["demo"]
            key = proxy.key("mcp")
            slow = modern("tools/call", {"name": "demo__slow_compute",
                                         "arguments": {"seconds": 30}}, 5)  # fmt: skip
            cancel = modern("notifications/cancelled", {"requestId": 5}, None)
            async with connection(proxy.url) as (reader, writer):
                writer.write(request(key, slow, call_headers("demo__slow_compute")))
                for _ in range(1000):  # until the call is upstream
                    if demo.calls:
                        break
                    await asyncio.sleep(0.01)
                async with connection(proxy.url) as (other_reader, other_writer):
                    other_writer.write(request(key, cancel, {}))
                    cancelled_head, _ = await read_reply(other_reader)
                call_head, body = await asyncio.wait_for(read_reply(reader), 10)
    return (
        [h for h in call_head if "x-request-id" not in h],
        body,
        [h for h in cancelled_head if "x-request-id" not in h],
    )


async def test_a_cancelled_call_gets_no_response_on_the_lane_as_on_the_chain(
    tmp_path: Path,
) -> None:
    lane = await cancelled_call(tmp_path / "front", True)
    plain = await cancelled_call(tmp_path / "plain", False)
    assert lane[0][0] == "HTTP/1.1 202 Accepted"
    assert lane[1] == b""  # no JSON-RPC response
    assert lane[2][0] == "HTTP/1.1 202 Accepted"
    assert lane == plain
