"""The tasks extension (SEP-2663) end to end: the everything server's task tools, our client
waiting them out (MCPConnection.call_tool), and the gateway relaying them under sealed ids, in
both eras. A task belongs to the caller that started it: anyone else gets -32602."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from aiohttp import web

from conftest import require
from mcp_support import NODE, NODE_MODULES, serve, start_session
from mcproute._core import Keyring
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.jsonrpc import INVALID_PARAMS, MISSING_CAPABILITY, MCPError
from mcproute.protocol.server.context import Session
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.protocol.server.session_tokens import SessionTokens
from mcproute.protocol.server.tasks import EXTENSION
from mcproute.proxy.mcp_metrics import McpMetrics
from mcproute.testing.everything_server import build

TASKS = {"extensions": {EXTENSION: {}}, "elicitation": {}}


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


def who(request: web.Request) -> str | None:
    return request.headers.get("X-Caller")


async def confirm(method: str, params: dict[str, Any]) -> dict[str, Any]:
    assert method == "elicitation/create", method
    return {"action": "accept", "content": {"confirm": True, "name": "Ada"}}


@asynccontextmanager
async def served(through_gateway: bool) -> AsyncIterator[tuple[str, str]]:
    """(URL, tool-name prefix) of the everything server, or of a gateway in front of it."""
    async with serve(StreamableHTTP(build(), principal=who).app()) as url:
        if not through_gateway:
            yield url, ""
            return
        gateway = Gateway({"ev": url})
        try:
            async with serve(StreamableHTTP(gateway, principal=who).app()) as gw_url:
                yield gw_url, "ev__"
        finally:
            await gateway.close()


def client(url: str, caller: str = "alice", **kwargs: Any) -> MCPConnection:
    return MCPConnection(url, headers={"X-Caller": caller}, **kwargs)


@pytest.mark.parametrize("through_gateway", [False, True])
@pytest.mark.parametrize("prefer", ["modern", "legacy"])
async def test_a_task_is_waited_out_with_its_input_answered(
    through_gateway: bool, prefer: str
) -> None:
    async with (
        served(through_gateway) as (url, prefix),
        client(url, prefer=prefer, capabilities=TASKS, on_request=confirm) as conn,
    ):
        created = await conn.request(
            "tools/call", {"name": f"{prefix}slow_compute", "arguments": {"seconds": 0.2}}
        )
        assert created["resultType"] == "task"
        assert created["status"] == "working"
        assert created["ttlMs"] > 0
        slow = await conn.call_tool(f"{prefix}slow_compute", {"seconds": 0.1, "label": "x"})
        assert slow["content"][0]["text"] == "computed x after 0.1s"
        asked = await conn.call_tool(f"{prefix}confirm_delete", {"filename": "a.txt"})
        assert asked["content"][0]["text"] == "a.txt: deleted"
        both = await conn.call_tool(f"{prefix}multi_input")
        assert both["content"][0]["text"] == "name=Ada, confirm=True"
        failing = await conn.call_tool(f"{prefix}failing_job")
        assert failing["isError"] is True  # a tool error completes the task
        with pytest.raises(MCPError) as failed:
            await conn.call_tool(f"{prefix}protocol_error_job")
        assert failed.value.code == -32603  # a protocol error fails it


@pytest.mark.parametrize("through_gateway", [False, True])
async def test_a_task_is_its_callers_alone(through_gateway: bool) -> None:
    async with (
        served(through_gateway) as (url, prefix),
        client(url, capabilities=TASKS) as alice,
        client(url, "mallory", capabilities=TASKS) as mallory,
    ):
        created = await alice.request(
            "tools/call", {"name": f"{prefix}slow_compute", "arguments": {"seconds": 30}}
        )
        task_id = created["taskId"]
        for method in ("tasks/get", "tasks/cancel"):
            with pytest.raises(MCPError) as refused:
                await mallory.request(method, {"taskId": task_id})
            assert refused.value.code == INVALID_PARAMS
        assert (await alice.request("tasks/get", {"taskId": task_id}))["status"] == "working"
        assert "taskId" not in await alice.request("tasks/cancel", {"taskId": task_id})
        assert (await alice.request("tasks/get", {"taskId": task_id}))["status"] == "cancelled"
        # Idempotent on an ended task.
        assert "status" not in await alice.request("tasks/cancel", {"taskId": task_id})


@pytest.mark.parametrize("through_gateway", [False, True])
async def test_without_the_extension_calls_stay_synchronous(through_gateway: bool) -> None:
    async with served(through_gateway) as (url, prefix), client(url) as conn:
        result = await conn.call_tool(f"{prefix}slow_compute", {"seconds": 0, "label": "now"})
        assert "resultType" not in result or result["resultType"] == "complete"
        assert result["content"][0]["text"] == "computed now after 0s"
        with pytest.raises(MCPError) as required:
            await conn.call_tool(f"{prefix}failing_job")
        assert required.value.code == MISSING_CAPABILITY
        assert required.value.data == {"requiredCapabilities": {"extensions": {EXTENSION: {}}}}
        with pytest.raises(MCPError) as gated:
            await conn.request("tasks/get", {"taskId": "anything"})
        assert gated.value.code == MISSING_CAPABILITY


async def test_a_client_that_stops_waiting_cancels_the_task() -> None:
    server = build()
    async with (
        serve(StreamableHTTP(server).app()) as url,
        client(url, capabilities=TASKS) as conn,
    ):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(conn.call_tool("slow_compute", {"seconds": 60}), 0.5)
        for _ in range(100):
            if [task.status for task in server.tasks] == ["cancelled"]:
                break
            await asyncio.sleep(0.02)
        assert [task.status for task in server.tasks] == ["cancelled"]


async def test_task_ids_through_the_gateway_are_sealed() -> None:
    async with served(True) as (url, prefix), client(url, capabilities=TASKS) as conn:
        created = await conn.request(
            "tools/call", {"name": f"{prefix}slow_compute", "arguments": {"seconds": 5}}
        )
        task_id = created["taskId"]
        forged = task_id[:-4] + ("AAAA" if not task_id.endswith("AAAA") else "BBBB")
        with pytest.raises(MCPError) as refused:
            await conn.request("tasks/get", {"taskId": forged})
        assert refused.value.code == INVALID_PARAMS
        assert (await conn.request("tasks/get", {"taskId": task_id}))["taskId"] == task_id
        await conn.request("tasks/cancel", {"taskId": task_id})


class TaskNotes:
    """The `notifications/tasks` each client heard (without the listen's `_meta`), from the
    streams `watching` opens."""

    def __init__(self) -> None:
        self.heard: dict[str, list[dict[str, Any]]] = {}
        self._more = asyncio.Event()

    @asynccontextmanager
    async def watching(self, **clients: MCPConnection) -> AsyncIterator[None]:
        watches = []
        for caller, conn in clients.items():
            self.heard[caller] = []
            opened = asyncio.Event()
            watch = conn.watch(
                self._hearing(caller), notifications={EXTENSION: True}, opened=opened
            )
            watches.append(asyncio.create_task(watch))
            await asyncio.wait_for(opened.wait(), 20)
        try:
            yield
        finally:
            for watch in watches:
                watch.cancel()
            await asyncio.gather(*watches, return_exceptions=True)

    def _hearing(self, caller: str) -> Any:
        async def note(method: str, params: dict[str, Any]) -> None:
            if method == "notifications/tasks":
                self.heard[caller].append({k: v for k, v in params.items() if k != "_meta"})
                self._more.set()

        return note

    async def told(self, caller: str, status: str, task_id: str | None = None) -> None:
        """Until `caller` has heard of a task (`task_id`, or any) reaching `status`."""

        def heard() -> bool:
            return any(
                n["status"] == status and task_id in (None, n["taskId"]) for n in self.heard[caller]
            )

        async with asyncio.timeout(20):
            while not heard():
                self._more.clear()
                await self._more.wait()


@pytest.mark.parametrize("prefer", ["modern", "legacy"])
async def test_status_changes_reach_the_callers_streams(prefer: str) -> None:
    """`notifications/tasks` on the session's stream (legacy) or on a listen stream that asked
    for them (2026-07-28), for the caller's own tasks only."""
    notes = TaskNotes()
    async with (
        served(False) as (url, _),
        client(url, prefer=prefer, capabilities=TASKS) as alice,
        client(url, "mallory", prefer=prefer, capabilities=TASKS) as mallory,
        notes.watching(alice=alice, mallory=mallory),
    ):
        result = await alice.call_tool("slow_compute", {"seconds": 0.1, "label": "n"})
        await notes.told("alice", "completed")
    assert notes.heard["alice"][-1]["status"] == "completed"
    assert notes.heard["alice"][-1]["result"] == result
    assert notes.heard["mallory"] == []


STDIO_EVERYTHING = {
    "command": sys.executable,
    "args": ["-m", "mcproute.testing.everything_server", "--stdio"],
}


@asynccontextmanager
async def gateway_to(upstream: str, observer: McpMetrics) -> AsyncIterator[str]:
    """A gateway (callers told apart by X-Caller) in front of the everything server, over HTTP
    (a dual-era server: legacy clients get their own upstream session) or as a stdio child
    (one connection every client shares)."""
    async with AsyncExitStack() as stack:
        if upstream == "stdio":
            spec: Any = STDIO_EVERYTHING
        else:
            spec = await stack.enter_async_context(serve(StreamableHTTP(build()).app()))
        gateway = Gateway({"ev": spec}, observer=observer)
        stack.push_async_callback(gateway.close)
        yield await stack.enter_async_context(serve(StreamableHTTP(gateway, principal=who).app()))


@pytest.mark.parametrize("upstream", ["http", "stdio"])
@pytest.mark.parametrize("prefer", ["modern", "legacy"])
async def test_upstream_task_status_reaches_the_callers_streams(prefer: str, upstream: str) -> None:
    """An upstream's `notifications/tasks` through the gateway: on a 2026-07-28 listen stream
    that asked for them, or a legacy session's stream (from its own upstream session, or the
    gateway's shared one), with the task id the caller was given, to its caller alone; each
    counted as relayed."""
    notes = TaskNotes()
    observed = McpMetrics()
    async with (
        gateway_to(upstream, observed) as url,
        client(url, prefer=prefer, capabilities=TASKS, on_request=confirm) as alice,
        client(url, "mallory", prefer=prefer, capabilities=TASKS) as mallory,
        notes.watching(alice=alice, mallory=mallory),
    ):
        created = await alice.request(
            "tools/call", {"name": "ev__slow_compute", "arguments": {"seconds": 0.2}}
        )
        await notes.told("alice", "completed", created["taskId"])
        done = await alice.request("tasks/get", {"taskId": created["taskId"]})
        await alice.call_tool("ev__confirm_delete", {"filename": "a.txt"})
        heard = notes.heard["alice"]
        asked = next(n["taskId"] for n in heard if n["status"] == "input_required")
        await notes.told("alice", "completed", asked)
    first = [n for n in heard if n["taskId"] == created["taskId"]]
    assert first == [{"taskId": created["taskId"], "status": "completed", "result": done["result"]}]
    later = [n["status"] for n in heard if n["taskId"] == asked]
    assert later == ["input_required", "working", "completed"]
    assert notes.heard["mallory"] == []
    relayed = observed.notifications[("ev", "notifications/tasks")]
    assert relayed == len(heard) == 4


async def test_a_session_restored_from_its_token_hears_of_its_task() -> None:
    """A legacy session that left memory while its task ran (session tokens, room for one) and
    came back from its id when its stream reconnected: the task's status reaches it there."""
    ring = Keyring()
    ring.add(1, os.urandom(32))
    ring.promote(1)
    mcp = StreamableHTTP(build(), max_sessions=1, session_tokens=SessionTokens(lambda: ring))
    notes = TaskNotes()
    async with serve(mcp.app()) as url, client(url, prefer="legacy", capabilities=TASKS) as alice:
        created = await alice.request(
            "tools/call", {"name": "slow_compute", "arguments": {"seconds": 1}}
        )
        other = await start_session(url)  # alice's session leaves memory
        assert list(mcp.sessions) == [other]
        async with notes.watching(alice=alice):
            assert alice.session_id in mcp.sessions  # restored from its id
            await notes.told("alice", "completed", created["taskId"])


TS_TASK_NOTES = Path(__file__).parent / "sdk_clients" / "ts_task_notes.mjs"


class ListenedTo(Gateway):
    """A gateway that says when a client's standalone stream has connected."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listening = asyncio.Event()

    async def client_listening(self, session: Session, ended: asyncio.Event) -> None:
        await super().client_listening(session, ended)
        self.listening.set()


@pytest.mark.parametrize("upstream", ["http", "stdio"])
async def test_the_typescript_sdk_client_hears_its_task_through_the_gateway(upstream: str) -> None:
    """The official TypeScript SDK client (a legacy session with its GET stream) hears an
    upstream task's status under the id its CreateTaskResult gave, whether it has its own
    upstream session (HTTP) or shares the gateway's (stdio)."""
    require(NODE.is_file(), "node is not installed (make test)")
    async with AsyncExitStack() as stack:
        if upstream == "stdio":
            spec: Any = STDIO_EVERYTHING
        else:
            spec = await stack.enter_async_context(serve(StreamableHTTP(build()).app()))
        gateway = ListenedTo({"ev": spec})
        stack.push_async_callback(gateway.close)
        url = await stack.enter_async_context(serve(StreamableHTTP(gateway).app()))
        proc = await asyncio.create_subprocess_exec(
            str(NODE), str(TS_TASK_NOTES), url, "ev__slow_compute", '{"seconds": 0.2}',
            env={**os.environ, "NODE_MODULES": str(NODE_MODULES)},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stack.callback(lambda: proc.returncode is None and proc.kill())
        assert proc.stdin is not None
        assert proc.stdout is not None
        async with asyncio.timeout(60):
            assert await proc.stdout.readline() == b"connected\n"
            await gateway.listening.wait()
            proc.stdin.write(b"go\n")
            out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode(errors="replace")
    answer = json.loads(out)
    task_id = answer["created"]["taskId"]
    assert answer["created"]["resultType"] == "task"
    assert answer["heard"] == [
        {"taskId": task_id, "status": "completed", "result": ANY},
    ], answer["heard"]
    assert answer["heard"][0]["result"]["content"][0]["text"] == "computed  after 0.2s"
