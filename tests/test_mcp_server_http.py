"""Streamable HTTP edge cases: the spec's status codes and JSON-RPC errors, and the server keeps
serving. Every result the server sends validates against its revision's schema."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mcp_demo_server import server
from mcp_support import INIT, http_server, post, serve, start_session
from mcproute import _core
from mcproute.protocol.server import Session
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.testing.everything_server import build

MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with http_server() as u:
        yield u


def modern(method: str, params: dict[str, Any] | None = None, id: int = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": id,
        "method": method,
        "params": {**(params or {}), "_meta": META},
    }


async def test_legacy_session_lifecycle(url: str) -> None:
    sid = await start_session(url)
    hdr = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"}
    status, _, body = await post(url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, hdr)
    assert status == 200
    assert len(body["result"]["tools"]) == 3
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as r:
            assert r.status == 405
        async with s.delete(url, headers={"Mcp-Session-Id": sid}) as r:
            assert r.status == 204
    status, _, body = await post(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, hdr)
    assert status == 404  # the session is gone: the client must initialize again


async def test_missing_session_and_bad_version_header(url: str) -> None:
    status, _, body = await post(url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert status == 400
    assert body["error"]["code"] == -32600
    assert "Mcp-Session-Id" in body["error"]["message"]
    status, _, body = await post(url, INIT, {"MCP-Protocol-Version": "1999-01-01"})
    assert status == 400
    assert "unsupported version" in body["error"]["message"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.com"}, 403),
        ({"Host": "evil.com"}, 403),
        ({"Origin": "http://localhost:3000"}, 200),
    ],
)
async def test_dns_rebinding_protection(url: str, headers: dict[str, str], status: int) -> None:
    got, _, _ = await post(url, INIT, headers)
    assert got == status


async def test_modern_stateless_requests_and_header_validation(url: str) -> None:
    hdr = {"Mcp-Method": "tools/call", "Mcp-Name": "add", "MCP-Protocol-Version": MODERN}
    call = modern("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
    status, headers, body = await post(url, call, hdr)
    assert status == 200
    assert "Mcp-Session-Id" not in headers
    assert body["result"]["content"][0]["text"] == "3"
    assert body["result"]["resultType"] == "complete"
    status, _, body = await post(url, call, {**hdr, "Mcp-Name": "other"})
    assert (status, body["error"]["code"]) == (400, -32020)
    status, _, body = await post(url, call, {"Mcp-Name": "add"})
    assert (status, body["error"]["code"]) == (400, -32020)
    status, _, body = await post(url, modern("ping"), {"Mcp-Method": "ping"})
    assert (status, body["error"]["code"]) == (404, -32601)  # no ping in 2026-07-28
    bad_version = {
        **modern("tools/list"),
        "params": {"_meta": {**META, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}},
    }
    status, _, body = await post(url, bad_version, {"Mcp-Method": "tools/list"})
    assert (status, body["error"]["code"]) == (400, -32022)
    assert body["error"]["data"]["supported"] == [MODERN]
    # An unknown version in both header and body: -32022, naming what was asked, with the id.
    both = {"Mcp-Method": "tools/list", "MCP-Protocol-Version": "2099-01-01"}
    status, _, body = await post(url, {**bad_version, "id": 301}, both)
    assert (status, body["id"], body["error"]["code"]) == (400, 301, -32022)
    assert body["error"]["data"] == {"supported": [MODERN], "requested": "2099-01-01"}
    # A known header against an unknown body version: the mismatch is the error.
    known = {**both, "MCP-Protocol-Version": MODERN}
    status, _, body = await post(url, {**bad_version, "id": 302}, known)
    assert (status, body["id"], body["error"]["code"]) == (400, 302, -32020)


@pytest.mark.parametrize(
    "meta",
    [None, {"io.modelcontextprotocol/clientCapabilities": {}}],
    ids=["no _meta", "no protocolVersion"],
)
async def test_stateless_requests_must_name_their_version(
    url: str, meta: dict[str, Any] | None
) -> None:
    params = {} if meta is None else {"_meta": meta}
    discover = {"jsonrpc": "2.0", "id": 101, "method": "server/discover", "params": params}
    status, _, body = await post(url, discover, {"Mcp-Method": "server/discover"})
    assert (status, body["id"], body["error"]["code"]) == (400, 101, -32602)
    assert "protocolVersion" in body["error"]["message"]


async def test_an_undeclared_capability_is_32021() -> None:
    async with serve(StreamableHTTP(build()).app()) as url:
        call = modern("tools/call", {"name": "test_missing_capability", "arguments": {}})
        headers = {"Mcp-Method": "tools/call", "Mcp-Name": "test_missing_capability"}
        status, _, body = await post(url, call, headers)
    assert (status, body["error"]["code"]) == (400, -32021)
    assert body["error"]["data"] == {"requiredCapabilities": {"sampling": {}}}


async def test_bad_input_gets_errors_and_the_server_keeps_serving(url: str) -> None:
    sid = await start_session(url)
    hdr = {"Mcp-Session-Id": sid}
    status, _, body = await post(url, b'{"jsonrpc":"2.0","id":1,', hdr)
    assert (status, body["error"]["code"], body.get("id")) == (400, -32700, None)
    status, _, body = await post(
        url, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": 7}}, hdr
    )
    assert (status, body["error"]["code"], body["id"]) == (400, -32602, 2)
    assert "params.name" in body["error"]["message"]
    status, _, body = await post(url, {"jsonrpc": "2.0", "id": 3, "method": "nope"}, hdr)
    assert (status, body["error"]["code"]) == (404, -32601)
    status, _, body = await post(
        url, {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "strict"}}, hdr
    )
    assert body["error"] == {"code": -32602, "message": "params.arguments.x: required"}
    status, _, body = await post(
        url,
        {"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": {"uri": "test://none"}},
        hdr,
    )
    assert body["error"]["code"] == -32002
    huge = b'{"jsonrpc":"2.0","id":6,"method":"ping","params":{"x":"' + b"a" * (5 << 20) + b'"}}'
    status, _, _ = await post(url, huge, hdr)
    assert status == 413
    status, _, body = await post(url, {"jsonrpc": "2.0", "id": 7, "method": "ping"}, hdr)
    assert (status, body["result"]) == (200, {})


async def test_requests_before_initialize_are_refused() -> None:
    session = Session()
    reply = await server.handle_bytes(b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}', session)
    assert reply.body is not None
    assert reply.error == -32600  # the outcome, without reading the bytes
    error = json.loads(reply.body)["error"]
    assert error["code"] == -32600
    assert "initialize" in error["message"]
    ping = await server.handle_bytes(b'{"jsonrpc":"2.0","id":2,"method":"ping"}', session)
    assert ping.body is not None
    assert ping.error is None
    assert json.loads(ping.body)["result"] == {}


REQUESTS = [
    ("tools/list", {}),
    ("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}}),
    ("tools/call", {"name": "broken", "arguments": {}}),
    ("resources/list", {}),
    ("resources/templates/list", {}),
    ("resources/read", {"uri": "test://greeting"}),
    ("resources/read", {"uri": "test://blob"}),
    ("prompts/list", {}),
    ("prompts/get", {"name": "hi", "arguments": {"who": "x"}}),
    (
        "completion/complete",
        {"ref": {"type": "ref/prompt", "name": "hi"}, "argument": {"name": "who", "value": "A"}},
    ),
]


@pytest.mark.parametrize(
    "version", ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", MODERN]
)
async def test_every_result_validates_against_the_schema(version: str) -> None:
    session = None
    requests = list(REQUESTS)
    if version != MODERN:
        session = Session()
        init = {**INIT, "params": {**INIT["params"], "protocolVersion": version}}
        reply = await server.handle_bytes(json.dumps(init).encode(), session)
        assert reply.body is not None
        assert reply.opened is session  # initialize opened it
        _core.parse(reply.body, version=version, result_of="initialize")
        requests.append(("logging/setLevel", {"level": "debug"}))
        requests.append(("ping", {}))
    else:
        requests.append(("server/discover", {}))
    for i, (method, params) in enumerate(requests, start=1):
        if version == MODERN:
            params = {**params, "_meta": META}
        body = json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
        reply = await server.handle_bytes(body.encode(), session)
        assert reply.body is not None
        assert "error" not in json.loads(reply.body), (method, reply)
        _core.parse(reply.body, version=version, result_of=method)  # raises if the schema disagrees
