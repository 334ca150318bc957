"""The client side of the tasks extension (SEP-2663): waiting a task out.

A client that declares `io.modelcontextprotocol/tasks` in its capabilities may get a
CreateTaskResult (`resultType: "task"`) from `tools/call`. `wait_task` polls `tasks/get` at the
task's `pollIntervalMs` until it ends: the tool's result when it completed, MCPError with the
task's error when it failed, MCPError -32800 when it was cancelled. While the task waits in
`input_required`, its input requests go to `on_request` (as a server's own requests do) and
the answers back with `tasks/update`. A caller that stops waiting cancels the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from mcproute.protocol.client.transport import OnRequest
from mcproute.protocol.jsonrpc import INTERNAL_ERROR, Json, MCPError

if TYPE_CHECKING:
    from mcproute.protocol.client.connection import MCPConnection

EXTENSION = "io.modelcontextprotocol/tasks"
REQUEST_CANCELLED = -32800
DEFAULT_POLL_S = 0.2
MIN_POLL_S = 0.05  # however eagerly a server asks to be polled
MAX_POLL_S = 5.0


async def wait_task(
    conn: MCPConnection, created: Json, on_request: OnRequest | None, *, timeout_s: float
) -> Json:
    task_id = created["taskId"]
    interval = (created.get("pollIntervalMs") or DEFAULT_POLL_S * 1000) / 1000
    interval = min(max(interval, MIN_POLL_S), MAX_POLL_S)
    deadline = time.monotonic() + timeout_s
    ended = False  # the task ended (or was never ours to cancel): no tasks/cancel on the way out
    try:
        while True:
            task = await conn.request("tasks/get", {"taskId": task_id})
            status = task.get("status")
            ended = status in ("completed", "failed", "cancelled")
            if status == "completed":
                result: Json = task.get("result") or {}
                return result
            if status == "failed":
                error = task.get("error") or {}
                code = error.get("code", INTERNAL_ERROR)
                raise MCPError(code, error.get("message", "the task failed"), error.get("data"))
            if status == "cancelled":
                raise MCPError(REQUEST_CANCELLED, f"task {task_id!r} was cancelled")
            if status == "input_required" and task.get("inputRequests"):
                await _answer(conn, task_id, task["inputRequests"], on_request)
                continue
            if time.monotonic() > deadline:
                raise MCPError(INTERNAL_ERROR, f"task {task_id!r}: no end within {timeout_s:g}s")
            await asyncio.sleep(interval)
    finally:
        if not ended:
            await _cancel(conn, task_id)


async def _answer(
    conn: MCPConnection, task_id: str, requests: Json, on_request: OnRequest | None
) -> None:
    if on_request is None:
        raise MCPError(INTERNAL_ERROR, f"task {task_id!r} asks for input; no on_request")
    answers = {}
    for key, asked in requests.items():
        answers[key] = await on_request(asked.get("method", ""), asked.get("params") or {})
    await conn.request("tasks/update", {"taskId": task_id, "inputResponses": answers})


async def _cancel(conn: MCPConnection, task_id: str) -> None:
    # Best effort: the task ends with its TTL either way.
    with contextlib.suppress(MCPError, OSError, asyncio.CancelledError):
        await asyncio.shield(conn.request("tasks/cancel", {"taskId": task_id}))
