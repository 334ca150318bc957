"""MCPConnection: one MCP server over any `Transport`, negotiating across eras and matching
replies to requests.

`MCPConnection(url)` first tries the stateless revision (a `server/discover` request); a server
that answers it is served statelessly, anything else gets the legacy `initialize` handshake
(with its `Mcp-Session-Id`), and a server that refuses that POST with a 4xx is reached over the
old HTTP+SSE transport. The era is remembered per origin. Replies may be JSON or an SSE
stream: notifications on the stream go to `on_notification`, server-to-client requests
(sampling, elicitation, roots) to `on_request`, whose answer is posted back. Every reply is
validated by the Rust codec against the negotiated revision, including the result's type.

`MCPConnection(StdioServer(command, args))` starts the server as a child process and probes it
the same way: `server/discover` (a timeout or any error means legacy), then `initialize`. On
stdio and HTTP+SSE, replies are matched to requests by id; a notification or server request
goes to the handlers of the request it belongs to (by progress token, or the only request in
flight), else to the connection's. A stdio server that has exited is restarted on the next
request.

A legacy SSE reply that ends before the response is resumed the 2025-11-25 way: a GET with
`Last-Event-ID` after the server's `retry` delay. In the 2026-07-28 era, `list_tools` drops
tools with invalid `x-mcp-header` annotations and `tools/call` mirrors annotated arguments into
`Mcp-Param-*` headers; a -32022 naming a version we speak is retried once with that version.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
from collections.abc import Awaitable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import aiohttp

from mcproute import __version__
from mcproute._core import (
    LATEST_LEGACY_VERSION,
    LATEST_VERSION,
    Message,
    ProtocolError,
    encode_error,
    parse,
)
from mcproute.protocol import param_headers
from mcproute.protocol.client.elicitation import with_defaults
from mcproute.protocol.client.http_auth import AUTH_STATUSES, HTTPAuth
from mcproute.protocol.client.http_sse import HttpSseTransport
from mcproute.protocol.client.sse_reader import SseCursor
from mcproute.protocol.client.stdio import StdioServer, StdioTransport
from mcproute.protocol.client.streamable_http import (
    LISTEN,
    NAMED,
    HTTPStatusError,
    StreamableHttpTransport,
)
from mcproute.protocol.client.tasks import wait_task
from mcproute.protocol.client.transport import Handlers, OnNotification, OnRequest, Transport
from mcproute.protocol.jsonrpc import (
    CONNECTION_CLOSED,
    INTERNAL_ERROR,
    SUBSCRIPTION_ID,
    UNSUPPORTED_VERSION,
    Json,
    MCPError,
    request_bytes,
    result_bytes,
)
from mcproute.redact import redact_url

META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
MAX_INPUT_ROUNDS = 8  # InputRequiredResult rounds before a request gives up
RETRY_FIELDS = ("inputResponses", "requestState")  # replaced on every round
PROBE_TIMEOUT_S = 5.0  # a stdio server silent on server/discover is legacy
# Notifications a server sends about itself rather than about one request.
ANNOUNCEMENTS = frozenset(
    {
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/resources/updated",
        "notifications/tasks",  # a task's status: it outlives the request that started it
    }
)
log = logging.getLogger("mcproute.mcp.client")

# Origin -> "modern" | "legacy" | "sse": negotiation runs once per server.
_ERA_CACHE: dict[str, str] = {}


# While an `on_request` handler runs: the id of the server request it answers.
ANSWERING: ContextVar[str | int | None] = ContextVar("mcproute_answering", default=None)

__all__ = ["HTTPStatusError", "MCPConnection", "OnNotification", "OnRequest", "StdioServer"]


class AnsweredElsewhere(Exception):
    """Raised by an `on_request` handler that passed the request on: its answer reaches the
    server another way (`MCPConnection.reply`), so the connection sends none."""


@dataclass
class _Waiter:
    """A request sent, waiting for its reply on a message stream."""

    reply: asyncio.Future[bytes]
    on_notification: OnNotification | None
    on_request: OnRequest | None
    progress_token: Any
    listening: bool = False  # a subscriptions/listen: its messages carry its id


class MCPConnection:
    """One MCP server, at a URL or started over stdio. Use as an async context manager.

    With `listen=True` a legacy session also opens the standalone GET stream, on which a server
    sends requests and notifications that belong to no request of ours (a stateful server may
    send elicitations there, for instance). `watch` does the same in every era and transport
    (a `subscriptions/listen` in 2026-07-28) for as long as the caller wants."""

    def __init__(
        self,
        target: str | StdioServer,
        *,
        http: aiohttp.ClientSession | None = None,
        headers: dict[str, str] | None = None,
        capabilities: Json | None = None,
        on_notification: OnNotification | None = None,
        on_request: OnRequest | None = None,
        client_name: str = "mcproute",
        prefer: str = "modern",
        listen: bool = False,
        timeout_s: float = 300.0,
        auth: HTTPAuth | None = None,
    ) -> None:
        if prefer not in ("modern", "legacy"):
            raise ValueError(f"prefer: expected 'modern' or 'legacy', got {prefer!r}")
        self.prefer = prefer
        self.stdio = target if isinstance(target, StdioServer) else None
        self.url = target if isinstance(target, str) else ""
        self.timeout_s = timeout_s  # for a reply on a message stream (stdio, HTTP+SSE)
        self._transport: Transport | None = None
        self._waiting: dict[int, _Waiter] = {}
        self._answering: set[asyncio.Task[None]] = set()
        self._restarting = asyncio.Lock()  # one restart of an exited stdio child at a time
        self._http = http
        self._own_http = http is None
        self.headers = dict(headers or {})  # sent on every HTTP request (credentials)
        self.auth = auth  # the HTTP transports' auth hook (an OAuthClient, say)
        self.capabilities = capabilities or {}
        self.on_notification = on_notification
        self.on_request = on_request
        self.client_info = {"name": client_name, "version": __version__}
        self.version: str | None = None
        self.era: str | None = None
        self.session_id: str | None = None
        self.server_info: Json = {}
        self.server_capabilities: Json = {}
        self.instructions: str | None = None
        self._ids = itertools.count(1)
        self.listen = listen
        self._listener: asyncio.Task[None] | None = None
        # Tool name -> argument path -> x-mcp-header token, from the last tools/list (a gateway
        # sets what it learned from its own listing of the server).
        self.param_headers: dict[str, dict[param_headers.Path, str]] = {}
        self._stderr_tail: list[str] = []

    @property
    def transport(self) -> Transport | None:
        """How messages travel now (None before `connect` and after `close`)."""
        return self._transport

    @property
    def stderr_tail(self) -> list[str]:
        """A stdio server's last stderr lines (of the process that ran last); else none."""
        if self._transport is not None and self._transport.stderr_tail:
            return self._transport.stderr_tail
        return self._stderr_tail

    async def __aenter__(self) -> MCPConnection:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        if self.stdio is not None:
            return f"stdio:{self.stdio.command}"  # its arguments may carry credentials
        parts = urlsplit(self.url)
        return redact_url(f"{parts.scheme}://{parts.netloc}")

    # --- lifecycle -----------------------------------------------------------------------

    async def connect(self) -> None:
        try:
            if self.stdio is not None:
                await self._open_stdio()
            else:
                await self._open(StreamableHttpTransport(self, self._client()))
                await self._negotiate()
        except BaseException:
            await self.close()  # release the pooled connections of a failed attempt
            raise
        if self.listen and self.era == "legacy" and self._separate_standalone_stream():
            # Wait for the stream to be open: what the server sends before then is lost.
            opened = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(opened))
            await opened.wait()

    def _separate_standalone_stream(self) -> bool:
        """Whether messages outside our requests need a stream of their own (a GET): on a
        message stream they arrive with everything else."""
        return isinstance(self._transport, StreamableHttpTransport)

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    def attach(self, session_id: str, version: str) -> None:
        """Use a legacy session opened earlier, perhaps by another process (a gateway replica
        serving a session another one started): no handshake. On 404 it re-initializes."""
        self._transport = StreamableHttpTransport(self, self._client())
        self.era, self.version, self.session_id = "legacy", version, session_id

    async def _negotiate(self) -> None:
        known = _ERA_CACHE.get(self.origin)
        if known == "sse":
            await self._open_sse()
            return
        if self.prefer == "legacy":  # even where we spoke 2026-07-28: it may speak both
            try:
                await self._initialize()
            except (MCPError, ProtocolError, aiohttp.ClientResponseError):
                self.era = self.version = self.session_id = None  # a modern-only server
            else:
                return  # says nothing about whether the server also speaks 2026-07-28
        if known != "legacy" and await self._try_modern():
            _ERA_CACHE[self.origin] = "modern"
            return
        try:
            await self._initialize()
        except HTTPStatusError as e:
            if not 400 <= e.status < 500 or e.status in AUTH_STATUSES:
                raise
            # No Streamable HTTP here: a 2024-11-05 server's SSE endpoint (the spec's
            # backwards-compatibility rule).
            await self._open_sse()
            _ERA_CACHE[self.origin] = "sse"
            return
        _ERA_CACHE[self.origin] = "legacy"

    async def _open_sse(self) -> None:
        self.era = self.version = self.session_id = None
        await self._open(HttpSseTransport(self._client(), self.url, self.headers, self.auth))
        await self._initialize()

    async def _open_stdio(self) -> None:
        """Start the process and probe it: `server/discover`, else `initialize`. A legacy
        server that exits on the probe is started again."""
        assert self.stdio is not None
        self.era = self.version = None
        await self._open(StdioTransport(self.stdio))
        if self.prefer == "modern":
            try:
                if await asyncio.wait_for(self._try_modern(), PROBE_TIMEOUT_S):
                    return
            except TimeoutError:
                self.era = self.version = None
            assert self._transport is not None
            if self._transport.ended_reason is not None:
                await self._open(StdioTransport(self.stdio))
        await self._initialize()

    async def _open(self, transport: Transport) -> None:
        if self._transport is not None:
            await self._transport.close()
        self._transport = transport
        await transport.open(self._deliver, self._transport_ended)

    async def _try_modern(self) -> bool:
        self.era, self.version = "modern", LATEST_VERSION
        try:
            try:
                result = await self.request("server/discover")
            except MCPError as e:
                supported = e.data.get("supported") if isinstance(e.data, dict) else None
                if e.code != UNSUPPORTED_VERSION or LATEST_VERSION not in (supported or ()):
                    raise
                # The rejection lists our version among the supported (a replica mid-upgrade,
                # say): one more try, with a fresh id.
                result = await self.request("server/discover")
        except (MCPError, ProtocolError, aiohttp.ClientResponseError):
            self.era = self.version = None
            return False
        if LATEST_VERSION not in result.get("supportedVersions", []):
            self.era = self.version = None
            return False
        self.server_capabilities = result.get("capabilities", {})
        self.instructions = result.get("instructions")
        meta = result.get("_meta") or {}
        self.server_info = meta.get("io.modelcontextprotocol/serverInfo", {})
        return True

    async def _initialize(self) -> None:
        self.era, self.version, self.session_id = "legacy", None, None
        result = await self.request(
            "initialize",
            {
                "protocolVersion": LATEST_LEGACY_VERSION,
                "capabilities": self.capabilities,
                "clientInfo": self.client_info,
            },
        )
        self.version = result["protocolVersion"]
        self.server_capabilities = result.get("capabilities", {})
        self.server_info = result.get("serverInfo", {})
        self.instructions = result.get("instructions")
        await self.notify("notifications/initialized")

    async def reinitialize(self) -> None:
        """The server forgot our session: open another (the transport calls this on 404)."""
        await self._initialize()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        for task in self._answering:
            task.cancel()
        await asyncio.gather(*self._answering, return_exceptions=True)
        try:
            if self._transport is not None:
                self._stderr_tail = self._transport.stderr_tail or self._stderr_tail
                await self._transport.close()  # Streamable HTTP: ends the session with a DELETE
        finally:  # even when that DELETE fails (its auth hook refused to authorize it, say)
            self._transport = None
            self.session_id = None
            if self._own_http and self._http is not None:
                await self._http.close()

    # --- messages ------------------------------------------------------------------------

    def _with_meta(self, params: Json | None) -> Json | None:
        if self.era != "modern":
            return params
        params = dict(params or {})
        meta = dict(params.get("_meta") or {})
        meta.setdefault(META_VERSION, self.version)
        meta.setdefault(META_CAPABILITIES, self.capabilities)
        meta.setdefault(META_CLIENT_INFO, self.client_info)
        params["_meta"] = meta
        return params

    def _live(self) -> Transport:
        if self._transport is None:
            raise MCPError(CONNECTION_CLOSED, "the connection is closed: not connected")
        return self._transport

    async def notify(self, method: str, params: Json | None = None) -> None:
        body = request_bytes(None, method, params)
        await self._live().send(body, method)

    async def request(
        self,
        method: str,
        params: Json | None = None,
        *,
        on_notification: OnNotification | None = None,
        on_request: OnRequest | None = None,
        answer_input: bool = True,
    ) -> Json:
        """Send one request and return its validated result; raises MCPError on an error reply.
        `on_notification` / `on_request` override the connection's handlers for this request
        (a gateway relays them to the client that made it).

        A 2026-07-28 server may answer with an InputRequiredResult: its input requests go to
        `on_request`, as server-to-client requests do in legacy sessions, and the request is
        sent again with the answers and the server's requestState, for up to `MAX_INPUT_ROUNDS`
        rounds. With `answer_input=False` the InputRequiredResult is returned as it is."""
        handler = on_request or self.on_request
        for _ in range(MAX_INPUT_ROUNDS):
            result = await self._exchange(method, params, on_notification, on_request)
            if result.get("resultType") != "input_required" or not answer_input:
                return result
            requests: Json = result.get("inputRequests") or {}
            if handler is None and requests:
                raise MCPError(-32603, f"{method}: the server asks for input; no on_request")
            answers = {}
            for key, asked in requests.items():
                assert handler is not None
                answers[key] = await _ask(handler, asked["method"], asked.get("params") or {})
            params = {k: v for k, v in (params or {}).items() if k not in RETRY_FIELDS}
            params["inputResponses"] = answers
            if "requestState" in result:
                params["requestState"] = result["requestState"]
        raise MCPError(-32603, f"{method}: still asking for input after {MAX_INPUT_ROUNDS} rounds")

    async def _exchange(
        self,
        method: str,
        params: Json | None,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
    ) -> Json:
        params = self._with_meta(params)
        transport = await self._ready(method)
        request_id = next(self._ids)
        body = request_bytes(request_id, method, params)
        token = ((params or {}).get("_meta") or {}).get("progressToken")
        handlers = (on_notification, on_request)
        reply = await self._roundtrip(transport, request_id, method, params, body, token, *handlers)
        return self._result(reply, method)

    async def forward(
        self,
        message: Message,
        *,
        name: str | None = None,
        on_notification: OnNotification | None = None,
        on_request: OnRequest | None = None,
    ) -> Message:
        """Send a client's request on as it is but for its id (ours) and, with `name`, its
        routing name (`params.name` or `params.uri`): a byte-level splice, no Python objects.
        Returns the server's reply, parsed and validated once: a relay passes its bytes on.
        The request must be one of this connection's era: a stateless one carries its own
        `_meta`; a legacy one travels in this connection's session."""
        method = message.method or ""
        transport = self._live()
        if transport.ended_reason is not None:
            transport = await self._ready(method)
        request_id = next(self._ids)
        body = message.splice(id=request_id, name=name)
        key = NAMED.get(method)
        routing = {key: name if name is not None else message.name} if key else None
        reply = await self._roundtrip(
            transport, request_id, method, routing, body, None, on_notification, on_request
        )
        parsed = parse(reply, version=self.version or LATEST_LEGACY_VERSION, result_of=method)
        assert isinstance(parsed, Message)
        return parsed

    async def _ready(self, method: str) -> Transport:
        """The transport to send on; a stdio server that exited is started again first."""
        transport = self._live()
        if transport.ended_reason is not None and self.stdio is not None:
            await self._restart_stdio(method)
            transport = self._live()
        return transport

    def _roundtrip(
        self,
        transport: Transport,
        request_id: int,
        method: str,
        params: Json | None,
        body: bytes,
        progress_token: Any,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
    ) -> Awaitable[bytes]:
        """Send one encoded request; its reply: inline (Streamable HTTP, the
        transport's own coroutine, awaited with no frame of ours), or matched by id on the
        message stream within `timeout_s`."""
        handlers = Handlers(on_notification or self.on_notification, on_request or self.on_request)
        if transport.replies_inline:  # nothing to match on a message stream
            # An inline transport always answers on the exchange (None is for the others).
            return cast(
                "Awaitable[bytes]", transport.request(request_id, method, params, body, handlers)
            )
        waiter = _Waiter(
            asyncio.get_running_loop().create_future(),
            on_notification,
            on_request,
            progress_token,
            method == LISTEN,
        )
        sent = transport.request(request_id, method, params, body, handlers)  # (not started)
        return self._matched(transport, request_id, method, sent, waiter)

    async def _matched(
        self,
        transport: Transport,
        request_id: int,
        method: str,
        sent: Awaitable[bytes | None],
        waiter: _Waiter,
    ) -> bytes:
        """`sent` awaited once `waiter` is in place, then the reply it gets on the stream."""
        reply, listening = waiter.reply, waiter.listening
        self._waiting[request_id] = waiter
        try:
            inline = await sent
            if inline is not None:
                return inline
            try:  # the reply comes on the message stream
                async with asyncio.timeout(None if listening else self.timeout_s):
                    return await reply
            except TimeoutError:
                await transport.cancel(request_id, "timed out")
                raise MCPError(
                    INTERNAL_ERROR, f"{method}: no reply within {self.timeout_s:g} s"
                ) from None
        except asyncio.CancelledError:
            await transport.cancel(request_id, "cancelled by the client")
            raise
        finally:
            self._waiting.pop(request_id, None)

    async def _restart_stdio(self, method: str) -> None:
        """The process has exited: start it again before this request, as a new session."""
        if method in ("server/discover", "initialize"):
            return  # negotiation itself: the caller sees the error
        async with self._restarting:
            if self._transport is not None and self._transport.ended_reason is None:
                return  # a concurrent request started it again
            reason = self._transport and self._transport.ended_reason
            log.warning("%s: restarting (%s)", self.stdio, reason)
            await self._open_stdio()

    def _transport_ended(self, reason: str) -> None:
        error = MCPError(CONNECTION_CLOSED, f"the connection is closed: {reason}")
        for waiter in self._waiting.values():
            if not waiter.reply.done():
                waiter.reply.set_exception(error)

    async def _deliver(self, message: bytes) -> None:
        """One message from a message stream: a reply to a waiting request, or the server's
        own."""
        try:
            msg = parse(message, version=self.version or LATEST_LEGACY_VERSION)
        except ProtocolError as e:
            log.warning("%s: dropped an invalid message: %s", self.origin, e)
            return
        assert isinstance(msg, Message)
        if msg.kind in ("response", "error"):
            waiter = self._waiting.get(msg.id) if isinstance(msg.id, int) else None
            if waiter is not None and not waiter.reply.done():
                waiter.reply.set_result(message)
            return
        watching = self._transport.watchers if self._transport is not None else None
        default_note = watching.on_notification if watching else self.on_notification
        default_request = watching.on_request if watching else self.on_request
        params = msg.to_python().get("params") or {}
        owner = self._owner(msg.method or "", params)
        if msg.kind == "notification":
            handler = (owner and owner.on_notification) or default_note
            if msg.method in ANNOUNCEMENTS and not (owner and owner.listening):
                # News for every client rather than part of a call's reply.
                handler = default_note or handler
            if handler is not None:
                try:
                    await handler(msg.method or "", params)
                except Exception:  # one bad handler must not stop the stream
                    log.exception("%s: notification handler failed", self.origin)
            return
        # Answered in the background: its handler may wait on the client, and replies to our
        # own requests must keep flowing meanwhile.
        on_request = (owner and owner.on_request) or default_request
        task = asyncio.create_task(self._answer(msg, params, on_request))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    def _owner(self, method: str, params: Json) -> _Waiter | None:
        """The request a server message belongs to: by progress token, a listen by its
        subscription id, else the only request in flight."""
        if method == "notifications/progress":
            token = params.get("progressToken")
            return next((w for w in self._waiting.values() if w.progress_token == token), None)
        subscription = (params.get("_meta") or {}).get(SUBSCRIPTION_ID)
        if subscription is not None:
            return self._waiting.get(subscription) if isinstance(subscription, int) else None
        calls = [w for w in self._waiting.values() if not w.listening]
        return calls[0] if len(calls) == 1 else None

    def _result(self, reply: bytes, method: str) -> Json:
        msg = parse(reply, version=self.version or LATEST_LEGACY_VERSION, result_of=method)
        assert isinstance(msg, Message)
        body = msg.to_python()
        if msg.kind == "error":
            error = body["error"]
            raise MCPError(error["code"], error["message"], error.get("data"))
        result: Json = body["result"]
        return result

    async def on_stream_message(
        self, event: bytes, request_id: int | None, handlers: Handlers
    ) -> bool:
        """One message on a reply or standalone stream (Streamable HTTP): act on notifications
        and server requests; True when it is our reply to `request_id`."""
        msg = parse(event, version=self.version or LATEST_LEGACY_VERSION)
        assert isinstance(msg, Message)
        if msg.kind in ("response", "error"):
            return request_id is not None and msg.id == request_id
        params = msg.to_python().get("params") or {}
        if msg.kind == "notification":
            if handlers.on_notification is not None:
                await handlers.on_notification(msg.method or "", params)
            return False
        await self._answer(msg, params, handlers.on_request)
        return False

    async def _listen(self, opened: asyncio.Event) -> None:
        """`listen=True`: the standalone stream is an extra, so requests and their replies do
        not depend on it; a server without one (405) just has none."""
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, MCPError, ProtocolError):
            handlers = Handlers(self.on_notification, self.on_request)
            await self._live().watch(handlers, SseCursor(), opened)
        opened.set()

    async def watch(
        self,
        on_notification: OnNotification,
        on_request: OnRequest | None = None,
        *,
        notifications: Json | None = None,
        cursor: SseCursor | None = None,
        opened: asyncio.Event | None = None,
    ) -> None:
        """Receive what the server sends outside our requests (list changes, resource updates,
        a stateful server's requests) until it stops sending. 2026-07-28: a
        `subscriptions/listen` for the `notifications` filter (a SubscriptionFilter); a legacy
        session over HTTP: its standalone GET stream, resumed from `cursor` (kept by the caller
        across calls) while the server ends it for SSE polling; stdio and HTTP+SSE: the message
        stream, whose handlers are these while the watch lasts. `opened` is set once messages
        can arrive. Returns when the stream ends; raises MCPError when the server offers none
        (HTTPStatusError 405) or one is open already (409)."""
        opened = opened or asyncio.Event()
        try:
            if self.era == "modern":
                await self._watch_listen(on_notification, notifications or {}, opened)
                return
            if self._live().ended_reason is not None and self.stdio is not None:
                await self._restart_stdio("watch")
            handlers = Handlers(on_notification, on_request or self.on_request)
            await self._live().watch(handlers, cursor or SseCursor(), opened)
        finally:
            opened.set()

    async def _watch_listen(
        self, on_notification: OnNotification, notifications: Json, opened: asyncio.Event
    ) -> None:
        async def note(method: str, params: Json) -> None:
            if method == "notifications/subscriptions/acknowledged":
                opened.set()  # the first message: events from here on are ours
            else:
                await on_notification(method, params)

        await self.request(LISTEN, {"notifications": notifications}, on_notification=note)

    async def _answer(self, msg: Message, params: Json, on_request: OnRequest | None) -> None:
        """Answer a server-to-client request (over HTTP, on its own POST, as the transport
        requires)."""
        assert msg.id is not None
        if on_request is None:
            reply = encode_error(msg.id, -32601, f"method not found: {msg.method!r}")
        else:
            answering = ANSWERING.set(msg.id)
            try:
                result = await _ask(on_request, msg.method or "", params)
                reply = result_bytes(msg.id, result)
            except AnsweredElsewhere:
                return
            except MCPError as e:
                reply = encode_error(msg.id, e.code, str(e))
            finally:
                ANSWERING.reset(answering)
        await self.reply(reply, msg.method)

    async def reply(self, message: bytes, method: str | None = None) -> None:
        """Send a response to one of the server's requests (also one answered by someone
        else, such as a gateway's client); a failure is logged, not raised."""
        try:
            await self._live().send(message)
        except (MCPError, aiohttp.ClientError, OSError) as e:
            log.warning("%s: could not answer %s: %s", self.origin, method or "a request", e)

    # --- conveniences --------------------------------------------------------------------

    async def list_tools(self) -> list[Json]:
        """The server's tools. In the 2026-07-28 era a tool with an invalid `x-mcp-header`
        annotation is left out (a client MUST NOT call it), and the others' annotations are
        kept for `tools/call` to mirror into `Mcp-Param-*` headers."""
        tools = await self.paged("tools/list", "tools")
        if self.era != "modern":
            return tools
        self.param_headers, kept = param_headers.header_maps(tools)
        return kept

    async def call_tool(self, name: str, arguments: Json | None = None) -> Json:
        """The tool's result; a task it became (when `capabilities` declare the tasks
        extension) is waited out, its input requests going to `on_request`."""
        result = await self.request("tools/call", {"name": name, "arguments": arguments or {}})
        if result.get("resultType") != "task":
            return result
        handler = self.on_request
        answer = None if handler is None else functools.partial(_ask, handler)
        return await wait_task(self, result, answer, timeout_s=self.timeout_s)

    async def list_resources(self) -> list[Json]:
        return await self.paged("resources/list", "resources")

    async def read_resource(self, uri: str) -> Json:
        return await self.request("resources/read", {"uri": uri})

    async def list_prompts(self) -> list[Json]:
        return await self.paged("prompts/list", "prompts")

    async def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> Json:
        return await self.request("prompts/get", {"name": name, "arguments": arguments or {}})

    async def paged(self, method: str, key: str, max_pages: int = 100) -> list[Json]:
        """Every page of a list method's `key` items (tools/list's "tools", ...)."""
        items: list[Json] = []
        cursor: str | None = None
        for _ in range(max_pages):
            result = await self.request(method, {"cursor": cursor} if cursor else None)
            items.extend(result.get(key, []))
            cursor = result.get("nextCursor")
            if not cursor:
                return items
        raise MCPError(-32603, f"{method}: more than {max_pages} pages")


async def _ask(handler: OnRequest, method: str, params: Json) -> Json:
    """The client's answer to one server request; an accepted elicitation gets its defaults."""
    answer = await handler(method, params)
    return with_defaults(params, answer) if method == "elicitation/create" else answer
