"""Requests that fail while their request line or headers are parsed, sent over raw sockets to
`mcproute serve`: a fixed 400 that never quotes the input, one rate-limited WARNING line naming
the problem (no header value, no traceback), and the server goes on serving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest

from served_support import Served, served

SECRET = "sk-proj-FAKESECRETdonotecho0123456789"
CASES = {
    "header line without colon": f"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Leak {SECRET}\r\n\r\n",
    "control byte in a header value": (
        f"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\x01\r\n\r\n"
    ),
    "oversize header value": (
        f"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Api-Key: {SECRET}{'a' * 9000}\r\n\r\n"
    ),
    "oversize header name": f"GET / HTTP/1.1\r\nHost: x\r\n{SECRET}{'a' * 9000}: v\r\n\r\n",
    "oversize request line": f"GET /{SECRET}{'a' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad request line": f"GET /{SECRET} HTTP/1.1 extra\r\nHost: x\r\n\r\n",
    "bad method": f"G{SECRET}@T / HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad content-length": f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {SECRET}\r\n\r\n",
    "bad transfer-encoding": (f"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {SECRET}\r\n\r\n"),
    "bad chunk": (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        f"Authorization: Bearer {SECRET}\r\n\r\nzz{SECRET}\r\n"
    ),
}


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Served]:
    async with served(tmp_path) as p:
        yield p


async def exchange(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        async with asyncio.timeout(10):
            return await reader.read()  # the server closes the connection after a 400
    finally:
        writer.close()


async def test_malformed_requests_get_a_fixed_400(proxy: Served) -> None:
    problems = set()
    for name, raw in CASES.items():
        answer = await exchange(proxy.port, raw.encode())
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0].split(b" ")[1] == b"400", (name, head)
        assert SECRET.encode() not in answer, name
        assert b"FAKESECRET" not in answer, name
        error = orjson.loads(body)["error"]
        assert error["code"] == "malformed_request"
        assert error["message"].startswith("malformed HTTP request: ")
        problems.add(error["message"])
    assert len(problems) >= 4  # the kind of problem is named, from a fixed set
    async with aiohttp.ClientSession() as http, http.get(f"{proxy.url}/healthz") as r:
        assert r.status == 200  # still serving
    await asyncio.sleep(0.2)  # let the worker flush its log line
    log = proxy.stderr()
    assert "FAKESECRET" not in log
    assert "Traceback" not in log
    assert " ERROR " not in log
    warnings = [line for line in log.splitlines() if "malformed HTTP request" in line]
    assert len(warnings) == 1, log  # rate-limited: one line for the burst
    assert " WARNING " in warnings[0]
    assert "from 127.0.0.1" in warnings[0]


@pytest.mark.parametrize(
    "path", ["/v1/chat/completions", "/v1/messages", "/v1/contexts", "/mcp", "/admin/keys"]
)
async def test_a_body_whose_framing_breaks_mid_read_gets_the_400(proxy: Served, path: str) -> None:
    """The headers pass and the handler starts reading; then a chunk header is garbage. The
    read fails at once with the same 400 (not a wait for the body timeout, not a 500)."""
    key = proxy.key("admin")
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n'.encode()
        )
        await writer.drain()
        await asyncio.sleep(0.2)  # the handler is reading the body now
        writer.write(f"zz{SECRET}\r\n\r\n".encode())
        await writer.drain()
        async with asyncio.timeout(20):
            answer = await reader.read()
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400", answer[:300]
    assert orjson.loads(body)["error"]["code"] == "malformed_request"
    assert SECRET.encode() not in answer
    assert key.encode() not in answer
    log = proxy.stderr()
    assert "FAKESECRET" not in log
    assert "Traceback" not in log
    assert '"status":400' in log  # the access log tells the same story as the answer
