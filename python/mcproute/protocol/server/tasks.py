"""The tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`): a `tools/call` that goes on
after its reply.

A tool registered with `task_support="optional"` or `"required"` calls `await ctx.as_task()`
once it knows it will take a while. When the request's client declared the extension (in the
session's capabilities or in this request's `_meta` clientCapabilities), the caller gets a
`CreateTaskResult` at once (`resultType: "task"`, `taskId`, `status`, timestamps, `ttlMs`,
`pollIntervalMs`) and the handler runs on. The client then polls `tasks/get` (the task, and once
it has ended its `result` or `error` inlined), answers the task's input requests with
`tasks/update` and stops it with `tasks/cancel`. Without the extension `as_task` does nothing and
the call stays synchronous, except that a `"required"` tool is refused with -32021 naming the
extension. Input asked for before `as_task` still goes the usual way (a request on the stream,
or an InputRequiredResult round), so a tool may gather input and then become a task.

A tool error completes the task with `isError: true`; a protocol error (an MCPError raised by
the handler, or a crash) fails it with the JSON-RPC error inlined. Tasks live in memory, bound to
the principal that created them (another caller's `tasks/get` gets -32602, as for an unknown
id), until `ttlMs` after they end.

Status notifications: every change of a task's status is a `notifications/tasks` (`taskId`,
`status`, and once it has ended its `result` or `error`) to the legacy session that started it
(on its standalone stream; a task a 2026-07-28 call started has none, even over stdio) and to
that caller's 2026-07-28 `subscriptions/listen` streams that asked for them with
`"io.modelcontextprotocol/tasks": true` in their filter.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mcproute.protocol.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    MISSING_CAPABILITY,
    Json,
    MCPError,
)
from mcproute.protocol.server.input_required import check_answer

if TYPE_CHECKING:
    from mcproute.protocol.server.context import RequestContext, Session

EXTENSION = "io.modelcontextprotocol/tasks"
STATUS_NOTIFICATION = "notifications/tasks"
METHODS = ("tasks/get", "tasks/update", "tasks/cancel")
TASK_SUPPORT = ("optional", "required")
TERMINAL = frozenset({"completed", "failed", "cancelled"})
DEFAULT_TTL_MS = 300_000  # how long an ended task stays readable
POLL_INTERVAL_MS = 200
MAX_TASKS = 10_000  # tasks kept at once; past it, calls stay synchronous


def declared(capabilities: Json) -> bool:
    """Whether client capabilities declare the tasks extension."""
    extensions = capabilities.get("extensions")
    return isinstance(extensions, dict) and EXTENSION in extensions


def missing_capability(method: str) -> MCPError:
    return MCPError(
        MISSING_CAPABILITY,
        f"{method}: the client did not declare the {EXTENSION!r} extension",
        {"requiredCapabilities": {"extensions": {EXTENSION: {}}}},
    )


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(eq=False)
class Task:
    id: str
    principal: str | None
    ttl_ms: int
    status: str = "working"
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    result: Json | None = None
    error: Json | None = None
    # Input requests the handler waits on (key -> {method, params}), and the answers given.
    input_requests: dict[str, Json] = field(default_factory=dict)
    answers: dict[str, Json] = field(default_factory=dict)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    runner: asyncio.Future[Json] | None = None
    on_change: Callable[[Task], None] | None = None
    session: Session | None = None  # the legacy session that started it (None: a modern call)

    def notification(self) -> Json:
        """A `notifications/tasks`'s params: the status, and how the task ended."""
        out: Json = {"taskId": self.id, "status": self.status}
        for key in ("result", "error"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    def info(self) -> Json:
        return {
            "taskId": self.id,
            "status": self.status,
            "createdAt": _iso(self.created_at),
            "lastUpdatedAt": _iso(self.updated_at),
            "ttlMs": self.ttl_ms,
            "pollIntervalMs": POLL_INTERVAL_MS,
        }

    def detailed(self) -> Json:
        """What tasks/get answers: the task, with what it waits for or how it ended."""
        out = self.info()
        if self.status == "input_required":
            out["inputRequests"] = dict(self.input_requests)
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out

    def expired(self, now: float) -> bool:
        return self.status in TERMINAL and now > self.updated_at + self.ttl_ms / 1000

    def _set(self, status: str) -> None:
        if self.status in TERMINAL:
            return
        self.status = status
        self.updated_at = time.time()
        if self.on_change is not None:
            self.on_change(self)

    async def ask(self, requests: dict[str, tuple[str, Json]]) -> dict[str, Json]:
        """RequestContext's asker once the call is a task: the task waits in `input_required`
        until tasks/update has answered every request."""
        for key, (method, params) in requests.items():
            if key not in self.answers:
                self.input_requests[key] = {"method": method, "params": params}
        while any(key not in self.answers for key in requests):
            self.answered.clear()
            self._set("input_required")
            await self.answered.wait()
        self._set("working")
        return {key: self.answers.pop(key) for key in requests}

    def update(self, responses: Any) -> None:
        if not isinstance(responses, dict):
            raise MCPError(INVALID_PARAMS, "params.inputResponses: must be an object")
        for key, answer in responses.items():
            request = self.input_requests.get(key)
            if request is None:
                continue  # already answered, or never asked: nothing waits for it
            try:
                check_answer(key, request["method"], answer)
            except ValueError as e:
                raise MCPError(INVALID_PARAMS, str(e)) from None
            self.answers[key] = answer
            del self.input_requests[key]
        if not self.input_requests:
            self.answered.set()

    def cancel(self) -> None:
        if self.status in TERMINAL:
            return
        if self.runner is not None:
            self.runner.cancel()
        self._set("cancelled")

    def attach(self, runner: asyncio.Future[Json]) -> None:
        """The handler's outcome becomes the task's."""
        self.runner = runner

        def ended(done: asyncio.Future[Json]) -> None:
            if done.cancelled():
                self._set("cancelled")
                return
            exc = done.exception()
            if exc is None:
                self.result = done.result()
                self._set("completed")
                return
            if isinstance(exc, MCPError):
                self.error = {"code": exc.code, "message": str(exc)}
                if exc.data is not None:
                    self.error["data"] = exc.data
            else:  # a handler bug: say what, not where
                self.error = {"code": INTERNAL_ERROR, "message": type(exc).__name__}
            self._set("failed")

        runner.add_done_callback(ended)


class Tasks:
    """A server's tasks, by id."""

    def __init__(self, ttl_ms: int = DEFAULT_TTL_MS, max_tasks: int = MAX_TASKS) -> None:
        self.ttl_ms = ttl_ms
        self.max_tasks = max_tasks
        self._tasks: dict[str, Task] = {}
        self.on_change: Callable[[Task], None] | None = None  # status notifications

    def __iter__(self) -> Iterator[Task]:
        """The tasks kept now (running, or ended within their TTL)."""
        return iter(list(self._tasks.values()))

    def _purge(self) -> None:
        now = time.time()
        for task_id in [i for i, t in self._tasks.items() if t.expired(now)]:
            del self._tasks[task_id]

    def find(self, params: Json, principal: str | None) -> Task:
        task_id = params.get("taskId")
        if not isinstance(task_id, str):
            raise MCPError(INVALID_PARAMS, "params.taskId: required, a string")
        self._purge()
        task = self._tasks.get(task_id)
        if task is None or task.principal != principal:
            raise MCPError(INVALID_PARAMS, f"params.taskId: unknown task {task_id!r}")
        return task

    async def call(
        self, support: str, run: Callable[[], Awaitable[Json]], ctx: RequestContext
    ) -> Json:
        """A `tools/call` of a task-supporting tool: its result, or a CreateTaskResult once the
        handler calls `ctx.as_task()`."""
        if not declared(ctx.client_capabilities):
            if support == "required":
                raise missing_capability("tools/call")
            return await run()
        self._purge()
        if len(self._tasks) >= self.max_tasks:
            return await run()
        created: asyncio.Future[Task] = asyncio.get_running_loop().create_future()

        async def escalate() -> None:
            task = Task(secrets.token_urlsafe(18), ctx.principal, self.ttl_ms)
            task.on_change = self.on_change
            # A 2026-07-28 caller hears of it on its listen streams only (over stdio too, where
            # the process is a session: nothing goes outside a listen in that era).
            task.session = None if ctx.modern else ctx.session
            self._tasks[task.id] = task
            ctx.asker = task.ask
            created.set_result(task)

        ctx.escalate = escalate
        runner = asyncio.ensure_future(run())
        try:
            waits: set[asyncio.Future[Any]] = {runner, created}
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            if not created.done():
                runner.cancel()
            raise
        if not created.done():
            created.cancel()
            return runner.result()
        task = created.result()
        task.attach(runner)
        # `content: []` keeps it a valid CallToolResult for readers that check it against the
        # revision's schema, where content is required (harness 0.2.0-alpha.11 does).
        return {"resultType": "task", **task.info(), "content": []}

    # --- the tasks/* methods ---------------------------------------------------------------

    def get(self, params: Json, ctx: RequestContext) -> Json:
        self._gate("tasks/get", ctx)
        return self.find(params, ctx.principal).detailed()

    def update(self, params: Json, ctx: RequestContext) -> Json:
        self._gate("tasks/update", ctx)
        self.find(params, ctx.principal).update(params.get("inputResponses") or {})
        return {}

    def cancel(self, params: Json, ctx: RequestContext) -> Json:
        self._gate("tasks/cancel", ctx)
        self.find(params, ctx.principal).cancel()
        return {}

    @staticmethod
    def _gate(method: str, ctx: RequestContext) -> None:
        if not declared(ctx.client_capabilities):
            raise missing_capability(method)
