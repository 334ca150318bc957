"""The gateway's byte path: a 2026-07-28 tools/call (prompts/get, resources/read) to a
2026-07-28 upstream travels as the client's own bytes (id and tool or prompt name spliced in
the Rust core) and its reply comes back as the upstream's bytes; calls that need this hop's
rewrite go field by field, with the same answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from mcp_support import post, serve, start_session
from mcproute.protocol.client.connection import _ERA_CACHE
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server import MCPServer
from mcproute.protocol.server.http import StreamableHTTP

BODIES = web.AppKey("bodies", list)
RAW = web.AppKey("raw", list)
OTHERS = web.AppKey("others", list)  # the prompts/get and resources/read bodies
CLIENT_INFO = {"name": "bytes-test", "version": "1"}


def upstream() -> web.Application:
    """An upstream that records the tools/call bodies it receives."""
    server = MCPServer("up", "2.0")

    @server.tool(description="Echo.")
    def echo(arguments: dict[str, Any]) -> str:
        return f"echo {arguments.get('text', '')}"

    @server.tool(description="A failing tool.")
    def fails(arguments: dict[str, Any]) -> str:
        raise RuntimeError("it failed")

    @server.tool(description="A protocol error.")
    def strict(arguments: dict[str, Any]) -> str:
        raise MCPError(-32602, "params.arguments.x: required")

    @server.tool(description="Forbidden here.")
    def secret(arguments: dict[str, Any]) -> str:
        return "s3cret"

    @server.prompt(description="Greets.", arguments=[{"name": "who", "required": True}])
    def greet(arguments: dict[str, Any]) -> str:
        return f"Greet {arguments['who']}."

    @server.resource("test://note", name="note", mime_type="text/plain")
    def note() -> str:
        return "a note"

    app = StreamableHTTP(server).app()
    bodies: list[dict[str, Any]] = []
    raw: list[bytes] = []
    others: list[dict[str, Any]] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        body = json.loads(await request.read() or b"null")
        if isinstance(body, dict) and body.get("method") == "tools/call":
            bodies.append(body)
            raw.append(await request.read())
        elif isinstance(body, dict) and body.get("method") in ("prompts/get", "resources/read"):
            others.append(body)
        response: web.StreamResponse = await handler(request)
        return response

    app.middlewares.append(record)
    app[BODIES] = bodies
    app[RAW] = raw
    app[OTHERS] = others
    return app


class Observer:
    def __init__(self) -> None:
        self.upstream: list[tuple[str, str | None, str | None]] = []

    def server_operation(self, method: str, seconds: float, error: str | None) -> None:
        pass

    def upstream_operation(
        self, upstream: str, method: str, tool: str | None, seconds: float, error: str | None
    ) -> None:
        self.upstream.append((method, tool, error))

    def notification_relayed(self, upstream: str, method: str) -> None:
        pass


async def call(url: str, tool: str, arguments: dict[str, Any], request_id: int | str) -> Any:
    return await stateless(url, "tools/call", tool, {"arguments": arguments}, request_id)


async def stateless(
    url: str, method: str, name: str, params: dict[str, Any], request_id: int | str
) -> Any:
    """A 2026-07-28 request naming `name` (a tool, a prompt, or a URI for resources/read)."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    key = "uri" if method == "resources/read" else "name"
    body = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": method,
        "params": {key: name, **params, "_meta": meta},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": method,
        "Mcp-Name": name,
    }
    status, _, reply = await post(url, body, headers)
    assert status == 200, reply
    assert reply["id"] == request_id  # the client's own id, whatever went upstream
    return reply


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


@asynccontextmanager
async def gateway_over(
    app: web.Application, **options: Any
) -> AsyncIterator[tuple[str, Gateway, Any]]:
    """The gateway's URL in front of `app` (as upstream `up`), and the reply to one call that
    connected it the ordinary way: the next calls know the upstream speaks 2026-07-28."""
    async with serve(app) as upstream_url:
        gateway = Gateway({"up": upstream_url}, **options)
        try:
            async with serve(StreamableHTTP(gateway).app()) as url:
                yield url, gateway, await call(url, "up__echo", {"text": "a"}, 1)
        finally:
            await gateway.close()


async def test_a_stateless_call_travels_as_the_clients_own_bytes() -> None:
    app = upstream()
    observer = Observer()
    async with gateway_over(app, observer=observer) as (url, gateway, first):
        second = await call(url, "up__echo", {"text": "a"}, "two")
    assert first["result"] == second["result"]
    result = second["result"]
    assert result["content"] == [{"type": "text", "text": "echo a"}]
    assert result["resultType"] == "complete"
    assert result["_meta"] == {"io.modelcontextprotocol/serverInfo": gateway._info()}
    assert "ttlMs" not in result
    field_by_field, as_bytes = app[BODIES]
    # Field by field, the gateway speaks for itself; as bytes, the client's _meta went on.
    assert field_by_field["params"]["_meta"]["io.modelcontextprotocol/clientInfo"] != CLIENT_INFO
    assert as_bytes["params"]["_meta"]["io.modelcontextprotocol/clientInfo"] == CLIENT_INFO
    assert as_bytes["params"]["name"] == "echo"  # the upstream's own name, spliced in
    assert as_bytes["id"] != "two"  # the connection's own id
    assert observer.upstream[-1] == ("tools/call", "echo", None)


