"""Streamable HTTP for MCPServer (aiohttp): one endpoint, both protocol eras.

Legacy revisions: `initialize` mints an `Mcp-Session-Id` that every later request must carry
(missing: 400, unknown or deleted: 404), `DELETE` ends the session, and the
`MCP-Protocol-Version` header must name a supported revision. A request's reply is JSON until
its handler sends a message first; then it is an SSE stream. In a session every SSE event has an
id, and `GET` with `Last-Event-ID` resumes a stream (see `sse`); `GET` without one opens the
session's standalone stream (one at a time: 409), where notifications not tied to a request go.
Sessions that negotiated 2025-11-25 get a priming event with `retry` on each stream, and a
handler may close its stream early (SSE polling). 2026-07-28: stateless POST; the `Mcp-Method`
(and for tools/call, resources/read, prompts/get and tasks/* the `Mcp-Name`, base64 sentinel
decoded; for tools with `x-mcp-header` annotations the `Mcp-Param-*`) header must match the
body, else 400 with -32020 (a `notifications/cancelled` may come without it, as the SDKs send
it); no GET stream (405). A present Origin or Host
that is not loopback gets 403 (DNS rebinding), on POST, GET and DELETE alike. Notifications and
responses from the client get 202. A `notifications/cancelled` stops the handler of the
request it names (among the sender's own): that request gets no JSON-RPC response (202, or its
SSE stream ends without one).

Callers: a `principal` hook names who sends each request (the proxy: the API key's tenant and
id; None, the default, for a server that does not tell callers apart). A session belongs to the
principal that initialized it: to anyone else its id is unknown (404 on POST, GET, resumption
and DELETE alike), and a request round's requestState is theirs alone. Sessions held in memory
are bounded (`session_pool`): at most `max_sessions` (the least recently used idle one makes
room; 503 when all are busy), none idle for longer than `idle_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

import orjson
from aiohttp import web

from mcproute._core import SUPPORTED_VERSIONS, Message, ProtocolError, encode_error, parse
from mcproute.protocol import param_headers
from mcproute.protocol.jsonrpc import (
    HEADER_MISMATCH,
    MAX_MESSAGE_BYTES,
    MISSING_CAPABILITY,
    UNSUPPORTED_VERSION,
)
from mcproute.protocol.param_headers import decode_value
from mcproute.protocol.server.context import Session
from mcproute.protocol.server.disconnects import DisconnectWatch
from mcproute.protocol.server.dispatch import MCPServer, Reply
from mcproute.protocol.server.session_pool import (
    DEFAULT_IDLE_S,
    DEFAULT_MAX_SESSIONS,
    SessionPool,
    SessionsFull,
)
from mcproute.protocol.server.session_tokens import SessionTokens
from mcproute.protocol.server.sse_store import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_EVENTS,
    KEEPALIVE,
    SSE_HEADERS,
    ReplayError,
    SessionStreams,
    Stream,
    frame,
)

# 2026-07-28: the HTTP status of a JSON-RPC error answered as JSON.
ERROR_STATUS = {
    -32601: 404,
    HEADER_MISMATCH: 400,
    MISSING_CAPABILITY: 400,
    UNSUPPORTED_VERSION: 400,
}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
SESSION_HEADER = "Mcp-Session-Id"
VERSION_HEADER = "MCP-Protocol-Version"
# Methods whose `Mcp-Name` header mirrors a params field (the tasks extension's: `taskId`).
NAMED_METHODS = frozenset(
    {"tools/call", "resources/read", "prompts/get", "tasks/get", "tasks/update", "tasks/cancel"}
)
POLLING_VERSION = "2025-11-25"  # the first revision with priming events and `retry` (SEP-1699)
DEFAULT_RETRY_MS = 1000  # how long a client waits before resuming a stream the server closed
KEEPALIVE_S = 15.0
# Who sends a request, as the application tells callers apart (None: it does not).
Principal = Callable[[web.Request], str | None]
NOT_FOUND = "session not found: initialize again"
JSON_HEADERS = {"Content-Type": "application/json"}  # (as a header: aiohttp builds less)


def _error(
    status: int, code: int, message: str, request_id: object = None, data: object = None
) -> web.Response:
    body = encode_error(
        request_id if isinstance(request_id, int | str) else None,
        code,
        message,
        None if data is None else orjson.dumps(data),
    )
    return web.Response(status=status, body=body, content_type="application/json")


def reply_status(reply: Reply) -> int:
    """The HTTP status of a 2026-07-28 reply answered as JSON: some errors carry their own."""
    return ERROR_STATUS.get(reply.error, 200) if reply.error else 200


def reply_response(reply: Reply) -> web.Response:
    """A 2026-07-28 reply answered as JSON, or 202 when no response is due."""
    if reply.body is None:
        return web.Response(status=202)
    return web.Response(status=reply_status(reply), body=reply.body, headers=JSON_HEADERS)


class RequestStream:
    """How one POST's messages reach the client: nothing until the handler sends its first, then
    an SSE response, resumable when the request belongs to a session."""

    def __init__(
        self,
        request: web.Request,
        streams: SessionStreams | None,
        retry_ms: int | None,
        keepalive_s: float = KEEPALIVE_S,
    ) -> None:
        self.request = request
        self.streams = streams
        self.retry_ms = retry_ms  # set where the session negotiated SSE polling
        self.keepalive_s = keepalive_s
        self.response: web.StreamResponse | None = None
        self.stream: Stream | None = None

    async def _open(self) -> None:
        if self.response is not None:
            return
        self.response = web.StreamResponse(headers=SSE_HEADERS)
        await self.response.prepare(self.request)
        if self.streams is not None:
            self.stream = self.streams.open()
            await self.streams.attach(
                self.stream, self.request, self.response, retry_ms=self.retry_ms
            )

    async def send(self, message: bytes) -> None:
        await self._open()
        if self.streams is not None and self.stream is not None:
            await self.streams.send(self.stream, message)
        else:
            assert self.response is not None
            # Stateless: a client that left has cancelled, and nothing can be resumed.
            with contextlib.suppress(ConnectionError):
                await self.response.write(frame(message))

    async def wait_closed(self) -> None:
        await self._open()
        assert self.response is not None
        # Only a write notices a gone client; keep-alive comments also keep proxies open.
        while True:
            try:
                await self.response.write(KEEPALIVE)
            except ConnectionError:
                return
            await asyncio.sleep(self.keepalive_s)

    async def close(self) -> None:
        if self.streams is None or self.retry_ms is None:
            return  # a client that may not resume must keep its stream
        await self._open()
        assert self.stream is not None
        await self.streams.close(self.stream)

    async def finish(self, reply: bytes | None) -> None:
        """The handler is done: its reply is the stream's last event."""
        if reply is not None:
            await self.send(reply)
        if self.streams is not None and self.stream is not None:
            await self.streams.finish(self.stream)
        elif self.response is not None:
            with contextlib.suppress(ConnectionError):
                await self.response.write_eof()


