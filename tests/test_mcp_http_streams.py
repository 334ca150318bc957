"""Legacy Streamable HTTP streams over real HTTP: the standalone GET stream, resumption with
Last-Event-ID (only that stream's missed events), the errors for ids that cannot be resumed,
SSE polling (a request's stream closed early, its result fetched by GET), and the official SDK
client resuming a closed stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from mcp import Client
from mcp_types import TextContent

from mcp_support import next_event, post, serve, start_session
from mcproute.protocol.server import MCPServer, RequestContext
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.protocol.server.sse_store import ReplayError, SessionStreams
from mcproute.testing.everything_server import build as everything

RETRY_MS = 25
SSE = "text/event-stream"


@dataclass
class Rig:
    url: str
    server: MCPServer
    release: asyncio.Event  # lets the `poll` tool finish


@contextlib.asynccontextmanager
async def running(**transport: Any) -> AsyncIterator[Rig]:
    server = MCPServer("streams")
    release = asyncio.Event()

    @server.tool(description="Logs twice while it runs.")
    async def chatty(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.log("info", "one")
        await ctx.log("info", "two")
        return "chatted"

    @server.tool(description="Lets the client go, then answers once released.")
    async def poll(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.log("info", "before")
        await ctx.close_stream()
        await release.wait()
        await ctx.log("info", "after")
        return "polled"

    @server.resource("test://watched", name="watched")
    def watched() -> str:
        return "w"

    app = StreamableHTTP(server, retry_ms=RETRY_MS, **transport).app()
    async with serve(app) as url:
        yield Rig(url, server, release)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with running() as r:
        yield r


def request(method: str, params: dict[str, Any] | None = None, id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id, "method": method, "params": params or {}}


def call(tool: str, id: int = 1) -> dict[str, Any]:
    return request("tools/call", {"name": tool, "arguments": {}}, id)


async def logging_session(url: str, version: str = "2025-11-25") -> str:
    sid = await start_session(url, version)
    status, _, body = await post(url, request("logging/setLevel", {"level": "debug"}), sid_of(sid))
    assert (status, body["result"]) == (200, {})
    return sid


def sid_of(sid: str, last_event_id: str | None = None) -> dict[str, str]:
    headers = {"Mcp-Session-Id": sid, "Accept": f"application/json, {SSE}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return headers


def message(event: dict[str, str] | None) -> dict[str, Any]:
    assert event is not None, "the stream ended early"
    decoded: dict[str, Any] = json.loads(event["data"])
    return decoded


async def rest(response: aiohttp.ClientResponse) -> list[dict[str, str]]:
    """Every event until the server ends the stream."""
    events = []
    while (event := await next_event(response)) is not None:
        events.append(event)
    return events


async def test_standalone_stream_carries_notifications_not_tied_to_a_request(rig: Rig) -> None:
    sid = await logging_session(rig.url)
    status, _, _ = await post(
        rig.url, request("resources/subscribe", {"uri": "test://watched"}), sid_of(sid)
    )
    assert status == 200
    async with aiohttp.ClientSession() as s, s.get(rig.url, headers=sid_of(sid)) as stream:
        assert (stream.status, stream.content_type) == (200, SSE)
        priming = await next_event(stream)
        assert priming is not None
        assert (priming["data"], priming["retry"]) == ("", str(RETRY_MS))
        assert priming["id"]
        await rig.server.notify_resource_updated("test://unsubscribed")  # not for this session
        await rig.server.notify_resource_updated("test://watched")
        await rig.server.notify_list_changed("tools")
        await rig.server.sessions[sid].log("warning", "outside any request")
        await rig.server.sessions[sid].log("debug", "at the chosen level")
        got = [message(await next_event(stream)) for _ in range(4)]
        assert [m["method"] for m in got] == [
            "notifications/resources/updated",
            "notifications/tools/list_changed",
            "notifications/message",
            "notifications/message",
        ]
        assert got[0]["params"] == {"uri": "test://watched"}
        assert got[2]["params"] == {"level": "warning", "data": "outside any request"}
        async with s.get(rig.url, headers=sid_of(sid)) as second:
            assert second.status == 409  # one standalone stream per session
        async with s.delete(rig.url, headers={"Mcp-Session-Id": sid}) as r:
            assert r.status == 204
        assert await next_event(stream) is None  # the session's end closes its stream
        async with s.get(rig.url, headers=sid_of(sid)) as r:
            assert r.status == 404


async def test_get_needs_a_session_and_sse() -> None:
    async with running() as rig, aiohttp.ClientSession() as s:
        async with s.get(rig.url, headers={"Accept": SSE}) as r:
            assert r.status == 405  # no session, no stream (the stateless revision has none)
        async with s.get(rig.url, headers=sid_of("nope")) as r:
            assert r.status == 404
        sid = await start_session(rig.url)
        async with s.get(rig.url, headers={"Mcp-Session-Id": sid}) as r:
            assert r.status == 406


async def test_resumption_replays_what_was_missed_on_that_stream_only(rig: Rig) -> None:
    sid = await logging_session(rig.url)
    async with aiohttp.ClientSession() as s:
        async with s.get(rig.url, headers=sid_of(sid)) as stream:
            await next_event(stream)  # priming
            await rig.server.notify_list_changed("tools")
            seen = await next_event(stream)
            assert message(seen)["method"] == "notifications/tools/list_changed"
        assert seen is not None
        # Sent while the client is away: stored for it.
        await rig.server.notify_list_changed("prompts")
        await rig.server.notify_list_changed("resources")
        # Another stream of the session, with events of its own.
        async with s.post(rig.url, json=call("chatty"), headers=sid_of(sid)) as chat:
            chat_events = await rest(chat)
        assert [message(e).get("params", {}).get("data") for e in chat_events[1:3]] == [
            "one",
            "two",
        ]
        assert message(chat_events[-1])["result"]["content"][0]["text"] == "chatted"
        ids = [seen["id"], *(e["id"] for e in chat_events)]
        assert len(set(ids)) == len(ids)  # unique within the session
        async with s.get(rig.url, headers=sid_of(sid, seen["id"])) as resumed:
            assert resumed.status == 200
            missed = [message(await next_event(resumed)) for _ in range(2)]
            await rig.server.notify_list_changed("tools")  # live again: follows the backlog
            live = message(await next_event(resumed))
        assert [m["method"] for m in [*missed, live]] == [
            "notifications/prompts/list_changed",
            "notifications/resources/list_changed",
            "notifications/tools/list_changed",
        ]
        # The request stream resumes too: the rest of it, then it ends (it is finished).
        async with s.get(rig.url, headers=sid_of(sid, chat_events[1]["id"])) as resumed:
            again = await rest(resumed)
        assert again == chat_events[2:]


async def test_ids_that_cannot_be_resumed_get_errors() -> None:
    async with running(max_events=2) as rig, aiohttp.ClientSession() as s:
        sid = await logging_session(rig.url)
        async with s.get(rig.url, headers=sid_of(sid)) as stream:
            await next_event(stream)
            for kind in ("tools", "prompts", "resources", "tools"):
                await rig.server.notify_list_changed(kind)
            ids = [(await next_event(stream) or {})["id"] for _ in range(4)]
        for bad in ("garbage", "0:", ":1", "0:999999", "99:1"):
            async with s.get(rig.url, headers=sid_of(sid, bad)) as r:
                body = await r.json()
                assert r.status == 400, bad
                assert "Last-Event-ID" in body["error"]["message"]
        # The store keeps 2 events: resuming after the first would skip the second.
        async with s.get(rig.url, headers=sid_of(sid, ids[0])) as r:
            assert r.status == 410
            assert "expired" in (await r.json())["error"]["message"]
        async with s.get(rig.url, headers=sid_of(sid, ids[1])) as r:
            assert r.status == 200
            replayed = [message(await next_event(r))["method"] for _ in range(2)]
        assert replayed == [
            "notifications/resources/list_changed",
            "notifications/tools/list_changed",
        ]
        other = await start_session(rig.url)  # ids are per session
        async with s.get(rig.url, headers=sid_of(other, ids[1])) as r:
            assert r.status == 400


async def test_polling_the_result_waits_for_the_client_to_resume(rig: Rig) -> None:
    sid = await logging_session(rig.url)
    async with aiohttp.ClientSession() as s:
        async with s.post(rig.url, json=call("poll", 7), headers=sid_of(sid)) as r:
            assert r.content_type == SSE
            first = await rest(r)  # the server closes the stream while the tool runs
        priming, before = first
        assert (priming["data"], priming["retry"]) == ("", str(RETRY_MS))
        assert message(before)["params"]["data"] == "before"
        rig.release.set()
        async with s.get(rig.url, headers=sid_of(sid, before["id"])) as r:
            assert r.status == 200
            after, result = [message(e) for e in await rest(r)]
        assert after["params"]["data"] == "after"
        assert result["id"] == 7
        assert result["result"]["content"][0]["text"] == "polled"


async def test_no_polling_where_the_session_predates_it(rig: Rig) -> None:
    sid = await logging_session(rig.url, "2025-06-18")
    rig.release.set()
    async with (
        aiohttp.ClientSession() as s,
        s.post(rig.url, json=call("poll"), headers=sid_of(sid)) as r,
    ):
        events = await rest(r)
    # No priming event and no early close: the result comes on the request's own stream.
    assert all("retry" not in e and e["data"] for e in events)
    assert all(e["id"] for e in events)  # resumable all the same (since 2025-03-26)
    assert message(events[-1])["result"]["content"][0]["text"] == "polled"


async def test_sdk_client_resumes_a_stream_the_server_closed() -> None:
    resumed_from: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "GET" and "Last-Event-ID" in request.headers:
            resumed_from.append(request.headers["Last-Event-ID"])
        response: web.StreamResponse = await handler(request)
        return response

    app = StreamableHTTP(everything(), retry_ms=RETRY_MS).app()
    app.middlewares.append(record)
    async with serve(app) as url, Client(url, mode="legacy") as client:
        result = await client.call_tool("test_reconnection", {})
        assert not result.is_error
        assert isinstance(result.content[0], TextContent)
        assert result.content[0].text == "Reconnection test completed successfully"
        assert resumed_from  # the result came by resuming the closed stream
        tools = await client.list_tools()  # the session goes on
        assert "test_reconnection" in {t.name for t in tools.tools}


async def test_finished_streams_are_forgotten_once_their_events_expire() -> None:
    streams = SessionStreams(max_events=2)
    done = streams.open()
    await streams.send(done, b"{}")
    await streams.finish(done)
    assert done.key in streams.streams  # its event can still be replayed
    other = streams.open()
    for _ in range(2):
        await streams.send(other, b"{}")
    assert done.key not in streams.streams
    with pytest.raises(ReplayError) as e:
        streams.resume(f"{done.key}:1")
    assert e.value.status == 410
    assert streams.resume(f"{other.key}:2") == (other, 2)


MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}
LISTEN_HEADERS = {
    "Accept": f"application/json, {SSE}",
    "Mcp-Method": "subscriptions/listen",
    "MCP-Protocol-Version": "2026-07-28",
}


def listen(notifications: dict[str, Any], id: int = 9) -> dict[str, Any]:
    return request(
        "subscriptions/listen", {"_meta": MODERN_META, "notifications": notifications}, id
    )


async def test_listen_stream_carries_what_the_client_opted_in_to() -> None:
    """2026-07-28: `subscriptions/listen` replaces the GET stream; stateless, so no ids."""
    async with running() as rig, aiohttp.ClientSession() as s:
        wanted = {
            "toolsListChanged": True,
            "resourcesListChanged": False,
            "resourceSubscriptions": ["test://watched"],
        }
        async with s.post(rig.url, json=listen(wanted), headers=LISTEN_HEADERS) as stream:
            assert stream.content_type == SSE
            ack = await next_event(stream)
            assert ack is not None
            assert "id" not in ack
            assert message(ack) == {
                "jsonrpc": "2.0",
                "method": "notifications/subscriptions/acknowledged",
                "params": {
                    "notifications": {  # no prompts here: that flag is not agreed
                        "toolsListChanged": True,
                        "resourceSubscriptions": ["test://watched"],
                    },
                    "_meta": {"io.modelcontextprotocol/subscriptionId": 9},
                },
            }
            await rig.server.notify_list_changed("resources")  # not asked for
            await rig.server.notify_resource_updated("test://elsewhere")
            await rig.server.notify_list_changed("tools")
            await rig.server.notify_resource_updated("test://watched")
            got = [message(await next_event(stream)) for _ in range(2)]
            assert [(m["method"], m["params"].get("uri")) for m in got] == [
                ("notifications/tools/list_changed", None),
                ("notifications/resources/updated", "test://watched"),
            ]
            assert all(
                m["params"]["_meta"] == {"io.modelcontextprotocol/subscriptionId": 9} for m in got
            )
            rig.server.stop_listeners()  # a graceful end: the request's result closes the stream
            end = message(await next_event(stream))
            assert end["id"] == 9
            assert end["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 9
            assert await next_event(stream) is None
        assert not rig.server.listeners


async def test_listen_ends_when_the_client_leaves_and_needs_a_stream() -> None:
    async with running(keepalive_s=0.01) as rig, aiohttp.ClientSession() as s:
        async with s.post(
            rig.url, json=listen({"toolsListChanged": True}), headers=LISTEN_HEADERS
        ) as r:
            assert message(await next_event(r))["method"].endswith("acknowledged")
            assert len(rig.server.listeners) == 1
        # Closing the stream cancels the listen request; the server notices on its next write.
        while rig.server.listeners:  # noqa: ASYNC110 (state inside the server, no event to await)
            await asyncio.sleep(0.01)
        headers = {**LISTEN_HEADERS, "Accept": "application/json"}
        async with s.post(rig.url, json=listen({"toolsListChanged": True}), headers=headers) as r:
            error = (await r.json())["error"]
        assert error["code"] == -32600
        assert "stream" in error["message"]
