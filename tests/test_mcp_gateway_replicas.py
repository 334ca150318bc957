"""Stateless gateway replicas: a legacy client's `Mcp-Session-Id` is an AES-256-GCM token that
carries the client's own upstream sessions, so two gateways sharing only a keyring serve one
session interchangeably. Each client has its own upstream session (state is not shared between
clients), an expired upstream session is renewed transparently, DELETE ends the upstream
sessions, and a forged, foreign or expired token is a 404."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mcp_support import INIT, serve
from mcproute._core import Keyring
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.server import MCPServer, RequestContext
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.protocol.server.session_tokens import SessionTokens
from mcproute.store import DataDir, SqliteEndedSessions


def keyring() -> Keyring:
    ring = Keyring()
    ring.add(7, os.urandom(32))
    ring.promote(7)
    return ring


def stateful_upstream() -> MCPServer:
    """An upstream that keeps state per session, as many real servers do."""
    server = MCPServer("stateful")
    notes: dict[str, str] = {}

    @server.tool(description="The id of the session this call arrived in.")
    def whoami(arguments: dict[str, Any], ctx: RequestContext) -> str:
        assert ctx.session is not None
        return ctx.session.id

    @server.tool(description="Keep a note in this session.")
    def remember(arguments: dict[str, Any], ctx: RequestContext) -> str:
        assert ctx.session is not None
        notes[ctx.session.id] = arguments["note"]
        return "ok"

    @server.tool(description="The note kept in this session.")
    def recall(arguments: dict[str, Any], ctx: RequestContext) -> str:
        assert ctx.session is not None
        return notes.get(ctx.session.id, "(nothing)")

    @server.tool(description="Logs at two levels.")
    async def chatty(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.log("debug", "fine detail")
        await ctx.log("warning", "worth knowing")
        return "done"

    @server.tool(description="Asks the client's model.")
    async def ask(arguments: dict[str, Any], ctx: RequestContext) -> str:
        prompt = {"role": "user", "content": {"type": "text", "text": "hello?"}}
        answer = await ctx.sample({"messages": [prompt], "maxTokens": 10})
        return f"the model said: {answer['content']['text']}"

    @server.resource("note://board", name="board", mime_type="text/plain")
    def board() -> str:
        return "the board"

    @server.tool(description="Changes note://board: its subscribers are told.")
    async def touch(arguments: dict[str, Any]) -> str:
        await server.notify_resource_updated("note://board")
        return "touched"

    return server


@dataclass
class Replicas:
    upstream: MCPServer
    a: str
    b: str
    tokens: SessionTokens


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[Replicas]:
    _ERA_CACHE.clear()
    ring = keyring()
    ended = SqliteEndedSessions(DataDir(tmp_path))  # the one thing the replicas share but keys
    upstream = stateful_upstream()

    def tokens(ended: SqliteEndedSessions) -> SessionTokens:
        return SessionTokens(lambda: ring, audience="test-gateway", ended=ended)

    async with serve(StreamableHTTP(upstream).app()) as upstream_url:
        gateways = [
            Gateway(
                {"up": upstream_url},
                namespacing=False,
                state_secret=b"shared by the replicas",
            )
            for _ in range(2)
        ]
        try:
            async with (
                serve(StreamableHTTP(gateways[0], session_tokens=tokens(ended)).app()) as a,
                serve(StreamableHTTP(gateways[1], session_tokens=tokens(ended)).app()) as b,
            ):
                yield Replicas(upstream, a, b, SessionTokens(lambda: ring, audience="test-gateway"))
        finally:
            for gateway in gateways:
                await gateway.close()
            ended.close()


def text(result: dict[str, Any]) -> str:
    return str(result["content"][0]["text"])


async def on_b(replicas: Replicas, conn: MCPConnection) -> MCPConnection:
    """The same client session, its next requests landing on the other replica."""
    other = MCPConnection(replicas.b)
    assert conn.session_id is not None
    assert conn.version is not None
    other.attach(conn.session_id, conn.version)
    return other


async def test_any_replica_serves_the_session(replicas: Replicas) -> None:
    async with MCPConnection(replicas.a, prefer="legacy") as client:
        assert client.session_id is not None
        assert client.session_id.startswith("mcpr1.")
        upstream_session = text(await client.call_tool("whoami"))
        await client.call_tool("remember", {"note": "kept upstream"})
        b = await on_b(replicas, client)
        try:
            assert text(await b.call_tool("whoami")) == upstream_session
            assert text(await b.call_tool("recall")) == "kept upstream"
            assert {t["name"] for t in await b.list_tools()} >= {"whoami", "recall"}
        finally:
            await b._http.close()  # type: ignore[union-attr]  # not close(): that is a DELETE


async def test_each_client_has_its_own_upstream_session(replicas: Replicas) -> None:
    async with (
        MCPConnection(replicas.a, prefer="legacy") as first,
        MCPConnection(replicas.a, prefer="legacy") as second,
    ):
        await first.call_tool("remember", {"note": "mine"})
        assert text(await second.call_tool("recall")) == "(nothing)"
        assert text(await first.call_tool("whoami")) != text(await second.call_tool("whoami"))


async def test_an_expired_upstream_session_is_renewed(replicas: Replicas) -> None:
    async with MCPConnection(replicas.a, prefer="legacy") as client:
        before = text(await client.call_tool("whoami"))
        replicas.upstream.sessions.pop(before)  # the upstream restarted, say
        b = await on_b(replicas, client)
        try:
            renewed = text(await b.call_tool("whoami"))
            assert renewed not in (before, "")
            assert text(await b.call_tool("whoami")) == renewed  # kept for the next calls
        finally:
            await b._http.close()  # type: ignore[union-attr]


async def test_the_log_level_lives_upstream(replicas: Replicas) -> None:
    logs: list[dict[str, Any]] = []

    async def on_note(method: str, params: dict[str, Any]) -> None:
        if method == "notifications/message":
            logs.append(params)

    async with MCPConnection(replicas.a, prefer="legacy") as client:
        await client.request("logging/setLevel", {"level": "warning"})
        b = await on_b(replicas, client)
        b.on_notification = on_note
        try:
            assert text(await b.call_tool("chatty")) == "done"
        finally:
            await b._http.close()  # type: ignore[union-attr]
    assert [entry["data"] for entry in logs] == ["worth knowing"]


async def test_delete_on_another_replica_ends_the_upstream_session(replicas: Replicas) -> None:
    client = MCPConnection(replicas.a, prefer="legacy")
    await client.connect()
    upstream_session = text(await client.call_tool("whoami"))
    assert upstream_session in replicas.upstream.sessions
    b = await on_b(replicas, client)
    await b.close()  # DELETE, on replica b
    assert upstream_session not in replicas.upstream.sessions
    async with aiohttp.ClientSession() as http:
        headers = {"Mcp-Session-Id": client.session_id or "", "MCP-Protocol-Version": "2025-11-25"}
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        async with http.post(replicas.b, json=body, headers=headers) as resp:
            assert resp.status == 404
    client.session_id = None  # already ended
    await client.close()


async def test_a_session_ended_on_one_replica_ends_on_all(replicas: Replicas) -> None:
    """Replica a holds the session in memory; it was ended through b."""
    async with MCPConnection(replicas.a, prefer="legacy") as client:
        assert text(await client.call_tool("whoami"))
        session_id = client.session_id or ""
        b = await on_b(replicas, client)
        await b.close()  # DELETE, on replica b
        client.session_id = None  # so that leaving does not DELETE again
    async with aiohttp.ClientSession() as http:
        headers = {"Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"}
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        async with asyncio.timeout(10):
            while True:  # replicas read the ended list at most once a second
                async with http.post(replicas.a, json=body, headers=headers) as resp:
                    if resp.status == 404:
                        break
                    assert resp.status == 200
                await asyncio.sleep(0.2)


@pytest.mark.parametrize("kind", ["tampered", "foreign", "expired", "not-a-token"])
async def test_bad_tokens_are_unknown_sessions(replicas: Replicas, kind: str) -> None:
    async with MCPConnection(replicas.a, prefer="legacy") as client:
        token = client.session_id or ""
        session = replicas.tokens.open(token)
        assert session is not None
        if kind == "tampered":
            token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        elif kind == "foreign":
            token = SessionTokens(keyring, audience="test-gateway").seal(session)
        elif kind == "expired":
            expired = SessionTokens(replicas.tokens._keyring, audience="test-gateway", ttl_s=-1)
            token = expired.seal(session)
        else:
            token = "mcpr1.%%%"
        assert replicas.tokens.open(token) is None
        async with aiohttp.ClientSession() as http:
            headers = {"Mcp-Session-Id": token, "MCP-Protocol-Version": "2025-11-25"}
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            async with http.post(replicas.b, json=body, headers=headers) as resp:
                assert resp.status == 404
                assert "session not found" in (await resp.json())["error"]["message"]


async def test_the_stream_follows_the_client_to_any_replica(replicas: Replicas) -> None:
    """The client subscribes through one replica and holds its GET stream on the other: the
    subscription lives in its upstream session, whose stream the holding replica relays."""
    heard: list[tuple[str, dict[str, Any]]] = []
    got = asyncio.Event()

    async def note(method: str, params: dict[str, Any]) -> None:
        heard.append((method, params))
        got.set()

    async with MCPConnection(replicas.a, prefer="legacy") as client:
        await client.request("resources/subscribe", {"uri": "note://board"})
        b = await on_b(replicas, client)
        opened = asyncio.Event()
        stream = asyncio.create_task(b.watch(note, opened=opened))
        try:
            await opened.wait()
            await client.call_tool("touch")
            async with asyncio.timeout(20):
                await got.wait()
            assert heard == [("notifications/resources/updated", {"uri": "note://board"})]
        finally:
            stream.cancel()
            await b._http.close()  # type: ignore[union-attr]  # not close(): that is a DELETE


async def test_an_answer_to_a_relayed_request_may_reach_any_replica(replicas: Replicas) -> None:
    """The upstream asks for sampling during a call on replica a; the client's answer lands on
    b, which passes it to the client's upstream session: a's call completes."""
    init = {**INIT, "params": {**INIT["params"], "capabilities": {"sampling": {}}}}
    sse = {"Accept": "application/json, text/event-stream"}
    async with aiohttp.ClientSession() as http:
        async with http.post(replicas.a, json=init, headers=sse) as resp:
            session_id = resp.headers["Mcp-Session-Id"]
        headers = {**sse, "Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"}
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        async with http.post(replicas.a, json=initialized, headers=headers):
            pass
        call = {"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                "params": {"name": "ask", "arguments": {}}}  # fmt: skip
        async with http.post(replicas.a, json=call, headers=headers) as stream:
            messages = sse_messages(stream.content)
            asked = await anext(m async for m in messages if m.get("method"))
            assert asked["method"] == "sampling/createMessage"
            answer = {"jsonrpc": "2.0", "id": asked["id"], "result": {
                "role": "assistant", "content": {"type": "text", "text": "hi from b"},
                "model": "m", "stopReason": "endTurn"}}  # fmt: skip
            async with http.post(replicas.b, json=answer, headers=headers) as resp:
                assert resp.status == 202
            async with asyncio.timeout(20):
                result = await anext(m async for m in messages if m.get("id") == 9)
    assert text(result["result"]) == "the model said: hi from b"


async def sse_messages(content: aiohttp.StreamReader) -> AsyncIterator[dict[str, Any]]:
    async for line in content:
        if line.startswith(b"data:") and line[5:].strip():
            yield json.loads(line[5:])