async def test_failures_and_errors_come_back_from_the_byte_path() -> None:
    app = upstream()
    observer = Observer()
    async with gateway_over(app, observer=observer) as (url, _, _):
        failed = await call(url, "up__fails", {}, 2)
        refused = await call(url, "up__strict", {}, 3)
    assert failed["result"]["isError"] is True
    assert "it failed" in failed["result"]["content"][0]["text"]
    assert refused["error"]["code"] == -32602
    assert refused["error"]["message"] == "params.arguments.x: required"
    assert ("tools/call", "fails", "tool_error") in observer.upstream
    assert ("tools/call", "strict", "-32602") in observer.upstream
    clients = [b["params"]["_meta"]["io.modelcontextprotocol/clientInfo"] for b in app[BODIES]]
    assert clients[1:] == [CLIENT_INFO, CLIENT_INFO]  # both went as bytes


async def test_calls_this_hop_must_rewrite_go_field_by_field() -> None:
    app = upstream()
    async with gateway_over(app) as (url, _, _):
        # A key of an input round anywhere in the message: this hop's to rewrite.
        reply = await call(url, "up__echo", {"text": "b", "requestState": 1}, 2)
    assert reply["result"]["content"] == [{"type": "text", "text": "echo b"}]
    last = app[BODIES][-1]
    assert last["params"]["_meta"]["io.modelcontextprotocol/clientInfo"] != CLIENT_INFO


async def test_the_access_policy_holds_on_the_byte_path() -> None:
    app = upstream()

    def policy(caller: Any, kind: str, server: str, name: str) -> bool:
        return name != "secret"

    async with gateway_over(app, access=policy) as (url, gateway, _):
        gateway._tools["up__secret"] = ("up", "secret")  # as if listed before a reload
        refused = await call(url, "up__secret", {}, 2)
    assert refused["error"]["code"] == -32602
    assert "not allowed" in refused["error"]["message"]
    assert [b["params"]["name"] for b in app[BODIES]] == ["echo"]  # nothing else went upstream


async def test_a_legacy_sessions_call_travels_as_its_own_bytes() -> None:
    app = upstream()
    async with serve(app) as upstream_url:
        gateway = Gateway({"up": upstream_url})
        try:
            async with serve(StreamableHTTP(gateway).app()) as url:
                session_id = await start_session(url)
                headers = {"Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"}
                replies = []
                for request_id, text in ((5, "x"), ("six", "y")):
                    # json.dumps's spacing, which a field-by-field forward would not keep
                    body = json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "id": request_id,
                            "method": "tools/call",
                            "params": {"name": "up__echo", "arguments": {"text": text}},
                        }
                    ).encode()
                    status, _, reply = await post(url, body, headers)
                    assert status == 200, reply
                    replies.append(reply)
        finally:
            await gateway.close()
    assert [r["id"] for r in replies] == [5, "six"]
    assert [r["result"] for r in replies] == [
        {"content": [{"type": "text", "text": "echo x"}]},
        {"content": [{"type": "text", "text": "echo y"}]},
    ]  # no per-hop members: a legacy result
    # The upstream got the client's own bytes, in the client's own session with it.
    assert b'"arguments": {"text": "y"}' in app[RAW][-1]
    assert b'"name": "echo"' in app[RAW][-1]  # the tool's own name, spliced in


async def test_prompts_and_reads_travel_as_bytes_with_the_same_answers() -> None:
    """The first prompts/get and resources/read go field by field (the listing is made on the
    way), the next ones as the client's bytes: the answers are the same, a read keeps this
    server's `ttlMs` and `cacheScope`, and the client's id comes back."""
    app = upstream()
    observer = Observer()
    async with gateway_over(app, observer=observer) as (url, gateway, _):
        prompts = [
            await stateless(url, "prompts/get", "up__greet", {"arguments": {"who": "Ada"}}, i)
            for i in ("p1", "p2")
        ]
        reads = [await stateless(url, "resources/read", "test://note", {}, i) for i in (7, 8)]
        refused = await stateless(url, "prompts/get", "up__nope", {}, 9)
    assert prompts[0]["result"] == prompts[1]["result"]
    assert prompts[1]["result"]["messages"][0]["content"]["text"] == "Greet Ada."
    assert reads[0]["result"] == reads[1]["result"]
    read = reads[1]["result"]
    assert read["contents"][0]["text"] == "a note"
    assert (read["ttlMs"], read["cacheScope"], read["resultType"]) == (0, "private", "complete")
    assert read["_meta"] == {"io.modelcontextprotocol/serverInfo": gateway._info()}
    assert refused["error"]["code"] == -32602
    sent = [(b["method"], b["params"]["_meta"]["io.modelcontextprotocol/clientInfo"]) for b in
            app[OTHERS]]  # fmt: skip
    # Field by field the gateway speaks for itself; as bytes the client's _meta went on.
    assert [m for m, _ in sent] == ["prompts/get"] * 2 + ["resources/read"] * 2
    assert [info == CLIENT_INFO for _, info in sent] == [False, True, False, True]
    assert app[OTHERS][1]["params"]["name"] == "greet"  # the prompt's own name, spliced in
    assert app[OTHERS][3]["params"]["uri"] == "test://note"
    assert ("prompts/get", None, None) in observer.upstream
    assert ("resources/read", None, None) in observer.upstream
