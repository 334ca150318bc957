"""Two keys, one gateway of two workers (`mcproute serve --workers 2`): what key A opened is
unknown to key B. A's session (POST, GET, a `Last-Event-ID` replay of its stored events, DELETE),
A's 2026-07-28 requestState and A's held upstream call all refuse B; a session token spelled
another way (padding, a stray character, other trailing bits) is not the session; resource
templates follow `mcp:` scopes; DELETE checks Host/Origin like POST and GET.

Requests that must reach every worker go on a new TCP connection each (the kernel spreads them);
those that must reach the worker holding in-memory state (stored events, a held call) share one
kept-alive connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from mcp_proxy_support import McpProxy, mcp_proxy
from mcp_support import serve
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.jsonrpc import INVALID_PARAMS
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.testing.everything_server import build
from test_proxy_crash import wait_ready

CALLERS = {"a": ["mcp"], "b": ["mcp"], "tools_only": ["mcp:ever:test_simple_text"]}
SESSION = "Mcp-Session-Id"
VERSION = "MCP-Protocol-Version"
MODERN = "2026-07-28"
TRIES = 8  # requests on new connections: both workers see some


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


@contextlib.asynccontextmanager
async def gateway(tmp_path: Path) -> AsyncIterator[McpProxy]:
    """The proxy in front of the everything server twice: `ever` (both eras) and `legacy`
    (no server/discover: a modern client's calls that ask for input are held)."""
    legacy = build()
    legacy.remove_handler("server/discover")
    async with (
        serve(StreamableHTTP(build()).app()) as ever_url,
        serve(StreamableHTTP(legacy).app()) as legacy_url,
    ):
        upstreams = {"ever": {"url": ever_url}, "legacy": {"url": legacy_url}}
        async with mcp_proxy(tmp_path, upstreams, CALLERS) as proxy:
            async with aiohttp.ClientSession() as http:
                await wait_ready(http, proxy.url)
            yield proxy


def spread() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))


def one_worker() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))


async def status_and_body(
    http: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str], body: Any = None
) -> tuple[int, dict[str, Any]]:
    data = None if body is None else orjson.dumps(body)
    async with http.request(method, url, data=data, headers=headers) as r:
        if r.content_type != "application/json":
            return r.status, {"unexpected": r.content_type}  # never an event stream for B
        return r.status, orjson.loads(await r.read())


def assert_unknown(status: int, body: dict[str, Any]) -> None:
    assert status == 404, body
    assert body["jsonrpc"] == "2.0"
    assert body["error"]["message"] == "session not found: initialize again"


async def test_a_session_is_unknown_to_another_key(tmp_path: Path) -> None:
    async with gateway(tmp_path) as proxy, spread() as http:
        mcp = f"{proxy.url}/mcp"
        async with MCPConnection(mcp, http=http, headers=proxy.auth("a"), prefer="legacy") as a:
            as_b = {**proxy.auth("b"), SESSION: a.session_id or "", VERSION: a.version or ""}
            listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            for _ in range(TRIES):
                # A's own use between B's tries: both workers hold the session in memory.
                assert (await a.call_tool("ever__test_simple_text"))["content"]
                assert_unknown(*await status_and_body(http, "POST", mcp, as_b, listing))
                stream = {**as_b, "Accept": "text/event-stream"}
                assert_unknown(*await status_and_body(http, "GET", mcp, stream))
                assert_unknown(*await status_and_body(http, "DELETE", mcp, as_b))
            # B's DELETEs ended nothing: A's session still serves A, on either worker.
            for _ in range(TRIES):
                assert (await a.call_tool("ever__test_simple_text"))["content"]


async def test_a_replay_of_stored_events_is_refused_to_another_key(tmp_path: Path) -> None:
    async with gateway(tmp_path) as proxy, one_worker() as http:
        mcp = f"{proxy.url}/mcp"
        sse = {"Accept": "application/json, text/event-stream"}
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "a", "version": "1"}}}  # fmt: skip
        async with http.post(mcp, json=init, headers={**proxy.auth("a"), **sse}) as r:
            assert r.status == 200
            session_id = r.headers[SESSION]
        as_a = {**proxy.auth("a"), **sse, SESSION: session_id, VERSION: "2025-11-25"}
        for body in (
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "logging/setLevel", "params": {"level": "debug"}},
        ):
            async with http.post(mcp, json=body, headers=as_a) as r:
                assert r.status in (200, 202)
        call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": {"name": "ever__test_tool_with_logging", "arguments": {}}}  # fmt: skip
        async with http.post(mcp, json=call, headers=as_a) as r:
            assert r.headers["Content-Type"].startswith("text/event-stream")
            events = (await r.text()).split("\n\n")
        lines = [line for event in events for line in event.splitlines()]
        ids = [line[3:].strip() for line in lines if line.startswith("id:")]
        assert len(ids) >= 2
        assert any("notifications/message" in line for line in lines)
        replay = {"Accept": "text/event-stream", SESSION: session_id, VERSION: "2025-11-25",
                  "Last-Event-ID": ids[0]}  # fmt: skip
        status, body = await status_and_body(http, "GET", mcp, {**proxy.auth("b"), **replay})
        assert_unknown(status, body)
        # The same replay, as A: the worker holds the events and hands them back.
        async with http.get(mcp, headers={**proxy.auth("a"), **replay}) as r:
            assert r.status == 200
            async with asyncio.timeout(10):
                while b"notifications/message" not in await r.content.readline():
                    pass


