"""MCPServer: tools, resources and prompts served to both protocol eras.

One message in, at most one message out: a transport parses and validates the bytes once in the
Rust core and passes the `Message` to `await server.handle(message, session)`, which dispatches
and returns a `Reply`: the encoded response (None for notifications) with its outcome (the error
code, the session `initialize` opened), so nothing reads the bytes again. Transports (stdio,
Streamable HTTP) only move bytes and keep sessions.

Legacy revisions (2024-11-05 .. 2025-11-25) open a session with `initialize`; the stateless
revision (2026-07-28) names its version in every request's `_meta` and is served without one.

Applications (the gateway) replace or add a method's handler with `set_handler`, and learn of a
session's life through the hooks `session_started`, `session_ended`, `unclaimed_answer` and
`client_listening`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Protocol

import orjson

from mcproute import __version__
from mcproute._core import (
    LATEST_VERSION,
    SUPPORTED_VERSIONS,
    Message,
    ProtocolError,
    encode_error,
    negotiate,
    parse,
)
from mcproute.protocol.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    RESOURCE_NOT_FOUND_LEGACY,
    SUBSCRIPTION_ID,
    Json,
    MCPError,
    result_bytes,
)
from mcproute.protocol.param_headers import header_map
from mcproute.protocol.server.context import Listener, Outbound, RequestContext, Session
from mcproute.protocol.server.input_required import (
    INPUT_METHODS,
    InputRequired,
    RequestStates,
    StateError,
    subject,
)
from mcproute.protocol.server.registry import Registry, Tool
from mcproute.protocol.server.tasks import EXTENSION as TASKS_EXTENSION
from mcproute.protocol.server.tasks import STATUS_NOTIFICATION as TASK_STATUS
from mcproute.protocol.server.tasks import Task, Tasks

MODERN_VERSIONS = [v for v in SUPPORTED_VERSIONS if v >= LATEST_VERSION]
# Cache hints on list/read/discover results (2026-07-28): short, private by default.
DEFAULT_TTL_MS = 0
# Items per page of tools/resources/templates/prompts lists: most servers answer in one page.
DEFAULT_PAGE_SIZE = 500
# notify_list_changed's kinds, and the subscriptions/listen filter flag that opts in to each.
LIST_FLAGS = {
    "tools": "toolsListChanged",
    "resources": "resourcesListChanged",
    "prompts": "promptsListChanged",
}
# A method's handler: (params, context, message) -> result.
Handler = Callable[[Json, RequestContext, Message], Awaitable[Json]]
# A fast path: (message, context) -> None to dispatch as usual (decided before anything is
# awaited), else the awaitable of the encoded response.
FastHandler = Callable[[Message, RequestContext], Awaitable[bytes] | None]


log = logging.getLogger("mcproute.mcp")


class Reply(NamedTuple):
    """What one message got: the bytes to send back (None when no response is due), the
    JSON-RPC code when they are an error, and the session an `initialize` opened. Transports
    act on these rather than read the bytes again. (A named tuple: one is made per message,
    and a frozen dataclass costs several times as much to make.)"""

    body: bytes | None = None
    error: int | None = None
    opened: Session | None = None


NO_REPLY = Reply()


class _Running:
    """A request being handled, on the task that awaits it (no task of its own: that would
    cost every call one more task and loop turn). `cancel` marks what the client cancelled,
    apart from the task's own cancellation (a shutdown's), which goes on as usual."""

    __slots__ = ("cancelled", "task")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.cancelled = False

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self.task.cancel()

    def settle(self) -> bool:
        """After the handler: whether the client's cancellation stopped it (then the task's
        cancellation it asked for is taken back; another one still stands)."""
        return self.cancelled and self.task.uncancel() == 0


class ServerObserver(Protocol):
    """What monitoring hears of the requests a server handles."""

    def server_operation(self, method: str, seconds: float, error: str | None) -> None:
        """One request handled: `method` is one this server serves (else "other"), `error`
        the JSON-RPC code of its error reply (as text), None on success or cancellation."""


def _wants_context(handler: Callable[..., Any]) -> bool:
    return len(inspect.signature(handler).parameters) >= 2


async def _call(handler: Callable[..., Any], *args: Any) -> Any:
    result = handler(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def _text(value: Any) -> Json:
    return {
        "type": "text",
        "text": value if isinstance(value, str) else orjson.dumps(value).decode(),
    }


class MCPServer(Registry):
    """Register tools, resources and prompts; serve them through any transport."""

    def __init__(
        self,
        name: str,
        version: str = __version__,
        *,
        instructions: str | None = None,
        state_secret: bytes | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ):
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.name = name
        self.version = version
        self.instructions = instructions
        self.page_size = page_size
        # Open legacy sessions by id, kept by the transports, so that notifications not tied to
        # a request (list changes, resource updates) can reach them.
        self.sessions: dict[str, Session] = {}
        self.listeners: set[Listener] = set()  # open subscriptions/listen streams (2026-07-28)
        # Seals requestState; replicas behind one endpoint must share `state_secret`.
        self.request_states = RequestStates(state_secret)
        super().__init__()
        # Requests being handled, by (session id, principal, request id): what a client's
        # notifications/cancelled names, among its own requests only.
        self._running: dict[tuple[str | None, str | None, Any], _Running] = {}
        self.observer: ServerObserver | None = None
        self.tasks = Tasks()
        self.tasks.on_change = self._task_changed
        self._notifying: set[asyncio.Task[None]] = set()  # status notifications on their way
        # Extensions served by handlers of their own (`skills`), as declared in capabilities.
        self.extensions: dict[str, Json] = {}
        self._fast: dict[str, FastHandler] = {}
        self._methods: dict[str, Handler] = {
            "ping": self._ping,
            "tools/list": self._tools_list,
            "tools/call": self._tools_call,
            "resources/list": self._resources_list,
            "resources/templates/list": self._templates_list,
            "resources/read": self._resources_read,
            "resources/subscribe": self._subscribe,
            "resources/unsubscribe": self._unsubscribe,
            "prompts/list": self._prompts_list,
            "prompts/get": self._prompts_get,
            "logging/setLevel": self._set_level,
            "completion/complete": self._complete,
            "server/discover": self._discover,
            "subscriptions/listen": self._listen,
            "tasks/get": self._tasks_get,
            "tasks/update": self._tasks_update,
            "tasks/cancel": self._tasks_cancel,
        }

    # --- methods ---------------------------------------------------------------------------

    def set_fast_path(self, method: str, handler: FastHandler) -> None:
        """Try `handler(message, context)` first for `method` (2026-07-28 requests, and those
        of initialized legacy sessions): it returns None at once to have the request
        dispatched as usual, or an awaitable of the whole encoded response (forwarding the
        message's bytes, say). A plain function, not a coroutine: a request it does not take
        costs no coroutine, one it takes one coroutine less. Its context carries nothing of
        the request's _meta."""
        self._fast[method] = handler

    def set_handler(self, method: str, handler: Handler) -> None:
        """Serve `method` with `handler` (an application's own, or one replacing the
        built-in: the gateway serves its upstreams' tools this way)."""
        self._methods[method] = handler

    def handler(self, method: str) -> Handler | None:
        """The handler serving `method`, None if none does."""
        return self._methods.get(method)

    def remove_handler(self, method: str) -> Handler | None:
        """Stop serving `method` (it then answers -32601); returns the handler it had."""
        return self._methods.pop(method, None)

    @property
    def methods(self) -> frozenset[str]:
        """The methods served (besides initialize)."""
        return frozenset(self._methods)

    # --- notifications not tied to a request ---------------------------------------------

    async def notify_list_changed(
        self, kind: str, *, sessions: Callable[[Session], bool] | None = None
    ) -> int:
        """Tell every session (those `sessions` picks, if given), and every listen stream that
        opted in, that the `kind` ("tools", "resources", "prompts") list changed. Returns how
        many were told."""
        flag = LIST_FLAGS.get(kind)
        if flag is None:
            raise ValueError(f"kind must be one of {list(LIST_FLAGS)}")
        method = f"notifications/{kind}/list_changed"
        told = [s for s in list(self.sessions.values()) if sessions is None or sessions(s)]
        for session in told:
            await session.send(method, {})
        listening = [listener for listener in self.listeners if listener.notifications.get(flag)]
        for listener in listening:
            await listener.send(method, {})
        return len(told) + len(listening)

    async def notify_resource_updated(
        self, uri: str, *, sessions: Callable[[Session], bool] | None = None
    ) -> int:
        """Tell the sessions (of those `sessions` picks, if given) and listen streams
        subscribed to `uri` that it changed. Returns how many were told."""
        method, params = "notifications/resources/updated", {"uri": uri}
        told = [
            s
            for s in list(self.sessions.values())
            if uri in s.subscriptions and (sessions is None or sessions(s))
        ]
        for session in told:
            await session.send(method, params)
        listening = [
            listener
            for listener in self.listeners
            if uri in listener.notifications.get("resourceSubscriptions", ())
        ]
        for listener in listening:
            await listener.send(method, params)
        return len(told) + len(listening)

    def param_header_map(self, tool: str) -> dict[tuple[str, ...], str]:
        """Hook: which arguments of `tool` its callers mirror into `Mcp-Param-*` headers
        (argument path -> header token); the transport checks them against the body."""
        registered = self.tools.get(tool)
        if registered is None:
            return {}
        try:
            return header_map(registered.input_schema)
        except ValueError:
            return {}  # an invalid annotation: clients drop the tool, so no header comes

    async def session_started(self, session: Session) -> None:
        """Hook: `initialize` succeeded; runs before the session's id is issued."""

    async def session_ended(self, session: Session) -> None:
        """Hook: the client ended the session (HTTP DELETE)."""

    async def unclaimed_answer(self, msg: Message, session: Session | None) -> None:
        """Hook: a client's response that no request here waits for (late, unknown, or to a
        request sent with `RequestContext.send_request`)."""

    async def client_listening(self, session: Session, ended: asyncio.Event) -> None:
        """Hook: the client's standalone stream is about to connect to this process (HTTP: a
        GET, or a GET resuming it), until `ended` is set. The client sees the stream open once
        this returns."""

    def stop_listeners(self) -> None:
        """End every listen stream with its result (a graceful shutdown)."""
        for listener in self.listeners:
            listener.stopped.set()

    # --- the message path ----------------------------------------------------------------

    async def handle_bytes(
        self,
        body: bytes,
        session: Session | None = None,
        outbound: Outbound | None = None,
        principal: str | None = None,
    ) -> Reply:
        """`handle` for bytes not parsed yet (stdio, tests): parsed here, once; a 2025-03-26
        batch is answered as one."""
        try:
            msg = parse(body, version=session.version if session and session.version else None)
        except ProtocolError as e:
            return Reply(encode_error(e.id, e.code, str(e), _json(e.data)), e.code)
        if not isinstance(msg, list):
            return await self.handle(msg, session, outbound, principal)
        replies = [await self._one(m, session, outbound, principal) for m in msg]
        parts = [r.body for r in replies if r.body is not None]
        return Reply(b"[" + b",".join(parts) + b"]" if parts else None)

    async def handle(
        self,
        msg: Message,
        session: Session | None = None,
        outbound: Outbound | None = None,
        principal: str | None = None,
    ) -> Reply:
        """One message, parsed and validated by the transport, in; the encoded response and
        its outcome out (`Reply.body` None when none is due). Messages a handler sends while
        it runs go to `outbound` (dropped when None). `principal` is who sent it, where the
        transport tells callers apart: what a request round issues (its requestState, a held
        call) is bound to it."""
        kind = msg.kind
        if kind == "notification":
            method = msg.method
            if method == "notifications/initialized" and session is not None:
                session.initialized = True
            elif method == "notifications/cancelled":
                self.cancel(session, principal, msg.params().get("requestId"))
            return NO_REPLY
        if kind != "request":
            if not self._answer(msg, session):
                await self.unclaimed_answer(msg, session)
            return NO_REPLY
        request_id = msg.id
        assert request_id is not None
        method = msg.method or ""
        key = (session.id if session else None, principal, request_id)
        # initialize cannot be cancelled; a reused id leaves the first request cancellable.
        running = None
        stopped = False
        if method != "initialize" and key not in self._running:
            task = asyncio.current_task()
            if task is not None:
                running = self._running[key] = _Running(task)
        started = time.perf_counter()
        error: int | None = None
        try:
            try:
                result = await self.dispatch(msg, session, outbound, principal)
            finally:
                if running is not None:
                    del self._running[key]
                    stopped = running.settle()
        except asyncio.CancelledError:
            if stopped:
                return NO_REPLY  # the client cancelled it
            raise
        except MCPError as e:
            error = e.code
            return Reply(encode_error(request_id, e.code, str(e), _json(e.data)), e.code)
        except Exception as e:  # a handler bug must not take the server down
            error = INTERNAL_ERROR
            log.exception("MCP handler for %s failed", method)
            message = f"internal error: {type(e).__name__}"
            return Reply(encode_error(request_id, INTERNAL_ERROR, message), INTERNAL_ERROR)
        finally:
            if self.observer is not None:
                known = method in self._methods or method == "initialize"
                elapsed = time.perf_counter() - started
                code = None if error is None else str(error)
                self.observer.server_operation(method if known else "other", elapsed, code)
        if stopped:
            return NO_REPLY  # cancelled as it ended: the client wants no reply
        if isinstance(result, bytes):
            return Reply(result)  # a fast path's reply, encoded whole
        if msg.era == "modern":
            result.setdefault("resultType", "complete")
            meta = result.setdefault("_meta", {})
            meta["io.modelcontextprotocol/serverInfo"] = self._info()
        opened = session if method == "initialize" else None
        return Reply(result_bytes(request_id, result), opened=opened)

    async def _one(
        self,
        msg: Message | ProtocolError,
        session: Session | None,
        outbound: Outbound | None,
        principal: str | None = None,
    ) -> Reply:
        """A batch's member: an invalid one is answered with its error."""
        if isinstance(msg, ProtocolError):
            return Reply(encode_error(msg.id, msg.code, str(msg), _json(msg.data)), msg.code)
        return await self.handle(msg, session, outbound, principal)

    def cancel(self, session: Session | None, principal: str | None, request_id: Any) -> bool:
        """Stop the handler of one of this sender's requests (it gets no reply); False if none
        of theirs with that id runs here."""
        running = self._running.get((session.id if session else None, principal, request_id))
        if running is None:
            return False
        running.cancel()
        return True

    @staticmethod
    def _answer(msg: Message, session: Session | None) -> bool:
        """Deliver a client's response to the server-to-client request awaiting it; False if
        none here does."""
        waiting = session.pending.get(str(msg.id)) if session is not None else None
        if waiting is None or waiting.done():
            return False  # late, duplicate, unknown, or sent with send_request
        body = msg.to_python()
        if msg.kind == "error":
            error = body.get("error", {})
            waiting.set_exception(
                MCPError(error.get("code", INTERNAL_ERROR), error.get("message", ""))
            )
        else:
            waiting.set_result(body.get("result", {}))
        return True

    async def dispatch(
        self,
        msg: Message,
        session: Session | None,
        outbound: Outbound | None = None,
        principal: str | None = None,
    ) -> Json | bytes:
        method = msg.method or ""
        modern = msg.era == "modern"
        fast = self._fast.get(method)
        if fast is not None and (modern or (session is not None and session.version is not None)):
            # A handler that may answer from the message's bytes alone, before its params are
            # read: its context has what the session says, nothing from _meta (a stateless
            # request carries its _meta on; a legacy one with _meta goes the ordinary way).
            held = None if modern else session
            bare = RequestContext(
                held,
                None,
                held.log_level if held else None,
                outbound,
                modern=modern,
                client_capabilities=held.client_capabilities if held else {},
                principal=principal,
            )
            pending = fast(msg, bare)
            if pending is not None:
                try:
                    return await pending
                except InputRequired as e:
                    return self._input_required(method, msg.params(), bare, e)
        params: Json = msg.params()
        meta = params.get("_meta") or {}
        level = meta.get("io.modelcontextprotocol/logLevel") if modern else None
        ctx = RequestContext(
            session,
            meta.get("progressToken"),
            level if modern else (session.log_level if session else None),
            outbound,
            modern=modern,
            client_capabilities=(
                meta.get("io.modelcontextprotocol/clientCapabilities") or {}
                if modern
                else (session.client_capabilities if session else {})
            ),
            principal=principal,
        )
        if modern and method in INPUT_METHODS:
            self._take_answers(method, params, ctx)
        if method == "initialize":
            if session is None:
                raise MCPError(INVALID_REQUEST, "initialize needs a session-capable transport")
            result = self._initialize(params, session)
            await self.session_started(session)
            return result
        if (
            msg.era != "modern"
            and method != "ping"
            and (session is None or session.version is None)
        ):
            raise MCPError(INVALID_REQUEST, "the session is not initialized: send initialize first")
        handler = self._methods.get(method)
        if handler is None:
            raise MCPError(METHOD_NOT_FOUND, f"method not found: {method!r}")
        try:
            return await handler(params, ctx, msg)
        except InputRequired as e:
            if not (modern and method in INPUT_METHODS):
                raise MCPError(INVALID_REQUEST, f"{method}: cannot ask the client for input") from e
            return self._input_required(method, params, ctx, e)

    def _input_required(
        self, method: str, params: Json, ctx: RequestContext, e: InputRequired
    ) -> Json:
        """The InputRequiredResult of a round that asked the client for input."""
        state = self.request_states.seal(
            subject(method, params), ctx.answers, e.carry, ctx.principal
        )
        return {"resultType": "input_required", "inputRequests": e.requests, "requestState": state}

    def _take_answers(self, method: str, params: Json, ctx: RequestContext) -> None:
        """Answers from an echoed requestState (checked first), then from inputResponses."""
        token = params.get("requestState")
        if token is not None:
            try:
                state = self.request_states.open(token, subject(method, params), ctx.principal)
            except StateError as e:
                raise MCPError(INVALID_PARAMS, str(e)) from None
            ctx.answers.update(state["answers"])
            ctx.carried = state["carry"]
            ctx.state_verified = True
        ctx.input_responses = params.get("inputResponses") or {}
        ctx.answers.update(ctx.input_responses)

    def _info(self) -> Json:
        return {"name": self.name, "version": self.version}

    def capabilities(self) -> Json:
        # listChanged: an application may call notify_list_changed when it (un)registers.
        caps: Json = {"logging": {}, "completions": {}}
        if self.tools:
            caps["tools"] = {"listChanged": True}
        if self.resources or self.templates:
            caps["resources"] = {"listChanged": True, "subscribe": True}
        if self.prompts:
            caps["prompts"] = {"listChanged": True}
        extensions = dict(self.extensions)
        if any(tool.task_support for tool in self.tools.values()):
            extensions[TASKS_EXTENSION] = {}
        if extensions:
            caps["extensions"] = extensions
        return caps

    def _initialize(self, params: Json, session: Session) -> Json:
        version = negotiate(str(params.get("protocolVersion", "")))
        session.version = version
        session.client_info = params.get("clientInfo", {})
        session.client_capabilities = params.get("capabilities", {})
        out: Json = {
            "protocolVersion": version,
            "capabilities": self.capabilities(),
            "serverInfo": self._info(),
        }
        if self.instructions:
            out["instructions"] = self.instructions
        return out

    @staticmethod
    def _cacheable(result: Json, msg: Message) -> Json:
        if msg.era == "modern":
            result.setdefault("ttlMs", DEFAULT_TTL_MS)
            result.setdefault("cacheScope", "private")
        return result

    def _page(self, key: str, items: list[Json], params: Json, msg: Message) -> Json:
        """One page of a list result. The cursor is opaque to clients: the list's method and
        the offset of the page it starts."""
        start = 0
        cursor = params.get("cursor")
        if cursor is not None:
            start = _cursor_offset(cursor, msg.method or "")
        result: Json = {key: items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            token = f"{msg.method}:{start + self.page_size}".encode()
            result["nextCursor"] = base64.urlsafe_b64encode(token).decode()
        return self._cacheable(result, msg)

    async def _ping(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        return {}

    async def _discover(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        out: Json = {"supportedVersions": MODERN_VERSIONS, "capabilities": self.capabilities()}
        if self.instructions:
            out["instructions"] = self.instructions
        return self._cacheable(out, msg)

    async def _tools_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        return self._page("tools", [t.describe() for t in self.tools.values()], params, msg)

    async def _listen(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        """2026-07-28: the notifications the client opts in to, for as long as it listens."""
        if not ctx.streaming:
            raise MCPError(INVALID_REQUEST, "subscriptions/listen needs a stream to the client")
        assert msg.id is not None
        requested = params.get("notifications") or {}
        caps = self.capabilities()
        agreed: Json = {
            flag: True
            for kind, flag in LIST_FLAGS.items()
            if requested.get(flag) and caps.get(kind, {}).get("listChanged")
        }
        uris = requested.get("resourceSubscriptions")
        if uris and caps.get("resources", {}).get("subscribe"):
            agreed["resourceSubscriptions"] = list(uris)
        if requested.get(TASKS_EXTENSION) and TASKS_EXTENSION in caps.get("extensions", {}):
            agreed[TASKS_EXTENSION] = True  # the caller's task status notifications
        listener = Listener(msg.id, agreed, ctx)
        await listener.send("notifications/subscriptions/acknowledged", {"notifications": agreed})
        self.listeners.add(listener)  # after the acknowledgement, which must come first
        try:
            await _first(ctx.wait_closed(), listener.stopped.wait())
        finally:
            self.listeners.discard(listener)
        return {"_meta": {SUBSCRIPTION_ID: msg.id}}

    async def _tools_call(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        name = params["name"]
        tool = self.tools.get(name)
        if tool is None:
            raise MCPError(INVALID_PARAMS, f"params.name: unknown tool {name!r}")
        if tool.task_support is not None:
            return await self.tasks.call(
                tool.task_support, lambda: self._run_tool(tool, params, ctx), ctx
            )
        return await self._run_tool(tool, params, ctx)

    async def _run_tool(self, tool: Tool, params: Json, ctx: RequestContext) -> Json:
        try:
            arguments = params.get("arguments") or {}
            if _wants_context(tool.handler):
                value = await _call(tool.handler, arguments, ctx)
            else:
                value = await _call(tool.handler, arguments)
        except (MCPError, InputRequired):
            raise
        except Exception as e:
            # Tool failures are results the model can read, not protocol errors.
            return {"content": [_text(f"{type(e).__name__}: {e}")], "isError": True}
        if isinstance(value, dict) and "content" in value:
            return value
        if isinstance(value, list):
            return {"content": value}
        return {"content": [_text(value)]}

    def _task_changed(self, task: Task) -> None:
        """A task's status changed (see `tasks`)."""
        self.notify_task_status(task.notification(), task.principal, task.session)

    def notify_task_status(
        self, params: Json, principal: str | None, session: Session | None
    ) -> None:
        """A `notifications/tasks` of a task `principal` started: to the legacy `session` that
        started it (if any), and to that caller's listen streams that asked for them. Sent in
        the background: a task's progress never waits on a slow stream."""
        # The session as held now: one reopened from its token since is another object, and
        # one that has ended hears nothing.
        live = self.sessions.get(session.id) if session is not None else None
        sends = [live.send(TASK_STATUS, params)] if live is not None else []
        sends += [
            listener.send(TASK_STATUS, params)
            for listener in self.listeners
            if listener.notifications.get(TASKS_EXTENSION) and listener.ctx.principal == principal
        ]
        for send in sends:
            sending = asyncio.ensure_future(send)
            self._notifying.add(sending)
            sending.add_done_callback(self._notified)

    def _notified(self, sending: asyncio.Task[None]) -> None:
        self._notifying.discard(sending)
        if not sending.cancelled():
            sending.exception()  # a stream gone meanwhile: its client can still poll tasks/get

    async def _tasks_get(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        return self.tasks.get(params, ctx)

    async def _tasks_update(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        return self.tasks.update(params, ctx)

    async def _tasks_cancel(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        return self.tasks.cancel(params, ctx)

    async def _resources_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        resources = [r.describe() for r in self.resources.values()]
        return self._page("resources", resources, params, msg)

    async def _templates_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        templates = [t.describe() for t in self.templates.values()]
        return self._page("resourceTemplates", templates, params, msg)

    async def _resources_read(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        uri = params["uri"]
        resource = self.resources.get(uri)
        if resource is not None:
            value, mime_type = await _call(resource.handler), resource.mime_type
        else:
            found = next(
                ((t, v) for t in self.templates.values() if (v := t.match(uri)) is not None), None
            )
            if found is None:
                code = INVALID_PARAMS if msg.era == "modern" else RESOURCE_NOT_FOUND_LEGACY
                raise MCPError(code, f"resource not found: {uri!r}", {"uri": uri})
            template, variables = found
            value, mime_type = await _call(template.handler, variables), template.mime_type
        content: Json = {"uri": uri}
        if mime_type:
            content["mimeType"] = mime_type
        if isinstance(value, bytes):
            content["blob"] = base64.b64encode(value).decode()
        else:
            content["text"] = str(value)
        return self._cacheable({"contents": [content]}, msg)

    async def _subscribe(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        if ctx.session is not None:
            ctx.session.subscriptions.add(params["uri"])
        return {}

    async def _unsubscribe(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        if ctx.session is not None:
            ctx.session.subscriptions.discard(params["uri"])
        return {}

    async def _prompts_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        return self._page("prompts", [p.describe() for p in self.prompts.values()], params, msg)

    async def _prompts_get(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        name = params["name"]
        prompt = self.prompts.get(name)
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"params.name: unknown prompt {name!r}")
        arguments = params.get("arguments") or {}
        missing = [
            a["name"] for a in prompt.arguments if a.get("required") and a["name"] not in arguments
        ]
        if missing:
            raise MCPError(INVALID_PARAMS, f"params.arguments: missing required {missing[0]!r}")
        if _wants_context(prompt.handler):
            value = await _call(prompt.handler, arguments, ctx)
        else:
            value = await _call(prompt.handler, arguments)
        if isinstance(value, str):
            value = [{"role": "user", "content": _text(value)}]
        out: Json = {"messages": value}
        if prompt.description:
            out["description"] = prompt.description
        return out

    async def _set_level(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        if ctx.session is not None:
            ctx.session.log_level = params["level"]
        return {}

    async def _complete(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        return {"completion": {"values": [], "hasMore": False}}


async def _first(*waits: Awaitable[Any]) -> None:
    """Wait until one of `waits` is done; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _cursor_offset(cursor: Any, method: str) -> int:
    """The offset a cursor from `_page` stands for; anything else is invalid params."""
    try:
        listed, _, offset = base64.urlsafe_b64decode(str(cursor)).decode().partition(":")
        if listed == method and offset.isdigit() and int(offset) > 0:
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise MCPError(INVALID_PARAMS, f"params.cursor: invalid cursor {cursor!r}")


def _json(value: Any) -> bytes | None:
    return None if value is None else orjson.dumps(value)
