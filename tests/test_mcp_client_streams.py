"""Our client on the SSE side of a legacy session: a reply stream the server ends early is
resumed with GET + Last-Event-ID after its `retry`; with `listen=True` the standalone GET stream
carries server-initiated requests, and an accepted elicitation gets the schema's defaults."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiohttp import web

from mcp_support import serve
from mcproute.protocol.client import MCPConnection

SSE = {"Content-Type": "text/event-stream"}
SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "default": "Ada"},
                                           "age": {"type": "integer"}}}  # fmt: skip


class ScriptedServer:
    """A legacy server with two tools: `resume` ends its reply stream after a priming event;
    `ask` elicits on the standalone stream and answers with what it got."""

    def __init__(self) -> None:
        self.pending: Any = None
        self.closed_at = 0.0
        self.resumed: list[tuple[str | None, float]] = []
        self.standalone: web.StreamResponse | None = None
        self.answer: asyncio.Future[Any] | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/mcp", self.post)
        app.router.add_get("/mcp", self.get)
        app.router.add_delete("/mcp", self.delete)
        return app

    async def delete(self, request: web.Request) -> web.Response:
        return self.reply(None, status=204)

    @staticmethod
    def reply(body: Any, status: int = 200) -> web.Response:
        data = None if body is None else orjson.dumps(body)
        return web.Response(status=status, body=data, content_type="application/json",
                            headers={"Mcp-Session-Id": "s1"})  # fmt: skip

    async def post(self, request: web.Request) -> web.StreamResponse:
        msg = await request.json()
        if "method" not in msg:  # our answer to the elicitation
            assert self.answer is not None
            self.answer.set_result(msg["result"])
            return self.reply(None, status=202)
        if msg["method"] == "initialize":
            info = {"name": "scripted", "version": "1"}
            result = {"protocolVersion": "2025-11-25", "capabilities": {}, "serverInfo": info}
            return self.reply({"jsonrpc": "2.0", "id": msg["id"], "result": result})
        if "id" not in msg:
            return self.reply(None, status=202)
        stream = web.StreamResponse(headers=SSE)
        await stream.prepare(request)
        if msg["params"]["name"] == "resume":
            self.pending = msg["id"]
            await stream.write(b"id: p1\nretry: 100\ndata: \n\n")
            self.closed_at = time.monotonic()
            return stream  # ended before the response: the client must resume
        assert self.standalone is not None
        self.answer = asyncio.get_running_loop().create_future()
        ask = {"jsonrpc": "2.0", "id": 0, "method": "elicitation/create",
               "params": {"message": "Who?", "requestedSchema": SCHEMA}}  # fmt: skip
        await self.standalone.write(b"data: " + orjson.dumps(ask) + b"\n\n")
        answer = await self.answer
        text = orjson.dumps(answer).decode()
        result = {"content": [{"type": "text", "text": text}]}
        await stream.write(b"data: " + orjson.dumps({"jsonrpc": "2.0", "id": msg["id"],
                                                     "result": result}) + b"\n\n")  # fmt: skip
        return stream

    async def get(self, request: web.Request) -> web.StreamResponse:
        stream = web.StreamResponse(headers=SSE)
        await stream.prepare(request)
        last = request.headers.get("Last-Event-ID")
        if last is None:  # the standalone stream: open until the client goes
            self.standalone = stream
            await asyncio.sleep(30)
            return stream
        self.resumed.append((last, time.monotonic() - self.closed_at))
        result = {"content": [{"type": "text", "text": "resumed"}]}
        response = {"jsonrpc": "2.0", "id": self.pending, "result": result}
        await stream.write(b"id: p2\ndata: " + orjson.dumps(response) + b"\n\n")
        return stream


async def test_a_reply_stream_ended_early_is_resumed_after_retry() -> None:
    server = ScriptedServer()
    async with serve(server.app()) as url, MCPConnection(url, prefer="legacy") as conn:
        result = await conn.call_tool("resume")
    assert result["content"][0]["text"] == "resumed"
    [(last_id, delay)] = server.resumed
    assert last_id == "p1"
    assert delay >= 0.1


async def test_elicitation_on_the_standalone_stream_gets_the_defaults() -> None:
    async def accept(method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert method == "elicitation/create"
        return {"action": "accept", "content": {"age": 36}}

    server = ScriptedServer()
    async with (
        serve(server.app()) as url,
        MCPConnection(url, prefer="legacy", listen=True, on_request=accept) as conn,
    ):
        result = await conn.call_tool("ask")
    answer = orjson.loads(result["content"][0]["text"])
    assert answer == {"action": "accept", "content": {"age": 36, "name": "Ada"}}
