"""MCP client over Streamable HTTP, the 2024-11-05 HTTP+SSE transport, or stdio, negotiating
across eras.

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
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import orjson

from mcproute import __version__, tracing
from mcproute._core import (
    LATEST_LEGACY_VERSION,
    LATEST_VERSION,
    Message,
    ProtocolError,
    encode_error,
    encode_request,
    encode_result,
    parse,
)
from mcproute.protocol import param_headers
from mcproute.protocol.channels import (
    CONNECTION_CLOSED,
    Channel,
    SseChannel,
    StdioChannel,
    StdioServer,
)
from mcproute.protocol.elicitation import with_defaults
from mcproute.protocol.server import SUBSCRIPTION_ID, MCPError
from mcproute.protocol.sse_reader import SseCursor, events
from mcproute.redact import redact_url

Json = dict[str, Any]
OnNotification = Callable[[str, Json], Awaitable[None]]
OnRequest = Callable[[str, Json], Awaitable[Json]]

META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
MAX_INPUT_ROUNDS = 8  # InputRequiredResult rounds before a request gives up
RETRY_FIELDS = ("inputResponses", "requestState")  # replaced on every round
UNSUPPORTED_VERSION = -32022
MAX_RESUMES = 3  # GET reconnections of one interrupted SSE reply
PROBE_TIMEOUT_S = 5.0  # a stdio server silent on server/discover is legacy
LISTEN = "subscriptions/listen"  # 2026-07-28: a request whose reply stream lasts
# Notifications a server sends about itself rather than about one request.
ANNOUNCEMENTS = frozenset(
    {
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/resources/updated",
    }
)
# Long-lived GET streams end when the server or the connection ends them, not on a clock.
CANCEL_SEND_S = 5.0  # for a notifications/cancelled to reach an HTTP server
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=30)
log = logging.getLogger("mcproute.mcp.client")

# Origin -> "modern" | "legacy" | "sse": negotiation runs once per server.
_ERA_CACHE: dict[str, str] = {}


# While an `on_request` handler runs: the id of the server request it answers.
ANSWERING: ContextVar[str | int | None] = ContextVar("mcproute_answering", default=None)


class HTTPAuth(Protocol):
    """The auth hook of the HTTP transports (`mcproute.oauth_client.OAuthClient` is one):
    headers for each request, and on a 401 or 403 whether to send the request again, once,
    after doing what the challenge asks (a token, a wider scope, a DPoP nonce)."""

    async def headers(self, method: str, url: str) -> dict[str, str]: ...

    async def challenged(
        self, status: int, headers: Mapping[str, str], url: str, sent: Mapping[str, str]
    ) -> bool: ...


AUTH_STATUSES = (401, 403)
MAX_AUTH_ROUNDS = 3  # 401 -> token, 403 -> step-up, a DPoP nonce: then the server's answer


class AnsweredElsewhere(Exception):
    """Raised by an `on_request` handler that passed the request on: its answer reaches the
    server another way (`MCPConnection.reply`), so the connection sends none."""


class HTTPStatusError(MCPError):
    """The server answered with an HTTP error and no JSON-RPC body."""

    def __init__(self, method: str, status: int) -> None:
        why = {401: " (the server requires authorization)", 403: " (forbidden)"}.get(status, "")
        super().__init__(-32603, f"{method}: HTTP {status}{why}")
        self.status = status


@dataclass
class _Waiter:
    """A request sent on a channel, waiting for its reply."""

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
        self.timeout_s = timeout_s  # for a reply on stdio or HTTP+SSE
        self.transport = "stdio" if self.stdio else "http"
        self._channel: Channel | None = None
        self._channel_gone = asyncio.Event()
        self._waiting: dict[int, _Waiter] = {}
        self._answering: set[asyncio.Task[None]] = set()
        self._restarting = asyncio.Lock()  # one restart of an exited stdio child at a time
        self._http = http
        self._own_http = http is None
        self._headers = dict(headers or {})
        self.auth = auth
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
    def stderr_tail(self) -> list[str]:
        """A stdio server's last stderr lines (of the process that ran last); else none."""
        if isinstance(self._channel, StdioChannel):
            return list(self._channel.stderr_tail)
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
        if self._http is None and self.stdio is None:
            self._http = aiohttp.ClientSession()
        try:
            if self.stdio is not None:
                await self._open_stdio()
            else:
                await self._negotiate()
        except BaseException:
            await self.close()  # release the pooled connections of a failed attempt
            raise
        if self.listen and self.era == "legacy" and self.transport == "http":
            # Wait for the stream to be open: what the server sends before then is lost.
            opened = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(opened))
            await opened.wait()

    def attach(self, session_id: str, version: str) -> None:
        """Use a legacy session opened earlier, perhaps by another process (a gateway replica
        serving a session another one started): no handshake. On 404 it re-initializes."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
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
        assert self._http is not None
        self.era = self.version = self.session_id = None
        self.transport = "sse"
        await self._open_channel(SseChannel(self._http, self.url, self._headers))
        await self._initialize()

    async def _open_stdio(self) -> None:
        """Start the process and probe it: `server/discover`, else `initialize`. A legacy
        server that exits on the probe is started again."""
        assert self.stdio is not None
        self.era = self.version = None
        await self._open_channel(StdioChannel(self.stdio))
        if self.prefer == "modern":
            try:
                if await asyncio.wait_for(self._try_modern(), PROBE_TIMEOUT_S):
                    return
            except TimeoutError:
                self.era = self.version = None
            assert self._channel is not None
            if self._channel.ended_reason is not None:
                await self._open_channel(StdioChannel(self.stdio))
        await self._initialize()

    async def _open_channel(self, channel: Channel) -> None:
        if self._channel is not None:
            await self._channel.close()
        self._channel = channel
        self._channel_gone = asyncio.Event()
        await channel.open(self._deliver, self._channel_ended)

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

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        for task in self._answering:
            task.cancel()
        await asyncio.gather(*self._answering, return_exceptions=True)
        if self._channel is not None:
            await self._channel.close()
            if isinstance(self._channel, StdioChannel):
                self._stderr_tail = list(self._channel.stderr_tail)
            self._channel = None
        if self.session_id is not None and self._http is not None and not self._http.closed:
            try:
                async with self._http_request("DELETE", headers=self._base_headers()):
                    pass
            except aiohttp.ClientError:
                pass  # the server may already be gone; the session dies with it
            self.session_id = None
        if self._own_http and self._http is not None:
            await self._http.close()

    # --- messages ------------------------------------------------------------------------

    def _base_headers(
        self, method: str | None = None, params: Json | None = None
    ) -> dict[str, str]:
        headers = {
            **self._headers,
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        }
        if self.version is not None and (self.era == "modern" or method != "initialize"):
            headers["MCP-Protocol-Version"] = self.version
        if self.session_id is not None:
            headers["Mcp-Session-Id"] = self.session_id
        if self.era == "modern" and method is not None:
            headers["Mcp-Method"] = method
            key = NAMED.get(method)
            if key and params and isinstance(params.get(key), str):
                headers["Mcp-Name"] = param_headers.encode_value(params[key])
            if method == "tools/call" and params:
                mapping = self.param_headers.get(str(params.get("name")), {})
                headers.update(param_headers.param_headers(mapping, params.get("arguments")))
        if tracing.ACTIVE:
            tracing.inject(headers)  # the current span's traceparent, to the upstream
        return headers

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

    async def notify(self, method: str, params: Json | None = None) -> None:
        body = encode_request(None, method, None if params is None else orjson.dumps(params))
        await self._send(body, method)

    async def _send(self, message: bytes, method: str | None = None) -> None:
        """A message that expects no reply on its own transport exchange."""
        if self._channel is not None:
            await self._channel.send(message)
            return
        assert self._http is not None
        headers = self._base_headers(method)
        async with self._http_request("POST", data=message, headers=headers) as r:
            await r.read()
            if r.status >= 400:
                raise HTTPStatusError(method or "reply", r.status)

    @contextlib.asynccontextmanager
    async def _http_request(
        self, verb: str, *, headers: dict[str, str], **options: Any
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """One HTTP exchange with the server, through the auth hook: its headers on every
        attempt, and the request sent again while a 401 or 403 gets the hook what it needs."""
        for attempt in range(MAX_AUTH_ROUNDS + 1):
            try:
                sent, resp = await self._send_once(verb, headers, options)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                if attempt == 0:
                    raise
                # A connection reset with no answer after an authorization flow, which can
                # outlast the server's keep-alive: once more, on a fresh connection.
                sent, resp = await self._send_once(verb, headers, options)
            try:
                if (
                    self.auth is not None
                    and resp.status in AUTH_STATUSES
                    and attempt < MAX_AUTH_ROUNDS
                ):
                    await resp.read()
                    if await self.auth.challenged(resp.status, resp.headers, self.url, sent):
                        continue
                yield resp
                return
            finally:
                resp.release()
        raise AssertionError("unreachable: the last attempt yields its response")

    async def _send_once(
        self, verb: str, headers: dict[str, str], options: dict[str, Any]
    ) -> tuple[dict[str, str], aiohttp.ClientResponse]:
        assert self._http is not None
        sent = headers
        if self.auth is not None:  # per attempt: a DPoP proof is good for one request
            sent = {**headers, **await self.auth.headers(verb, self.url)}
        return sent, await self._http.request(verb, self.url, headers=sent, **options)

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
        if self._channel is not None:
            if self._channel.ended_reason is not None and self.stdio is not None:
                await self._restart_stdio(method)
            reply = await self._over_channel(method, params, on_notification, on_request)
        else:
            reply = await self._over_http(method, params, on_notification, on_request)
        return self._result(reply, method)

    async def _restart_stdio(self, method: str) -> None:
        """The process has exited: start it again before this request, as a new session."""
        if method in ("server/discover", "initialize"):
            return  # negotiation itself: the caller sees the error
        async with self._restarting:
            if self._channel is not None and self._channel.ended_reason is None:
                return  # a concurrent request started it again
            reason = self._channel and self._channel.ended_reason
            log.warning("%s: restarting (%s)", self.stdio, reason)
            await self._open_stdio()

    async def _over_http(
        self,
        method: str,
        params: Json | None,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
        *,
        retry: bool = True,
    ) -> bytes:
        assert self._http is not None
        request_id = next(self._ids)
        body = encode_request(request_id, method, None if params is None else orjson.dumps(params))
        headers = self._base_headers(method, params)
        # A listen's reply stream lasts as long as we listen.
        timeout = STREAM_TIMEOUT if method == LISTEN else self._http.timeout
        try:
            async with self._http_request(
                "POST", data=body, headers=headers, timeout=timeout
            ) as resp:
                if resp.status == 404 and self.session_id is not None and retry:
                    # The server forgot our session: re-initialize once, then retry.
                    await self._initialize()
                    return await self._over_http(
                        method, params, on_notification, on_request, retry=False
                    )
                if method == "initialize" and "Mcp-Session-Id" in resp.headers:
                    self.session_id = resp.headers["Mcp-Session-Id"]
                if resp.content_type == "text/event-stream":
                    handlers = (
                        on_notification or self.on_notification,
                        on_request or self.on_request,
                    )
                    return await self._read_stream(resp, request_id, *handlers)
                reply = await resp.read()
                if resp.status >= 400 and not reply.startswith(b"{"):
                    raise HTTPStatusError(method, resp.status)
                return reply
        except asyncio.CancelledError:
            if method not in ("initialize", LISTEN):  # a listen ends with its stream
                self._cancel_over_http(request_id, "cancelled by the client")
            raise

    def _cancel_over_http(self, request_id: int, reason: str) -> None:
        """Tell the server we no longer wait (in either era): sent in the background, so that
        the cancellation that called for it is not held up."""
        params = {"requestId": request_id, "reason": reason}
        body = encode_request(None, "notifications/cancelled", orjson.dumps(params))

        async def send() -> None:
            with contextlib.suppress(MCPError, OSError, aiohttp.ClientError, TimeoutError):
                async with asyncio.timeout(CANCEL_SEND_S):
                    await self._send(body, "notifications/cancelled")

        task = asyncio.create_task(send())
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _over_channel(
        self,
        method: str,
        params: Json | None,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
    ) -> bytes:
        assert self._channel is not None
        request_id = next(self._ids)
        body = encode_request(request_id, method, None if params is None else orjson.dumps(params))
        token = ((params or {}).get("_meta") or {}).get("progressToken")
        reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        listening = method == LISTEN
        self._waiting[request_id] = _Waiter(reply, on_notification, on_request, token, listening)
        try:
            await self._channel.send(body)
            async with asyncio.timeout(None if listening else self.timeout_s):
                return await reply
        except TimeoutError:
            await self._cancel(request_id, "timed out")
            raise MCPError(-32603, f"{method}: no reply within {self.timeout_s:g} s") from None
        except asyncio.CancelledError:
            await self._cancel(request_id, "cancelled by the client")
            raise
        finally:
            self._waiting.pop(request_id, None)

    async def _cancel(self, request_id: int, reason: str) -> None:
        """Tell the server we no longer wait for a request (it may stop working on it): on a
        channel the notification is the only way, in either era."""
        if self._channel is not None:
            params = {"requestId": request_id, "reason": reason}
            body = encode_request(None, "notifications/cancelled", orjson.dumps(params))
            with contextlib.suppress(MCPError):  # the transport is gone: nothing works on it
                await self._channel.send(body)

    def _channel_ended(self, reason: str) -> None:
        self._channel_gone.set()
        error = MCPError(CONNECTION_CLOSED, f"the connection is closed: {reason}")
        for waiter in self._waiting.values():
            if not waiter.reply.done():
                waiter.reply.set_exception(error)

    async def _deliver(self, message: bytes) -> None:
        """One message from a channel: a reply to a waiting request, or the server's own."""
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
        params = msg.to_python().get("params") or {}
        owner = self._owner(msg.method or "", params)
        if msg.kind == "notification":
            handler = (owner and owner.on_notification) or self.on_notification
            if msg.method in ANNOUNCEMENTS and not (owner and owner.listening):
                # News for every client rather than part of a call's reply.
                handler = self.on_notification or handler
            if handler is not None:
                try:
                    await handler(msg.method or "", params)
                except Exception:  # one bad handler must not stop the stream
                    log.exception("%s: notification handler failed", self.origin)
            return
        # Answered in the background: its handler may wait on the client, and replies to our
        # own requests must keep flowing meanwhile.
        on_request = (owner and owner.on_request) or self.on_request
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

    async def _read_stream(
        self,
        resp: aiohttp.ClientResponse,
        request_id: int,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
    ) -> bytes:
        """Consume an SSE reply: act on notifications and requests, return our response. A
        legacy server may end the stream early (SSE polling): then resume it with a GET that
        carries `Last-Event-ID`, after the delay its `retry` field asked for."""
        cursor = SseCursor()
        handlers = (request_id, on_notification, on_request)
        reply = await self._read_events(resp, cursor, *handlers)
        for _ in range(MAX_RESUMES):
            if reply is not None or cursor.last_id is None or self.era != "legacy":
                break
            await asyncio.sleep(cursor.retry_ms / 1000)
            reply = await self._resume(cursor, *handlers)
        if reply is None:
            raise MCPError(-32603, "the server closed the stream before answering")
        return reply

    def _stream_headers(self, cursor: SseCursor) -> dict[str, str]:
        headers = {**self._base_headers(), "Accept": "text/event-stream"}
        del headers["Content-Type"]
        if cursor.last_id is not None:
            headers["Last-Event-ID"] = cursor.last_id
        return headers

    def _get_stream(self, cursor: SseCursor) -> Any:
        headers = self._stream_headers(cursor)
        return self._http_request("GET", headers=headers, timeout=STREAM_TIMEOUT)

    async def _listen(self, opened: asyncio.Event) -> None:
        """`listen=True`: the standalone stream is an extra, so requests and their replies do
        not depend on it; a server without one (405) just has none."""
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, MCPError, ProtocolError):
            await self._watch_get(self.on_notification, self.on_request, SseCursor(), opened)
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
        across calls) while the server ends it for SSE polling; stdio and HTTP+SSE: the channel,
        whose handlers are these while the watch lasts. `opened` is set once messages can
        arrive. Returns when the stream ends; raises MCPError when the server offers none
        (HTTPStatusError 405) or one is open already (409)."""
        opened = opened or asyncio.Event()
        try:
            if self.era == "modern":
                await self._watch_listen(on_notification, notifications or {}, opened)
            elif self._channel is not None:
                await self._watch_channel(on_notification, on_request, opened)
            else:
                await self._watch_get(on_notification, on_request, cursor or SseCursor(), opened)
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

    async def _watch_channel(
        self, on_notification: OnNotification, on_request: OnRequest | None, opened: asyncio.Event
    ) -> None:
        assert self._channel is not None
        if self._channel.ended_reason is not None and self.stdio is not None:
            await self._restart_stdio("watch")
        gone = self._channel_gone
        previous = self.on_notification, self.on_request
        self.on_notification, self.on_request = on_notification, on_request or self.on_request
        try:
            opened.set()
            await gone.wait()
        finally:
            self.on_notification, self.on_request = previous

    async def _watch_get(
        self,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
        cursor: SseCursor,
        opened: asyncio.Event,
    ) -> None:
        """The session's standalone stream until the server ends it for good; one it ends for
        SSE polling is reconnected after its `retry`, from the last event seen."""
        while True:
            async with self._get_stream(cursor) as r:
                if r.status != 200 or r.content_type != "text/event-stream":
                    raise HTTPStatusError("the GET stream", r.status)
                opened.set()
                await self._read_events(r, cursor, None, on_notification, on_request)
            if cursor.last_id is None:
                return  # not resumable: the server meant to end it
            await asyncio.sleep(cursor.retry_ms / 1000)

    async def _resume(
        self,
        cursor: SseCursor,
        request_id: int | None,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
    ) -> bytes | None:
        async with self._get_stream(cursor) as resp:
            if resp.status != 200 or resp.content_type != "text/event-stream":
                raise MCPError(-32603, f"resuming the reply stream: HTTP {resp.status}")
            return await self._read_events(resp, cursor, request_id, on_notification, on_request)

    async def _read_events(
        self,
        resp: aiohttp.ClientResponse,
        cursor: SseCursor,
        request_id: int | None,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
    ) -> bytes | None:
        """Our response from one SSE stream, or None if the stream ends without it."""
        async for _, event in events(resp.content, cursor):
            reply = await self._on_event(event, request_id, on_notification, on_request)
            if reply is not None:
                return reply
        return None

    async def _on_event(
        self,
        event: bytes,
        request_id: int | None,
        on_notification: OnNotification | None,
        on_request: OnRequest | None,
    ) -> bytes | None:
        msg = parse(event, version=self.version or LATEST_LEGACY_VERSION)
        assert isinstance(msg, Message)
        if msg.kind in ("response", "error"):
            return event if request_id is not None and msg.id == request_id else None
        body = msg.to_python()
        params = body.get("params") or {}
        if msg.kind == "notification":
            if on_notification is not None:
                await on_notification(msg.method or "", params)
            return None
        await self._answer(msg, params, on_request)
        return None

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
                reply = encode_result(msg.id, orjson.dumps(result))
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
            await self._send(message)
        except (MCPError, aiohttp.ClientError, OSError) as e:
            log.warning("%s: could not answer %s: %s", self.origin, method or "a request", e)

    # --- conveniences --------------------------------------------------------------------

    async def list_tools(self) -> list[Json]:
        """The server's tools. In the 2026-07-28 era a tool with an invalid `x-mcp-header`
        annotation is left out (a client MUST NOT call it), and the others' annotations are
        kept for `tools/call` to mirror into `Mcp-Param-*` headers."""
        tools = await self._paged("tools/list", "tools")
        if self.era != "modern":
            return tools
        self.param_headers, kept = param_headers.header_maps(tools)
        return kept

    async def call_tool(self, name: str, arguments: Json | None = None) -> Json:
        return await self.request("tools/call", {"name": name, "arguments": arguments or {}})

    async def list_resources(self) -> list[Json]:
        return await self._paged("resources/list", "resources")

    async def read_resource(self, uri: str) -> Json:
        return await self.request("resources/read", {"uri": uri})

    async def list_prompts(self) -> list[Json]:
        return await self._paged("prompts/list", "prompts")

    async def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> Json:
        return await self.request("prompts/get", {"name": name, "arguments": arguments or {}})

    async def _paged(self, method: str, key: str, max_pages: int = 100) -> list[Json]:
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
