"""Notifications outside requests fan in through the gateway: list changes and resource updates
from HTTP and stdio upstreams reach legacy clients on their GET stream and 2026-07-28 clients on
`subscriptions/listen`, each client hearing what it would hear from the upstream directly. The
upstreams are real servers: the official `mcp` SDK's, our everything server, and the reference
TypeScript everything-server of the 2025-11-25 era."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from conftest import require
from mcp_support import LEGACY_EVERYTHING, NODE, free_port, process, serve
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.proxy.mcp_metrics import McpMetrics
from mcproute.testing.everything_server import build

SDK_SERVER = str(Path(__file__).with_name("sdk_server.py"))
EVERYTHING = {
    "command": sys.executable,
    "args": ["-m", "mcproute.testing.everything_server", "--stdio"],
}
LEGACY = {"command": str(NODE), "args": [str(LEGACY_EVERYTHING), "stdio"]}
WATCHED = "test://watched-resource"
WAIT_S = 20.0  # for a notification that must come (a missing one fails, not hangs)


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


class Heard:
    """The notifications one client received, by method."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Event()

    async def __call__(self, method: str, params: dict[str, Any]) -> None:
        self.items.append((method, params))
        self._changed.set()

    def count(self, method: str, **params: Any) -> int:
        return sum(
            1
            for m, p in self.items
            if m == method and all(p.get(k) == v for k, v in params.items())
        )

    async def wait(self, method: str, n: int = 1, **params: Any) -> None:
        async with asyncio.timeout(WAIT_S):
            while self.count(method, **params) < n:
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
def sdk_url() -> Iterator[str]:
    port = free_port()
    with process([sys.executable, SDK_SERVER, str(port)], port) as url:
        yield url


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as s:
        yield s


async def gateway(stack: AsyncExitStack, upstreams: dict[str, Any], **options: Any) -> str:
    """A gateway over `upstreams`, served until the test ends; its /mcp URL."""
    gw = Gateway(upstreams, **options)
    stack.push_async_callback(gw.close)
    return await stack.enter_async_context(serve(StreamableHTTP(gw).app()))


async def legacy_client(stack: AsyncExitStack, url: str) -> tuple[MCPConnection, Heard]:
    """A legacy client with its GET stream open."""
    heard = Heard()
    conn = MCPConnection(url, prefer="legacy", listen=True, on_notification=heard)
    await stack.enter_async_context(conn)
    assert conn.era == "legacy"
    return conn, heard


async def listener(stack: AsyncExitStack, url: str, **wanted: Any) -> tuple[MCPConnection, Heard]:
    """A 2026-07-28 client with a `subscriptions/listen` open for `wanted`."""
    heard = Heard()
    conn = MCPConnection(url)
    await stack.enter_async_context(conn)
    assert conn.era == "modern"
    opened = asyncio.Event()
    task = asyncio.create_task(conn.watch(heard, notifications=wanted, opened=opened))
    stack.callback(task.cancel)
    await opened.wait()
    assert not task.done(), "the listen ended at once"
    return conn, heard


async def test_legacy_clients_hear_their_own_upstream_session(
    sdk_url: str, stack: AsyncExitStack
) -> None:
    """The SDK server announces a change on the session that made it: through the gateway only
    that client hears it, on its GET stream (its own upstream session's stream, relayed), and
    each is counted as relayed."""
    observed = McpMetrics()
    url = await gateway(stack, {"sdk": sdk_url}, observer=observed)
    first, first_heard = await legacy_client(stack, url)
    second, second_heard = await legacy_client(stack, url)
    await first.call_tool("sdk__add_note", {"content": "one"})
    await first_heard.wait("notifications/resources/list_changed")
    await second.call_tool("sdk__add_note", {"content": "two"})
    await second_heard.wait("notifications/resources/list_changed")
    assert first_heard.count("notifications/resources/list_changed") == 1
    assert second_heard.count("notifications/resources/list_changed") == 1
    uris = {r["uri"] for r in await second.list_resources()}
    assert {"note://note-1", "note://note-2"} <= uris
    assert observed.notifications[("sdk", "notifications/resources/list_changed")] == 2


async def test_a_listener_hears_every_upstream(sdk_url: str, stack: AsyncExitStack) -> None:
    """A 2026-07-28 client listening on the gateway hears the SDK server (HTTP, which publishes
    to its listen streams) and our everything server (a stdio child)."""
    url = await gateway(stack, {"sdk": sdk_url, "ours": EVERYTHING})
    conn, heard = await listener(
        stack, url, toolsListChanged=True, resourcesListChanged=True, promptsListChanged=True
    )
    await conn.call_tool("sdk__add_note", {"content": "for listeners"})
    await heard.wait("notifications/resources/list_changed")
    await conn.call_tool("ours__test_trigger_tool_change", {})
    await heard.wait("notifications/tools/list_changed")
    assert "ours__test_dynamic_tool" in {t["name"] for t in await conn.list_tools()}
    await conn.call_tool("ours__test_trigger_prompt_change", {})
    await heard.wait("notifications/prompts/list_changed")
    # Only what it asked for, stamped with its own listen's id.
    assert {m for m, _ in heard.items} == {
        "notifications/resources/list_changed",
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
    }
    assert all("io.modelcontextprotocol/subscriptionId" in p["_meta"] for _, p in heard.items)