class StreamableHTTP:
    """Serve one MCPServer at `path`; `allowed_hosts` extends the loopback names. `retry_ms` is
    the reconnection delay sent to 2025-11-25 sessions; `max_events`/`max_bytes` bound each
    session's store of events kept for resumption. At most `max_sessions` sessions are held
    here, none idle longer than `idle_s` (with the server's session tokens a dropped session
    is restored from its id). `principal` names each request's caller (see the module).
    With `session_tokens`, a session's id is the sealed session (see `session_tokens`)."""

    def __init__(
        self,
        server: MCPServer,
        *,
        path: str = "/mcp",
        allowed_hosts: frozenset[str] = frozenset(),
        retry_ms: int = DEFAULT_RETRY_MS,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keepalive_s: float = KEEPALIVE_S,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        idle_s: float = DEFAULT_IDLE_S,
        principal: Principal | None = None,
        session_tokens: SessionTokens | None = None,
    ) -> None:
        self.server = server
        # With tokens, a legacy session's id carries the session: any replica can serve it.
        self.session_tokens = session_tokens
        self.max_sessions = max_sessions
        self.pool = SessionPool(server.sessions, max_sessions=max_sessions, idle_s=idle_s)
        self._principal = principal
        self.path = path
        self.allowed_hosts = LOCAL_HOSTS | allowed_hosts
        self.retry_ms = retry_ms
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.keepalive_s = keepalive_s
        self.streams: dict[str, SessionStreams] = {}  # by session id
        # Sessions this replica ended: their tokens must not bring them back here.
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._disconnects: DisconnectWatch[tuple[str | None, object]] = DisconnectWatch(
            self._client_gone
        )

    def _client_gone(self, key: tuple[str | None, object]) -> None:
        principal, request_id = key
        self.server.cancel(None, principal, request_id)

    @property
    def sessions(self) -> dict[str, Session]:
        return self.server.sessions

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES)
        app.router.add_post(self.path, self.post)
        app.router.add_get(self.path, self.get)
        app.router.add_delete(self.path, self.delete)
        app.on_shutdown.append(self.shutdown)
        return app

    def _host_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is not None:
            try:
                origin_host = urlsplit(origin).hostname
            except ValueError:  # not a URL (an unclosed "[", say): not an allowed origin
                return False
            if origin_host not in self.allowed_hosts:
                return False
        host = request.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in self.allowed_hosts or name.strip("[]") in self.allowed_hosts

    def _retry_ms(self, session: Session) -> int | None:
        """The priming `retry`, for sessions whose revision knows it (the header may be older:
        what initialize negotiated is what the client understands)."""
        return self.retry_ms if (session.version or "") >= POLLING_VERSION else None

    def principal(self, request: web.Request) -> str | None:
        return None if self._principal is None else self._principal(request)

    async def _open_session(self, session: Session) -> None:
        streams = SessionStreams(max_events=self.max_events, max_bytes=self.max_bytes)
        session.outbox = streams.push
        self.pool.add(session)
        self.streams[session.id] = streams
        await self._drop_idle()

    async def _drop_idle(self) -> None:
        """Bound what is held here: idle-expired sessions, and the least recently used idle
        ones over the cap. A token session lives on in its id; any other ends for good."""
        for session_id in self.pool.to_drop():
            session = self.sessions.get(session_id)
            await self._end_session(session_id)
            if session is not None and self.session_tokens is None:
                await self.server.session_ended(session)

    async def _find_session(self, session_id: str, principal: str | None) -> Session | None:
        """An open session of `principal`; with session tokens, also one another replica
        opened. Another principal's session is as unknown as one that never existed."""
        session = self.sessions.get(session_id)
        if session is not None and session.principal != principal:
            return None
        tokens = self.session_tokens
        if tokens is not None and await tokens.ended(session_id):
            if session is not None:  # ended through another replica
                await self._end_session(session_id)
            return None
        if session is not None and self.pool.expired(session_id):
            await self._drop_idle()
            session = None
        if session is not None:
            self.pool.touch(session_id)
            return session
        if tokens is None or session_id in self._ended:
            return None
        session = tokens.open(session_id, principal)
        if session is not None:
            await self._open_session(session)
        return session

    async def _end_session(self, session_id: str) -> bool:
        session = self.pool.remove(session_id)
        streams = self.streams.pop(session_id, None)
        if session is not None:
            session.outbox = None
        if streams is not None:
            await streams.end()
        return session is not None

    async def shutdown(self, app: web.Application | None = None) -> None:
        """End every session (an `on_shutdown` hook): open GET streams would otherwise hold the
        shutdown until their keep-alive fails; listen streams get their closing result."""
        self.server.stop_listeners()
        self._disconnects.close()
        for session_id in list(self.streams):
            await self._end_session(session_id)

    async def post(self, request: web.Request) -> web.StreamResponse:
        outcome = await self.answer(request)
        return outcome if isinstance(outcome, web.StreamResponse) else reply_response(outcome)

    async def answer(self, request: web.Request) -> web.StreamResponse | Reply:
        """A POST's outcome: the response, or for a 2026-07-28 request answered as JSON (or not
        at all) its `Reply`, which `post` makes a response of (`reply_status`) and a server
        that writes its own bytes sends as they are."""
        if not self._host_allowed(request):
            return _error(403, -32600, "forbidden origin or host")
        principal = self.principal(request)
        header_version = request.headers.get(VERSION_HEADER)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            body = None
        if body is None or len(body) > MAX_MESSAGE_BYTES:  # an app's own body limit may be higher
            return _error(413, -32600, f"message is over the limit of {MAX_MESSAGE_BYTES} bytes")
        session: Session | None = None
        session_id = request.headers.get(SESSION_HEADER)
        if session_id is not None:
            session = await self._find_session(session_id, principal)
            if session is None:
                return _error(404, -32600, NOT_FOUND)
        try:
            msg = parse(body, version=session.version if session else None)
        except ProtocolError as e:
            requested = e.data.get("requested") if isinstance(e.data, dict) else None
            if e.code == UNSUPPORTED_VERSION and header_version not in (None, requested):
                # The header and the body disagree: that comes before whether we speak either.
                differ = f"{VERSION_HEADER} header {header_version!r} does not match the body's"
                return _error(400, HEADER_MISMATCH, f"{differ} _meta version {requested!r}", e.id)
            status = 404 if e.code == -32601 else 400
            return _error(status, e.code, str(e), e.id, e.data)
        if isinstance(msg, list):
            return _error(400, -32600, "batches are not served over Streamable HTTP")
        modern = msg.era == "modern"
        if not modern and header_version not in (None, *SUPPORTED_VERSIONS):
            unsupported = f"{VERSION_HEADER}: unsupported version {header_version!r}"
            return _error(400, -32600, unsupported, msg.id)
        if modern:
            mismatch = self._check_modern_headers(request, msg) or self._check_param_headers(
                request, msg
            )
            if mismatch is not None:
                return _error(400, HEADER_MISMATCH, mismatch, msg.id)
            return await self._stateless(request, msg, principal)  # no session applies
        if msg.method == "initialize":
            try:
                self.pool.check_room()
            except SessionsFull as e:
                return _error(503, -32600, str(e), msg.id)
            session = Session(principal=principal)
        elif session is None and msg.kind == "request":
            return _error(400, -32600, f"{SESSION_HEADER} header is required", msg.id)
        outbound: RequestStream | None = None
        if "text/event-stream" in request.headers.get("Accept", ""):
            if session is not None and session.id in self.streams:
                streams = self.streams[session.id]
                retry_ms = self._retry_ms(session)
                outbound = RequestStream(request, streams, retry_ms, self.keepalive_s)
            else:  # initialize
                outbound = RequestStream(request, None, None, self.keepalive_s)

        # A session in use is neither idle nor evicted (initialize's is not held yet).
        held = session is not None and session.id in self.sessions
        in_use = self.pool.in_use(session.id) if held and session else contextlib.nullcontext()

        async def run() -> Reply:
            with in_use:
                reply = await self.server.handle(msg, session, outbound, principal)
                if outbound is not None and outbound.response is not None:
                    await outbound.finish(reply.body)
            return reply

        # Shielded: a legacy client that drops the connection has not cancelled its request
        # (it may resume the stream, or send notifications/cancelled).
        reply = await asyncio.shield(asyncio.ensure_future(run()))
        if outbound is not None and outbound.response is not None:
            return outbound.response
        if reply.body is None:
            return web.Response(status=202)
        headers = dict(JSON_HEADERS)
        opened = reply.opened
        if opened is not None and opened.version is not None:
            if self.session_tokens is not None:
                opened.id = self.session_tokens.seal(opened)
            await self._open_session(opened)
            headers[SESSION_HEADER] = opened.id
        return web.Response(status=200, body=reply.body, headers=headers)

    async def _stateless(
        self, request: web.Request, msg: Message, principal: str | None
    ) -> web.StreamResponse | Reply:
        """A 2026-07-28 request, its headers checked: no session to find, hold or open, and
        nothing to shield (the client cancels by closing the connection: then the handler
        stops). The hot path of every stateless call, so it does only what applies."""
        outbound: RequestStream | None = None
        if "text/event-stream" in request.headers.get("Accept", ""):
            outbound = RequestStream(request, None, None, self.keepalive_s)
        ticket = self._disconnects.watch(request, (principal, msg.id))
        try:
            reply = await self.server.handle(msg, None, outbound, principal)
            if outbound is not None and outbound.response is not None:
                await outbound.finish(reply.body)
                return outbound.response
        finally:
            self._disconnects.unwatch(ticket)
        return reply

    def _check_param_headers(self, request: web.Request, msg: Message) -> str | None:
        """The `Mcp-Param-*` headers of a call to a tool with `x-mcp-header` annotations must
        mirror the annotated arguments (SEP-2243)."""
        name = msg.name if msg.method == "tools/call" else None
        if name is not None:
            mapping = self.server.param_header_map(name)
            if mapping:
                arguments = (msg.to_python().get("params") or {}).get("arguments")
                return param_headers.mismatch(mapping, arguments, request.headers)
        return None

    @staticmethod
    def _check_modern_headers(request: web.Request, msg: Message) -> str | None:
        method = request.headers.get("Mcp-Method")
        sent_method = msg.method
        if method is None and sent_method == "notifications/cancelled":
            return None  # the SDKs send cancellations without it
        if method != sent_method:
            return f"Mcp-Method header {method!r} does not match the body's method {sent_method!r}"
        if sent_method in NAMED_METHODS:
            sent = request.headers.get("Mcp-Name")
            name = None if sent is None else decode_value(sent)
            if name != msg.name:
                return f"Mcp-Name header {name!r} does not match the body's {msg.name!r}"
        version = request.headers.get(VERSION_HEADER)
        if version is not None and version != msg.protocol_version:
            return f"{VERSION_HEADER} header {version!r} does not match the body's _meta version"
        return None

    async def get(self, request: web.Request) -> web.StreamResponse:
        """The session's standalone stream, or with `Last-Event-ID` the resumption of any of its
        streams: what the client missed on it, then what comes. A resumption takes the stream
        over from a previous connection; a second standalone stream is refused (409)."""
        if not self._host_allowed(request):
            return _error(403, -32600, "forbidden origin or host")
        session_id = request.headers.get(SESSION_HEADER)
        if session_id is None:
            # Stateless (2026-07-28) clients have no stream to open.
            return web.Response(status=405, headers={"Allow": "POST, DELETE"})
        session = await self._find_session(session_id, self.principal(request))
        streams = self.streams.get(session_id)
        if session is None or streams is None:
            return _error(404, -32600, NOT_FOUND)
        if "text/event-stream" not in request.headers.get("Accept", ""):
            return _error(406, -32600, "Accept must include text/event-stream")
        last_event_id = request.headers.get("Last-Event-ID")
        if last_event_id is None:
            stream = streams.open_standalone()
            if stream.live:
                return _error(409, -32600, "the session's GET stream is already open")
            after, retry_ms = None, self._retry_ms(session)
        else:
            try:
                stream, after = streams.resume(last_event_id)
            except ReplayError as e:
                return _error(e.status, -32600, str(e))
            retry_ms = None  # the client already has the delay, and an id to resume from
        gone = asyncio.Event()
        with self.pool.in_use(session_id):
            if stream is streams.standalone:
                await self.server.client_listening(session, gone)
            try:
                response = web.StreamResponse(headers=SSE_HEADERS)
                await response.prepare(request)
                ended = await streams.attach(
                    stream, request, response, after=after, retry_ms=retry_ms
                )
                while not ended.is_set():
                    try:
                        await asyncio.wait_for(ended.wait(), self.keepalive_s)
                    except TimeoutError:
                        await streams.keepalive(stream)
            finally:
                gone.set()
        return response

    async def delete(self, request: web.Request) -> web.StreamResponse:
        if not self._host_allowed(request):
            return _error(403, -32600, "forbidden origin or host")
        session_id = request.headers.get(SESSION_HEADER)
        if session_id is None:
            return _error(400, -32600, f"{SESSION_HEADER} header is required")
        session = await self._find_session(session_id, self.principal(request))
        if session is None:
            return _error(404, -32600, NOT_FOUND)
        await self._end_session(session_id)
        self._ended[session_id] = None
        while len(self._ended) > self.max_sessions:
            self._ended.popitem(last=False)
        if self.session_tokens is not None:
            await self.session_tokens.end(session_id)
        await self.server.session_ended(session)
        return web.Response(status=204)