async def modern_call(
    http: aiohttp.ClientSession, proxy: McpProxy, caller: str, tool: str, **extra: Any
) -> dict[str, Any]:
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}  # fmt: skip
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": {}, **extra, "_meta": meta}}  # fmt: skip
    headers = {**proxy.auth(caller), "Mcp-Method": "tools/call", "Mcp-Name": tool,
               "Accept": "application/json, text/event-stream",
               "Content-Type": "application/json"}  # fmt: skip
    async with http.post(f"{proxy.url}/mcp", data=orjson.dumps(body), headers=headers) as r:
        reply: dict[str, Any] = await r.json()
        return reply


def assert_state_refused(reply: dict[str, Any]) -> None:
    assert "result" not in reply, reply
    assert reply["error"]["code"] == INVALID_PARAMS
    assert reply["error"]["message"].startswith("params.requestState: ")


async def test_a_request_state_is_refused_to_another_key(tmp_path: Path) -> None:
    """The round's requestState opens on either worker (they share its secret), for A only."""
    tool = "ever__test_input_required_result_request_state"
    answers = {"confirm": {"action": "accept", "content": {"ok": True}}}
    async with gateway(tmp_path) as proxy, spread() as http:
        first = (await modern_call(http, proxy, "a", tool))["result"]
        assert first["resultType"] == "input_required"
        retry = {"inputResponses": answers, "requestState": first["requestState"]}
        for _ in range(TRIES):
            assert_state_refused(await modern_call(http, proxy, "b", tool, **retry))
        done = await modern_call(http, proxy, "a", tool, **retry)
        assert done["result"]["content"][0]["text"].startswith("state-ok")


async def test_a_held_call_is_refused_to_another_key(tmp_path: Path) -> None:
    """A's call to a legacy upstream waits in one worker for A's answer; B's retry with A's
    requestState, on that same worker, neither answers it nor gets its result."""
    tool = "legacy__test_input_required_result_elicitation"
    async with gateway(tmp_path) as proxy, one_worker() as http:
        first = (await modern_call(http, proxy, "a", tool))["result"]
        assert first["resultType"] == "input_required"
        [(key, asked)] = first["inputRequests"].items()
        assert asked["method"] == "elicitation/create"
        bea = {key: {"action": "accept", "content": {"name": "Bea"}}}
        retry = {"requestState": first["requestState"], "inputResponses": bea}
        assert_state_refused(await modern_call(http, proxy, "b", tool, **retry))
        retry["inputResponses"] = {key: {"action": "accept", "content": {"name": "Ada"}}}
        done = await modern_call(http, proxy, "a", tool, **retry)
        assert done["result"]["content"][0]["text"] == "Hello, Ada!"


def respellings(token: str) -> list[str]:
    """Other strings a lenient base64url decoder reads as the same token."""
    prefix, body = token[:6], token[6:]
    spelled = [token + "=", token + "==", f"{prefix}{body[:8]}!{body[8:]}"]
    if len(body) % 4 in (2, 3):  # the last character carries unused bits: set one
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = alphabet.index(body[-1])
        spelled.append(prefix + body[:-1] + alphabet[last | 1 if last % 2 == 0 else last - 1])
    return spelled


async def test_a_respelled_token_does_not_revive_an_ended_session(tmp_path: Path) -> None:
    async with gateway(tmp_path) as proxy, spread() as http:
        mcp = f"{proxy.url}/mcp"
        conn = MCPConnection(mcp, http=http, headers=proxy.auth("a"), prefer="legacy")
        await conn.connect()
        for _ in range(TRIES):  # both workers hold it
            await conn.call_tool("ever__test_simple_text")
        token, version = conn.session_id or "", conn.version or ""
        await conn.close()  # DELETE
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        statuses: list[int] = []
        async with asyncio.timeout(20):  # until both workers have read the ended list
            while statuses[-TRIES:] != [404] * TRIES:
                headers = {**proxy.auth("a"), SESSION: token, VERSION: version}
                statuses.append((await status_and_body(http, "POST", mcp, headers, listing))[0])
                await asyncio.sleep(0.1)
        for spelled in respellings(token):
            headers = {**proxy.auth("a"), SESSION: spelled, VERSION: version}
            for _ in range(TRIES):
                assert_unknown(*await status_and_body(http, "POST", mcp, headers, listing))


async def test_resource_templates_follow_mcp_scopes(tmp_path: Path) -> None:
    async with gateway(tmp_path) as proxy, spread() as http:
        mcp = f"{proxy.url}/mcp"
        listed = {}
        for caller in ("a", "tools_only"):
            async with MCPConnection(mcp, http=http, headers=proxy.auth(caller)) as conn:
                result = await conn.request("resources/templates/list", {})
                listed[caller] = [t["uriTemplate"] for t in result["resourceTemplates"]]
        assert "test://template/{id}/data" in listed["a"]
        assert listed["tools_only"] == []


async def test_delete_checks_origin_and_host(tmp_path: Path) -> None:
    async with gateway(tmp_path) as proxy, spread() as http:
        mcp = f"{proxy.url}/mcp"
        async with MCPConnection(mcp, http=http, headers=proxy.auth("a"), prefer="legacy") as a:
            headers = {**proxy.auth("a"), SESSION: a.session_id or "", VERSION: a.version or ""}
            for hostile in ({"Origin": "http://evil.example"}, {"Host": "evil.example"}):
                status, body = await status_and_body(http, "DELETE", mcp, {**headers, **hostile})
                assert status == 403
                assert body["error"]["message"] == "forbidden origin or host"
            assert (await a.call_tool("ever__test_simple_text"))["content"]  # not ended