async def test_a_listener_gets_only_the_kinds_it_asked_for(stack: AsyncExitStack) -> None:
    url = await gateway(stack, {"ours": EVERYTHING})
    conn, tools_only = await listener(stack, url, toolsListChanged=True)
    _, prompts_only = await listener(stack, url, promptsListChanged=True)
    await conn.call_tool("ours__test_trigger_prompt_change", {})
    await prompts_only.wait("notifications/prompts/list_changed")
    await conn.call_tool("ours__test_trigger_tool_change", {})
    await tools_only.wait("notifications/tools/list_changed")
    assert tools_only.count("notifications/prompts/list_changed") == 0
    assert prompts_only.count("notifications/tools/list_changed") == 0


@pytest.mark.parametrize("where", ["http", "stdio"])
async def test_list_changes_reach_legacy_clients_once(stack: AsyncExitStack, where: str) -> None:
    """Through its own upstream session (HTTP) or the gateway's shared connection (stdio),
    every legacy client hears each change once, as 2026-07-28 listeners do."""
    if where == "http":
        upstream: Any = await stack.enter_async_context(serve(StreamableHTTP(build()).app()))
    else:
        upstream = EVERYTHING
    url = await gateway(stack, {"ours": upstream})
    clients = [await legacy_client(stack, url) for _ in range(2)]
    _, modern = await listener(stack, url, toolsListChanged=True)
    caller = clients[0][0]
    for n in (1, 2):
        await caller.call_tool("ours__test_trigger_tool_change", {})
        await modern.wait("notifications/tools/list_changed", n)
        for _, heard in clients:
            await heard.wait("notifications/tools/list_changed", n)
    await caller.list_tools()  # a round trip through the gateway: anything doubled is here
    await asyncio.sleep(0.2)
    for _, heard in clients:
        assert heard.count("notifications/tools/list_changed") == 2


@pytest.mark.parametrize("where", ["http", "stdio"])
async def test_resource_updates_reach_subscribers_only(stack: AsyncExitStack, where: str) -> None:
    if where == "http":
        upstream: Any = await stack.enter_async_context(serve(StreamableHTTP(build()).app()))
    else:
        upstream = EVERYTHING
    url = await gateway(stack, {"ours": upstream})
    subscriber, subscriber_heard = await legacy_client(stack, url)
    other, other_heard = await legacy_client(stack, url)
    _, modern = await listener(stack, url, resourceSubscriptions=[WATCHED])
    updated = "notifications/resources/updated"

    await subscriber.request("resources/subscribe", {"uri": WATCHED})
    await other.call_tool("ours__test_trigger_resource_update", {})
    await subscriber_heard.wait(updated, uri=WATCHED)
    await modern.wait(updated, uri=WATCHED)

    # Roles swap: the first unsubscribes, the other subscribes.
    await subscriber.request("resources/unsubscribe", {"uri": WATCHED})
    await other.request("resources/subscribe", {"uri": WATCHED})
    await subscriber.call_tool("ours__test_trigger_resource_update", {})
    await other_heard.wait(updated, uri=WATCHED)
    await modern.wait(updated, 2, uri=WATCHED)
    await asyncio.sleep(0.2)
    assert subscriber_heard.count(updated) == 1
    assert other_heard.count(updated) == 1


async def test_legacy_stdio_upstream_resource_updates(stack: AsyncExitStack) -> None:
    """The reference TypeScript server (2025-11-25, stdio) sends updates of subscribed
    resources once a tool turns them on; the gateway subscribed upstream for its client."""
    require(LEGACY_EVERYTHING.is_file(), "the reference everything-server is missing (make test)")
    url = await gateway(stack, {"legacy": LEGACY})
    client, heard = await legacy_client(stack, url)
    uri = (await client.list_resources())[0]["uri"]
    await client.request("resources/subscribe", {"uri": uri})
    await client.call_tool("legacy__toggle-subscriber-updates", {})
    await heard.wait("notifications/resources/updated", uri=uri)


async def test_the_watch_survives_an_upstream_restart(stack: AsyncExitStack) -> None:
    """The stdio child exits: the gateway starts it again and listens to the new one."""
    gw = Gateway({"ours": EVERYTHING})
    stack.push_async_callback(gw.close)
    url = await stack.enter_async_context(serve(StreamableHTTP(gw).app()))
    conn, heard = await listener(stack, url, toolsListChanged=True)
    upstream = gw.upstreams["ours"].connection
    assert upstream is not None
    assert upstream._transport is not None
    process_ = upstream._transport._proc  # type: ignore[attr-defined]
    process_.kill()
    await process_.wait()
    async with asyncio.timeout(WAIT_S):
        while not heard.count("notifications/tools/list_changed"):
            # The first call starts the child again; the watch listens again soon after.
            await conn.call_tool("ours__test_trigger_tool_change", {})
            await asyncio.sleep(0.2)
